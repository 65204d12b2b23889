"""Undefined functions such as m_x(w): their derivatives stay symbolic, m_x'(w)."""

from __future__ import annotations

import sympy
from sympy.core.function import AppliedUndef

from rules.registry import Expansion, rule

x = sympy.Symbol("x", real=True)
f = sympy.Function("f", real=True)


def _unknown_specimen():
    u, v = (sympy.Function(name, real=True)(x) for name in "uv")
    return f(u, v), x


@rule(AppliedUndef, name="unknown function", specimen=_unknown_specimen)
def unknown_function(expr, var):
    """d/dx f(u₁, …, uₙ) = Σᵢ ∂f/∂uᵢ · duᵢ/dx; for f(x) itself, f'(x)"""
    partials = [expr.fdiff(i + 1) for i in range(len(expr.args))]
    return Expansion(
        expr.args, lambda ds: sympy.Add(*(p * d for p, d in zip(partials, ds, strict=True)))
    )


def _derivative_of_unknown(expr, var) -> bool:
    return isinstance(expr.expr, AppliedUndef) and all(
        isinstance(a, sympy.Symbol) for a in expr.expr.args
    )


@rule(
    sympy.Derivative,
    name="derivative of an unknown function",
    when=_derivative_of_unknown,
    specimen=lambda: (sympy.Derivative(f(x), x), x),
)
def derivative_of_unknown(expr, var):
    """d/dx ∂ⁿf/∂… = ∂ⁿ⁺¹f/∂…∂x: one more derivative of the unknown function"""
    return Expansion((), lambda _: sympy.Derivative(expr.expr, *expr.variable_count, var))
