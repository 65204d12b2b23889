"""NumPy for sums over data: each element xᵢ is an array along its last axes, Σᵢ a ``np.sum``.

Inside Σᵢ Σⱼ the arrays are lined up on the axes (i, j), outermost first: ``x_{ij}`` is ``x``
itself, ``y_i`` is ``y[..., :, None]`` and ``w_j`` is ``w``, so that NumPy's broadcasting
does the rest and the sum over j is ``np.sum(…, axis=-1)``. A sum of a product of arrays
along different indices (Σⱼ Xᵢⱼwⱼ, a matrix product) is a ``np.einsum``, contracted pairwise
with BLAS rather than formed over every index. A derivative by an element wₖ
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
    for total in sorted(expr.atoms(sympy.Sum), key=_plain_bound_first):
        for index, low, high in total.limits:
            count = high - low + 1
            indexing = sorted(
                (e for e in total.function.atoms(sympy.Indexed) if index in e.indices), key=str
            )  # the first array by name gives N: the same module every time
            if count.is_Integer and not indexing:
                continue  # Σᵢ₌₁⁴ sin(i x): the index is a value, np.arange(1, 5)
            names = [s for s in count.free_symbols if isinstance(s, sympy.Symbol)]
            offset = count - names[0] if len(names) == 1 else None
            if offset is None or not offset.is_Integer:
                raise DeriveError(
                    "derive code takes the number of terms of a sum from the data: write its "
                    f"bounds with one name (1 to N, 0 to N - 1), not {low} to {high}"
                )
            for element in indexing:
                if index in element.indices:
                    axis = element.indices.index(index) - len(element.indices)
                    length = f"{element.base.label.name}.shape[{axis}]"
                    if offset:
                        length = f"({length} {'-' if offset > 0 else '+'} {abs(offset)})"
                    found.setdefault(names[0], length)
    for name in sorted(expr.free_symbols - found.keys(), key=str):
        if isinstance(name, sympy.Symbol) and name.is_integer and name.is_positive:
            raise DeriveError(
                f"derive code takes the number of terms {name.name.rstrip('_')} from the data, "
                "but no array is summed up to it: write the bound as a number"
            )
    return found


def _plain_bound_first(total: sympy.Sum) -> tuple:
    """Sums from 1 to N before others (N − 1 terms), then in a fixed order: the module
    takes N from the same array every time it is written."""
    plain = all(low == 1 and isinstance(high, sympy.Symbol) for _, low, high in total.limits)
    return (not plain, sympy.srepr(total))


AGREE = '''
def _agree(bound, *lengths):
    """The arrays summed up to one bound have one length along it, or a clear error."""
    if len(set(lengths)) > 1:
        raise ValueError(
            f"the arrays summed up to {bound} have the lengths {lengths} along it; "
            "they must be equal"
        )
'''


def length_checks(expr: sympy.Expr) -> list[tuple[str, list[str]]]:
    """For each bound (N) of ``expr``'s sums, the lengths of the arrays summed up to it
    (``x.shape[-1]``, ``y.shape[-1]``), when there are two or more to agree."""
    found: dict[str, list[str]] = {}
    for total in sorted(expr.atoms(sympy.Sum), key=sympy.srepr):
        for index, low, high in total.limits:
            lengths = found.setdefault(str(high - low + 1).rstrip("_"), [])
            for element in sorted(total.function.atoms(sympy.Indexed), key=str):
                if index in element.indices:
                    axis = element.indices.index(index) - len(element.indices)
                    length = f"{element.base.label.name}.shape[{axis}]"
                    if length not in lengths:
                        lengths.append(length)
    return [(bound, lengths) for bound, lengths in found.items() if len(lengths) > 1]


def _only_as_elements(expr: sympy.Expr, indices) -> bool:
    """Whether each index appears only in the elements of arrays (xᵢ), never as a value (i·xᵢ)."""
    hidden = expr.replace(lambda e: isinstance(e, sympy.Indexed), lambda e: sympy.S.One)
    return not any(hidden.has(i) for i in indices)


class ArrayCode(NumPyCode):
    """NumPy for sums over data arrays (see the module's docstring)."""

    def __init__(self, bounds: dict[sympy.Symbol, str], checks=()):
        super().__init__()
        self.bounds = bounds
        self.checks = list(checks)  # (bound, the lengths that must agree), checked on entry
        self.context: list[sympy.Symbol] = []
        self.ranges: dict[sympy.Symbol, tuple] = {}  # each index being summed: its bounds

    def doprint(self, expr, assign_to=None):
        self.context = free_indices(expr)
        return super().doprint(expr, assign_to)

    def _print_Symbol(self, expr):
        if expr in self.bounds:
            return self.bounds[expr]
        if expr in self.ranges:  # the index itself as a value: i in Σᵢ i·xᵢ
            low, high = self.ranges[expr]
            return self._aligned(f"np.arange({self._print(low)}, {self._print(high)} + 1)", [expr])
        name = super()._print_Symbol(expr)
        if self.context and not expr.is_integer:  # a parameter given as an array of values
            return f"{name}[..., {', '.join(['None'] * len(self.context))}]"
        return name

    def _aligned(self, code: str, indices) -> str:
        """``code``, an array along ``indices`` (in the context's order), with an axis of
        length 1 for each index of the context that it lacks, the leading ones too: the
        arrays may have axes of their own in front (a batch of data sets)."""
        if len(self.context) == len(indices):
            return code
        slices = ", ".join(":" if i in indices else "None" for i in self.context)
        return f"{code}[..., {slices}]"

    def _print_Indexed(self, expr):
        name = super()._print_Symbol(expr.base.label)  # the array itself, not a parameter value
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
        return self._aligned(name, expr.indices)

    def _print_Sum(self, expr):
        contracted = self._contraction(expr)
        if contracted is not None:
            return contracted
        return self._summed(expr.function, list(reversed(expr.limits)))  # outermost first

    def _contraction(self, expr: sympy.Sum) -> str | None:
        """Σ of a product of arrays, Σⱼ Xᵢⱼ wⱼ, as ``np.einsum('...ij,...j->...i', X, w)``:
        NumPy contracts pairwise with BLAS rather than building the product of every factor
        over every index. None when the sum is not such a product (it is then a ``np.sum``)."""
        if isinstance(expr.function, sympy.Add):  # Σ(a + b) = Σa + Σb: each a contraction
            terms = [sympy.Sum(term, *expr.limits) for term in expr.function.args]
            if all(self._contraction(term) is None for term in terms):
                return None
            return f"({' + '.join(self._print(term) for term in terms)})"
        summed = [index for index, _, _ in reversed(expr.limits)]  # outermost first
        factors = sympy.Mul.make_args(expr.function)
        every = [*self.context, *summed]
        operands = [f for f in factors if f.free_symbols & set(every)]
        if len(operands) < 2 or not _only_as_elements(expr.function, summed):
            return None
        if len({frozenset(f.free_symbols & set(every)) for f in operands}) == 1:
            return None  # Σᵢ rᵢxᵢ: the product is no larger than a factor, np.sum reads best
        if any(not expr.function.has(index) for index in summed):
            return None
        letters = {index: "abcdefghijklmnopqrstuvwxyz"[n] for n, index in enumerate(every)}
        specs, codes = [], []
        for factor in operands:
            if isinstance(factor, sympy.Indexed) and len(set(factor.indices)) == len(
                factor.indices
            ):
                specs.append("".join(letters[i] for i in factor.indices))
                codes.append(super()._print_Symbol(factor.base.label))
                continue
            own = [i for i in every if factor.has(i)]
            outer, self.context = self.context, own
            try:
                codes.append(self._print(factor))
            finally:
                self.context = outer
            specs.append("".join(letters[i] for i in own))
        kept = [i for i in self.context if any(i in f.free_symbols for f in operands)]
        spec = ",".join(f"...{s}" for s in specs) + "->..." + "".join(letters[i] for i in kept)
        code = f"np.einsum({spec!r}, {', '.join(codes)}, optimize=True)"
        if kept:
            code = self._aligned(code, kept)
        elif self.context:
            code = f"{code}[..., {', '.join(['None'] * len(self.context))}]"
        rest = [f for f in factors if f not in operands]
        if rest:
            code = f"{self.parenthesize(sympy.Mul(*rest), 50)}*{code}"
        return code

    def _print_logsumexp(self, expr):
        (total,) = expr.args
        ((index, low, high),) = total.limits
        self.context.append(index)
        self.ranges[index] = (low, high)
        try:
            inner = self._print(total.function.args[0])
        finally:
            self.context.pop()
            del self.ranges[index]
        return f"_logsumexp({inner})"

    def _summed(self, summand: sympy.Expr, limits: list) -> str:
        """Σ over ``limits`` (outermost first) of ``summand``: a ``np.sum`` over the last axis
        for each index, innermost first; a count times the rest for an index not used."""
        if not limits:
            return self._print(summand)
        (index, low, high), rest = limits[0], limits[1:]
        if not summand.has(index):
            return f"{self._print(high - low + 1)}*({self._summed(summand, rest)})"
        self.context.append(index)
        self.ranges[index] = (low, high)
        try:
            inner = self._summed(summand, rest)
        finally:
            self.context.pop()
            del self.ranges[index]
        return f"np.sum({inner}, axis=-1)"
