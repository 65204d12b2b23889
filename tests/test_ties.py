"""The lemma of max and min of three or more: their switches sum to 1 off the ties."""

from __future__ import annotations

import itertools

import pytest
import sympy

from rules.nonsmooth import max_switch, min_switch, shared_among_the_tied
from rules.ties import off_the_ties

x, y, z, w = sympy.symbols("x y z w", real=True)


def _switches(args):
    return [max_switch(args, i) for i in range(len(args))]


def _sum_of_switches(switch, args):
    return sympy.Add(*(switch(args, i) for i in range(len(args))))


@pytest.mark.parametrize(
    "switch,args",
    [
        (max_switch, (x, y, z)),
        (min_switch, (x, y, z)),
        (max_switch, (x, 2 * y - 1, z * (w + 1), sympy.S.Zero)),
        (min_switch, (x + 1, x * (y + 1), z)),
    ],
    ids=["max-3", "min-3", "max-4-products", "min-3-products"],
)
def test_a_full_sum_of_switches_is_one_off_the_ties(switch, args):
    total = _sum_of_switches(switch, args)
    assert off_the_ties(x / total) == x
    values = [-1.5, 0.0, 0.5, 2.0]  # at every point where at most two arguments tie, it is 1
    symbols = sorted(total.free_symbols, key=str)
    for point in itertools.product(values, repeat=len(symbols)):
        at = dict(zip(symbols, point, strict=True))
        numbers = [float(a.xreplace(at)) for a in args]
        top = max(numbers) if switch is max_switch else min(numbers)
        if numbers.count(top) < 3:
            assert float(total.xreplace(at)) == 1


@pytest.mark.parametrize(
    "expr",
    [
        x / (max_switch((x, y, z), 0) + max_switch((x, y, z), 1)),  # not all of them
        x / (max_switch((x, y, z), 0) + max_switch((x, y, w), 1) + max_switch((x, y, z), 2)),
        x / (min_switch((x, y, z), 0) + max_switch((x, y, z), 1) + max_switch((x, y, z), 2)),
        x / (sympy.Heaviside(x) + sympy.Heaviside(y) + sympy.Heaviside(z)),
        x * _sum_of_switches(max_switch, (x, y, z)),  # a sum that does not divide
        x / sympy.Add(*(sympy.Heaviside(h.args[0], 0) for h in _switches((x, y, z)))),
        x / sympy.Add(*(sympy.Heaviside(h.args[0], 1) for h in _switches((x, y, z)))),
    ],
    ids=["two-of-three", "other-max", "mixed-min-max", "plain-steps", "multiplied", "H0-0", "H0-1"],
)
def test_anything_else_is_left_alone(expr):
    assert off_the_ties(expr) == expr


def test_a_tie_of_k_shares_the_gradient_equally():
    d = sympy.symbols("d0:3", real=True)
    shared = shared_among_the_tied(max_switch, (x, y, z), d)
    assert shared.xreplace({x: 1, y: 1, z: 1}) == (d[0] + d[1] + d[2]) / 3
    assert shared.xreplace({x: 1, y: 1, z: 0}) == (d[0] + d[1]) / 2
    assert shared.xreplace({x: 2, y: 1, z: 0}) == d[0]
    assert shared_among_the_tied(max_switch, (x, y), d[:2]) == (
        max_switch((x, y), 0) * d[0] + max_switch((x, y), 1) * d[1]
    )
