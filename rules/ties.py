"""The one fact about max and min that SymPy's derivative does not share with derive's.

For three or more arguments derive divides the switches of a max by their sum
(``rules.nonsmooth.shared_among_the_tied``), so that k arguments tied at the top share the
gradient equally. SymPy's derivative of the same max is the plain sum Σᵢ Hᵢ · daᵢ/dx. The
two are equal wherever fewer than three arguments tie at the top, since the sum of the
switches is 1 there:

    Σᵢ H(aᵢ − max of the others) = 1   (and likewise for min),

because off the ties one argument is the strict maximum (its switch H(positive) = 1, the
others' H(negative) = 0), and where two tie at the top their switches are H(0) = 1/2 each.
``off_the_ties`` puts 1 for each such sum that divides an expression, recognising it by
its structure alone, so that a step is proved equal to SymPy's derivative wherever that
derivative is a subgradient; at a tie of three or more SymPy's value is not one, and
derive's differs from it on purpose.
"""

from __future__ import annotations

import sympy


def off_the_ties(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with 1 for each reciprocal of a full sum of the switches of a max or a min
    of three or more arguments: ``expr`` wherever fewer than three of them tie."""
    if not expr.has(sympy.Heaviside):
        return expr
    sums = {
        power: sympy.S.One
        for power in expr.atoms(sympy.Pow)
        if power.exp == -1 and _is_sum_of_switches(power.base)
    }
    return expr.xreplace(sums) if sums else expr


def _is_sum_of_switches(total: sympy.Expr) -> bool:
    """Whether ``total`` is Σᵢ H(aᵢ − max of the others) over every argument of one max of
    three or more (or Σᵢ H(min of the others − aᵢ) for a min), each argument of the switch
    multiplied out as the rules write it."""
    terms = sympy.Add.make_args(total)
    if len(terms) < 3 or not all(_half_at_zero(t) for t in terms):
        return False
    for extremum, sign in ((sympy.Max, 1), (sympy.Min, -1)):
        arguments = [_argument_and_others(t.args[0], extremum, sign, len(terms)) for t in terms]
        if any(a is None for a in arguments):
            continue
        everything = {a for a, _ in arguments}
        if len(everything) == len(terms) and all(
            others == everything - {a} for a, others in arguments
        ):
            return True
    return False


def _half_at_zero(term: sympy.Expr) -> bool:
    """Whether ``term`` is H(u) with H(0) = 1/2, the lemma's switch (with H(0) = 0 or 1 two
    tied switches sum to 0 or 2)."""
    return isinstance(term, sympy.Heaviside) and term.args[1:] == (sympy.S.Half,)


def _argument_and_others(gap: sympy.Expr, extremum, sign: int, count: int):
    """(aᵢ, {the others}) when ``gap`` is aᵢ − max(others) (sign 1) or min(others) − aᵢ
    (sign −1), with count − 1 others, everything multiplied out; None when it is not."""
    for inner in gap.atoms(extremum):
        if len(inner.args) != count - 1:
            continue
        argument = sympy.expand_mul(sign * gap + inner)
        others = {sympy.expand_mul(a) for a in inner.args}
        if argument not in others:
            return argument, frozenset(others)
    return None
