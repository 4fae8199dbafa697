"""The math-answer accuracy reward: extract the final answer, parse it, compare it with the gold.

All work happens in C (``grpo_c._math``): no sympy, no signals, no timeouts, bounded time on any
input, the GIL released and all cores used for a batch. The verdict policy (which answer counts,
what is equal to what) is one table in docs/math.md.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, Sequence

import numpy as np

from grpo_c import _math
from grpo_c._threads import resolve_threads
from grpo_c.rewards.text import completion_text, texts_of

__all__ = ["accuracy", "parse_answer", "answers_equal", "completion_text", "MODES"]

#: Extraction modes. "default": last box, else last <answer> tag, else "#### n", else an anchored
#: phrase ("the answer is ...", "Answer: ..."). "strict": open-r1's setting, a box or an anchor
#: followed by LaTeX ($...$, \(...\), \[...\]). "boxed": only \boxed / \fbox.
MODES = {"default": 0, "strict": 1, "boxed": 2}


def _mode(mode: str) -> int:
    try:
        return MODES[mode]
    except (KeyError, TypeError):
        raise ValueError(f"mode: expected one of {sorted(MODES)}, got {mode!r}") from None


def _tolerance(float_rel_tol: float) -> float:
    if isinstance(float_rel_tol, bool) or not isinstance(float_rel_tol, (int, float)):
        raise TypeError(f"float_rel_tol: expected a float, got {type(float_rel_tol).__name__}")
    if not 0.0 < float(float_rel_tol) < 1.0:
        raise ValueError(f"float_rel_tol: expected a value in (0, 1), got {float_rel_tol!r}")
    return float(float_rel_tol)


def _solutions(values: Iterable[Any]) -> list:
    if isinstance(values, (str, bytes)):
        raise TypeError(f"solutions: expected a sequence of strings, got a single {type(values).__name__}")
    out = []
    for v in values:
        if isinstance(v, (str, bytes)):
            out.append(v)
        elif v is None or (isinstance(v, float) and math.isnan(v)):
            out.append("")
        elif isinstance(v, numbers.Number) and not isinstance(v, bool):
            out.append(str(v))
        else:
            raise TypeError(f"solutions: expected str, bytes or a number, got {type(v).__name__}")
    return out


def accuracy(completions: Sequence[Any], solutions: Sequence[Any], *,
             num_threads: int | None = None, mode: str = "default", after_think: bool = False,
             strict_latex: bool = False, float_rel_tol: float = 1e-6) -> np.ndarray:
    """Score each completion's final answer against its gold solution.

    Parameters
    ----------
    completions : sequence of str, bytes, None or chat messages
        Model outputs; chat completions read the first message's content; None scores NaN.
    solutions : sequence of str
        Gold answers, one per completion: plain (``"42"``), LaTeX (``"\\\\frac{1}{2}"``), a worked
        solution with a ``\\\\boxed{}`` answer, or GSM8K style ending in ``#### 42``.
    num_threads : int, optional
        Threads to use (default: ``grpo_c.get_num_threads()``); results do not depend on it.
    mode : {"default", "strict", "boxed"}
        Where the answer of a completion may be (see ``MODES``).
    after_think : bool
        Only the text after the last ``</think>`` counts; no ``</think>`` means no answer.
    strict_latex : bool
        Reject malformed shorthand such as ``\\\\frac12`` and ``\\\\sqrt3`` (open-r1 parity).
    float_rel_tol : float
        Relative tolerance when a decimal is involved (``1/3`` vs ``0.3333333``).

    Returns
    -------
    numpy.ndarray
        float32, shape ``(len(completions),)``: 1.0 equal, 0.0 not equal or no answer found,
        NaN for a None completion or where the gold itself cannot be parsed.

    Examples
    --------
    >>> accuracy(["so \\\\boxed{\\\\frac{1}{2}}", "\\\\boxed{0.4}", "no idea"], ["0.5", "0.5", "0.5"])
    array([1., 0., 0.], dtype=float32)
    """
    comps = list(texts_of(completions))   # a copy: None entries are filled in below
    golds = _solutions(solutions)
    if len(comps) != len(golds):
        raise ValueError(
            f"solutions: expected one per completion ({len(comps)}), got {len(golds)}")
    missing = [i for i, c in enumerate(comps) if c is None]
    for i in missing:
        comps[i] = ""
    scores = _math.accuracy(comps, golds, _mode(mode), int(bool(after_think)), bool(strict_latex),
                            _tolerance(float_rel_tol), resolve_threads(num_threads))
    scores[missing] = np.nan
    return scores


def parse_answer(text: Any, *, gold: bool = False, mode: str = "default",
                 after_think: bool = False, strict_latex: bool = False) -> dict:
    """Extract and parse one answer, for inspection.

    Returns a dict: ``answer`` (the answer's span as it appears in the input, box included),
    ``extracted`` (the text that was parsed, or None; several adjacent boxes are joined by
    ", "), ``kind``
    ("math", "text", "choice" or "none"), ``source`` ("boxed", "answer_tag", "anchor", "hashes",
    "whole" or "none"), ``normalized`` (a canonical rendering of the parsed answer), ``reason``
    (None, or why nothing could be read: "no_answer", "truncated", "empty", "too_long",
    "too_deep", "syntax", "no_think_end") and ``begin``/``end`` (byte offsets in the UTF-8 input).

    Examples
    --------
    >>> r = parse_answer("The answer is \\\\boxed{\\\\dfrac{3}{4}}.")
    >>> r["answer"], r["kind"], r["normalized"]
    ('\\\\boxed{\\\\dfrac{3}{4}}', 'math', '(3)/(4)')
    """
    if not isinstance(text, (str, bytes)):
        text = completion_text(text)
    return _math.parse(text, bool(gold), _mode(mode), int(bool(after_think)), bool(strict_latex))


def answers_equal(gold: Any, pred: Any, *, completion: bool = False, mode: str = "default",
                  after_think: bool = False, strict_latex: bool = False,
                  float_rel_tol: float = 1e-6) -> bool:
    """Whether ``pred`` states the same answer as ``gold``.

    By default both are answers (plain, LaTeX, or containing a box); with ``completion=True``
    ``pred`` is a whole completion and its final answer is extracted as ``accuracy`` does. A gold
    that cannot be parsed gives False (``accuracy`` gives NaN there).

    Examples
    --------
    >>> answers_equal("(x+1)^2", "x^2+2x+1"), answers_equal("x^2-1", "(x-1)^2")
    (True, False)
    """
    if not isinstance(gold, (str, bytes)):
        raise TypeError(f"gold: expected str or bytes, got {type(gold).__name__}")
    if not isinstance(pred, (str, bytes)):
        pred = completion_text(pred)
    verdict = _math.equal(gold, pred, bool(completion), _mode(mode), int(bool(after_think)),
                          bool(strict_latex), _tolerance(float_rel_tol))
    return verdict == 1
