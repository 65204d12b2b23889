"""NumPy for sums over data: each element xᵢ is an array along its last axes, Σᵢ a ``np.sum``.

Inside Σᵢ Σⱼ the arrays are lined up on the axes (i, j), outermost first: ``x_{ij}`` is ``x``
itself, ``y_i`` is ``y[..., :, None]`` and ``w_j`` is ``w``, so that NumPy's broadcasting
does the rest and the sum over j is ``np.sum(…, axis=-1)``. A derivative by an element wₖ
is an array along k. A bound N is the length of an array's axis (``x.shape[-1]``): the
module takes the number of terms from the data.
"""

from __future__ import annotations

import sympy

from derive.codegen.numpy_printer import NumPyCode
from derive.errors import DeriveError

LAYOUT = (
    "The data of a sum are arrays along their last axes, one axis per index, outermost sum "
    "first (x_{ij}: shape (..., n, d)); the number of terms (N) is their length there. A "
    "derivative by an element w_k is an array along k. The other parameters are numbers."
)


def has_arrays(expr: sympy.Basic) -> bool:
    """Whether ``expr`` holds a sum over an index or an element of an array."""
    return expr.has(sympy.Sum, sympy.Indexed)


def free_indices(expr: sympy.Basic) -> list[sympy.Symbol]:
    """The indices of ``expr`` no sum binds (k in wₖ), sorted."""
    return sorted(
        (s for s in expr.free_symbols if isinstance(s, sympy.Symbol) and s.is_integer
         and not s.is_positive),
        key=lambda s: s.name,
    )  # fmt: skip


def lengths(expr: sympy.Expr) -> dict[sympy.Symbol, str]:
    """Each bound N of the sums in ``expr`` as the code of an array's length along its index
    (``x.shape[-1]``). Raises DeriveError for bounds the module cannot take from the data."""
    found: dict[sympy.Symbol, str] = {}
    for total in expr.atoms(sympy.Sum):
        for index, low, high in total.limits:
            if low != 1 or not isinstance(high, sympy.Symbol):
                raise DeriveError(
                    f"derive code writes sums from 1 to a name (N), whose value it takes from "
                    f"the data; not from {low} to {high}"
                )
            for element in total.function.atoms(sympy.Indexed):
                if index in element.indices:
                    axis = element.indices.index(index) - len(element.indices)
                    found.setdefault(high, f"{element.base.label.name}.shape[{axis}]")
    return found


class ArrayCode(NumPyCode):
    """NumPy for sums over data arrays (see the module's docstring)."""

    def __init__(self, bounds: dict[sympy.Symbol, str]):
        super().__init__()
        self.bounds = bounds
        self.context: list[sympy.Symbol] = []

    def doprint(self, expr, assign_to=None):
        self.context = free_indices(expr)
        return super().doprint(expr, assign_to)

    def _print_Symbol(self, expr):
        if expr in self.bounds:
            return self.bounds[expr]
        return super()._print_Symbol(expr)

    def _print_Indexed(self, expr):
        name = self._print(expr.base.label)
        if len(set(expr.indices)) != len(expr.indices) or any(
            i not in self.context for i in expr.indices
        ):
            raise DeriveError(f"derive code cannot write the element {expr} as an array")
        positions = [self.context.index(i) for i in expr.indices]
        order = sorted(range(len(positions)), key=lambda n: positions[n])
        m = len(order)
        if order == [1, 0]:
            name = f"np.swapaxes({name}, -1, -2)"
        elif order != list(range(m)):
            source = [order[t] - m for t in range(m)]
            name = f"np.moveaxis({name}, {source}, {list(range(-m, 0))})"
        axes = self.context[min(positions) :]
        if len(axes) == m:
            return name
        slices = ", ".join(":" if i in expr.indices else "None" for i in axes)
        return f"{name}[..., {slices}]"

    def _print_Sum(self, expr):
        if len(expr.limits) > 1:
            inner = sympy.Sum(expr.function, expr.limits[0])
            return self._print(sympy.Sum(inner, *expr.limits[1:]))
        (index, low, high), summand = expr.limits[0], expr.function
        if not any(index in e.indices for e in summand.atoms(sympy.Indexed)):
            count = self._print(high - low + 1)
            return f"{count}*({self._print(summand)})"
        self.context.append(index)
        try:
            inner = self._print(summand)
        finally:
            self.context.pop()
        return f"np.sum({inner}, axis=-1)"
