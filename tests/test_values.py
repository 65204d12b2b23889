"""Values at points: the same numbers as SymPy's own evaluation, and no point given where a
part is astronomical (work in C that no deadline interrupts)."""

from __future__ import annotations

import time

import pytest
import sympy

from derive.proof.equality import value_at
from derive.proof.values import astronomical, substituted

x, y = sympy.symbols("x y", real=True)
POINT = {x: sympy.Float("0.7", 30), y: sympy.Float("-1.3", 30)}

ORDINARY = [
    ("polynomial", x**3 - 2 * x * y),
    ("exp-and-log", sympy.exp(x) * sympy.log(1 + y**2)),
    (
        "exact-constants",
        sympy.sqrt(2) * x + sympy.pi * sympy.cosh(100) - sympy.pi * sympy.sinh(100),
    ),
    ("max-and-abs", sympy.Max(x, y, 0) + abs(x - y)),
    ("piecewise", sympy.Piecewise((x, y > 0), (x**2, True))),
    ("huge-but-fine", x ** sympy.Integer(10) ** 4 + sympy.exp(-(y**2) * 1000)),
]


@pytest.mark.parametrize("expr", [e for _, e in ORDINARY], ids=[i for i, _ in ORDINARY])
def test_values_are_sympys_own(expr):
    expected = sympy.N(expr.xreplace(POINT), 30)
    assert abs(value_at(expr, POINT) - expected) <= 1e-25 * (1 + abs(expected))


ASTRONOMICAL = [
    ("exp-of-a-power-tower", sympy.exp(sympy.Max(2, x + 3) ** (sympy.Float(1.25) ** 100))),
    ("exp-of-exp-of-a-power", sympy.exp(sympy.exp((x + 3) ** 100_000))),
    ("constant-tower", x * sympy.exp(sympy.exp(sympy.exp(sympy.exp(5)))) - x),
    ("tiny", sympy.exp(-sympy.exp((y - 3) ** 2 * 10**6))),
]


@pytest.mark.parametrize("expr", [e for _, e in ASTRONOMICAL], ids=[i for i, _ in ASTRONOMICAL])
def test_no_value_where_a_part_is_astronomical(expr):
    started = time.monotonic()
    assert value_at(expr, POINT) is None
    assert substituted(expr, POINT) is None
    assert time.monotonic() - started < 30  # unguarded, the first took minutes in C


@pytest.mark.parametrize(
    "number, expected",
    [
        (sympy.Float(2) ** 65530, False),
        (sympy.Float(2) ** 65540, True),
        (sympy.Float(2) ** -65540, True),
        (sympy.Float(0), False),
        (sympy.Integer(2) ** 70000, True),
        (sympy.Float(1.5) + sympy.I * sympy.Float(2) ** 70000, True),
    ],
    ids=["below", "above", "tiny", "zero", "integer", "imaginary-part"],
)
def test_astronomical_is_beyond_two_to_the_65536(number, expected):
    assert astronomical(number) is expected
