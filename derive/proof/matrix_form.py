"""A derivative by an element (∂L/∂wₖ, ∂L/∂Wₖₗ), found in index form, written back as a
matrix expression with the shape of the variable: 2Σᵢ(Σⱼ Xᵢⱼwⱼ − yᵢ)Xᵢₖ is 2Xᵀ(Xw − y).

The patterns are those of a matrix calculus table: an element vₖ is the vector v; a sum
Σᵢ Aᵢₖ rᵢ is Aᵀr and Σᵢ Aₖᵢ rᵢ is Ar; a product of factors of one index is their Hadamard
product; a function of an element is the function applied to each element; a sum Σᵢ aᵢbᵢ of
two vectors is aᵀb and Σᵢ vᵢ is 𝟏ᵀv; for a matrix variable, a product of a vector along k
and one along l is the outer product abᵀ. Anything else is left in index form (``None``).
Each matrix form is compared with the index form it came from, written out
(``derive.proof.explicit``).
"""

from __future__ import annotations

import sympy
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct
from sympy.matrices.expressions.matexpr import MatrixElement

from rules.matrices import NormSquared, OneNorm
from rules.sums import in_index_form


class NotMatrix(Exception):
    """The expression is not one of the patterns."""


class Number(sympy.Function):
    """A 1 × 1 product (aᵀb) used as the number it is (``element_of`` takes its element)."""

    nargs = 1
    is_commutative = True
    is_real = True


def matrix_form(expr: sympy.Expr, var: sympy.Indexed, shapes: dict) -> sympy.Expr | None:
    """``expr`` = ∂L/∂var (var an element wₖ or Wₖₗ) as a matrix expression with var's shape;
    ``shapes`` maps each array's name to its dimensions. None when no pattern fits."""
    writer = _Writer(shapes)
    try:
        if len(var.indices) == 1:
            (k,) = var.indices
            return writer.vector(expr, k)
        k, l_ = var.indices
        return writer.outer(expr, k, l_)
    except NotMatrix:
        return None


def element_of(matrix: sympy.Expr, var: sympy.Indexed) -> sympy.Expr:
    """The element of ``matrix`` at var's indices, in index form: to compare with the
    derivative it was written from."""
    matrix = matrix.replace(lambda e: isinstance(e, Number), lambda e: e.args[0][0, 0])
    matrix = matrix.replace(_number_of_matrices, _written_as_a_sum)
    if len(var.indices) == 1:
        return in_index_form(matrix[var.indices[0] - 1, 0].doit())
    k, l_ = var.indices
    return in_index_form(matrix[k - 1, l_ - 1].doit())


def _number_of_matrices(e) -> bool:
    """‖v‖², ‖v‖₁, tr A, or (uᵀv)₁₁ (not the element wᵢ of a vector)."""
    if isinstance(e, MatrixElement):
        return e.parent.shape == (1, 1)
    return isinstance(e, (NormSquared, OneNorm, sympy.Trace))


def _written_as_a_sum(number):
    """A number made of matrices (‖v‖², ‖v‖₁, tr A, (uᵀv)₁₁) as a sum over elements."""
    i = sympy.Dummy("i", integer=True)
    if isinstance(number, NormSquared):
        v = number.args[0]
        return sympy.Sum(v[i, 0] ** 2, (i, 0, v.shape[0] - 1))
    if isinstance(number, OneNorm):
        v = number.args[0]
        return sympy.Sum(sympy.Abs(v[i, 0]), (i, 0, v.shape[0] - 1))
    if isinstance(number, sympy.Trace):
        return sympy.Sum(number.arg[i, i], (i, 0, number.arg.shape[0] - 1))
    return number.args[0][0, 0]  # the element of a 1-by-1 product


class _Writer:
    def __init__(self, shapes: dict):
        self.shapes = shapes

    def array(self, base: sympy.IndexedBase, indices: tuple, along: tuple) -> sympy.Expr:
        """The array of the element base[indices] laid along the indices ``along``."""
        dims = self.shapes.get(base.label.name)
        if dims is None or len(dims) != len(indices) or len(set(indices)) != len(indices):
            raise NotMatrix
        symbol = sympy.MatrixSymbol(base.label.name, dims[0], dims[1] if len(dims) > 1 else 1)
        if tuple(indices) == tuple(along):
            return symbol
        if len(indices) == 2 and tuple(indices) == tuple(reversed(along)):
            return symbol.T
        raise NotMatrix

    def vector(self, expr: sympy.Expr, k: sympy.Symbol) -> sympy.Expr:
        """``expr``, a function of the index k, as a column vector along k."""
        if not expr.has(k):
            raise NotMatrix  # a constant in every element: not a pattern of the table
        if isinstance(expr, sympy.Indexed):
            return self.array(expr.base, expr.indices, (k,))
        if isinstance(expr, sympy.Add):
            vectors = [self.vector(term, k) for term in expr.args if term.has(k)]
            ones = sympy.OneMatrix(vectors[0].shape[0], 1)  # a number in every element: c·𝟏
            numbers = [self.scalar(term) * ones for term in expr.args if not term.has(k)]
            return sympy.MatAdd(*numbers, *vectors).doit()
        if isinstance(expr, sympy.Mul):
            along = [f for f in expr.args if f.has(k)]
            scalar = sympy.Mul(*(self.scalar(f) for f in expr.args if not f.has(k)))
            vectors = [self.vector(f, k) for f in along]
            product = vectors[0] if len(vectors) == 1 else HadamardProduct(*vectors)
            return scalar * product if scalar != 1 else product
        if isinstance(expr, sympy.Pow) and not expr.exp.has(k):
            return HadamardPower(self.vector(expr.base, k), expr.exp)
        if isinstance(expr, sympy.Sum):
            return self.contraction(expr, k)
        if _of_one_argument(expr):  # H(u, 1/2) counts as a function of u
            inner, rest = self.vector(expr.args[0], k), expr.args[1:]
            return inner.applyfunc(lambda t: expr.func(t, *rest))
        raise NotMatrix

    def contraction(self, total: sympy.Sum, k: sympy.Symbol) -> sympy.Expr:
        """Σᵢ Aᵢₖ rᵢ = Aᵀr and Σᵢ Aₖᵢ rᵢ = Ar (r a vector along i)."""
        if len(total.limits) != 1:
            raise NotMatrix
        (i, low, _), factors = total.limits[0], sympy.Mul.make_args(total.function)
        if low != 1:
            raise NotMatrix
        links = [f for f in factors if f.has(k)]
        if len(links) != 1 or not isinstance(links[0], sympy.Indexed):
            raise NotMatrix
        link = links[0]
        if set(link.indices) != {i, k}:
            raise NotMatrix
        matrix = self.array(link.base, link.indices, (k, i))
        rest = sympy.Mul(*(f for f in factors if f is not link))
        return matrix * self.vector(rest, i)

    def scalar(self, expr: sympy.Expr) -> sympy.Expr:
        """A number: a sum Σᵢ aᵢbᵢ is aᵀb, Σᵢ vᵢ² is vᵀv; anything without arrays as it is."""
        if not expr.has(sympy.Indexed):
            return expr
        if isinstance(expr, sympy.Sum) and len(expr.limits) == 1 and expr.limits[0][1] == 1:
            i = expr.limits[0][0]
            factors = sympy.Mul.make_args(expr.function)
            vectors = [f for f in factors if f.has(i)]
            scalar = sympy.Mul(*(self.scalar(f) for f in factors if not f.has(i)))
            if len(vectors) == 2:
                product = self.vector(vectors[0], i).T * self.vector(vectors[1], i)
                return scalar * Number(product)  # aᵀb
            if len(vectors) == 1 and isinstance(vectors[0], sympy.Pow) and vectors[0].exp == 2:
                v = self.vector(vectors[0].base, i)
                return scalar * Number(v.T * v)
            if len(vectors) == 1:  # Σᵢ vᵢ = 𝟏ᵀv
                v = self.vector(vectors[0], i)
                return scalar * Number(sympy.OneMatrix(1, v.shape[0]) * v)
        if isinstance(expr, (sympy.Add, sympy.Mul)):
            return expr.func(*(self.scalar(a) for a in expr.args))
        if isinstance(expr, sympy.Pow) and not expr.exp.has(sympy.Indexed):
            return self.scalar(expr.base) ** expr.exp
        if _of_one_argument(expr):
            return expr.func(self.scalar(expr.args[0]), *expr.args[1:])
        raise NotMatrix

    def outer(self, expr: sympy.Expr, k: sympy.Symbol, l_: sympy.Symbol, flat=False) -> sympy.Expr:
        """``expr``, a function of k and l, as a matrix: a vector along k times one along l
        is the outer product; an element Aₖₗ is A itself."""
        if isinstance(expr, sympy.Add):
            return sympy.MatAdd(*(self.outer(term, k, l_) for term in expr.args)).doit()
        if isinstance(expr, sympy.Indexed):
            return self.array(expr.base, expr.indices, (k, l_))
        factors = sympy.Mul.make_args(expr)
        if any(isinstance(f, sympy.Add) and f.has(k) and f.has(l_) for f in factors):
            if flat:
                raise NotMatrix
            return self.outer(sympy.expand_mul(expr), k, l_, flat=True)  # (a_k b_l + …)·c
        along_k = [f for f in factors if f.has(k) and not f.has(l_)]
        along_l = [f for f in factors if f.has(l_) and not f.has(k)]
        scalar = sympy.Mul(*(self.scalar(f) for f in factors if not f.has(k) and not f.has(l_)))
        if (
            len(along_k) + len(along_l)
            != len(factors) - sum(1 for f in factors if not f.has(k) and not f.has(l_))
            or not along_k
            or not along_l
        ):
            raise NotMatrix
        a = self.vector(sympy.Mul(*along_k), k)
        b = self.vector(sympy.Mul(*along_l), l_)
        return scalar * a * b.T


def _of_one_argument(expr: sympy.Expr) -> bool:
    """A function of one expression, its other arguments numbers (H(u, 1/2), σ(u))."""
    return isinstance(expr, sympy.Function) and all(a.is_number for a in expr.args[1:])
