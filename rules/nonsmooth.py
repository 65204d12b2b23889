"""Abs, sign, Heaviside, ReLU, max, min and cases: the rules with kinks.

Conventions at a kink (stated wherever derive prints a derivative): sign(0) = 0,
Heaviside(0) = 1/2, so a tie in max(a, b) splits the gradient equally; ReLU'(0) = 0.
Each rule registers its kinks: where its derivative switches, and the subgradients there.
"""

from __future__ import annotations

from itertools import combinations

import sympy
from sympy import Heaviside, Max, Min, Piecewise

from derive.functions import relu
from rules.registry import Expansion, KinkSpec, Outer, T, rule


def _sign(u):
    # unevaluated, so that sign(m(w) - t) keeps the orientation the user wrote
    return sympy.sign(u, evaluate=False)


def abs_kinks(expr, var):
    """|u| bends at u = 0; there every t·du/dx with −1 ≤ t ≤ 1 is a subgradient."""
    (u,) = expr.args
    return [KinkSpec(u, choices=((_sign(u), T),), low=sympy.S.NegativeOne, high=sympy.S.One)]


@rule(
    sympy.Abs,
    name="absolute value",
    formula=r"\frac{d}{du}\lvert u\rvert = \operatorname{sign}(u)",
    kinks=abs_kinks,
)
def absolute_value(expr, var):
    """d/du |u| = sign(u), for u ≠ 0; not differentiable at u = 0 (subgradient [−1, 1])"""
    (u,) = expr.args
    return Outer(u, _sign(u))


def jump_kinks(expr, var):
    """sign(u) and H(u) jump at u = 0: no derivative, no subgradient there."""
    return [KinkSpec(expr.args[0], kind="jump")]


@rule(
    sympy.sign,
    name="sign (zero where defined)",
    formula=r"\frac{d}{du}\operatorname{sign}(u) = 0 \quad (u \neq 0)",
    kinks=jump_kinks,
)
def sign_rule(expr, var):
    """d/du sign(u) = 0 for u ≠ 0; sign jumps at u = 0"""
    return Outer(expr.args[0], sympy.S.Zero)


@rule(
    Heaviside,
    name="Heaviside step (zero where defined)",
    formula=r"\frac{d}{du} H(u) = 0 \quad (u \neq 0)",
    kinks=jump_kinks,
)
def heaviside_rule(expr, var):
    """d/du H(u) = 0 for u ≠ 0; H jumps at u = 0"""
    return Outer(expr.args[0], sympy.S.Zero)


def _relu_step(u):
    return Heaviside(u, 0)


def relu_kinks(expr, var):
    """ReLU(u) bends at u = 0; there every t·du/dx with 0 ≤ t ≤ 1 is a subgradient."""
    (u,) = expr.args
    return [KinkSpec(u, choices=((_relu_step(u), T),))]


@rule(
    relu,
    name="ReLU",
    formula=r"\frac{d}{du}\operatorname{ReLU}(u) = \mathbf{1}[u > 0]",
    kinks=relu_kinks,
)
def relu_rule(expr, var):
    """d/du ReLU(u) = 1 for u > 0, 0 for u < 0; ReLU'(0) = 0 by convention (subgradient [0, 1])"""
    return Outer(expr.args[0], _relu_step(expr.args[0]))


def max_switch(args, i):
    """H(aᵢ − max of the others): 1 where aᵢ is the maximum, 1/2 at a tie of two."""
    others = args[:i] + args[i + 1 :]
    return Heaviside(args[i] - Max(*others))


def min_switch(args, i):
    """H(min of the others − aᵢ): 1 where aᵢ is the minimum, 1/2 at a tie of two."""
    others = args[:i] + args[i + 1 :]
    return Heaviside(Min(*others) - args[i])


def _extremum_kinks(switch):
    def kinks(expr, var):
        args = expr.args
        specs = []
        for i, j in combinations(range(len(args)), 2):
            if args[i].has(var) or args[j].has(var):
                choices = ((switch(args, i), T), (switch(args, j), 1 - T))
                specs.append(
                    KinkSpec(args[i] - args[j], choices=choices, equation=(args[i], args[j]))
                )
        return specs

    kinks.__doc__ = "max and min bend where two arguments tie; there the subgradients are the "
    kinks.__doc__ += "convex combinations t·daᵢ/dx + (1 − t)·daⱼ/dx, 0 ≤ t ≤ 1."
    return kinks


@rule(
    Max,
    name="maximum",
    formula=r"\frac{d}{dx}\max(a, b) = H(a - b)\,\frac{da}{dx} + H(b - a)\,\frac{db}{dx}",
    kinks=_extremum_kinks(max_switch),
)
def maximum(expr, var):
    """d/dx max(a₁, …, aₙ) = Σᵢ H(aᵢ − max of the others) · daᵢ/dx"""
    args = expr.args
    return Expansion(
        args, lambda ds: sympy.Add(*(max_switch(args, i) * d for i, d in enumerate(ds)))
    )


@rule(
    Min,
    name="minimum",
    formula=r"\frac{d}{dx}\min(a, b) = H(b - a)\,\frac{da}{dx} + H(a - b)\,\frac{db}{dx}",
    kinks=_extremum_kinks(min_switch),
)
def minimum(expr, var):
    """d/dx min(a₁, …, aₙ) = Σᵢ H(min of the others − aᵢ) · daᵢ/dx"""
    args = expr.args
    return Expansion(
        args, lambda ds: sympy.Add(*(min_switch(args, i) * d for i, d in enumerate(ds)))
    )


def piecewise_kinks(expr, var):
    """The branches of cases meet where a condition's two sides are equal."""
    specs = []
    for _, condition in expr.args:
        for relation in condition.atoms(sympy.core.relational.Relational):
            if relation.has(var):
                lhs, rhs = relation.lhs, relation.rhs
                specs.append(KinkSpec(lhs - rhs, kind="join", equation=(lhs, rhs)))
    return specs


def _regions(expr):
    regions, earlier = [], []
    for _, condition in expr.args:
        regions.append(sympy.And(condition, *(sympy.Not(c) for c in earlier)))
        earlier.append(condition)
    return tuple(regions)


@rule(
    Piecewise,
    name="cases",
    formula=r"\frac{d}{dx}\begin{cases} u & c \\ v & \text{otherwise} \end{cases} "
    r"= \begin{cases} \frac{du}{dx} & c \\ \frac{dv}{dx} & \text{otherwise} \end{cases}",
    kinks=piecewise_kinks,
)
def cases(expr, var):
    """d/dx (u if c, else v) = du/dx if c, else dv/dx, away from where the branches meet"""
    conditions = [c for _, c in expr.args]
    values = tuple(v for v, _ in expr.args)

    def combine(ds):
        return Piecewise(*zip(ds, conditions, strict=True))

    return Expansion(values, combine, regions=_regions(expr))
