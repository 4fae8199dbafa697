"""Plain-Python twins of the grpo_c kernels, written for clarity: the oracles of the tests.

Each section belongs to one topic; helpers append their own section at the end.
"""

from __future__ import annotations

import math
import re

# ------------------------------------------------------------------ code output comparators (branch sandbox)
# Twin of grpo_compare_output (csrc/code_compare.c).

_WS = " \t\n\r\v\f"


def _lines(s: str) -> list[str]:
    s = s.strip(_WS)
    return [line.strip(_WS) for line in s.split("\n")] if s else []


def _numbers_equal(a: str, b: str, rel_tol: float, abs_tol: float) -> bool:
    integer = re.compile(r"[-+]?[0-9]+\Z")
    decimal = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\Z")
    if integer.match(a) and integer.match(b):
        return int(a) == int(b)
    if not (decimal.match(a) and decimal.match(b)) or len(a) >= 128 or len(b) >= 128:
        return False
    x, y = float(a), float(b)
    if not (math.isfinite(x) and math.isfinite(y)):
        return False
    return abs(x - y) <= max(abs_tol, rel_tol * abs(y))


def compare_output(actual: str, expected: str, mode: str, rel_tol: float = 1e-6,
                   abs_tol: float = 1e-6) -> bool:
    """exact | lines | tokens | float, as documented in csrc/grpo.h."""
    if mode == "exact":
        return actual == expected
    if mode == "lines":
        return _lines(actual) == _lines(expected)
    ta, tb = actual.split(), expected.split()
    if mode == "tokens":
        return ta == tb
    return len(ta) == len(tb) and all(
        a == b or _numbers_equal(a, b, rel_tol, abs_tol) for a, b in zip(ta, tb))
