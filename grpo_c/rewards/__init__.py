"""Rule rewards: each takes a whole batch and returns a float32 NumPy array (NaN = cannot judge)."""

from grpo_c.rewards.code import VERDICTS, CaseVerdict, code, extract_code, sandbox_info
from grpo_c.rewards.combination import combine
from grpo_c.rewards.math import accuracy, answers_equal, parse_answer
from grpo_c.rewards.text import (
    code_format,
    completion_lengths,
    cosine_length,
    format,
    kimi_length,
    language_consistency,
    reasoning_steps,
    repetition,
    soft_overlong,
    tag_count,
)

__all__ = [
    "VERDICTS",
    "accuracy",
    "answers_equal",
    "CaseVerdict",
    "code",
    "code_format",
    "combine",
    "completion_lengths",
    "cosine_length",
    "extract_code",
    "format",
    "kimi_length",
    "language_consistency",
    "parse_answer",
    "reasoning_steps",
    "repetition",
    "sandbox_info",
    "soft_overlong",
    "tag_count",
]
