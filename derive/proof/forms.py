"""The answer's three forms: switches written with sign, with H, or as cases region by region.

``sign`` and ``heaviside`` rewrite each switch that has a rewrite for the form in its
vocabulary entry (equal everywhere, kinks included). ``cases`` lists the value in each region
where no switch is at its kink, using each entry's switch semantics: what |u|, sign(u), H(u),
ReLU(u), max(a, b) and min(a, b) are on either side of their kink.
"""

from __future__ import annotations

from itertools import product

import sympy

from derive.deadline import attempt
from derive.proof.equality import evaluated
from rules.registry import applied, entry_for
from rules.registry import in_form as rewritten_in

FORMS = ("sign", "heaviside", "cases")
MAX_CASE_SWITCHES = 3


def in_form(expr: sympy.Expr, form: str | None) -> sympy.Expr:
    """``expr`` in the requested form (``cases`` keeps the derived form; see ``cases_of``)."""
    if form in ("sign", "heaviside"):
        return rewritten_in(expr, form)
    return expr


def orientation(arg: sympy.Expr) -> tuple[sympy.Expr, int]:
    """``arg`` as (canonical, ±1) so that u and −u share one canonical expression: the one
    with more positive terms, and on a tie the first in SymPy's sort order (whatever order
    the terms are stored in, f − y and y − f give the same answer)."""
    arg, negated = evaluated(arg), evaluated(-arg)

    def rank(expr):
        terms = sympy.Add.make_args(expr)
        negative = sum(1 for t in terms if t.could_extract_minus_sign())
        return negative * 2 > len(terms), negative * 2 == len(terms), sympy.default_sort_key(expr)

    return (arg, 1) if rank(arg) <= rank(negated) else (negated, -1)


def switch_argument(atom: sympy.Expr) -> sympy.Expr | None:
    """The expression whose sign decides which way ``atom`` goes: u for sign(u), H(u), |u|,
    ReLU(u); a − b for max(a, b) and min(a, b). None when ``atom`` is no switch."""
    entry = entry_for(atom)
    if entry is None or entry.switch is None:
        return None
    return entry.switch.argument(atom)


def switch_value(atom: sympy.Expr, positive: bool) -> sympy.Expr:
    """What ``atom`` is where its switch argument is positive (or negative)."""
    return entry_for(atom).switch.value(atom, positive)


def value_at_kink(atom: sympy.Expr) -> sympy.Expr | None:
    """The value a step (sign, H) takes at its kink by convention; None for anything else
    (another switch, or a step SymPy has already evaluated to a number)."""
    entry = entry_for(atom)
    if entry is None or entry.switch is None or entry.switch.at_kink is None:
        return None
    return entry.switch.at_kink(atom)


def switches(expr: sympy.Expr) -> list:
    """The switches in ``expr`` whose argument has free symbols, and no index: the switch of
    each term of a sum (H(1 − w xᵢ yᵢ)) goes one way for some i and the other way for others,
    so no region of the whole is one case of it."""
    found = applied(expr, lambda e: e.switch is not None)
    return [
        a
        for a in found
        if (arg := switch_argument(a)) is not None
        and arg.free_symbols
        and not any(s.is_integer for s in arg.free_symbols)
    ]


def cases_of(
    expr: sympy.Expr, region=sympy.true
) -> tuple[tuple[sympy.Basic, sympy.Expr], ...] | None:
    """The value of ``expr`` region by region, with no switch (sign, H, |u|, ReLU, max or min
    of two) left in the values; None when there are more than MAX_CASE_SWITCHES of them."""
    if isinstance(expr, sympy.Piecewise):
        rows, earlier = [], []
        for value, condition in expr.args:
            where = sympy.And(region, condition, *(sympy.Not(c) for c in earlier))
            earlier.append(condition)
            inner = cases_of(value, where)
            if inner is None:
                return None
            rows.extend(inner)
        return tuple(rows)
    canon: dict[sympy.Expr, list] = {}
    shown: dict[sympy.Expr, tuple] = {}  # each surface as first written: m_x(w) − t, not t − m_x(w)
    for atom in sorted(switches(expr), key=sympy.default_sort_key):
        key, sign = orientation(switch_argument(atom))
        canon.setdefault(key, []).append((atom, sign))
        shown.setdefault(key, (evaluated(switch_argument(atom)), sign))
    if len(canon) > MAX_CASE_SWITCHES:
        return None
    rows = []
    for signs in product((1, -1), repeat=len(canon)):
        substitution, conditions = {}, []
        for (key, atoms), s in zip(canon.items(), signs, strict=True):
            written, sign = shown[key]
            conditions.append(written > 0 if s * sign > 0 else written < 0)
            for atom, sign in atoms:
                substitution[atom] = switch_value(atom, s * sign > 0)
        where = sympy.And(region, *conditions)
        if where == sympy.false or _empty(where):
            continue
        value = expr
        for _ in range(len(substitution) + 1):  # switches inside switches
            value = value.xreplace(substitution)
        rows.append((where, evaluated(value)))
    return tuple(rows)


def _empty(condition: sympy.Basic) -> bool:
    """Whether a condition in one variable holds nowhere (e.g. x < 0 and x > 1)."""
    symbols = condition.free_symbols
    if len(symbols) != 1:
        return False
    return attempt(lambda: condition.as_set() == sympy.S.EmptySet, False)
