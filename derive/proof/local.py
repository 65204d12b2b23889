"""A step proved by its rule's local identity, at the size of the rule, not of the loss.

A step d(expr)/dx = rewrite = result whose rule differentiated parts p₁, …, pₖ of ``expr``
(each a substep of its own, proved on its own) holds when

* the rule's identity holds for any functions: with each pᵢ replaced by an undefined real
  function gᵢ(x), SymPy's derivative of expr[pᵢ := gᵢ(x)] equals the rewrite with each
  pending dpᵢ/dx as gᵢ′(x) (or, when SymPy writes a part out where the rule kept it whole,
  that derivative with the pᵢ put back is the rewrite as written). This is an expression
  the size of the rule, g₁(x) + … + gₙ(x) or max(g₁(x), …, gₙ(x)), however large the
  parts; an identity met again is proved once. The chain rule, d/dx f(u) = f′(u)·du/dx,
  is the one composite: its step is made of f′ in its own variable U (its outer step,
  proved once for each f) and du/dx, as ``chain_rule_holds`` checks, with no SymPy work,
  so that σ nested sixteen deep costs sixteen small steps;
* the result is the rewrite with each pending dpᵢ/dx replaced by its substep's result, which
  is how the engine builds it (checked structurally here, never assumed).

Then, each pᵢ being a function of x, putting pᵢ back for gᵢ is an instance of the identity:
d(expr)/dx = rewrite[dpᵢ/dx] = result, given each substep's dpᵢ/dx = resultᵢ. The step is
as sure as the weakest of its substeps. Sums and products over an index, integrals and
elements of arrays are left to the whole-expression proof: a part there may hold the bound
index (uᵢ in Σᵢ uᵢ), which a function of x alone cannot stand for.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy.core.function import AppliedUndef

from derive.deadline import attempt
from derive.model import Step
from derive.substitution import replaced
from rules.registry import CHAIN_RULE, depends
from rules.ties import off_the_ties

_BINDING = (sympy.Sum, sympy.Product, sympy.Integral, sympy.Subs, sympy.Lambda, sympy.Indexed)
_PARTS = [sympy.Function(f"_p{k}", real=True) for k in range(8)]


def _part_function(k: int):
    while len(_PARTS) <= k:
        _PARTS.append(sympy.Function(f"_p{len(_PARTS)}", real=True))
    return _PARTS[k]


def inner_substeps(step: Step, substeps: tuple[Step, ...]) -> list[Step]:
    """The substeps that differentiate a part of ``step.expr`` by the same variable and are
    worked out as steps of their own (not a constant, not the variable itself, not the outer
    function of a chain rule, which is in a variable of its own)."""
    return [s for s in substeps if s.var == step.var and not s.rule.trivial and not s.outer]


def chain_rule_holds(step: Step, substeps: tuple[Step, ...]) -> bool:
    """Whether a chain-rule step d/dx f(u) = f′(u)·du/dx is made of its outer step (f′ in
    its own variable U) and its inner step (du/dx) as the chain rule says: f(U) with u for
    U is the expression, f′(U) with u for U times the pending du/dx is the rewrite, and
    the result is the rewrite with du/dx worked out. Structural: no SymPy proving here."""
    if step.rule is not CHAIN_RULE or len(substeps) != 2:
        return False
    outer, inner = substeps
    if not outer.outer or inner.var != step.var or inner.rule.trivial:
        return False
    if depends(outer.expr, step.var) or depends(inner.expr, outer.var):
        return False  # f must hold x only through u, and U must be its own variable
    u = {outer.var: inner.expr}
    return (
        outer.expr.xreplace(u) == step.expr
        and step.rewrite == outer.result.xreplace(u) * inner.pending
        and step.rewrite.xreplace({inner.pending: inner.result}) == step.result
    )


@dataclass(frozen=True)
class Identity:
    """A step's rule identity: ``template`` is the step's expression with each inner part pᵢ
    as gᵢ(x), ``rewrite`` its rewrite with gᵢ(x) and gᵢ′(x) for pᵢ and dpᵢ/dx; ``parts``
    each gᵢ(x) and its pᵢ, ``written`` the step's own rewrite."""

    template: sympy.Expr
    rewrite: sympy.Expr
    parts: dict
    written: sympy.Expr

    def holds_with_parts(self, derivative: sympy.Expr) -> bool:
        """Whether SymPy's ``derivative`` of the template, the parts put back for the gᵢ
        (gᵢ′ becoming the pending dpᵢ/dx), is the step's rewrite as written: the identity
        for these parts, when SymPy writes the parts out in its canonical form where the
        rule kept them whole (2w − 1 − max(…) for g − max(…)), or where the rule multiplied
        out the argument of a switch (H(1 − by − wxy) for H(1 − y(b + wx))). Structural."""

        def holds() -> bool:
            written = off_the_ties(self.written)
            return _switches_expanded(replaced(derivative, self.parts)) == _switches_expanded(
                written
            )

        return attempt(holds, False)


def _switches_expanded(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with the argument of each H and sign multiplied out, as the rules of max and
    min write them (``_gap``: H(aᵢ − aⱼ) with its products expanded)."""
    found = expr.atoms(sympy.Heaviside, sympy.sign)
    if not found:
        return expr
    return expr.xreplace({a: a.func(sympy.expand_mul(a.args[0]), *a.args[1:]) for a in found})


def identity(step: Step, inner: list[Step]) -> Identity | None:
    """The rule identity of ``step`` to prove; None when the step is not made of its parts
    that way (or holds a bound index, see the module's docstring)."""
    var = step.var
    if not inner or not isinstance(var, sympy.Symbol) or step.expr.has(*_BINDING):
        return None
    if any(f.func.__name__.startswith("_p") for f in step.expr.atoms(AppliedUndef)):
        return None  # (built from Python with functions named as the gᵢ: left alone)
    names: dict[sympy.Expr, sympy.Expr] = {}
    for s in inner:
        if s.expr not in names:
            names[s.expr] = _part_function(len(names))(var)
    pending = {sympy.Derivative(e, var): sympy.Derivative(g, var) for e, g in names.items()}
    back = {sympy.Derivative(s.expr, var): s.result for s in inner}
    if step.rewrite.xreplace(back) != step.result:
        return None  # not the rewrite with the substeps' results put in: prove it whole
    template = replaced(step.expr, names)
    rewrite = replaced(step.rewrite, {**names, **pending})
    parts = {g: e for e, g in names.items()}
    return Identity(template, rewrite, parts, step.rewrite)
