"""Sigmoid and softplus: the smooth functions of neural networks (ReLU is in ``nonsmooth``)."""

from __future__ import annotations

from derive.functions import sigmoid, softplus
from rules.registry import Outer, rule


@rule(
    sigmoid,
    name="sigmoid",
    formula=r"\frac{d}{du}\sigma(u) = \sigma(u)\,\bigl(1 - \sigma(u)\bigr)",
)
def sigmoid_rule(expr, var):
    """d/du σ(u) = σ(u) · (1 − σ(u))"""
    (u,) = expr.args
    return Outer(u, sigmoid(u) * (1 - sigmoid(u)))


@rule(
    softplus,
    name="softplus",
    formula=r"\frac{d}{du}\operatorname{softplus}(u) = \sigma(u)",
)
def softplus_rule(expr, var):
    """d/du softplus(u) = d/du ln(1 + eᵘ) = σ(u)"""
    (u,) = expr.args
    return Outer(u, sigmoid(u))
