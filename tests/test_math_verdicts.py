"""Verdicts of the math accuracy reward on the categories of rewards.md §5 and the policy table
in docs/math.md, one parametrized case per row (gold, completion, expected)."""

import math

import pytest

from grpo_c.rewards import accuracy, answers_equal

B = lambda s: "so the answer is \\boxed{" + s + "}."  # noqa: E731

CASES = [
    # extraction
    ("42", r"so the total is \boxed{42}.", 1),
    ("7", r"\boxed{5} recheck \boxed{7}", 1),
    ("7", r"\boxed{7} recheck \boxed{5}", 0),
    ("12", r"\boxed{12}. **Final Answer** \boxed{12}", 1),
    ("3, 5", r"\boxed{3} and \boxed{5}", 1),
    ("5", r"\boxed{3} and then, after a long detour through the argument, \boxed{5}", 1),
    (r"\frac{\sqrt{3}}{2}", r"\boxed{\frac{\sqrt{3}}{2}}", 1),
    ("5", r"\boxed 5", 1),
    ("5", r"\fbox{5}", 1),
    ("7", "The answer is $7$.", 1),
    ("7", "The answer is 7.", 1),
    ("3.5", "The final answer is 3.5.", 1),
    ("7", "<answer>7</answer>", 1),
    ("7", "<answer>The answer is 7</answer>", 1),
    ("7", "I am not sure.", 0),
    ("12", r"... \boxed{1", 0),
    ("12", r"\boxed{12} then \boxed{1", 0),
    ("12", r"\boxed{}", 0),
    ("73", "Final Answer: **73**", 1),
    ("72", "#### 72", 1),
    ("72", "#### 72.0", 1),
    ("1000", "#### $1,000", 1),
    # numbers
    (r"\frac{1}{2}", B("0.5"), 1),
    (r"\frac{1}{3}", B("0.3333333"), 1),
    (r"\frac{1}{3}", B("0.333"), 0),
    ("18", B("18.00"), 1),
    ("4", B("004"), 1),
    ("1000000", B("1,000,000"), 1),
    ("1000000", B(r"1\,000\,000"), 1),
    ("1000000", B("1{,}000{,}000"), 1),
    ("12", B("1,2"), 0),
    ("1, 2", B("12"), 0),
    ("2.5", B("2,5"), 0),
    ("-3", B("\u22123"), 1),
    ("-3", B("- 3"), 1),
    (r"1.2\times10^{5}", B("120000"), 1),
    (r"1.2\times10^{5}", B("1.2e5"), 1),
    ("2^{100}", B("1267650600228229401496703205377"), 0),
    ("2^{100}", B("1267650600228229401496703205376"), 1),
    (r"\frac{1}{2^{99}}", B(r"\frac{1}{2^{98}}"), 0),
    ("1e-30", B("2e-30"), 0),
    ("12", B(r"12\%"), 1),
    (r"12\%", B("0.12"), 1),
    (r"12\%", B("12"), 1),
    ("1.50", B(r"\$1.50"), 1),
    ("5", B(r"5\text{ cm}"), 1),
    ("5", B(r"5 \mathrm{cm}^2"), 1),
    ("30", B(r"30^\circ"), 1),
    ("30", B("30\u00b0"), 1),
    (r"2\pi", B(r"2\pi"), 1),
    (r"2\pi", B("6.28"), 0),
    (r"\frac{1}{3}", B(r"0.\overline{3}"), 1),
    ("20", B(r"\dbinom{6}{3}"), 1),
    ("120", B("5!"), 1),
    # forms of the same value
    (r"\frac{3}{4}", B(r"\dfrac{3}{4}"), 1),
    (r"\frac{3}{4}", B(r"\tfrac{3}{4}"), 1),
    (r"\frac{3}{4}", B(r"\frac34"), 1),
    (r"\frac{2}{3}", B("2/3"), 1),
    (r"\frac{1}{2}", B(r"\frac{2}{4}"), 1),
    (r"3\sqrt{2}", B(r"\sqrt{18}"), 1),
    (r"\frac{\sqrt{2}}{2}", B(r"\frac{1}{\sqrt{2}}"), 1),
    ("4", B(r"4\sqrt{2}"), 0),
    ("2", B(r"\sqrt[3]{8}"), 1),
    (r"\frac{7}{2}", B(r"3\frac{1}{2}"), 1),
    (r"-\frac{7}{2}", B(r"-3\frac{1}{2}"), 1),
    (r"\frac{x+2}{7}", B(r"\frac{x}{7}+\frac{2}{7}"), 1),
    ("x^2-1", B("(x-1)(x+1)"), 1),
    ("x^2-1", B("(x-1)^2"), 0),
    ("(x+1)^2", B("x^2+2x+1"), 1),
    ("2x+1", B("2y+1"), 0),
    (r"2\sin x\cos x", B(r"\sin 2x"), 1),
    (r"\ln 8", B(r"3\ln 2"), 1),
    (r"\log_2 8", B("3"), 1),
    ("e^{i\\pi}", B("-1"), 1),
    ("(2,3)", B(r"\left( 2,\! 3 \right)"), 1),
    ("5", B(r"\displaystyle 5"), 1),
    # text and choices
    (r"\text{(B)}", B("B"), 1),
    (r"\text{(B)}", B("(B)"), 1),
    (r"\text{(B)}", B(r"\textbf{(B)}"), 1),
    (r"\text{(B)}", B(r"\textbf{(B) }12"), 1),
    (r"\text{(B)}", B("C"), 0),
    ("B", B("b"), 0),
    (r"\text{Monday}", B(r"\text{monday}"), 1),
    (r"\text{yes}", B("No"), 0),
    # equations, relations, sets
    ("5", B("x=5"), 1),
    ("x=5", B("5"), 1),
    ("12", B(r"3\cdot4=12"), 1),
    (r"\frac{22}{7}", B(r"\frac{22}{7}\approx 3.14"), 1),
    ("y=2x+3", B("2x-y+3=0"), 1),
    ("y=2x+3", B("2y=4x+6"), 1),
    ("y=2x+3", B("y=2x-3"), 0),
    ("x>2", B("2<x"), 1),
    ("x>2", B("x<2"), 0),
    ("x\\ge 2", B("x>2"), 0),
    ("(1,2]", B("(1,2]"), 1),
    ("(1,2]", B("[1,2]"), 0),
    (r"1<x\le 2", B("(1,2]"), 1),
    ("(1,2]", B(r"1<x\le2"), 1),
    (r"(-\infty,0)\cup(1,\infty)", B(r"(-\infty,0)\cup(1,+\infty)"), 1),
    (r"(-\infty,0)\cup(1,\infty)", B(r"(1,\infty)\cup(-\infty,0)"), 1),
    (r"(-\infty,0)\cup(1,\infty)", B(r"x<0 \text{ or } x>1"), 1),
    (r"(-\infty,0)\cup(1,\infty)", B(r"(-\infty,0]\cup(1,\infty)"), 0),
    ("(3,4)", B("(3, 4)"), 1),
    ("(3,4)", B("(4,3)"), 0),
    ("2, -3", B("-3, 2"), 1),
    ("2, -3", B(r"x=2 \text{ or } x=-3"), 1),
    ("2, -3", B("2"), 0),
    ("3", B(r"3 \text{ or } 5"), 0),
    (r"\{1, 2, 3\}", B(r"\{3, 2, 1\}"), 1),
    (r"\pm 2", B("2, -2"), 1),
    (r"\pm 2", B("2"), 0),
    (r"1\pm\sqrt{2}", B(r"1-\sqrt{2}, 1+\sqrt{2}"), 1),
    (r"\begin{pmatrix}1\\2\end{pmatrix}", B(r"\begin{bmatrix}1\\2\end{bmatrix}"), 1),
    (r"\begin{pmatrix}1\\2\end{pmatrix}", B("(1,2)"), 1),
    (r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", B(r"\begin{pmatrix}1&2\\3&5\end{pmatrix}"), 0),
    (r"\begin{pmatrix}1&2\\3&4\end{pmatrix}", B(r"\begin{bmatrix}1&2\\3&4\end{bmatrix}"), 1),
    ("3+4i", B("4i+3"), 1),
    ("3+4i", B("3+4j"), 0),
    # realistic forms (several after Math-Verify's own regression tests)
    ("9", "Answer $ 9 $", 1),
    ("9", "Answer \\[ 9 \\]", 1),
    ("204_5", B("204_5"), 1),
    ("(6,31,-1)", "we find $(p,q,r) = \\boxed{(6,31,-1)}.$", 1),
    (r"1 \pm \sqrt{19}", B(r"1 \pm \sqrt{19}"), 1),
    (r"\{1\pm\sqrt{5},-2\}", B(r"\{1+\sqrt{5},-2,1-\sqrt{5}\}"), 1),
    (r"\{1\pm\sqrt{5},-2\}", B(r"\{1+\sqrt{5},-2\}"), 0),
    ("f(2) < f(1) < f(4)", B("f(2) < f(1) < f(4)"), 1),
    (r"2 \sin b \cos a", B(r"2 \cos a \sin b"), 1),
    ("$125$ miles", B(r"125\textnormal{ miles}"), 1),
    (r"[-1, -\frac{1}{2}) \cup (-\frac{1}{2}, 0) \cup (0, 1) \cup (1, \infty)",
     B(r"[-1, -\tfrac12) \cup (-\tfrac12, 0) \cup (0, 1) \cup (1, \infty)"), 1),
    (r"\sqrt{2}+\sqrt{5}", B(r"\sqrt 2+\sqrt 5"), 1),
    (r"\frac{9}{4}\pi", B(r"\frac94\pi"), 1),
    ("x = 11", B("x = 5+5+1 = 7 =11"), 1),
    ("7 = 11a+c", B("11a+c"), 0),
    ("2x+4y-3=0", B(r"y=-\frac{1}{2}x+\frac{3}{4}"), 1),
    ("x^2/4 + y^2/3 = 1", B("x^2/16 + y^2/12 = 1/4"), 1),
    ("x < 1", B("-x > -1"), 1),
    ("x < 1", B("x > -1"), 0),
    (r"x \neq 5", B("x != 5"), 1),
    (r"\tan^2(y)+1", B(r"\sec^2(y)"), 1),
    (r"(1,\frac{9}{2})", B("(1,4.5)"), 1),
    (r"\frac{1}{12}", B("0.0833333333333333"), 1),
    (r"\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}", B(r"\left[\begin{array}{cc}1 & 2 \\ 3 & 4\end{array}\right]"), 1),
    ("1:2", B("1:2"), 1),
    ("1:2", B("2:1"), 0),
    (r"\frac{1}{3}", B(r"0.\overline{3}"), 1),
    (r"\frac{1}{2}", B(r"50\%"), 1),
    ("10", "Thus, the answer is $\\boxed{10}$ apples.", 1),
    ("5", "The answer is 5, since 2+3=5.", 1),
    ("5", "Answer: 5 (since 2+3=5)", 1),
    ("12", "The answer is $12.", 1),
    # found by the corpus helper's probing
    ("5", B(r"\text{not } 5"), 0),
    ("5", B("at least 5"), 0),
    ("5", "The answer is 5 or more.", 0),
    ("5", "The answer is not 5.", 0),
    ("x", B(r"\lfloor x \rfloor"), 0),
    ("2", B(r"\lfloor 2.5 \rfloor"), 1),
    ("4", B(r"\lceil 3.2 \rceil"), 1),
    ("-3", B(r"\lfloor -2.5 \rfloor"), 1),
    ("6", B(r"\gcd(12,18)"), 1),
    ("36", B(r"\operatorname{lcm}(12,18)"), 1),
    ("5", B(r"\max(3,5)"), 1),
    ("3", B(r"\min(3,5)"), 1),
    ("x", B(r"\bar{x}"), 0),
    ("x", B("x'"), 0),
    ("x", B(r"x + 10^{-20}x"), 0),
    ("x", B(r"x + 10^{-9}"), 0),
    (r"\binom{n}{2}", B(r"\frac{n(n-1)}{2}"), 1),
    (r"f^{-1}(x)=\frac{x-1}{2}", B(r"\frac{x-1}{2}"), 1),
    (r"\{1,2\}", B(r"\{1,2,3\} \setminus \{3\}"), 1),
    (r"\{1,2,3\}", B(r"\{1\} \cup \{2, 3\}"), 1),
    ("3:4", B("6:8"), 1),
    ("3:4", B("4:3"), 0),
    (r"(-\infty,-5)\cup(5,\infty)", B("|x|>5"), 1),
    ("[-5,5]", B(r"|x|\le 5"), 1),
    (r"(-\infty,-2) \cup (-2,\infty)", B(r"x \neq -2"), 1),
    (r"(-\infty,-2) \cup (-2,\infty)", B(r"\mathbb{R} \setminus \{-2\}"), 1),
    ("27,\\!000", B("27,000"), 1),
    (r"\frac{1}{2}", B("\u00bd"), 1),
    (r"\frac{7}{2}", B("3\u00bd"), 1),
    ("x^2", B("x\u00b2"), 1),
    ("x^{10}", B("x\u00b9\u2070"), 1),
    ("15", B("\uff11\uff15"), 1),
    ("5", B(r"\neg 5"), 0),
    ("3", B(r"\vec{3}"), 0),
    ("5", B(r"\ensuremath{5}"), 1),
    ("5", B(r"5\,\si{cm}"), 1),
    ("The answer is 5.", B("5"), 1),
    ("Since $2+3=5$, the answer is $5$.", B("5"), 1),
    # pathological
    ("5", B("2^{2^{2^{2^{100}}}}"), 0),
    ("5", B("10^10^10"), 0),
    ("2^{2^{2^{100}}}", B("2^{2^{2^{100}}}"), 1),
]


@pytest.mark.parametrize("gold,completion,expected", CASES)
def test_verdict(gold, completion, expected):
    got = accuracy([completion], [gold], num_threads=1)[0]
    assert got == expected, (gold, completion)


def test_batch_matches_single_and_is_thread_independent():
    golds = [c[0] for c in CASES] * 3
    comps = [c[1] for c in CASES] * 3
    one = accuracy(comps, golds, num_threads=1)
    many = accuracy(comps, golds, num_threads=4)
    assert one.dtype.name == "float32"
    assert one.tobytes() == many.tobytes()
    assert list(one[: len(CASES)]) == [c[2] for c in CASES]


@pytest.mark.parametrize("gold", [
    "The sequence diverges because the terms grow without bound for every n",
    "",
    "   ",
    r"\frac{",
])
def test_unparseable_gold_is_nan(gold):
    assert math.isnan(accuracy([r"\boxed{1}"], [gold])[0])


def test_answers_equal_is_gold_first():
    assert answers_equal("x=5", "5") and answers_equal("5", "x=5")
    assert answers_equal(r"1<x<2", "(1,2)")
