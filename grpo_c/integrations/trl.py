"""Reward functions with TRL / open-r1 calling conventions: ``f(completions, solution, **kwargs)``.

Each is a module-level function (picklable, ``__name__`` set) returning ``list[float | None]``,
where None tells TRL to skip a sample whose gold cannot be parsed.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

# ---- math accuracy (grpo_c.rewards.math) -------------------------------------------------------

from grpo_c.rewards.math import accuracy as _accuracy
from grpo_c.rewards.math import completion_text as _completion_text


def _as_rewards(values) -> list:
    return [None if math.isnan(v) else float(v) for v in values.tolist()]


def accuracy_reward(completions: Sequence[Any], solution: Sequence[Any], **kwargs) -> list:
    """open-r1 / TRL ``accuracy_reward``: 1.0 if the final answer equals the gold, else 0.0.

    Accepts string or chat-message completions; returns None where the gold cannot be parsed.
    Extra keyword arguments TRL passes (prompts, completion_ids, trainer_state, other dataset
    columns) are ignored.

    Examples
    --------
    >>> accuracy_reward([[{"role": "assistant", "content": "\\\\boxed{6}"}]], ["6"])
    [1.0]
    """
    return _as_rewards(_accuracy(list(completions), list(solution)))


def reasoning_accuracy_reward(completions: Sequence[Any], solution: Sequence[Any],
                              reasoning_delimiters: Sequence[str] | None = None,
                              **kwargs) -> list:
    """TRL ``reasoning_accuracy_reward``: only the text after the reasoning counts.

    The first delimiter (default ``"</think>"``) found in a completion splits it and the part
    after its last occurrence is judged; a completion without any delimiter scores 0.0
    (unfinished reasoning). None where the gold cannot be parsed.

    Examples
    --------
    >>> reasoning_accuracy_reward(["<think>\\\\boxed{9}", "<think>..</think> \\\\boxed{9}"], ["9", "9"])
    [0.0, 1.0]
    """
    delimiters = list(reasoning_delimiters) if reasoning_delimiters else ["</think>"]
    texts, finished = [], []
    for completion in completions:
        text = _completion_text(completion)
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        found = next((d for d in delimiters if d in text), None)
        finished.append(found is not None)
        texts.append(text.split(found)[-1] if found is not None else "")
    rewards = _as_rewards(_accuracy(texts, list(solution)))
    return [r if (done or r is None) else 0.0 for r, done in zip(rewards, finished)]


accuracy_reward.__name__ = "accuracy_reward"
reasoning_accuracy_reward.__name__ = "reasoning_accuracy_reward"

# ---- end of math accuracy ----------------------------------------------------------------------
