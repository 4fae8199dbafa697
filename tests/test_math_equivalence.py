"""The accuracy reward on generated equivalences, checked against exact Python arithmetic.

Where the corpus holds hand-picked cases, these tests draw many: arithmetic expressions rendered
in the LaTeX forms models write (fractions, slashes, cdot/times, powers, parentheses, signs)
whose exact value comes from fractions.Fraction; polynomials given expanded and as a product
of factors, expanded here by integer convolution; intervals written with brackets or as
inequalities. A right answer must score 1 and a perturbed one 0 (docs/math.md:
comparison by value, symbolic equivalence with the same variables, intervals = inequalities).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import grpo_c.rewards

accuracy = getattr(grpo_c.rewards, "accuracy", None)
pytestmark = pytest.mark.skipif(accuracy is None,
                                reason="grpo_c.rewards.accuracy is not on this branch")
FUZZ = settings(max_examples=300, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])


def verdict(gold: str, completion: str) -> float:
    return float(accuracy([completion], [gold])[0])


def latex_fraction(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


# ---- arithmetic -------------------------------------------------------------------------------

def _atom(draw) -> tuple[str, Fraction]:
    n = draw(st.integers(-30, 30))
    if draw(st.booleans()):
        d = draw(st.integers(2, 12))
        style = draw(st.sampled_from(("\\frac{{{}}}{{{}}}", "\\dfrac{{{}}}{{{}}}", "{}/{}")))
        text = style.format(abs(n), d)
        value = Fraction(abs(n), d)
        if n < 0:
            text, value = f"\\left(-{text}\\right)" if "/" not in style else f"(-{text})", -value
        return text, value
    return (f"({n})" if n < 0 else str(n)), Fraction(n)


@st.composite
def arithmetic(draw, depth: int = 3) -> tuple[str, Fraction]:
    """A LaTeX arithmetic expression and its exact value."""
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return _atom(draw)
    left, lv = draw(arithmetic(depth - 1))
    right, rv = draw(arithmetic(depth - 1))
    op = draw(st.sampled_from(("+", "-", "\\cdot", "\\times", "/", "^")))
    if op == "/":
        if rv == 0:
            return left, lv
        return f"\\frac{{{left}}}{{{right}}}", lv / rv
    if op == "^":
        k = draw(st.integers(0, 3))
        if lv == 0 and k == 0:
            return left, lv
        return f"\\left({left}\\right)^{{{k}}}", lv ** k
    value = {"+": lv + rv, "-": lv - rv}.get(op, lv * rv)
    return f"\\left({left}\\right) {op} \\left({right}\\right)", value


@FUZZ
@given(arithmetic())
def test_arithmetic_expression_equals_its_value(expression):
    text, value = expression
    gold = latex_fraction(value)
    assert verdict(gold, f"So the result is $\\boxed{{{text}}}$.") == 1.0, (gold, text)
    wrong = latex_fraction(value + Fraction(1, 7))
    assert verdict(wrong, f"So the result is $\\boxed{{{text}}}$.") == 0.0, (wrong, text)


@FUZZ
@given(st.fractions(min_value=-1000, max_value=1000, max_denominator=64))
def test_fraction_and_terminating_decimal(value):
    rest = value.denominator
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    if rest != 1:  # keep only values with a terminating decimal expansion
        value = Fraction(round(value))
    decimal = format(float(value), ".10f").rstrip("0").rstrip(".")
    assert verdict(latex_fraction(value), f"\\boxed{{{decimal}}}") == 1.0, (value, decimal)
    assert verdict(decimal, f"\\boxed{{{latex_fraction(value)}}}") == 1.0, (value, decimal)
    off = format(float(value) + max(0.01, abs(float(value)) * 1e-3), ".10f").rstrip("0").rstrip(".")
    assert verdict(latex_fraction(value), f"\\boxed{{{off}}}") == 0.0, (value, off)


@FUZZ
@given(st.integers(-10**40, 10**40))
def test_big_integers_compare_exactly(n):
    assert verdict(str(n), f"\\boxed{{{n}}}") == 1.0
    assert verdict(str(n), f"\\boxed{{{n + 1}}}") == 0.0
    if n >= 1000:
        grouped = f"{n:,}"
        assert verdict(str(n), f"\\boxed{{{grouped}}}") == 1.0, grouped


SQUAREFREE = (2, 3, 5, 6, 7, 10, 11, 13, 14, 15, 17, 19, 21, 22, 23)


@FUZZ
@given(st.integers(1, 30), st.sampled_from(SQUAREFREE), st.integers(1, 9))
def test_radicals_by_value(a, b, d):
    simplified = f"\\frac{{{a}\\sqrt{{{b}}}}}{{{d}}}" if d > 1 else f"{a}\\sqrt{{{b}}}"
    unsimplified = f"\\frac{{\\sqrt{{{a * a * b}}}}}{{{d}}}" if d > 1 else f"\\sqrt{{{a * a * b}}}"
    assert verdict(simplified, f"\\boxed{{{unsimplified}}}") == 1.0, (simplified, unsimplified)
    rationalised = f"\\frac{{{a * b}}}{{{d}\\sqrt{{{b}}}}}"
    assert verdict(simplified, f"\\boxed{{{rationalised}}}") == 1.0, (simplified, rationalised)
    near = f"\\sqrt{{{a * a * b + 1}}}"
    if d == 1:
        assert verdict(simplified, f"\\boxed{{{near}}}") == 0.0, (simplified, near)


# ---- polynomials ------------------------------------------------------------------------------

def _expand(roots: list[int], lead: int) -> list[int]:
    """Coefficients (constant first) of lead * prod (x - r)."""
    coeffs = [lead]
    for r in roots:
        shifted = [0] + coeffs
        coeffs = [shifted[i] - r * (coeffs[i] if i < len(coeffs) else 0)
                  for i in range(len(shifted))]
    return coeffs


def _poly_latex(coeffs: list[int], var: str = "x") -> str:
    terms = []
    for power in range(len(coeffs) - 1, -1, -1):
        c = coeffs[power]
        if c == 0:
            continue
        mag = abs(c)
        body = (str(mag) if power == 0 or mag != 1 else "") + (
            "" if power == 0 else var if power == 1 else f"{var}^{{{power}}}")
        terms.append(("-" if c < 0 else "+") + body)
    text = "".join(terms) or "0"
    return text[1:] if text.startswith("+") else text


def _factors_latex(roots: list[int], var: str = "x") -> str:
    """prod (x - r) as a model writes it: x^k for the zero roots, then (x - r) factors."""
    zeros = roots.count(0)
    head = "" if zeros == 0 else var if zeros == 1 else f"{var}^{{{zeros}}}"
    return head + "".join(f"({var}{'-' if r > 0 else '+'}{abs(r)})" for r in roots if r != 0)


@FUZZ
@given(st.lists(st.integers(-9, 9), min_size=1, max_size=4), st.sampled_from((1, 2, -1, 3)))
def test_factored_polynomial_equals_expanded(roots, lead):
    expanded = _poly_latex(_expand(roots, lead))
    factored = ("" if lead == 1 else "-" if lead == -1 else str(lead)) + _factors_latex(roots)
    assert verdict(expanded, f"\\boxed{{{factored}}}") == 1.0, (expanded, factored)
    assert verdict(factored, f"\\boxed{{{expanded}}}") == 1.0, (factored, expanded)
    changed = _expand(roots, lead)
    changed[0] += 1
    assert verdict(_poly_latex(changed), f"\\boxed{{{factored}}}") == 0.0, (changed, factored)
    other_variable = _poly_latex(_expand(roots, lead), var="y")
    if len(_expand(roots, lead)) > 1:
        assert verdict(expanded, f"\\boxed{{{other_variable}}}") == 0.0, other_variable


# ---- intervals --------------------------------------------------------------------------------

@FUZZ
@given(st.integers(-50, 50), st.integers(1, 50), st.booleans(), st.booleans())
def test_interval_equals_its_inequality(low, width, closed_low, closed_high):
    high = low + width
    interval = f"{'[' if closed_low else '('}{low}, {high}{']' if closed_high else ')'}"
    low_rel, high_rel = ("\\le" if closed_low else "<"), ("\\le" if closed_high else "<")
    inequality = f"{low} {low_rel} x {high_rel} {high}"
    assert verdict(interval, f"\\boxed{{{inequality}}}") == 1.0, (interval, inequality)
    assert verdict(inequality, f"\\boxed{{{interval}}}") == 1.0, (inequality, interval)
    flipped = f"{'(' if closed_low else '['}{low}, {high}{']' if closed_high else ')'}"
    assert verdict(interval, f"\\boxed{{{flipped}}}") == 0.0, (interval, flipped)


def test_generated_batch_matches_single_calls():
    values = [Fraction(n, d) for n in range(-20, 21) for d in (1, 2, 3, 8)]
    golds = [latex_fraction(v) for v in values]
    completions = [f"\\boxed{{{float(v)!r}}}" if v.denominator in (1, 2, 8) else
                   f"\\boxed{{{v.numerator}/{v.denominator}}}" for v in values]
    batch = accuracy(completions, golds, num_threads=2)
    assert np.array_equal(batch, np.ones(len(values), dtype=np.float32)), [
        (g, c) for g, c, b in zip(golds, completions, batch) if b != 1.0]
