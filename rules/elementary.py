"""Exponential, logarithms, trigonometric and hyperbolic functions and their inverses.

Each rule gives the outer derivative f'(u); the engine multiplies by du/dx (the chain rule).
"""

from __future__ import annotations

import sympy
from sympy import (
    Pow,
    cos,
    cosh,
    cot,
    coth,
    csc,
    csch,
    exp,
    log,
    sec,
    sech,
    sin,
    sinh,
    sqrt,
    tan,
    tanh,
)

from rules.registry import KinkSpec, Outer, rule


@rule(sympy.exp, name="exponential", formula=r"\frac{d}{du} e^u = e^u")
def exponential(expr, var):
    """d/du eᵘ = eᵘ"""
    (u,) = expr.args
    return Outer(u, exp(u))


@rule(sympy.log, name="natural logarithm", formula=r"\frac{d}{du} \ln u = \frac{1}{u}")
def natural_log(expr, var):
    """d/du ln u = 1/u"""
    (u,) = expr.args
    return Outer(u, 1 / u)


def _log_base(expr, var):
    """``expr`` as (u, b) when it is log(u)/log(b): SymPy's form of log to a constant base b."""
    if not expr.is_Mul or len(expr.args) != 2:
        return None
    for log_u, inverse in (expr.args, expr.args[::-1]):
        if (
            isinstance(log_u, log)
            and log_u.has(var)
            and isinstance(inverse, Pow)
            and inverse.exp == -1
            and isinstance(inverse.base, log)
            and not inverse.base.has(var)
        ):
            return log_u.args[0], inverse.base.args[0]
    return None


@rule(
    sympy.Mul,
    name="logarithm, base b",
    formula=r"\frac{d}{du} \log_b u = \frac{1}{u \ln b}",
    when=lambda expr, var: _log_base(expr, var) is not None,
    priority=1,
)
def log_base(expr, var):
    """d/du log_b u = 1/(u · ln b) for a constant base b"""
    u, b = _log_base(expr, var)
    return Outer(u, 1 / (u * log(b)))


@rule(sympy.sin, name="sine", formula=r"\frac{d}{du}\sin u = \cos u")
def sine(expr, var):
    """d/du sin u = cos u"""
    (u,) = expr.args
    return Outer(u, cos(u))


@rule(sympy.cos, name="cosine", formula=r"\frac{d}{du}\cos u = -\sin u")
def cosine(expr, var):
    """d/du cos u = −sin u"""
    (u,) = expr.args
    return Outer(u, -sin(u))


@rule(sympy.tan, name="tangent", formula=r"\frac{d}{du}\tan u = 1 + \tan^2 u")
def tangent(expr, var):
    """d/du tan u = 1 + tan² u"""
    (u,) = expr.args
    return Outer(u, 1 + tan(u) ** 2)


@rule(sympy.cot, name="cotangent", formula=r"\frac{d}{du}\cot u = -1 - \cot^2 u")
def cotangent(expr, var):
    """d/du cot u = −1 − cot² u"""
    (u,) = expr.args
    return Outer(u, -1 - cot(u) ** 2)


@rule(sympy.sec, name="secant", formula=r"\frac{d}{du}\sec u = \tan u \sec u")
def secant(expr, var):
    """d/du sec u = tan u · sec u"""
    (u,) = expr.args
    return Outer(u, tan(u) * sec(u))


@rule(sympy.csc, name="cosecant", formula=r"\frac{d}{du}\csc u = -\cot u \csc u")
def cosecant(expr, var):
    """d/du csc u = −cot u · csc u"""
    (u,) = expr.args
    return Outer(u, -cot(u) * csc(u))


@rule(sympy.asin, name="arcsine", formula=r"\frac{d}{du}\arcsin u = \frac{1}{\sqrt{1 - u^2}}")
def arcsine(expr, var):
    """d/du arcsin u = 1/√(1 − u²)"""
    (u,) = expr.args
    return Outer(u, 1 / sqrt(1 - u**2))


@rule(sympy.acos, name="arccosine", formula=r"\frac{d}{du}\arccos u = -\frac{1}{\sqrt{1 - u^2}}")
def arccosine(expr, var):
    """d/du arccos u = −1/√(1 − u²)"""
    (u,) = expr.args
    return Outer(u, -1 / sqrt(1 - u**2))


@rule(sympy.atan, name="arctangent", formula=r"\frac{d}{du}\arctan u = \frac{1}{1 + u^2}")
def arctangent(expr, var):
    """d/du arctan u = 1/(1 + u²)"""
    (u,) = expr.args
    return Outer(u, 1 / (1 + u**2))


def arccotangent_jump(expr, var):
    """arccot u jumps from −π/2 to π/2 at u = 0 (SymPy's branch, arccot u = arctan(1/u))."""
    return [KinkSpec(expr.args[0], kind="jump")]


@rule(
    sympy.acot,
    name="arccotangent",
    formula=r"\frac{d}{du}\operatorname{arccot} u = -\frac{1}{1 + u^2}",
    kinks=arccotangent_jump,
)
def arccotangent(expr, var):
    """d/du arccot u = −1/(1 + u²), for u ≠ 0; arccot jumps at u = 0"""
    (u,) = expr.args
    return Outer(u, -1 / (1 + u**2))


@rule(
    sympy.asec,
    name="arcsecant",
    formula=r"\frac{d}{du}\operatorname{arcsec} u = \frac{1}{u^2\sqrt{1 - u^{-2}}}",
)
def arcsecant(expr, var):
    """d/du arcsec u = 1/(u² √(1 − 1/u²))"""
    (u,) = expr.args
    return Outer(u, 1 / (u**2 * sqrt(1 - 1 / u**2)))


@rule(
    sympy.acsc,
    name="arccosecant",
    formula=r"\frac{d}{du}\operatorname{arccsc} u = -\frac{1}{u^2\sqrt{1 - u^{-2}}}",
)
def arccosecant(expr, var):
    """d/du arccsc u = −1/(u² √(1 − 1/u²))"""
    (u,) = expr.args
    return Outer(u, -1 / (u**2 * sqrt(1 - 1 / u**2)))


@rule(sympy.sinh, name="hyperbolic sine", formula=r"\frac{d}{du}\sinh u = \cosh u")
def hyperbolic_sine(expr, var):
    """d/du sinh u = cosh u"""
    (u,) = expr.args
    return Outer(u, cosh(u))


@rule(sympy.cosh, name="hyperbolic cosine", formula=r"\frac{d}{du}\cosh u = \sinh u")
def hyperbolic_cosine(expr, var):
    """d/du cosh u = sinh u"""
    (u,) = expr.args
    return Outer(u, sinh(u))


@rule(sympy.tanh, name="hyperbolic tangent", formula=r"\frac{d}{du}\tanh u = 1 - \tanh^2 u")
def hyperbolic_tangent(expr, var):
    """d/du tanh u = 1 − tanh² u"""
    (u,) = expr.args
    return Outer(u, 1 - tanh(u) ** 2)


@rule(sympy.coth, name="hyperbolic cotangent", formula=r"\frac{d}{du}\coth u = 1 - \coth^2 u")
def hyperbolic_cotangent(expr, var):
    """d/du coth u = 1 − coth² u"""
    (u,) = expr.args
    return Outer(u, 1 - coth(u) ** 2)


@rule(
    sympy.sech,
    name="hyperbolic secant",
    formula=r"\frac{d}{du}\operatorname{sech} u = -\tanh u \operatorname{sech} u",
)
def hyperbolic_secant(expr, var):
    """d/du sech u = −tanh u · sech u"""
    (u,) = expr.args
    return Outer(u, -tanh(u) * sech(u))


@rule(
    sympy.csch,
    name="hyperbolic cosecant",
    formula=r"\frac{d}{du}\operatorname{csch} u = -\coth u \operatorname{csch} u",
)
def hyperbolic_cosecant(expr, var):
    """d/du csch u = −coth u · csch u"""
    (u,) = expr.args
    return Outer(u, -coth(u) * csch(u))


@rule(
    sympy.asinh,
    name="inverse hyperbolic sine",
    formula=r"\frac{d}{du}\operatorname{arsinh} u = \frac{1}{\sqrt{u^2 + 1}}",
)
def inverse_hyperbolic_sine(expr, var):
    """d/du arsinh u = 1/√(u² + 1)"""
    (u,) = expr.args
    return Outer(u, 1 / sqrt(u**2 + 1))


@rule(
    sympy.acosh,
    name="inverse hyperbolic cosine",
    formula=r"\frac{d}{du}\operatorname{arcosh} u = \frac{1}{\sqrt{u - 1}\sqrt{u + 1}}",
)
def inverse_hyperbolic_cosine(expr, var):
    """d/du arcosh u = 1/(√(u − 1) √(u + 1))"""
    (u,) = expr.args
    return Outer(u, 1 / (sqrt(u - 1) * sqrt(u + 1)))


@rule(
    sympy.atanh,
    name="inverse hyperbolic tangent",
    formula=r"\frac{d}{du}\operatorname{artanh} u = \frac{1}{1 - u^2}",
)
def inverse_hyperbolic_tangent(expr, var):
    """d/du artanh u = 1/(1 − u²)"""
    (u,) = expr.args
    return Outer(u, 1 / (1 - u**2))


@rule(
    sympy.acoth,
    name="inverse hyperbolic cotangent",
    formula=r"\frac{d}{du}\operatorname{arcoth} u = \frac{1}{1 - u^2}",
)
def inverse_hyperbolic_cotangent(expr, var):
    """d/du arcoth u = 1/(1 − u²)"""
    (u,) = expr.args
    return Outer(u, 1 / (1 - u**2))
