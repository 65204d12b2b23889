"""Differentiate by the rule table: a tree of Steps, with the chain rule applied here.

Like micrograd's backward pass, but symbolic and recorded: for each sub-expression the engine
asks the registry for its rule, differentiates the parts the rule names, and combines them.
A rule that gives an outer derivative f'(u) of an inner u ≠ x becomes a chain-rule step with
two children: the outer rule in its own variable, and the inner derivative.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from derive.steps import Step
from rules.arithmetic import is_fraction_of
from rules.registry import KinkSpec, Outer, find_rule, rule_named


@dataclass(frozen=True)
class FoundKink:
    """A kink met while differentiating: the rule's spec, its expression, and the region
    (the conditions of the enclosing cases) where that expression is in use."""

    spec: KinkSpec
    source: sympy.Expr
    region: sympy.Basic


def pending(step: Step) -> sympy.Expr:
    """How a step's derivative appears before it is worked out: d(expr)/d(var), unevaluated.
    Constants and the variable itself are worked out at once."""
    if step.rule == "constant rule":
        return sympy.S.Zero
    if step.rule == "variable rule":
        return sympy.S.One
    return sympy.Derivative(step.expr, step.var)


class _Walker:
    def __init__(self, var: sympy.Symbol, free_names: set[str], fractions=frozenset()):
        self.var = var
        self.fractions = fractions
        self.kinks: list[FoundKink] = []
        self.outer_symbol = _fresh_symbol(free_names)

    def derive(self, expr: sympy.Expr, region=sympy.true) -> Step:
        rule = find_rule(expr, self.var)
        if expr in self.fractions and is_fraction_of(expr, self.var) and expr.has(self.var):
            rule = rule_named("quotient rule")  # written as \frac{…}{…}: shown as a quotient
        answer = rule.apply(expr, self.var)
        if rule.kinks is not None:
            for spec in rule.kinks(expr, self.var):
                self.kinks.append(FoundKink(spec, expr, region))
        if isinstance(answer, Outer):
            return self.chain(rule, expr, answer, region)
        regions = answer.regions or (sympy.true,) * len(answer.parts)
        substeps = tuple(
            self.derive(part, sympy.And(region, where))
            for part, where in zip(answer.parts, regions, strict=True)
        )
        rewrite = answer.combine([pending(s) for s in substeps])
        result = answer.combine([s.result for s in substeps])
        return Step(rule.name, expr, self.var, rewrite, result, substeps)

    def chain(self, rule, expr: sympy.Expr, answer: Outer, region) -> Step:
        """d/dx f(u) = f'(u) · du/dx."""
        u, outer_derivative = answer.inner, answer.derivative
        if u == self.var:
            return Step(rule.name, expr, self.var, outer_derivative, outer_derivative)
        inner = self.derive(u, region)
        symbol = self.outer_symbol
        outer_expr = expr.xreplace({u: symbol})
        general = rule.apply(outer_expr, symbol).derivative  # f'(u) in the variable u itself
        outer = Step(rule.name, outer_expr, symbol, general, general, outer=True)
        rewrite = outer_derivative * pending(inner)
        result = outer_derivative * inner.result
        return Step("chain rule", expr, self.var, rewrite, result, (outer, inner))


def _fresh_symbol(taken: set[str]) -> sympy.Symbol:
    for name in ("u", "v", "z", "xi", "zeta_"):
        if name not in taken:
            return sympy.Symbol(name, real=True)
    return sympy.Dummy("u", real=True)


def derivative_steps(
    expr: sympy.Expr, var: sympy.Symbol, fractions=frozenset()
) -> tuple[Step, list[FoundKink]]:
    """The step tree of d(expr)/d(var), and the kinks met on the way. ``fractions``: the
    sub-expressions the user wrote as fractions, shown with the quotient rule."""
    taken = {s.name for s in expr.free_symbols}
    walker = _Walker(var, taken, fractions)
    return walker.derive(expr), walker.kinks
