"""Prove each step with SymPy, or check it numerically; each once.

A step d(expr)/d(var) = result is

* ``proved`` when SymPy shows result − d(expr)/d(var) = 0, where d/d(var) is SymPy's own
  derivative of ``expr`` with derive's functions rewritten in SymPy's (``reference``); or,
  first, when its rule's identity holds at the rule's own size and the substeps it is made
  of are proved (``derive.proof.local``: the chain rule by its outer and inner steps, any
  other rule by SymPy's derivative of the step with each part an unknown function), so that
  σ nested 16 deep is proved step by step without SymPy simplifying the whole at any step;
* ``checked`` when SymPy cannot decide in the time allowed but the two sides agree at seeded
  random points (a large step whose rule holds but a part of which was only checked goes
  to the random points alone);
* ``failed`` when they disagree (a bug, printed as such) or cannot be compared at all.

One ``Prover`` serves a whole derivation: it computes each reference derivative once and
proves each step once, however often the step occurs, within one time ``Budget``.
"""

from __future__ import annotations

import dataclasses

import sympy

from derive.deadline import attempt, check, cpu_seconds
from derive.model import CHECKED, FAILED, PROVED, UNVERIFIED, Step
from derive.proof.equality import is_zero, larger_than, numerically_equal, reference_derivative
from derive.proof.local import chain_rule_holds, identity, inner_substeps
from rules.ties import off_the_ties

STEP_SECONDS = 3.0  # a proof that takes 0.5 s alone still fits on a loaded machine
TOTAL_SECONDS = 6.0
LARGE = 250  # nodes: a step this large is not given to SymPy's simplify above a checked part
MAX_REMEMBERED = 4096  # rule identities proved, kept for later derivations
_PROVED_IDENTITIES: dict[tuple, bool] = {}
_RANK = {PROVED: 0, CHECKED: 1, UNVERIFIED: 2, FAILED: 3}


class Budget:
    """Seconds of symbolic proving left for one derivation, in the CPU time of the thread
    that derives it (the same proofs are found on a loaded machine); numeric checks need
    none."""

    def __init__(self, seconds: float = TOTAL_SECONDS):
        self.ends = cpu_seconds() + seconds

    def next_slice(self) -> float:
        return max(0.0, min(STEP_SECONDS, self.ends - cpu_seconds()))


def weakest(*verdicts: str) -> str:
    """The least certain of several verdicts (failed < unverified < checked < proved)."""
    return max(verdicts, key=lambda v: _RANK.get(v, 2), default=PROVED)


class Prover:
    """Verifies the steps, rewrites and cases of one derivation, remembering what it did."""

    def __init__(self, budget: Budget | None = None):
        self.budget = budget or Budget()
        self.references: dict[tuple, sympy.Expr] = {}
        self.verified: dict[int, tuple[Step, Step]] = {}
        self.identities: dict[tuple, bool] = {}

    def reference(self, expr: sympy.Expr, var: sympy.Symbol) -> sympy.Expr | None:
        """SymPy's own derivative of ``expr`` (computed once per expression and variable);
        None when SymPy cannot differentiate it (a function of a value that is not real)."""
        key = (expr, var)
        if key not in self.references:
            self.references[key] = attempt(lambda: reference_derivative(expr, var), None)
        return self.references[key]

    def equal(
        self, claimed: sympy.Expr, reference: sympy.Expr | None, domain: sympy.Expr | None = None
    ) -> str:
        """proved, checked or failed: ``claimed`` against ``reference`` (failed when there is
        no reference to compare with), compared at points where ``domain`` is real."""
        if reference is None:
            return FAILED
        claimed, reference = off_the_ties(claimed), off_the_ties(reference)
        if claimed == reference or is_zero(claimed - reference, self.budget.next_slice()):
            return PROVED
        if numerically_equal(claimed, reference, domain=domain):
            return CHECKED
        return FAILED

    def verify(self, step: Step) -> Step:
        """The same step tree with every step's ``verified`` filled in, each step once."""
        known = self.verified.get(id(step))
        if known is not None and known[0] is step:
            return known[1]
        check()
        substeps = tuple(self.verify(s) for s in step.substeps)
        verdict = self.by_rule(step, substeps)
        if verdict == CHECKED and larger_than(step.result, LARGE):
            verdict = self.at_random_points(step)
        elif verdict != PROVED:
            verdict = self.equal(step.result, self.reference(step.expr, step.var), step.expr)
        done = dataclasses.replace(step, substeps=substeps, verified=verdict)
        self.verified[id(step)] = (step, done)  # the step is kept, so its id stays unique
        return done

    def at_random_points(self, step: Step) -> str:
        """CHECKED, FAILED or UNVERIFIED: the step against SymPy's derivative at random points
        only. For a large step whose rule holds but a part of which was only checked: SymPy's
        simplify on the whole would take long and most likely not decide either."""
        reference = self.reference(step.expr, step.var)
        if reference is None:
            return FAILED
        agree = numerically_equal(step.result, reference, domain=step.expr)
        return UNVERIFIED if agree is None else CHECKED if agree else FAILED

    def by_rule(self, step: Step, substeps: tuple[Step, ...]) -> str | None:
        """PROVED when the step's rule identity holds, on the rule's own size, and its parts'
        substeps are proved (``derive.proof.local``), each identity proved once; CHECKED
        when it holds but a part was only checked; None when it does not apply or SymPy
        cannot show it."""
        if chain_rule_holds(step, substeps):
            return weakest(*(s.verified for s in substeps))
        inner = inner_substeps(step, substeps)
        parts = weakest(*(s.verified for s in inner))
        if parts not in (PROVED, CHECKED):
            return None
        found = identity(step, inner)
        if found is None:
            return None
        key = (found.template, found.rewrite, step.var)
        known = self.identities.get(key)
        if key in _PROVED_IDENTITIES or known:
            return parts
        reference = self.reference(found.template, step.var)
        if reference is None:
            return None
        rewrite = off_the_ties(found.rewrite)
        if rewrite != reference:
            if found.holds_with_parts(reference):
                return parts  # this instance holds (not remembered: it is these parts')
            if known is None:  # SymPy tries each identity once
                gap = rewrite - reference
                known = bool(is_zero(gap, self.budget.next_slice()))
                self.identities[key] = known
            if not known:
                return None
        self.identities[key] = True
        if len(_PROVED_IDENTITIES) < MAX_REMEMBERED:
            _PROVED_IDENTITIES[key] = True  # a fact of calculus: true in every derivation
        return parts

    def case(self, value: sympy.Expr, where: sympy.Basic, expr, var) -> str:
        """Whether ``value`` is d(expr)/d(var) where the condition ``where`` holds: each strict
        inequality of the region is made true by a positive symbol put in for one of its
        symbols (Δ + s_c − s > 0 with s = Δ + s_c − p, p > 0), so that SymPy's own derivative
        resolves its switches by itself; else at random points of the region."""
        reference = self.reference(expr, var)
        if reference is None:
            return FAILED
        for inside in (_solved_inside(where), _named_inside(where)):
            if inside is not None:
                gap = (off_the_ties(value) - reference).xreplace(inside)
                if is_zero(gap, self.budget.next_slice()):
                    return PROVED
        agree = numerically_equal(value, reference, where=where, domain=expr)
        if agree is None:
            return UNVERIFIED
        return CHECKED if agree else FAILED


def _gaps(where: sympy.Basic) -> list[sympy.Expr] | None:
    """Each inequality of ``where`` as an expression that is positive in its interior; None
    when ``where`` holds anything else."""
    gaps = []
    for relation in sympy.And.make_args(where):
        if relation == sympy.true:
            continue
        if not isinstance(relation, (sympy.StrictGreaterThan, sympy.StrictLessThan,
                                     sympy.GreaterThan, sympy.LessThan)):  # fmt: skip
            return None
        gaps.append(relation.gts - relation.lts)  # x ≥ π: proved on x > π, its interior
    return gaps


def _named_inside(where: sympy.Basic) -> dict | None:
    """Each positive gap of ``where`` (1 − x² > 0) replaced, wherever it occurs, by a
    positive symbol p (and its negative by −p): SymPy then resolves H(1 − x²) = H(p) = 1."""
    gaps = _gaps(where)
    if not gaps:
        return None
    substitution = {}
    for gap in gaps:
        positive = sympy.Dummy("p", positive=True)
        substitution[gap] = positive
        substitution[-gap] = -positive
    return substitution


def _solved_inside(where: sympy.Basic) -> dict | None:
    """A substitution making each strict inequality of ``where`` hold by construction, or
    None when some inequality is not linear in a symbol with a constant slope."""
    gaps = _gaps(where)
    if gaps is None:
        return None
    substitution: dict = {}
    for gap in gaps:
        gap = gap.xreplace(substitution)
        symbol, slope = _linear_symbol(gap)
        if symbol is None:
            return None
        positive = sympy.Dummy("p", positive=True)
        value = symbol + (positive - gap) / slope  # there gap = p > 0
        substitution = {k: v.xreplace({symbol: value}) for k, v in substitution.items()}
        substitution[symbol] = value
    return substitution


def _linear_symbol(gap: sympy.Expr):
    """A symbol ``gap`` is linear in with a constant slope, and the slope; (None, None)."""
    for symbol in sorted(gap.free_symbols, key=lambda s: s.name):
        if isinstance(symbol, sympy.Dummy):
            continue
        slope = sympy.diff(gap, symbol)
        if slope.is_number and slope != 0:
            return symbol, slope
    return None, None
