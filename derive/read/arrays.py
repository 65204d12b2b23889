"""Reading vectors and matrices: ``w^\\top x``, ``\\|X w - y\\|_2^2``, ``\\sigma(W x + b)``.

A name with a shape (``--shape X=n,d``, ``shapes={"w": "d"}``, or bold lowercase: ``\\mathbf{w}``
is a vector of length d unless declared) is read as a SymPy ``MatrixSymbol`` (a vector as a
column), so that juxtaposition is the matrix product, ``^\\top`` and ``^T`` transpose, and a
function of a vector applies to each element. A norm ``\\|v\\|``, ``\\|v\\|_2``, ``\\|v\\|_1`` of
a vector is a number. The loss must come out a number (1 × 1); it is then written in index
form, as sums over the elements (Σⱼ wⱼ xⱼ for wᵀx), which derive differentiates and proves.
"""

from __future__ import annotations

import sympy
from sympy.matrices.expressions.hadamard import HadamardProduct
from sympy.matrices.expressions.matexpr import MatrixElement

from derive import notation
from derive.read.groups import is_op, is_transpose
from rules.matrices import LogSoftmax, NormSquared, OneNorm, Softmax
from rules.sums import in_index_form

DEFAULT_LENGTH = "d"  # the length of a bold vector whose shape is not declared
TRACE = ("tr", "trace", "Tr")  # \operatorname{tr}(A): the sum of A's diagonal
SOFTMAX = ("softmax", "Softmax")


def dimension(text: str) -> sympy.Expr:
    """``"d"`` → the positive whole number d; ``"3"`` → 3."""
    text = text.strip()
    if text.isdigit() and int(text) > 0:
        return sympy.Integer(int(text))
    if text.isidentifier():
        return sympy.Symbol(notation.make_safe(text), integer=True, positive=True)
    raise ValueError(f"a dimension is a name or a positive whole number, not {text!r}")


def parsed_shapes(shapes) -> dict[str, tuple]:
    """``{"X": "n,d", "w": ("d",)}`` → each name's dimensions as SymPy values."""
    found = {}
    for name, dims in dict(shapes or {}).items():
        parts = dims.split(",") if isinstance(dims, str) else list(dims)
        if not 1 <= len(parts) <= 2:
            raise ValueError(f"the shape of {name} has {len(parts)} dimensions: give 1 or 2")
        found[name.strip()] = tuple(dimension(str(p)) for p in parts)
    return found


def applied_to_each(array: sympy.MatrixExpr, function) -> sympy.MatrixExpr:
    """``function`` applied to each element of ``array``; the natural log of a softmax is
    kept whole, as log softmax(z)."""
    if type(array) is Softmax:
        t = sympy.Dummy("t", positive=True)
        if function(t) == sympy.log(t):
            return LogSoftmax(array.arg)
    return array.applyfunc(function)


def is_array(value) -> bool:
    return isinstance(value, sympy.MatrixExpr)


def describe(value: sympy.MatrixExpr) -> str:
    rows, cols = value.shape
    return f"a vector of length {rows}" if cols == 1 else f"a {rows}×{cols} matrix"


class ArrayReading:
    """Names with shapes, transposes, norms and elementwise functions (a mixin of the reader)."""

    def array_symbol(self, name) -> sympy.MatrixSymbol | None:
        """The matrix symbol of a name with a shape (a vector as a column); None for a scalar."""
        shape = (
            self.shapes.get(name.ident)
            or self.shapes.get(name.latex.replace(" ", ""))
            or self.shapes.get(name.ident.removesuffix("_bold"))  # --shape W for \mathbf{W}
        )
        bold = name.ident.endswith("_bold")
        if shape is None and bold and not name.base[:1].islower():
            self.fail(
                f"{name.latex} is a matrix (bold, upper case): declare its shape with --shape "
                f"{name.ident.removesuffix('_bold')}=ROWS,COLUMNS",
                col=name.col,
                end=name.end,
            )
        if shape is None and "_bold_" in name.ident and not name.bound:
            self.note(name.latex, "is read as a number (a bold name with an index); declare a "
                      "vector with --shape")  # fmt: skip
        if shape is None and bold:
            shape = (dimension(DEFAULT_LENGTH),)
            self.note(name.latex, f"is a vector of length {DEFAULT_LENGTH} (bold, lowercase)")
        if shape is None:
            return None
        inferred = self.inferred.get(name.latex.replace(" ", ""))
        if inferred is not None:
            self.note(name.latex, inferred[1])
        ident = self.unique(notation.make_safe(name.ident), name.latex)
        rows, cols = (shape[0], sympy.S.One) if len(shape) == 1 else shape
        return sympy.MatrixSymbol(ident, rows, cols)

    def ones(self, items: list, k: int, fragment) -> int:
        """``\\mathbf{1}`` without a condition: a vector of ones (``^\\top``: a row), its
        length that of what it multiplies or is added to (𝟏ᵀv = Σᵢ vᵢ)."""
        one, row = items[k], k + 2 < len(items) and is_op(items[k + 1], "^")
        row = row and is_transpose(items[k + 2])
        length = sympy.Dummy(ONES_LENGTH, integer=True, positive=True)
        value = sympy.OneMatrix(1, length) if row else sympy.OneMatrix(length, 1)
        self.note(r"\mathbf{1}", "is a vector of ones, its length that of what it meets", "𝟏")
        fragment.add(self.placeholder(value), one.col, operand=True)
        return k + 3 if row else k + 1

    def transposed(self, value, caret) -> sympy.Expr:
        """``value^\\top``: the transpose of a vector or matrix."""
        if not is_array(value):
            self.infer_column(value)
            self.fail(
                "^T transposes a vector or a matrix; declare its shape with --shape (for a "
                "power, name the exponent by another letter)",
                caret,
            )
        return value.T

    def elementwise(self, entry, args: list, head) -> sympy.Expr:
        """A function of a vector, applied to each element: σ(W x + b), max(0, v)."""
        arrays = [a for a in args if is_array(a)]
        if len(arrays) > 1:
            self.fail(f"{self._text(head)} of two arrays is not supported", head)
        (array,) = arrays
        position = next(k for k, a in enumerate(args) if is_array(a))

        def applied(t):
            return entry.build(*args[:position], t, *args[position + 1 :])

        try:
            return applied_to_each(array, applied)
        except (ValueError, TypeError) as error:  # max(tanh(w), log(−1)): not comparable
            self.fail(f"{self._text(head)} cannot be formed here: {error}", head)

    def inner(self, left, right, group) -> sympy.Expr:
        """⟨u, v⟩ = uᵀv = Σᵢ uᵢvᵢ of two vectors, Σᵢⱼ AᵢⱼBᵢⱼ of two matrices of one shape."""
        self.infer_vector(right, left)
        self.infer_vector(left, right)
        if not is_array(left) and not is_array(right):
            self.infer_column(left, "in an inner product")
        if not (is_array(left) and is_array(right)):
            self.fail(
                "⟨u, v⟩ is the inner product of two vectors or matrices: declare their shapes "
                "with --shape (for numbers write u \\cdot v)",
                group,
            )
        if _differ(left.shape, right.shape):
            self.fail(
                f"⟨u, v⟩ of {describe(left)} and {describe(right)}: the shapes must be equal",
                group,
            )
        if left.shape[1] == 1:
            return self.as_number_if_1x1(left.T * right, [])
        return self.trace(left.T * right, group)

    def elementwise_product(self, parts: list, items: list) -> sympy.Expr:
        """u ⊙ v: the Hadamard product of vectors or matrices of one shape (a number scales)."""
        arrays = [p for p in parts if is_array(p)]
        if not arrays:
            self.fail("⊙ multiplies vectors or matrices element by element; for numbers write "
                      "\\cdot", col=items[0].col, end=items[-1].end)  # fmt: skip
        for other in arrays[1:]:
            if _differ(arrays[0].shape, other.shape):
                self.fail(
                    f"u ⊙ v of {describe(arrays[0])} and {describe(other)}: the shapes must be "
                    "equal",
                    col=items[0].col,
                    end=items[-1].end,
                )
        scale = sympy.Mul(*(p for p in parts if not is_array(p)))
        product = arrays[0] if len(arrays) == 1 else HadamardProduct(*arrays)
        return self.as_number_if_1x1(scale * product if scale != 1 else product, items)

    def norm(self, value, kind: str, group) -> sympy.Expr:
        """‖v‖₂ = √(Σᵢ vᵢ²) and ‖v‖₁ = Σᵢ |vᵢ| of a vector, as sums over its elements."""
        rows, cols = value.shape
        if cols != 1:
            self.fail(f"the norm of {describe(value)} is not supported: write its sum", group)
        if self.in_matrices:
            return OneNorm(value) if kind == "1" else sympy.sqrt(NormSquared(value))
        i = sympy.Dummy("i", integer=True)
        element = value[i, 0]
        if kind == "1":
            return sympy.Sum(sympy.Abs(element), (i, 0, rows - 1))
        return sympy.sqrt(sympy.Sum(element**2, (i, 0, rows - 1)))

    def as_number_if_1x1(self, value, items: list) -> sympy.Expr:
        """``value`` checked for shapes that fit; a 1 × 1 product (wᵀx) as the number it is."""
        if not is_array(value):
            return value
        value = _ones_lengths(value)
        problem = shape_problem(value)
        if problem is not None:
            self.fail(
                problem, col=items[0].col if items else 0, end=items[-1].end if items else None
            )
        if value.shape != (1, 1):
            return value
        return MatrixElement(value, 0, 0) if self.in_matrices else value[0, 0]

    def trace(self, value, head) -> sympy.Expr:
        """tr(A) = Σᵢ Aᵢᵢ of a square matrix."""
        if not is_array(value):
            self.fail("the trace is of a square matrix: declare its shape with --shape", head)
        problem = shape_problem(value)
        rows, cols = value.shape
        if problem is None and sympy.simplify(rows - cols) != 0:
            problem = f"the trace of a {_shape_text(value)} matrix: it must be square"
        if problem is not None:
            self.fail(problem, head)
        if self.in_matrices:
            return sympy.Trace(value)
        i = sympy.Dummy("i", integer=True)
        return sympy.Sum(value[i, i], (i, 0, rows - 1))

    def softmax(self, value, head) -> sympy.Expr:
        """softmax(z) = exp(z) / Σₖ exp(zₖ) of a vector z: a vector of the same length."""
        if not is_array(value) or value.shape[1] != 1:
            self.fail("the softmax is of a vector: declare its shape with --shape", head)
        if self.in_matrices:
            return Softmax(value)
        k = sympy.Dummy("k", integer=True)
        total = sympy.Sum(sympy.exp(value[k, 0]), (k, 0, value.shape[0] - 1))
        return value.applyfunc(sympy.exp) / total

    def number_from(self, value, source_end: int | None = None) -> sympy.Expr:
        """The loss read: a number, with every array written as its elements; a vector or
        matrix is refused (derive differentiates a number)."""
        if any(_unknown_length(s) for s in value.free_symbols):
            self.fail(
                "the length of the vector of ones \\mathbf{1} cannot be told: it must multiply "
                "or be added to a vector",
                col=0,
                end=source_end,
            )
        if is_array(value):
            if value.shape != (1, 1):
                self.fail(
                    f"the loss is {describe(value)}, not a number: take its norm (\\|…\\|) or "
                    "its sum, or write w^T x for a product",
                    col=0,
                    end=source_end,
                )
            value = MatrixElement(value, 0, 0) if self.in_matrices else value[0, 0]
        if self.in_matrices:
            return value
        try:
            return in_index_form(value)
        except (TypeError, ValueError, NotImplementedError, AttributeError):  # log(w), w^{x}
            self.fail(
                "a vector or matrix where a number is needed: derive reads vectors in "
                "products, norms and the functions it applies to each element (σ, tanh, ReLU)",
                col=0,
                end=source_end,
            )
            raise AssertionError from None  # unreachable


ONES_LENGTH = "ones"  # the name of a vector of ones' length until what it meets gives it


def _unknown_length(dim) -> bool:
    return isinstance(dim, sympy.Dummy) and dim.name == ONES_LENGTH


def _ones_lengths(value: sympy.MatrixExpr) -> sympy.MatrixExpr:
    """A vector of ones given the length of what it multiplies or is added to."""
    lengths = {}
    for node in sympy.preorder_traversal(value):
        pairs = []
        if isinstance(node, sympy.MatMul):
            factors = [a for a in node.args if isinstance(a, sympy.MatrixExpr)]
            pairs = [(a.shape[1], b.shape[0]) for a, b in zip(factors, factors[1:], strict=False)]
        elif isinstance(node, sympy.MatAdd):
            pairs = [
                p for a in node.args[1:] for p in zip(node.args[0].shape, a.shape, strict=True)
            ]
        for a, b in pairs:
            if _unknown_length(a) and b != a:
                lengths.setdefault(a, b)
            elif _unknown_length(b) and a != b:
                lengths.setdefault(b, a)
    return value.xreplace(lengths) if lengths else value


def _differ(first: tuple, second: tuple) -> bool:
    """Whether two shapes differ (d and d agree; d and n do not)."""
    return any(sympy.simplify(a - b) != 0 for a, b in zip(first, second, strict=True))


def _shape_text(value) -> str:
    rows, cols = value.shape
    return f"{rows}×{cols}"


def shape_problem(expr: sympy.MatrixExpr) -> str | None:
    """Why the shapes in ``expr`` do not fit (a sum of different shapes, a product whose inner
    dimensions differ), or None; SymPy builds such expressions without checking them."""
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.MatAdd):
            shapes = {a.shape for a in node.args}
            if len(shapes) > 1:
                listed = " and ".join(sorted(_shape_text(a) for a in node.args))
                return f"a sum of a {listed} (rows × columns): the shapes must be equal"
        if isinstance(node, sympy.MatMul):
            matrices = [a for a in node.args if isinstance(a, sympy.MatrixExpr)]
            for left, right in zip(matrices, matrices[1:], strict=False):
                if sympy.simplify(left.shape[1] - right.shape[0]) != 0:
                    return (
                        f"a product of a {_shape_text(left)} and a {_shape_text(right)} "
                        "(rows × columns): the inner dimensions differ"
                    )
    return None
