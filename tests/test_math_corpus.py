"""The accuracy reward against our verdict corpus (tests/data/math_corpus.jsonl).

The corpus holds (gold, completion, expected) cases written for grpo_c, one or more per
topic of the verdict policy (docs/math.md) plus the peers' known
false positives and negatives; tests/data/build_math_corpus.py generates it. A verdict failure
reports every failing case at once, so one run shows the whole picture.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import pathlib

import numpy as np
import pytest

import grpo_c.rewards

CORPUS_PATH = pathlib.Path(__file__).parent / "data" / "math_corpus.jsonl"
CASES = [json.loads(line) for line in CORPUS_PATH.read_text(encoding="utf-8").splitlines()]
GOLDS = [c["gold"] for c in CASES]
COMPLETIONS = [c["completion"] for c in CASES]

accuracy = getattr(grpo_c.rewards, "accuracy", None)
needs_accuracy = pytest.mark.skipif(accuracy is None,
                                    reason="grpo_c.rewards.accuracy is not on this branch")


def _load_builder():
    """The corpus generator module, loaded from its file (tests/data is not a package)."""
    spec = importlib.util.spec_from_file_location("build_math_corpus",
                                                  CORPUS_PATH.with_name("build_math_corpus.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _excerpt(text: str, limit: int = 160) -> str:
    """Short one-line view of a possibly long completion: its head and its tail."""
    flat = text.replace("\n", "\\n")
    if len(flat) <= limit:
        return flat
    return flat[: limit // 2 - 3] + " ... " + flat[-(limit // 2 - 2):]


def _verdict_matches(got: float, expected) -> bool:
    if expected is None:
        return math.isnan(got)
    return got == float(expected)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return np.array_equal(a, b, equal_nan=True)


def test_corpus_is_well_formed():
    categories = _load_builder().CATEGORIES

    assert len(CASES) >= 400
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for case in CASES:
        assert set(case) == {"id", "category", "gold", "completion", "expected", "note"}, case["id"]
        assert case["category"] in categories, case["id"]
        assert case["expected"] in (0, 1, None), case["id"]
        assert isinstance(case["gold"], str) and isinstance(case["completion"], str), case["id"]
        assert case["note"], case["id"]
    covered = {categories[c["category"]] for c in CASES}
    assert set(range(1, 52)) <= covered, sorted(set(range(1, 52)) - covered)
    for category in categories:
        verdicts = {c["expected"] for c in CASES if c["category"] == category}
        one_sided = ("gold_unparseable", "extract_nothing", "peer_false_positive",
                     "peer_false_negative")
        if category not in one_sided:
            assert {0, 1} <= verdicts, f"{category} lacks a positive or a negative case"


def test_corpus_file_is_generated_from_its_source():
    assert _load_builder().CASES == CASES, "run python tests/data/build_math_corpus.py"


@needs_accuracy
def test_corpus_verdicts():
    got = accuracy(COMPLETIONS, GOLDS)
    assert isinstance(got, np.ndarray) and got.dtype == np.float32 and got.shape == (len(CASES),)
    failures = [
        f"{case['id']} [{case['category']}] gold={case['gold']!r} "
        f"completion={_excerpt(case['completion'])!r} got={value} expected={case['expected']} "
        f"({case['note']})"
        for case, value in zip(CASES, got.tolist())
        if not _verdict_matches(value, case["expected"])
    ]
    assert not failures, f"{len(failures)}/{len(CASES)} corpus cases fail:\n" + "\n".join(failures)


@needs_accuracy
def test_batch_equals_per_item_calls():
    batch = accuracy(COMPLETIONS, GOLDS)
    single = np.array([accuracy([c], [g])[0] for c, g in zip(COMPLETIONS, GOLDS)],
                      dtype=np.float32)
    differing = [CASES[i]["id"] for i in np.flatnonzero(~((batch == single) |
                                                            (np.isnan(batch) & np.isnan(single))))]
    assert not differing, f"batch and per-item verdicts differ for {differing}"


@needs_accuracy
def test_results_do_not_depend_on_thread_count():
    one = accuracy(COMPLETIONS, GOLDS, num_threads=1)
    two = accuracy(COMPLETIONS, GOLDS, num_threads=2)
    assert _same(one, two)
    assert _same(one, accuracy(COMPLETIONS, GOLDS))


@needs_accuracy
def test_trl_drop_in_on_chat_messages():
    trl = importlib.import_module("grpo_c.integrations.trl")
    sample = CASES[::7]
    completions = [[{"role": "assistant", "content": c["completion"]}] for c in sample]
    solutions = [c["gold"] for c in sample]
    rewards = trl.accuracy_reward(completions, solution=solutions, prompts=[None] * len(sample),
                                  trainer_state=None)
    assert isinstance(rewards, list) and len(rewards) == len(sample)
    batch = accuracy([c["completion"] for c in sample], solutions)
    for case, reward, value in zip(sample, rewards, batch.tolist()):
        if math.isnan(value):
            assert reward is None, case["id"]
        else:
            assert isinstance(reward, float) and reward == value, case["id"]


@needs_accuracy
def test_trl_reasoning_accuracy_reward_judges_only_after_the_reasoning():
    """TRL's rule: no "</think>" -> 0.0 (even for an unparseable gold); else the text after the
    last "</think>" is judged like accuracy_reward (as open-r1's accuracy_reward does)."""
    trl = importlib.import_module("grpo_c.integrations.trl")
    logged = {}
    rewards = trl.reasoning_accuracy_reward(
        [[{"role": "assistant", "content": c}] for c in COMPLETIONS], GOLDS,
        log_extra=lambda column, values: logged.__setitem__(column, values))
    after = [c.split("</think>")[-1] for c in COMPLETIONS]
    judged = accuracy(after, GOLDS).tolist()
    wrong = []
    for case, reward, value in zip(CASES, rewards, judged):
        if "</think>" not in case["completion"]:
            expected = 0.0
        else:
            expected = None if math.isnan(value) else value
        if reward != expected:
            wrong.append(f"{case['id']}: got {reward}, expected {expected}")
    assert not wrong, "\n".join(wrong)
    assert {len(v) for v in logged.values()} == {len(CASES)}, {k: len(v) for k, v in logged.items()}


@needs_accuracy
def test_answers_equal_agrees_with_accuracy_on_the_corpus():
    """answers_equal(gold, completion, completion=True) is the single-pair form of accuracy
    (an unparseable gold gives False there, NaN in accuracy)."""
    answers_equal = grpo_c.rewards.answers_equal
    batch = accuracy(COMPLETIONS, GOLDS).tolist()
    differing = [case["id"] for case, value in zip(CASES, batch)
                 if answers_equal(case["gold"], case["completion"], completion=True) != (value == 1.0)]
    assert not differing, f"answers_equal and accuracy disagree on {differing}"
