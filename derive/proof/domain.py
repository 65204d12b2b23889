"""Where a loss of real symbols has a real value.

Roots and powers with a fractional exponent need a base ≥ 0 (> 0 when the exponent is
negative), a logarithm a positive argument, arcsin and arccos an argument in [−1, 1], and so
on. A loss such as |√x| is real only where x ≥ 0; its derivatives are taken there, and the
derivation says so. Branches of cases are left out: √x inside a branch for x > 0 asks
nothing of the other branch.
"""

from __future__ import annotations

import sympy

from derive.deadline import attempt
from rules.registry import elementary_form

_ARGUMENT_IN = {  # f(u) is real where the condition on u holds
    sympy.log: lambda u: u > 0,
    sympy.asin: lambda u: sympy.Abs(u) <= 1,
    sympy.acos: lambda u: sympy.Abs(u) <= 1,
    sympy.acosh: lambda u: u >= 1,
    sympy.atanh: lambda u: sympy.Abs(u) < 1,
    sympy.acoth: lambda u: sympy.Abs(u) > 1,
    sympy.asec: lambda u: sympy.Abs(u) >= 1,
    sympy.acsc: lambda u: sympy.Abs(u) >= 1,
}


def real_domain(expr: sympy.Expr, seconds: float = 1.0) -> tuple[sympy.Basic, ...]:
    """The conditions under which ``expr`` is real, one per root, logarithm or inverse
    function that asks for one, outermost first; those SymPy shows always hold are left out.
    Within ``seconds`` (none when SymPy's assumptions take longer)."""
    return attempt(lambda: _real_domain(expr), (), seconds)


def _real_domain(expr: sympy.Expr) -> tuple[sympy.Basic, ...]:
    conditions: list[sympy.Basic] = []
    for condition in _conditions(expr):
        if condition in (sympy.true, sympy.false) or condition in conditions:
            continue
        if not _always(condition):
            conditions.append(condition)
    return tuple(conditions)


def _always(condition: sympy.Basic) -> bool:
    """Whether SymPy shows ``condition`` holds for all real values, once derive's functions
    are written in SymPy's (1 − σ(z) > 0: e^(−z)/(1 + e^(−z)) is positive)."""
    if not isinstance(condition, (sympy.StrictGreaterThan, sympy.GreaterThan)):
        return False
    gap = sympy.cancel(sympy.together(elementary_form(condition.lhs - condition.rhs)))
    if isinstance(condition, sympy.StrictGreaterThan):
        return gap.is_positive is True
    return gap.is_nonnegative is True


def _conditions(expr: sympy.Basic):
    if isinstance(expr, sympy.Piecewise) or not isinstance(expr, sympy.Expr):
        return
    if isinstance(expr, sympy.Pow) and not expr.exp.is_integer:
        if expr.exp.is_Rational:
            yield expr.base >= 0 if expr.exp > 0 else expr.base > 0
        elif not expr.base.is_positive:
            yield expr.base > 0  # x^y for a symbolic y
    elif type(expr) in _ARGUMENT_IN:
        yield _ARGUMENT_IN[type(expr)](expr.args[0])
    for arg in expr.args:
        yield from _conditions(arg)
