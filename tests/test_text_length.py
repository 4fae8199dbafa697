"""Repetition and length rewards against the peers' formulas restated in grpo_c.reference."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grpo_c import reference, rewards
from grpo_c.integrations import trl

WORDS = ["a", "A", "b", "the", "THE", "é", "É", "中文", "x", "İ"]
SPACES = [" ", "\t", "\n", "\u00a0", "\u3000", "\u2009", "\x1c", "\u0085", "\u200b", "  "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SPACES)), max_size=30),
       st.integers(1, 4))
def test_repetition_words_against_openr1(pairs, n):
    text = "".join(w + s for w, s in pairs)
    got = rewards.repetition([text], ngram_size=n)[0]
    # open-r1: words = text.lower().split()
    want = reference.repetition_penalty(text.lower().split(), n, -1.0)
    assert got == np.float32(want), text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.integers(-3, 3), max_size=20), max_size=8), st.integers(1, 4),
       st.floats(-2, 0))
def test_repetition_ids_against_trl(ids, n, penalty):
    got = rewards.repetition(completion_ids=ids, ngram_size=n, max_penalty=penalty)
    want = [reference.repetition_penalty(x, n, penalty) for x in ids]
    np.testing.assert_array_equal(got, np.float32(want))


def test_repetition_documented_examples():
    assert rewards.repetition(["this this this this this"], ngram_size=2)[0] == -0.75
    assert rewards.repetition(["A B C A B C"], ngram_size=3)[0] == -0.25
    assert rewards.repetition(["", "one two"], ngram_size=3).tolist() == [0.0, 0.0]
    fn = trl.get_repetition_penalty_reward(ngram_size=2, max_penalty=-1.0, unit="tokens")
    assert fn([[1, 2, 3, 4], [5, 5, 5, 5, 5]]) == [0.0, -0.75]
    assert fn(completion_ids=[[1, 2, 3, 4], [5, 5, 5, 5, 5]]) == [0.0, -0.75]
    words = trl.get_repetition_penalty_reward(ngram_size=3)
    assert words(["A B C A B C", [{"content": "a b c a b c"}], None]) == [-0.25, -0.25, None]


def test_repetition_bad_input():
    with pytest.raises(ValueError, match="should not be positive"):
        trl.get_repetition_penalty_reward(3, 0.5)
    with pytest.raises(ValueError, match="greater than 0"):
        trl.get_repetition_penalty_reward(0, -1.0)
    with pytest.raises(ValueError, match="ngram_size"):
        rewards.repetition(["a"], ngram_size=0)
    with pytest.raises(TypeError, match=r"completion_ids\[0\]"):
        rewards.repetition(completion_ids=[["a", "b"]])
    with pytest.raises(TypeError, match=r"completion_ids\[0\]"):
        rewards.repetition(completion_ids=[[[1, 2]]])
    with pytest.raises(ValueError, match="completions or completion_ids"):
        rewards.repetition()
    assert rewards.repetition(completion_ids=[]).shape == (0,)
    big = rewards.repetition(completion_ids=[np.arange(100000) % 7], ngram_size=3)
    assert big[0] == np.float32((1 - 7 / 99998) * -1.0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.booleans()), min_size=1, max_size=12))
def test_kimi_length_against_openr1(rows):
    lengths = [n for n, _ in rows]
    correct = [c for _, c in rows]
    texts = ["x" * n for n in lengths]
    got = rewards.kimi_length(correct, texts)
    np.testing.assert_array_equal(got, np.float32(reference.kimi_length(lengths, correct)))


def test_kimi_length_groups_and_tokens():
    texts = ["a", "aaa", "aaaaa", "a", "aa", "aaa"]
    correct = [1, 1, 0, 1, 0, 1]
    by_group = rewards.kimi_length(correct, texts, group_size=3)
    want = reference.kimi_length([1, 3, 5], [1, 1, 0]) + reference.kimi_length([1, 2, 3], [1, 0, 1])
    np.testing.assert_array_equal(by_group, np.float32(want))
    same = rewards.kimi_length(correct, texts, group_ids=[7, 7, 7, 2, 2, 2])
    np.testing.assert_array_equal(same, by_group)
    tokens = rewards.kimi_length([1, 0], completion_ids=[[1], [1, 2, 3]])
    assert tokens.tolist() == [0.5, -0.5]
    out = rewards.kimi_length([1, float("nan")], ["a", "aa"])
    assert out[0] == 0.5 and math.isnan(out[1])


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 3000), st.booleans(), st.booleans(), st.integers(1, 2000))
def test_cosine_against_openr1(length, correct, clip, max_len):
    got = rewards.cosine_length([correct], ["x" * length], max_len=max_len, clip=clip)[0]
    want = reference.cosine_length(length, correct, max_len=max_len, clip=clip)
    assert got == pytest.approx(np.float32(want), abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 200), st.integers(0, 100), st.integers(0, 100))
def test_soft_overlong_against_dapo(length, max_len, cache):
    if cache > max_len:
        cache, max_len = max_len, cache
    got = rewards.soft_overlong(completion_ids=[[0] * length], max_completion_len=max_len,
                                soft_punish_cache=cache)[0]
    assert got == np.float32(reference.soft_overlong(length, max_len, cache))


def test_soft_overlong_trl_example_and_dropin():
    fn = trl.get_soft_overlong_punishment(max_completion_len=100, soft_punish_cache=20)
    assert fn([[1] * 90]) == [-0.5]
    assert fn(completion_ids=[[1] * 70, [1] * 120]) == [0.0, -1.0]
    with pytest.raises(ValueError):
        trl.get_soft_overlong_punishment(10, 20)


def test_length_dropins_with_accuracy():
    texts = ["\\boxed{4}", "long wrong " * 20, "\\boxed{5} " * 3]
    acc = [1.0, 0.0, None]
    kimi = trl.len_reward(texts, ["4", "4", "x"], accuracy=lambda c, s: acc)
    # open-r1 treats an unjudgeable gold as correct
    want = reference.kimi_length([len(t) for t in texts], [True, False, True])
    assert kimi == pytest.approx(want)
    cos = trl.get_cosine_scaled_reward(accuracy=lambda c, s: acc)(texts, ["4", "4", "x"])
    assert cos[:2] == pytest.approx([reference.cosine_length(len(texts[0]), True),
                                     reference.cosine_length(len(texts[1]), False)], abs=1e-6)
    assert cos[2] == 1.0  # open-r1: unparseable gold -> 1.0
    tok = trl.get_cosine_scaled_reward(accuracy=lambda c, s: [1.0, None], preset="trl",
                                       max_len=10)
    assert tok(["x", "y"], ["4", "x"], completion_ids=[[1] * 30, [1]]) == [0.5, None]
    with pytest.raises(ValueError, match="preset"):
        trl.get_cosine_scaled_reward(preset="verl")


def test_length_bad_input():
    with pytest.raises(ValueError, match="correct"):
        rewards.kimi_length([1, 0], ["a"])
    with pytest.raises(ValueError, match="group_size"):
        rewards.kimi_length([1, 0, 1], ["a", "b", "c"], group_size=2)
    with pytest.raises(ValueError, match="max_len"):
        rewards.cosine_length([1], ["a"], max_len=0)
    with pytest.raises(ValueError, match="soft_punish_cache"):
        rewards.soft_overlong(["a"], max_completion_len=1, soft_punish_cache=2)
    assert math.isnan(rewards.soft_overlong([None], max_completion_len=4, soft_punish_cache=2)[0])


def test_accuracy_default_is_the_math_reward():
    out = trl.len_reward(["\\boxed{1}", "\\boxed{3} and more"], ["1", "2"])
    assert len(out) == 2


# open-r1's tests/test_rewards.py cases, restated (text, ngram_size, max_penalty, expected)
OPENR1_REPETITION_CASES = [
    ("this is a test sentence", 2, -1.0, 0.0),
    ("this this this this this", 2, -1.0, -0.75),
    ("this is a this is a test", 2, -1.0, -1 / 3),
    ("this is a test", 3, -0.5, 0.0),
    ("test test test test", 3, -0.5, -0.25),
    ("", 2, -1.0, 0.0),
    ("this is a this is a test", 3, -2.0, -0.4),
    ("word", 3, -1.0, 0.0),
    ("two words", 3, -1.0, 0.0),
    ("three different words", 3, -1.0, 0.0),
    ("word word word word", 3, -1.0, -0.5),
    ("one two one two", 3, -1.0, 0.0),
    ("A B C A B", 3, -0.5, 0.0),
    ("A B C A B C", 3, -1.0, -0.25),
    ("A B C A B C E F G A B C A B C", 3, -1.0, -0.3846),
    ("A B C D E F G H I J K L", 3, -1.0, 0.0),
]


@pytest.mark.parametrize("text,n,penalty,want", OPENR1_REPETITION_CASES)
def test_openr1_repetition_cases(text, n, penalty, want):
    fn = trl.get_repetition_penalty_reward(ngram_size=n, max_penalty=penalty)
    assert fn([[{"content": text}]])[0] == pytest.approx(want, abs=1e-4)
    mixed = trl.get_repetition_penalty_reward(ngram_size=2)
    assert mixed(["This is A Test"]) == mixed(["this IS a test"])


@pytest.mark.parametrize("length,correct,want", [(20, True, 0.943), (80, True, 0.547),
                                                 (20, False, -0.942), (80, False, -0.547)])
def test_openr1_cosine_cases(length, correct, want):
    # open-r1's test pads a 22-character "\boxed{\frac{63}{400}}" with spaces up to `length`
    # (so its "20" case is 22 characters long) and expects these at max_len=100
    text = "\\boxed{\\frac{63}{400}}"
    text += " " * (length - len(text))
    fn = trl.get_cosine_scaled_reward(max_len=100, accuracy=lambda c, s: [float(correct)])
    assert fn([text], ["gold"])[0] == pytest.approx(want, abs=5e-3)
