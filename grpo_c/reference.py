"""Plain-Python twins of the grpo_c kernels, written for clarity: the oracles of the tests.

Each section belongs to one topic; helpers append their own section at the end.
"""

from __future__ import annotations

import math
import re

# ------------------------------------------------------------------ text rewards (branch text)
# The peers' own rules, restated: regexes run by Python's `re`, loops over Python lists.


def _tag_regex(think=("<think>", "</think>"), answer=("<answer>", "</answer>")):
    o, c = (re.escape(t) for t in think)
    a, e = (re.escape(t) for t in answer)
    return o, c, a, e


def format_reward(text, mode="openr1", prefilled=False, think=("<think>", "</think>"),
                  answer=("<answer>", "</answer>"), language="python"):
    """1.0/0.0 by the peer regex of `mode` (openr1, think, code) or the strict rule."""
    if text is None:
        return math.nan
    o, c, a, e = _tag_regex(think, answer)
    if mode == "openr1":
        pattern, prefix = rf"^{o}\n.*?\n{c}\n{a}\n.*?\n{e}$", think[0] + "\n"
    elif mode == "code":
        lang = re.escape(language)
        pattern = rf"^{o}\n.*?\n{c}\n{a}\n.*?```{lang}.*?```.*?\n{e}$"
        prefix = think[0] + "\n"
    elif mode == "think":
        pattern, prefix = rf"^{o}(?!.*{o})(.*?){c}.*$", think[0]
    elif mode == "strict":
        return strict_format_reward(text, prefilled, think, answer)
    else:
        raise ValueError(mode)
    if prefilled:
        text = prefix + text
    return 1.0 if re.match(pattern, text, re.DOTALL | re.MULTILINE) else 0.0


def strict_format_reward(text, prefilled=False, think=("<think>", "</think>"),
                         answer=("<answer>", "</answer>")):
    """One non-blank think block, one non-blank answer block, whitespace only around them."""
    tags = [*think, *answer]
    if prefilled:
        text = think[0] + text
    else:
        text = text.lstrip(" \t\n\r\f\v")
    if not text.startswith(think[0]):
        return 0.0
    rest = text[len(think[0]):]
    if think[1] not in rest:
        return 0.0
    body, rest = rest.split(think[1], 1)
    rest = rest.lstrip(" \t\n\r\f\v")
    if not rest.startswith(answer[0]):
        return 0.0
    rest = rest[len(answer[0]):]
    if answer[1] not in rest:
        return 0.0
    body2, tail = rest.split(answer[1], 1)
    for b in (body, body2):
        if not b.strip(" \t\n\r\f\v") or any(t in b for t in tags):
            return 0.0
    return 1.0 if not tail.strip(" \t\n\r\f\v") else 0.0


def tag_count_reward(text, think=("<think>", "</think>"), answer=("<answer>", "</answer>")):
    if text is None:
        return math.nan
    pieces = [think[0] + "\n", "\n" + think[1] + "\n", "\n" + answer[0] + "\n", "\n" + answer[1]]
    return sum(0.25 for p in pieces if text.count(p) == 1)


def reasoning_steps_reward(text, steps_for_full=3.0):
    if text is None:
        return math.nan
    pattern = r"(Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,)"
    return min(1.0, len(re.findall(pattern, text)) / steps_for_full)


def repetition_penalty(units, ngram_size=3, max_penalty=-1.0):
    """open-r1/TRL: units are text.lower().split() words or token ids."""
    if len(units) < ngram_size:
        return 0.0
    ngrams = list(zip(*[units[i:] for i in range(ngram_size)]))
    return (1 - len(set(ngrams)) / len(ngrams)) * max_penalty


def kimi_length(lengths, correct):
    lo, hi = min(lengths), max(lengths)
    if lo == hi:
        return [0.0] * len(lengths)
    out = []
    for n, ok in zip(lengths, correct):
        lam = 0.5 - (n - lo) / (hi - lo)
        out.append(lam if ok else min(0, lam))
    return out


def cosine_length(length, correct, min_value_wrong=-1.0, max_value_wrong=-0.5,
                  min_value_correct=0.5, max_value_correct=1.0, max_len=1000, clip=False):
    progress = length / max_len
    if clip:
        progress = min(progress, 1.0)
    cosine = math.cos(progress * math.pi)
    lo, hi = ((min_value_correct, max_value_correct) if correct
              else (max_value_wrong, min_value_wrong))
    return lo + 0.5 * (hi - lo) * (1.0 + cosine)


def soft_overlong(length, max_completion_len, soft_punish_cache):
    start = max_completion_len - soft_punish_cache
    if length <= start:
        return 0.0
    if length <= max_completion_len:
        return (start - length) / soft_punish_cache
    return -1.0


def combine(rows, weights=None):
    """TRL: weighted nansum per completion; NaN when every reward of the row is NaN."""
    out = []
    for row in rows:
        w = weights if weights is not None else [1.0] * len(row)
        terms = [r * wi for r, wi in zip(row, w)]
        if all(math.isnan(r) for r in row):
            out.append(math.nan)
        else:
            out.append(sum(t for t in terms if not math.isnan(t)))
    return out
