"""The engine: step trees, the chain rule, and random expression trees against sympy.diff."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from derive.engine import derivative_steps
from derive.errors import DeriveError
from derive.model import FAILED
from derive.proof.equality import is_zero, numerically_equal, reference_derivative
from derive.proof.prover import Budget, Prover
from rules.neural import sigmoid, softplus
from rules.nonsmooth import relu
from rules.registry import UnknownHead, find_rule

x, y = sympy.symbols("x y", real=True)

UNARY = [
    sympy.sin, sympy.cos, sympy.tanh, sympy.atan, sympy.exp, sympy.Abs, sigmoid, softplus, relu,
    lambda u: sympy.log(u**2 + 1), lambda u: sympy.sqrt(u**2 + 1), lambda u: u**3,
]  # fmt: skip
BINARY = [
    sympy.Add, sympy.Mul, sympy.Max, sympy.Min,
    lambda a, b: a / (b**2 + 1),
    lambda a, b: sympy.Piecewise((a, b > 0), (a * b, True)),
]  # fmt: skip
LEAVES = st.sampled_from([x, y, x, sympy.Integer(2), sympy.Rational(1, 3), -x])


def trees(depth: int) -> st.SearchStrategy:
    """Expressions whose tree is exactly ``depth`` operations deep."""
    if depth == 0:
        return LEAVES
    deep = trees(depth - 1)
    unary = st.builds(lambda k, u: UNARY[k](u), st.integers(0, len(UNARY) - 1), deep)
    binary = st.builds(
        lambda k, a, b, flip: BINARY[k](*((b, a) if flip else (a, b))),
        st.integers(0, len(BINARY) - 1),
        deep,
        st.integers(0, depth - 1).flatmap(trees),
        st.booleans(),
    )
    return st.one_of(unary, binary)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(4, 5).flatmap(trees))
def test_random_trees_match_sympy(expr):
    step, _ = derivative_steps(expr, x)
    step = Prover(Budget(6)).verify(step)
    assert all(s.verified != FAILED for s in step.walk()), [
        (s.rule, s.expr) for s in step.walk() if s.verified == FAILED
    ]
    difference = step.result - reference_derivative(expr, x)
    assert is_zero(difference, seconds=5) or numerically_equal(
        step.result, reference_derivative(expr, x)
    )


def test_chain_rule_has_outer_and_inner_steps():
    step, _ = derivative_steps(sympy.sin(x**2), x)
    assert step.rule.name == "chain rule"
    outer, inner = step.substeps
    assert outer.outer and outer.rule.name == "sine" and outer.result == sympy.cos(outer.var)
    assert inner.expr == x**2 and inner.result == 2 * x
    assert step.result == 2 * x * sympy.cos(x**2)


def test_outer_step_is_the_rule_in_its_own_variable():
    step, _ = derivative_steps(sympy.atan(x**2), x)
    outer = step.substeps[0]
    assert outer.result == 1 / (1 + outer.var**2)


def test_outer_variable_avoids_the_loss_symbols():
    u = sympy.Symbol("u", real=True)
    step, _ = derivative_steps(sympy.sin(u * x), x)
    assert step.substeps[0].var.name != "u"


def test_rewrite_keeps_inner_derivatives_pending():
    step, _ = derivative_steps(sympy.exp(x * y + x), x)
    assert step.rewrite == sympy.exp(x * y + x) * sympy.Derivative(x * y + x, x)


def test_pending_folds_constants_and_the_variable():
    constant, _ = derivative_steps(y, x)
    variable, _ = derivative_steps(x, x)
    assert constant.pending == 0 and variable.pending == 1


def test_unknown_head_is_a_clear_error():
    with pytest.raises(UnknownHead, match="no rule for factorial"):
        find_rule(sympy.factorial(x), x)
    assert issubclass(UnknownHead, DeriveError)
