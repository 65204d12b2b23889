"""Sigmoid and softplus: the smooth functions of neural networks, which SymPy lacks.

Each is a SymPy function of derive's own (its value at 0, its sign) next to its entry: the
derivative rule, how it is read and printed, its stable NumPy form. ReLU is in ``nonsmooth``.
"""

from __future__ import annotations

import sympy

from rules.registry import OwnFunction, derivative


class sigmoid(OwnFunction):
    """σ(u) = 1 / (1 + e^(−u)), the logistic sigmoid."""

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sympy.S.Half
        return None

    def _eval_is_positive(self):
        return self.args[0].is_real


class softplus(OwnFunction):
    """softplus(u) = log(1 + e^u)."""

    @classmethod
    def eval(cls, u):
        if u.is_zero:
            return sympy.log(2)
        return None

    def _eval_is_positive(self):
        return self.args[0].is_real


SIGMOID_HELPER = '''
def _sigmoid(u):
    """σ(u) = 1 / (1 + e^(−u)) without overflow: e^(−|u|) never exceeds 1."""
    e = np.exp(-np.abs(u))
    return np.where(u >= 0, 1, e) / (1 + e)
'''


@derivative(
    sigmoid,
    name="sigmoid",
    names=("sigmoid",),
    letters=("sigma",),
    reading=(
        r"\sigma(u) = \frac{1}{1 + e^{-u}}",
        "is the logistic sigmoid",
        "σ(u) = 1/(1 + e^(−u))",
    ),
    elementary=lambda u: 1 / (1 + sympy.exp(-u)),
    text="σ",
    latex=r"\sigma",
    numpy="_sigmoid",
    numpy_helper=SIGMOID_HELPER,
)
def sigmoid_rule(u):
    """d/du σ(u) = σ(u) · (1 − σ(u))"""
    return sigmoid(u) * (1 - sigmoid(u))


@derivative(
    softplus,
    name="softplus",
    names=("softplus",),
    elementary=lambda u: sympy.log(1 + sympy.exp(u)),
    text="softplus",
    latex=r"\operatorname{softplus}",
    numpy=lambda p, e: f"np.logaddexp(0, {p(e.args[0])})",
)
def softplus_rule(u):
    """d/du softplus(u) = d/du ln(1 + eᵘ) = σ(u)"""
    return sigmoid(u)
