"""The exponential and the logarithms.

Each rule gives the outer derivative f'(u); the engine multiplies by du/dx (the chain rule).
"""

from __future__ import annotations

import sympy
from sympy import Pow, exp, log

from rules.registry import Outer, depends, derivative, rule


@derivative(exp, name="exponential", names=("exp",), commands=("exp",), text="exp")
def exponential(u):
    """d/du eᵘ = eᵘ"""
    return exp(u)


@derivative(log, name="natural logarithm", names=("ln", "log"), commands=("ln", "log"))
def natural_log(u):
    """d/du ln u = 1/u"""
    return 1 / u


def _log_base(expr, var):
    """``expr`` as (u, b) when it is log(u)/log(b): SymPy's form of log to a constant base b."""
    if not expr.is_Mul or len(expr.args) != 2:
        return None
    for log_u, inverse in (expr.args, expr.args[::-1]):
        if (
            isinstance(log_u, log)
            and depends(log_u, var)
            and isinstance(inverse, Pow)
            and inverse.exp == -1
            and isinstance(inverse.base, log)
            and not depends(inverse.base, var)
        ):
            return log_u.args[0], inverse.base.args[0]
    return None


def _log_base_specimen():
    u, b = sympy.symbols("u b", real=True)
    return log(u) / log(b), u


@rule(
    sympy.Mul,
    name="logarithm, base b",
    when=lambda expr, var: _log_base(expr, var) is not None,
    priority=1,
    specimen=_log_base_specimen,
)
def log_base(expr, var):
    """d/du log_b u = 1/(u · ln b) for a constant base b"""
    u, b = _log_base(expr, var)
    return Outer(u, 1 / (u * log(b)))
