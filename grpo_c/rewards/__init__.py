"""Rule rewards: each takes a whole batch and returns a float32 NumPy array (NaN = cannot judge)."""

from grpo_c.rewards.code import VERDICTS, CaseVerdict, code, extract_code, sandbox_info

__all__ = ["code", "extract_code", "sandbox_info", "CaseVerdict", "VERDICTS"]
