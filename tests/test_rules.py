"""Every rule: proved against sympy.diff and checked by central differences; kinks on purpose."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from sympy import Abs, Heaviside, Max, Min, Piecewise, exp, log, sign, sqrt

from derive.api import gradient
from derive.emit.rules import latex_formula
from derive.engine import derivative_steps
from derive.model import PROVED
from derive.proof.equality import evaluated, is_zero, reference_derivative
from derive.proof.prover import Budget, Prover
from rules.neural import sigmoid, softplus
from rules.nonsmooth import relu
from rules.registry import all_rules, formula
from rules.ties import off_the_ties
from tests.numeric import central_difference, numpy_function, sample

x, y, z = sympy.symbols("x y z", real=True)
f = sympy.Function("f", real=True)
POSITIVE = {"x": (0.2, 3.0)}
UNIT = {"x": (-0.9, 0.9)}
ABOVE_ONE = {"x": (1.1, 3.0)}

# (rule, expression, variable, ranges of the symbols for the numeric check)
INDEX = sympy.Symbol("i", integer=True)

CASES = [
    ("constant rule", 3 * y + 1, x, None),
    ("variable rule", x, x, None),
    ("sum rule", x**2 + sympy.sin(x) + y, x, None),
    ("constant multiple", 5 * y * x**3, x, None),
    ("product rule", x * sympy.sin(x) * exp(x), x, None),
    ("quotient rule", sympy.sin(x) / (x**2 + 1), x, None),
    ("power rule", (x**2 + 1) ** sympy.Rational(3, 2), x, None),
    ("power rule", sqrt(x), x, POSITIVE),
    ("exponential, constant base", 2 ** (x**2), x, None),
    ("general power rule", x**x, x, POSITIVE),
    ("exponential", exp(-x * y), x, None),
    ("natural logarithm", log(1 + x**2), x, None),
    ("logarithm, base b", log(x) / log(2), x, POSITIVE),
    ("sine", sympy.sin(2 * x), x, None),
    ("cosine", sympy.cos(x**2), x, None),
    ("tangent", sympy.tan(x), x, UNIT),
    ("cotangent", sympy.cot(x), x, POSITIVE),
    ("secant", sympy.sec(x), x, UNIT),
    ("cosecant", sympy.csc(x), x, POSITIVE),
    ("arcsine", sympy.asin(x), x, UNIT),
    ("arccosine", sympy.acos(x), x, UNIT),
    ("arctangent", sympy.atan(x**2), x, None),
    ("arccotangent", sympy.acot(x), x, None),
    ("arcsecant", sympy.asec(x), x, ABOVE_ONE),
    ("arccosecant", sympy.acsc(x), x, ABOVE_ONE),
    ("hyperbolic sine", sympy.sinh(x), x, None),
    ("hyperbolic cosine", sympy.cosh(x), x, None),
    ("hyperbolic tangent", sympy.tanh(3 * x), x, None),
    ("hyperbolic cotangent", sympy.coth(x), x, POSITIVE),
    ("hyperbolic secant", sympy.sech(x), x, None),
    ("hyperbolic cosecant", sympy.csch(x), x, POSITIVE),
    ("inverse hyperbolic sine", sympy.asinh(x), x, None),
    ("inverse hyperbolic cosine", sympy.acosh(x), x, ABOVE_ONE),
    ("inverse hyperbolic tangent", sympy.atanh(x), x, UNIT),
    ("inverse hyperbolic cotangent", sympy.acoth(x), x, ABOVE_ONE),
    ("inverse hyperbolic secant", sympy.asech(x), x, {"x": (0.1, 0.9)}),
    ("inverse hyperbolic cosecant", sympy.acsch(x**2 + 1), x, None),
    ("error function", sympy.erf(x**2), x, None),
    ("cardinal sine", sympy.sinc(3 * x), x, POSITIVE),
    ("sigmoid", sigmoid(2 * x - 1), x, None),
    ("softplus", softplus(x * y), x, None),
    ("absolute value", Abs(x**2 - 2), x, None),
    ("sign (zero where defined)", sign(x - 1) * x, x, None),
    ("Heaviside step (zero where defined)", Heaviside(x) * x**2, x, None),
    ("ReLU", relu(3 * x - 1), x, None),
    ("maximum", Max(x, 1 - x, y), x, None),
    ("minimum", Min(x**2, 1), x, None),
    ("cases", Piecewise((x**2, x > 1), (2 * x - 1, True)), x, None),
    ("unknown function", f(x**2), x, None),
    ("unknown function", f(x, y), x, None),
    ("derivative of an unknown function", sympy.Derivative(f(x), x), x, None),
    ("chain rule", sympy.sin(x**2), x, None),
    ("sum over an index", sympy.Sum(sympy.sin(INDEX * x) / INDEX, (INDEX, 1, 4)), x, None),
]
# Tested in tests/test_sums.py, on sums written out at sizes 2, 3 and 4, against sympy.diff
# and central differences: an element of an array needs arrays of those sizes.
ARRAY_RULES = {"element of an array"}
IDS = [f"{rule}:{expr}" for rule, expr, _, _ in CASES]


@pytest.mark.parametrize("rule,expr,var,ranges", CASES, ids=IDS)
def test_rule_is_used_and_proved(rule, expr, var, ranges):
    step, _ = derivative_steps(expr, var)
    step = Prover(Budget(30)).verify(step)
    used = {s.rule.name for s in step.walk()}
    assert rule in used
    assert all(s.verified == PROVED for s in step.walk()), [
        (s.rule, s.verified) for s in step.walk()
    ]
    # off the ties of three or more arguments of a max, where derive shares the gradient
    gap = off_the_ties(step.result) - reference_derivative(expr, var)
    assert is_zero(gap, seconds=30)


@pytest.mark.parametrize("rule,expr,var,ranges", CASES, ids=IDS)
def test_rule_matches_central_differences(rule, expr, var, ranges):
    step, _ = derivative_steps(expr, var)
    symbols = sorted(expr.free_symbols | {var}, key=str)
    loss = numpy_function(expr, symbols)
    derivative = numpy_function(step.result, symbols)
    points = sample(symbols, np.random.default_rng(7), 200, ranges)
    numeric = central_difference(lambda **p: loss(*p.values()), points, var.name)
    analytic = np.broadcast_to(derivative(*points.values()), numeric.shape)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)


def test_every_rule_has_a_case():
    tested = {rule for rule, *_ in CASES} | ARRAY_RULES
    assert {r.name for r in all_rules()} <= tested


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.name)
def test_every_rule_states_its_formula_and_the_formula_is_right(rule):
    """The LaTeX formula shown for a rule is computed from the rule: prove it."""
    assert rule.statement
    expr, var, derivative = formula(rule)
    assert is_zero(derivative - reference_derivative(expr, var), seconds=30), rule.name
    assert latex_formula(rule).startswith(r"\frac{d}{d")


# -- kinks, on purpose -------------------------------------------------------------------------

KINKS = [
    # (loss, wrt, the derivative formula's value at the kink, the subgradient interval, where)
    ("abs-at-zero", r"|x|", "x", {"x": 0}, 0, (-1, 1)),
    ("abs-shifted", r"|x - 2|", "x", {"x": 2}, 0, (-1, 1)),
    ("max-tie", r"\max(x, y)", "x", {"x": 1, "y": 1}, sympy.S.Half, (0, 1)),
    ("max-tie-other-side", r"\max(x, y)", "y", {"x": 1, "y": 1}, sympy.S.Half, (0, 1)),
    ("min-tie", r"\min(x, y)", "x", {"x": 1, "y": 1}, sympy.S.Half, (0, 1)),
    ("relu-at-zero", r"\operatorname{ReLU}(x)", "x", {"x": 0}, 0, (0, 1)),
    ("hinge-at-margin", r"\max(0, 1 - x)", "x", {"x": 1}, -sympy.S.Half, (-1, 0)),
]


@pytest.mark.parametrize(
    "latex,wrt,point,value,interval", [k[1:] for k in KINKS], ids=[k[0] for k in KINKS]
)
def test_kink_convention_and_subgradient(latex, wrt, point, value, interval):
    partial = gradient(latex, wrt=wrt).partials[0]
    symbols = {s.name: s for s in partial.result.free_symbols}
    at_kink = partial.result.xreplace({symbols[n]: v for n, v in point.items() if n in symbols})
    assert evaluated(at_kink) == value
    (kink,) = partial.kinks
    assert tuple(kink.subgradient) == interval


def test_abs_kink_is_at_the_argument_zero():
    (kink,) = gradient(r"|m_x(w) - t|", wrt="w").partials[0].kinks
    assert str(kink.condition) == "Eq(m_x(w), t)"


def test_smooth_compositions_have_no_kink():
    assert gradient(r"|x|^3", wrt="x").partials[0].kinks == ()
    assert gradient(r"x |x|", wrt="x").partials[0].kinks == ()


def test_huber_is_smooth_where_its_branches_meet():
    huber = (
        r"\begin{cases} \frac{1}{2}x^2 & |x| \le 1 \\ |x| - \frac{1}{2} & \text{otherwise}"
        r" \end{cases}"
    )
    assert gradient(huber, wrt="x").partials[0].kinks == ()


def test_a_jump_between_branches_is_reported():
    step = r"\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}"
    (kink,) = gradient(step, wrt="x").partials[0].kinks
    assert kink.kind == "jump"
