"""Substitution in the code generator's expressions without evaluating a max or min again:
SymPy compares every pair of a max's arguments each time one is built (the generator builds
a max of n arguments as n − 1 of two, and names pieces of long lines one at a time)."""

from __future__ import annotations

import sympy


def replaced(expr: sympy.Basic, mapping: dict) -> sympy.Basic:
    """``expr.xreplace(mapping)``, but a max or min is rebuilt unevaluated: its arguments
    were compared when it was made, and SymPy would compare every pair again (seconds for a
    max of 12 arguments, at each of its pieces named)."""
    if expr in mapping:
        return mapping[expr]
    if not expr.args:
        return expr
    args = tuple(replaced(arg, mapping) for arg in expr.args)
    if args == expr.args:
        return expr
    if isinstance(expr, (sympy.Max, sympy.Min)):
        return expr.func(*args, evaluate=False)
    return expr.func(*args)
