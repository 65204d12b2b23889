"""Pictures: a loss and its derivative with the kinks marked, and a gradient-descent path.

Matplotlib is imported only here and in ``derive.mathtext``, when drawing, with the Agg
backend, so that drawing needs no screen and no other command pays for the import. Titles
and axis labels are matplotlib mathtext, made by ``derive.mathtext`` from the loss's LaTeX
(plain text where mathtext cannot read it).
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
from derive.mathtext import either, loss_name, number, title, translate
from derive.proof.equality import evaluated
from derive.proof.equations import solutions
from derive.proof.values import substituted
from derive.read import parse_name

SIZE, DPI = (8, 5), 100  # 800 × 500 pixels
LOSS_COLOUR, SLOPE_COLOUR, KINK_COLOUR = "#1f4e79", "#b03a2e", "#7d3c98"
NOTE_SIZE, MAX_KINK_LINES = 9, 3  # the kinks' notes: points, lines at most


@dataclass(frozen=True)
class KinkMark:
    """Where a kink is on the x axis, and what the derivative does there; ``rule`` is the
    convention that gives its value there (``H(0) = 1/2``)."""

    x: float
    left: float
    right: float
    convention: float
    subgradient: tuple[float, float] | None
    rule: str = ""


@dataclass(frozen=True)
class Picture:
    """A drawn PNG: its path, the kinks marked on it, its title as drawn (mathtext, or plain
    text where mathtext could not read the loss) and the notes under it (a line per kink)."""

    path: str
    kinks: tuple[KinkMark, ...] = ()
    title: str = ""
    notes: tuple[str, ...] = ()


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
    heading, notes = _draw(derivation, var, fixed, grid, at(grid, module.loss), slope, marks, path)
    return Picture(path, marks, heading, notes)


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
            gap = _at(equation.lhs - equation.rhs, values)
            if gap is None or gap.free_symbols != {var}:
                continue
            for symbol, value in solutions(gap, var):
                if symbol == var and value.is_real:
                    region = _at(kink.condition, {**values, var: value})
                    if region is not None and region != sympy.false:
                        found.append((float(value), kink))
    return sorted(found, key=lambda item: item[0])


def _at(expr: sympy.Basic, values: dict) -> sympy.Basic | None:
    """``expr`` at ``values``, exact; None where a part of it would be astronomical (a fixed
    value put into e^(e^x) is not worked out in full)."""
    found = substituted(expr, values, digits=None)
    return None if found is None else evaluated(found)


def _mark(x: float, kink, var, fixed, gradient) -> KinkMark:
    step = 1e-7 * max(1.0, abs(x))
    left, right = (float(v) for v in gradient(np.array([x - step, x + step])))
    convention = float(gradient(np.array([x]))[0])
    ends = None
    if kink.subgradient is not None and kink.kind == "kink":
        point = {**fixed, var.name: x}
        symbols = {s for e in kink.subgradient for s in e.free_symbols if s.name in point}
        values = {s: sympy.nsimplify(point[s.name]) for s in symbols}
        numbers = [_at(e, values) for e in kink.subgradient]
        if all(n is not None and n.is_number and n.is_real for n in numbers):
            ends = (float(min(numbers)), float(max(numbers)))
    return KinkMark(x, left, right, convention, ends, kink.convention_text.partition(":")[0])


def _draw(derivation, var, fixed, grid, loss, slope, marks, path) -> tuple[str, tuple]:
    """Draw the picture of ``plot``; returns its title and the notes on its kinks."""
    plt = _pyplot()
    spell = derivation.spellings
    figure = plt.figure(figsize=SIZE, dpi=DPI, layout="constrained")
    notes = _kink_notes(var, spell, marks)
    note = 30 + 15 * len(notes) if marks else 0  # pixels: the legend's row and the notes
    heights = [(380 - note) / 2] * 2 + ([note] if marks else [])
    rows = figure.add_gridspec(len(heights), 1, height_ratios=heights)
    top = figure.add_subplot(rows[0])
    bottom = figure.add_subplot(rows[1], sharex=top)
    top.tick_params(labelbottom=False)
    top.plot(grid, loss, color=LOSS_COLOUR, linewidth=2)
    name, shown = translate(spell.get(var.name, var.name)), printing.text(var, spell)
    of = translate(loss_name(derivation))
    top.set_ylabel(either(f"${of}$", "loss"))
    d = r"\partial " if len(derivation.expr.free_symbols) > 1 else "d"
    plain = f"∂/∂{shown}" if d != "d" else f"d/d{shown}"
    bottom.set_ylabel(either(f"${d}{of} / {d}{name}$", plain))
    bottom.plot(grid, slope, color=SLOPE_COLOUR, linewidth=2)
    bottom.set_xlabel(either(f"${name}$", shown))
    for mark in marks:
        for axes in (top, bottom):
            axes.axvline(mark.x, color=KINK_COLOUR, linestyle=":", linewidth=1)
        if mark.subgradient is not None:
            bottom.vlines(mark.x, *mark.subgradient, color=KINK_COLOUR, linewidth=5, alpha=0.35,
                          label="subgradient interval")  # fmt: skip
        bottom.plot([mark.x, mark.x], [mark.left, mark.right], "o", mfc="white",
                    mec=SLOPE_COLOUR, label="one-sided derivatives")  # fmt: skip
        bottom.plot([mark.x], [mark.convention], "o", color=SLOPE_COLOUR,
                    label="value by convention")  # fmt: skip
    if marks:
        legend = figure.add_subplot(rows[2])
        legend.axis("off")
        handles, labels = bottom.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        legend.legend(unique.values(), unique.keys(), loc="center", ncols=len(unique),
                      fontsize=NOTE_SIZE, title="\n".join(notes), title_fontsize=NOTE_SIZE,
                      frameon=False)  # fmt: skip
    for axes in (top, bottom):
        axes.grid(alpha=0.3)
    heading = title(figure, derivation, [var.name], fixed)
    _save(figure, path, plt)
    return heading, tuple(notes)


def _kink_notes(var, spell, marks) -> list[str]:
    """A line for each kink: where it is, the one-sided derivatives, the subgradient interval
    and the value by convention (and by which)."""
    lines = []
    for mark in marks[:MAX_KINK_LINES]:
        sides = f"one-sided derivatives {number(mark.left)} and {number(mark.right)}"
        ends = mark.subgradient and "subgradient interval [{}, {}]".format(
            *map(number, mark.subgradient))  # fmt: skip
        value = f"value by convention {number(mark.convention)}" + (
            f" ({mark.rule})" if mark.rule else "")  # fmt: skip
        said = "; ".join(p for p in (sides, ends, value) if p)
        at = f"at ${translate(spell.get(var.name, var.name))} = {number(mark.x, True)}$: {said}"
        lines.append(either(at, f"at {printing.text(var, spell)} = {number(mark.x)}: {said}"))
    if len(marks) > MAX_KINK_LINES:
        lines.append(f"and {len(marks) - MAX_KINK_LINES} more kinks")
    return lines


def _save(figure, path: str, plt) -> None:
    """Write the picture; a path that cannot be written is bad input, said so."""
    try:
        figure.savefig(path)
    except OSError as error:
        raise DeriveError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        plt.close(figure)


def descent_picture(run, path: str) -> Picture:
    """One variable: the loss curve with the iterates on it. Two: contour lines with the
    path. A vector or more than two variables: the loss at each step. Writes a PNG to
    ``path``; the title names the loss, its fixed values and the run's verdict."""
    names = run.variables
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=SIZE, dpi=DPI, layout="constrained")
    loss_label = either(f"${translate(loss_name(run.derivation))}$", "loss")
    if len(names) > 2 or any(isinstance(run.final.point[n], list) for n in names):
        _learning_curve(run, axes, loss_label)
    else:
        _path(run, axes, loss_label)
    axes.grid(alpha=0.3)
    rate, steps = run.learning_rate, f"{run.verdict} after {len(run.iterates) - 1} steps"
    summary = either(rf"{steps}, $\eta = {number(rate, True)}$", f"{steps}, η = {number(rate)}")
    heading = title(figure, run.derivation, names, run.fixed, summary)
    _save(figure, path, plt)
    return Picture(path, (), heading)


def _path(run, axes, loss_label: str) -> None:
    """The loss curve (one variable) or its contour lines (two), with the iterates."""
    names, spell = run.variables, run.derivation.spellings
    points = np.array([[it.point[n] for n in names] for it in run.iterates])
    finite = points[np.all(np.isfinite(points), axis=1)]
    data = any(isinstance(v, np.ndarray) for v in run.fixed.values())
    module = run.module or run.derivation.compile()

    def loss(**values):
        if data:  # the data's own axes: one point at a time
            return np.vectorize(lambda *at: run.loss_at(dict(zip(values, at, strict=True))))(
                *values.values()
            )
        with np.errstate(all="ignore"):
            return np.asarray(module.loss(**values, **run.fixed), dtype=float)

    def label(name: str) -> str:
        spelled = spell.get(name, name)
        return either(f"${translate(spelled)}$", printing.latex_to_text(spelled))

    low, high = finite.min(axis=0), finite.max(axis=0)
    margin = np.maximum((high - low) * 0.25, 0.5)
    if len(names) == 1:
        grid = np.linspace(low[0] - margin[0], high[0] + margin[0], 600)
        axes.plot(grid, loss(**{names[0]: grid}), color=LOSS_COLOUR, linewidth=2)
        values = loss(**{names[0]: finite[:, 0]})
        axes.plot(finite[:, 0], values, "-o", color=SLOPE_COLOUR, markersize=4, linewidth=1)
        axes.set_ylabel(loss_label)
    else:
        resolution = 100 if data else 300
        xs = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
        ys = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
        grid_x, grid_y = np.meshgrid(xs, ys)
        surface = loss(**{names[0]: grid_x, names[1]: grid_y})
        contours = axes.contour(grid_x, grid_y, surface, levels=20, cmap="viridis")
        axes.clabel(contours, fontsize="x-small")
        axes.plot(finite[:, 0], finite[:, 1], "-o", color=SLOPE_COLOUR, markersize=4, linewidth=1)
        axes.set_ylabel(label(names[1]))
    axes.set_xlabel(label(names[0]))
    start = finite[0] if len(names) == 2 else (finite[0, 0], loss(**{names[0]: finite[0, 0]}))
    axes.plot(*start, "s", color="black", label="start")
    axes.legend(loc="best", fontsize="small")


def _learning_curve(run, axes, loss_label: str) -> None:
    """The loss at each step of a descent (on a logarithmic axis when it stays positive)."""
    steps = [it.step for it in run.iterates]
    losses = np.array([it.loss for it in run.iterates])
    axes.plot(steps, losses, "-o", color=SLOPE_COLOUR, markersize=3, linewidth=1)
    if np.all(np.isfinite(losses)) and np.all(losses > 0):
        axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel(loss_label)
