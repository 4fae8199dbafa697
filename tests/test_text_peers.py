"""Against the peer libraries themselves, when installed (skipped otherwise): TRL's reward
functions on generated inputs must equal our drop-ins."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grpo_c.integrations import trl as ours

PIECES = ["<think>", "</think>", "<answer>", "</answer>", "\n", " ", "x", "é"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PIECES), max_size=12).map("".join), max_size=6))
def test_trl_think_format_reward(texts):
    rewards = pytest.importorskip("trl.rewards")
    completions = [[{"role": "assistant", "content": t}] for t in texts]
    assert ours.think_format_reward(completions) == rewards.think_format_reward(completions)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 3), max_size=15), max_size=6), st.integers(1, 4))
def test_trl_repetition_and_overlong(ids, n):
    rewards = pytest.importorskip("trl.rewards")
    theirs = rewards.get_repetition_penalty_reward(ngram_size=n, max_penalty=-1.0)
    mine = ours.get_repetition_penalty_reward(ngram_size=n, max_penalty=-1.0, unit="tokens")
    assert mine(completion_ids=ids) == pytest.approx(theirs(completion_ids=ids), abs=1e-6)
    theirs = rewards.get_soft_overlong_punishment(max_completion_len=10, soft_punish_cache=4)
    mine = ours.get_soft_overlong_punishment(max_completion_len=10, soft_punish_cache=4)
    assert mine(completion_ids=ids) == pytest.approx(theirs(completion_ids=ids), abs=1e-6)


def test_trl_cosine_scaled_reward_with_trls_accuracy():
    rewards = pytest.importorskip("trl.rewards")
    pytest.importorskip("math_verify")
    completions = [[{"content": c}] for c in
                   ["so \\boxed{4}", "it is \\boxed{5}", "\\boxed{4} " * 40, "no idea"]]
    solution = ["$4$", "$4$", "$4$", "not a formula at all"]
    ids = [[1] * 3, [1] * 50, [1] * 400, [1] * 7]
    theirs = rewards.get_cosine_scaled_reward(max_len=100)(completions, solution, ids)

    def trl_accuracy(contents, solutions):
        return rewards.accuracy_reward([[{"content": c}] for c in contents], solutions)

    mine = ours.get_cosine_scaled_reward(max_len=100, accuracy=trl_accuracy, preset="trl")
    got = mine(completions, solution, completion_ids=ids)
    assert [g is None for g in got] == [t is None for t in theirs]
    assert [g for g in got if g is not None] == \
        pytest.approx([t for t in theirs if t is not None], abs=1e-6)
