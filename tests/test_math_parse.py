"""The parser, one feature per row: what each LaTeX / plain form parses to (the canonical
rendering returned by parse_answer's "normalized"), and which kind of answer it is."""

import pytest

from grpo_c.rewards import parse_answer

ROWS = [
    # numbers
    ("12345678901234567890", "math", "12345678901234567890"),
    ("3.14", "math", "(314/100)"),
    ("004", "math", "4"),
    (".5", "math", "(5/10)"),
    ("1.2e5", "math", "120000"),
    ("1,000", "math", "1000"),
    ("1{,}000", "math", "1000"),
    ("1\\,000", "math", "1000"),
    ("27,\\!000", "math", "27000"),
    ("1,2", "math", "1, 2"),
    ("(3,400)", "math", "(3, 400)"),
    ("0.\\overline{3}", "math", "(3/9)"),
    ("\u22125", "math", "-5"),
    ("\uff11\uff15", "math", "15"),
    # fractions and roots
    ("\\frac{1}{2}", "math", "(1)/(2)"),
    ("\\dfrac12", "math", "(1)/(2)"),
    ("\\tfrac{3}{4}", "math", "(3)/(4)"),
    ("a/b", "math", "(a/b)"),
    ("3\\frac{1}{2}", "math", "(3 + (1)/(2))"),
    ("\u00bd", "math", "(1)/(2)"),
    ("\\sqrt{2}", "math", "root(2, 2)"),
    ("\\sqrt3", "math", "root(3, 2)"),
    ("\\sqrt[3]{x}", "math", "root(x, 3)"),
    # operators, constants, functions
    ("x^{2}", "math", "x^(2)"),
    ("x\u00b2", "math", "x^(2)"),
    ("2\\cdot 3", "math", "(2*3)"),
    ("2\\times 3", "math", "(2*3)"),
    ("xy", "math", "(x*y)"),
    ("\\pi", "math", "pi"),
    ("2i", "math", "(2*i)"),
    ("\\infty", "math", "inf"),
    ("\\sin x", "math", "sin(x)"),
    ("\\sin 2x", "math", "sin((2*x))"),
    ("\\log_2 8", "math", "log_(2)(8)"),
    ("\\ln x", "math", "ln(x)"),
    ("|x|", "math", "|x|"),
    ("5!", "math", "5!"),
    ("\\binom{5}{2}", "math", "binom(5, 2)"),
    ("\\lfloor x\\rfloor", "math", "floor(x)"),
    ("x_1", "math", "x_1"),
    ("\\sum_{i=1}^{10} i^2", "math", "sum(i = 1..10, i^(2))"),
    ("\\prod_{k=1}^{n} k", "math", "prod(k = 1..n, k)"),
    ("x'", "math", "x'"),
    ("\\bar{x}", "math", "\\bar{x}"),
    # noise that is dropped
    ("50\\%", "math", "50%"),
    ("30^\\circ", "math", "30"),
    ("30\u00b0", "math", "30"),
    ("\\$5", "math", "5"),
    ("5\\text{ cm}", "math", "5"),
    ("5 \\mathrm{cm}^2", "math", "5"),
    ("\\left(1,2\\right)", "math", "(1, 2)"),
    ("\\displaystyle x", "math", "x"),
    ("\\textcolor{red}{5}", "math", "5"),
    ("5.", "math", "5"),
    ("**5**", "math", "5"),
    # relations and sets
    ("x=3", "math", "x = 3"),
    ("x>2", "math", "x > 2"),
    ("1<x\\le 2", "math", "1 < x <= 2"),
    ("\\frac{22}{7}\\approx 3.14", "math", "(22)/(7)"),
    ("x \\in [0,1)", "math", "[0, 1)"),
    ("(1,2]", "math", "(1, 2]"),
    ("(0,1)\\cup(2,3)", "math", "(0, 1) U (2, 3)"),
    ("\\{1,2\\}", "math", "{1, 2}"),
    ("\\emptyset", "math", "{}"),
    ("\\mathbb{R}", "math", "R"),
    ("(1,2,3)", "math", "(1, 2, 3)"),
    ("1:2", "math", "1:2"),
    ("2 \\text{ or } 3", "math", "2, 3"),
    ("\\pm 3", "math", "+-3"),
    ("\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}", "math", "[[1, 2], [3, 4]]"),
    ("\\begin{bmatrix}1\\\\2\\end{bmatrix}", "math", "[[1], [2]]"),
    # choices and text
    ("\\text{(B)}", "choice", "B"),
    ("(C)", "choice", "C"),
    ("\\textbf{(D) } 12", "choice", "D"),
    ("\\text{Monday}", "text", "monday"),
    ("\\text{North Carolina}", "text", "north carolina"),
    ("\\text{not } 5", "text", "not 5"),
]


@pytest.mark.parametrize("text,kind,normalized", ROWS)
def test_parse(text, kind, normalized):
    r = parse_answer(text, gold=True)
    assert (r["kind"], r["normalized"]) == (kind, normalized), r


@pytest.mark.parametrize("text,reason", [
    ("", "empty"),
    ("\\frac{", "syntax"),
    ("(1,2", "syntax"),
    ("\\boxed{" + "(" * 300 + "1}", "too_deep"),
    ("x" * 70000, "too_long"),
    ("See the proof above.", "syntax"),
])
def test_unparseable(text, reason):
    r = parse_answer(text, gold=True)
    assert (r["kind"], r["reason"]) == ("none", reason), r


def test_strict_latex_rejects_unbraced_arguments():
    assert parse_answer("\\frac12", gold=True, strict_latex=True)["kind"] == "none"
    assert parse_answer("\\frac{1}{2}", gold=True, strict_latex=True)["kind"] == "math"
