"""Rewrite expressions into forms that NumPy evaluates without overflow or lost digits.

Applied to the loss and its partial derivatives before code is generated:

* log(1 + e^z)            → softplus(z)       (``np.logaddexp(0, z)``)
* 1 / (1 + e^z)           → σ(−z)             (never e^z overflowing to inf / inf)
* e^z · σ(−z)             → σ(z)
* log σ(z), log(1 − σ(z)) → −softplus(−z), −softplus(z)
* 1 − σ(z)                → σ(−z)
* log(1 + u), e^u − 1     → log1p(u), expm1(u)
* Σⱼ e^{gⱼ}                → e^{logsumexp(g)}  (``_logsumexp``: shifted by the largest gⱼ,
  so log Σⱼ e^{zⱼ} is logsumexp(z) and e^{zₖ}/Σⱼ e^{zⱼ} is e^{zₖ − logsumexp(z)})
"""

from __future__ import annotations

import sympy
from sympy import Add, Mul, Pow, exp, log
from sympy.codegen.rewriting import expm1_opt, log1p_opt, optimize
from sympy.core.traversal import bottom_up

from derive.deadline import attempt
from rules.neural import SIGMOID_HELPER, sigmoid, softplus
from rules.nonsmooth import Heaviside

# The helpers NumPy code calls, in faster forms with the same values (``FAST_HELPERS``):
# σ(u) = 1/(1 + e^(−u)) is 1/inf = 0 where e^(−u) overflows, with no np.where on a mask.
FAST_SIGMOID_HELPER = '''
def _sigmoid(u):
    """σ(u) = 1 / (1 + e^(−u)). For u < −709, e^(−u) overflows to inf, and σ(u) is
    1/inf = 0, as it should: that overflow is expected, and not reported."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-u))
'''
FAST_HELPERS = {SIGMOID_HELPER: FAST_SIGMOID_HELPER}

# sign(r)·min(|r|, d) (the slope of Huber's loss, ``clipped``) is r clipped to [−d, d] where
# d ≥ 0: two passes over memory, where sign, abs, minimum and a product take five.
CLIPPED_HELPER = '''
def _clipped(r, bound):
    """sign(r)·min(|r|, bound), in r's own array: r clipped to [−bound, bound] when the
    bound is a number ≥ 0; else (a negative bound, NaN or an array of bounds) as written."""
    if np.ndim(bound) == 0 and float(bound) >= 0:
        d = float(bound)
        return np.clip(r, -d, d, out=r)
    return np.asarray(np.sign(r) * np.minimum(np.abs(r), bound))
'''


def _one_plus_exp(expr) -> sympy.Expr | None:
    """z when ``expr`` is 1 + e^z."""
    if isinstance(expr, Add) and len(expr.args) == 2 and sympy.S.One in expr.args:
        other = expr - 1
        if isinstance(other, exp):
            return other.args[0]
    return None


def _one_minus_sigmoid(expr) -> sympy.Expr | None:
    """z when ``expr`` is 1 − σ(z)."""
    if isinstance(expr, Add) and len(expr.args) == 2 and sympy.S.One in expr.args:
        other = -(expr - 1)
        if isinstance(other, sigmoid):
            return other.args[0]
    return None


def _node(expr: sympy.Expr) -> sympy.Expr:
    """One rewrite at the top of ``expr`` (its arguments are already rewritten)."""
    if isinstance(expr, log):
        (arg,) = expr.args
        z = _one_plus_exp(arg)
        if z is not None:
            return softplus(z)
        if isinstance(arg, sigmoid):
            return -softplus(-arg.args[0])
        z = _one_minus_sigmoid(arg)
        if z is not None:
            return -softplus(z)
    if isinstance(expr, Pow) and expr.exp.is_Integer and expr.exp < 0:
        z = _one_plus_exp(expr.base)
        if z is not None:
            return sigmoid(-z) ** (-expr.exp)
    if isinstance(expr, Add):
        z = _one_minus_sigmoid(expr)
        if z is not None:
            return sigmoid(-z)
    if isinstance(expr, Mul):
        return _pair_exp_with_sigmoid(expr)
    return expr


def _pair_exp_with_sigmoid(expr: Mul) -> sympy.Expr:
    """e^z · σ(−z) = σ(z): cancel each e^z against a σ(−z) factor."""
    factors = list(expr.args)
    for i, factor in enumerate(factors):
        if not isinstance(factor, exp):
            continue
        z = factor.args[0]
        for j, other in enumerate(factors):
            base, power = other.as_base_exp()
            if isinstance(base, sigmoid) and base.args[0] == -z and power.is_Integer and power > 0:
                factors[i] = sympy.S.One
                factors[j] = sigmoid(z) * sigmoid(-z) ** (power - 1)
                return Mul(*factors)
    return expr


class logsumexp(sympy.Function):
    """log Σⱼ e^{gⱼ} of its one argument, the sum Σⱼ e^{gⱼ}: one function, so that the code
    shifts every gⱼ by the largest before taking e^{gⱼ} (``LOGSUMEXP_HELPER``)."""

    nargs = 1
    is_real = True


LOGSUMEXP_HELPER = '''
def _logsumexp(a):
    """log Σ e^a along the last axis, shifted by the largest a so that e^a never overflows."""
    top = np.max(a, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    return np.log(np.sum(np.exp(a - top), axis=-1)) + top[..., 0]
'''


def _sums_of_exponentials(expr: sympy.Expr) -> sympy.Expr:
    """Each Σⱼ e^{gⱼ} (one index) as e^{logsumexp}, the exponentials then combined."""

    def is_sum_of_exp(e) -> bool:
        return isinstance(e, sympy.Sum) and len(e.limits) == 1 and isinstance(e.function, exp)

    if not expr.has(sympy.Sum) or not any(is_sum_of_exp(e) for e in expr.atoms(sympy.Sum)):
        return expr
    expr = expr.replace(is_sum_of_exp, lambda e: exp(logsumexp(e)))
    return sympy.powsimp(expr, combine="exp")


OPTIMIZE_SECONDS = 2.0  # SymPy's log1p/expm1 rewrites factor; a large input keeps its form


def stabilised(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` rewritten for stable evaluation with NumPy (equal everywhere it is defined)."""
    expr = bottom_up(expr, _node)
    expr = bottom_up(expr, _node)  # a rewrite can expose another (1 − σ inside a log)
    expr = _sums_of_exponentials(expr)
    rewrites = [rule for rule, head in ((log1p_opt, log), (expm1_opt, exp)) if expr.has(head)]
    if not rewrites:
        return expr
    return attempt(lambda: optimize(expr, rewrites), expr, OPTIMIZE_SECONDS)


# ---------------------------------------------------------------- fast forms, for NumPy
# The same values as the functions they stand for, everywhere (0, ±inf and NaN included),
# in NumPy's fast functions: np.heaviside and np.logaddexp are slow loops.


def heaviside_form(expr: Heaviside) -> sympy.Expr | None:
    """H(u) in sign and max where H(0) is 0, 1/2 or 1 (None for another value): (1 + sign u)/2,
    sign(max(u, 0)) and 1 − sign(max(−u, 0)); NaN stays NaN, as in ``np.heaviside``."""
    u, at_zero = expr.args
    if at_zero == sympy.S.Half:
        return (sympy.sign(u, evaluate=False) + 1) / 2
    if at_zero == 0:
        return sympy.sign(sympy.Max(u, 0), evaluate=False)
    if at_zero == 1:
        return 1 - sympy.sign(sympy.Max(-u, 0), evaluate=False)
    return None


def softplus_form(u: sympy.Expr) -> sympy.Expr:
    """log(1 + e^u) = max(u, 0) + log(1 + e^(−|u|)): what ``np.logaddexp(0, u)`` computes,
    branch for branch; e^(−|u|) never overflows."""
    from sympy.codegen.cfunctions import log1p

    return sympy.Max(u, 0) + log1p(sympy.exp(-sympy.Abs(u)))


def clipped(expr: sympy.Piecewise):
    """(r, d, c) when ``expr`` is c·r where |r| ≤ d and c·d·sign(r) elsewhere (the slope of
    Huber's loss): it is c·sign(r)·min(|r|, d) everywhere (|r|·sign(r) = r; where d < |r|,
    d < 0 included, min(|r|, d) = d; NaN stays NaN). None for any other expression."""
    if len(expr.args) != 2 or expr.args[1].cond != sympy.true:
        return None
    (inside, condition), (outside, _) = expr.args
    if isinstance(condition, (sympy.GreaterThan, sympy.StrictGreaterThan)):
        bound, small = condition.lhs, condition.rhs
    elif isinstance(condition, (sympy.LessThan, sympy.StrictLessThan)):
        small, bound = condition.lhs, condition.rhs
    else:
        return None
    if not isinstance(small, sympy.Abs) or inside == 0:
        return None
    r = small.args[0]
    factor = sympy.cancel(inside / r)
    if factor.has(sympy.Abs, sympy.sign, sympy.Piecewise) or factor.free_symbols & r.free_symbols:
        return None
    if sympy.cancel(outside / (bound * sympy.sign(r)) - factor) != 0:
        return None
    return r, bound, factor
