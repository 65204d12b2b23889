"""Shapes that the notation forces: ``w^\\top x_i`` without ``--shape``.

ML notes rarely declare shapes. Two readings follow from the expression itself:

* a lowercase name transposed (``w^\\top``, ``\\theta^T``) is a column vector, of length d
  unless declared;
* inside a sum over i, ``x_i`` multiplied by a row vector (``w^\\top x_i``, ``\\langle w,
  x_i\\rangle``) or transposed itself (``x_i^\\top w``) is the i-th data vector, x_i ∈ ℝᵈ with
  the elements x_{ij}: the rows of a data set. So is ``x_i`` when x is declared a vector
  (``--shape x=d``) or written bold (``\\mathbf{x}_i``), unless the sum runs over x's own
  length (then x_i is an element).

A reading that meets such a name raises ``ShapeInferred``; ``reading_again`` then reads the
whole input again with that shape, so that every use of the name agrees, and the reading
notes say what was inferred.
"""

from __future__ import annotations

import sympy

from derive.errors import ParseError
from derive.notation import latex_to_text

DEFAULT_LENGTH = "d"  # the length of a vector whose shape is neither declared nor forced
MOST_INFERRED = 12  # names whose shapes one input may infer (each reading is a whole pass)


class ShapeInferred(Exception):  # noqa: N818 - a signal to read again, not an error
    """The expression forces a shape on a name that was read as a number."""

    def __init__(self, key: str, dims: tuple, reason: str):
        super().__init__(key)
        self.key, self.dims, self.reason = key, dims, reason


def reading_again(read, source: str = ""):
    """``read(inferred)``, again with each shape the expression forces (``inferred``: a name's
    spelling → (dimensions, the reading's note)), until none is left to infer."""
    inferred: dict[str, tuple] = {}
    for _ in range(MOST_INFERRED + 1):
        try:
            return read(inferred)
        except ShapeInferred as found:
            if found.key in inferred:
                raise ParseError(
                    f"the shape of {found.key} cannot be told from the expression: declare it "
                    "with --shape",
                    source,
                    0,
                ) from None
            inferred[found.key] = (found.dims, found.reason)
    raise ParseError("too many shapes to infer: declare them with --shape", source, 0)


def _lowercase(latex: str) -> bool:
    text = latex_to_text(latex).strip()
    return bool(text) and text[0].isalpha() and text[0].islower()


class InferredShapes:
    """Shapes forced by the expression (a mixin of the reader)."""

    def key_of(self, value) -> str | None:
        """The spelling by which a number read from a name could be declared a vector:
        ``w`` for the symbol w, ``x`` for the element x[i] of a sum; None for anything else
        (an expression, a matrix, an uppercase name, a name declared already)."""
        if isinstance(value, sympy.Indexed) and len(value.indices) == 1:
            spelling = self.spellings.get(value.base.label.name, "")
            index = value.indices[0]
            if index not in self.bound_indices:
                return None
        elif isinstance(value, sympy.Symbol) and not value.is_integer:
            spelling = self.spellings.get(value.name, "")
        else:
            return None
        key = spelling.replace(" ", "")
        if not key or not _lowercase(spelling) or key in self.shapes:
            return None
        return key

    def infer_column(self, value, why: str = "it is transposed") -> None:
        """A name read as a number where only a vector fits (``w^\\top``, ``\\langle w,
        x\\rangle``): w is a column vector of length d (x_i, an element of a sum: the i-th
        data vector)."""
        key = self.key_of(value)
        if key is None:
            return
        length = sympy.Symbol(DEFAULT_LENGTH, integer=True, positive=True)
        if isinstance(value, sympy.Indexed):
            note = _data_vector_note(key, value.indices[0], length)
            raise ShapeInferred(key, (length,), note)
        raise ShapeInferred(
            key,
            (length,),
            f"is a vector of length {DEFAULT_LENGTH} ({why}; declare another length with --shape)",
        )

    def infer_vector(self, value, other) -> None:
        """A name read as a number, multiplied by a row vector (wᵀx, wᵀx_i) or in an inner
        product with a vector: a vector of the length that product needs (x_i, an element of
        a sum: the i-th data vector)."""
        if not isinstance(value, (sympy.Symbol, sympy.Indexed)):
            return
        if not isinstance(other, sympy.MatrixExpr) or 1 not in other.shape:
            return
        key = self.key_of(value)
        length = other.shape[1] if other.shape[0] == 1 else other.shape[0]
        if key is None or length == 1:
            return
        if isinstance(value, sympy.Indexed):
            raise ShapeInferred(key, (length,), _data_vector_note(key, value.indices[0], length))
        raise ShapeInferred(key, (length,), f"is a vector of length {length}, as a product needs")

    def data_vector(self, name, index: sympy.Symbol) -> sympy.MatrixExpr | None:
        """``x_i`` inside a sum over i as the i-th data vector (a column with the elements
        x_{ij}) when x is a vector by declaration, by inference or in bold, and the sum does
        not run over x's own length; None otherwise."""
        key = name.base_latex.replace(" ", "")
        shape = self.shapes.get(key) or self.shapes.get(name.base_ident)
        if shape is None and name.base_ident.endswith("_bold") and _lowercase(name.base_latex):
            shape = (sympy.Symbol(DEFAULT_LENGTH, integer=True, positive=True),)
        if shape is None or len(shape) != 1:
            return None
        (length,) = shape
        terms = self.index_terms.get(index)
        if terms is not None and _same_count(terms, length):
            return None  # Σᵢ₌₁ᵈ wᵢ xᵢ: elements of vectors of length d
        reason = self.inferred.get(key, (None, _data_vector_note(key, index, length)))[1]
        self.note(name.latex, reason)
        base = sympy.IndexedBase(self.unique(name.base_ident, name.base_latex), real=True)
        j, column = sympy.Dummy("j", integer=True), sympy.Dummy("c", integer=True)
        return sympy.FunctionMatrix(length, 1, sympy.Lambda((j, column), base[index, j + 1]))


def _same_count(a: sympy.Expr, b: sympy.Expr) -> bool:
    """Whether two numbers of terms agree, a name read as a bound (d) and the same name
    declared as a length alike."""

    def plain(e):
        return e.xreplace({s: sympy.Symbol(s.name) for s in e.free_symbols})

    return sympy.simplify(plain(a) - plain(b)) == 0


def _data_vector_note(spelling: str, index, length) -> str:
    return (
        f"is the {index}-th data vector, of length {length} (its elements "
        f"{latex_to_text(spelling)}_{index}j: the rows of a data set)"
    )
