"""Reward functions with verl's ``custom_reward_function`` signature:
``compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs) -> float``.
"""

from __future__ import annotations

import math
from typing import Any

from grpo_c.rewards import text as _text_rewards

# ---- format score (branch text) ----


def compute_format_score(data_source: Any, solution_str: Any, ground_truth: Any = None,
                         extra_info: Any = None, mode: str = "strict", prefilled: bool = False,
                         **kwargs: Any) -> Any:
    """Format score of one response (a float) or of a batch (lists in, list out, as verl's
    batched reward manager calls it); the mode is one of :func:`grpo_c.rewards.format`'s.
    A response that is neither str nor bytes scores 0.0 (verl expects a number).

    Examples
    --------
    >>> from grpo_c.integrations.verl import compute_format_score
    >>> compute_format_score("gsm8k", "<think>add</think><answer>4</answer>")
    1.0
    """
    batched = isinstance(solution_str, (list, tuple))
    items = list(solution_str) if batched else [solution_str]
    texts = [s if isinstance(s, (str, bytes)) else None for s in items]
    scores = _text_rewards.format(texts, mode=mode, prefilled=prefilled)
    values = [0.0 if v != v else float(v) for v in scores.tolist()]
    return values if batched else values[0]
# ---- end format score ----


# ---- math accuracy (grpo_c.rewards.math) -------------------------------------------------------

from grpo_c.rewards.math import accuracy as _accuracy


def compute_score(data_source: Any, solution_str: Any, ground_truth: Any, extra_info: Any = None,
                  **kwargs) -> Any:
    """verl custom reward: 1.0 if the response's final answer equals ``ground_truth``, else 0.0.

    ``data_source`` is accepted for signature compatibility (the same grader serves GSM8K
    ``#### n`` golds, MATH-style LaTeX golds and AIME integers). A gold that cannot be parsed
    scores 0.0, since verl needs a number. With lists (verl's batch reward manager) it returns a
    list, scored on all cores.

    Examples
    --------
    >>> compute_score("openai/gsm8k", "... so she pays #### $1,000", "1000")
    1.0
    """
    if isinstance(solution_str, (list, tuple)):
        golds = [str(g) for g in ground_truth]
        scores = _accuracy(list(solution_str), golds).tolist()
        return [0.0 if math.isnan(s) else float(s) for s in scores]
    score = float(_accuracy([solution_str], [str(ground_truth)])[0])
    return 0.0 if math.isnan(score) else score

# ---- end of math accuracy ----------------------------------------------------------------------
