"""Round trips: what SymPy's ``latex()`` and derive's own printer write reads back to the same
expression, for every function of the vocabulary and for random expression trees."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from derive import printing
from derive.proof.equality import evaluated, is_zero
from derive.read import parse_claim, parse_loss
from rules.registry import entries
from tests.test_engine import trees

x, y = sympy.symbols("x y", real=True)

# SymPy writes H(x) as \theta(x); in notes θ is a parameter, so derive reads θ(x) as an unknown
# function. derive's own printer writes H(x), read as the step in a claim (test below).
NOT_FROM_SYMPY = {sympy.Heaviside}


def _applied(entry) -> sympy.Expr:
    """The entry's function applied to x (to x and y when it takes any number)."""
    return entry.build(x, y) if entry.arity is None else entry.build(x)


FUNCTIONS = [e for e in entries() if e.names or e.letters]


@pytest.mark.parametrize("entry", FUNCTIONS, ids=[e.head.__name__ for e in FUNCTIONS])
def test_sympy_latex_of_every_function_reads_back(entry):
    if entry.head in NOT_FROM_SYMPY:
        pytest.skip("SymPy writes H(x) as \\theta(x)")
    expr = _applied(entry)
    assert evaluated(parse_loss(sympy.latex(expr)).expr) == evaluated(expr)


@pytest.mark.parametrize("entry", FUNCTIONS, ids=[e.head.__name__ for e in FUNCTIONS])
def test_derives_own_latex_of_every_function_reads_back(entry):
    expr = _applied(entry)
    loss = parse_loss("x + y")  # a claim in a loss's notation reads derive's output back
    assert evaluated(parse_claim(printing.latex(expr, {}), loss)) == evaluated(expr)


@pytest.mark.parametrize("at_zero", [0, sympy.S.Half, 1], ids=["strict", "half", "closed"])
def test_each_step_derive_prints_reads_back_as_that_step(at_zero):
    expr = sympy.Heaviside(x - 1, at_zero)
    loss = parse_loss("x")
    assert parse_claim(printing.latex(expr, {}), loss) == expr


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 4).flatmap(trees))
def test_sympy_latex_of_random_trees_reads_back(expr):
    text = sympy.latex(expr)
    assume("ITE" not in text)  # SymPy's if-then-else conditions: no one writes them in notes
    read = parse_loss(text).expr
    assert evaluated(read) == evaluated(expr) or is_zero(read - expr, seconds=10), text
