"""Gradient descent with the derived gradient, and why it steps against the gradient.

Before iterating, the argument is derived for the loss at hand: along the direction −∇f the
loss changes at the rate ∇f·(−∇f) = −‖∇f‖², negative wherever ∇f ≠ 0, so a small enough
step against the gradient lowers the loss. Then x ← x − η ∇f(x) runs until the gradient is
smaller than the tolerance (converged), the loss grows (diverged), or the steps run out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy
from sympy.core.function import AppliedUndef

from derive import printing
from derive.api import Derivation, derivation_of, parse_loss
from derive.codegen.parameters import atom_of
from derive.errors import DeriveError
from derive.guard import guarded
from derive.proof.explicit import array_shapes
from derive.read import parse_name
from derive.values import as_value, filled, lengths_of

CONVERGED, DIVERGED, STALLED = "converged", "diverged", "stalled"


@dataclass(frozen=True)
class Iterate:
    """One point of the descent: its step number, coordinates, loss and gradient norm."""

    step: int
    point: dict[str, float | list]  # a vector or matrix as a (nested) list
    loss: float
    gradient_norm: float


@dataclass(frozen=True)
class Descent:
    """A run of gradient descent and its verdict."""

    derivation: Derivation
    rate: sympy.Expr  # the directional derivative along −∇f, for this loss
    iterates: tuple[Iterate, ...]
    verdict: str
    message: str
    learning_rate: float
    fixed: dict[str, float] = field(default_factory=dict)
    module: object = None  # the generated module that computed the iterates
    parameters: dict = field(default_factory=dict)  # each name → the module's parameter

    def loss_at(self, values: dict) -> float:
        """The loss at ``values`` (name → number or array), the fixed values put in."""
        module = self.module or self.derivation.compile()
        named = {**self.fixed, **values}
        arguments = {self.parameters.get(n, n): v for n, v in named.items()}
        with np.errstate(all="ignore"):
            return float(np.asarray(module.loss(**arguments)))

    @property
    def variables(self) -> list[str]:
        return list(self.iterates[0].point)

    @property
    def final(self) -> Iterate:
        return self.iterates[-1]

    def text(self, rows: int = 16) -> str:
        from derive.emit import descent

        return descent.text(self, rows)

    def to_json(self) -> str:
        from derive.emit import descent

        return descent.json(self)

    def plot(self, path: str) -> str:
        """Draw the run: the loss curve with the iterates (one variable) or contours with
        the path (two); returns ``path``."""
        from derive import pictures

        return pictures.descent_picture(self, path).path

    def __str__(self) -> str:
        return self.text()


def descent_rate(derivation: Derivation, fixed: dict) -> sympy.Expr:
    """∇f·(−∇f) = −Σ (∂f/∂v)² (over every element of a vector or matrix), with the fixed
    numbers' values put in."""
    symbols = derivation.expr.free_symbols
    values = {
        s: sympy.nsimplify(fixed[s.name]) for s in symbols if isinstance(fixed.get(s.name), float)
    }
    shapes = array_shapes(derivation.expr)
    rate = -sympy.Add(*(_squared(p, shapes) for p in derivation.partials))
    return sympy.factor_terms(rate.xreplace(values))


def _squared(partial, shapes: dict) -> sympy.Expr:
    """(∂f/∂v)², summed over the elements when v is an element wₖ of an array."""
    var = partial.var
    if not isinstance(var, sympy.Indexed) or var.base.label not in shapes:
        return partial.formula**2
    bounds = shapes[var.base.label]
    return sympy.Sum(
        partial.formula**2, *((k, 1, n) for k, n in zip(var.indices, bounds, strict=True))
    )


def _values(loss, given: dict, what: str) -> dict[str, float | np.ndarray]:
    """``{name: value}`` with each name resolved against the loss (an array by its name:
    x for the xᵢ of a sum, w for a vector) and each value a number or an array."""
    resolved = {}
    for name, value in given.items():
        atom = atom_of(parse_name(name, loss))
        resolved[atom.name] = as_value(value, f"{what} {name}")
    return resolved


@guarded
def descend(
    latex: str,
    start: dict,
    fixed: dict | None = None,
    learning_rate: float = 0.1,
    steps: int = 100,
    tolerance: float = 1e-6,
    functions=(),
    log_base: str = "e",
    progress: Callable[[int, int], None] | None = None,
    where=(),
    shapes: dict | None = None,
) -> Descent:
    """Run gradient descent on the loss ``latex`` from ``start`` (name → value), with the
    other symbols ``fixed`` (name → value); ``where``: definitions the loss uses. A value is
    a number, or for a vector, a matrix or the data of a sum an array (a list, a NumPy array,
    or text as ``derive.values`` reads it: ``"1,2,3"``, ``"@data.csv"``); a number given for
    an array fills it, once the data tell its length."""
    if not start:
        raise DeriveError("descend needs a starting point: --start V=NUM for each variable")
    if learning_rate <= 0 or not math.isfinite(learning_rate):
        raise DeriveError(f"the learning rate must be a positive number, not {learning_rate}")
    if steps < 1:
        raise DeriveError("the number of steps must be at least 1")
    where = (where,) if isinstance(where, str) else tuple(where)
    loss = parse_loss(latex, tuple(functions), log_base, where, shapes)
    if loss.expr.atoms(AppliedUndef, sympy.Derivative):
        raise DeriveError(
            "descend needs a loss it can evaluate: write out the unknown functions "
            "(|w x - t| instead of |m_x(w) - t|)"
        )
    start_values = _values(loss, start, "--start")
    fixed_values = _values(loss, fixed or {}, "--set")
    arrays = {b.label.name for b in loss.expr.atoms(sympy.IndexedBase)}
    given = set(start_values) | set(fixed_values)
    missing = sorted(({s.name for s in loss.symbols} | arrays) - given)
    if missing:
        names = ", ".join(loss.spellings.get(n, n) for n in missing)
        raise DeriveError(f"give a value to every symbol: {names} (with --start or --set)")
    values = _shaped({**fixed_values, **start_values}, loss, arrays)
    options = {"log_base": log_base} | ({"shapes": dict(shapes)} if shapes else {})
    derivation = derivation_of(loss, list(start), None, options)
    module = derivation.compile()
    fixed_values = {n: values[n] for n in fixed_values}
    rate = descent_rate(derivation, fixed_values)
    start_values = {n: values[n] for n in start_values}
    return _run(
        derivation, module, rate, start_values, fixed_values, learning_rate, steps, tolerance,
        progress,
    )  # fmt: skip


def _shaped(values: dict, loss, arrays: set[str]) -> dict:
    """The values with each array's lengths checked against the others' and a number given
    for an array filled; a number's symbol given an array is refused."""

    def spell(name: str) -> str:
        return printing.latex_to_text(loss.spellings.get(name, name))

    shapes = {label.name: shape for label, shape in array_shapes(loss.expr).items()}
    lengths = lengths_of(shapes, values, spell)
    shaped = {}
    for name, value in values.items():
        if name not in arrays:
            if isinstance(value, np.ndarray):
                raise DeriveError(f"{spell(name)} is a number in this loss, not an array")
            shaped[name] = value
        elif name not in shapes:
            raise DeriveError(f"the shape of {spell(name)} cannot be told from the loss")
        elif isinstance(value, np.ndarray):
            shaped[name] = value
        else:
            shaped[name] = filled(shapes[name], value, lengths, spell(name))
    return shaped


def _run(derivation, module, rate, start, fixed, learning_rate, steps, tolerance, progress):
    names = list(start)
    layout = [np.shape(start[n]) for n in names]
    point = np.concatenate([np.ravel(start[n]) for n in names]).astype(float)
    parameter = _parameter_names(derivation, module)

    def unflattened(point) -> dict:
        values, at = {}, 0
        for name, shape in zip(names, layout, strict=True):
            size = int(np.prod(shape))
            piece = point[at : at + size]
            values[name] = piece.reshape(shape) if shape else float(piece[0])
            at += size
        return values

    def evaluate(point):
        arguments = {parameter[n]: v for n, v in {**fixed, **unflattened(point)}.items()}
        with np.errstate(all="ignore"):
            value = float(np.asarray(module.loss(**arguments)))
            gradient = module.gradient(**arguments)
        parts = [gradient] if len(module.WRT) == 1 else list(gradient)
        gradient = np.concatenate([np.ravel(np.asarray(g, dtype=float)) for g in parts])
        if gradient.shape != point.shape:  # pragma: no cover - the module's own contract
            raise DeriveError("the gradient does not have the shape of the variables (a bug)")
        return value, gradient

    def iterate(step, point, value, gradient) -> Iterate:
        shown = {n: v.tolist() if isinstance(v, np.ndarray) else v
                 for n, v in unflattened(point).items()}  # fmt: skip
        return Iterate(step, shown, value, float(np.linalg.norm(gradient)))

    value, gradient = evaluate(point)
    iterates = [iterate(0, point, value, gradient)]
    first = value
    for step in range(1, steps + 1):
        if iterates[-1].gradient_norm <= tolerance:
            break
        point = point - learning_rate * gradient
        value, gradient = evaluate(point)
        iterates.append(iterate(step, point, value, gradient))
        if progress is not None:
            progress(step, steps)
        if not math.isfinite(value) or not np.all(np.isfinite(point)):
            break
        if _growing(iterates) and value > first:
            break
    verdict, message = _verdict(iterates, first, tolerance, learning_rate, steps)
    return Descent(
        derivation, rate, tuple(iterates), verdict, message, learning_rate, fixed, module,
        parameter,
    )  # fmt: skip


def _parameter_names(derivation, module) -> dict[str, str]:
    """Each symbol's or array's name (w, x) → its parameter in the generated module."""
    by_spelling = {latex: name for name, latex in module.SYMBOLS.items()}
    names = {}
    for atom in derivation.expr.free_symbols | {
        b.label for b in derivation.expr.atoms(sympy.IndexedBase)
    }:
        spelling = derivation.spellings.get(atom.name, atom.name)
        names[atom.name] = by_spelling.get(spelling, atom.name)
    return names


def _growing(iterates: list[Iterate], run: int = 5) -> bool:
    """Whether the loss grew at each of the last ``run`` steps."""
    last = [it.loss for it in iterates[-run - 1 :]]
    return len(last) == run + 1 and all(b > a for a, b in zip(last, last[1:], strict=False))


def _where(iterate: Iterate) -> str:
    from derive.emit.descent import shown_number

    return ", ".join(f"{n} = {shown_number(v)}" for n, v in iterate.point.items())


def _verdict(iterates, first, tolerance, learning_rate, steps) -> tuple[str, str]:
    last = iterates[-1]
    if last.gradient_norm <= tolerance:
        return CONVERGED, (
            f"converged after {last.step} steps to {_where(last)}: the gradient norm "
            f"{last.gradient_norm:.3g} is below the tolerance {tolerance:g}; loss {last.loss:.6g}"
        )
    if not math.isfinite(last.loss) or last.loss > first:
        grown = f"{last.loss:.6g}" if math.isfinite(last.loss) else "infinity"
        return DIVERGED, (
            f"diverged: the loss grew from {first:.6g} to {grown} in {last.step} steps; "
            f"the learning rate {learning_rate:g} is too large"
        )
    return STALLED, (
        f"stalled after {steps} steps at {_where(last)}: the loss fell from {first:.6g} to "
        f"{last.loss:.6g} but the gradient norm is still {last.gradient_norm:.3g}; "
        "try more steps or another learning rate (at a kink the gradient never vanishes)"
    )
