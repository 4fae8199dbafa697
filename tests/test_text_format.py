"""Format-family rewards against the peers' own rules: case tables (the peers' documented
examples restated) and the peers' regexes run as oracles over generated tag soups."""

import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grpo_c import reference, rewards
from grpo_c.integrations import trl

GOOD = "<think>\nSome reasoning\n</think>\n<answer>\nThe answer\n</answer>"

# (text, openr1, think, strict); comments name the peer behaviour being pinned.
FORMAT_CASES = [
    (GOOD, 1, 1, 1),
    ("<think>Only thinking</think>", 0, 1, 0),
    ("<answer>Only answer</answer>", 0, 0, 0),
    ("No tags at all", 0, 0, 0),
    ("<think>Missing closing</think><answer>Missing closing", 0, 1, 0),
    ("<think>Wrong order</answer><answer>Wrong order</think>", 0, 1, 0),
    ("<think>\nThis is my reasoning.\n</think>\nThis is my answer.", 0, 1, 0),  # TRL doc
    ("<think>\nThis is my reasoning.\nThis is my answer.", 0, 0, 0),  # TRL doc
    (GOOD + "\ntrailing junk", 1, 1, 0),  # MULTILINE `$` before "\n" (open-r1 quirk)
    (GOOD + "junk", 0, 1, 0),
    (GOOD + "\n", 1, 1, 1),
    (GOOD + GOOD, 1, 0, 0),  # repeated blocks (open-r1#359)
    ("<think>\n\n</think>\n<answer>\n\n</answer>", 1, 1, 0),  # empty blocks
    ("<think>\n</think>\n<answer>\n</answer>", 0, 1, 0),  # the two \n need a body between
    ("<think>a</think> <answer>b</answer>", 0, 1, 1),  # strict does not demand newlines
    ("  <think>a</think>\n<answer>b</answer>\n", 0, 0, 1),
    ("<think>a</think>\n<answer>b</answer> x", 0, 1, 0),
    ("<think>a<answer>x</answer></think><answer>b</answer>", 0, 1, 0),
    ("<think>a</think></think>", 0, 1, 0),  # TRL allows a second </think>
    ("", 0, 0, 0),
    # open-r1's older tests used a regex without the newlines; strict mode accepts them
    ("<think>Some reasoning</think><answer>The answer</answer>", 0, 1, 1),
    ("<think>\nI will count:\n1. a\n2. b\n</think>\n<answer>9</answer>", 0, 1, 1),
]


@pytest.mark.parametrize("text,openr1,think,strict", FORMAT_CASES)
def test_format_case_table(text, openr1, think, strict):
    for mode, want in (("openr1", openr1), ("think", think), ("strict", strict)):
        assert rewards.format([text], mode=mode)[0] == want, mode
        assert reference.format_reward(text, mode) == want, mode


def test_prefilled_templates():
    # R1-Distill prompts end with "<think>\n": the completion starts inside the block.
    body = "reasoning\n</think>\n<answer>\n42\n</answer>"
    assert rewards.format([body])[0] == 0.0  # open-r1 always 0 here (open-r1#560)
    assert rewards.format([body], prefilled=True)[0] == 1.0
    assert rewards.format([body], mode="think", prefilled=True)[0] == 1.0
    assert rewards.format([body], mode="strict", prefilled=True)[0] == 1.0
    assert rewards.format(["<think>" + body], mode="think", prefilled=True)[0] == 0.0


def test_custom_tags():
    text = "<reasoning>\nx\n</reasoning>\n<final>\ny\n</final>"
    tags = dict(think_tags=("<reasoning>", "</reasoning>"), answer_tags=("<final>", "</final>"))
    assert rewards.format([text], **tags)[0] == 1.0
    assert rewards.format([text])[0] == 0.0
    assert rewards.tag_count([text], **tags)[0] == 1.0
    with pytest.raises(ValueError, match="think_tags"):
        rewards.format([text], think_tags=("<a>",))
    with pytest.raises(ValueError, match="think_tags"):
        rewards.format([text], think_tags=("", "</a>"))


CODE = "<think>\nplan\n</think>\n<answer>\nHere:\n```python\nprint(1)\n```\ndone\n</answer>"


@pytest.mark.parametrize("text,language,want", [
    (CODE, "python", 1.0),
    (CODE, "cpp", 0.0),
    (CODE.replace("```python", "```python3"), "python", 1.0),  # literal prefix, as the regex
    (CODE.replace("\n```\ndone", "\ndone"), "python", 0.0),  # unclosed fence
    (CODE.replace("```python", "```"), "", 1.0),
    ("<think>\nplan\n</think>\n<answer>\nno code\n</answer>", "python", 0.0),
    (CODE + "\nafter", "python", 1.0),  # MULTILINE `$` quirk, as format_reward
])
def test_code_format_table(text, language, want):
    assert rewards.code_format([text], language)[0] == want
    assert reference.format_reward(text, "code", language=language) == want


def test_code_format_per_sample_language():
    fn = trl.get_code_format_reward("python")
    assert fn([CODE, CODE]) == [1.0, 1.0]
    assert fn([CODE, CODE], language=["python", "rust"]) == [1.0, 0.0]
    assert np.isnan(rewards.code_format([CODE, CODE], ["python", None])[1])
    with pytest.raises(ValueError, match="language"):
        rewards.code_format([CODE, CODE], ["python"])
    with pytest.raises(ValueError, match="think_tags"):
        rewards.format([CODE], think_tags=("<" + "t" * 90 + ">", "</t>"))


@pytest.mark.parametrize("text", [
    GOOD,
    "<think>\nSome reasoning\n</think>\n",  # 0.5 in open-r1's tests
    "<think>\n<think>\nSome reasoning\n</think>\n</think>\n",
    "\n</think>\n</think>\n",  # str.count does not count overlapping occurrences
    "\n<answer>\n<answer>\n",
    "",
    "no tags",
])
def test_tag_count_table(text):
    assert rewards.tag_count([text])[0] == reference.tag_count_reward(text)


def test_tag_count_values():
    assert rewards.tag_count([GOOD, "<think>\nSome reasoning\n</think>\n"]).tolist() == [1.0, 0.5]
    assert rewards.tag_count(["\n</think>\n</think>\n"])[0] == 0.25


@pytest.mark.parametrize("text,count", [
    ("Step 1: First step\nStep 2: Second step\nStep 3: Third step", 3),
    ("First, we do this.\nSecond, we do that.\nFinally, we conclude.", 3),
    ("Step 1: Only step", 1),  # open-r1's partial-credit cases
    ("First, we do this.\nFinally, we conclude.", 2),
    ("Just plain text without any clear steps", 0),
    ("1. First item\n2. Second item\n3. Third item", 1),  # ^ without MULTILINE: start only
    ("Intro\n- a\n* b\n- c", 3),
    ("Step 12: x", 1),
    ("Step : x", 0),
    ("Step ١٢: x", 1),  # \d is Unicode-aware in Python
    ("12. x", 1),
    ("12 x", 0),
    ("Next, then Next,Next,", 3),
    ("", 0),
])
def test_reasoning_steps_table(text, count):
    out, counts = rewards.reasoning_steps([text], return_counts=True)
    assert counts[0] == count
    assert out[0] == np.float32(min(1.0, count / 3))
    assert out[0] == np.float32(reference.reasoning_steps_reward(text))


PIECES = ["<think>", "</think>", "<answer>", "</answer>", "\n", "\n\n", " ", "x", "é", "中",
          "```", "```python", "Step 1:", "Step ", "3", "1.", "\n-", "\n*", "First,", "Finally,",
          "\ud800", "<", ">", "think"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=24), st.booleans())
def test_tag_soup_against_peer_regexes(parts, prefilled):
    text = "".join(parts)
    for mode in ("openr1", "think", "strict"):
        want = reference.format_reward(text, mode, prefilled=prefilled)
        assert rewards.format([text], mode=mode, prefilled=prefilled)[0] == want, (mode, text)
    for lang in ("python", ""):
        want = reference.format_reward(text, "code", prefilled=prefilled, language=lang)
        assert rewards.code_format([text], lang, prefilled=prefilled)[0] == want, text
    assert rewards.tag_count([text])[0] == reference.tag_count_reward(text)
    assert rewards.reasoning_steps([text])[0] == np.float32(reference.reasoning_steps_reward(text))


CUSTOM_PIECES = ["<r>", "</r>", "<a>", "</a>", "<r><r>", "[r]", "[/r]", "\n", " ", "y", "```c"]
# Tags sharing a first byte take the one-pass walks; mixed first bytes take the fallbacks.
TAG_SETS = [(("<r>", "</r>"), ("<a>", "</a>")), (("[r]", "[/r]"), ("<a>", "</a>"))]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(CUSTOM_PIECES), max_size=20), st.booleans(),
       st.sampled_from(TAG_SETS))
def test_custom_tag_soup_against_peer_regexes(parts, prefilled, tags):
    text = "".join(parts)
    for mode in ("openr1", "think", "strict"):
        want = reference.format_reward(text, mode, prefilled, *tags)
        got = rewards.format([text], mode=mode, prefilled=prefilled, think_tags=tags[0],
                             answer_tags=tags[1])[0]
        assert got == want, (mode, text)
    assert rewards.tag_count([text], think_tags=tags[0], answer_tags=tags[1])[0] == \
        reference.tag_count_reward(text, *tags)


def test_adversarial_input_is_linear_and_correct():
    # The input that makes open-r1's regex quadratic: the verdict must still be the regex's.
    text = "<think>\n" + "\n</think>\n<answer>\n" * 2000
    assert rewards.format([text])[0] == reference.format_reward(text)
    big = "<think>\n" + "\n</think>\n<answer>\n" * 20000
    assert rewards.format([big])[0] == 0.0


def test_threads_do_not_change_results():
    rng = np.random.default_rng(0)
    texts = ["".join(rng.choice(PIECES, size=rng.integers(0, 30))) for _ in range(3000)]
    for fn in (lambda t, k: rewards.format(t, num_threads=k),
               lambda t, k: rewards.format(t, mode="strict", num_threads=k),
               lambda t, k: rewards.tag_count(t, num_threads=k),
               lambda t, k: rewards.reasoning_steps(t, num_threads=k)):
        np.testing.assert_array_equal(fn(texts, 1), fn(texts, 4))


# ------------------------------------------------------------------ bad input


def test_none_chat_messages_and_bytes():
    parts = [{"role": "assistant", "content": [{"type": "text", "text": GOOD[:20]},
                                               {"type": "image"}, {"type": "text", "text": GOOD[20:]}]}]
    msgs = [[{"role": "assistant", "content": GOOD}], [], [{"role": "assistant", "content": None}],
            None, GOOD, GOOD.encode(), parts, {"role": "assistant", "content": GOOD}]
    out = rewards.format(msgs)
    assert out.tolist()[4:] == [1.0, 1.0, 1.0, 1.0] and out[0] == 1.0
    assert out[1] == 0.0 and out[2] == 0.0  # no content reads as "", as the math reward does
    assert np.isnan(out[3])
    assert trl.format_reward(msgs)[:4] == [1.0, 0.0, 0.0, None]
    # raw bytes with invalid UTF-8 are scanned as they are
    broken = b"<think>\n\xff\xfe\n</think>\n<answer>\n\xc3\n</answer>"
    assert rewards.format([broken])[0] == 1.0 and rewards.tag_count([broken])[0] == 1.0
    assert rewards.repetition([b"A \xff A \xff A \xff"], ngram_size=2)[0] == \
        np.float32(reference.repetition_penalty(["a", "\udcff"] * 3, 2))
    _, d = rewards.language_consistency([broken], "en", min_units=0, return_details=True)
    assert d["invalid"][0] == 2  # the two in the think block
    assert rewards.completion_lengths([b"\xc3\xa9t\xe9"]).tolist() == [3.0]


@pytest.mark.parametrize("bad,exc,match", [
    ("a string", TypeError, "single str"),
    (b"bytes", TypeError, "single bytes"),
    ([3], TypeError, r"completions\[0\]: expected str"),
    (["ok", 3.5], TypeError, r"completions\[1\]"),
    ([[5]], TypeError, r"completions\[0\]"),
    (42, TypeError, "sequence"),
])
def test_bad_completions_raise_clear_errors(bad, exc, match):
    for fn in (rewards.format, rewards.tag_count, rewards.reasoning_steps, rewards.code_format):
        with pytest.raises(exc, match=match):
            fn(bad)


def test_empty_batch_and_surrogates():
    for fn in (rewards.format, rewards.tag_count, rewards.reasoning_steps, rewards.code_format,
               rewards.repetition, rewards.language_consistency):
        out = fn([])
        assert out.shape == (0,) and out.dtype == np.float32
    lone = "<think>\n\udc80\n</think>\n<answer>\n\ud800\n</answer>"
    assert rewards.format([lone])[0] == reference.format_reward(lone) == 1.0
    assert rewards.tag_count([lone])[0] == 1.0


def test_bad_options():
    with pytest.raises(ValueError, match="mode"):
        rewards.format([GOOD], mode="regex")
    with pytest.raises(ValueError, match="num_threads"):
        rewards.format([GOOD], num_threads=0)
    with pytest.raises(ValueError, match="steps_for_full"):
        rewards.reasoning_steps([GOOD], steps_for_full=0)


def test_dropins_are_picklable_and_named():
    fns = [trl.format_reward, trl.think_format_reward, trl.tag_count_reward,
           trl.reasoning_steps_reward, trl.get_code_format_reward("python"),
           trl.get_repetition_penalty_reward(3, -1.0), trl.get_soft_overlong_punishment(100, 20),
           trl.get_cosine_scaled_reward(), trl.get_len_reward(),
           trl.get_language_consistency_reward("zh"), trl.language_consistency_reward]
    for fn in fns:
        clone = pickle.loads(pickle.dumps(fn))
        assert clone.__name__ == fn.__name__
    assert trl.get_code_format_reward("python").__name__ == "code_format_reward"
    assert trl.get_soft_overlong_punishment(1, 0).__name__ == "soft_overlong_punishment_reward"
    assert trl.get_repetition_penalty_reward().__name__ == "repetition_penalty_reward"


def test_dropin_values_match_peers():
    texts = [GOOD, GOOD + "\njunk", "<think>\nx\n</think>\ny", None]
    assert trl.format_reward(texts) == [1.0, 1.0, 0.0, None]
    assert trl.think_format_reward(texts) == [1.0, 1.0, 1.0, None]
    assert trl.strict_format_reward(texts) == [1.0, 0.0, 0.0, None]
    assert trl.tag_count_reward(texts[:3]) == [reference.tag_count_reward(t) for t in texts[:3]]
    steps = trl.reasoning_steps_reward(["Step 1: a", "First, b\n- c\n- d"])
    assert steps == [pytest.approx(1 / 3), 1.0]


def test_verl_compute_format_score():
    from grpo_c.integrations.verl import compute_format_score

    assert compute_format_score("x", GOOD) == 1.0
    assert compute_format_score("x", GOOD + "\njunk") == 0.0
    assert compute_format_score("x", GOOD + "\njunk", mode="openr1") == 1.0
    assert compute_format_score(["a", "b", "c"], [GOOD, "nope", None], [None] * 3) == [1.0, 0.0, 0.0]
    assert math.isclose(compute_format_score("x", "reasoning</think><answer>4</answer>",
                                             prefilled=True), 1.0)


def test_no_reference_leaks_and_inputs_untouched():
    import gc
    import sys

    item = "<think>\nx\n</think>\n<answer>\n\ud800 y\n</answer>"
    texts = [item, None, "plain"]
    snapshot = list(texts)
    before = sys.getrefcount(item)
    for _ in range(200):
        rewards.format(texts)
        rewards.format(texts, mode="strict")
        rewards.code_format(texts, ["python", None, "c"])
        rewards.tag_count(texts)
        rewards.reasoning_steps(texts)
        rewards.repetition(texts)
        rewards.language_consistency(texts, "en")
        rewards.repetition(completion_ids=[[1, 2, 3], [4]])
        with pytest.raises(TypeError):
            rewards.format([item, 5])
    gc.collect()  # the caught TypeErrors' tracebacks hold frames in cycles
    assert sys.getrefcount(item) == before
    assert texts == snapshot
