"""Plain-Python twins of the grpo_c kernels, written for clarity: the oracles of the tests.

Each section belongs to one topic; helpers append their own section at the end.
"""

from __future__ import annotations

# ------------------------------------------------------------------ text rewards (branch text)
# The peers' own rules, restated: regexes run by Python's `re`, loops over Python lists.
# This section imports what it uses, so that it stands alone when the file is merged.

import math  # noqa: E402
import re  # noqa: E402


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


# Language consistency: the definition of csrc/lang.c restated over code points. Byte offsets
# matter only for two bounded look-aheads (a tag name is at most 64 bytes, a \begin name at most
# 32), so the text is kept as UTF-8 bytes and decoded one code point at a time.

from grpo_c.rewards.text import SCRIPTS as _SCRIPTS  # noqa: E402
from grpo_c.rewards.text import target_scripts as _target_scripts  # noqa: E402

_CONTINUA = {"han", "hiragana", "katakana", "thai", "lao", "khmer", "myanmar"}


_NAMED_SCRIPTS = {name.upper(): name for name in _SCRIPTS}


def _script_of(cp):
    """Script name, or 'common', 'inherited', 'digit', 'invalid', from the Unicode character
    name and category (independent of the C range table)."""
    import unicodedata

    if cp is None:
        return "invalid"
    ch = chr(cp)
    category = unicodedata.category(ch)
    if category == "Nd":
        return "digit"
    if cp < 0x80:
        return "latin" if ch.isalpha() else "common"
    name = unicodedata.name(ch, "")
    if name.startswith(("COMBINING", "VARIATION SELECTOR", "ZERO WIDTH NON-JOINER",
                        "ZERO WIDTH JOINER")):
        return "inherited"
    if name.startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")):
        return "han"
    # The prolonged sound mark (Common in Scripts.txt) is part of katakana words: counted so.
    for prefix, script in (("FULLWIDTH LATIN", "latin"), ("HALFWIDTH KATAKANA", "katakana"),
                           ("KATAKANA-HIRAGANA PROLONGED", "katakana"),
                           ("HALFWIDTH HANGUL", "hangul")):
        if name.startswith(prefix):
            return script
    if category[0] in "LM":
        return _NAMED_SCRIPTS.get(name.split(" ")[0], "common")
    return "common"


def _decode(b, at):
    """(code point or None if invalid, width) at byte offset `at` (strict UTF-8)."""
    for width in (1, 2, 3, 4):
        chunk = b[at:at + width]
        try:
            s = chunk.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if len(s) == 1:
            return ord(s), width
    return None, 1


def language_units(text, target, region="think", think=("<think>", "</think>"),
                   continua_weight=1.0, ignore_acronyms=False):
    """(target units, other units, invalid UTF-8 count, excluded bytes) of one text."""
    mask = _target_scripts(target) if not isinstance(target, int) else target
    targets = {name for i, name in enumerate(_SCRIPTS) if mask >> i & 1}
    b = text.encode("utf-8", "surrogatepass")
    begin, end = 0, len(b)
    if region == "think":
        o, c = think[0].encode(), think[1].encode()
        if o in b:
            begin = b.index(o) + len(o)
            close = b.find(c, begin)
            end = close if close >= 0 else len(b)
        elif c in b:
            end = b.index(c)
    b = b[:end]
    counts = {"target": 0.0, "other": 0.0, "invalid": 0, "excluded": 0}

    def unit(script, weight):
        counts["target" if script in targets else "other"] += weight

    def word(start, stop):
        letters = []
        at = start
        while at < stop:
            cp, w = _decode(b, at)
            letters.append((cp, _script_of(cp)))
            at += w
        if any(cp == ord("_") or cls == "digit" for cp, cls in letters):
            return
        runs = []  # [script, letters, all caps]
        for cp, cls in letters:
            if cls in _SCRIPTS:
                if not runs or runs[-1][0] != cls:
                    runs.append([cls, 0, True])
                runs[-1][1] += 1
                if not (ord("A") <= cp <= ord("Z")):
                    runs[-1][2] = False
        for script, n, caps in runs:
            if script == "latin" and ((n == 1 and "latin" not in targets)
                                      or (ignore_acronyms and caps and n <= 5)):
                continue
            unit(script, 1.0)

    def closing(at, pat):
        hit = b.find(pat, at, end)
        return hit + len(pat) if hit >= 0 else None

    spaces = b" \t\n\r\f\v"

    def inline_math(at):
        """Pandoc's inline math: "$" + non-space ... non-space + "$" not before a digit, within
        one paragraph."""
        if at + 1 >= end or b[at + 1] in spaces:
            return None
        paragraph = b.find(b"\n\n", at + 1, end)
        stop = end if paragraph < 0 else paragraph
        for k in range(at + 2, stop):
            if b[k:k + 1] == b"$" and b[k - 1] not in spaces \
                    and not (k + 1 < end and b[k + 1:k + 2].isdigit()):
                return k + 1
        return None
    budget = [4 * (end - begin) + 4096]
    at, start = begin, None
    while at < end:
        ch = b[at:at + 1]
        nxt = None
        if b.startswith(b"```", at) or b.startswith(b"~~~", at):
            nxt = closing(at + 3, b[at:at + 3]) or end
        elif ch == b"`":
            k = at + 1
            while k < end and b[k:k + 1] not in (b"`", b"\n"):
                k += 1
            nxt = k + 1 if b[k:k + 1] == b"`" else at + 1
        elif ch == b"$":
            nxt = closing(at + 2, b"$$") if b.startswith(b"$$", at) else inline_math(at)
            nxt = nxt or at + 1
        elif ch == b"\\" and at + 1 < end:
            d = b[at + 1:at + 2]
            if d == b"(":
                nxt = closing(at + 2, b"\\)")
            elif d == b"[":
                nxt = closing(at + 2, b"\\]")
            elif b.startswith(b"\\begin{", at):
                k = at + 7
                while k < end and k - (at + 7) < 32 and b[k:k + 1] != b"}" and b[k] not in spaces:
                    k += 1
                if k < end and b[k:k + 1] == b"}" and k > at + 7:
                    pat = b"\\end{" + b[at + 7:k] + b"}"
                    limit = min(end, k + 1 + budget[0])
                    hit = b.find(pat, k + 1, limit)
                    budget[0] -= (hit if hit >= 0 else limit) - (k + 1)
                    nxt = hit + len(pat) if hit >= 0 else None
            if nxt is None:
                nxt = at + 1
                while nxt < end and (b[nxt] | 0x20) in range(ord("a"), ord("z") + 1):
                    nxt += 1
                if nxt == at + 1 and b[at + 1] < 0x80:
                    nxt = at + 2
        elif ch == b"<":
            k = at + 1
            if b[k:k + 1] == b"/":
                k += 1
            name = k
            while k < end and k - name < 64 and b[k:k + 1] not in (b">", b"<") \
                    and b[k] not in spaces:
                k += 1
            if k < end and b[k:k + 1] == b">" and k > name:
                nxt = k + 1
        elif ch == b":" and start is not None and b.startswith(b"://", at):
            start = None
            nxt = at
            while nxt < end and b[nxt] not in spaces:
                nxt += 1
        elif ch == b"@" and start is not None and at + 1 < end \
                and chr(b[at + 1]).isascii() and chr(b[at + 1]).isalnum():
            start = None
            nxt = at
            while nxt < end and b[nxt] not in spaces:
                nxt += 1
        if nxt is not None:
            if start is not None:
                word(start, at)
            start = None
            counts["excluded"] += nxt - at
            at = nxt
            continue
        cp, w = _decode(b, at)
        cls = _script_of(cp)
        spaced_letter = cls in _SCRIPTS and cls not in _CONTINUA
        in_word = spaced_letter or cls in ("inherited", "digit") or cp == ord("_")
        if not in_word and start is not None and cp in (ord("'"), 0x2019, ord("-")) \
                and at + w < end:
            after, _ = _decode(b, at + w)
            acls = _script_of(after)
            in_word = acls in _SCRIPTS and acls not in _CONTINUA
        if in_word:
            if start is None:
                start = at
        else:
            if start is not None:
                word(start, at)
            start = None
            if cls in _CONTINUA:
                unit(cls, continua_weight)
            elif cls == "invalid":
                counts["invalid"] += 1
        at += w
    if start is not None:
        word(start, end)
    return counts["target"], counts["other"], counts["invalid"], counts["excluded"]


def language_consistency(text, target, min_units=5.0, threshold=None, **options):
    if text is None:
        return math.nan
    t, o, _, _ = language_units(text, target, **options)
    if t + o == 0 or t + o < min_units:
        return math.nan
    share = t / (t + o)
    if threshold:
        return 1.0 if share >= threshold else 0.0
    return share
