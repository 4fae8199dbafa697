"""Extraction of the final answer: the C scanner against its plain-Python twin
(grpo_c.reference.math_extract_answer) on generated completions, plus the policy cases."""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grpo_c.reference import math_extract_answer
from grpo_c.rewards import parse_answer

FRAGMENTS = ["\\boxed{", "}", "{", "\\boxed ", "\\fbox{", "\\boxedx", "<answer>", "</answer>",
             "The answer is ", "answer: ", "Final Answer", "**", "#### ", "$", "\\(", "\\)",
             "7", "12", "3.5", " and ", ", ", " or ", ".", " ", "\n", "</think>", "x", "\\frac{1}{2}",
             "\\{", "\\}", "is ", "answers are ", " so ", "\\quad", "\\text{ and }", "=", "\t",
             "wrong ", "not ", " or more", "it is false that the ", " apples", ", since ", " (so",
             "I ", "a ", " can't ", "Answer $", "\\[", "\\]", "5 and I am sure", "\u00e9"]


def c_extract(text, **kw):
    return parse_answer(text, **kw)["extracted"]


@settings(max_examples=20000 if os.environ.get("GRPO_C_SLOW") == "1" else 400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=14),
       st.sampled_from(["default", "strict", "boxed"]), st.booleans(), st.booleans())
def test_c_matches_python_twin(parts, mode, gold, after_think):
    text = "".join(parts)
    want = math_extract_answer(text, gold=gold, mode=mode, after_think=after_think)
    got = c_extract(text, gold=gold, mode=mode, after_think=after_think)
    assert got == want, text


@pytest.mark.parametrize("text,expected", [
    (r"so \boxed{42}.", "42"),
    (r"\boxed{5} then \boxed{7}", "7"),
    (r"\boxed{3} and \boxed{5}", "3, 5"),
    (r"\boxed{3}, \boxed{3}", "3"),
    (r"\boxed{12}. **Final Answer** \boxed{12}", "12"),
    (r"\boxed{\frac{\sqrt{3}}{2}}", r"\frac{\sqrt{3}}{2}"),
    (r"\boxed{\{1,2\}}", r"\{1,2\}"),
    (r"\boxed 5.", "5"),
    (r"\fbox{5}", "5"),
    (r"\boxed{12} and later \boxed{1", None),
    (r"\boxed{7} then \boxed{}", None),
    ("The answer is $7$.", "7"),
    ("The final answer is 3.5. I hope it is correct.", "3.5"),
    ("Answer: **73**", "73"),
    ("<answer> 9 </answer>", "9"),
    ("<answer>The answer is 9</answer>", "9"),
    ("<answer></answer>", None),
    ("<answer>9", None),
    ("so #### 72", "72"),
    ("I am not sure.", None),
])
def test_policy_cases(text, expected):
    assert c_extract(text) == expected
    assert math_extract_answer(text) == expected


def test_strict_mode_needs_box_or_latex_after_anchor():
    assert c_extract("The answer is 7.", mode="strict") is None
    assert c_extract("The answer is $7$.", mode="strict") == "7"
    assert c_extract(r"\boxed{7}", mode="strict") == "7"
    assert c_extract("The answer is $7$.", mode="boxed") is None


def test_after_think():
    assert parse_answer(r"<think> \boxed{9}", after_think=True)["reason"] == "no_think_end"
    assert c_extract(r"<think>\boxed{1}</think> so \boxed{9}", after_think=True) == "9"
    assert c_extract(r"<think>\boxed{9}</think> nothing", after_think=True) is None


def test_gold_forms():
    assert c_extract("42", gold=True) == "42"
    assert c_extract("Natalia sold 48/2 = 24 clips.\n#### 72", gold=True) == "72"
    assert c_extract(r"So the sum is $\boxed{10}$.", gold=True) == "10"


def test_span_and_source():
    r = parse_answer(r"We get \boxed{12}.")
    assert (r["source"], r["answer"], r["begin"]) == ("boxed", r"\boxed{12}", 7)
    assert parse_answer("#### 5")["source"] == "hashes"
    assert parse_answer("<answer>5</answer>")["source"] == "answer_tag"
    assert parse_answer("Answer: 5")["source"] == "anchor"
