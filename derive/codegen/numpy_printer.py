"""SymPy to NumPy source, written as a person would: ``1 / x``, ``np.where`` for two cases,
and each function as its vocabulary entry says (``np.maximum``, ``np.heaviside(u, 0.5)``,
a stable ``_sigmoid``)."""

from __future__ import annotations

import sympy
from sympy.printing.numpy import NumPyPrinter

from derive.printing.functions import by_entry, positive_first


class NumPyCode(NumPyPrinter):
    """SymPy to NumPy source, as a person would write it (``np.maximum``, not ``reduce``)."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "inline": True})

    def _as_ordered_terms(self, expr, order=None):
        return positive_first(super()._as_ordered_terms(expr, order=order))

    def _print(self, expr, **kwargs):
        printed = by_entry(expr, "numpy", self._print)
        return super()._print(expr, **kwargs) if printed is None else printed

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
