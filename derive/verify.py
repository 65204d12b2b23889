"""Prove each step with SymPy, or check it numerically.

A step d(expr)/d(var) = result is

* ``proved`` when SymPy shows result − d(expr)/d(var) = 0, where d/d(var) is SymPy's own
  derivative of ``expr`` with sigmoid, softplus and ReLU rewritten in SymPy's functions (so the
  proof does not lean on derive's rules);
* ``checked`` when SymPy cannot decide in the time allowed but the two sides agree at seeded
  random points;
* ``failed`` when they disagree (a bug, printed as such) or cannot be compared at all.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Sequence

import sympy
from sympy.core.function import AppliedUndef

from derive.deadline import attempt
from derive.functions import to_elementary
from derive.steps import CHECKED, FAILED, PROVED, Step

STEP_SECONDS = 1.0
TOTAL_SECONDS = 6.0
SEED = 20261121


class Budget:
    """Seconds of symbolic proving left for one derivation; numeric checks need none."""

    def __init__(self, seconds: float = TOTAL_SECONDS):
        self.ends = time.monotonic() + seconds

    def next_slice(self) -> float:
        return max(0.0, min(STEP_SECONDS, self.ends - time.monotonic()))


def reference_derivative(expr: sympy.Expr, var: sympy.Symbol) -> sympy.Expr:
    """SymPy's derivative of ``expr``, computed without derive's rules for ML functions.

    SymPy differentiates the jumps of sign and Heaviside into Dirac deltas; derive's
    derivatives are the classical ones, defined off the jumps, so the deltas are dropped."""
    derivative = sympy.diff(to_elementary(expr), var)
    deltas = derivative.atoms(sympy.DiracDelta)
    return derivative.xreplace({d: sympy.S.Zero for d in deltas}) if deltas else derivative


def evaluated(expr: sympy.Basic) -> sympy.Basic:
    """``expr`` rebuilt with SymPy's evaluation (undoes ``evaluate=False`` nodes)."""
    if not expr.args or isinstance(expr, (sympy.Derivative, sympy.Subs)):
        return expr
    return expr.func(*(evaluated(a) for a in expr.args))


def is_zero(expr: sympy.Expr, seconds: float) -> bool | None:
    """True when SymPy shows ``expr`` is 0 within ``seconds``; None when it cannot tell."""
    expr = attempt(lambda: evaluated(to_elementary(expr)), None)
    if expr is None:
        return None
    if attempt(lambda: expr == 0 or bool(expr.is_zero), False):
        return True
    if seconds <= 0:
        return None
    return True if attempt(lambda: _shown_zero(expr), False, seconds) else None


def _shown_zero(expr: sympy.Expr) -> bool:
    """Whether expansion, simplification or (for switches) the cases form reach 0."""
    flat = sympy.expand(expr, power_base=False, power_exp=False, multinomial=False, log=False)
    if flat == 0 or sympy.simplify(expr) == 0:
        return True
    if expr.has(sympy.Heaviside, sympy.sign, sympy.Piecewise, sympy.Max, sympy.Min):
        return sympy.simplify(sympy.piecewise_fold(expr.rewrite(sympy.Piecewise))) == 0
    return False


def _unknowns(exprs: Sequence[sympy.Basic]) -> dict[sympy.Basic, sympy.Symbol]:
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


def random_point(symbols, rng: random.Random) -> dict[sympy.Symbol, sympy.Float]:
    """Values in ±[0.2, 2] for each symbol: off the usual kinks at 0, seeded."""
    return {s: sympy.Float(rng.choice((-1, 1)) * rng.uniform(0.2, 2.0), 30) for s in symbols}


def numerically_equal(
    a: sympy.Expr, b: sympy.Expr, points: int = 8, seed: int = SEED
) -> bool | None:
    """Whether ``a`` and ``b`` agree at seeded random points: True if at 3 or more points and
    never disagreeing; False on a disagreement; None when no point could be compared."""
    unknowns = _unknowns([a, b])
    a, b = a.xreplace(unknowns), b.xreplace(unknowns)
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    rng = random.Random(seed)
    agreeing = 0
    for _ in range(points * 3):
        point = random_point(symbols, rng)
        x, y = _value(a, point), _value(b, point)
        if x is None or y is None:
            continue
        if abs(x - y) > 1e-9 * (1 + abs(y)):
            return False
        agreeing += 1
        if agreeing >= points:
            break
    return True if agreeing >= 3 else None


def _value(expr: sympy.Expr, point) -> sympy.Expr | None:
    """``expr`` at ``point`` as a SymPy number (arbitrary exponent range: no overflow)."""
    value = attempt(lambda: sympy.N(to_elementary(expr.xreplace(point)), 30), None)
    if value is None or not value.is_number or value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return None
    return value


def status(claimed: sympy.Expr, reference: sympy.Expr, budget: Budget) -> str:
    """proved, checked or failed: ``claimed`` against ``reference``."""
    if is_zero(claimed - reference, budget.next_slice()):
        return PROVED
    if numerically_equal(claimed, reference):
        return CHECKED
    return FAILED


def verify_steps(step: Step, budget: Budget | None = None) -> Step:
    """The same step tree with every step's ``verified`` filled in."""
    budget = budget or Budget()
    substeps = tuple(verify_steps(s, budget) for s in step.substeps)
    verdict = status(step.result, reference_derivative(step.expr, step.var), budget)
    return dataclasses.replace(step, substeps=substeps, verified=verdict)


# -- the gradient checker: generated code against central differences --------------------------

STAND_INS = (sympy.sin, sympy.cos, sympy.exp, sympy.atan)


@dataclasses.dataclass(frozen=True)
class GradientCheck:
    """Generated gradient against central differences: the largest relative error, where."""

    ok: bool
    max_error: float
    worst: dict
    points: int
    message: str
    decided: bool = True  # False when too few points could be checked to say either way


STEP = 0.02  # the first, largest step of Ridders' method, relative to max(1, |x|)


def ridders(f, x, h, levels: int = 10, shrink: float = 1.4):
    """f'(x) by Ridders' method, elementwise: central differences at steps h, h/1.4, …,
    extrapolated in a Richardson tableau; each point keeps the estimate whose error estimate
    is smallest, and stops when going on makes it worse. Returns (derivative, error estimate)."""
    import numpy as np

    def central(step):
        return (f(x + step) - f(x - step)) / (2 * step)

    previous = [central(h)]
    best = previous[0]
    error = np.full(np.shape(best), np.inf)
    done = np.zeros(np.shape(best), dtype=bool)
    step = h
    for _ in range(1, levels):
        step = step / shrink
        row = [central(step)]
        factor = shrink**2
        for j in range(1, len(previous) + 1):
            row.append((row[j - 1] * factor - previous[j - 1]) / (factor - 1))
            factor *= shrink**2
            estimate = np.maximum(np.abs(row[j] - row[j - 1]), np.abs(row[j] - previous[j - 1]))
            better = ~done & (estimate <= error)
            error = np.where(better, estimate, error)
            best = np.where(better, row[j], best)
        done |= np.abs(row[-1] - previous[-1]) >= 2 * error
        previous = row
    return best, error


def _shifted(loss, values: dict, name: str, value):
    import numpy as np

    return np.asarray(loss(**dict(values, **{name: value})), dtype=float)


def check_gradient(
    loss,
    gradient,
    points: dict,
    wrt: Sequence[str],
    rtol: float = 1e-6,
    switches: Sequence = (),
    atol: float = 1e-10,
) -> GradientCheck:
    """Compare ``gradient(**points)`` with central differences of ``loss`` (Ridders' method:
    steps shrinking from 2% of max(1, |x|), extrapolated), elementwise.

    ``loss`` and ``gradient`` take the variables as keyword arguments (NumPy arrays that
    broadcast); ``gradient`` returns one array per name in ``wrt`` (or the array itself for
    one name). The error at a point is |analytic − numeric| / max(|numeric|, |analytic|,
    atol/rtol): relative, and absolute where the derivative is nearly 0. Left out are points
    where anything is not finite, where Ridders' own error estimate is above a tenth of the
    tolerance (differences cannot judge there), and where the stencil crosses a kink:
    ``switches`` are functions of the variables that change sign where the loss switches.
    """
    import numpy as np

    values = {k: np.asarray(v, dtype=float) for k, v in points.items()}
    analytic = gradient(**values)
    analytic = (analytic,) if len(wrt) == 1 else tuple(analytic)
    base = np.asarray(loss(**values), dtype=float)
    keep = np.isfinite(base)
    errors = []
    for name, slope in zip(wrt, analytic, strict=True):
        x = values[name]
        h = STEP * np.maximum(1.0, np.abs(x))
        for switch in switches:  # a stencil across a kink measures nothing
            low = switch(**dict(values, **{name: x - h}))
            high = switch(**dict(values, **{name: x + h}))
            keep &= np.sign(low) == np.sign(high)
        numeric, uncertainty = ridders(lambda at, n=name: _shifted(loss, values, n, at), x, h)
        slope = np.broadcast_to(np.asarray(slope, dtype=float), numeric.shape)
        scale = np.maximum(np.maximum(np.abs(numeric), np.abs(slope)), atol / rtol)
        keep &= np.isfinite(numeric) & np.isfinite(slope)
        keep &= uncertainty <= rtol * scale / 10  # where differences cannot judge, they do not
        errors.append(np.abs(slope - numeric) / scale)
    error = np.max(errors, axis=0) if errors else np.zeros_like(base)
    error = np.where(keep, error, 0.0)
    used = int(np.count_nonzero(keep))
    if used < max(1, np.size(keep) // 2):
        message = f"only {used} of {np.size(keep)} points could be checked by central differences"
        return GradientCheck(False, float("nan"), {}, used, message, decided=False)
    k = int(np.argmax(error))
    worst = {n: float(np.broadcast_to(v, error.shape).flat[k]) for n, v in values.items()}
    largest = float(error.flat[k])
    where = ", ".join(f"{n} = {v:.6g}" for n, v in worst.items())
    ok = largest <= rtol
    verdict = "agrees with" if ok else "DISAGREES with"
    message = (
        f"the gradient {verdict} central differences at {used} points: largest relative "
        f"error {largest:.2e} (tolerance {rtol:.0e}), at {where}"
    )
    return GradientCheck(ok, largest, worst, used, message)
