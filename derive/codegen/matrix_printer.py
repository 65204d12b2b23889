"""Matrix expressions of named arrays as NumPy source: ``@`` for products, ``.mT`` for
transposes, ``*`` for the Hadamard product, a function of each element as NumPy applies it,
the softmax by a stable helper. Vectors are columns and numbers have two trailing axes of
length 1 (``derive.codegen.matrices``)."""

from __future__ import annotations

import sympy
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct

from rules.matrices import LogSoftmax, Softmax

SOFTMAX_HELPERS = '''
def _softmax(z):
    """e^z / Σ e^z down each column, shifted by the largest z so that e^z never overflows."""
    e = np.exp(z - np.max(z, axis=-2, keepdims=True))
    return e / np.sum(e, axis=-2, keepdims=True)


def _log_softmax(z):
    """z − log Σ e^z down each column, shifted by the largest z (no log of an underflow)."""
    shifted = z - np.max(z, axis=-2, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-2, keepdims=True))
'''


class MatrixPrinter:
    """Matrix expressions as NumPy source, each argument and named node by its name."""

    def __init__(self, code_name, as_code, printer, matrices):
        """``code_name``: each symbol's name in code; ``as_code``: a number's expression in
        the module's terms; ``printer``: the NumPy printer for numbers; ``matrices``: the
        matrix symbols by name, in the order of the parameters."""
        self.code_name, self.as_code, self.printer = code_name, as_code, printer
        self.matrices = matrices
        self.printed: list[sympy.Expr] = []
        self.helpers: set[str] = set()

    def scalar(self, expr: sympy.Expr) -> str:
        """A number (or an elementwise expression of named arrays) as NumPy."""
        code = self.as_code(expr)
        self.printed.append(code)
        return self.printer.doprint(code)

    def _atom(self, expr) -> str:
        code = self.code(expr)
        plain = (sympy.MatrixSymbol, sympy.Symbol, sympy.Transpose, Softmax, sympy.OneMatrix)
        if isinstance(expr, plain + (sympy.Identity,)):
            return code
        if isinstance(expr, ElementwiseApplyFunction) and isinstance(
            expr.function.expr, sympy.Function
        ):
            return code  # one call: _sigmoid(t1)
        return f"({code})"

    def code(self, expr) -> str:
        """A matrix expression of named arrays as NumPy: @, .mT, * for ∘."""
        if not isinstance(expr, sympy.MatrixExpr):
            return self.scalar(expr)
        if isinstance(expr, sympy.MatrixSymbol):
            return self.code_name.get(expr.name, expr.name)
        if isinstance(expr, sympy.MatAdd):
            terms = sorted(expr.args, key=lambda t: _negated(t) is not None)  # Xw − y
            code = self.code(terms[0])
            for term in terms[1:]:
                negated = _negated(term)
                code += (
                    f" - {self._atom(negated)}" if negated is not None else f" + {self.code(term)}"
                )
            return code
        if isinstance(expr, sympy.MatMul):
            number = sympy.Mul(*(a for a in expr.args if not isinstance(a, sympy.MatrixExpr)))
            product = self._product([a for a in expr.args if isinstance(a, sympy.MatrixExpr)])
            if number == 1:
                return product
            if number == -1:
                return f"-{product}"
            shown = self.scalar(number)
            shown = f"({shown})" if isinstance(number, sympy.Add) else shown
            return f"{shown} * {product}"
        if isinstance(expr, sympy.Transpose):
            return f"{self._atom(expr.arg)}.mT"
        if isinstance(expr, HadamardProduct):
            return " * ".join(self._atom(a) for a in expr.args)
        if isinstance(expr, HadamardPower):
            return f"{self._atom(expr.base)}**{self.scalar(expr.exp)}"
        if isinstance(expr, ElementwiseApplyFunction):
            (t,) = expr.function.variables
            inner = sympy.Symbol(self.code(expr.expr), real=True)
            return self.scalar(expr.function.expr.xreplace({t: inner}))
        if isinstance(expr, Softmax):  # LogSoftmax too
            helper = "_log_softmax" if isinstance(expr, LogSoftmax) else "_softmax"
            self.helpers.add(SOFTMAX_HELPERS)
            return f"{helper}({self.code(expr.arg)})"
        if isinstance(expr, sympy.Identity):
            return f"np.eye({self._length(expr.rows)})"
        if isinstance(expr, sympy.OneMatrix):
            return f"np.ones(({self._length(expr.rows)}, {self._length(expr.cols)}))"
        raise NotImplementedError(type(expr).__name__)

    def _product(self, factors: list) -> str:
        """A @ B @ …; 𝟏ᵀ·X as the sums down X's columns; a product ending in a column
        vector grouped from the right (A @ (B @ v): no matrix-by-matrix product)."""
        for k, factor in enumerate(factors[:-1]):
            if isinstance(factor, sympy.OneMatrix) and factor.shape[0] == 1:
                summed = f"np.sum({self._product(factors[k + 1 :])}, axis=-2, keepdims=True)"
                return " @ ".join([*(self._atom(f) for f in factors[:k]), summed])
        codes = [self._atom(f) for f in factors]
        if len(codes) > 2 and factors[-1].shape[1] == 1:
            grouped = f"{codes[-2]} @ {codes[-1]}"
            for code in reversed(codes[:-2]):
                grouped = f"{code} @ ({grouped})"
            return grouped
        return " @ ".join(codes)

    def _length(self, dim) -> str:
        """A dimension (d) as the length of an argument's axis (``w.shape[-2]``)."""
        if dim.is_Integer:
            return str(dim)
        for matrix in self.matrices.values():
            for axis, length in zip((-2, -1), matrix.shape, strict=True):
                if length == dim:
                    return f"{self.code_name[matrix.name]}.shape[{axis}]"
        raise NotImplementedError(f"the length {dim}")


def _negated(term):
    """−A for a term written −1·A, else None."""
    if isinstance(term, sympy.MatMul) and term.args and term.args[0] == -1:
        rest = term.args[1:]
        return rest[0] if len(rest) == 1 else sympy.MatMul(*rest)
    return None
