"""Prove or refute a claimed derivative: where it holds, where it fails, a counterexample.

The claim and the derivative are compared region by region: the domain is split where the
switches of their difference turn (|u| at u = 0, max(a, b) at a = b, the conditions of cases),
and in each region the difference is proved 0, found non-zero at a point of the region, or
left undecided (it agrees at random points but SymPy cannot show it is 0). The kinks
themselves are left out: there the loss has no derivative to compare with.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from dataclasses import dataclass

import sympy
from sympy.core.function import AppliedUndef

from derive import deadline
from derive.api import Derivation, derivation_of, parse_loss
from derive.deadline import attempt, watched
from derive.engine import Differentiator
from derive.errors import DeriveError, ParseError
from derive.guard import guarded
from derive.model import Partial
from derive.proof.equality import SEED, evaluated, is_zero, numerically_equal, random_point
from derive.proof.explicit import SIZES, has_arrays, written_out
from derive.proof.forms import cases_of
from derive.proof.matrix_form import element_of
from derive.proof.prover import Budget
from derive.proof.values import substituted
from derive.read import parse_claim
from rules.sums import canonical_indices
from rules.ties import off_the_ties

PROVED, IN_PART, REFUTED, UNDECIDED = "proved", "holds in part", "refuted", "undecided"
SMALL = tuple(sympy.Rational(v) for v in ("0", "1", "-1", "2", "-2", "3", "-3", "1/2", "-1/2"))
SAMPLES = 12


@dataclass(frozen=True)
class Region:
    """Where (a condition, True for everywhere), and whether the claim holds there:
    True, False, or None when undecided."""

    where: sympy.Basic
    holds: bool | None
    derivative: sympy.Expr
    claim: sympy.Expr
    agreeing_points: int = 0


@dataclass(frozen=True)
class Counterexample:
    """A point of the domain (values of the symbols and of unknown functions and their
    derivatives), with what the claim and the derivative give there."""

    values: dict
    claimed: sympy.Expr
    true: sympy.Expr


@dataclass(frozen=True)
class ClaimCheck:
    """The verdict on a claimed derivative."""

    derivation: Derivation
    claim: sympy.Expr
    claim_source: str
    verdict: str
    regions: tuple[Region, ...]
    counterexample: Counterexample | None = None

    @property
    def partial(self) -> Partial:
        return self.derivation.partials[0]

    @property
    def exit_code(self) -> int:
        """0 when proved; 1 otherwise (the claim is not established everywhere)."""
        return 0 if self.verdict == PROVED else 1

    def text(self) -> str:
        from derive.emit import claim

        return claim.text(self)

    def latex(self, standalone: bool = False) -> str:
        from derive.emit import claim

        return claim.latex(self, standalone)

    def markdown(self) -> str:
        from derive.emit import claim

        return claim.markdown(self)

    def to_json(self) -> str:
        from derive.emit import claim

        return claim.json(self)

    def __str__(self) -> str:
        return self.text()


@guarded
def check(
    latex: str, wrt: str, claim: str, functions=(), log_base: str = "e", where=(), shapes=None
) -> ClaimCheck:
    """Prove or refute that d(latex)/d(wrt) = claim (LaTeX, in the loss's own notation;
    with definitions ``where``, the claim may use their names: (s − y) x for s = σ(w x))."""
    where = (where,) if isinstance(where, str) else tuple(where)
    loss = parse_loss(latex, tuple(functions), log_base, where, shapes)
    taken = {s.name for s in loss.expr.free_symbols} | {d.name.name for d in loss.definitions}
    differentiator = Differentiator(taken, loss.fractions)
    options = {"log_base": log_base, "where": where}
    derivation = derivation_of(loss, [wrt], None, options, differentiator)
    try:
        claimed = watched(lambda: parse_claim(claim, loss, log_base, shapes))
    except ParseError as error:
        raise ParseError(f"in the claim: {error.message}", error.source, error.column,
                         error.length) from None  # fmt: skip
    if isinstance(claimed, sympy.MatrixExpr):
        claimed = _element_claimed(claimed, derivation.partials[0].var, loss)
    calls = {d.application: d.name for d in loss.definitions if d.application is not None}
    claimed = claimed.xreplace(calls)
    for definition in reversed(loss.definitions):  # the claim in the inputs, as the loss is
        claimed = claimed.xreplace({definition.name: definition.expr})
    return judge(derivation, worked_out(claimed, differentiator), claim)


def _element_claimed(claimed: sympy.MatrixExpr, var, loss) -> sympy.Expr:
    """A claim in matrix form (2Xᵀ(Xw − y)) as its element at var's indices (w_k), to compare
    with the derivative by that element; refused when its shape is not the variable's."""
    shape = f"{claimed.shape[0]}×{claimed.shape[1]}"
    if not isinstance(var, sympy.Indexed):
        raise DeriveError(f"the claim is a {shape} array, but the derivative by {var} is a number")
    arrays = {} if loss.in_matrices is None else loss.in_matrices.atoms(sympy.MatrixSymbol)
    matrix = next((m for m in arrays if m.name == var.base.label.name), None)
    if matrix is not None and any(
        sympy.simplify(a - b) != 0 for a, b in zip(claimed.shape, matrix.shape, strict=True)
    ):
        raise DeriveError(
            f"the claim is {shape}, but the gradient by {matrix.name} has its shape, "
            f"{matrix.shape[0]}×{matrix.shape[1]}"
        )
    return element_of(claimed, var)


def worked_out(claimed: sympy.Expr, differentiator: Differentiator) -> sympy.Expr:
    """The claim with each derivative written in it (∂J/∂s_c, d/dx u) worked out by the
    engine; the derivative of an unknown function (m_x'(w)) is a value and stays."""

    def pending(expr) -> bool:
        return isinstance(expr, sympy.Derivative) and not _of_unknown(expr)

    def work_out(derivative: sympy.Derivative) -> sympy.Expr:
        value = derivative.expr
        for var, count in derivative.variable_count:
            for _ in range(count):
                value = differentiator.derive(value, var).step.result
        return value

    return claimed.replace(pending, work_out)


def _of_unknown(derivative: sympy.Derivative) -> bool:
    inner = derivative.expr
    return isinstance(inner, AppliedUndef) and all(a.is_Symbol for a in inner.args)


def judge(derivation: Derivation, claimed: sympy.Expr, source: str = "") -> ClaimCheck:
    """The verdict on ``claimed`` as the derivative of ``derivation``'s only partial."""
    partial = derivation.partials[0]
    derivative = partial.formula
    budget = Budget()
    if has_arrays(claimed, derivative):
        return _judge_over_arrays(derivation, claimed, derivative, source, budget)
    # compared off the ties of three or more arguments of a max, kinks the verdict leaves out
    difference = off_the_ties(claimed) - off_the_ties(derivative)
    rows = cases_of(difference) or ((sympy.true, difference),)
    by_region = (cases_of(derivative), cases_of(claimed))
    regions = []
    for where, gap in rows:
        here = _region_values(where, (derivative, claimed), by_region)
        if is_zero(gap, budget.next_slice()):
            regions.append(Region(where, True, *here))
            continue
        agreeing = _agreeing_points(gap, where)
        regions.append(Region(where, False if agreeing is None else None, *here, agreeing or 0))
    regions = tuple(regions)
    failing = [r for r in regions if r.holds is False]
    counterexample = _counterexample(failing, claimed, derivative) if failing else None
    if not failing:  # a region no random point could show (3^(10⁹·x) beyond 2^65536 there)
        regions, counterexample = _unseen_refuted(regions, claimed, derivative)
        failing = [r for r in regions if r.holds is False]
    if failing and counterexample is None:
        # no point of a failing region showed a difference: call it undecided, not refuted
        regions = tuple(Region(r.where, None, r.derivative, r.claim) if r.holds is False else r
                        for r in regions)  # fmt: skip
        failing = []
    if not failing and all(r.holds for r in regions):
        verdict = PROVED
    elif not failing:
        verdict = UNDECIDED
    elif any(r.holds for r in regions):
        verdict = IN_PART
    else:
        verdict = REFUTED
    return ClaimCheck(derivation, claimed, source, verdict, regions, counterexample)


def _unseen_refuted(regions, claimed, derivative):
    """``regions`` with the first one where no random point could be compared but a small
    integer point shows a difference marked False, and that point (or None)."""
    for k, region in enumerate(regions):
        if region.holds is None and not region.agreeing_points:
            found = _counterexample([region], claimed, derivative)
            if found is not None:
                marked = dataclasses.replace(region, holds=False)
                return regions[:k] + (marked,) + regions[k + 1 :], found
    return regions, None


def _judge_over_arrays(derivation, claimed, derivative, source: str, budget) -> ClaimCheck:
    """A claim about a loss with sums: proved by SymPy, or refuted by a counterexample with
    the sums written out (N = 2, then 3: every bound a size, each element a number)."""
    whole = Region(sympy.true, True, derivative, claimed)
    gap = canonical_indices(claimed) - canonical_indices(derivative)
    if is_zero(gap, budget.next_slice()):
        return ClaimCheck(derivation, claimed, source, PROVED, (whole,))
    if numerically_equal(claimed, derivative, points=SAMPLES) is True:  # written out, sizes 2, 3
        agreeing = dataclasses.replace(whole, holds=None, agreeing_points=SAMPLES)
        return ClaimCheck(derivation, claimed, source, UNDECIDED, (agreeing,))
    bounds = sorted(
        {
            s
            for e in (claimed, derivative)
            for s in e.free_symbols
            if s.is_integer and s.is_positive
        },
        key=str,
    )
    for size in SIZES:
        written_claim, written_derivative = written_out([claimed, derivative], size)
        found = _counterexample([whole], written_claim, written_derivative)
        if found is not None:
            sizes = {bound: sympy.Integer(size) for bound in bounds}
            found = Counterexample({**sizes, **found.values}, found.claimed, found.true)
            refuted = dataclasses.replace(whole, holds=False)
            return ClaimCheck(derivation, claimed, source, REFUTED, (refuted,), found)
    undecided = dataclasses.replace(whole, holds=None)
    return ClaimCheck(derivation, claimed, source, UNDECIDED, (undecided,))


def _region_values(where, exprs, by_region) -> tuple[sympy.Expr, sympy.Expr]:
    """The derivative and the claim with the region's switches resolved; ``by_region``
    holds each one's cases."""
    values = []
    for expr, rows in zip(exprs, by_region, strict=True):
        match = [v for w, v in rows or () if _implies(where, w)]
        values.append(match[0] if match else expr)
    return values[0], values[1]


def _implies(region, condition) -> bool:
    """Whether the strict conditions of ``condition`` are among those of ``region``."""
    if condition == sympy.true:
        return True
    mine = set(sympy.And.make_args(region))
    return all(c in mine for c in sympy.And.make_args(condition))


def _unknowns(*exprs) -> list:
    """The quantities a point gives values to: the values of unknown functions and of their
    derivatives (each free at a point), and the symbols outside them; m_x(w) hides w."""
    derivatives = set().union(*(e.atoms(sympy.Derivative, sympy.Subs) for e in exprs))
    exprs = [e.xreplace({a: sympy.Dummy() for a in derivatives}) for e in exprs]
    functions = set().union(*(e.atoms(AppliedUndef) for e in exprs))
    exprs = [e.xreplace({f: sympy.Dummy() for f in functions}) for e in exprs]
    symbols = {s for e in exprs for s in e.free_symbols if not isinstance(s, sympy.Dummy)}
    return sorted(functions, key=str) + sorted(derivatives, key=str) + sorted(symbols, key=str)


def _substitute(expr, point: dict):
    """``expr`` at ``point``, exact where the point is; nan where a part of it is too large
    to work out (beyond 2^65536: SymPy would spend minutes in C)."""
    value = substituted(expr, point, digits=None)
    return sympy.nan if value is None else evaluated(value)


def _holds_at(where, point) -> bool:
    if where == sympy.true:
        return True
    return attempt(lambda: _substitute(where, point) == sympy.true, False)


def _shown(value: sympy.Expr) -> sympy.Expr:
    """``value`` as a decimal when it holds an exact number too long to print (3^1000000)."""
    longest = max((abs(n.p).bit_length() for n in value.atoms(sympy.Rational)), default=0)
    return sympy.N(value, 15) if longest > 3000 else value


def _differs(claimed, derivative, point):
    """(claim, derivative) at ``point`` when both are finite numbers and differ, else None."""
    values = attempt(lambda: (_substitute(claimed, point), _substitute(derivative, point)), None)
    if values is None:
        return None
    a, b = (_shown(v) for v in values)

    def differ() -> bool:
        if not (a.is_number and b.is_number) or a.has(sympy.nan, sympy.zoo):
            return False
        return abs(complex(sympy.N(a - b))) > 1e-12 * (1 + abs(complex(sympy.N(b))))

    return (a, b) if attempt(differ, False) else None


def _simplest_points(count: int):
    """Tuples of ``count`` values from SMALL, the simplest first: all 0, then those made of
    0 and 1, then of 0, 1 and −1, and so on through SMALL; at each stage those with fewer
    values other than 0 first. A counterexample then shows as few nonzero, small values as
    it can (X₁₁ = 1, y₁ = 1, the rest 0) and is found among the first hundred points rather
    than after thousands; a point with every value nonzero (all 1) comes early too."""
    zero = SMALL[0]
    yield (zero,) * count
    for height in range(1, len(SMALL)):  # the points that use SMALL[height], and none after
        allowed, newest = SMALL[1 : height + 1], SMALL[height]
        for nonzero in range(1, count + 1):
            for values in itertools.product(allowed, repeat=nonzero):
                if newest not in values:
                    continue  # a point of an earlier stage
                for places in itertools.combinations(range(count), nonzero):
                    point = [zero] * count
                    for place, value in zip(places, values, strict=True):
                        point[place] = value
                    yield tuple(point)


def _counterexample(failing: list[Region], claimed, derivative) -> Counterexample | None:
    """A point in a failing region where claim and derivative differ: the simplest points of
    small values first (``_simplest_points``: m_x(w) = 0, m_x'(w) = 1, t = 1), then random
    points."""
    for region in failing:
        unknowns = _unknowns(claimed, derivative, region.where)
        for values in itertools.islice(_simplest_points(len(unknowns)), 20000):
            deadline.check()
            point = dict(zip(unknowns, values, strict=True))
            if _holds_at(region.where, point):
                found = _differs(claimed, derivative, point)
                if found:
                    return Counterexample(point, *found)
        rng = random.Random(SEED)
        for _ in range(500):
            deadline.check()
            point = dict(random_point(unknowns, rng))
            if _holds_at(region.where, point):
                found = _differs(claimed, derivative, point)
                if found:
                    return Counterexample(point, *found)
    return None


def _agreeing_points(gap, where) -> int | None:
    """How many random points of ``where`` have ``gap`` = 0; None when one does not."""
    unknowns = _unknowns(gap, where)
    rng = random.Random(SEED)
    agreeing = 0
    for _ in range(SAMPLES * 20):
        deadline.check()
        point = dict(random_point(unknowns, rng))
        if not _holds_at(where, point):
            continue
        value = _substitute(gap, point)
        if not value.is_number or value.has(sympy.nan, sympy.zoo):
            continue
        if abs(complex(sympy.N(value))) > 1e-9:
            return None
        agreeing += 1
        if agreeing >= SAMPLES:
            break
    return agreeing
