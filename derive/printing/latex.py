"""LaTeX for lecture notes, in the input's own spellings.

Names print as the user wrote them (``\\hat{y}``, ``s_c``, ``\\Delta``); sums print positive
terms first (``m_x(w) - t``, not ``-t + m_x(w)``); the derivative of an unknown function
prints as ``m_x'(w)`` and a derivative still to be worked out as ``∂/∂w (…)``.
"""

from __future__ import annotations

import sympy
from sympy import Mul
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from derive.printing.functions import by_entry, positive_first, unknown_partial


def _needs_parentheses(expr) -> bool:
    return expr.is_Add or expr.is_Mul or isinstance(expr, sympy.Piecewise)


class NotesLatexPrinter(LatexPrinter):
    """LaTeX for lecture notes, in the input's own spellings."""

    def __init__(self, spellings: dict[str, str], partial: bool = True):
        super().__init__({"mul_symbol": None, "ln_notation": False})
        self.spellings = spellings
        self.partial = partial

    def _print(self, expr, **kwargs):
        printed = by_entry(expr, "latex", self._print)
        if printed is None:
            return super()._print(expr, **kwargs)
        exp = kwargs.get("exp")
        return printed if exp is None else rf"{printed}^{{{exp}}}"

    def _as_ordered_terms(self, expr, order=None):
        return positive_first(super()._as_ordered_terms(expr, order=order))

    def _print_Mul(self, expr):
        try:
            return super()._print_Mul(expr)
        except (ValueError, TypeError):
            # SymPy splits a product into a fraction by asking whether each negative exponent
            # is constant, which substitutes 0 for every symbol: e^{min(x/y, -1)} then builds
            # min(nan, -1) and raises. Such a product is printed factor by factor instead.
            coefficient, rest = expr.as_coeff_Mul()
            factors = " ".join(
                self.parenthesize(factor, PRECEDENCE["Mul"]) for factor in Mul.make_args(rest)
            )
            sign = "- " if coefficient.is_negative else ""
            if abs(coefficient) == 1:
                return sign + factors
            return f"{sign}{self._print(abs(coefficient))} {factors}"

    def _print_Symbol(self, expr, style="plain"):
        if expr.name in self.spellings:
            return self.spellings[expr.name]
        return super()._print_Symbol(expr, style=style)

    def _print_Sum(self, expr):
        if len(expr.limits) == 1:
            return super()._print_Sum(expr)
        heads = "".join(  # one \sum per index, the outermost first, as the notes write them
            rf"\sum_{{{self._print(i)}={self._print(low)}}}^{{{self._print(high)}}} "
            for i, low, high in reversed(expr.limits)
        )
        body = self._print(expr.function)
        return heads + (rf"\left({body}\right)" if expr.function.is_Add else body)

    def _print_MatrixSymbol(self, expr):
        return self._print_Symbol(expr)

    def _print_MatAdd(self, expr):
        text = ""
        printed_terms = sorted((self._print(t) for t in expr.args), key=lambda p: p[:1] == "-")
        for printed in printed_terms:
            if not text:
                text = printed
            elif printed.startswith("-"):
                text += f" - {printed[1:].lstrip()}"
            else:
                text += f" + {printed}"
        return text

    def _print_MatrixElement(self, expr):
        if expr.parent.shape == (1, 1):  # uᵀv: the number it is
            return rf"\left({self._print(expr.parent)}\right)"
        return super()._print_MatrixElement(expr)

    def _print_NormSquared(self, expr):
        return rf"\left\|{self._print(expr.args[0])}\right\|^{{2}}"

    def _print_OneNorm(self, expr):
        return rf"\left\|{self._print(expr.args[0])}\right\|_{{1}}"

    def _print_Trace(self, expr):
        return rf"\operatorname{{tr}}\left({self._print(expr.arg)}\right)"

    def _print_Identity(self, expr):
        return "I"

    def _print_OneMatrix(self, expr):
        row = expr.shape[0] == 1 and expr.shape[1] != 1
        return r"\mathbf{1}^{T}" if row else r"\mathbf{1}"

    def _print_ElementwiseApplyFunction(self, expr):
        variable = expr.function.variables[0]
        return self._print(expr.function.expr.xreplace({variable: expr.expr}))

    def _print_Number(self, expr):
        return self._print(expr.args[0])

    def _print_Indexed(self, expr):
        base = self._print_Symbol(expr.base.label)
        if "_" in base:  # x_c's element j is {x_c}_{j}: x_c_{j} is a double subscript
            base = "{" + base + "}"
        return base + "_{" + "".join(self._print(i) for i in expr.indices) + "}"

    def _function_name(self, function) -> str:
        name = function.__name__
        return self.spellings.get(name, name)

    def _args(self, args) -> str:
        return ", ".join(self._print(a) for a in args)

    def _print_Function(self, expr, exp=None):
        if isinstance(expr, AppliedUndef):
            text = rf"{self._function_name(expr.func)}\left({self._args(expr.args)}\right)"
            return text if exp is None else rf"{text}^{{{exp}}}"
        return super()._print_Function(expr, exp=exp)

    def _d(self, var) -> str:
        symbol = r"\partial" if self.partial else "d"
        return rf"\frac{{{symbol}}}{{{symbol} {self._print(var)}}}"

    def _primes(self, n: int) -> str:
        return "'" * n if n <= 3 else f"^{{({n})}}"

    def _print_Derivative(self, expr):
        inner, counts = expr.expr, expr.variable_count
        if isinstance(inner, AppliedUndef):
            name = self._function_name(inner.func)
            if len(inner.args) == 1 and len(counts) == 1:
                return (
                    rf"{name}{self._primes(counts[0][1])}\left({self._print(inner.args[0])}\right)"
                )
            order = sum(n for _, n in counts)
            top = r"\partial" + (f"^{{{order}}}" if order > 1 else "")
            bottom = " ".join(
                rf"\partial {self._print(v)}" + (f"^{{{n}}}" if n > 1 else "") for v, n in counts
            )
            return rf"\frac{{{top} {name}}}{{{bottom}}}\left({self._args(inner.args)}\right)"
        if len(counts) == 1 and counts[0][1] == 1:
            body = self._print(inner)
            if isinstance(inner, sympy.Symbol):  # an intermediate of a chain: ∂s/∂w
                symbol = r"\partial" if self.partial else "d"
                return rf"\frac{{{symbol} {body}}}{{{symbol} {self._print(counts[0][0])}}}"
            if _needs_parentheses(inner):
                body = rf"\left({body}\right)"
            return rf"{self._d(counts[0][0])} {body}"
        return super()._print_Derivative(expr)

    def _print_Subs(self, subs):
        parts = unknown_partial(subs)
        if parts is not None:
            function, index, n, args = parts
            name = self._function_name(function)
            if len(args) == 1:
                return rf"{name}{self._primes(n)}\left({self._print(args[0])}\right)"
            return rf"\partial_{{{index}}} {name}\left({self._args(args)}\right)"
        return super()._print_Subs(subs)
