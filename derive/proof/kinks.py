"""Where a derivative is not defined, and the subgradients there.

The engine reports each kink an entry names (|u| at u = 0, max(a, b) at a = b, …) with the
region where it applies. Here each becomes a ``Kink``: its condition as an equation, whether
the derivative really switches there, the interval of subgradients of the whole partial
derivative, and the value the derivative formula takes there by convention (sign(0) = 0,
H(0) = 1/2, ReLU'(0) = 0), with the convention's sentence from the entry.
"""

from __future__ import annotations

import dataclasses
import functools

import sympy

from derive.deadline import attempt, check
from derive.engine import FoundKink, derivative
from derive.model import Kink
from derive.proof.equality import evaluated, is_zero, numerically_equal
from derive.proof.equations import at, linear_solution, solutions, tidy_equation
from derive.proof.forms import orientation, switch_argument, switch_value, switches, value_at_kink
from derive.proof.prover import Budget
from rules.nonsmooth import max_switch, min_switch
from rules.registry import T, applied, entry_for

DEFAULT_CONVENTION = "sign(0) = 0, H(0) = 1/2"


def analyse_kinks(
    found: list[FoundKink], result: sympy.Expr, var: sympy.Symbol, loss: sympy.Expr, budget: Budget
) -> tuple[Kink, ...]:
    """The kinks of d(loss)/d(var) that matter: each with its condition and subgradient.
    Each kink's analysis gets a slice of the proof budget; one that runs out of it (a max of
    many arguments) is reported without its subgradient."""
    kinks: list[Kink] = []
    seen: set = set()
    for item in found:
        check()
        where = _where(item, var)
        if where is None:
            continue
        condition, solution, region = where
        late = Kink(condition, item.source, item.spec.kind, note=_OUT_OF_TIME)
        indices = sorted({s.name for s in item.spec.where.free_symbols if s.is_integer})
        if indices:  # a term of a sum: its own derivative says what happens at its kink
            kink = attempt(
                lambda item=item, where=where: _term_kink(item, where, var, budget),
                late,
                budget.next_slice(),
            )
            if kink is not None and kink.note != _OUT_OF_TIME:
                note = (
                    f"of the term {', '.join(indices)}, for each where it holds; the sum adds them"
                )
                kink = dataclasses.replace(kink, note=note)
        else:
            kink = attempt(
                lambda item=item, where=where: _analyse(item, *where, result, var, loss, budget),
                late,
                budget.next_slice(),
            )
        if kink is not None and kink.condition not in seen:
            seen.add(kink.condition)
            kinks.append(kink)
    return tuple(kinks)


_OUT_OF_TIME = "derive ran out of time for the subgradient here"


def _replaced(value, mapping: dict):
    """``value`` (an expression, None, or a tuple of them) with ``mapping`` put in."""
    if isinstance(value, tuple):
        return tuple(_replaced(v, mapping) for v in value)
    return value if value is None else value.xreplace(mapping)


def _term_kink(item: FoundKink, where, var, budget: Budget) -> Kink | None:
    """The kink of one term of a sum (max(0, 1 − w xᵢ yᵢ) at w xᵢ yᵢ = 1), analysed as a
    loss of its own with each element xᵢ a plain symbol, then written with the elements."""
    elements = item.source.atoms(sympy.Indexed) | item.spec.where.atoms(sympy.Indexed)
    plain = {e: sympy.Dummy(str(e), real=True) for e in elements}
    back = {v: k for k, v in plain.items()}
    spec = item.spec
    spec = dataclasses.replace(
        spec,
        where=spec.where.xreplace(plain),
        choices=tuple((a.xreplace(plain), b.xreplace(plain)) for a, b in spec.choices),
        equation=_replaced(spec.equation, plain),
    )
    source = item.source.xreplace(plain)
    term = FoundKink(spec, source, sympy.true)
    condition, solution, region = (_replaced(part, plain) for part in where)
    kink = _analyse(term, condition, solution, region, derivative(source, var), var, source, budget)
    if kink is None:
        return None
    ends, convention = _replaced(kink.subgradient, back), _replaced(kink.convention, back)
    return dataclasses.replace(
        kink, condition=kink.condition.xreplace(back), source=item.source,
        subgradient=ends, convention=convention,
    )  # fmt: skip


def _where(item: FoundKink, var):
    """The kink's condition as the user would write it (with the region of the cases it
    sits in), the solution of its equation, and that region; None when it is in no region."""
    solution = linear_solution(item.spec.where, var)
    if solution is None and not item.spec.where.has(sympy.Sum):  # (an element inside a sum
        # of σ(…) is not solved for)  √x = 0 holds only at x = 0: the subgradient is there
        points = solutions(item.spec.where, var, seconds=0.5)
        solution = points[0] if len(points) == 1 else None
    region = at(item.region, solution)
    if region == sympy.false:
        return None
    equation = tidy_equation(item.spec.where)
    condition = equation if region == sympy.true else sympy.And(equation, region, evaluate=False)
    return condition, solution, region


def _analyse(item: FoundKink, condition, solution, region, result, var, loss, budget: Budget):
    spec = item.spec
    if spec.kind == "jump":
        return Kink(condition, item.source, "jump", note="the function jumps here")
    if spec.kind == "join":
        return _join(item, condition, var, loss, budget)
    if spec.choices and _of_many(item.source) and spec.equation:
        tied = _tied_at_the_top(item.source, spec.equation, solution)
        if tied is None:  # not every argument a number there: the pair, where it is the max
            top = _at_the_top(item.source, spec.equation, solution)
            if top != sympy.true:  # max(x, y, z) kinks where x = y only if y ≥ z there
                condition = sympy.And(condition, top, evaluate=False)
            tied = [] if top == sympy.false else _indices(item.source, spec.equation)
        if not tied:
            return None  # the two tie below the max (max(x, 2x, 5) at x = 0): no switch here
        return _many_tied(item, condition, solution, region, result, tied)
    sides = _one_sided(result, spec.where)
    if sides is not None:
        (below, above), at_zero = sides
        ends = [at(below, solution), at(above, solution)]
        differ = numerically_equal(ends[0], ends[1]) is False  # quick, before SymPy tries
        if not differ and is_zero(ends[0] - ends[1], budget.next_slice()):
            return None  # both sides agree: differentiable after all (|x|³ at 0)
    elif spec.choices and any(result.has(atom) for atom, _ in spec.choices):
        at_zero = {atom: value_at_kink(atom) for atom, _ in spec.choices}
        at_zero = {atom: value for atom, value in at_zero.items() if value is not None}
        chosen = at(result.xreplace(dict(spec.choices)), solution)
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
    if any(e.is_number and e.is_extended_real is False for e in ends):  # asin(min(y, 10))
        note = "the derivative has no real value there"
        return Kink(condition, item.source, "kink", note=note)
    if all(e.is_number and e.is_real for e in ends):
        ends = (sympy.Min(*ends), sympy.Max(*ends))
    convention = at(evaluated(result.xreplace(at_zero)), solution)
    entry = entry_for(item.source)
    sentence = entry.convention if entry is not None and entry.convention else DEFAULT_CONVENTION
    return Kink(condition, item.source, "kink", ends, refined(convention, region),
                convention_text=sentence)  # fmt: skip


def _of_many(source) -> bool:
    """Whether ``source`` is a max or min of three or more arguments."""
    return isinstance(source, (sympy.Max, sympy.Min)) and len(source.args) > 2


def _indices(source, pair) -> list[int]:
    return [k for k, a in enumerate(source.args) if a in pair]


def _tied_at_the_top(source, pair, solution) -> list[int] | None:
    """Which arguments of a max (min) of three or more equal it where the two of ``pair``
    tie, each a number there: [] when the pair ties below the max, so that the derivative
    does not switch there; None when the arguments are not all numbers there."""
    values = [evaluated(at(a, solution)) for a in source.args]
    if not all(v.is_number and v.is_extended_real for v in values):
        return None
    top = source.func(*values)
    tied = [k for k, v in enumerate(values) if v == top or (v - top).is_zero]
    return tied if set(_indices(source, pair)) <= set(tied) else []


def _at_the_top(source, pair, solution) -> sympy.Basic:
    """Where the tie of ``pair`` is the max (min) of ``source``, three or more arguments:
    each other argument at most (at least) the tied value, as conditions (y ≥ z for
    max(x, y, z) where x = y), or true or false."""
    tie = evaluated(at(pair[0], solution))
    relation = sympy.GreaterThan if isinstance(source, sympy.Max) else sympy.LessThan
    others = [evaluated(at(a, solution)) for a in source.args if a not in pair]
    return sympy.And(*(relation(tie, other) for other in others))


def _many_tied(item: FoundKink, condition, solution, region, result, tied: list[int]) -> Kink:
    """A kink of a max (min) of three or more arguments, where those of ``tied`` equal it:
    the subgradients are the convex combinations of their derivatives, from the least to
    the largest (each one's switch set to 1 and the others' to 0). The formula gives each of
    k tied arguments 1/k of the gradient (ΣHᵢaᵢ′/ΣHᵢ with H(0) = 1/2): a subgradient, the
    tied slopes' mean; the note says how many tie where more than two do."""
    source = item.source
    low, high, convention = _hull(source, result, solution, region, tuple(tied))
    note = f"{len(tied)} arguments tie here" if len(tied) > 2 else ""
    if low.is_number and high.is_number and convention.is_number and not low <= convention <= high:
        note += "; the formula's value there is not one of them"
    entry = entry_for(source)
    sentence = entry.convention if entry is not None and entry.convention else DEFAULT_CONVENTION
    if len(tied) < 3:  # the value given is where just these two tie: at x = y = z it is 1/3
        sentence += "; where k ≥ 3 arguments tie, 1/k to each"
    return Kink(condition, source, "kink", (low, high), convention, note=note,
                convention_text=sentence)  # fmt: skip


@functools.lru_cache(maxsize=8)  # the pairs of a max of 12 arguments share one point
def _hull(source, result, solution, region, tied: tuple[int, ...]):
    """The least and the largest slope of the tied arguments (each one's switch set to 1,
    every other switch of the max to 0), as numbers or as a min and a max; and the
    formula's value there (the tied switches 1/2, the others 0)."""
    switch = max_switch if isinstance(source, sympy.Max) else min_switch
    switches = [switch(source.args, m) for m in range(len(source.args))]

    def value(chosen: dict) -> sympy.Expr:
        return refined(evaluated(at(result.xreplace(chosen), solution)), region)

    zero, one, half = sympy.S.Zero, sympy.S.One, sympy.S.Half
    ends = [value({h: one if m == k else zero for m, h in enumerate(switches)}) for k in tied]
    convention = value({h: half if m in tied else zero for m, h in enumerate(switches)})
    return sympy.Min(*ends), sympy.Max(*ends), convention


def _one_sided(result: sympy.Expr, where: sympy.Expr):
    """The derivative's formulas just on the negative and just on the positive side of
    ``where`` = 0 (as written: for |m − t|, where m < t and where m > t), setting every switch
    that turns on that surface (together: ReLU(x) and max(x, 0) kink at once), and those
    switches' values at 0 by convention. None when no two-sided switch of the result turns
    there."""
    key, written = orientation(where)
    atoms = [(atom, sign) for atom, atom_key, sign in _oriented_switches(result) if atom_key == key]
    if not atoms:
        return None
    sides = tuple(
        attempt(  # NaN where a side has no value (log 0 inside a min, say)
            lambda side=side: evaluated(
                result.xreplace({a: switch_value(a, side * written * o > 0) for a, o in atoms})
            ),
            sympy.nan,
        )
        for side in (-1, 1)
    )
    at_zero = {a: value_at_kink(a) for a, _ in atoms if value_at_kink(a) is not None}
    return sides, at_zero


@functools.lru_cache(maxsize=8)  # one result, a kink of each pair of its max's arguments
def _oriented_switches(result: sympy.Expr) -> tuple:
    """Each switch of ``result`` with its argument's orientation (canonical, ±1): worked out
    once for all the kinks of one result, not once a kink (66 of them for a max of 12)."""
    return tuple((atom, *orientation(switch_argument(atom))) for atom in switches(result))


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
    steps = applied(expr, lambda e: e.switch is not None and e.switch.at_kink is not None)
    return any(evaluated(atom.args[0]) in targets for atom in steps)


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
        same_value = _vanishes(at(left - right, point), budget)
        if same_value is False:
            return Kink(condition, item.source, "jump", note="the branches do not meet: a jump")
        same_slope = _vanishes(at(slopes[0] - slopes[1], point), budget)
        verdicts.append((same_value, same_slope))
    if all(value and slope for value, slope in verdicts):
        return None  # the branches join smoothly
    if any(value is None or slope is None for value, slope in verdicts):
        return Kink(condition, item.source, "join", note=_UNDECIDED)
    ends = None
    if item.source == loss and len(points) == 1:
        ends = tuple(at(slope, points[0]) for slope in slopes)
    return Kink(condition, item.source, "kink", ends, note="the branches' slopes differ here")


_UNDECIDED = "the branches meet here; derive could not decide whether they join smoothly"


def _vanishes(expr: sympy.Expr, budget: Budget) -> bool | None:
    if is_zero(expr, budget.next_slice()):
        return True
    numeric = numerically_equal(expr, sympy.S.Zero)
    return False if numeric is False else None
