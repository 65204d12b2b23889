"""The bridge to latex2sympy2_extended: flat products, fractions and powers, with every
operand a ``\\variable{…}`` placeholder, are parsed by the library; the placeholders' values
are put back, with a guard on powers too large to build.

The library parses operator structure only and never sees nesting (its parser slows down
exponentially with nested braces); its errors come back with the column in the input.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import sympy

from derive.errors import ParseError
from derive.read.arrays import applied_to_each

# Commands the library applies without parentheses: \sin x, \ln x, \log_2 x.
PAREN_FREE = {
    "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh",
    "tanh", "exp", "ln", "log",
}  # fmt: skip
MAX_DIGITS = 2000


@dataclass
class Fragment:
    """A flat piece of LaTeX for latex2sympy2_extended, and where each character came from."""

    text: list[str] = field(default_factory=list)
    origins: list[int] = field(default_factory=list)
    operand_count: int = 0
    last_is_operand: bool = False

    def add(self, text: str, col: int, operand: bool = False) -> None:
        self.text.append(text)
        self.origins.extend([col] * len(text))
        if operand:
            self.operand_count += 1
        self.last_is_operand = operand

    def replace_last(self, text: str) -> None:
        """Put ``text`` in place of the last piece (a transposed operand), same columns."""
        old = self.text[-1]
        col = self.origins[-len(old)] if old and self.origins else 0
        del self.origins[len(self.origins) - len(old) :]
        self.origins.extend([col] * len(text))
        self.text[-1] = text

    @property
    def source(self) -> str:
        return "".join(self.text)


class BridgeReading:
    """Placeholders and the library (a mixin of the reader)."""

    def placeholder(self, value: sympy.Basic) -> str:
        key = f"Q{len(self.values)}"
        self.values[key] = value
        return r"\variable{" + key + "}"

    def parse_fragment(self, fragment: Fragment) -> sympy.Expr:
        text = fragment.source
        try:
            raw = flat_product(text)
            raw = _latex2sympy(text) if raw is None else raw
        except Exception as error:  # the library raises bare Exceptions with a caret drawing
            column = _caret_column(str(error))
            col = (
                fragment.origins[min(column, len(fragment.origins) - 1)]
                if column is not None and fragment.origins
                else None
            )
            self.fail("cannot read this", col=col)
        return self.rebuild(raw)

    def rebuild(self, expr):
        """Put the placeholders' values back, evaluating bottom-up with a guard on huge powers."""
        if isinstance(expr, sympy.Symbol) and expr.name in self.values:
            return self.values[expr.name]
        if not expr.args:
            return expr
        args = [self.rebuild(a) for a in expr.args]
        if isinstance(expr, sympy.Pow):
            refuse_huge_power(*args, source=self.source)
        arrays = [a for a in args if isinstance(a, sympy.MatrixExpr)]
        if arrays and isinstance(expr, sympy.Function):  # \ln w of a vector: of each element
            others = [a for a in args if a is not arrays[0]]
            if len(arrays) > 1 or not all(a.is_number for a in others):
                raise ParseError("a function of several vectors is not supported", self.source, 0)
            position = args.index(arrays[0])
            return applied_to_each(
                arrays[0], lambda t: expr.func(*args[:position], t, *args[position + 1 :])
            )
        try:
            return expr.func(*args)
        except (ValueError, TypeError, NotImplementedError) as error:  # 1/w of a vector w, or
            # a comparison SymPy makes on the way
            raise ParseError(f"cannot form this expression: {error}", self.source, 0) from None


_OPERAND = r"\\variable\{(Q\d+)\}"
_FACTOR = re.compile(rf"{_OPERAND}(?:\^\{{{_OPERAND}\}})?|\\frac\{{{_OPERAND}\}}\{{{_OPERAND}\}}")
_TIMES = re.compile(r"\\(?:cdot|times) *")


def flat_product(text: str) -> sympy.Expr | None:
    """The commonest fragments read without the library (importing it and its ANTLR parser
    is a fifth of a command's start): a product of placeholders, each alone, to the power of
    one, or a fraction of two, side by side or joined by ``\\cdot`` or ``\\times``. The
    same SymPy expression as the library's (a test compares them); None for anything else."""
    factors, at = [], 0
    while True:
        found = _FACTOR.match(text, at)
        if found is None:
            return None
        base, exponent, top, bottom = (
            None if name is None else sympy.Symbol(name, real=True) for name in found.groups()
        )
        if top is not None:
            factors.append(sympy.Mul(top, sympy.Pow(bottom, -1)))
        else:
            factors.append(base if exponent is None else sympy.Pow(base, exponent))
        at = found.end()
        if at == len(text):
            return factors[0] if len(factors) == 1 else sympy.Mul(*factors)
        joined = _TIMES.match(text, at)
        at = joined.end() if joined else at


def _latex2sympy(text: str):
    from latex2sympy2_extended import latex2sympy
    from latex2sympy2_extended.latex2sympy2 import ConversionConfig

    config = ConversionConfig(lowercase_symbols=False, interpret_as_mixed_fractions=False)
    return latex2sympy(text, is_real=True, normalization_config=None, conversion_config=config)


def _caret_column(message: str) -> int | None:
    last = message.rstrip().splitlines()[-1] if message.strip() else ""
    if last.strip("~").startswith("^"):
        return last.index("^")
    return None


def refuse_huge_power(base, exponent, source: str) -> None:
    """Refuse a power whose exact value would have more than MAX_DIGITS digits, before SymPy
    builds it: 2^{15000}, (2x)^{15000} (SymPy writes 2^15000·x^15000), √2^{100000}."""
    if not (exponent.is_Number and exponent.is_finite and abs(exponent) > 1):
        return  # nan (e^{cos(log 0)}) is refused later, as an undefined loss
    coefficient = base if base.is_number else base.as_coeff_Mul()[0]
    if coefficient.is_Float or not coefficient.is_number:
        return  # a float power is a float; a symbol's power is no number
    magnitude = abs(complex(sympy.N(coefficient, 5)))
    if magnitude in (0.0, 1.0) or not math.isfinite(magnitude):
        return
    digits = float(abs(exponent)) * abs(math.log10(magnitude))
    if digits > MAX_DIGITS:
        raise ParseError(
            f"a number in the loss would have about {digits:.3g} digits; "
            f"derive refuses numbers over {MAX_DIGITS} digits",
            source,
            0,
        )


def is_placeholder(text: str) -> bool:
    return text.startswith(r"\variable{") and text.endswith("}") and "{" not in text[10:]


def placeholder_name(text: str) -> str:
    return text.strip()[len(r"\variable{") : -1]


def is_number_placeholder(fragment: Fragment, values: dict) -> bool:
    last = fragment.text[-1] if fragment.text else ""
    if not last.startswith(r"\variable{"):
        return False
    value = values.get(placeholder_name(last))
    return value is not None and value.is_Number
