"""SymPy to NumPy source, written as a person would: ``1 / x``, ``np.where`` for two cases,
and each function as its vocabulary entry says (``np.maximum``, a stable ``_sigmoid``),
save the switches and softplus, written in NumPy's fast functions with the same values:

* H(u) with H(0) = 1/2 is ``0.5*np.sign(u) + 0.5`` (``np.heaviside`` is a slow loop);
* H(u) with H(0) = 0 (ReLU') is ``np.sign(np.maximum(u, 0))``, and with H(0) = 1 it is
  ``1 - np.sign(np.maximum(-u, 0))``: NaN stays NaN, as in ``np.heaviside``;
* softplus(u) = log(1 + e^u) is ``np.maximum(u, 0) + np.log1p(np.exp(-np.abs(u)))``, what
  ``np.logaddexp(0, u)`` computes, branch for branch, without its slow loop.
"""

from __future__ import annotations

import sympy
from sympy.printing.numpy import NumPyPrinter

from derive.codegen.stable import heaviside_form
from derive.printing.functions import by_entry
from rules.neural import softplus
from rules.nonsmooth import Heaviside


class NumPyCode(NumPyPrinter):
    """SymPy to NumPy source, as a person would write it (``np.maximum``, not ``reduce``)."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "inline": True})

    def _as_ordered_terms(self, expr, order=None):
        """Terms with a plus sign first, and within each sign the computed ones (products,
        calls) before the plain names and numbers: ``-w*x - b``, not ``-b - w*x``, so that
        the first operation makes an array which NumPy then reuses for the rest (it
        overwrites a temporary left operand in place)."""
        terms = super()._as_ordered_terms(expr, order=order)
        return sorted(terms, key=lambda t: (t.could_extract_minus_sign(), _plain(t)))

    def _print(self, expr, **kwargs):
        if isinstance(expr, Heaviside) and heaviside_form(expr) is not None:
            return self._fast(expr)
        if isinstance(expr, softplus):
            return self._fast(expr)
        printed = by_entry(expr, "numpy", self._print)
        return super()._print(expr, **kwargs) if printed is None else printed

    def _fast(self, expr) -> str:
        """H(u) and softplus(u) in their fast forms (``heaviside_form``, ``softplus_form``)."""
        if isinstance(expr, softplus):
            (u,) = expr.args
            return (
                f"{self._print(sympy.Max(u, 0))} + np.log1p(np.exp({self._print(-sympy.Abs(u))}))"
            )
        u, at_zero = expr.args
        if at_zero == sympy.S.Half:
            return f"0.5*np.sign({self._print(u)}) + 0.5"
        if at_zero == 0:
            return f"np.sign(np.maximum({self._print(u)}, 0))"
        return f"1 - np.sign(np.maximum({self._print(-u)}, 0))"

    def parenthesize(self, item, level, strict=False):
        """As SymPy's, save that H(u) and softplus(u), printed as sums, are a sum's level."""
        if isinstance(item, (Heaviside, softplus)) and not (
            isinstance(item, Heaviside) and item.args[1] == 0
        ):
            return f"({self._print(item)})"
        return super().parenthesize(item, level, strict)

    def _module_format(self, fqn, register=True):
        return super()._module_format(fqn, register).replace("numpy.", "np.")

    def _call(self, function: str, *args) -> str:
        return f"np.{function}({', '.join(self._print(a) for a in args)})"

    def _print_Pow(self, expr, rational=False):
        base, exponent = expr.args
        if exponent == -1:
            return f"1 / {self.parenthesize(base, 50)}"
        if exponent == sympy.S.Half:
            return self._call("sqrt", base)
        if exponent == -sympy.S.Half:
            return f"1 / {self._call('sqrt', base)}"
        if exponent.is_Integer and exponent < 0:
            return f"1 / {self.parenthesize(base, 60)}**{-exponent}"
        return f"{self.parenthesize(base, 60)}**{self.parenthesize(exponent, 60)}"

    def _print_Piecewise(self, expr):
        *branches, (last, condition) = expr.args
        otherwise = self._print(last) if condition == sympy.true else "np.nan"
        if condition != sympy.true:
            branches.append((last, condition))
        if len(branches) == 1:
            ((value, where),) = branches
            return f"np.where({self._print(where)}, {self._print(value)}, {otherwise})"
        conditions = ", ".join(self._print(c) for _, c in branches)
        values = ", ".join(self._print(v) for v, _ in branches)
        return f"np.select([{conditions}], [{values}], default={otherwise})"

    def _print_Relational(self, expr):
        return f"({self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)})"

    def _print_And(self, expr):
        return " & ".join(self._print(a) for a in expr.args)

    def _print_Or(self, expr):
        return " | ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Not(self, expr):
        return f"~({self._print(expr.args[0])})"

    def _print_BooleanTrue(self, expr):
        return "True"

    def _print_Exp1(self, expr):
        return "np.e"

    def _print_Pi(self, expr):
        return "np.pi"

    def _print_Infinity(self, expr):
        return "np.inf"

    def _print_NegativeInfinity(self, expr):
        return "-np.inf"

    def _print_ComplexInfinity(self, expr):
        return "np.nan"  # an undefined value, such as the slope of 0^t at t = 0

    _print_NaN = _print_ComplexInfinity


def _plain(term: sympy.Expr) -> bool:
    """A name or a number, maybe negated: nothing to compute."""
    return (-term if term.could_extract_minus_sign() else term).is_Atom
