"""Constants, the variable, sums, constant multiples, products, quotients and powers."""

from __future__ import annotations

import sympy

from rules.registry import Expansion, Outer, depends, rule

x, u, c, n, a = (sympy.Symbol(name, real=True) for name in "xucna")
f, g = (sympy.Function(name, real=True)(x) for name in "uv")


def _depends(expr: sympy.Expr, var: sympy.Symbol) -> bool:
    return depends(expr, var)


@rule(
    name="constant rule",
    when=lambda expr, var: not _depends(expr, var),
    specimen=lambda: (c, x),
    trivial=True,
)
def constant(expr, var):
    """d/dx c = 0 for anything c that does not depend on x"""
    return Expansion((), lambda _: sympy.S.Zero)


@rule(
    name="variable rule",
    when=lambda expr, var: expr == var,
    specimen=lambda: (x, x),
    trivial=True,
)
def variable(expr, var):
    """d/dx x = 1"""
    return Expansion((), lambda _: sympy.S.One)


@rule(sympy.Add, name="sum rule", specimen=lambda: (f + g, x))
def sum_rule(expr, var):
    """d/dx (u + v + …) = du/dx + dv/dx + …"""
    return Expansion(expr.args, lambda ds: sympy.Add(*ds))


def independent_part(
    expr: sympy.Add | sympy.Mul, var: sympy.Symbol
) -> tuple[sympy.Expr, sympy.Expr]:
    """(c, u) with ``expr`` = c·u for a product (c + u for a sum) and c free of ``var``.

    Like SymPy's ``as_independent``, but each part is made from the arguments as they are,
    already in SymPy's order, without sorting them again: for x₁x₂…x₂₀₀ by each xᵢ this is
    the difference between linear and quadratic work."""
    free, bound = [], []
    for a in expr.args:
        (bound if depends(a, var) else free).append(a)
    return _rebuilt(expr, free), _rebuilt(expr, bound)


def _rebuilt(whole: sympy.Expr, args: list) -> sympy.Expr:
    if not args:
        return whole.func.identity
    return args[0] if len(args) == 1 else whole.func._from_args(args, whole.is_commutative)


def _constant_factor(expr, var):
    return independent_part(expr, var) if isinstance(expr, sympy.Mul) else (sympy.S.One, expr)


@rule(
    sympy.Mul,
    name="constant multiple",
    when=lambda expr, var: _constant_factor(expr, var)[0] != 1,
    specimen=lambda: (c * f, x),
)
def constant_multiple(expr, var):
    """d/dx (c·u) = c · du/dx"""
    c, u = _constant_factor(expr, var)
    return Expansion((u,), lambda ds: c * ds[0])


def _fraction(expr):
    """``expr`` as (numerator, denominator), splitting off factors with negative exponents."""
    numerator, denominator = [], []
    for factor in sympy.Mul.make_args(expr):
        if factor.is_Pow and factor.exp.is_Number and factor.exp.is_negative:
            denominator.append(factor.base ** (-factor.exp))
        else:
            numerator.append(factor)
    return sympy.Mul(*numerator), sympy.Mul(*denominator)


def _is_quotient(expr, var) -> bool:
    numerator, denominator = _fraction(expr)
    return denominator != 1 and _depends(numerator, var) and _depends(denominator, var)


def is_fraction_of(expr, var) -> bool:
    """Whether ``expr`` has a denominator that depends on ``var``: the quotient rule applies."""
    _, denominator = _fraction(expr)
    return denominator != 1 and _depends(denominator, var)


@rule(
    sympy.Mul,
    sympy.Pow,
    name="quotient rule",
    when=_is_quotient,
    specimen=lambda: (f / g, x),
)
def quotient(expr, var):
    """d/dx (u/v) = (du/dx · v − u · dv/dx) / v²"""
    u, v = _fraction(expr)
    return Expansion((u, v), lambda ds: (ds[0] * v - u * ds[1]) / v**2)


@rule(sympy.Mul, name="product rule", specimen=lambda: (f * g, x))
def product(expr, var):
    """d/dx (u₁·u₂·…·uₙ) = Σᵢ duᵢ/dx · Πⱼ≠ᵢ uⱼ"""
    factors = expr.args

    def combine(ds):
        return sympy.Add(
            *(d * sympy.Mul(*factors[:i], *factors[i + 1 :]) for i, d in enumerate(ds))
        )

    return Expansion(factors, combine)


@rule(
    sympy.Pow,
    name="power rule",
    when=lambda expr, var: not _depends(expr.exp, var),
    specimen=lambda: (u**n, u),
)
def power(expr, var):
    """d/du uⁿ = n·uⁿ⁻¹ for a constant n"""
    u, n = expr.args
    return Outer(u, n * u ** (n - 1))


@rule(
    sympy.Pow,
    name="exponential, constant base",
    when=lambda expr, var: not _depends(expr.base, var),
    specimen=lambda: (a**u, u),
)
def constant_base(expr, var):
    """d/du aᵘ = aᵘ · ln a for a constant a"""
    a, u = expr.args
    return Outer(u, a**u * sympy.log(a))


@rule(sympy.Pow, name="general power rule", specimen=lambda: (f**g, x))
def general_power(expr, var):
    """d/dx uᵛ = uᵛ · (dv/dx · ln u + v/u · du/dx)"""
    u, v = expr.args
    return Expansion((u, v), lambda ds: expr * (ds[1] * sympy.log(u) + v * ds[0] / u))
