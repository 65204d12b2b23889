"""Differentiate by the rule table: a tree of Steps, with the chain rule applied here.

Like micrograd's backward pass, but symbolic and recorded: for each sub-expression the engine
asks the vocabulary for its rule, differentiates the parts the rule names, and combines them.
A rule that gives an outer derivative f'(u) of an inner u ≠ x becomes a chain-rule step with
two children: the outer rule in its own variable, and the inner derivative.

A ``Differentiator`` remembers every (expression, variable) it has worked out, so that a
sub-expression met twice (in one partial derivative or in several) is derived once.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from derive.deadline import check
from derive.model import Step
from rules.arithmetic import is_fraction_of
from rules.registry import (
    CHAIN_RULE,
    KinkSpec,
    Outer,
    depends,
    entry_for,
    find_rule,
    rule_named,
)


@dataclass(frozen=True)
class FoundKink:
    """A kink met while differentiating: the entry's spec, its expression, and the region
    (the conditions of the enclosing cases) where that expression is in use."""

    spec: KinkSpec
    source: sympy.Expr
    region: sympy.Basic


@dataclass(frozen=True)
class Derived:
    """A step tree and the kinks met in it (their regions relative to its root)."""

    step: Step
    kinks: tuple[FoundKink, ...]


def _fresh_symbol(taken: set[str]) -> sympy.Symbol:
    for name in ("u", "v", "z", "xi", "zeta_"):
        if name not in taken:
            return sympy.Symbol(name, real=True)
    return sympy.Dummy("u", real=True)


def derivative(expr: sympy.Expr, var: sympy.Symbol) -> sympy.Expr:
    """d(expr)/d(var) by the rules, without its steps' proofs: the local derivatives of
    reverse-mode code (``codegen.reverse``), which are small pieces of a derived loss."""
    return Differentiator().derive(expr, var).step.result


class Differentiator:
    """Builds step trees for one loss, each (expression, variable) once.

    ``fractions``: the sub-expressions the user wrote as ``\\frac{…}{…}``, shown with the
    quotient rule; ``taken``: names the outer functions' own variable must avoid.
    """

    def __init__(self, taken: set[str] = frozenset(), fractions=frozenset()):
        self.fractions = fractions
        self.outer_symbol = _fresh_symbol(set(taken))
        self.memo: dict[tuple[sympy.Expr, sympy.Symbol], Derived] = {}
        self.outer_steps: dict[sympy.Expr, Step] = {}

    def derive(self, expr: sympy.Expr, var: sympy.Symbol) -> Derived:
        """The step tree of d(expr)/d(var)."""
        key = (expr, var)
        if key not in self.memo:
            self.memo[key] = self._derive(expr, var)
        return self.memo[key]

    def _derive(self, expr: sympy.Expr, var: sympy.Symbol) -> Derived:
        check()  # the request's deadline, between steps
        rule = find_rule(expr, var)
        if expr in self.fractions and is_fraction_of(expr, var) and depends(expr, var):
            rule = rule_named("quotient rule")  # written as \frac{…}{…}: shown as a quotient
        kinks = self._kinks(expr, var, rule)
        answer = rule.apply(expr, var)
        if isinstance(answer, Outer):
            return self._chain(rule, expr, var, answer, kinks)
        regions = answer.regions or (sympy.true,) * len(answer.parts)
        parts = [self.derive(part, var) for part in answer.parts]
        for part, where in zip(parts, regions, strict=True):
            kinks += [FoundKink(k.spec, k.source, sympy.And(where, k.region)) for k in part.kinks]
        substeps = tuple(part.step for part in parts)
        rewrite = answer.combine([s.pending for s in substeps])
        result = answer.combine([s.result for s in substeps])
        return Derived(Step(rule, expr, var, rewrite, result, substeps), tuple(kinks))

    def _kinks(self, expr, var, rule) -> list[FoundKink]:
        entry = entry_for(expr)
        if rule.trivial or entry is None or entry.kinks is None or rule not in entry.rules:
            return []
        return [FoundKink(s, expr, sympy.true) for s in entry.kinks(expr) if depends(s.where, var)]

    def _chain(self, rule, expr, var, answer: Outer, kinks) -> Derived:
        """d/dx f(u) = f'(u) · du/dx, with f'(u) shown in its own variable once."""
        u, outer_derivative = answer.inner, answer.derivative
        if u == var:
            step = Step(rule, expr, var, outer_derivative, outer_derivative)
            return Derived(step, tuple(kinks))
        inner = self.derive(u, var)
        rewrite = outer_derivative * inner.step.pending
        result = outer_derivative * inner.step.result
        outer = self._outer(rule, expr.xreplace({u: self.outer_symbol}))
        step = Step(CHAIN_RULE, expr, var, rewrite, result, (outer, inner.step))
        return Derived(step, (*kinks, *inner.kinks))

    def _outer(self, rule, outer_expr: sympy.Expr) -> Step:
        """d/du f(u) = f'(u), the outer function in its own variable u."""
        if outer_expr not in self.outer_steps:
            general = rule.apply(outer_expr, self.outer_symbol).derivative
            step = Step(rule, outer_expr, self.outer_symbol, general, general, outer=True)
            self.outer_steps[outer_expr] = step
        return self.outer_steps[outer_expr]


def derivative_steps(
    expr: sympy.Expr, var: sympy.Symbol, fractions=frozenset()
) -> tuple[Step, list[FoundKink]]:
    """The step tree of d(expr)/d(var), and the kinks met on the way. ``fractions``: the
    sub-expressions the user wrote as fractions, shown with the quotient rule."""
    taken = {s.name for s in expr.free_symbols}
    derived = Differentiator(taken, fractions).derive(expr, var)
    return derived.step, list(derived.kinks)
