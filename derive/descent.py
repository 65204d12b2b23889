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

from derive.api import Derivation, derivation_of, parse_loss
from derive.errors import DeriveError, refuse_sums
from derive.guard import guarded
from derive.read import parse_name

CONVERGED, DIVERGED, STALLED = "converged", "diverged", "stalled"


@dataclass(frozen=True)
class Iterate:
    """One point of the descent: its step number, coordinates, loss and gradient norm."""

    step: int
    point: dict[str, float]
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

        return pictures.descent_picture(self, path)

    def __str__(self) -> str:
        return self.text()


def descent_rate(derivation: Derivation, fixed: dict) -> sympy.Expr:
    """∇f·(−∇f) = −Σ (∂f/∂v)², with the fixed symbols' values put in."""
    symbols = derivation.expr.free_symbols
    values = {s: sympy.nsimplify(fixed[s.name]) for s in symbols if s.name in fixed}
    rate = -sympy.Add(*(p.formula**2 for p in derivation.partials))
    return sympy.factor_terms(rate.xreplace(values))


def _values(loss, text: dict[str, float], what: str) -> dict[str, float]:
    """``{name: value}`` with each name resolved against the loss's symbols."""
    resolved = {}
    for name, value in text.items():
        symbol = parse_name(name, loss)
        if not math.isfinite(value):
            raise DeriveError(f"{what} {name}={value}: the value must be a finite number")
        resolved[symbol.name] = float(value)
    return resolved


@guarded
def descend(
    latex: str,
    start: dict[str, float],
    fixed: dict[str, float] | None = None,
    learning_rate: float = 0.1,
    steps: int = 100,
    tolerance: float = 1e-6,
    functions=(),
    log_base: str = "e",
    progress: Callable[[int, int], None] | None = None,
    where=(),
) -> Descent:
    """Run gradient descent on the loss ``latex`` from ``start`` (name → value), with the
    other symbols ``fixed`` (name → value); ``where``: definitions the loss uses."""
    if not start:
        raise DeriveError("descend needs a starting point: --start V=NUM for each variable")
    if learning_rate <= 0 or not math.isfinite(learning_rate):
        raise DeriveError(f"the learning rate must be a positive number, not {learning_rate}")
    if steps < 1:
        raise DeriveError("the number of steps must be at least 1")
    loss = parse_loss(
        latex, tuple(functions), log_base, (where,) if isinstance(where, str) else where
    )
    refuse_sums(loss.expr, "derive descend")
    if loss.expr.atoms(AppliedUndef, sympy.Derivative):
        raise DeriveError(
            "descend needs a loss it can evaluate: write out the unknown functions "
            "(|w x - t| instead of |m_x(w) - t|)"
        )
    start = _values(loss, start, "--start")
    fixed = _values(loss, fixed or {}, "--set")
    given = set(start) | set(fixed)
    missing = sorted(s.name for s in loss.expr.free_symbols if s.name not in given)
    if missing:
        names = ", ".join(loss.spellings.get(n, n) for n in missing)
        raise DeriveError(f"give a value to every symbol: {names} (with --start or --set)")
    derivation = derivation_of(loss, list(start), None, {"log_base": log_base})
    module = derivation.compile()
    rate = descent_rate(derivation, fixed)
    return _run(derivation, module, rate, start, fixed, learning_rate, steps, tolerance, progress)


def _run(derivation, module, rate, start, fixed, learning_rate, steps, tolerance, progress):
    names = list(start)
    point = np.array([start[n] for n in names], dtype=float)

    def evaluate(point):
        arguments = {**fixed, **dict(zip(names, point, strict=True))}
        with np.errstate(all="ignore"):
            value = float(module.loss(**arguments))
            gradient = module.gradient(**arguments)
        gradient = np.atleast_1d(np.asarray(gradient, dtype=float)).ravel()
        return value, gradient

    value, gradient = evaluate(point)
    iterates = [Iterate(0, dict(zip(names, point.tolist(), strict=True)), value,
                        float(np.linalg.norm(gradient)))]  # fmt: skip
    first = value
    for step in range(1, steps + 1):
        if iterates[-1].gradient_norm <= tolerance:
            break
        point = point - learning_rate * gradient
        value, gradient = evaluate(point)
        iterates.append(Iterate(step, dict(zip(names, point.tolist(), strict=True)), value,
                                float(np.linalg.norm(gradient))))  # fmt: skip
        if progress is not None:
            progress(step, steps)
        if not math.isfinite(value) or not np.all(np.isfinite(point)):
            break
        if _growing(iterates) and value > first:
            break
    verdict, message = _verdict(iterates, first, tolerance, learning_rate, steps)
    return Descent(
        derivation, rate, tuple(iterates), verdict, message, learning_rate, fixed, module
    )


def _growing(iterates: list[Iterate], run: int = 5) -> bool:
    """Whether the loss grew at each of the last ``run`` steps."""
    last = [it.loss for it in iterates[-run - 1 :]]
    return len(last) == run + 1 and all(b > a for a, b in zip(last, last[1:], strict=False))


def _where(iterate: Iterate) -> str:
    return ", ".join(f"{n} = {v:.6g}" for n, v in iterate.point.items())


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
