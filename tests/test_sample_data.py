"""The bundled data of ``python -m grpo_c score``: the sample rollouts parse, have the documented
shape and categories, and benchmarks/make_sample_rollouts.py rewrites them byte for byte; the
malformed sample holds exactly the defects grpo_c/data/README.md lists, line by line."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "grpo_c" / "data"
ROLLOUTS = DATA / "sample_rollouts.jsonl"
MALFORMED = DATA / "sample_malformed.jsonl"
FIELDS = ("prompt", "completion", "solution", "group")
FAMILIES = {"gsm8k", "algebra", "fractions", "radicals", "intervals", "points", "expressions",
            "bigint", "percent", "choice", "quadratic", "weekday"}


def load_generator():
    path = ROOT / "benchmarks" / "make_sample_rollouts.py"
    spec = importlib.util.spec_from_file_location("make_sample_rollouts", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look up their module while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator():
    return load_generator()


@pytest.fixture(scope="module")
def built(generator):
    return generator.build_rows()


@pytest.fixture(scope="module")
def rows():
    with open(ROLLOUTS, encoding="utf-8", newline="") as fh:
        text = fh.read()
    assert text.endswith("\n") and "\r" not in text
    return [json.loads(line) for line in text.split("\n")[:-1]]


def groups_in_order(rows):
    order, members = [], {}
    for r in rows:
        if r["group"] not in members:
            order.append(r["group"])
            members[r["group"]] = []
        members[r["group"]].append(r)
    return order, members


def test_every_row_is_an_object_with_exactly_the_four_string_fields(rows):
    for i, r in enumerate(rows, 1):
        assert isinstance(r, dict), i
        assert tuple(r) == FIELDS, (i, tuple(r))
        assert all(isinstance(r[k], str) for k in FIELDS), i
        assert r["prompt"] and r["solution"] and r["group"], i


def test_size_is_a_few_hundred_rows_under_1_5_mb(rows):
    assert 400 <= len(rows) <= 600
    assert ROLLOUTS.stat().st_size < 1_500_000


def test_groups_are_contiguous_blocks_of_4_8_or_16_sharing_prompt_and_solution(rows):
    order, members = groups_in_order(rows)
    seen = []
    for r in rows:  # contiguous: a group never reappears once the next one started
        if not seen or seen[-1] != r["group"]:
            assert r["group"] not in seen, r["group"]
            seen.append(r["group"])
    sizes = [len(members[g]) for g in order]
    assert set(sizes) <= {4, 8, 16}
    assert sizes.count(8) > 0.8 * len(sizes)
    assert 60 <= len(order) <= 80
    for g in order:
        assert len({r["prompt"] for r in members[g]}) == 1, g
        assert len({r["solution"] for r in members[g]}) == 1, g


def test_families_and_gold_styles_are_all_present(rows):
    order, members = groups_in_order(rows)
    assert {g.rsplit("-", 1)[0] for g in order} == FAMILIES
    golds = [members[g][0]["solution"] for g in order]
    assert any(s.startswith("#### ") for s in golds)
    assert any("\n#### " in s and "<<" in s for s in golds)  # full GSM8K worked answers
    assert any(s.startswith("\\boxed{") for s in golds)
    assert any("\\frac{" in s for s in golds)
    assert any(s.isdigit() and len(s) > 25 for s in golds)  # big integers


def test_completions_cover_the_messy_shapes(rows):
    texts = [r["completion"] for r in rows]

    def has_han(t):
        return any("\u4e00" <= c <= "\u9fff" for c in t)

    def has_latin_words(t):
        return sum(c.isascii() and c.isalpha() for c in t) > 40

    assert sum(has_han(t) and has_latin_words(t) for t in texts) >= 10       # mixed language
    assert sum(has_han(t) and not any(w in t for w in ("Let", "So ", "The ")) for t in texts) >= 5
    assert sum("```python" in t for t in texts) >= 5
    assert sum(not t.startswith("<think>") for t in texts) >= 30             # untagged, prefilled, reordered
    assert sum(t.startswith("<answer>") for t in texts) >= 1                 # tags out of order
    assert sum("</answer>" in t and not t.rstrip().endswith("</answer>") for t in texts) >= 5  # trailing junk
    assert sum("</think>" not in t and "<think>" in t for t in texts) >= 10  # truncated mid-thought
    assert sum(t.rstrip().endswith("\\boxed{") or "\\boxed{" in t[-12:] and not t.endswith("}") for t in texts) >= 3
    assert sum("\\boxed{}" in t for t in texts) >= 1
    assert sum(len(t.encode()) >= 2048 for t in texts) >= 5
    assert max(len(t.encode()) for t in texts) <= 4200
    assert sum(len(t) <= 60 for t in texts) >= 3


def test_generator_reproduces_the_file_byte_for_byte(generator, built):
    assert generator.render(built) == ROLLOUTS.read_bytes()


def test_generator_labels_include_all_right_and_all_wrong_groups(built, rows):
    assert len(built) == len(rows)
    by_group = {}
    for r in built:
        by_group.setdefault(r.group, []).append(r.expected)
    assert sum(all(v == 1.0 for v in vs) for vs in by_group.values()) >= 8
    assert sum(all(v == 0.0 for v in vs) for vs in by_group.values()) >= 5
    mixed = [vs for vs in by_group.values() if 0 < sum(vs) < len(vs)]
    assert len(mixed) >= 40
    for r in built:  # profiles tell the truth
        if r.profile == "all_correct":
            assert r.expected == 1.0
        if r.profile == "all_wrong":
            assert r.expected == 0.0


def test_readme_states_the_current_counts(generator, built):
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert generator.stats(built).split("\n")[0] in readme



# Kinds whose completions our policy reads as "no answer" although an earlier box or an unanchored
# $...$ holds a value: Math-Verify falls back on those, we do not (docs/math.md).
NO_ANSWER_KINDS = {"truncated", "truncated_box", "chinese_truncated", "repetition_truncated", "empty_box", "no_answer"}


def test_intended_verdicts_agree_with_math_verify_except_where_policy_differs(built):
    """An independent grader catches label bugs: a 'wrong' answer that equals the gold, or an
    alternative spelling that is not equal. Disagreements are allowed only where our policy is
    deliberately different: no-answer kinds (expected 0), and expected-1 answers that Math-Verify
    does not read: bare <answer> content without a box, or an inequality for an interval gold."""
    math_verify = pytest.importorskip("math_verify")
    unexplained = []
    for r in built:
        gold = r.solution.split("####")[-1].strip()
        if "$" not in gold and "\\boxed" not in gold:
            gold = f"${gold}$"
        verdict = float(math_verify.verify(math_verify.parse(gold, parsing_timeout=None),
                                           math_verify.parse(r.completion, parsing_timeout=None),
                                           timeout_seconds=None))
        if verdict == r.expected:
            continue
        tail = r.completion[r.completion.rfind("<answer>"):]
        if r.expected == 0.0 and r.kind in NO_ANSWER_KINDS:
            continue
        if r.expected == 1.0 and ("\\boxed" not in tail or "\\le" in tail or "\\ge" in tail):
            continue
        unexplained.append((r.group, r.kind, r.expected, r.completion[-120:]))
    assert unexplained == []


# line number -> defect; "ok" lines are valid rows. grpo_c/data/README.md documents the same table.
MALFORMED_LINES = {
    1: "ok", 2: "ok", 3: "blank", 4: "invalid_json", 5: "missing_field", 6: "wrong_type", 7: "ok",
    8: "blank", 9: "wrong_type", 10: "not_an_object", 11: "invalid_json", 12: "invalid_json",
    13: "ok_extra_field", 14: "ok_lone_surrogate", 15: "missing_field", 16: "ok", 17: "ok", 18: "ok",
}


def classify(line: str) -> str:
    if not line.strip():
        return "blank"
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return "invalid_json"
    if not isinstance(value, dict):
        return "not_an_object"
    if any(k not in value for k in FIELDS):
        return "missing_field"
    if any(not isinstance(value[k], str) for k in FIELDS):
        return "wrong_type"
    if set(value) != set(FIELDS):
        return "ok_extra_field"
    try:
        value["completion"].encode("utf-8")
    except UnicodeEncodeError:
        return "ok_lone_surrogate"
    return "ok"


def test_malformed_sample_has_exactly_the_documented_defects():
    raw = MALFORMED.read_bytes()
    assert not raw.endswith(b"\n")  # the last row has no final newline, on purpose
    lines = raw.decode("utf-8").split("\n")
    assert {i: classify(line) for i, line in enumerate(lines, 1)} == MALFORMED_LINES
    assert lines[16].endswith("\r")  # one CRLF line end
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    for i in MALFORMED_LINES:
        assert f"| {i} |" in readme
