"""Pictures: a loss and its derivative with the kinks marked, and a gradient-descent path.

Matplotlib is imported here only, with the Agg backend, so that drawing needs no screen and
no other command pays for the import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy
from sympy.core.function import AppliedUndef

from derive import printing
from derive.api import derivation_of, parse_loss
from derive.errors import DeriveError, refuse_sums
from derive.guard import guarded
from derive.proof.equality import evaluated
from derive.proof.equations import solutions
from derive.read import parse_name

SIZE, DPI = (8, 5), 100  # 800 × 500 pixels
LOSS_COLOUR, SLOPE_COLOUR, KINK_COLOUR = "#1f4e79", "#b03a2e", "#7d3c98"


@dataclass(frozen=True)
class KinkMark:
    """Where a kink is on the x axis, and what the derivative does there."""

    x: float
    left: float
    right: float
    convention: float
    subgradient: tuple[float, float] | None


@dataclass(frozen=True)
class Picture:
    """A drawn PNG: its path, and the kinks marked on it."""

    path: str
    kinks: tuple[KinkMark, ...]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _resolve(loss, values: dict[str, float], what: str) -> dict[str, float]:
    resolved = {}
    for name, value in values.items():
        if not math.isfinite(value):
            raise DeriveError(f"{what} {name}={value}: the value must be a finite number")
        resolved[parse_name(name, loss).name] = float(value)
    return resolved


@guarded
def plot(
    latex: str,
    wrt: str,
    path: str,
    fixed: dict[str, float] | None = None,
    interval: tuple[float, float] | None = None,
    functions=(),
    log_base: str = "e",
    where=(),
) -> Picture:
    """Draw the loss and its derivative by ``wrt`` over ``interval``, the other symbols
    ``fixed``; at each kink the derivative's two one-sided values, the subgradient interval
    and the value by convention. Writes a PNG to ``path``. ``where``: definitions the loss
    uses."""
    loss = parse_loss(
        latex, tuple(functions), log_base, (where,) if isinstance(where, str) else where
    )
    refuse_sums(loss.expr, "derive plot")
    if loss.expr.atoms(AppliedUndef, sympy.Derivative):
        raise DeriveError("plot needs a loss it can evaluate: write out the unknown functions")
    var = parse_name(wrt, loss)
    fixed = _resolve(loss, fixed or {}, "--set")
    missing = sorted(s.name for s in loss.expr.free_symbols if s != var and s.name not in fixed)
    if missing:
        names = ", ".join(loss.spellings.get(n, n) for n in missing)
        raise DeriveError(f"give a value to every other symbol with --set: {names}")
    if interval is not None and not interval[0] < interval[1]:
        raise DeriveError(f"--range {interval[0]:g},{interval[1]:g}: LO must be below HI")
    derivation = derivation_of(loss, [var.name], None, {"log_base": log_base})
    module = derivation.compile()

    def at(x, function):
        with np.errstate(all="ignore"):
            return np.broadcast_to(function(**{var.name: x, **fixed}), np.shape(x)).astype(float)

    kinks = _kink_positions(derivation.partials[0], var, fixed)
    low, high = interval or _default_interval([k for k, _ in kinks])
    marks = tuple(
        _mark(x, kink, var, fixed, lambda x: at(x, module.gradient))
        for x, kink in kinks
        if low <= x <= high
    )
    grid = np.linspace(low, high, 2001)
    slope = at(grid, module.gradient)
    for mark in marks:  # the derivative's line breaks at each kink
        slope[np.abs(grid - mark.x) < (high - low) / 1000] = np.nan
    _draw(derivation, var, fixed, grid, at(grid, module.loss), slope, marks, path)
    return Picture(path, marks)


def _default_interval(kinks: list[float]) -> tuple[float, float]:
    if not kinks:
        return -3.0, 3.0
    return min(-3.0, min(kinks) - 2), max(3.0, max(kinks) + 2)


def _kink_positions(partial, var, fixed) -> list[tuple[float, object]]:
    """The x of each kink of ``partial`` where the other symbols have their fixed values."""
    values = {s: sympy.nsimplify(fixed[s.name]) for s in partial.formula.free_symbols
              if s.name in fixed}  # fmt: skip
    found = []
    for kink in partial.kinks:
        for equation in kink.condition.atoms(sympy.Eq):
            gap = evaluated((equation.lhs - equation.rhs).xreplace(values))
            if gap.free_symbols != {var}:
                continue
            for symbol, value in solutions(gap, var):
                if symbol == var and value.is_real:
                    region = evaluated(kink.condition.xreplace({**values, var: value}))
                    if region != sympy.false:
                        found.append((float(value), kink))
    return sorted(found, key=lambda item: item[0])


def _mark(x: float, kink, var, fixed, gradient) -> KinkMark:
    step = 1e-7 * max(1.0, abs(x))
    left, right = (float(v) for v in gradient(np.array([x - step, x + step])))
    convention = float(gradient(np.array([x]))[0])
    ends = None
    if kink.subgradient is not None and kink.kind == "kink":
        point = {**fixed, var.name: x}
        symbols = {s for e in kink.subgradient for s in e.free_symbols if s.name in point}
        values = {s: sympy.nsimplify(point[s.name]) for s in symbols}
        numbers = [evaluated(e.xreplace(values)) for e in kink.subgradient]
        if all(n.is_number and n.is_real for n in numbers):
            ends = (float(min(numbers)), float(max(numbers)))
    return KinkMark(x, left, right, convention, ends)


def _draw(derivation, var, fixed, grid, loss, slope, marks, path) -> None:
    plt = _pyplot()
    spell = derivation.spellings
    name = printing.text(var, spell)
    figure, (top, bottom) = plt.subplots(2, 1, figsize=SIZE, dpi=DPI, sharex=True)
    top.plot(grid, loss, color=LOSS_COLOUR, linewidth=2)
    top.set_ylabel("loss")
    title = printing.text(derivation.expr, spell)
    if fixed:
        title += "   (" + ", ".join(f"{printing.latex_to_text(spell.get(n, n))} = {v:g}"
                                    for n, v in fixed.items()) + ")"  # fmt: skip
    top.set_title(title)
    bottom.plot(grid, slope, color=SLOPE_COLOUR, linewidth=2)
    bottom.set_ylabel(f"∂/∂{name}" if len(derivation.expr.free_symbols) > 1 else f"d/d{name}")
    bottom.set_xlabel(name)
    for mark in marks:
        for axes in (top, bottom):
            axes.axvline(mark.x, color=KINK_COLOUR, linestyle=":", linewidth=1)
        if mark.subgradient is not None:
            bottom.vlines(mark.x, *mark.subgradient, color=KINK_COLOUR, linewidth=5, alpha=0.35,
                          label="subgradients at the kink")  # fmt: skip
        bottom.plot([mark.x, mark.x], [mark.left, mark.right], "o", mfc="white",
                    mec=SLOPE_COLOUR, label="one-sided derivatives")  # fmt: skip
        bottom.plot([mark.x], [mark.convention], "o", color=SLOPE_COLOUR,
                    label="value by convention")  # fmt: skip
    if marks:
        handles, labels = bottom.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        bottom.legend(unique.values(), unique.keys(), loc="best", fontsize="small")
    for axes in (top, bottom):
        axes.grid(alpha=0.3)
    figure.tight_layout()
    _save(figure, path, plt)


def _save(figure, path: str, plt) -> None:
    """Write the picture; a path that cannot be written is bad input, said so."""
    try:
        figure.savefig(path)
    except OSError as error:
        raise DeriveError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        plt.close(figure)


def descent_picture(run, path: str) -> str:
    """One variable: the loss curve with the iterates on it. Two: contour lines with the
    path. A vector or more than two variables: the loss at each step. Writes a PNG to
    ``path``."""
    names = run.variables
    if len(names) > 2 or any(isinstance(run.final.point[n], list) for n in names):
        return _learning_curve(run, path)
    points = np.array([[it.point[n] for n in names] for it in run.iterates])
    finite = points[np.all(np.isfinite(points), axis=1)]
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=SIZE, dpi=DPI)
    spell = run.derivation.spellings
    data = any(isinstance(v, np.ndarray) for v in run.fixed.values())
    module = run.module or run.derivation.compile()

    def loss(**values):
        if data:  # the data's own axes: one point at a time
            return np.vectorize(lambda *at: run.loss_at(dict(zip(values, at, strict=True))))(
                *values.values()
            )
        with np.errstate(all="ignore"):
            return np.asarray(module.loss(**values, **run.fixed), dtype=float)

    low, high = finite.min(axis=0), finite.max(axis=0)
    margin = np.maximum((high - low) * 0.25, 0.5)
    if len(names) == 1:
        grid = np.linspace(low[0] - margin[0], high[0] + margin[0], 600)
        axes.plot(grid, loss(**{names[0]: grid}), color=LOSS_COLOUR, linewidth=2)
        values = loss(**{names[0]: finite[:, 0]})
        axes.plot(finite[:, 0], values, "-o", color=SLOPE_COLOUR, markersize=4, linewidth=1)
        axes.set_xlabel(printing.latex_to_text(spell.get(names[0], names[0])))
        axes.set_ylabel("loss")
    else:
        resolution = 100 if data else 300
        xs = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
        ys = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
        grid_x, grid_y = np.meshgrid(xs, ys)
        surface = loss(**{names[0]: grid_x, names[1]: grid_y})
        contours = axes.contour(grid_x, grid_y, surface, levels=20, cmap="viridis")
        axes.clabel(contours, fontsize="x-small")
        axes.plot(finite[:, 0], finite[:, 1], "-o", color=SLOPE_COLOUR, markersize=4, linewidth=1)
        axes.set_xlabel(printing.latex_to_text(spell.get(names[0], names[0])))
        axes.set_ylabel(printing.latex_to_text(spell.get(names[1], names[1])))
    start = finite[0] if len(names) == 2 else (finite[0, 0], loss(**{names[0]: finite[0, 0]}))
    axes.plot(*start, "s", color="black", label="start")
    axes.set_title(f"{printing.text(run.derivation.expr, spell)}: {run.verdict}, "
                   f"η = {run.learning_rate:g}, {len(run.iterates) - 1} steps")  # fmt: skip
    axes.legend(loc="best", fontsize="small")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    _save(figure, path, plt)
    return path


def _learning_curve(run, path: str) -> str:
    """The loss at each step of a descent (on a logarithmic axis when it stays positive)."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=SIZE, dpi=DPI)
    steps = [it.step for it in run.iterates]
    losses = np.array([it.loss for it in run.iterates])
    axes.plot(steps, losses, "-o", color=SLOPE_COLOUR, markersize=3, linewidth=1)
    if np.all(np.isfinite(losses)) and np.all(losses > 0):
        axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel("loss")
    axes.set_title(f"{printing.text(run.derivation.expr, run.derivation.spellings)}: "
                   f"{run.verdict}, η = {run.learning_rate:g}")  # fmt: skip
    axes.grid(alpha=0.3)
    figure.tight_layout()
    _save(figure, path, plt)
    return path
