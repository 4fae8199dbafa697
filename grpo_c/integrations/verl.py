"""Reward functions with verl's ``custom_reward_function`` convention:
``compute_score(data_source, solution_str, ground_truth, extra_info=None, **kwargs)``."""

from __future__ import annotations

# ---- format score (branch text) ----
from typing import Any  # noqa: E402

from grpo_c.rewards import text as _text_rewards  # noqa: E402


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
