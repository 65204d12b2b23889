"""Substitution without evaluating a max or min again: SymPy compares every pair of a max's
arguments each time one is built (seconds for 12), though the value is the same either way.
Used where pieces are put in and out of large expressions: the local proofs (functions put
in for the parts of a step) and the code generator (temporaries named in long lines)."""

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
