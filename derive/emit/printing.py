"""SymPy's printers, taught the input's spellings and the notation of lecture notes.

* names print as the user wrote them (``\\hat{y}``, ``s_c``, ``\\Delta``; in text ŷ, s_c, Δ);
* sums print positive terms first (``m_x(w) - t``, not ``-t + m_x(w)``);
* the derivative of an unknown function prints as ``m_x'(w)``; a derivative still to be
  worked out as ``∂/∂w (…)``; H(u) for Heaviside, 1[u > 0] for ReLU's step.
"""

from __future__ import annotations

import re

import sympy
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from derive.names import latex_to_text


def unknown_partial(subs: sympy.Subs):
    """SymPy's Subs(Derivative(f(ξ, y), ξ), ξ, u) as (f, the argument's position from 1, the
    order, the arguments with u put in): f'(u) or ∂₁f(u, y); None for any other Subs."""
    derivative, variables, points = subs.args
    if len(variables) != 1 or not isinstance(derivative, sympy.Derivative):
        return None
    function, (dummy,), (point,) = derivative.expr, variables, points
    if not isinstance(function, AppliedUndef) or dummy not in function.args:
        return None
    order = sum(k for _, k in derivative.variable_count)
    args = [point if a == dummy else a for a in function.args]
    return function.func, function.args.index(dummy) + 1, order, args


def _needs_parentheses(expr) -> bool:
    return expr.is_Add or expr.is_Mul or isinstance(expr, sympy.Piecewise)


def numbers_last(args):
    """Arguments with the numbers at the end: max(u, 0), as people write it."""
    return [a for a in args if not a.is_number] + [a for a in args if a.is_number]


def positive_first(terms):
    """Terms with a plus sign first: m - t rather than -t + m."""
    return [t for t in terms if not t.could_extract_minus_sign()] + [
        t for t in terms if t.could_extract_minus_sign()
    ]


class NotesLatexPrinter(LatexPrinter):
    """LaTeX for lecture notes, in the input's own spellings."""

    def __init__(self, spellings: dict[str, str], partial: bool = True):
        super().__init__({"mul_symbol": None, "ln_notation": False})
        self.spellings = spellings
        self.partial = partial

    def _as_ordered_terms(self, expr, order=None):
        return positive_first(super()._as_ordered_terms(expr, order=order))

    def _print_Symbol(self, expr, style="plain"):
        if expr.name in self.spellings:
            return self.spellings[expr.name]
        return super()._print_Symbol(expr, style=style)

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

    def _print_Heaviside(self, expr, exp=None):
        u, at_zero = expr.args
        if at_zero == 0:
            text = rf"\mathbf{{1}}\left[{self._print(u)} > 0\right]"
        else:
            text = rf"H\left({self._print(u)}\right)"
        return text if exp is None else rf"{text}^{{{exp}}}"

    def _print_Max(self, expr, exp=None):
        text = rf"\max\left({self._args(numbers_last(expr.args))}\right)"
        return text if exp is None else rf"{text}^{{{exp}}}"

    def _print_Min(self, expr, exp=None):
        text = rf"\min\left({self._args(numbers_last(expr.args))}\right)"
        return text if exp is None else rf"{text}^{{{exp}}}"

    def _print_sign(self, expr, exp=None):
        text = rf"\operatorname{{sign}}\left({self._print(expr.args[0])}\right)"
        return text if exp is None else rf"{text}^{{{exp}}}"


class NotesTextPrinter(StrPrinter):
    """One-line Unicode for a terminal, in the input's own spellings."""

    def __init__(self, spellings: dict[str, str], partial: bool = True):
        super().__init__({"order": None})
        self.spellings = spellings
        self.partial = partial

    def _as_ordered_terms(self, expr, order=None):
        return positive_first(super()._as_ordered_terms(expr, order=order))

    def _print_Symbol(self, expr):
        if expr.name in self.spellings:
            return latex_to_text(self.spellings[expr.name])
        return expr.name

    _print_Dummy = _print_Symbol

    def _function_name(self, function) -> str:
        name = function.__name__
        return latex_to_text(self.spellings[name]) if name in self.spellings else name

    def _args(self, args) -> str:
        return ", ".join(self._print(a) for a in args)

    def _print_Function(self, expr):
        if isinstance(expr, AppliedUndef):
            return f"{self._function_name(expr.func)}({self._args(expr.args)})"
        names = {"sigmoid": "σ", "relu": "ReLU", "softplus": "softplus", "Max": "max", "Min": "min"}
        name = names.get(expr.func.__name__, expr.func.__name__)
        return f"{name}({self._args(expr.args)})"

    def _print_Abs(self, expr):
        return f"|{self._print(expr.args[0])}|"

    def _print_Interval(self, expr):
        left = "(" if expr.left_open else "["
        right = ")" if expr.right_open else "]"
        return f"{left}{self._print(expr.start)}, {self._print(expr.end)}{right}"

    def _print_Max(self, expr):
        return f"max({self._args(numbers_last(expr.args))})"

    def _print_Min(self, expr):
        return f"min({self._args(numbers_last(expr.args))})"

    def _print_Heaviside(self, expr):
        u, at_zero = expr.args
        if at_zero == 0:
            return f"1[{self._print(u)} > 0]"
        return f"H({self._print(u)})"

    def _print_exp(self, expr):
        return f"exp({self._print(expr.args[0])})"

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
        text = re.sub(r"(?<![\w.])(\d+)\*(?=[^\d(])", r"\1", text)  # 2*x → 2x
        text = text.replace("*", "·")
        text = re.sub(r"(^|[\s(\[{,])-", r"\1−", text)
        return text.replace(" - ", " − ")


def latex(expr: sympy.Basic, spellings: dict[str, str], partial: bool = True) -> str:
    """``expr`` as LaTeX in the input's spellings."""
    return NotesLatexPrinter(spellings, partial).doprint(expr)


def text(expr: sympy.Basic, spellings: dict[str, str], partial: bool = True) -> str:
    """``expr`` as one line of Unicode in the input's spellings."""
    return NotesTextPrinter(spellings, partial).doprint(expr)
