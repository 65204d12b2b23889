"""Numbers from SymPy expressions, for tests: NumPy functions and central differences."""

from __future__ import annotations

import numpy as np
import sympy
from sympy.core.function import AppliedUndef

from derive.functions import to_elementary

# Stand-ins for undefined functions, so that m_x(w) and m_x'(w) have values.
STAND_INS = (sympy.sin, sympy.cos, sympy.exp)


def concrete(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with each undefined function replaced by sin, cos or exp, derivatives done."""
    functions = sorted({f.func for f in expr.atoms(AppliedUndef)}, key=str)
    for k, function in enumerate(functions):
        stand_in = STAND_INS[k % len(STAND_INS)]
        arity = len(next(iter(expr.atoms(function))).args) if expr.atoms(function) else 1
        args = sympy.symbols(f"a0:{arity}", real=True)
        body = stand_in(sum(args))
        expr = expr.replace(function, sympy.Lambda(args, body))
    return expr.doit()


def numpy_function(expr: sympy.Expr, symbols):
    """A vectorised NumPy function of ``symbols`` computing ``expr``."""
    elementary = to_elementary(concrete(expr))
    return sympy.lambdify(symbols, elementary, modules=["numpy"])


def central_difference(f, point: dict, name: str, h: float = 1e-6):
    up = dict(point, **{name: point[name] + h})
    down = dict(point, **{name: point[name] - h})
    return (f(**up) - f(**down)) / (2 * h)


def sample(symbols, rng: np.random.Generator, n: int, ranges: dict | None = None) -> dict:
    """``n`` random values for each symbol, uniform on its range (default −3 to 3)."""
    ranges = ranges or {}
    return {s.name: rng.uniform(*ranges.get(s.name, (-3.0, 3.0)), size=n) for s in symbols}
