"""Derivations that scale (issue 13, item 4): σ nested 16 deep, 200 squared residuals, a max
of 12, a product of 200 factors, each answered with every step proved or checked, and equal
to SymPy's own derivative; and the local proofs that make them fast prove only what holds.

No wall-clock times are asserted (the suite runs under load): the API's own deadline is the
guard, generous here; ``python bench/scaling.py`` measures the times.
"""

from __future__ import annotations

import random

import pytest
import sympy

import derive
from bench.scaling import (
    maximum_of_lines,
    maximum_of_slopes,
    nested_sigmoid,
    product_of_factors,
    squared_residuals,
)
from derive.engine import derivative_steps
from derive.model import CHECKED, FAILED, PROVED, Step
from derive.proof.local import identity, inner_substeps
from derive.proof.prover import Budget, Prover
from rules.neural import sigmoid
from rules.registry import elementary_form

TIMEOUT = 60  # seconds: the API's deadline, far above what the cases take (bench/scaling.py)
W = sympy.Symbol("w", real=True)


CASES = [
    pytest.param(nested_sigmoid(16), id="sigma-nested-16"),
    pytest.param(squared_residuals(200), id="residuals-200"),
    pytest.param(maximum_of_slopes(12), id="max-12-slopes"),
    pytest.param(maximum_of_lines(12), id="max-12-lines"),
    pytest.param(product_of_factors(200), id="product-200"),
]


def _values(expr: sympy.Expr, point: dict) -> sympy.Expr:
    return sympy.N(elementary_form(expr).xreplace(point), 30)


def _agrees_with_sympy(result: sympy.Expr, loss: sympy.Expr, points: int = 3) -> bool:
    """``result`` against SymPy's diff of the loss at seeded random points (values in
    ±[0.3, 2], where no two arguments of a max tie)."""
    reference = sympy.diff(elementary_form(loss), W)
    rng = random.Random(13)
    symbols = sorted(loss.free_symbols, key=str)
    for _ in range(points):
        point = {s: sympy.Float(rng.choice((-1, 1)) * rng.uniform(0.3, 2.0), 30) for s in symbols}
        ours, theirs = _values(result, point), _values(reference, point)
        if abs(ours - theirs) > 1e-12 * (1 + abs(theirs)):
            return False
    return True


@pytest.mark.parametrize("latex", CASES)
def test_answered_with_every_step_proved_or_checked(latex):
    d = derive.gradient(latex, wrt="w", timeout=TIMEOUT)
    partial = d.partials[0]
    assert partial.verified in (PROVED, CHECKED)
    assert all(s.verified in (PROVED, CHECKED) for s in partial.steps)
    assert _agrees_with_sympy(partial.result, d.loss.expr)


def _code_agrees(d, points: int = 3) -> bool:
    """The generated module's gradient against SymPy's diff of the loss."""
    module = d.compile(timeout=TIMEOUT)
    symbols = {s.name: s for s in d.loss.expr.free_symbols}
    reference = sympy.diff(elementary_form(d.loss.expr), W)
    rng = random.Random(7)
    for _ in range(points):
        values = {name: rng.choice((-1, 1)) * rng.uniform(0.3, 2.0) for name in module.PARAMETERS}
        point = {symbols[name]: sympy.Float(v, 30) for name, v in values.items()}
        ours, theirs = float(module.gradient(**values)), float(_values(reference, point))
        if abs(ours - theirs) > 1e-9 * (1 + abs(theirs)):
            return False
    return True


@pytest.mark.parametrize(
    "latex",
    [
        pytest.param(nested_sigmoid(16), id="sigma-nested-16"),
        pytest.param(squared_residuals(50), id="residuals-50"),
        pytest.param(squared_residuals(200), id="residuals-200"),
        pytest.param(maximum_of_slopes(12), id="max-12-slopes"),
        pytest.param(product_of_factors(100), id="product-100"),  # 200! overflows a float
    ],
)
def test_code_is_generated_and_right(latex):
    assert _code_agrees(derive.gradient(latex, wrt="w", timeout=TIMEOUT))


def test_a_result_too_large_to_simplify_whole_is_shown_as_derived_and_said_so():
    """Each term tidied on its own (2x₁(wx₁ − y₁)), proved; a note says why not more."""
    d = derive.gradient(squared_residuals(200), wrt="w", timeout=TIMEOUT)
    x1, y1 = sympy.Symbol("x_1", real=True), sympy.Symbol("y_1", real=True)
    assert 2 * x1 * (W * x1 - y1) in sympy.Add.make_args(d.partials[0].formula)
    assert any("not simplified whole" in r.text for r in d.readings)
    small = derive.gradient(squared_residuals(3), wrt="w", timeout=TIMEOUT)
    assert not any("not simplified whole" in r.text for r in small.readings)


# -- the local proofs prove only what holds ----------------------------------------------

x = sympy.Symbol("x", real=True)


def _verified(step: Step) -> Step:
    return Prover(Budget(10)).verify(step)


def _derived(expr: sympy.Expr) -> Step:
    step, _ = derivative_steps(expr, x)
    return step


def test_a_wrong_rewrite_of_a_sum_is_not_proved_by_its_rule():
    """A rewrite the parts' results fit, but not the sum rule: d/dx (x² + sin x) written as
    2·d/dx x² + d/dx sin x."""
    right = _derived(x**2 + sympy.sin(x))
    square, sine = right.substeps
    rewrite = 2 * square.pending + sine.pending
    wrong = Step(right.rule, right.expr, x, rewrite, 4 * x + sympy.cos(x), right.substeps)
    assert _verified(wrong).verified == FAILED


def test_a_result_that_is_not_its_rewrite_worked_out_is_not_proved_by_its_rule():
    right = _derived(x**2 + sympy.sin(x))
    wrong = Step(right.rule, right.expr, x, right.rewrite, right.result + 1, right.substeps)
    assert _verified(wrong).verified == FAILED


def test_a_chain_rule_step_with_a_wrong_outer_derivative_fails():
    """σ(x²): the outer step claims σ′(u) = σ(u), the chain built on it accordingly."""
    right = _derived(sigmoid(x**2))
    outer, inner = right.substeps
    claimed = outer.expr  # σ(u) for σ′(u)
    wrong_outer = Step(outer.rule, outer.expr, outer.var, claimed, claimed, outer=True)
    value = claimed.xreplace({outer.var: inner.expr})
    wrong = Step(right.rule, right.expr, x, value * inner.pending, value * inner.result,
                 (wrong_outer, inner))  # fmt: skip
    verified = _verified(wrong)
    assert verified.substeps[0].verified == FAILED
    assert verified.verified == FAILED


def test_a_part_holding_a_bound_index_is_left_to_the_whole_proof():
    """Σᵢ (w xᵢ)²: the summand holds i, which no function of w alone stands for."""
    i = sympy.Symbol("i", integer=True)
    n = sympy.Symbol("N", integer=True, positive=True)
    xs = sympy.IndexedBase("x", real=True)
    step = _derived(sympy.Sum((x * xs[i]) ** 2, (i, 1, n)))
    assert identity(step, inner_substeps(step, step.substeps)) is None


@pytest.mark.parametrize(
    "expr",
    [
        sympy.Max(x, 2 * x - 1, 3 * x - 3),
        sympy.sin(x) * sympy.exp(x) * (x**2 + 1),
        sympy.Abs(x**2 - 1) + sympy.log(x**2 + 1),
        sympy.Piecewise((x**2, x > 1), (sympy.cos(x), True)),
    ],
    ids=["max-of-lines", "product", "abs-and-log", "cases"],
)
def test_steps_proved_by_their_rules_are_right(expr):
    """Every step proved (by its rule's identity or whole), and the result is SymPy's."""
    step = _verified(_derived(expr))
    assert all(s.verified == PROVED for s in step.walk())
    point = {x: sympy.Float("0.7316", 30)}
    reference = sympy.diff(expr, x)
    assert abs(_values(step.result, point) - _values(reference, point)) < 1e-20
