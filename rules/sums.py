"""Sums over an index and the elements of arrays: Σᵢ uᵢ, xᵢ, and the Kronecker delta.

An element ``x[i]`` of an array depends on the element ``x[k]`` only where i = k: its
derivative is the Kronecker delta δᵢₖ, and a sum over i of δᵢₖ·gᵢ is gₖ, for an element k
within the sum's bounds (the only elements the loss has).
"""

from __future__ import annotations

import sympy
from sympy.concrete.delta import deltasummation
from sympy.matrices.expressions.matexpr import MatrixElement

from rules.registry import Expansion, rule

i, k = sympy.symbols("i k", integer=True)
N = sympy.Symbol("N", integer=True, positive=True)
x = sympy.Symbol("x", real=True)
w = sympy.IndexedBase("w", real=True)


def _summand_specimen():
    u = sympy.Function("u", real=True)
    return sympy.Sum(u(x, i), (i, 1, N)), x


@rule(sympy.Sum, name="sum over an index", specimen=_summand_specimen)
def summation(expr, var):
    """d/dx Σᵢ uᵢ = Σᵢ duᵢ/dx (and Σᵢ δᵢₖ·gᵢ = gₖ for an element k of the sum)"""
    limits = expr.limits

    def combine(ds):
        return deltas_summed(sympy.Sum(ds[0], *limits))

    return Expansion((expr.function,), combine)


def deltas_summed(total: sympy.Expr) -> sympy.Expr:
    """Σᵢ δᵢₖ·gᵢ = gₖ in ``total``, for each k inside the sum's bounds."""
    if not total.has(sympy.KroneckerDelta):
        return total
    if isinstance(total, sympy.Sum):
        inner = deltas_summed(total.function)
        for limit in total.limits:  # innermost first
            deltas = inner.atoms(sympy.KroneckerDelta)
            if any(d.has(limit[0]) for d in deltas):
                flat = _deltas_outward(sympy.expand(inner))
                inner = deltasummation(flat, limit, no_piecewise=True)
            else:
                inner = sympy.Sum(inner, limit)
        return inner
    return total.func(*(deltas_summed(a) for a in total.args)) if total.args else total


@rule(sympy.Indexed, name="element of an array", specimen=lambda: (w[i], w[k]))
def element(expr, var):
    """∂wᵢ/∂wₖ = δᵢₖ (1 where i = k, 0 elsewhere)"""
    if not isinstance(var, sympy.Indexed) or var.base != expr.base:
        return Expansion((), lambda _: sympy.S.Zero)
    deltas = [sympy.KroneckerDelta(a, b) for a, b in zip(expr.indices, var.indices, strict=True)]
    return Expansion((), lambda _: sympy.Mul(*deltas))


def _deltas_outward(expr: sympy.Expr) -> sympy.Expr:
    """Σᵢ δⱼₖ·fᵢ as δⱼₖ·Σᵢ fᵢ: a delta free of a sum's index taken out of it, so that the
    sum over j outside can see it."""

    def out(total: sympy.Sum) -> sympy.Expr:
        indices = {limit[0] for limit in total.limits}
        factors = sympy.Mul.make_args(total.function)
        outside = [
            f for f in factors if isinstance(f, sympy.KroneckerDelta) and not f.has(*indices)
        ]
        if not outside:
            return total
        inside = [f for f in factors if f not in outside]
        return sympy.Mul(*outside) * sympy.Sum(sympy.Mul(*inside), *total.limits)

    return expr.replace(lambda e: isinstance(e, sympy.Sum), out)


def canonical_indices(expr: sympy.Basic, depth: int = 0) -> sympy.Basic:
    """``expr`` with each sum's index named by how deep the sum is (Σᵢ Wₖᵢxᵢ and Σⱼ Wₖⱼxⱼ
    become the same expression, which SymPy then sees as equal)."""
    if isinstance(expr, sympy.Sum):
        function, limits = expr.function, []
        for index, low, high in expr.limits:
            depth += 1
            named = sympy.Symbol(f"_i{depth}", integer=True)
            function = function.xreplace({index: named})
            limits.append((named, low, high))
        return sympy.Sum(canonical_indices(function, depth), *limits)
    if not expr.args or not expr.has(sympy.Sum):
        return expr
    return rebuilt(expr, [canonical_indices(a, depth) for a in expr.args])


def rebuilt(node: sympy.Basic, args: list) -> sympy.Basic:
    """``node`` with new arguments whose indices only were renamed: a function is not
    evaluated again (H(u) would ask the sign of u again, at length)."""
    if isinstance(node, sympy.Function):
        return node.func(*args, evaluate=False)
    return node.func(*args)


LETTERS = "ijklmpqrst"  # the indices of the sums written for matrix products


def in_index_form(expr: sympy.Expr) -> sympy.Expr:
    """The elements of matrix symbols as derive's arrays: X[i, j] → X_ij (from 1), w[i, 0] →
    w_i; SymPy's sums from 0 to n − 1 written from 1 to n, with readable index letters."""
    if not expr.has(MatrixElement, sympy.MatrixExpr):
        return expr
    expr = expr.doit() if expr.has(sympy.MatrixExpr) and not expr.has(MatrixElement) else expr
    taken = {s.name for s in expr.atoms(sympy.Symbol) if not isinstance(s, sympy.Dummy)}
    letters = iter([c for c in LETTERS if c not in taken] + [f"i{n}" for n in range(1, 100)])

    def shifted(total: sympy.Sum) -> sympy.Sum:
        function, limits = total.function, []
        for index, low, high in total.limits:
            if _is_zero_based((index, low, high)):
                fresh = sympy.Symbol(next(letters), integer=True)
                function = function.xreplace({index: fresh - 1})
                index, low, high = fresh, low + 1, high + 1
            limits.append((index, low, high))
        return sympy.Sum(function, *limits)

    def outer_first(node: sympy.Basic) -> sympy.Basic:
        """One pass from the top: each sum shifted before the sums inside it (which then
        take the next letters), every node rebuilt once."""
        if isinstance(node, sympy.Sum) and any(_is_zero_based(lim) for lim in node.limits):
            node = shifted(node)
        if not node.args or isinstance(node, MatrixElement):
            return node
        args = [outer_first(a) for a in node.args]
        if not any(new is not old for new, old in zip(args, node.args, strict=True)):
            return node
        return rebuilt(node, args)

    expr = outer_first(expr)

    def element(e: MatrixElement) -> sympy.Indexed:
        matrix, row, col = e.args
        base = sympy.IndexedBase(matrix.name, real=True)
        if matrix.shape[1] == 1:
            return sympy.Indexed(base, row + 1)
        return sympy.Indexed(base, row + 1, col + 1)

    return expr.replace(lambda e: isinstance(e, MatrixElement), element)


def _is_zero_based(limit) -> bool:
    index, low, _ = limit
    return isinstance(index, sympy.Dummy) and low == 0
