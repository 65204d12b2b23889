"""Equations of kink surfaces: written as the user would, and solved where that is easy."""

from __future__ import annotations

import sympy

from derive.deadline import attempt
from derive.proof.equality import evaluated


def tidy_equation(difference: sympy.Expr) -> sympy.Basic:
    """``difference`` = 0 written as the user would: positive terms on the left, the
    others on the right, oriented so that more terms are positive (m_x(w) = t)."""
    expanded = attempt(lambda: sympy.expand_mul(difference), difference, 0.5)
    _, expanded = expanded.as_content_primitive()  # 3x = 0 is x = 0
    terms = sympy.Add.make_args(expanded)
    negative = [t for t in terms if t.could_extract_minus_sign()]
    if len(negative) * 2 > len(terms):
        terms = [-t for t in terms]
        negative = [t for t in terms if t.could_extract_minus_sign()]
    left = sympy.Add(*(t for t in terms if t not in negative))
    right = sympy.Add(*(-t for t in negative))
    if left.is_number and not right.is_number:
        left, right = right, left
    return sympy.Eq(left, right, evaluate=False)


def linear_solution(equation: sympy.Expr, var: sympy.Symbol):
    """(symbol, value) solving ``equation`` = 0 for a symbol it is linear in with a constant
    slope, preferring symbols other than ``var`` (t = m_x(w) rather than an implicit w);
    None when there is no such symbol."""
    arrays = {b.label for b in equation.atoms(sympy.IndexedBase)}
    candidates = [
        s
        for s in equation.free_symbols
        if isinstance(s, sympy.Symbol) and not s.is_integer and s not in arrays
    ]  # not an array's name (x of x_i), nor an index or a bound
    for symbol in sorted(candidates, key=lambda s: (s == var, s.name)):
        slope = sympy.diff(equation, symbol)
        if slope.is_number and slope != 0:
            value = evaluated(symbol - equation / slope)
            return symbol, attempt(lambda v=value: sympy.expand_mul(v), value, 0.5)
    return None


def solutions(equation: sympy.Expr, var: sympy.Symbol, seconds: float = 1.0) -> list:
    """Points where ``equation`` = 0, as (symbol, value) pairs: one linear solution for a
    symbol, else the real solutions for ``var`` when SymPy finds them in time."""
    linear = linear_solution(equation, var)
    if linear is not None:
        return [linear]
    found = attempt(lambda: sympy.solve(equation, var, dict=False), [], seconds)
    return [  # SymPy may answer with tuples or dicts too: only values count
        (var, value)
        for value in found
        if isinstance(value, sympy.Expr) and value.is_real is not False
    ]


def at(expr: sympy.Basic, solution) -> sympy.Basic:
    """``expr`` where ``solution`` (symbol, value) holds: NaN where it has no value there
    (log 0), false for a condition that cannot hold there (log y > 0 at y = 0)."""
    if solution is None:
        return expr
    symbol, value = solution
    undefined = sympy.false if isinstance(expr, sympy.logic.boolalg.Boolean) else sympy.nan
    return attempt(lambda: evaluated(expr.xreplace({symbol: value})), undefined)
