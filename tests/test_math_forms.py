"""Property tests of the parser and comparer: one value written in many LaTeX and plain forms
compares equal; different values compare unequal (exactly, even for huge integers)."""

import decimal
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from grpo_c.rewards import answers_equal


def int_forms(n: int):
    s = str(abs(n))
    sign = "-" if n < 0 else ""
    forms = [f"{sign}{s}", f"{sign}{s}.0", f"{sign}{s}.00", "\u2212" + s if n < 0 else s,
             f"{sign}\\text{{{s}}}", f"{sign}\\mathbf{{{s}}}", f"\\left({sign}{s}\\right)",
             f"{sign}{s}\\,", f"\\displaystyle {sign}{s}", f"{sign}\\${s}", f"{{{sign}{s}}}"]
    if len(s) > 3:
        groups = []
        t = s
        while t:
            groups.insert(0, t[-3:])
            t = t[:-3]
        for sep in (",", "{,}", "\\,"):
            forms.append(sign + sep.join(groups))
    return forms


def frac_forms(f: Fraction):
    p, q = f.numerator, f.denominator
    sign = "-" if p < 0 else ""
    a = abs(p)
    forms = [f"{sign}\\frac{{{a}}}{{{q}}}", f"{sign}\\dfrac{{{a}}}{{{q}}}", f"{sign}\\tfrac{{{a}}}{{{q}}}",
             f"{p}/{q}", f"\\frac{{{p}}}{{{q}}}", f"{sign}\\frac{{{2 * a}}}{{{2 * q}}}",
             f"{sign}\\left(\\frac{{{a}}}{{{q}}}\\right)", f"\\frac{{{-p}}}{{{-q}}}"]
    if a < 10 and q < 10:
        forms.append(f"{sign}\\frac{a}{q}")
    if a > q and not (a % q == 0):
        forms.append(f"{sign}{a // q}\\frac{{{a % q}}}{{{q}}}")
    d = q
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:  # terminating decimal
        # exact (a float's 15 digits would round 847736400446211/5 to an integer)
        forms.append(format(decimal.Context(prec=80).divide(decimal.Decimal(p), decimal.Decimal(q)), "f"))
    return forms


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-10**40, max_value=10**40), st.data())
def test_integer_forms_equal(n, data):
    a = data.draw(st.sampled_from(int_forms(n)))
    b = data.draw(st.sampled_from(int_forms(n)))
    assert answers_equal(a, f"\\boxed{{{b}}}"), (a, b)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-10**40, max_value=10**40), st.integers(min_value=1, max_value=10**6))
def test_integers_differ_exactly(n, delta):
    assert not answers_equal(str(n), str(n + delta))
    assert not answers_equal(str(n), f"\\boxed{{{n - delta}}}")


@settings(max_examples=300, deadline=None)
@given(st.fractions(max_denominator=10**6).filter(lambda f: f.denominator > 1), st.data())
def test_fraction_forms_equal(f, data):
    a = data.draw(st.sampled_from(frac_forms(f)))
    b = data.draw(st.sampled_from(frac_forms(f)))
    assert answers_equal(a, b), (a, b)


@settings(max_examples=300, deadline=None)
@given(st.fractions(max_denominator=10**4), st.fractions(max_denominator=10**4))
def test_different_fractions_unequal(f, g):
    assume(f != g)
    assert not answers_equal(f"\\frac{{{f.numerator}}}{{{f.denominator}}}",
                             f"\\frac{{{g.numerator}}}{{{g.denominator}}}")


def test_powers_of_two_exact():
    for k in (64, 100, 127, 200, 1000):
        assert answers_equal(f"2^{{{k}}}", str(2**k))
        assert not answers_equal(f"2^{{{k}}}", str(2**k + 1))
        assert not answers_equal(f"2^{{{-k}}}", f"2^{{{-k - 1}}}")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-50, 50), min_size=1, max_size=6, unique=True), st.randoms())
def test_lists_are_unordered_tuples_ordered(values, rnd):
    shuffled = values[:]
    rnd.shuffle(shuffled)
    as_list = lambda v: ", ".join(map(str, v))  # noqa: E731
    assert answers_equal(as_list(values), as_list(shuffled))
    assert answers_equal("\\{" + as_list(values) + "\\}", "\\{" + as_list(shuffled) + "\\}")
    if len(values) >= 2:
        assert answers_equal("(" + as_list(values) + ")", "(" + as_list(values) + ")")
        if shuffled != values:
            assert not answers_equal("(" + as_list(values) + ")", "(" + as_list(shuffled) + ")")
        assert not answers_equal(as_list(values), as_list(values[:-1]))


POLYS = st.lists(st.integers(-5, 5), min_size=1, max_size=4)


def poly_latex(coeffs, var="x"):
    terms = [f"({c}){var}^{{{k}}}" for k, c in enumerate(coeffs) if c]
    return "+".join(terms) or "0"


@settings(max_examples=200, deadline=None)
@given(POLYS, POLYS)
def test_polynomials_equal_iff_coefficients_equal(p, q):
    strip = lambda c: [x for x in c] if any(c) else [0]  # noqa: E731
    norm = lambda c: tuple(c[: max([i + 1 for i, x in enumerate(c) if x] or [0])])  # noqa: E731
    assert answers_equal(poly_latex(p), poly_latex(q)) == (norm(strip(p)) == norm(strip(q)))


def test_symbolic_identities():
    pairs_equal = [("(x+1)^2", "x^2+2x+1"), ("\\frac{x^2-1}{x-1}", "x+1"), ("\\sin^2 x+\\cos^2 x", "1"),
                   ("e^{x}e^{y}", "e^{x+y}"), ("\\sqrt{8}", "2\\sqrt{2}"), ("\\frac{1}{\\sqrt{3}}", "\\frac{\\sqrt{3}}{3}"),
                   ("a(b+c)", "ab+ac"), ("x^{-1}", "\\frac{1}{x}"), ("x-x", "0")]
    pairs_equal += [("i", "\\sqrt{-1}"), ("2i", "\\sqrt{-4}"), ("\\frac{1}{\\sqrt{n}}", "\\sqrt{\\frac{1}{n}}"),
                    ("(x+i)^2", "x^2+2ix-1")]
    pairs_unequal = [("\\sqrt{x}", "-\\sqrt{x}"), ("x^2-1", "(x-1)^2"), ("2x+1", "2y+1"), ("\\sqrt{x^2}", "x"), ("x+1", "x"),
                     ("\\sin x", "\\cos x"), ("ab", "a+b")]
    for a, b in pairs_equal:
        assert answers_equal(a, b), (a, b)
    for a, b in pairs_unequal:
        assert not answers_equal(a, b), (a, b)


BOUND = st.integers(-20, 20)


@settings(max_examples=200, deadline=None)
@given(BOUND, BOUND, st.booleans(), st.booleans())
def test_intervals_match_inequalities(a, b, lo_closed, hi_closed):
    assume(a < b)
    interval = ("[" if lo_closed else "(") + f"{a},{b}" + ("]" if hi_closed else ")")
    le, ge = "\\le", "\\ge"
    ineq = f"{a} {le if lo_closed else '<'} x {le if hi_closed else '<'} {b}"
    flipped = f"{b} {ge if hi_closed else '>'} x {ge if lo_closed else '>'} {a}"
    assert answers_equal(interval, ineq) and answers_equal(ineq, interval)
    assert answers_equal(ineq, flipped)
    other = ("(" if lo_closed else "[") + f"{a},{b}" + ("]" if hi_closed else ")")
    assert not answers_equal(interval, other)
    assert not answers_equal(ineq, other)


@settings(max_examples=200, deadline=None)
@given(st.integers(-9, 9), st.integers(-9, 9), st.integers(-9, 9), st.integers(-5, 5).filter(bool))
def test_equations_equal_up_to_scaling(a, b, c, k):
    assume(a or b)
    lhs = f"({a})x+({b})y"
    assert answers_equal(f"{lhs}={c}", f"({k * a})x+({k * b})y={k * c}")
    assert not answers_equal(f"{lhs}={c}", f"{lhs}={c + 1}")
    if k > 0:
        assert answers_equal(f"{lhs}<{c}", f"({k * a})x+({k * b})y<{k * c}")
    else:
        assert answers_equal(f"{lhs}<{c}", f"({k * a})x+({k * b})y>{k * c}")
        assert not answers_equal(f"{lhs}<{c}", f"({k * a})x+({k * b})y<{k * c}")


def test_high_degree_polynomials_are_exact():
    poly = "+".join(f"x^{{{i}}}" for i in range(200))
    assert answers_equal(poly, poly)
    assert not answers_equal(poly, poly + "+1")
    assert answers_equal("(x+1)^{1000}", "(1+x)^{999}(x+1)")
    assert not answers_equal("(x+1)^{1000}", "(1+x)^{999}(x+1)+1")


def test_large_collections_compare_in_bounded_work():
    pairs = ", ".join(f"({i},{i + 1})" for i in range(64))
    rev = ", ".join(f"({i},{i + 1})" for i in reversed(range(64)))
    assert answers_equal(pairs, rev)
    union = "\\cup".join(f"({2 * i},{2 * i + 1})" for i in range(200))
    assert answers_equal(union, "\\cup".join(reversed(union.split("\\cup"))))
