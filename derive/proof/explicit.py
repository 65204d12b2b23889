"""Sums written out at small sizes: the explicit-dimension oracle of the numeric checks.

A loss over arrays, Σᵢ₌₁ᴺ (w xᵢ − yᵢ)², cannot be evaluated at a random point while N is a
name. At N = 2 and N = 3 (an element wₖ taken at k = 2) each sum is written out term by term
and each element xᵢ becomes a scalar symbol of its own; the checks then compare plain
expressions, as for any other loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

SIZES = (2, 3)
ELEMENT = 2  # the element k of a derivative by wₖ, at every size


def has_arrays(*exprs: sympy.Basic | None) -> bool:
    """Whether any of ``exprs`` holds a sum over an index or an element of an array."""
    return any(e is not None and e.has(sympy.Sum, sympy.Product, sympy.Indexed) for e in exprs)


def written_out(exprs: Sequence[sympy.Basic], size: int) -> list[sympy.Basic]:
    """``exprs`` with every bound (N) at ``size``, the free indices (k, l) at different
    elements (2, 1, 3, …: W_kl and W_lk must not meet at k = l), every sum written out and
    every element x[i] a real scalar symbol, the same in all of them."""
    integers: set[sympy.Symbol] = set()
    for expr in exprs:
        integers |= {s for s in expr.free_symbols if isinstance(s, sympy.Symbol) and s.is_integer}
    values = {s: size for s in integers if s.is_positive}
    free = sorted((s for s in integers if not s.is_positive), key=str)
    for n, index in enumerate(free):
        values[index] = min((ELEMENT, 1, *range(3, len(free) + 2))[n], size)
    out = []
    for expr in exprs:
        expr = expr.xreplace(values)
        out.append(  # a product over an index too: exp(Σᵢ wᵢ²) may come back as Πᵢ exp(wᵢ²)
            expr.replace(lambda e: isinstance(e, (sympy.Sum, sympy.Product)), _term_by_term)
        )
    elements = set().union(*(e.atoms(sympy.Indexed) for e in out))
    scalars = {e: sympy.Symbol(str(e), real=True) for e in elements}  # "x[1]": no name clashes
    return [e.xreplace(scalars) for e in out]


def _term_by_term(total):
    """Σ or Π over whole-number bounds, written out term by term (SymPy's doit first looks
    for a closed form, which costs far more at these sizes); any other bounds by doit."""
    combine = sympy.Add if isinstance(total, sympy.Sum) else sympy.Mul
    terms = [total.function]
    for index, low, high in reversed(total.limits):  # the innermost first
        if not (low.is_Integer and high.is_Integer and 0 <= high - low + 1 <= 10):
            return total.doit()
        terms = [t.xreplace({index: n}) for t in terms for n in range(int(low), int(high) + 1)]
    return combine(*terms)


def within_bounds(expr: sympy.Expr) -> sympy.Expr:
    """SymPy's Σᵢ δᵢₖ gᵢ = {gₖ if 1 ≤ k ≤ N; 0 otherwise} as gₖ: an element k of the loss's
    arrays lies within the bounds of its sums."""

    def inside(piecewise: sympy.Piecewise) -> bool:
        (value, condition), *rest = piecewise.args
        return (
            len(rest) == 1
            and rest[0] == (0, True)
            and all(s.is_integer for s in condition.free_symbols)
        )

    return expr.replace(
        lambda e: isinstance(e, sympy.Piecewise) and inside(e), lambda e: e.args[0][0]
    )


def array_shapes(expr: sympy.Expr) -> dict[sympy.Symbol, tuple[sympy.Symbol, ...]]:
    """Each array of ``expr`` (by the symbol of its name) as the bounds of its indices:
    x in Σᵢ₌₁ᴺ xᵢ has the shape (N,), X in Σᵢ₌₁ⁿ Σⱼ₌₁ᵈ Xᵢⱼ the shape (n, d)."""
    bound_of: dict[sympy.Symbol, sympy.Expr] = {}
    for total in expr.atoms(sympy.Sum):
        for index, low, high in total.limits:
            bound_of[index] = high - low + 1  # the number of terms: N, or n for 0 to n - 1
    shapes: dict[sympy.Symbol, tuple] = {}
    for element in expr.atoms(sympy.Indexed):
        if all(i in bound_of for i in element.indices):
            shapes[element.base.label] = tuple(bound_of[i] for i in element.indices)
    return shapes
