"""The generated module of a loss over data arrays against central differences.

Each trial draws the sizes (N, n, d: 3 to 6 each), data arrays of those shapes and values for
the scalar parameters, and differentiates the module's loss by each scalar variable, and by
every element of an array variable (wₖ), with Ridders' central differences; the module's
gradient must agree everywhere the differences can judge (a stencil across a kink cannot).
"""

from __future__ import annotations

import functools

from derive.codegen import parameters
from derive.model import Derivation
from derive.proof.explicit import array_shapes
from derive.proof.gradient_check import STEP, GradientCheck, ridders

TRIALS = 20
SIZES = (3, 6)  # each name in a bound (N) drawn from this range, ends included


def drawn_arguments(d: Derivation, module, rng, ranges) -> dict[str, object]:
    """One trial's arguments by parameter name: arrays of random sizes, numbers."""
    shapes = array_shapes(d.expr)
    names = {s for shape in shapes.values() for count in shape for s in count.free_symbols}
    sizes = {s: int(rng.integers(SIZES[0], SIZES[1] + 1)) for s in sorted(names, key=str)}
    values = {}
    for p in parameters(d):
        if p.atom in shapes:
            shape = [max(1, int(count.xreplace(sizes))) for count in shapes[p.atom]]
            values[p.name] = rng.normal(size=shape)
        else:
            low, high = (ranges or {}).get(p.atom.name, (-2.0, 2.0))
            values[p.name] = float(rng.uniform(low, high))
    return {name: values[name] for name in module.PARAMETERS}


DRAWS = 20  # data sets drawn for one trial, to find one where the loss is finite


def _in_domain(d: Derivation, module, rng, ranges) -> dict | None:
    """A draw of the arguments where the loss is finite and real (log p needs p > 0: the
    second half of the draws takes the arrays' absolute values); None when none was."""
    import numpy as np

    for attempt in range(DRAWS):
        values = drawn_arguments(d, module, rng, ranges)
        if attempt >= DRAWS // 2:
            values = {k: np.abs(v) if np.ndim(v) else v for k, v in values.items()}
        with np.errstate(all="ignore"):
            if np.all(np.isfinite(module.loss(**values))):
                return values
    return None


def _loss_with(module, values: dict, name: str, element: tuple, offset):
    import numpy as np

    changed = np.array(values[name], dtype=float)
    changed[element] += offset
    return float(module.loss(**dict(values, **{name: changed})))


def check_array_module(
    d: Derivation, module, seed: int = 0, rtol: float = 1e-6, ranges=None, atol: float = 1e-10
) -> GradientCheck:
    """``module.gradient`` against central differences of ``module.loss`` over ``TRIALS``
    random draws of data and parameters (see the module's docstring)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    checked = left_out = data_sets = 0
    largest, worst = 0.0, {}
    for _ in range(TRIALS):
        values = _in_domain(d, module, rng, ranges)
        if values is None:
            continue
        data_sets += 1
        with np.errstate(all="ignore"):
            analytic = module.gradient(**values)
        analytic = (analytic,) if len(module.WRT) == 1 else tuple(analytic)
        for name, slope in zip(module.WRT, analytic, strict=True):
            slope = np.asarray(slope, dtype=float)
            for element in np.ndindex(np.shape(values[name])):
                h = STEP * max(1.0, abs(float(np.asarray(values[name])[element])))
                shifted = functools.partial(_loss_with, module, values, name, element)
                expected = float(slope[element])
                error = _relative_error(shifted, h, expected, rtol, atol)
                if error is None:
                    left_out += 1
                    continue
                checked += 1
                if error > largest:
                    largest, worst = error, {"variable": name, "element": element}
    if checked < max(1, (checked + left_out) // 2):
        message = f"only {checked} of {checked + left_out} derivatives could be checked"
        if not data_sets:
            message = f"no data set of {TRIALS * DRAWS} drawn gave the loss a finite value"
        return GradientCheck(False, float("nan"), {}, checked, message, decided=False)
    ok = largest <= rtol
    verdict = "agrees with" if ok else "DISAGREES with"
    where = f" (worst: {worst['variable']}{list(worst['element']) or ''})" if worst else ""
    message = (
        f"the gradient {verdict} central differences over {data_sets} random data sets "
        f"({checked} derivatives; {left_out} left out where differences cannot judge): "
        f"largest relative error {largest:.2e} (tolerance {rtol:.0e}){where}"
    )
    return GradientCheck(ok, largest, worst, checked, message)


def _relative_error(shifted, h: float, expected: float, rtol: float, atol: float):
    """|expected − numeric| relative to their size, from the better of two first steps;
    None where neither estimate is sure to a tenth of the tolerance (a kink, say)."""
    import numpy as np

    best = None
    for first_step in (h, h / 8):
        with np.errstate(all="ignore"):
            numeric, uncertainty = ridders(shifted, 0.0, first_step)
        numeric, uncertainty = float(numeric), float(uncertainty)
        scale = max(abs(numeric), abs(expected), atol / rtol)
        if np.isfinite(numeric) and np.isfinite(expected) and uncertainty <= rtol * scale / 10:
            error = abs(expected - numeric) / scale
            best = error if best is None else min(best, error)
    return best
