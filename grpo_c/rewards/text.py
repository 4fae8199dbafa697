"""Format, structure, language and length rewards over whole batches of completions.

Every function takes a batch and returns a float32 NumPy array with one reward per completion;
NaN marks a completion the rule cannot judge (a ``None`` completion, too little text to tell its
language). Completions are ``str``, ``bytes`` (raw UTF-8; invalid sequences are handled) or TRL
chat messages (``[{"role": "assistant", "content": ...}]``, of which the first message's content
is read, as open-r1 and TRL do; a message without content reads as ""). The scanning runs in C on the whole batch with the GIL released.

Each rule has a compatibility mode returning exactly what its peer returns (open-r1, TRL); where
the peer rewards something it should not, a separate mode fixes it and says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from grpo_c import _text
from grpo_c._threads import resolve_threads

__all__ = [
    "FORMAT_MODES",
    "LANGUAGE_SCRIPTS",
    "SCRIPTS",
    "code_format",
    "completion_lengths",
    "cosine_length",
    "format",
    "kimi_length",
    "language_consistency",
    "reasoning_steps",
    "repetition",
    "soft_overlong",
    "tag_count",
    "texts_of",
]

FORMAT_MODES = {"openr1": 0, "think": 1, "strict": 2, "code": 3}

#: Script names in the order of the C enum (bit i of a target mask is SCRIPTS[i]).
SCRIPTS = (
    "latin", "cyrillic", "greek", "armenian", "hebrew", "arabic", "devanagari", "bengali",
    "gurmukhi", "gujarati", "tamil", "telugu", "kannada", "malayalam", "thai", "lao",
    "georgian", "hangul", "hiragana", "katakana", "han", "khmer", "myanmar", "ethiopic",
)
assert len(SCRIPTS) == _text.SCRIPT_COUNT

_LATIN = ("en fr de es it pt nl sv da no nb nn fi pl cs sk sl hr bs ro hu tr vi id ms tl sw ca "
          "eu gl et lv lt sq is ga cy af uz az mt lb fy ha yo ig zu xh so eo la")
_CYRILLIC = "ru uk bg sr mk be kk ky mn tg tt ba"
_ARABIC = "ar fa ur ps ug ku sd"

#: ISO 639-1 code -> scripts whose words count as the target language.
LANGUAGE_SCRIPTS: dict[str, tuple[str, ...]] = {
    **{code: ("latin",) for code in _LATIN.split()},
    **{code: ("cyrillic",) for code in _CYRILLIC.split()},
    **{code: ("arabic",) for code in _ARABIC.split()},
    "zh": ("han",), "ja": ("han", "hiragana", "katakana"), "ko": ("hangul",),
    "el": ("greek",), "he": ("hebrew",), "yi": ("hebrew",), "hy": ("armenian",),
    "hi": ("devanagari",), "mr": ("devanagari",), "ne": ("devanagari",), "sa": ("devanagari",),
    "bn": ("bengali",), "as": ("bengali",), "pa": ("gurmukhi",), "gu": ("gujarati",),
    "ta": ("tamil",), "te": ("telugu",), "kn": ("kannada",), "ml": ("malayalam",),
    "th": ("thai",), "lo": ("lao",), "ka": ("georgian",), "am": ("ethiopic",),
    "ti": ("ethiopic",), "km": ("khmer",), "my": ("myanmar",),
}

#: Letters that are words when they stand alone, by language; English "a", "A" and "I" count for
#: every target (the one-letter words a chain of thought borrows most). Any other lone ASCII
#: letter is a math variable (x, n) and counts for no language.
ONE_LETTER_WORDS: dict[str, str] = {
    "en": "aAI", "fr": "aAyY", "es": "aAeEoOuUyY", "it": "aAeEiIoO", "pt": "aAeEoO",
    "ca": "aAeEiIoO", "ro": "aAoO", "nl": "uU", "hu": "aA", "sv": "iI", "da": "iI", "no": "iI",
    "pl": "aAiIoOuUwWzZ", "cs": "aAiIkKoOsSuUvVzZ", "sk": "aAiIkKoOsSuUvVzZ",
}

_PLAIN_TYPES = {str, bytes, type(None)}
_TAG_MAX_BYTES = 85  # TAG_MAX / 3 in csrc/text_rewards.c


def _message_content(item: Any, name: str) -> str | bytes:
    """The first message's content (open-r1/TRL); text parts joined; no content is ""."""
    message = item
    if isinstance(item, (list, tuple)):
        if not item:
            return ""
        message = item[0]
    if not isinstance(message, Mapping):
        raise TypeError(f"{name}: expected str, bytes, None or chat messages, got "
                        f"{type(item).__name__}")
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, (str, bytes)):
        return content
    if isinstance(content, list):  # multimodal parts: their text, in order
        return "".join(part.get("text", "") for part in content
                       if isinstance(part, Mapping) and part.get("type", "text") == "text")
    return str(content)


def completion_text(completion: Any) -> str | bytes | None:
    """The text of one completion as TRL passes it: a string (or None), or chat messages.

    Chat completions (``[{"role": "assistant", "content": ...}]``) read the first message's
    content, as open-r1 and TRL do; content given as a list of parts joins its text parts.

    Examples
    --------
    >>> completion_text([{"role": "assistant", "content": "\\\\boxed{4}"}])
    '\\\\boxed{4}'
    """
    if completion is None or isinstance(completion, (str, bytes)):
        return completion
    return _message_content(completion, "completion")


def texts_of(completions: Any, name: str = "completions") -> list:
    """The text of each completion: ``str`` and ``bytes`` (raw UTF-8) as they are, chat
    messages by their first message's content, ``None`` kept (its reward is NaN).

    Raises TypeError for a lone string (a batch is a sequence) and for items of other types.
    """
    if isinstance(completions, (str, bytes)):
        raise TypeError(f"{name}: expected a sequence of completions, got a single "
                        f"{type(completions).__name__}")
    if isinstance(completions, np.ndarray):
        completions = completions.tolist()
    if not isinstance(completions, (list, tuple)):
        try:
            completions = list(completions)
        except TypeError:
            raise TypeError(f"{name}: expected a sequence of completions, got "
                            f"{type(completions).__name__}") from None
    if set(map(type, completions)) <= _PLAIN_TYPES:
        return completions
    return [c if c is None or isinstance(c, (str, bytes)) else _message_content(c, f"{name}[{i}]")
            for i, c in enumerate(completions)]


def _tags(think_tags: Sequence[str], answer_tags: Sequence[str]) -> dict:
    for name, pair in (("think_tags", think_tags), ("answer_tags", answer_tags)):
        if (isinstance(pair, str) or len(pair) != 2
                or not all(isinstance(t, str) and 0 < len(t.encode("utf-8", "surrogatepass"))
                           <= _TAG_MAX_BYTES for t in pair)):
            raise ValueError(f"{name}: expected two non-empty strings (open, close) of at most "
                             f"{_TAG_MAX_BYTES} UTF-8 bytes, got {pair!r}")
    return {"think_open": think_tags[0], "think_close": think_tags[1],
            "answer_open": answer_tags[0], "answer_close": answer_tags[1]}


def format(completions: Sequence, *, mode: str = "openr1", prefilled: bool = False,
           think_tags: Sequence[str] = ("<think>", "</think>"),
           answer_tags: Sequence[str] = ("<answer>", "</answer>"),
           num_threads: int | None = None) -> np.ndarray:
    r"""R1 template format reward: 1.0 if a completion follows the think/answer template, else 0.

    Parameters
    ----------
    completions : sequence of str, None or chat messages
    mode : {"openr1", "think", "strict"}
        ``"openr1"``: open-r1 ``format_reward``, exactly the regex
        ``^<think>\n.*?\n</think>\n<answer>\n.*?\n</answer>$`` with DOTALL|MULTILINE, quirks
        included (text after ``</answer>\n`` passes, repeated and empty blocks pass).
        ``"think"``: TRL ``think_format_reward``, ``^<think>(?!.*<think>)(.*?)</think>.*$``:
        starts with ``<think>``, no second ``<think>``, a ``</think>`` somewhere.
        ``"strict"``: our fix: exactly one non-blank think block then one non-blank answer
        block, whitespace only around them, no tag inside a block; newlines are not required.
    prefilled : bool
        The chat template already emitted ``<think>`` (R1-Distill, Qwen3): the completion starts
        inside the think block. The result is the rule applied to ``"<think>" + completion``
        (``"<think>\n"`` in openr1 mode).
    think_tags, answer_tags : (open, close)
        Tag names, ``<think>``/``</think>`` and ``<answer>``/``</answer>`` by default.
    num_threads : int, optional

    Returns
    -------
    numpy.ndarray of float32, shape (N,); NaN for a None completion.

    Examples
    --------
    >>> from grpo_c import rewards
    >>> ok = "<think>\nadd them\n</think>\n<answer>\n4\n</answer>"
    >>> rewards.format([ok, ok + "\njunk", "no tags"]).tolist()
    [1.0, 1.0, 0.0]
    >>> rewards.format([ok, ok + "\njunk"], mode="strict").tolist()
    [1.0, 0.0]
    """
    if mode not in ("openr1", "think", "strict"):
        raise ValueError(f"mode: expected 'openr1', 'think' or 'strict', got {mode!r}")
    return _text.format_reward(texts_of(completions), FORMAT_MODES[mode], bool(prefilled),
                               num_threads=resolve_threads(num_threads),
                               **_tags(think_tags, answer_tags))


def code_format(completions: Sequence, language: str | Sequence[str] = "python", *,
                prefilled: bool = False, think_tags: Sequence[str] = ("<think>", "</think>"),
                answer_tags: Sequence[str] = ("<answer>", "</answer>"),
                num_threads: int | None = None) -> np.ndarray:
    r"""open-r1 ``code_format_reward``: the R1 template with a fenced code block in the answer.

    Exactly ``^<think>\n.*?\n</think>\n<answer>\n.*?```{language}.*?```.*?\n</answer>$`` with
    DOTALL|MULTILINE. The language is matched literally (open-r1 interpolates it into the regex
    unescaped, so e.g. ``"c++"`` means something else there).

    Parameters
    ----------
    completions : sequence of str, None or chat messages
    language : str or sequence of str
        One language for all, or one per completion (open-r1's per-sample ``language`` column;
        a None entry gives NaN).

    Examples
    --------
    >>> from grpo_c import rewards
    >>> text = "<think>\nplan\n</think>\n<answer>\n```python\nprint(1)\n```\n</answer>"
    >>> rewards.code_format([text, text], ["python", "cpp"]).tolist()
    [1.0, 0.0]
    """
    texts = texts_of(completions)
    languages = None
    code_language = language
    if not isinstance(language, str):
        languages = [lang if lang is None or isinstance(lang, str) else str(lang)
                     for lang in language]
        code_language = ""
    return _text.format_reward(texts, FORMAT_MODES["code"], bool(prefilled),
                               code_language=code_language, languages=languages,
                               num_threads=resolve_threads(num_threads),
                               **_tags(think_tags, answer_tags))


def tag_count(completions: Sequence, *, think_tags: Sequence[str] = ("<think>", "</think>"),
              answer_tags: Sequence[str] = ("<answer>", "</answer>"),
              num_threads: int | None = None) -> np.ndarray:
    r"""open-r1 ``tag_count_reward``: 0.25 for each of ``"<think>\n"``, ``"\n</think>\n"``,
    ``"\n<answer>\n"`` and ``"\n</answer>"`` occurring exactly once (non-overlapping count).

    Examples
    --------
    >>> from grpo_c import rewards
    >>> rewards.tag_count(["<think>\nx\n</think>\n<answer>\ny\n</answer>", "<think>\nx"]).tolist()
    [1.0, 0.25]
    """
    return _text.tag_count(texts_of(completions), num_threads=resolve_threads(num_threads),
                           **_tags(think_tags, answer_tags))


def reasoning_steps(completions: Sequence, *, steps_for_full: float = 3.0,
                    return_counts: bool = False, num_threads: int | None = None):
    r"""open-r1 ``reasoning_steps_reward``: ``min(1, count / 3)`` where count is the number of
    matches of ``(Step \d+:|^\d+\.|\n-|\n\*|First,|Second,|Next,|Finally,)``.

    As in open-r1 the pattern has no MULTILINE flag, so ``^\d+\.`` only matches at the very
    start of the text: a numbered list "1. a\n2. b\n3. c" counts once.

    Parameters
    ----------
    steps_for_full : float
        Count that earns the full reward (open-r1's "magic number" 3).
    return_counts : bool
        Also return the int64 match counts.

    Examples
    --------
    >>> from grpo_c import rewards
    >>> [round(float(x), 3) for x in rewards.reasoning_steps(["Step 1: a\nStep 2: b", "First,"])]
    [0.667, 0.333]
    """
    if not (isinstance(steps_for_full, (int, float)) and steps_for_full > 0
            and math.isfinite(steps_for_full)):
        raise ValueError(f"steps_for_full: expected a positive number, got {steps_for_full!r}")
    out, counts = _text.reasoning_steps(texts_of(completions), float(steps_for_full),
                                        num_threads=resolve_threads(num_threads))
    return (out, counts) if return_counts else out


# ------------------------------------------------------------------------- language


def target_scripts(language: str | Sequence[str]) -> int:
    """Bit mask of target scripts from a language code (``"zh"``, ``"en-US"``), a script name
    (``"han"``) or a sequence of script names."""
    names: Sequence[str]
    if isinstance(language, str):
        key = language.strip().lower().replace("_", "-")
        if key in SCRIPTS:
            names = (key,)
        else:
            names = LANGUAGE_SCRIPTS.get(key) or LANGUAGE_SCRIPTS.get(key.split("-")[0], ())
            if not names:
                raise ValueError(f"language: unknown language or script {language!r}; pass a "
                                 f"script name from grpo_c.rewards.text.SCRIPTS or a list")
    else:
        names = list(language)
        if not names:
            raise ValueError("language: expected at least one script name")
    mask = 0
    for name in names:
        if name not in SCRIPTS:
            raise ValueError(f"language: unknown script {name!r}; expected one of {SCRIPTS}")
        mask |= 1 << SCRIPTS.index(name)
    return mask


def one_letter_word_mask(language: Any, letters: str | None = None) -> int:
    """Bit mask of the ASCII letters that are words when alone (bit k: ``'a' + k``, then
    ``'A' + k - 26``): ``letters`` if given, else English's and the target language's."""
    if letters is None:
        letters = ONE_LETTER_WORDS["en"]
        if isinstance(language, str):
            key = language.strip().lower().replace("_", "-")
            letters += ONE_LETTER_WORDS.get(key.split("-")[0], "")
    elif not isinstance(letters, str) or not all(c.isascii() and c.isalpha() for c in letters):
        raise ValueError(f"one_letter_words: expected a string of ASCII letters, got {letters!r}")
    mask = 0
    for c in letters:
        mask |= 1 << (ord(c) - ord("a") if c.islower() else ord(c) - ord("A") + 26)
    return mask


def _prompt_texts(prompts: Sequence) -> list:
    """A prompt's text: a str as is; of chat messages, the last user message (a system prompt
    is often in another language than the question)."""
    if isinstance(prompts, (str, bytes)):
        raise TypeError("prompts: expected a sequence of prompts, got a single "
                        f"{type(prompts).__name__}")
    out: list = []
    for i, prompt in enumerate(prompts):
        if prompt is None or isinstance(prompt, str):
            out.append(prompt)
        elif isinstance(prompt, (list, tuple)):
            users = [m for m in prompt if isinstance(m, Mapping) and m.get("role") == "user"]
            chosen = (users or list(prompt) or [None])[-1]
            out.append(_message_content([chosen] if chosen is not None else [], f"prompts[{i}]"))
        else:
            raise TypeError(f"prompts[{i}]: expected str, None or chat messages, got "
                            f"{type(prompt).__name__}")
    return out


def _auto_targets(prompts: Sequence, n: int, opts: dict, num_threads: int) -> list:
    texts = _prompt_texts(prompts)
    if len(texts) != n:
        raise ValueError(f"prompts: expected {n} entries (one per completion), got {len(texts)}")
    # Count every script as "target" to get the raw per-script histogram of each prompt.
    _, _, _, hist, _, _ = _text.language_consistency(
        texts, (1 << len(SCRIPTS)) - 1, 1, min_units=0.0, num_threads=num_threads, **opts)
    han, hira, kata = (SCRIPTS.index(s) for s in ("han", "hiragana", "katakana"))
    masks: list = []
    for row in hist:
        if row.sum() < 5:
            masks.append(None)
            continue
        best = int(np.argmax(row))
        if best in (han, hira, kata) and row[hira] + row[kata] > 0:
            masks.append(target_scripts("ja"))
        else:
            masks.append(1 << best)
    return masks


def language_consistency(completions: Sequence, language: str | Sequence[str] = "en", *,
                         prompts: Sequence | None = None, region: str = "think",
                         think_tags: Sequence[str] = ("<think>", "</think>"),
                         threshold: float | None = None, min_units: float = 5.0,
                         continua_weight: float = 1.0, ignore_acronyms: bool = False,
                         one_letter_words: str | None = None, return_details: bool = False,
                         num_threads: int | None = None):
    r"""Language consistency (DeepSeek-R1 section 2.3.3): the share of chain-of-thought words
    written in the target language, judged by Unicode script.

    Fenced and inline code, LaTeX (``$..$`` by pandoc's rule, which leaves prices alone,
    ``$$..$$``, ``\(..\)``, ``\[..\]``,
    ``\begin{X}..\end{X}``, ``\commands``), URLs, e-mail addresses and ``<tags>`` are excluded;
    words holding digits or ``_`` are identifiers and do not count; a lone ASCII letter is a math
    variable and counts for no target, unless it is a one-letter word (``one_letter_words``). Han, kana, Thai, Lao, Khmer and
    Myanmar count one unit per character, weighted by ``continua_weight``. Script alone cannot
    tell apart languages sharing a script (English and French both pass an ``"en"`` target).

    Parameters
    ----------
    completions : sequence of str, None or chat messages
    language : str or sequence of str
        Target: an ISO 639-1 code (``"zh"``, ``"en"``, ``"ja"``), a script name, a list of script
        names, or ``"auto"``: each completion's target is the majority script of its prompt
        (needs ``prompts``; for chat prompts the last user message; NaN when the prompt has
        fewer than 5 letter units; Han with any kana means Japanese).
    region : {"think", "all"}
        ``"think"``: text after the first ``<think>`` up to the next ``</think>`` (or the end);
        with no ``<think>`` (prefilled templates) the text before ``</think>``; with neither, the
        whole text. ``"all"``: the whole text.
    threshold : float, optional
        Return 1.0 when the share is at least ``threshold``, else 0.0 (binary mode, as open-r1
        PR #683 and torchforge do with a detector); default: the share itself.
    min_units : float
        Fewer weighted letter units than this: NaN (cannot judge).
    ignore_acronyms : bool
        All-caps Latin words of at most 5 letters (API, GCD) count for no language.
    one_letter_words : str, optional
        The ASCII letters that are words when they stand alone; default: English's ("aAI") plus
        the target language's (``ONE_LETTER_WORDS``: Spanish "y", Polish "w", ...).
    return_details : bool
        Also return a dict with ``target`` and ``other`` unit counts, the per-script ``hist``
        (N, len(SCRIPTS)), ``invalid`` UTF-8 sequence counts and ``excluded`` bytes (skipped as
        code, math, markup or URLs: a large share can mean text hidden from the reward, e.g.
        in an unclosed fence).

    Examples
    --------
    >>> from grpo_c import rewards
    >>> cot = "<think>我们 compute the 值</think>答案是 5"
    >>> [round(float(x), 2) for x in rewards.language_consistency([cot], "zh")]
    [0.6]
    >>> cot = "<think>令 $x^2 = 4$，所以 x 等于二</think>"
    >>> rewards.language_consistency([cot], "zh").tolist()
    [1.0]
    """
    texts = texts_of(completions)
    threads = resolve_threads(num_threads)
    if region not in ("think", "all"):
        raise ValueError(f"region: expected 'think' or 'all', got {region!r}")
    if threshold is not None and not (0.0 < threshold <= 1.0):
        raise ValueError(f"threshold: expected a number in (0, 1], got {threshold!r}")
    if not (min_units >= 0 and math.isfinite(min_units)):
        raise ValueError(f"min_units: expected a finite number >= 0, got {min_units!r}")
    if not (continua_weight > 0 and math.isfinite(continua_weight)):
        raise ValueError(f"continua_weight: expected a positive number, got {continua_weight!r}")
    tags = _tags(think_tags, ("<answer>", "</answer>"))
    opts = {"think_open": tags["think_open"], "think_close": tags["think_close"],
            "continua_weight": float(continua_weight),
            "ignore_acronyms": bool(ignore_acronyms),
            "one_letter_words": one_letter_word_mask(language, one_letter_words)}
    region_code = 0 if region == "think" else 1
    scan = dict(opts, min_units=float(min_units), threshold=float(threshold or 0.0),
                num_threads=threads)
    if isinstance(language, str) and language == "auto":
        if prompts is None:
            raise ValueError("language='auto' needs prompts= (one per completion)")
        masks = _auto_targets(prompts, len(texts), opts, threads)
        out = np.full(len(texts), np.nan, dtype=np.float32)
        details = {"target": np.zeros(len(texts)), "other": np.zeros(len(texts)),
                   "hist": np.zeros((len(texts), len(SCRIPTS)), dtype=np.int64),
                   "invalid": np.zeros(len(texts), dtype=np.int64),
                   "excluded": np.zeros(len(texts), dtype=np.int64)}
        for mask in {m for m in masks if m is not None}:
            idx = [i for i, m in enumerate(masks) if m == mask]
            res = _text.language_consistency([texts[i] for i in idx], mask, region_code, **scan)
            out[idx] = res[0]
            for key, value in zip(("target", "other", "hist", "invalid", "excluded"), res[1:]):
                details[key][idx] = value
    else:
        out, target, other, hist, invalid, excluded = _text.language_consistency(
            texts, target_scripts(language), region_code, **scan)
        details = {"target": target, "other": other, "hist": hist, "invalid": invalid,
                   "excluded": excluded}
    return (out, details) if return_details else out


# ------------------------------------------------------------------------- repetition


def _flat_ids(completion_ids: Sequence) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(completion_ids, (str, bytes)):
        raise TypeError("completion_ids: expected a sequence of token id sequences")
    lengths = np.empty(len(completion_ids), dtype=np.int64)
    parts = []
    for i, ids in enumerate(completion_ids):
        arr = np.asarray(ids)
        if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "biu"):
            raise TypeError(f"completion_ids[{i}]: expected a 1-d sequence of integers, got "
                            f"{arr.dtype} with shape {arr.shape}")
        lengths[i] = arr.size
        parts.append(arr.astype(np.int64, copy=False))
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return flat, offsets


def repetition(completions: Sequence | None = None, *, completion_ids: Sequence | None = None,
               ngram_size: int = 3, max_penalty: float = -1.0, lowercase: bool = True,
               num_threads: int | None = None) -> np.ndarray:
    """N-gram repetition penalty (Demystifying Long CoT, App. C.2; open-r1 and TRL).

    ``(1 - distinct n-grams / n-grams) * max_penalty``; 0.0 when there are fewer than
    ``ngram_size`` units. Over token ids when ``completion_ids`` is given (TRL), else over the
    lowercased whitespace-separated words of the text (open-r1, ``text.lower().split()``).

    Examples
    --------
    >>> from grpo_c import rewards
    >>> rewards.repetition(["A B C A B C", "a b c d"]).tolist()
    [-0.25, 0.0]
    >>> rewards.repetition(completion_ids=[[1, 2, 3, 4], [5, 5, 5, 5, 5]], ngram_size=2).tolist()
    [0.0, -0.75]
    """
    if isinstance(ngram_size, bool) or not isinstance(ngram_size, (int, np.integer)) \
            or ngram_size < 1:
        raise ValueError(f"ngram_size: expected a positive integer, got {ngram_size!r}")
    if not (max_penalty <= 0 and math.isfinite(max_penalty)):
        raise ValueError(f"max_penalty: expected a finite number <= 0, got {max_penalty!r}")
    threads = resolve_threads(num_threads)
    if completion_ids is not None:
        flat, offsets = _flat_ids(completion_ids)
        return _text.repetition_ids(flat, offsets, int(ngram_size), float(max_penalty),
                                    num_threads=threads)
    if completions is None:
        raise ValueError("repetition: pass completions or completion_ids")
    texts = texts_of(completions)
    if lowercase:
        # ASCII text is folded in C (same result as str.lower); only the rest needs Python.
        texts = [t if t is None or t.isascii() else
                 (t.decode("utf-8", "surrogateescape").lower().encode("utf-8", "surrogateescape")
                  if isinstance(t, bytes) else t.lower()) for t in texts]
    return _text.repetition_words(texts, int(ngram_size), float(max_penalty),
                                  fold_ascii_case=bool(lowercase), num_threads=threads)


# ------------------------------------------------------------------------- length


def completion_lengths(completions: Sequence | None = None, *,
                       completion_ids: Sequence | None = None) -> np.ndarray:
    """Lengths in tokens when ``completion_ids`` is given, else in characters (code points, as
    Python's ``len``); NaN for a missing completion."""
    if completion_ids is not None:
        if isinstance(completion_ids, (str, bytes)):
            raise TypeError("completion_ids: expected a sequence of token id sequences")
        return np.array([np.nan if ids is None else len(ids) for ids in completion_ids],
                        dtype=np.float64)
    if completions is None:
        raise ValueError("pass completions or completion_ids")
    return np.array([np.nan if t is None else
                     len(t.decode("utf-8", "surrogateescape") if isinstance(t, bytes) else t)
                     for t in texts_of(completions)], dtype=np.float64)


def _correctness(correct: Any, n: int) -> np.ndarray:
    arr = np.asarray(correct, dtype=np.float64) if correct is not None else None
    if arr is None or arr.shape != (n,):
        raise ValueError(f"correct: expected {n} values (one per completion), got "
                         f"{None if arr is None else arr.shape}")
    return arr


def kimi_length(correct: Any, completions: Sequence | None = None, *,
                completion_ids: Sequence | None = None, group_size: int | None = None,
                group_ids: Any = None) -> np.ndarray:
    """Kimi k1.5 length reward (open-r1 ``len_reward``).

    ``lam = 0.5 - (len - min_len) / (max_len - min_len)``; correct -> ``lam``, wrong ->
    ``min(0, lam)``; 0.0 for everyone when all lengths are equal. open-r1 takes min/max over
    the whole batch it is given (the default here); Kimi takes them per prompt, which
    ``group_size`` (contiguous groups) or ``group_ids`` selects.

    Parameters
    ----------
    correct : array-like (N,)
        1/True correct, 0/False wrong, NaN unknown (the reward is NaN).

    Examples
    --------
    >>> from grpo_c import rewards
    >>> rewards.kimi_length([1, 0, 1], ["aa", "aaaa", "aaaaaa"]).tolist()
    [0.5, 0.0, -0.5]
    """
    lengths = completion_lengths(completions, completion_ids=completion_ids)
    ok = _correctness(correct, len(lengths))
    groups = _group_index(len(lengths), group_size, group_ids)
    out = np.full(len(lengths), np.nan, dtype=np.float64)
    for members in groups:
        lens = lengths[members]
        valid = ~np.isnan(lens)
        if not valid.any():
            continue
        lo, hi = lens[valid].min(), lens[valid].max()
        if hi == lo:
            lam = np.zeros(len(members))
        else:
            lam = 0.5 - (lens - lo) / (hi - lo)
        c = ok[members]
        out[members] = np.where(c > 0.5, lam, np.minimum(0.0, lam))
        out[members[np.isnan(c) | np.isnan(lens)]] = np.nan
    return out.astype(np.float32)


def _group_index(n: int, group_size: int | None, group_ids: Any) -> list:
    if group_size is not None and group_ids is not None:
        raise ValueError("pass group_size or group_ids, not both")
    if group_ids is not None:
        ids = np.asarray(group_ids)
        if ids.shape != (n,):
            raise ValueError(f"group_ids: expected shape ({n},), got {ids.shape}")
        _, inverse = np.unique(ids, return_inverse=True)
        return [np.flatnonzero(inverse == g) for g in range(inverse.max() + 1)] if n else []
    if group_size is not None:
        if group_size < 1 or n % group_size:
            raise ValueError(f"group_size: expected a positive divisor of {n}, got {group_size}")
        return [np.arange(s, s + group_size) for s in range(0, n, group_size)]
    return [np.arange(n)] if n else []


def cosine_length(correct: Any, completions: Sequence | None = None, *,
                  completion_ids: Sequence | None = None, min_value_wrong: float = -1.0,
                  max_value_wrong: float = -0.5, min_value_correct: float = 0.5,
                  max_value_correct: float = 1.0, max_len: float = 1000,
                  clip: bool = False) -> np.ndarray:
    """Cosine-scaled length reward (Demystifying Long CoT, App. C.1; open-r1 and TRL).

    ``r = lo + 0.5 (hi - lo)(1 + cos(pi * len / max_len))`` with ``(lo, hi) =
    (min_value_correct, max_value_correct)`` when correct and ``(max_value_wrong,
    min_value_wrong)`` when wrong: short correct answers earn most, short wrong ones lose most.
    open-r1 does not clip ``len / max_len`` (past ``max_len`` the cosine rises again, open-r1
    #312); ``clip=True`` clips it to 1 as TRL does. Lengths are tokens with ``completion_ids``
    (TRL), characters otherwise (open-r1).

    Examples
    --------
    >>> from grpo_c import rewards
    >>> rewards.cosine_length([1, 1, 0], ["", "x" * 1000, ""]).tolist()
    [1.0, 0.5, -1.0]
    """
    if not (max_len > 0):
        raise ValueError(f"max_len: expected a positive number, got {max_len!r}")
    lengths = completion_lengths(completions, completion_ids=completion_ids)
    ok = _correctness(correct, len(lengths))
    progress = lengths / max_len
    if clip:
        progress = np.minimum(progress, 1.0)
    cosine = np.cos(progress * math.pi)
    lo = np.where(ok > 0.5, min_value_correct, max_value_wrong)
    hi = np.where(ok > 0.5, max_value_correct, min_value_wrong)
    out = lo + 0.5 * (hi - lo) * (1.0 + cosine)
    out[np.isnan(ok)] = np.nan
    return out.astype(np.float32)


def soft_overlong(completions: Sequence | None = None, *, completion_ids: Sequence | None = None,
                  max_completion_len: int = 16384, soft_punish_cache: int = 4096) -> np.ndarray:
    """DAPO soft overlong punishment (eq. 13; open-r1 and TRL).

    0 up to ``max_completion_len - soft_punish_cache``, then a linear ramp to -1 at
    ``max_completion_len``, -1 beyond. Lengths are tokens with ``completion_ids`` (as the peers
    use), characters otherwise.

    Examples
    --------
    >>> from grpo_c import rewards
    >>> rewards.soft_overlong(completion_ids=[[1] * 70, [1] * 90, [1] * 120],
    ...                       max_completion_len=100, soft_punish_cache=20).tolist()
    [0.0, -0.5, -1.0]
    """
    if soft_punish_cache < 0 or max_completion_len < soft_punish_cache:
        raise ValueError(f"soft_punish_cache: expected 0 <= soft_punish_cache <= "
                         f"max_completion_len, got {soft_punish_cache} and {max_completion_len}")
    lengths = completion_lengths(completions, completion_ids=completion_ids)
    start = max_completion_len - soft_punish_cache
    with np.errstate(divide="ignore", invalid="ignore"):
        ramp = (start - lengths) / soft_punish_cache if soft_punish_cache else lengths * 0.0
    out = np.where(lengths <= start, 0.0, np.where(lengths <= max_completion_len, ramp, -1.0))
    out[np.isnan(lengths)] = np.nan
    return out.astype(np.float32)


def accuracy_or(accuracy: Callable | Any | None, contents: list, solutions: Any) -> np.ndarray:
    """Correctness for the length rewards: an array as given, a callable called as
    ``accuracy(contents, solutions)``, or grpo_c.rewards.accuracy when None."""
    if accuracy is None:
        from grpo_c.rewards.math import accuracy   # math imports this module
    if callable(accuracy):
        if solutions is None:
            raise ValueError("solution: needed to judge correctness")
        result = accuracy(contents, solutions)
        return np.array([np.nan if r is None else r for r in result], dtype=np.float64)
    return np.asarray(accuracy, dtype=np.float64)
