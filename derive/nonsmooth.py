"""Where a derivative is not defined, the subgradients there, and the answer's three forms.

The engine reports each kink a rule met (|u| at u = 0, max(a, b) at a = b, …) with the region
where it applies. Here each becomes a ``Kink``: its condition as an equation, whether the
derivative really switches there, the interval of subgradients of the whole partial
derivative, and the value the derivative formula takes there by convention
(sign(0) = 0, H(0) = 1/2, ReLU'(0) = 0).

Forms: ``sign`` writes switches with sign(u), ``heaviside`` with H(u), and ``cases`` lists
the value in each region where no switch is at its kink.
"""

from __future__ import annotations

from itertools import product

import sympy
from sympy import Heaviside

from derive.deadline import attempt
from derive.engine import FoundKink
from derive.functions import relu
from derive.steps import Kink
from derive.verify import Budget, evaluated, is_zero, numerically_equal
from rules.registry import T

FORMS = ("sign", "heaviside", "cases")
MAX_CASE_SWITCHES = 3


def tidy_equation(difference: sympy.Expr) -> sympy.Basic:
    """``difference`` = 0 written as the user would: positive terms on the left, the
    others on the right, oriented so that more terms are positive (m_x(w) = t)."""
    terms = sympy.Add.make_args(sympy.expand(difference, deep=False))
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
    for symbol in sorted(equation.free_symbols, key=lambda s: (s == var, s.name)):
        slope = sympy.diff(equation, symbol)
        if slope.is_number and slope != 0:
            return symbol, evaluated(symbol - equation / slope)
    return None


def solutions(equation: sympy.Expr, var: sympy.Symbol, seconds: float = 1.0) -> list:
    """Points where ``equation`` = 0, as (symbol, value) pairs: one linear solution for a
    symbol, else the real solutions for ``var`` when SymPy finds them in time."""
    linear = linear_solution(equation, var)
    if linear is not None:
        return [linear]
    found = attempt(lambda: sympy.solve(equation, var, dict=False), [], seconds)
    return [(var, value) for value in found if value.is_real is not False]


def _at(expr: sympy.Basic, solution) -> sympy.Basic:
    if solution is None:
        return expr
    symbol, value = solution
    return evaluated(expr.xreplace({symbol: value}))


def analyse_kinks(
    found: list[FoundKink], result: sympy.Expr, var: sympy.Symbol, loss: sympy.Expr, budget: Budget
) -> tuple[Kink, ...]:
    """The kinks of d(loss)/d(var) that matter: each with its condition and subgradient."""
    kinks: list[Kink] = []
    seen: set = set()
    for item in found:
        kink = _analyse(item, result, var, loss, budget)
        if kink is not None and kink.condition not in seen:
            seen.add(kink.condition)
            kinks.append(kink)
    return tuple(kinks)


def _analyse(item: FoundKink, result, var, loss, budget: Budget) -> Kink | None:
    spec = item.spec
    solution = linear_solution(spec.where, var)
    region = _at(item.region, solution)
    if region == sympy.false:
        return None
    equation = tidy_equation(spec.where)
    condition = equation if region == sympy.true else sympy.And(equation, region, evaluate=False)
    if spec.kind == "jump":
        return Kink(condition, item.source, "jump", note="the function jumps here")
    if spec.kind == "join":
        return _join(item, condition, var, loss, budget)
    sides = _one_sided(result, spec.where)
    if sides is not None:
        (positive, negative), at_zero = sides
        ends = [_at(positive, solution), _at(negative, solution)]
        if is_zero(ends[0] - ends[1], budget.next_slice()):
            return None  # both sides agree: differentiable after all (|x|³ at 0)
    elif spec.choices and any(result.has(atom) for atom, _ in spec.choices):
        at_zero = {atom: atom.func(0, *atom.args[1:]) for atom, _ in spec.choices}
        chosen = _at(result.xreplace(dict(spec.choices)), solution)
        if not chosen.has(T):
            return None  # every choice gives the same slope: differentiable there
        ends = [evaluated(chosen.xreplace({T: bound})) for bound in (spec.low, spec.high)]
    elif _has_switch_on(result, spec.where):
        return Kink(condition, item.source, "kink", note="derive could not find the subgradient")
    else:
        return None  # the derivative does not switch here: differentiable after all
    ends = tuple(refined(end, region) for end in ends)
    if any(e.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) for e in ends):
        note = "the derivative has no finite value there"
        return Kink(condition, item.source, "kink", note=note)
    if all(e.is_number and e.is_real for e in ends):
        ends = (sympy.Min(*ends), sympy.Max(*ends))
    convention = _at(evaluated(result.xreplace(at_zero)), solution)
    return Kink(condition, item.source, "kink", ends, refined(convention, region))


def _one_sided(result: sympy.Expr, where: sympy.Expr):
    """The derivative's formulas just on the positive and just on the negative side of
    ``where`` = 0, setting every switch that turns on that surface (together: ReLU(x) and
    max(x, 0) kink at once), and those switches' values at 0 by convention. None when no
    two-sided switch of the result turns there."""
    key, _ = _orientation(where)
    atoms = []
    for atom in _switches(result):
        atom_key, orientation = _orientation(switch_argument(atom))
        if atom_key == key:
            atoms.append((atom, orientation))
    if not atoms:
        return None
    sides = tuple(
        evaluated(result.xreplace({a: _switch_value(a, side * o > 0) for a, o in atoms}))
        for side in (1, -1)
    )
    at_zero = {
        a: a.func(0, *a.args[1:]) for a, _ in atoms if isinstance(a, (sympy.sign, Heaviside))
    }
    return sides, at_zero


def refined(expr: sympy.Expr, region: sympy.Basic) -> sympy.Expr:
    """``expr`` simplified under the region's conditions (δ < 0 turns a cases on δ into one
    branch); ``expr`` itself when SymPy's refine cannot."""
    if region in (sympy.true, sympy.false) or not expr.has(sympy.Piecewise, sympy.Abs):
        return expr
    facts = []
    for relation in region.atoms(sympy.core.relational.Relational):
        gap = relation.gts - relation.lts
        strict = isinstance(relation, (sympy.StrictGreaterThan, sympy.StrictLessThan))
        facts.append(sympy.Q.positive(gap) if strict else sympy.Q.nonnegative(gap))
    return attempt(lambda: sympy.refine(expr, sympy.And(*facts)), expr, 0.5)


def _has_switch_on(expr: sympy.Expr, where: sympy.Expr) -> bool:
    targets = {evaluated(where), evaluated(-where)}
    return any(evaluated(atom.args[0]) in targets for atom in expr.atoms(sympy.sign, Heaviside))


def _join(item: FoundKink, condition, var, loss, budget: Budget) -> Kink | None:
    """Where two branches of cases meet: do values and slopes agree there?"""
    pieces = item.source.args
    index = next(
        (k for k, (_, c) in enumerate(pieces) if c.has(*item.spec.equation)), len(pieces) - 1
    )
    points = solutions(item.spec.where, var)
    if index + 1 >= len(pieces) or not points:
        return Kink(condition, item.source, "join", note=_UNDECIDED)
    (left, _), (right, _) = pieces[index], pieces[index + 1]
    slopes = sympy.diff(left, var), sympy.diff(right, var)
    verdicts = []
    for point in points:
        same_value = _vanishes(_at(left - right, point), budget)
        if same_value is False:
            return Kink(condition, item.source, "jump", note="the branches do not meet: a jump")
        same_slope = _vanishes(_at(slopes[0] - slopes[1], point), budget)
        verdicts.append((same_value, same_slope))
    if all(value and slope for value, slope in verdicts):
        return None  # the branches join smoothly
    if any(value is None or slope is None for value, slope in verdicts):
        return Kink(condition, item.source, "join", note=_UNDECIDED)
    ends = None
    if item.source == loss and len(points) == 1:
        ends = tuple(_at(slope, points[0]) for slope in slopes)
    return Kink(condition, item.source, "kink", ends, note="the branches' slopes differ here")


_UNDECIDED = "the branches meet here; derive could not decide whether they join smoothly"


def _vanishes(expr: sympy.Expr, budget: Budget) -> bool | None:
    if is_zero(expr, budget.next_slice()):
        return True
    numeric = numerically_equal(expr, sympy.S.Zero)
    return False if numeric is False else None


# -- forms ----------------------------------------------------------------------------------


def _is_half_step(atom) -> bool:
    return isinstance(atom, Heaviside) and atom.args[1] == sympy.S.Half


def to_sign(expr: sympy.Expr) -> sympy.Expr:
    """H(u) written as (1 + sign u)/2 (equal everywhere, H(0) = 1/2 and sign(0) = 0)."""
    steps = {h: (1 + sympy.sign(h.args[0], evaluate=False)) / 2 for h in expr.atoms(Heaviside)}
    return expr.xreplace({h: v for h, v in steps.items() if _is_half_step(h)})


def to_heaviside(expr: sympy.Expr) -> sympy.Expr:
    """sign(u) written as 2 H(u) − 1 (equal everywhere, including u = 0)."""
    return expr.xreplace({s: 2 * Heaviside(s.args[0]) - 1 for s in expr.atoms(sympy.sign)})


def in_form(expr: sympy.Expr, form: str | None) -> sympy.Expr:
    """``expr`` in the requested form (``cases`` keeps the derived form; see ``cases_of``)."""
    if form == "sign":
        return to_sign(expr)
    if form == "heaviside":
        return to_heaviside(expr)
    return expr


def _orientation(arg: sympy.Expr) -> tuple[sympy.Expr, int]:
    """``arg`` as (canonical, ±1) so that u and −u share one canonical expression."""
    arg = evaluated(arg)
    terms = sympy.Add.make_args(arg)
    negative = sum(1 for t in terms if t.could_extract_minus_sign())
    if negative * 2 > len(terms) or (
        negative * 2 == len(terms) and terms[0].could_extract_minus_sign()
    ):
        return evaluated(-arg), -1
    return arg, 1


def switch_argument(atom: sympy.Expr) -> sympy.Expr | None:
    """The expression whose sign decides which way ``atom`` goes: u for sign(u), H(u), |u|,
    ReLU(u); a − b for max(a, b) and min(a, b). None when ``atom`` is no switch."""
    if isinstance(atom, (sympy.sign, Heaviside, sympy.Abs, relu)):
        return atom.args[0]
    if isinstance(atom, (sympy.Max, sympy.Min)) and len(atom.args) == 2:
        return atom.args[0] - atom.args[1]
    return None


def _switch_value(atom: sympy.Expr, positive: bool) -> sympy.Expr:
    """What ``atom`` is where its switch argument is positive (or negative)."""
    if isinstance(atom, sympy.sign):
        return sympy.S.One if positive else sympy.S.NegativeOne
    if isinstance(atom, Heaviside):
        return sympy.S.One if positive else sympy.S.Zero
    if isinstance(atom, sympy.Abs):
        return atom.args[0] if positive else -atom.args[0]
    if isinstance(atom, relu):
        return atom.args[0] if positive else sympy.S.Zero
    first, second = atom.args  # max or min of two
    return first if positive == isinstance(atom, sympy.Max) else second


def _switches(expr: sympy.Expr) -> list:
    atoms = expr.atoms(sympy.sign, Heaviside, sympy.Abs, relu, sympy.Max, sympy.Min)
    return [a for a in atoms if (arg := switch_argument(a)) is not None and arg.free_symbols]


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
    switches = _switches(expr)
    canon: dict[sympy.Expr, list] = {}
    shown: dict[sympy.Expr, tuple] = {}  # each surface as first written: m_x(w) − t, not t − m_x(w)
    for atom in sorted(switches, key=sympy.default_sort_key):
        key, orientation = _orientation(switch_argument(atom))
        canon.setdefault(key, []).append((atom, orientation))
        shown.setdefault(key, (evaluated(switch_argument(atom)), orientation))
    if len(canon) > MAX_CASE_SWITCHES:
        return None
    rows = []
    for signs in product((1, -1), repeat=len(canon)):
        substitution, conditions = {}, []
        for (key, atoms), s in zip(canon.items(), signs, strict=True):
            written, orientation = shown[key]
            conditions.append(written > 0 if s * orientation > 0 else written < 0)
            for atom, orientation in atoms:
                substitution[atom] = _switch_value(atom, s * orientation > 0)
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
