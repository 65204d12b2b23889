"""SymPy functions that machine-learning notes use and SymPy lacks: sigmoid, softplus, ReLU.

Each knows its derivative (``fdiff``), its elementary rewrite (used to prove the rules
against SymPy's own calculus), its numeric value, and its LaTeX.
"""

from __future__ import annotations

import sympy


class _MLFunction(sympy.Function):
    """A real function of one real argument, evaluated numerically through its rewrite."""

    nargs = 1

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_evalf(self, prec):
        return self.elementary()._eval_evalf(prec)

    def elementary(self) -> sympy.Expr:
        """The same function written with SymPy's own functions."""
        raise NotImplementedError


class sigmoid(_MLFunction):
    """σ(u) = 1 / (1 + e^(−u)); σ'(u) = σ(u) (1 − σ(u))."""

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sympy.S.Half
        return None

    def fdiff(self, argindex=1):
        u = self.args[0]
        return sigmoid(u) * (1 - sigmoid(u))

    def elementary(self):
        return 1 / (1 + sympy.exp(-self.args[0]))

    def _eval_rewrite_as_exp(self, u, **kwargs):
        return 1 / (1 + sympy.exp(-u))

    def _eval_is_positive(self):
        return self.args[0].is_real

    def _latex(self, printer, exp=None):
        body = rf"\sigma\left({printer._print(self.args[0])}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"


class softplus(_MLFunction):
    """softplus(u) = log(1 + e^u); softplus'(u) = σ(u)."""

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sympy.log(2)
        return None

    def fdiff(self, argindex=1):
        return sigmoid(self.args[0])

    def elementary(self):
        return sympy.log(1 + sympy.exp(self.args[0]))

    def _eval_rewrite_as_log(self, u, **kwargs):
        return sympy.log(1 + sympy.exp(u))

    def _eval_is_positive(self):
        return self.args[0].is_real

    def _latex(self, printer, exp=None):
        body = rf"\operatorname{{softplus}}\left({printer._print(self.args[0])}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"


class relu(_MLFunction):
    """ReLU(u) = max(u, 0); ReLU'(u) = 1 for u > 0 and 0 for u ≤ 0 (ReLU'(0) = 0 by convention)."""

    @classmethod
    def eval(cls, u):
        if u.is_Number:
            return sympy.Max(u, 0)
        if u.is_nonnegative:
            return u
        if u.is_nonpositive:
            return sympy.S.Zero
        return None

    def fdiff(self, argindex=1):
        return sympy.Heaviside(self.args[0], 0)

    def elementary(self):
        u = self.args[0]
        return sympy.Piecewise((u, u > 0), (0, True))

    def _eval_rewrite_as_Max(self, u, **kwargs):
        return sympy.Max(u, 0)

    def _eval_rewrite_as_Piecewise(self, u, **kwargs):
        return sympy.Piecewise((u, u > 0), (0, True))

    def _eval_is_nonnegative(self):
        return self.args[0].is_real

    def _latex(self, printer, exp=None):
        body = rf"\operatorname{{ReLU}}\left({printer._print(self.args[0])}\right)"
        return body if exp is None else rf"{body}^{{{exp}}}"


ML_FUNCTIONS = (sigmoid, softplus, relu)


def to_elementary(expr: sympy.Expr) -> sympy.Expr:
    """Rewrite sigmoid, softplus and ReLU in ``expr`` with SymPy's own functions."""
    replacements = {f: f.elementary() for f in expr.atoms(*ML_FUNCTIONS)}
    if not replacements:
        return expr
    return to_elementary(expr.xreplace(replacements))


def sympy_namespace() -> dict[str, object]:
    """Names to pass as ``locals`` to ``sympy.sympify`` so that derive's strings read back."""
    return {f.__name__: f for f in ML_FUNCTIONS}
