"""One line of Unicode for a terminal, in the input's own spellings: ŷ, s_c, Δ; 2x, x^2,
a·b; m_x′(w); ∂/∂w[…] for a derivative still to be worked out."""

from __future__ import annotations

import re

import sympy
from sympy.core.function import AppliedUndef
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter

from derive.notation import latex_to_text
from derive.printing.functions import by_entry, positive_first, unknown_partial


class NotesTextPrinter(StrPrinter):
    """One-line Unicode for a terminal, in the input's own spellings."""

    def __init__(self, spellings: dict[str, str], partial: bool = True):
        super().__init__({"order": None})
        self.spellings = spellings
        self.partial = partial

    def _print(self, expr, **kwargs):
        if isinstance(expr, sympy.Indexed):  # before SymPy's own x[i] (Indexed._sympystr)
            return self._print_Indexed(expr)
        printed = by_entry(expr, "text", self._print)
        return super()._print(expr, **kwargs) if printed is None else printed

    def _as_ordered_terms(self, expr, order=None):
        return positive_first(super()._as_ordered_terms(expr, order=order))

    def _print_Symbol(self, expr):
        if expr.name in self.spellings:
            return latex_to_text(self.spellings[expr.name])
        return expr.name

    _print_Dummy = _print_Symbol

    def _print_Indexed(self, expr):
        base = self._print_Symbol(expr.base.label)
        return base + "_" + "".join(self._print(i) for i in expr.indices)

    def _print_MatrixSymbol(self, expr):
        return self._print_Symbol(expr)

    def _print_Transpose(self, expr):
        return f"{self.parenthesize(expr.arg, PRECEDENCE['Pow'])}ᵀ"

    def _print_MatMul(self, expr):
        coefficient, *factors = expr.as_coeff_mmul()[0], *expr.as_coeff_mmul()[1].args
        rest = "·".join(self.parenthesize(a, PRECEDENCE["Mul"]) for a in factors)
        if coefficient == 1:
            return rest
        if coefficient == -1:
            return f"−{rest}"
        return f"{self.parenthesize(coefficient, PRECEDENCE['Mul'])}{rest}"

    def _print_MatAdd(self, expr):
        text = ""
        printed_terms = sorted((self._print(t) for t in expr.args), key=lambda p: p[:1] == "−")
        for printed in printed_terms:
            if text and printed.startswith("−"):
                text += f" − {printed[1:]}"
            else:
                text += f" + {printed}" if text else printed
        return text

    def _print_HadamardProduct(self, expr):
        return " ∘ ".join(self.parenthesize(a, 50) for a in expr.args)

    def _print_HadamardPower(self, expr):
        return f"{self.parenthesize(expr.base, 1000)}^∘{self._print(expr.exp)}"

    def _print_OneMatrix(self, expr):
        return "𝟏ᵀ" if expr.shape[0] == 1 and expr.shape[1] != 1 else "𝟏"

    def _print_MatrixElement(self, expr):
        if expr.parent.shape == (1, 1):  # uᵀv: the number it is
            return f"({self._print(expr.parent)})"
        return super()._print_MatrixElement(expr)

    def _print_NormSquared(self, expr):
        return f"‖{self._print(expr.args[0])}‖²"

    def _print_OneNorm(self, expr):
        return f"‖{self._print(expr.args[0])}‖₁"

    def _print_Trace(self, expr):
        return f"tr({self._print(expr.arg)})"

    def _print_Identity(self, expr):
        return "I"

    def _print_ElementwiseApplyFunction(self, expr):
        return self._print(expr.function.expr.xreplace({expr.function.variables[0]: expr.expr}))

    def _print_Number(self, expr):
        inner = expr.args[0]
        printed = self._print(inner)
        return printed if isinstance(inner, sympy.MatrixSymbol) else f"({printed})"

    def _print_KroneckerDelta(self, expr):
        return "δ_" + "".join(self._print(i) for i in expr.args)

    def _print_Sum(self, expr):
        text = f"[{self._print(expr.function)}]"
        for index, low, high in expr.limits:  # the innermost first: wrapped by the outer
            text = f"Σ_{{{self._print(index)}={self._print(low)}}}^{{{self._print(high)}}}{text}"
        return text

    def _function_name(self, function) -> str:
        name = function.__name__
        return latex_to_text(self.spellings[name]) if name in self.spellings else name

    def _args(self, args) -> str:
        return ", ".join(self._print(a) for a in args)

    def _print_Function(self, expr):
        if isinstance(expr, AppliedUndef):
            return f"{self._function_name(expr.func)}({self._args(expr.args)})"
        return f"{expr.func.__name__}({self._args(expr.args)})"

    def _print_Interval(self, expr):
        left = "(" if expr.left_open else "["
        right = ")" if expr.right_open else "]"
        return f"{left}{self._print(expr.start)}, {self._print(expr.end)}{right}"

    def _d(self, var) -> str:
        symbol = "∂" if self.partial else "d"
        return f"{symbol}/{symbol}{self._print(var)}"

    def _print_Derivative(self, expr):
        inner, counts = expr.expr, expr.variable_count
        if isinstance(inner, AppliedUndef):
            name = self._function_name(inner.func)
            if len(inner.args) == 1 and len(counts) == 1:
                return f"{name}{'′' * counts[0][1]}({self._print(inner.args[0])})"
            bottom = "".join(f"∂{self._print(v)}" + (f"^{n}" if n > 1 else "") for v, n in counts)
            return f"∂{name}/{bottom}({self._args(inner.args)})"
        if len(counts) == 1 and counts[0][1] == 1:
            body = self._print(inner)
            if isinstance(inner, sympy.Symbol):  # an intermediate of a chain: ∂s/∂w
                symbol = "∂" if self.partial else "d"
                return f"{symbol}{body}/{symbol}{self._print(counts[0][0])}"
            delimited = (sympy.Function, sympy.Abs, sympy.Max, sympy.Min)
            if inner.is_Atom or isinstance(inner, delimited) or inner.is_Pow and inner.base.is_Atom:
                return f"{self._d(counts[0][0])} {body}"
            return f"{self._d(counts[0][0])}[{body}]"
        return super()._print_Derivative(expr)

    def _print_Subs(self, subs):
        parts = unknown_partial(subs)
        if parts is not None:
            function, index, n, args = parts
            name = self._function_name(function)
            if len(args) == 1:
                return f"{name}{'′' * n}({self._print(args[0])})"
            return f"∂_{index} {name}({self._args(args)})"
        return super()._print_Subs(subs)

    def _print_Piecewise(self, expr):
        parts = []
        for value, condition in expr.args:
            where = "otherwise" if condition == sympy.true else f"if {self._print(condition)}"
            parts.append(f"{self._print(value)} {where}")
        return "{" + "; ".join(parts) + "}"

    def _print_Relational(self, expr):
        symbols = {"==": "=", "!=": "≠", "<=": "≤", ">=": "≥", "<": "<", ">": ">"}
        return f"{self._print(expr.lhs)} {symbols[expr.rel_op]} {self._print(expr.rhs)}"

    def _print_And(self, expr):
        return " and ".join(self._print(a) for a in expr.args)

    def _print_Or(self, expr):
        return " or ".join(self._print(a) for a in expr.args)

    def _print_Not(self, expr):
        return f"not ({self._print(expr.args[0])})"

    def doprint(self, expr) -> str:
        text = super().doprint(expr)
        text = text.replace("**", "^")
        text = re.sub(r"(?<![\w.^])(\d+)\*(?=[^\d(])", r"\1", text)  # 2*x → 2x, not x^2*y → x^2y
        text = text.replace("*", "·")
        text = re.sub(r"(^|[\s(\[{,])-", r"\1−", text)
        return text.replace(" - ", " − ")
