"""Abs, sign, Heaviside, ReLU, max, min and cases: the functions with kinks.

Conventions at a kink (stated wherever derive prints a derivative): sign(0) = 0,
Heaviside(0) = 1/2, so a tie in max(a, b) splits the gradient equally; ReLU'(0) = 0.
Each entry says where its derivative switches (``kinks``), the subgradients there, and how
the function switches (``switch``), which the cases form and the kink analysis use.
"""

from __future__ import annotations

from itertools import combinations

import sympy
from sympy import Heaviside, Max, Min, Piecewise

from rules.registry import Expansion, KinkSpec, OwnFunction, Switch, T, derivative, rule


def numbers_last(args):
    """Arguments with the numbers at the end: max(u, 0), as people write it."""
    return [a for a in args if not a.is_number] + [a for a in args if a.is_number]


def _sign(u):
    # unevaluated, so that sign(m(w) - t) keeps the orientation the user wrote
    return sympy.sign(u, evaluate=False)


def _first_argument(expr):
    return expr.args[0]


def abs_kinks(expr):
    """|u| bends at u = 0; there every t·du/dx with −1 ≤ t ≤ 1 is a subgradient."""
    (u,) = expr.args
    return [KinkSpec(u, choices=((_sign(u), T),), low=sympy.S.NegativeOne, high=sympy.S.One)]


@derivative(
    sympy.Abs,
    name="absolute value",
    names=("abs",),
    make=lambda u: sympy.Abs(u, evaluate=False),
    kinks=abs_kinks,
    switch=Switch(_first_argument, lambda e, positive: e.args[0] if positive else -e.args[0]),
    convention="sign(0) = 0",
    text=lambda p, e: f"|{p(e.args[0])}|",
    numpy="np.abs",
)
def absolute_value(u):
    """d/du |u| = sign(u), for u ≠ 0; not differentiable at u = 0 (subgradient [−1, 1])"""
    return _sign(u)


def jump_kinks(expr):
    """sign(u) and H(u) jump at u = 0: no derivative, no subgradient there."""
    return [KinkSpec(expr.args[0], kind="jump")]


@derivative(
    sympy.sign,
    name="sign (zero where defined)",
    names=("sign", "sgn"),
    make=_sign,
    kinks=jump_kinks,
    switch=Switch(
        _first_argument,
        lambda e, positive: sympy.S.One if positive else sympy.S.NegativeOne,
        at_kink=lambda e: sympy.S.Zero,
    ),
    convention="sign(0) = 0",
    latex=r"\operatorname{sign}",
    numpy="np.sign",
    forms={"heaviside": lambda e: 2 * Heaviside(e.args[0]) - 1},
)
def sign_rule(u):
    """d/du sign(u) = 0 for u ≠ 0; sign jumps at u = 0"""
    return sympy.S.Zero


def _heaviside_text(p, e):
    """H(u), with H(0) = 1/2; the indicators 1[u > 0] and 1[u ≥ 0] for H(0) = 0 and 1."""
    u, at_zero = e.args
    if at_zero in (0, 1):
        return f"1[{p(u)} {'>' if at_zero == 0 else '≥'} 0]"
    return f"H({p(u)})"


def _heaviside_latex(p, e):
    u, at_zero = e.args
    if at_zero in (0, 1):
        relation = ">" if at_zero == 0 else r"\ge"
        return rf"\mathbf{{1}}\left[{p(u)} {relation} 0\right]"
    return rf"H\left({p(u)}\right)"


def _heaviside_as_sign(e):
    """H(u) = (1 + sign u)/2, everywhere when H(0) = 1/2 (sign(0) = 0)."""
    u, at_zero = e.args
    return (1 + _sign(u)) / 2 if at_zero == sympy.S.Half else None


@derivative(
    Heaviside,
    name="Heaviside step (zero where defined)",
    names=("heaviside",),
    kinks=jump_kinks,
    switch=Switch(
        _first_argument,
        lambda e, positive: sympy.S.One if positive else sympy.S.Zero,
        at_kink=lambda e: e.args[1],
    ),
    convention="H(0) = 1/2",
    text=_heaviside_text,
    latex=_heaviside_latex,
    numpy=lambda p, e: f"np.heaviside({p(e.args[0])}, {float(e.args[1])})",
    forms={"sign": _heaviside_as_sign},
)
def heaviside_rule(u):
    """d/du H(u) = 0 for u ≠ 0; H jumps at u = 0"""
    return sympy.S.Zero


class relu(OwnFunction):
    """ReLU(u) = max(u, 0)."""

    @classmethod
    def eval(cls, u):
        if u.is_Number:
            return sympy.Max(u, 0)
        if u.is_nonnegative:
            return u
        if u.is_nonpositive:
            return sympy.S.Zero
        return None

    def _eval_is_nonnegative(self):
        return self.args[0].is_real


def relu_kinks(expr):
    """ReLU(u) bends at u = 0; there every t·du/dx with 0 ≤ t ≤ 1 is a subgradient."""
    (u,) = expr.args
    return [KinkSpec(u, choices=((Heaviside(u, 0), T),))]


@derivative(
    relu,
    name="ReLU",
    names=("relu",),
    elementary=lambda u: Piecewise((u, u > 0), (0, True)),
    plain=lambda u: Max(0, u),
    kinks=relu_kinks,
    switch=Switch(_first_argument, lambda e, positive: e.args[0] if positive else sympy.S.Zero),
    convention="ReLU'(0) = 0",
    text="ReLU",
    latex=r"\operatorname{ReLU}",
    numpy=lambda p, e: f"np.maximum({p(e.args[0])}, 0)",
)
def relu_rule(u):
    """d/du ReLU(u) = 1 for u > 0, 0 for u < 0; ReLU'(0) = 0 by convention (subgradient [0, 1])"""
    return Heaviside(u, 0)


def _gap(a, b):
    """a − b, its products multiplied out: τ(y − f) − (τ − 1)(y − f) is y − f."""
    return sympy.expand_mul(a - b)


def _of_others(extremum, args, i):
    """max (or min) of the arguments but the i-th: the arguments of a max SymPy built are
    already distinct and not comparable, so it is not evaluated again (for 12 arguments that
    is minutes of pairwise comparisons that no deadline interrupts)."""
    others = args[:i] + args[i + 1 :]
    return others[0] if len(others) == 1 else extremum(*others, evaluate=False)


def max_switch(args, i):
    """H(aᵢ − max of the others): 1 where aᵢ is the maximum, 1/2 at a tie of two."""
    return Heaviside(_gap(args[i], _of_others(Max, args, i)))


def min_switch(args, i):
    """H(min of the others − aᵢ): 1 where aᵢ is the minimum, 1/2 at a tie of two."""
    return Heaviside(_gap(_of_others(Min, args, i), args[i]))


def shared_among_the_tied(switch, args, derivatives):
    """Σᵢ Hᵢ · daᵢ/dx, over Σᵢ Hᵢ when there are three or more arguments.

    Off the ties exactly one switch Hᵢ is 1 and the others 0; where two tie at the top both
    are H(0) = 1/2. So Σᵢ Hᵢ = 1 wherever fewer than three arguments tie at the top, and the
    quotient is the plain sum there. Where k ≥ 3 tie, each of their switches is 1/2 and the
    sum k/2: the quotient gives each of them 1/k, the mean of their slopes, which is a
    subgradient (the plain sum, k/2 of it, is not: 3/2 for max(x, y, z) at x = y = z).
    """
    switches = [switch(args, i) for i in range(len(args))]
    total = sympy.Add(*(h * d for h, d in zip(switches, derivatives, strict=True)))
    return total if len(args) < 3 else total / sympy.Add(*switches)


def _extremum_kinks(switch):
    def kinks(expr):
        args = expr.args
        specs = []
        for i, j in combinations(range(len(args)), 2):
            choices = ((switch(args, i), T), (switch(args, j), 1 - T))
            specs.append(KinkSpec(args[i] - args[j], choices=choices, equation=(args[i], args[j])))
        return specs

    kinks.__doc__ = "max and min bend where two arguments tie; there the subgradients are the "
    kinks.__doc__ += "convex combinations t·daᵢ/dx + (1 − t)·daⱼ/dx, 0 ≤ t ≤ 1."
    return kinks


def _difference_of_two(expr):
    return expr.args[0] - expr.args[1] if len(expr.args) == 2 else None


def _extremum_printers(word: str, numpy_function: str) -> dict:
    def nested(p, args):
        if len(args) == 1:
            return p(args[0])
        return f"np.{numpy_function}({p(args[0])}, {nested(p, args[1:])})"

    return {
        "text": lambda p, e: f"{word}({', '.join(p(a) for a in numbers_last(e.args))})",
        "latex": lambda p, e: (
            rf"\{word}\left({', '.join(p(a) for a in numbers_last(e.args))}"
            r"\right)"
        ),
        "numpy": lambda p, e: nested(p, numbers_last(e.args)),
    }


_TIES = "H(0) = 1/2: a tie splits the gradient equally"  # among k ≥ 3 tied too: 1/k each


def _extremum_specimen():
    x = sympy.Symbol("x", real=True)
    a, b = (sympy.Function(name, real=True)(x) for name in "ab")
    return a, b, x


@rule(
    Max,
    name="maximum",
    specimen=lambda: (lambda a, b, x: (Max(a, b), x))(*_extremum_specimen()),
    names=("max",),
    commands=("max",),
    arity=None,
    kinks=_extremum_kinks(max_switch),
    switch=Switch(_difference_of_two, lambda e, positive: e.args[0] if positive else e.args[1]),
    convention=_TIES,
    **_extremum_printers("max", "maximum"),
)
def maximum(expr, var):
    """d/dx max(a₁, …, aₙ) = Σᵢ Hᵢ · daᵢ/dx with Hᵢ = H(aᵢ − max of the others); for n ≥ 3,
    divided by Σᵢ Hᵢ (see ``shared_among_the_tied``)"""
    args = expr.args
    return Expansion(args, lambda ds: shared_among_the_tied(max_switch, args, ds))


@rule(
    Min,
    name="minimum",
    specimen=lambda: (lambda a, b, x: (Min(a, b), x))(*_extremum_specimen()),
    names=("min",),
    commands=("min",),
    arity=None,
    kinks=_extremum_kinks(min_switch),
    switch=Switch(_difference_of_two, lambda e, positive: e.args[1] if positive else e.args[0]),
    convention=_TIES,
    **_extremum_printers("min", "minimum"),
)
def minimum(expr, var):
    """d/dx min(a₁, …, aₙ) = Σᵢ Hᵢ · daᵢ/dx with Hᵢ = H(min of the others − aᵢ); for n ≥ 3,
    divided by Σᵢ Hᵢ (see ``shared_among_the_tied``)"""
    args = expr.args
    return Expansion(args, lambda ds: shared_among_the_tied(min_switch, args, ds))


def piecewise_kinks(expr):
    """The branches of cases meet where a condition's two sides are equal."""
    specs = []
    for _, condition in expr.args:
        for relation in condition.atoms(sympy.core.relational.Relational):
            lhs, rhs = relation.lhs, relation.rhs
            specs.append(KinkSpec(lhs - rhs, kind="join", equation=(lhs, rhs)))
    return specs


def _regions(expr):
    regions, earlier = [], []
    for _, condition in expr.args:
        regions.append(sympy.And(condition, *(sympy.Not(c) for c in earlier)))
        earlier.append(condition)
    return tuple(regions)


def _cases_specimen():
    x = sympy.Symbol("x", real=True)
    u, v = (sympy.Function(name, real=True)(x) for name in "uv")
    return Piecewise((u, sympy.Symbol("c")), (v, True)), x


@rule(Piecewise, name="cases", specimen=_cases_specimen, kinks=piecewise_kinks)
def cases(expr, var):
    """d/dx (u if c, else v) = du/dx if c, else dv/dx, away from where the branches meet"""
    conditions = [c for _, c in expr.args]
    values = tuple(v for v, _ in expr.args)

    def combine(ds):
        return Piecewise(*zip(ds, conditions, strict=True))

    return Expansion(values, combine, regions=_regions(expr))
