"""Rule rewards: each takes a whole batch and returns a float32 NumPy array (NaN = cannot judge)."""

from grpo_c.rewards.math import accuracy, answers_equal, parse_answer

__all__ = ["accuracy", "answers_equal", "parse_answer"]
