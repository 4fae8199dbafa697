"""Rule rewards: each takes a whole batch and returns a float32 NumPy array (NaN = cannot judge)."""

# ---- text rewards and the combiner (branch text) ----
from grpo_c.rewards.combination import combine
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
# ---- end text rewards ----
