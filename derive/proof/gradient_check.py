"""The gradient checker shipped with derive: generated code against central differences.

Ridders' method extrapolates central differences to a small error at each point; points where
the differences cannot judge, or where the stencil crosses a kink, are left out and counted.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import sympy

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
    atol/rtol): relative, and absolute where the derivative is nearly 0. Two estimates are
    made, from a first step of 2% and of 0.25% of max(1, |x|); the analytic value agrees when
    it agrees with either (a step too large for a fast-turning function misleads one of them,
    not a wrong gradient both). Left out are points where anything is not finite, where
    neither estimate's own error bound is under a tenth of the tolerance (differences cannot
    judge there), and where the stencil crosses a kink: ``switches`` are functions of the
    variables that change sign where the loss switches.
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
        shifted = functools.partial(_shifted, loss, values, name)
        slope = np.broadcast_to(np.asarray(slope, dtype=float), np.shape(base))
        judged, best = np.zeros(np.shape(base), dtype=bool), np.full(np.shape(base), np.inf)
        for first_step in (h, h / 8):
            numeric, uncertainty = ridders(shifted, x, first_step)
            scale = np.maximum(np.maximum(np.abs(numeric), np.abs(slope)), atol / rtol)
            usable = np.isfinite(numeric) & (uncertainty <= rtol * scale / 10)
            judged |= usable
            best = np.where(usable, np.minimum(best, np.abs(slope - numeric) / scale), best)
        keep &= judged & np.isfinite(slope)  # where differences cannot judge, they do not
        errors.append(np.where(judged, best, 0.0))
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
