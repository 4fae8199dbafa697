"""Reward functions with TRL's calling convention (open-r1's signatures), backed by grpo_c.

TRL calls ``reward_func(prompts=..., completions=..., **dataset_columns)`` and expects a list of
floats (None = not applicable). Each topic keeps its own delimited section below.
"""

from __future__ import annotations

import math
from typing import Any

# ---------------------------------------------------------------- code execution (branch sandbox)
# open-r1's code_reward / binary_code_reward, run locally in grpo_c's sandbox instead of
# E2B/Morph; `verification_info` is the dataset column {"language", "test_cases": [...]}.


def _completion_text(completion: Any) -> str:
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        return str(completion[-1].get("content", ""))
    raise TypeError(f"completions: expected str or a list of chat messages, "
                    f"got {type(completion).__name__}")


def _run_code_rewards(completions: list, verification_info: list | None, mode: str,
                      num_parallel: int | None, enforce_same_language: bool, timeout: float,
                      memory_mb: float) -> list[float | None]:
    from grpo_c.rewards import code

    if verification_info is None:
        raise ValueError("verification_info: this reward needs the dataset's verification_info "
                         "column ({'language', 'test_cases'})")
    if len(verification_info) != len(completions):
        raise ValueError(f"verification_info: expected {len(completions)} entries, "
                         f"got {len(verification_info)}")
    languages = [info.get("language", "python") if isinstance(info, dict) else "python"
                 for info in verification_info]
    if enforce_same_language and len(set(languages)) > 1:
        raise ValueError(f"verification_info: languages differ ({sorted(set(languages))}) "
                         "with enforce_same_language=True")
    texts = [_completion_text(c) for c in completions]
    out: list[float | None] = [None] * len(texts)
    aliases = {"python": "python", "python3": "python", "c": "c", "cpp": "cpp", "c++": "cpp"}
    for language in sorted(set(languages)):
        lang = aliases.get(language)
        if lang is None:
            continue  # a language we cannot run: None (not applicable), as open-r1's router does
        idx = [i for i, l in enumerate(languages) if l == language]
        rewards = code([texts[i] for i in idx], [verification_info[i] for i in idx],
                       language=lang, timeout=timeout, memory_mb=memory_mb,
                       workers=num_parallel, mode=mode)
        for i, r in zip(idx, rewards.tolist()):
            out[i] = None if math.isnan(r) else float(r)
    return out


def code_reward(completions: list, num_parallel: int | None = None, provider_type: str = "local",
                enforce_same_language: bool = False, verification_info: list | None = None,
                timeout: float = 5.0, memory_mb: float = 1024,
                **kwargs: Any) -> list[float | None]:
    """Fraction of test cases passed, per completion (open-r1 ``code_reward`` semantics, but an
    extra or missing output line fails). ``provider_type`` is accepted for compatibility and
    ignored: programs always run in the local sandbox, on ``num_parallel`` workers (default:
    all usable CPUs). Returns None where the sandbox itself failed.

    Examples
    --------
    >>> from grpo_c.integrations.trl import code_reward
    >>> msg = [{"role": "assistant", "content": "```python\\nprint(input())\\n```"}]
    >>> info = {"language": "python", "test_cases": [{"input": "7", "output": "7"}]}
    >>> code_reward([msg], verification_info=[info])
    [1.0]
    """
    return _run_code_rewards(completions, verification_info, "fraction", num_parallel,
                             enforce_same_language, timeout, memory_mb)


def binary_code_reward(completions: list, num_parallel: int | None = None,
                       provider_type: str = "local", enforce_same_language: bool = False,
                       verification_info: list | None = None, timeout: float = 5.0,
                       memory_mb: float = 1024, **kwargs: Any) -> list[float | None]:
    """1.0 when every test passes (open-r1: reward > 0.99), else 0.0; None passes through.
    A program stops at its first failing test, so failing batches cost less."""
    return _run_code_rewards(completions, verification_info, "all", num_parallel,
                             enforce_same_language, timeout, memory_mb)

# ---------------------------------------------------------------- end code execution
