"""Trigonometric functions and their inverses.

Each rule gives the outer derivative f'(u); the engine multiplies by du/dx (the chain rule).
``\\sin^{-1}`` reads as arcsin through each inverse's ``inverse_of``.
"""

from __future__ import annotations

from sympy import acos, acot, acsc, asec, asin, atan, cos, cot, csc, sec, sin, sqrt, tan

from rules.registry import KinkSpec, derivative


@derivative(sin, name="sine", names=("sin",), commands=("sin",))
def sine(u):
    """d/du sin u = cos u"""
    return cos(u)


@derivative(cos, name="cosine", names=("cos",), commands=("cos",))
def cosine(u):
    """d/du cos u = −sin u"""
    return -sin(u)


@derivative(tan, name="tangent", names=("tan",), commands=("tan",))
def tangent(u):
    """d/du tan u = 1 + tan² u"""
    return 1 + tan(u) ** 2


@derivative(cot, name="cotangent", names=("cot",), commands=("cot",))
def cotangent(u):
    """d/du cot u = −1 − cot² u"""
    return -1 - cot(u) ** 2


@derivative(sec, name="secant", names=("sec",), commands=("sec",))
def secant(u):
    """d/du sec u = tan u · sec u"""
    return tan(u) * sec(u)


@derivative(csc, name="cosecant", names=("csc",), commands=("csc",))
def cosecant(u):
    """d/du csc u = −cot u · csc u"""
    return -cot(u) * csc(u)


@derivative(asin, name="arcsine", names=("arcsin", "asin"), commands=("arcsin",), inverse_of=sin)
def arcsine(u):
    """d/du arcsin u = 1/√(1 − u²)"""
    return 1 / sqrt(1 - u**2)


@derivative(acos, name="arccosine", names=("arccos", "acos"), commands=("arccos",), inverse_of=cos)
def arccosine(u):
    """d/du arccos u = −1/√(1 − u²)"""
    return -1 / sqrt(1 - u**2)


@derivative(atan, name="arctangent", names=("arctan", "atan"), commands=("arctan",), inverse_of=tan)
def arctangent(u):
    """d/du arctan u = 1/(1 + u²)"""
    return 1 / (1 + u**2)


def arccotangent_jump(expr):
    """arccot u jumps from −π/2 to π/2 at u = 0 (SymPy's branch, arccot u = arctan(1/u))."""
    return [KinkSpec(expr.args[0], kind="jump")]


@derivative(
    acot,
    name="arccotangent",
    names=("arccot", "acot"),
    inverse_of=cot,
    kinks=arccotangent_jump,
)
def arccotangent(u):
    """d/du arccot u = −1/(1 + u²), for u ≠ 0; arccot jumps at u = 0"""
    return -1 / (1 + u**2)


@derivative(asec, name="arcsecant", names=("arcsec", "asec"), inverse_of=sec)
def arcsecant(u):
    """d/du arcsec u = 1/(u² √(1 − 1/u²))"""
    return 1 / (u**2 * sqrt(1 - 1 / u**2))


@derivative(acsc, name="arccosecant", names=("arccsc", "acsc"), inverse_of=csc)
def arccosecant(u):
    """d/du arccsc u = −1/(u² √(1 − 1/u²))"""
    return -1 / (u**2 * sqrt(1 - 1 / u**2))
