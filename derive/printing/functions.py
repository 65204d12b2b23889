"""What the printers share: functions printed by their vocabulary entry, term order, and
the reading of SymPy's ``Subs`` as the derivative of an unknown function."""

from __future__ import annotations

import sympy
from sympy.core.function import AppliedUndef

from rules.registry import entry_for


def by_entry(expr: sympy.Basic, language: str, print_) -> str | None:
    """``expr`` printed as its vocabulary entry says for ``language`` (``text``, ``latex`` or
    ``numpy``): a name applied to the arguments, or the entry's own printer; None when the
    entry leaves it to SymPy."""
    if not isinstance(expr, sympy.Basic) or not expr.args:
        return None
    entry = entry_for(expr)
    spec = getattr(entry, language, None) if entry is not None else None
    if spec is None:
        return None
    if callable(spec):
        return spec(print_, expr)
    args = ", ".join(print_(a) for a in expr.args)
    if language == "latex":
        return rf"{spec}\left({args}\right)"
    return f"{spec}({args})"


def positive_first(terms):
    """Terms with a plus sign first: m - t rather than -t + m."""
    return [t for t in terms if not t.could_extract_minus_sign()] + [
        t for t in terms if t.could_extract_minus_sign()
    ]


def unknown_partial(subs: sympy.Subs):
    """SymPy's Subs(Derivative(f(ξ, y), ξ), ξ, u) as (f, the argument's position from 1, the
    order, the arguments with u put in): f'(u) or ∂₁f(u, y); None for any other Subs."""
    derivative, variables, points = subs.args
    if len(variables) != 1 or not isinstance(derivative, sympy.Derivative):
        return None
    function, (dummy,), (point,) = derivative.expr, variables, points
    if not isinstance(function, AppliedUndef) or dummy not in function.args:
        return None
    order = sum(k for _, k in derivative.variable_count)
    args = [point if a == dummy else a for a in function.args]
    return function.func, function.args.index(dummy) + 1, order, args
