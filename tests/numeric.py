"""Numbers from SymPy expressions, for tests: NumPy functions and central differences."""

from __future__ import annotations

import math

import numpy as np
import sympy

from derive import codecheck
from rules.registry import elementary_form as to_elementary


def concrete(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with each unknown function replaced by a concrete one, derivatives done."""
    return codecheck.concrete(expr, codecheck.stand_ins_for([expr]))


def numpy_function(expr: sympy.Expr, symbols):
    """A vectorised NumPy function of ``symbols`` computing ``expr``."""
    elementary = to_elementary(concrete(expr))
    special = {"erf": np.vectorize(math.erf, otypes=[float])}  # NumPy has no erf
    return sympy.lambdify(symbols, elementary, modules=[special, "numpy"])


def central_difference(f, point: dict, name: str, h: float = 1e-6):
    up = dict(point, **{name: point[name] + h})
    down = dict(point, **{name: point[name] - h})
    return (f(**up) - f(**down)) / (2 * h)


def sample(symbols, rng: np.random.Generator, n: int, ranges: dict | None = None) -> dict:
    """``n`` random values for each symbol, uniform on its range (default −3 to 3)."""
    ranges = ranges or {}
    return {s.name: rng.uniform(*ranges.get(s.name, (-3.0, 3.0)), size=n) for s in symbols}


def loss_over_arrays(expr: sympy.Expr, values: dict) -> float:
    """The value of ``expr``, a loss with sums over data, at ``values`` (name → a number or an
    array): each bound from the length of an array along its index, every sum written out
    term by term by SymPy, and the element xᵢ (i from the sum's lower bound) as ``x[i - low]``.
    An oracle written apart from the generated code."""
    lows, counts = {}, {}
    for total in expr.atoms(sympy.Sum):
        for index, low, high in total.limits:
            lows[index], counts[index] = low, high - low + 1
    bounds, elements = {}, {}
    for element in expr.atoms(sympy.Indexed):
        data = np.asarray(values[element.base.label.name], dtype=float)
        for axis, index in enumerate(element.indices):
            count = counts[index]
            (name,) = count.free_symbols
            bounds[name] = sympy.solve(sympy.Eq(count, data.shape[axis]), name)[0]
    written = expr.xreplace(bounds).doit()
    for element in written.atoms(sympy.Indexed):
        data = np.asarray(values[element.base.label.name], dtype=float)
        low = [lows[i] for i in _indices_of(expr, element.base)]
        position = tuple(int(i - lo) for i, lo in zip(element.indices, low, strict=True))
        elements[element] = float(data[position])
    scalars = {s: values[s.name] for s in written.free_symbols if s.name in values}
    return float(written.xreplace(elements).xreplace(scalars))


def _indices_of(expr: sympy.Expr, base: sympy.IndexedBase) -> tuple:
    return next(e.indices for e in expr.atoms(sympy.Indexed) if e.base == base)
