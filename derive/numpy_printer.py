"""SymPy to NumPy source, written as a person would: ``np.maximum``, ``np.heaviside(u, 0.5)``,
``1 / x``, ``np.where`` for two cases, a stable ``_sigmoid``."""

from __future__ import annotations

import sympy
from sympy.printing.numpy import NumPyPrinter

from derive.emit import printing


class NumPyCode(NumPyPrinter):
    """SymPy to NumPy source, as a person would write it (``np.maximum``, not ``reduce``)."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "inline": True})

    def _as_ordered_terms(self, expr, order=None):
        return printing.positive_first(super()._as_ordered_terms(expr, order=order))

    def _module_format(self, fqn, register=True):
        return super()._module_format(fqn, register).replace("numpy.", "np.")

    def _call(self, function: str, *args) -> str:
        return f"np.{function}({', '.join(self._print(a) for a in args)})"

    def _print_Abs(self, expr):
        return self._call("abs", expr.args[0])

    def _print_sign(self, expr):
        return self._call("sign", expr.args[0])

    def _print_Heaviside(self, expr):
        u, at_zero = expr.args
        return f"np.heaviside({self._print(u)}, {float(at_zero)})"

    def _nested(self, function: str, args) -> str:
        if len(args) == 1:
            return self._print(args[0])
        return f"np.{function}({self._print(args[0])}, {self._nested(function, args[1:])})"

    def _print_Max(self, expr):
        return self._nested("maximum", printing.numbers_last(expr.args))

    def _print_Min(self, expr):
        return self._nested("minimum", printing.numbers_last(expr.args))

    def _print_sigmoid(self, expr):
        return f"_sigmoid({self._print(expr.args[0])})"  # SIGMOID, defined in the module

    def _print_softplus(self, expr):
        return f"np.logaddexp(0, {self._print(expr.args[0])})"

    def _print_relu(self, expr):
        return f"np.maximum({self._print(expr.args[0])}, 0)"

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
