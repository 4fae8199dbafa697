"""Reward functions with TRL / open-r1 calling conventions: ``f(completions, solution, **kwargs)``.

Each is a module-level function (picklable, ``__name__`` set) returning ``list[float | None]``,
where None tells TRL to skip a sample whose gold cannot be parsed.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

# ---- math accuracy (grpo_c.rewards.math) -------------------------------------------------------

from grpo_c.rewards.math import accuracy as _accuracy
from grpo_c.rewards.math import completion_text as _completion_text
from grpo_c.rewards.math import parse_answer as _parse_answer


def _as_rewards(values) -> list:
    return [None if math.isnan(v) else float(v) for v in values.tolist()]


def _log_parsed(log_extra, solution, contents, rewards) -> None:
    """The completions-table columns TRL's own accuracy rewards log."""
    if log_extra is None:
        return
    golds, answers = [], []
    for sol, content, reward in zip(solution, contents, rewards):
        if content is None:
            golds.append("[incomplete reasoning]")
            answers.append("[incomplete reasoning]")
            continue
        gold = _parse_answer(sol if isinstance(sol, (str, bytes)) else str(sol), gold=True)
        if reward is None:
            golds.append("[unparseable]")
            answers.append("[skipped]")
            continue
        answer = _parse_answer(content)
        golds.append(gold["normalized"])
        answers.append(answer["normalized"] if answer["kind"] != "none" else "[unparseable]")
    log_extra("solution", list(solution))
    log_extra("gold_parsed", golds)
    log_extra("answer_parsed", answers)


def accuracy_reward(completions: Sequence[Any], solution: Sequence[Any],
                    log_extra: Callable[[str, list], None] | None = None, **kwargs) -> list:
    r"""open-r1 / TRL ``accuracy_reward``: 1.0 if the final answer equals the gold, else 0.0.

    Accepts string or chat-message completions; returns None where the gold cannot be parsed.
    ``log_extra`` (passed by TRL's trainer) receives the solution, gold_parsed and answer_parsed
    columns as TRL's own reward logs them. Other keyword arguments TRL passes (prompts,
    completion_ids, trainer_state, dataset columns) are ignored.

    Examples
    --------
    >>> accuracy_reward([[{"role": "assistant", "content": "\\boxed{6}"}]], ["6"])
    [1.0]
    """
    contents = [_completion_text(c) for c in completions]
    rewards = _as_rewards(_accuracy(contents, list(solution)))
    _log_parsed(log_extra, solution, contents, rewards)
    return rewards


def reasoning_accuracy_reward(completions: Sequence[Any], solution: Sequence[Any],
                              reasoning_delimiters: Sequence[str] | None = None,
                              log_extra: Callable[[str, list], None] | None = None,
                              **kwargs) -> list:
    r"""TRL ``reasoning_accuracy_reward``: only the text after the reasoning counts.

    The first delimiter (default ``"</think>"``) found in a completion splits it and the part
    after its last occurrence is judged. A completion without any delimiter scores 0.0
    (unfinished reasoning, checked before the gold as TRL does); otherwise None where the gold
    cannot be parsed.

    Examples
    --------
    >>> reasoning_accuracy_reward(["<think>\\boxed{9}", "<think>..</think> \\boxed{9}"], ["9", "9"])
    [0.0, 1.0]
    """
    delimiters = list(reasoning_delimiters) if reasoning_delimiters else ["</think>"]
    texts = []
    for completion in completions:
        text = _completion_text(completion)
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        found = next((d for d in delimiters if d in text), None)
        texts.append(text.split(found)[-1] if found is not None else None)
    rewards = _as_rewards(_accuracy([t if t is not None else "" for t in texts], list(solution)))
    rewards = [r if t is not None else 0.0 for r, t in zip(rewards, texts)]
    _log_parsed(log_extra, solution, texts, rewards)
    return rewards


accuracy_reward.__name__ = "accuracy_reward"
reasoning_accuracy_reward.__name__ = "reasoning_accuracy_reward"

# ---- end of math accuracy ----------------------------------------------------------------------
