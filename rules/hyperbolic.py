"""Hyperbolic functions and their inverses.

Each rule gives the outer derivative f'(u); the engine multiplies by du/dx (the chain rule).
"""

from __future__ import annotations

from sympy import (
    acosh,
    acoth,
    acsch,
    asech,
    asinh,
    atanh,
    cosh,
    coth,
    csch,
    sech,
    sinh,
    sqrt,
    tanh,
)

from rules.registry import derivative


@derivative(sinh, name="hyperbolic sine", names=("sinh",), commands=("sinh",))
def hyperbolic_sine(u):
    """d/du sinh u = cosh u"""
    return cosh(u)


@derivative(cosh, name="hyperbolic cosine", names=("cosh",), commands=("cosh",))
def hyperbolic_cosine(u):
    """d/du cosh u = sinh u"""
    return sinh(u)


@derivative(tanh, name="hyperbolic tangent", names=("tanh",), commands=("tanh",))
def hyperbolic_tangent(u):
    """d/du tanh u = 1 − tanh² u"""
    return 1 - tanh(u) ** 2


@derivative(coth, name="hyperbolic cotangent", names=("coth",), commands=("coth",))
def hyperbolic_cotangent(u):
    """d/du coth u = 1 − coth² u"""
    return 1 - coth(u) ** 2


@derivative(sech, name="hyperbolic secant", names=("sech",))
def hyperbolic_secant(u):
    """d/du sech u = −tanh u · sech u"""
    return -tanh(u) * sech(u)


@derivative(csch, name="hyperbolic cosecant", names=("csch",))
def hyperbolic_cosecant(u):
    """d/du csch u = −coth u · csch u"""
    return -coth(u) * csch(u)


@derivative(
    asinh,
    name="inverse hyperbolic sine",
    names=("arsinh", "arcsinh", "asinh"),
    inverse_of=sinh,
)
def inverse_hyperbolic_sine(u):
    """d/du arsinh u = 1/√(u² + 1)"""
    return 1 / sqrt(u**2 + 1)


@derivative(
    acosh,
    name="inverse hyperbolic cosine",
    names=("arcosh", "arccosh", "acosh"),
    inverse_of=cosh,
)
def inverse_hyperbolic_cosine(u):
    """d/du arcosh u = 1/(√(u − 1) √(u + 1))"""
    return 1 / (sqrt(u - 1) * sqrt(u + 1))


@derivative(
    atanh,
    name="inverse hyperbolic tangent",
    names=("artanh", "arctanh", "atanh"),
    inverse_of=tanh,
)
def inverse_hyperbolic_tangent(u):
    """d/du artanh u = 1/(1 − u²)"""
    return 1 / (1 - u**2)


@derivative(
    acoth,
    name="inverse hyperbolic cotangent",
    names=("arcoth", "arccoth", "acoth"),
    inverse_of=coth,
)
def inverse_hyperbolic_cotangent(u):
    """d/du arcoth u = 1/(1 − u²)"""
    return 1 / (1 - u**2)


@derivative(
    asech,
    name="inverse hyperbolic secant",
    names=("arsech", "arcsech", "asech"),
    inverse_of=sech,
)
def inverse_hyperbolic_secant(u):
    """d/du arsech u = −1/(u √(1 − u²))"""
    return -1 / (u * sqrt(1 - u**2))


@derivative(
    acsch,
    name="inverse hyperbolic cosecant",
    names=("arcsch", "arccsch", "acsch"),
    inverse_of=csch,
)
def inverse_hyperbolic_cosecant(u):
    """d/du arcsch u = −1/(u² √(1 + 1/u²))"""
    return -1 / (u**2 * sqrt(1 + 1 / u**2))
