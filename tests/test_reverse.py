"""Reverse-mode generated code: a loss with a long product is cut into a chain of pieces and
differentiated backwards; its values are the derivation's, at random points and at kinks, and
every generated gradient costs at most 4× its loss's operations (the cheap-gradient
principle, counted on the syntax tree)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy

import derive
from derive.codecheck import check_module
from derive.codegen import reverse
from derive.codegen.operations import ratio
from tests.numeric import numpy_function
from tests.test_codegen import module_of
from tests.test_examples import documented_options
from tests.test_rules import CASES


def product(n: int) -> str:
    return " ".join(f"x_{{{i}}}" for i in range(n))


LONG_PRODUCTS = [
    ("product-4", product(4), None),
    ("product-10", product(10), None),
    ("product-200", product(200), [f"x_{{{i}}}" for i in range(200)]),
    ("residual", r"(x_1 x_2 x_3 x_4 x_5 - y)^2", None),
    ("sigmoid", r"\sigma(w_1 w_2 w_3 w_4 x)", ["w_1", "w_2", "w_3", "w_4"]),
    ("abs", r"|a b c d|", None),
    ("hinge", r"\max(1 - a b c d, 0)", None),
    ("quotient", r"\frac{a b c}{d g}", None),
    ("powers", r"a^2 b^3 c d g", None),
    ("shared", r"a b c d + a b c g", None),
    ("some-wrt", r"a b c d g h", ["a", "b", "g", "h"]),
    ("over-product", r"\frac{x}{a b c d}", None),
    ("nested", r"\log(1 + (a b c d)^2) x y z w", None),
]


def nest(function: str, depth: int, inner: str = "w x") -> str:
    for _ in range(depth):
        inner = function.replace("#", inner)
    return inner


# Deep nests, whose formulas (eight σ'(…) factors, each σ(u)σ(−u) when written stably) cost
# more than 4× the loss: cut into a piece per application.
NESTS = [
    ("sigmoid-8", nest(r"\sigma(#)", 8), ["w"]),
    ("tanh-8", nest(r"\tanh(#)", 8), ["w", "x"]),
    ("sigmoid-16", nest(r"\sigma(#)", 16), ["w"]),
    ("mixed", nest(r"\sin(\sigma(#))", 4, "w x + b"), ["w", "b"]),
]
ROWS = [row[1:] for row in LONG_PRODUCTS + NESTS]
IDS = [row[0] for row in LONG_PRODUCTS + NESTS]


@pytest.mark.parametrize("latex,wrt", ROWS, ids=IDS)
def test_long_products_and_deep_nests_cost_at_most_four_times_the_loss(latex, wrt):
    d = derive.gradient(latex, wrt=wrt, timeout=60)
    source = d.code(timeout=60)
    loss_ops, gradient_ops = ratio(source)
    assert gradient_ops <= 4 * loss_ops, (loss_ops, gradient_ops)


@pytest.mark.parametrize("latex,wrt", ROWS, ids=IDS)
def test_reverse_mode_gives_the_derivations_values(latex, wrt):
    """At 1,000 random points (of both signs, so that every kink's sides are met)."""
    d = derive.gradient(latex, wrt=wrt, timeout=60)
    module = d.compile(timeout=60)
    rng = np.random.default_rng(7)
    points = {name: rng.uniform(0.2, 1.2, 1000) * rng.choice([-1, 1], 1000)
              for name in module.PARAMETERS}  # fmt: skip
    symbols = [sympy.Symbol(name, real=True) for name in module.PARAMETERS]
    produced = module.gradient(*points.values())
    produced = produced if isinstance(produced, tuple) else (produced,)
    for partial, value in zip(d.partials, produced, strict=True):
        expected = numpy_function(partial.formula.xreplace(_code_symbols(d)), symbols)
        np.testing.assert_allclose(value, expected(*points.values()), rtol=1e-10, atol=1e-12)
    verdict = check_module(d, module, n=1000)
    assert verdict.ok, verdict.message


def _code_symbols(d) -> dict:
    """The loss's symbols as the module names them (x_{0} → x_0)."""
    from derive.codegen import parameters

    return {p.atom: sympy.Symbol(p.name, real=True) for p in parameters(d)}


@pytest.mark.parametrize(
    "latex,point,expected",
    [(r"\max(a b c d, 0)", {"a": 0.0, "b": 1.0, "c": 2.0, "d": 3.0}, (3.0, 0.0, 0.0, 0.0)),
     (r"|a b c d|", {"a": 0.0, "b": 1.0, "c": 2.0, "d": 3.0}, (0.0, 0.0, 0.0, 0.0)),
     (r"\operatorname{ReLU}(a b c d)", {"a": 2.0, "b": 0.0, "c": 1.0, "d": 1.0},
      (0.0, 0.0, 0.0, 0.0))],
    ids=["max-tie", "abs", "relu"],
)  # fmt: skip
def test_reverse_mode_follows_the_kink_conventions(latex, point, expected):
    """max at a tie splits: H(0) = 1/2; sign(0) = 0; ReLU'(0) = 0."""
    d = derive.gradient(latex)
    assert "_dt" in d.code()
    assert d.compile().gradient(**point) == pytest.approx(expected)


@pytest.mark.parametrize(
    "latex,wrt", [r[1:] for r in LONG_PRODUCTS], ids=[r[0] for r in LONG_PRODUCTS]
)
def test_a_long_product_is_what_reverse_mode_applies_to(latex, wrt):
    d = derive.gradient(latex, wrt=wrt, timeout=60)
    assert reverse.applies(d.expr, [p.var for p in d.partials])
    assert "_dt" in d.code(timeout=60)  # the adjoints of the pieces, ∂L/∂t1 …


def test_a_nest_whose_formula_costs_too_much_is_cut_into_pieces():
    source = derive.gradient(nest(r"\sigma(#)", 8), wrt="w").code()
    assert "dL_dt1 = dL_dt2*t2*(1 - t2)" in source


@pytest.mark.parametrize(
    "latex", [r"(w x - y)^2", r"\sigma(\sigma(w x))", r"a b c"], ids=["square", "two", "three"]
)
def test_a_small_loss_keeps_its_formulas(latex):
    """Formulas that cost at most 4× the loss read better than adjoints: they are kept."""
    assert "_dt" not in derive.gradient(latex).code()


def test_a_product_of_200_factors_costs_three_times_its_loss():
    every = [f"x_{{{i}}}" for i in range(200)]
    source = derive.gradient(product(200), wrt=every, timeout=60).code(timeout=60)
    loss_ops, gradient_ops = ratio(source)
    assert loss_ops == 199 and gradient_ops <= 3 * loss_ops


EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.tex"))
# d/du arcosh u = 1/(√(u − 1)√(u + 1)): 6 operations for a loss of one; no form with fewer
# is equal to it for every real u where it is computed.
# A max of three: each argument's switch compares it with the max of the other two, and
# the switches are divided by their sum so that a tie of three shares the gradient equally:
# 15 operations for a loss of 3.
COSTLIER_THAN_ITS_LOSS = {"acosh(x)", "Max(x, y, 1 - x)"}


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_costs_at_most_four_times_its_loss(path):
    options = documented_options(path)
    wrt = [options[k + 1] for k, option in enumerate(options) if option == "--wrt"]
    loss_ops, gradient_ops = ratio(derive.gradient(path.read_text(), wrt=wrt or None).code())
    assert gradient_ops <= 4 * loss_ops, (loss_ops, gradient_ops)


@pytest.mark.parametrize("rule,expr,var,ranges", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_every_rule_costs_at_most_four_times_its_loss(rule, expr, var, ranges):
    """An unknown function's value is a parameter (the loss f(x²) computes nothing): such a
    loss is counted as one operation."""
    loss_ops, gradient_ops = ratio(module_of(expr, [var.name] if expr.has(var) else None).code())
    bound = 6 if str(expr) in COSTLIER_THAN_ITS_LOSS else 4
    assert gradient_ops <= bound * max(loss_ops, 1), (loss_ops, gradient_ops)
