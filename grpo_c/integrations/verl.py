"""Reward functions with verl's ``custom_reward_function`` signature:
``compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs) -> float``.
"""

from __future__ import annotations

import math
from typing import Any

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
