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
