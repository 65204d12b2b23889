"""Whether two expressions are equal: shown by SymPy, or seen at seeded random points.

The reference for every derivative is SymPy's own ``diff`` of the expression with derive's
functions (sigmoid, softplus, ReLU) rewritten in SymPy's, so that no proof leans on derive's
rules.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import sympy
from sympy.concrete.delta import _has_simple_delta, deltasummation
from sympy.core.function import AppliedUndef

from derive.deadline import attempt, cpu_seconds, watched
from derive.proof.explicit import SIZES, has_arrays, within_bounds, written_out
from derive.proof.values import astronomical, astronomical_power, substituted
from rules.arithmetic import independent_part
from rules.registry import elementary_form, heads_with

SEED = 20261121


def reference_derivative(expr: sympy.Expr, var: sympy.Symbol) -> sympy.Expr:
    """SymPy's derivative of ``expr``, computed without derive's rules for its own functions.

    SymPy differentiates the jumps of sign and Heaviside into Dirac deltas (or leaves
    d/dx sign(g(x)) unevaluated); derive's derivatives are the classical ones, defined off the
    jumps, where both are 0: so they are dropped."""
    derivative = _linear_diff(elementary_form(expr), var)
    if isinstance(var, sympy.Indexed):  # by an element wₖ: SymPy's Kronecker deltas summed
        derivative = within_bounds(deltas_summed(derivative))
    jumps = {
        d for d in derivative.atoms(sympy.DiracDelta, sympy.Derivative)
        if isinstance(d, sympy.DiracDelta) or isinstance(d.expr, (sympy.sign, sympy.Heaviside))
    }  # fmt: skip
    return derivative.xreplace({d: sympy.S.Zero for d in jumps}) if jumps else derivative


def deltas_summed(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with each sum over a Kronecker delta of its index worked out (Σⱼ δⱼₖ xᵢⱼ is
    xᵢₖ where 1 ≤ k ≤ d), a sum with no delta left as it is: SymPy's ``doit`` looks for a
    closed form of every sum (hypersimp, solve), seconds for Σᵢ (Σⱼ wⱼ xᵢⱼ − yᵢ) xᵢₖ. (The
    terms of a delta's sum without the delta, and a delta of another index than the
    innermost, are SymPy's to work out: equal values, perhaps in a closed form.)"""

    def summed(total: sympy.Sum) -> sympy.Expr:
        summand, limits = total.function, list(total.limits)
        while limits and summand.has(sympy.KroneckerDelta):
            if not _has_simple_delta(summand, limits[0][0]):
                return sympy.Sum(summand, *limits).doit()  # another index's delta: SymPy's
            summand = deltasummation(summand, limits.pop(0))
        return sympy.Sum(summand, *limits) if limits else summand

    return expr.replace(lambda e: isinstance(e, sympy.Sum), summed)


def _linear_diff(expr: sympy.Expr, var: sympy.Symbol) -> sympy.Expr:
    """sympy.diff, with the parts free of ``var`` set aside first: d(c + f)/dx = df/dx and
    d(c·f)/dx = c·df/dx. SymPy's own product rule differentiates every factor and rebuilds
    the product once per factor, O(n²) for n factors; this keeps x₁x₂…x₂₀₀ linear."""
    if isinstance(expr, (sympy.Add, sympy.Mul)):
        constant, varying = independent_part(expr, var)
        if constant != expr.func.identity:
            inner = sympy.diff(varying, var)
            return inner if isinstance(expr, sympy.Add) else constant * inner
    return sympy.diff(expr, var)


def evaluated(expr: sympy.Basic) -> sympy.Basic:
    """``expr`` rebuilt with SymPy's evaluation (undoes ``evaluate=False`` nodes); but a max
    or min whose arguments stay as they are is kept: derive builds one unevaluated only from
    some arguments of a max SymPy evaluated (the others of one argument), which evaluating
    again would not change, after pairwise comparisons (seconds for 12 arguments)."""
    if not expr.args or isinstance(expr, (sympy.Derivative, sympy.Subs)):
        return expr
    args = tuple(evaluated(a) for a in expr.args)
    if isinstance(expr, (sympy.Max, sympy.Min)) and args == expr.args:
        return expr
    return expr.func(*args)


QUICK_SECONDS = 0.5  # what rewriting and SymPy's assumptions get, even from a spent slice


def is_zero(expr: sympy.Expr, seconds: float) -> bool | None:
    """True when SymPy shows ``expr`` is 0 within ``seconds`` (its quick first looks within
    QUICK_SECONDS at least); None when it cannot tell."""
    ends = cpu_seconds() + max(seconds, QUICK_SECONDS)
    expr = attempt(lambda: evaluated(elementary_form(expr)), None, ends - cpu_seconds())
    if expr is None:
        return None
    if attempt(lambda: expr == 0 or bool(expr.is_zero), False, ends - cpu_seconds()):
        return True
    return True if attempt(lambda: _shown_zero(expr), False, seconds, early=True) else None


def larger_than(expr: sympy.Basic, nodes: int) -> bool:
    """Whether ``expr`` has more than ``nodes`` nodes, counting only up to there: a bound
    on the work for an expression of any size."""
    for count, _ in enumerate(sympy.preorder_traversal(expr)):
        if count >= nodes:
            return True
    return False


MAX_EXPANDED_DEGREE = 64  # (x + 1)^1000000 is not multiplied out: it would not fit in memory


def too_large_to_simplify(expr: sympy.Basic) -> bool:
    """Whether SymPy's simplify could build a number too large to hold, in C that no time
    limit interrupts: a power of a sum multiplied out ((x + 1)^1000000: gigabytes of
    coefficients), or a tower of powers of a fraction, (3/2)^((3/2)^(x + 100)), whose
    exponents powsimp multiplies into a whole number with billions of digits, or a power of
    a number whose exponent has a large coefficient (3^(10⁹·x): powsimp works 3^(10⁹) out).
    A fractional power counts by its whole part: (x + 3)^(5^100/4^100) is (x + 3)^4909093465
    times a root."""
    powers = expr.atoms(sympy.Pow)
    return any(
        p.exp.is_Rational
        and abs(p.exp) > MAX_EXPANDED_DEGREE
        and p.base.is_Add
        or p.base.is_Rational
        and p.exp.has(*(q for q in powers if q.base.is_Rational))
        or p.base.is_Rational
        and any(astronomical_power(p.base, t.as_coeff_Mul()[0]) for t in sympy.Add.make_args(p.exp))
        for p in powers
    )


def _shown_zero(expr: sympy.Expr) -> bool:
    """Whether expansion, simplification or (for switches) the cases form reach 0."""
    if too_large_to_simplify(expr):
        return expr.is_zero is True
    flat = sympy.expand(expr, power_base=False, power_exp=False, multinomial=False, log=False)
    if flat == 0 or _each_switch_term_vanishes(flat) or sympy.simplify(expr) == 0:
        return True
    if expr.has(*heads_with(lambda entry: entry.kinks is not None)):
        return sympy.simplify(sympy.piecewise_fold(expr.rewrite(sympy.Piecewise))) == 0
    return False


def _each_switch_term_vanishes(flat: sympy.Expr) -> bool:
    """Whether the coefficient of each product of switches (H, sign) in ``flat``, a sum,
    simplifies to 0: then ``flat`` is 0. Each coefficient is small where the whole is not
    (a chain's result against SymPy's derivative of the whole loss: u·σ(z)(1 − σ(z))·H(m)
    against u·e^(−z)/(1 + e^(−z))²·H(m), 0.07 s this way, more than 3 s whole). Only
    sufficient: H(u) + H(−u) − 1 is 0 with coefficients 1, 1 and −1."""
    switches = sorted(flat.atoms(sympy.Heaviside, sympy.sign), key=sympy.default_sort_key)
    if not switches:
        return False
    coefficients = sympy.collect(flat, switches, evaluate=False)
    return all(sympy.simplify(c) == 0 for c in coefficients.values())


def unknown_values(exprs: Sequence[sympy.Basic]) -> dict[sympy.Basic, sympy.Symbol]:
    """Each derivative or value of an undefined function in ``exprs``, as a fresh symbol."""
    atoms: set[sympy.Basic] = set()
    for expr in exprs:
        atoms |= expr.atoms(sympy.Derivative, sympy.Subs)
    outer = {a: sympy.Dummy("d", real=True) for a in atoms}
    rest = [e.xreplace(outer) for e in exprs]
    functions: set[sympy.Basic] = set()
    for expr in rest:
        functions |= expr.atoms(AppliedUndef)
    outer.update({f: sympy.Dummy("f", real=True) for f in functions})
    return outer


def random_point(
    symbols, rng: random.Random, scale: float = 1.0
) -> dict[sympy.Symbol, sympy.Float]:
    """Values in ±[0.2, 2]·scale for each symbol: off the usual kinks at 0, seeded."""
    return {
        s: sympy.Float(rng.choice((-1, 1)) * rng.uniform(0.2, 2.0) * scale, 30) for s in symbols
    }


SCALES = (1.0, 5.0, 25.0)  # a region such as x ≥ π has no points in ±[0.2, 2]


def numerically_equal(
    a: sympy.Expr,
    b: sympy.Expr,
    points: int = 8,
    seed: int = SEED,
    where=sympy.true,
    domain: sympy.Expr | None = None,
) -> bool | None:
    """Whether ``a`` and ``b`` agree at seeded random points (where the condition ``where``
    holds, looking further out when it holds nowhere near 0; and where every part of
    ``domain`` is real, since a derivative says nothing where its function is not): True if at
    3 or more points and never disagreeing; False on a disagreement; None when no point could
    be compared. Sums over an index are compared written out at small sizes (``explicit``)."""
    if has_arrays(a, b, where, domain):
        verdicts = []
        for size in SIZES:
            exprs = [a, b, where, domain or sympy.S.Zero]  # writing out may be long: watched
            a_, b_, where_, domain_ = watched(
                lambda exprs=exprs, size=size: written_out(exprs, size)
            )
            verdicts.append(numerically_equal(a_, b_, points, seed, where_, domain_))
        return False if False in verdicts else (None if None in verdicts else True)
    unknowns = unknown_values([a, b, where] + ([domain] if domain is not None else []))
    a, b, where = a.xreplace(unknowns), b.xreplace(unknowns), where.xreplace(unknowns)
    parts = possibly_complex_parts(domain.xreplace(unknowns)) if domain is not None else []
    symbols = a.free_symbols | b.free_symbols | where.free_symbols
    symbols = sorted(symbols.union(*(part.free_symbols for part in parts)), key=str)
    rng = random.Random(seed)
    agreeing = 0
    scales = SCALES if where is not sympy.true else SCALES[:1]
    for scale in scales:
        for _ in range(points * (3 if where is sympy.true else 4)):
            point = random_point(symbols, rng, scale)
            if not _holds(where, point):
                continue
            if any(value_at(part, point) is None for part in parts):
                continue
            x, y = value_at(a, point), value_at(b, point)
            if x is None or y is None:
                continue
            if abs(x - y) > 1e-9 * (1 + abs(y)):
                verdict = _closer_look(a, b, point)
                if verdict is False:
                    return False
                if verdict is None:
                    continue
            agreeing += 1
            if agreeing >= points:
                return True
    return True if agreeing >= 3 else None


def _closer_look(a: sympy.Expr, b: sympy.Expr, point) -> bool | None:
    """Whether a and b, which seemed to differ at ``point``, differ when evaluated with 60
    and then 120 digits: True if they agree there, False if they differ by about the same at
    both precisions, None if the difference moves with the precision (x^(e¹⁰⁰ − 1) against
    x^(e¹⁰⁰)/x at 30 digits: the exponent's last digit is worth 10¹³ in the power)."""
    gaps = []
    for digits in (60, 120):
        x, y = value_at(a, point, digits), value_at(b, point, digits)
        if x is None or y is None:
            return None
        gap = abs(x - y) / (1 + abs(y))
        if gap <= 1e-9:
            return True
        gaps.append(gap)
    return False if abs(gaps[0] - gaps[1]) <= 0.5 * gaps[1] else None


def possibly_complex_parts(expr: sympy.Expr) -> list[sympy.Expr]:
    """The parts of ``expr`` that may not be real at a real point: roots, logs, inverse
    trigonometric functions (the real expression |√x| has a complex part √x where x < 0)."""
    return [
        part
        for part in sympy.preorder_traversal(expr)
        if (isinstance(part, sympy.Pow) and not part.exp.is_integer)
        or (isinstance(part, sympy.Function) and not isinstance(part, AppliedUndef))
    ]


def real_somewhere(expr: sympy.Expr, tries: int = 24, seed: int = SEED) -> bool:
    """Whether ``expr`` has a finite real value at one of some seeded random points."""
    if has_arrays(expr):
        (expr,) = written_out([expr], SIZES[-1])
    unknowns = unknown_values([expr])
    expr = expr.xreplace(unknowns)
    symbols = sorted(expr.free_symbols, key=str)
    rng = random.Random(seed)
    for scale in SCALES[:2]:
        for _ in range(tries // 2):
            if value_at(expr, random_point(symbols, rng, scale)) is not None:
                return True
    return False


def _holds(where: sympy.Basic, point: dict) -> bool:
    """Whether the condition ``where`` is true at ``point`` (False where it cannot tell:
    a comparison of numbers that are not real, say)."""
    if where is sympy.true:
        return True
    return attempt(lambda: substituted(where, point) == sympy.true, False)


def value_at(expr: sympy.Expr, point, digits: int = 30) -> sympy.Expr | None:
    """``expr`` at ``point`` as a real SymPy number (arbitrary exponent range: no overflow);
    None outside its real domain (log of a negative number) or where it is not finite."""
    value = attempt(lambda: substituted(elementary_form(expr), point, digits), None)
    value = None if value is None else attempt(lambda: sympy.N(value, digits), None)
    if value is None or not value.is_number or value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return None
    real, imaginary = attempt(value.as_real_imag, (None, None))
    if real is None or astronomical(real):
        return None
    # re(…) and im(…) SymPy could not work out (a log of a complex value) compare to nothing
    is_real = attempt(lambda: bool(abs(imaginary) <= 1e-20 + 1e-12 * abs(real)), False)
    return real if is_real else None
