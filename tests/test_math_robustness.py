"""The accuracy reward on hostile input: it must return, in bounded time, without crashing.

Each case runs in a child interpreter under a timeout, so a hang or a crash (segfault, abort)
fails that case instead of wedging the test run. The child prints the rewards as JSON (NaN as
null) or the exception type and message; the parent checks them.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

import grpo_c.rewards

REPO = pathlib.Path(__file__).resolve().parents[1]
TIMEOUT_SECONDS = 120

pytestmark = pytest.mark.skipif(getattr(grpo_c.rewards, "accuracy", None) is None,
                                reason="grpo_c.rewards.accuracy is not on this branch")

CHILD_PRELUDE = """
import json, math, sys
from grpo_c.rewards import accuracy

def report(completions, solutions, **kwargs):
    try:
        values = accuracy(completions, solutions, **kwargs)
    except Exception as exc:
        print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
        return
    print(json.dumps({"dtype": str(values.dtype), "shape": list(values.shape),
                      "values": [None if math.isnan(v) else v for v in values.tolist()]}))
"""


def run_child(body: str) -> dict:
    """Run `body` after the prelude in a fresh interpreter; return what its report() printed."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        proc = subprocess.run([sys.executable, "-c", CHILD_PRELUDE + textwrap.dedent(body)],
                              cwd=REPO, env=env, capture_output=True, text=True,
                              timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"accuracy did not return within {TIMEOUT_SECONDS} s")
    assert proc.returncode == 0, f"child died with code {proc.returncode}:\n{proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def values_of(result: dict) -> list:
    assert "error" not in result, result
    assert result["dtype"] == "float32"
    return result["values"]


def test_lone_surrogates_and_surrogateescape_bytes():
    values = values_of(run_child(r"""
        escaped = b"\xff\xfe\xc3(\xed\xa0\x80 so \\boxed{5}".decode("utf-8", "surrogateescape")
        report([escaped, "\ud800 \\boxed{5} \udfff", "\\boxed{5}", "\\boxed{\ud800}"],
               ["5", "5", "\udc80", "5"])
    """))
    assert values[0] == 1.0, "an intact box after undecodable bytes must still be read"
    assert values[1] == 1.0, "lone surrogates around an intact box must not hide it"
    assert values[2] in (0.0, None)
    assert values[3] == 0.0


def test_ten_megabyte_completions():
    values = values_of(run_child(r"""
        filler = "We keep adding the terms 1 + 2 + 3 and so on. " * 220000
        report([filler + "\\boxed{5}", filler, "\\boxed{5}" + filler, "{" * 10_000_000],
               ["5", "5", "5", "5"])
    """))
    assert values == [1.0, 0.0, 1.0, 0.0]


def test_ten_thousand_nested_braces():
    values = values_of(run_child(r"""
        deep = "{" * 10000 + "5" + "}" * 10000
        report(["\\boxed{" + deep + "}", "\\boxed{" + "{" * 10000 + "5",
                "\\boxed{" + "\\frac{1}{" * 10000 + "2" + "}" * 10000 + "}",
                "\\boxed{" + "(" * 10000 + "5" + ")" * 10000 + "}"],
               ["5", "5", "1", deep])
    """))
    assert values[0] in (0.0, 1.0)
    assert values[1] == 0.0, "an unterminated box is no answer"
    assert values[2] in (0.0, 1.0)
    assert values[3] in (0.0, 1.0, None)


def test_huge_powers_return_quickly():
    values = values_of(run_child(r"""
        report(["\\boxed{10^{10^{10}}}", "\\boxed{2^{2^{2^{2^{100}}}}}", "\\boxed{9^{9^{9^{9}}}}",
                "\\boxed{10^{10^{10}}}", "\\boxed{2^{2^{2^{2^{100}}}}}", "\\boxed{1000000000!}",
                "\\boxed{10^{10^{10}} - 10^{10^{10}}}"],
               ["5", "5", "5", "10^{10^{10}}", "2^{2^{2^{2^{100}}}}", "7", "0"])
    """))
    assert values[:3] == [0.0, 0.0, 0.0]
    assert values[3] in (0.0, 1.0, None) and values[4] in (0.0, 1.0, None)
    assert values[5] == 0.0
    assert values[6] in (0.0, 1.0)


def test_nul_characters_are_ordinary_characters():
    values = values_of(run_child(r"""
        report(["\x00 so \\boxed{5}", "\\boxed{5}\x00", "\\boxed{5\x00}", "\x00" * 1000],
               ["5", "5", "5", "5"])
    """))
    assert values[0] == 1.0, "text after a NUL must still be read (no C-string truncation)"
    assert values[1] == 1.0
    assert values[2] in (0.0, 1.0)
    assert values[3] == 0.0


@pytest.mark.parametrize("completions, solutions, argument", [
    ("[None]", "['5']", "completions"),
    ("[5]", "['5']", "completions"),
    ("[['\\\\boxed{5}']]", "['5']", "completions"),
    ("['\\\\boxed{5}']", "[None]", "solutions"),
    ("['\\\\boxed{5}']", "[object()]", "solutions"),
])
def test_non_string_entries_raise_type_error_or_give_nan(completions, solutions, argument):
    """completions/solutions are Python source of the argument lists."""
    result = run_child(f"report({completions}, {solutions})")
    if "error" in result:
        assert result["error"] == "TypeError", result
        assert argument in result["message"], f"the message should name {argument!r}: {result}"
    else:
        assert values_of(result) in ([None], [0.0])


@pytest.mark.parametrize("gold", [5, 5.0, 72])
def test_numeric_gold_is_rejected_or_read_as_its_decimal_text(gold):
    """Dataset answer columns are often ints (GSM8K): a TypeError or the number's own value."""
    result = run_child(f"report(['\\\\boxed{{{gold}}}', '\\\\boxed{{6}}'], [{gold!r}, {gold!r}])")
    if "error" in result:
        assert result["error"] == "TypeError" and "solutions" in result["message"], result
    else:
        assert values_of(result) == [1.0, 0.0]


def test_bytes_entries_are_utf8_or_rejected():
    result = run_child(r"report([b'\\boxed{5}', b'\xff\\boxed{5}'], [b'5', '5'])")
    if "error" in result:
        assert result["error"] == "TypeError", result
    else:
        assert values_of(result) == [1.0, 1.0]


def test_empty_batch():
    result = run_child("report([], [])")
    assert values_of(result) == [] and result["shape"] == [0]


@pytest.mark.parametrize("completions, solutions", [
    (["\\boxed{5}", "\\boxed{6}"], ["5"]),
    (["\\boxed{5}"], ["5", "6"]),
    ([], ["5"]),
])
def test_mismatched_lengths_raise_value_error(completions, solutions):
    result = run_child(f"report({completions!r}, {solutions!r})")
    assert result.get("error") == "ValueError", result


def test_many_threads_on_hostile_batch():
    values = values_of(run_child(r"""
        hostile = ["\\boxed{" + "{" * 5000, "\\boxed{10^{10^{10}}}", "\x00\\boxed{5}",
                   "\ud800\\boxed{5}", "\\boxed{5}"] * 200
        report(hostile, ["5"] * len(hostile), num_threads=2)
    """))
    assert values[:5] == [0.0, 0.0, 1.0, 1.0, 1.0] and values == values[:5] * 200
