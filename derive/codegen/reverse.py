"""Reverse mode, for losses whose partial derivatives written out cost far more than the loss.

A product x₁x₂…xₙ has n partial derivatives of n − 1 factors each: n(n − 1) multiplications
written out, where the loss needs n − 1. Reverse mode computes each piece of the loss once
(the forward pass) and then, piece by piece in reverse order, how much the loss changes with
each piece (its adjoint, the backward pass):

    ∂L/∂u = Σ over the pieces v that use u of  ∂L/∂v · ∂v/∂u

The loss is cut into pieces at its long products: a product of many factors that depend on
the variables becomes a chain p₁ = u₁·u₂, p₂ = p₁·u₃, … Each local derivative ∂v/∂u is derived
by derive's own rules, so that kinks follow the same conventions as the derivation. The
gradient then costs a few times the loss (Griewank's cheap-gradient principle).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import sympy
from sympy.core.function import AppliedUndef

from derive.deadline import check
from rules.neural import sigmoid

MIN_FACTORS = 4  # a product of fewer factors is cheaper written out than as a chain
# Functions whose nests are cut into a piece per application when the formulas cost too much:
# each derivative reuses the piece's value or is one call (σ' = s(1 − s), tanh' = 1 − a²).
NESTED_HEADS = (sigmoid, sympy.tanh, sympy.sin, sympy.cos, sympy.atan, sympy.Abs)


@dataclass(frozen=True)
class Piece:
    """``symbol = expr``: one statement of the forward pass."""

    symbol: sympy.Symbol
    expr: sympy.Expr


@dataclass(frozen=True)
class Adjoint:
    """``symbol = expr``: ∂L/∂of, the sum of what each piece using ``of`` passes back
    (``users``: those pieces, None for the loss itself)."""

    symbol: sympy.Symbol
    expr: sympy.Expr
    of: sympy.Symbol
    users: tuple[sympy.Symbol | None, ...]


class Unstable(Exception):
    """An adjoint that divides by a piece (∂L/∂s = −y/s + … where s = σ(z) rounds to 0)
    even after it is multiplied into the local derivatives and cancelled."""


def applies(expr: sympy.Expr, variables: list[sympy.Symbol]) -> bool:
    """Whether ``expr`` has a long product of factors that depend on ``variables``, and no
    unknown function (whose derivatives are the module's parameters, named per partial)."""
    if expr.has(AppliedUndef, sympy.Derivative, sympy.Subs):
        return False
    wanted = set(variables)
    return any(
        sum(1 for f in m.args if f.free_symbols & wanted) >= MIN_FACTORS
        for m in expr.atoms(sympy.Mul)
    )


def pieces(
    expr: sympy.Expr,
    variables: list[sympy.Symbol],
    fresh: Iterator[sympy.Symbol],
    heads: tuple[type, ...] = (),
) -> tuple[list[Piece], sympy.Expr]:
    """The forward pass: the pieces, in the order they are computed, and the loss in them.
    Long products are cut into chains; so is each application of one of ``heads`` (save
    inside a logarithm, where log σ(z) stays whole to be computed stably), each once."""
    found: list[Piece] = []
    depends = set(variables)
    known: dict[sympy.Expr, sympy.Symbol] = {}

    def name(value: sympy.Expr) -> sympy.Symbol:
        if value in known:
            return known[value]
        symbol = known[value] = next(fresh)
        depends.add(symbol)
        found.append(Piece(symbol, value))
        return symbol

    def cut(node: sympy.Basic, in_log: bool = False) -> sympy.Basic:
        check()
        if not node.args or not node.free_symbols & depends:
            return node
        args = [cut(a, isinstance(node, sympy.log)) for a in node.args]
        if isinstance(node, sympy.Mul):
            bound = [a for a in args if a.free_symbols & depends]
            if len(bound) >= MIN_FACTORS:
                free = [a for a in args if not a.free_symbols & depends]
                return sympy.Mul(*free, quotient(bound))
        rebuilt = node.func(*args) if args != list(node.args) else node
        if heads and isinstance(node, heads) and not in_log:
            return name(rebuilt)
        return rebuilt

    def chained(factors: list[sympy.Expr]) -> sympy.Expr | None:
        """p₁ = u₁·u₂, p₂ = p₁·u₃, …: the last piece (None for no factors)."""
        chain = [f if f.is_Symbol else name(f) for f in factors]
        product = chain[0] if chain else None
        for factor in chain[1:]:
            product = name(product * factor)
        return product

    def quotient(factors: list[sympy.Expr]) -> sympy.Expr:
        """The numerator's chain over the denominator's: a·b·c/(d·g), not a·b·c·d⁻¹·g⁻¹."""
        below = [f.is_Pow and f.exp.is_Number and f.exp.is_negative for f in factors]
        numerator = chained([f for f, b in zip(factors, below, strict=True) if not b])
        denominator = chained([f.base**-f.exp for f, b in zip(factors, below, strict=True) if b])
        if denominator is None:
            return numerator
        return name((numerator if numerator is not None else sympy.S.One) / denominator)

    return found, cut(expr)


def backward(
    forward: list[Piece],
    loss: sympy.Expr,
    variables: list[sympy.Symbol],
    adjoint_symbol: Callable[[sympy.Symbol], sympy.Symbol],
    derivative: Callable[[sympy.Expr, sympy.Symbol], sympy.Expr],
    divisors: set[sympy.Expr] = frozenset(),
) -> tuple[list[Adjoint], dict[sympy.Symbol, Adjoint]]:
    """The backward pass: the adjoint of each piece that depends on the variables, in reverse
    order, and each variable's partial derivative as the adjoint it receives (0 for a
    variable the loss does not use). ``derivative(expr, u)`` gives each local derivative
    (``engine.derivative``, given by the caller: printers import no engine).

    Each local derivative is written in the pieces where it holds one (σ(z)(1 − σ(z)) as
    s(1 − s)). An adjoint that divides by a piece where the partial derivatives do not
    (``divisors``: the factors they divide by, in the inputs) is not computed on its own:
    it is multiplied into its piece's local derivatives and cancelled there (x(s − y), not
    (−y/s + (1 − y)/(1 − s))·s(1 − s)·x, which is 0/0 where s rounds to 0); ``Unstable``
    when such a division is left."""
    depends = set(variables)
    for piece in forward:
        if piece.expr.free_symbols & depends:
            depends.add(piece.symbol)
    by_value = {piece.expr: piece.symbol for piece in forward}
    by_symbol = {piece.symbol: piece.expr for piece in forward}
    pieces = set(by_symbol)

    @functools.cache
    def in_inputs(expr: sympy.Expr) -> sympy.Expr:
        return expr.xreplace({s: in_inputs(by_symbol[s]) for s in expr.free_symbols & pieces})

    def unsafe(expr: sympy.Expr) -> bool:
        """Whether ``expr`` divides by a piece where the partial derivatives do not."""
        return any(
            base.free_symbols & pieces
            and not {f.as_base_exp()[0] for f in sympy.Mul.make_args(in_inputs(base))}
            <= divisors | {sympy.S.One, sympy.S.NegativeOne}
            for base in denominators([expr])
        )

    passed: dict[sympy.Symbol, list[tuple[sympy.Symbol | None, sympy.Expr]]] = defaultdict(list)

    def pass_back(user, expr: sympy.Expr, adjoint: sympy.Expr, fused: bool = False) -> None:
        for u in sorted(expr.free_symbols & depends, key=lambda s: s.name):
            check()
            local = derivative(expr, u).xreplace(by_value)
            if local == 0:
                continue
            share = adjoint * local
            if fused:
                share = sympy.factor_terms(sympy.cancel(share))
                if unsafe(share):
                    raise Unstable(f"∂L/∂{u} divides by a piece: {share}")
            passed[u].append((user, share))

    pass_back(None, loss, sympy.S.One)
    adjoints = []
    for piece in reversed(forward):
        if piece.symbol not in passed:
            continue  # the loss does not depend on it through the variables
        users, shares = zip(*passed.pop(piece.symbol), strict=True)
        total = sympy.factor_terms(sympy.Add(*shares))
        if total.is_Atom or unsafe(total):  # 1, or 1/s: no statement of its own
            pass_back(piece.symbol, piece.expr, total, fused=not total.is_Atom)
            continue
        adjoint = Adjoint(adjoint_symbol(piece.symbol), total, piece.symbol, users)
        adjoints.append(adjoint)
        pass_back(piece.symbol, piece.expr, adjoint.symbol)
    partials = {}
    for v in variables:
        users, shares = zip(*passed.get(v, [(None, sympy.S.Zero)]), strict=True)
        partials[v] = Adjoint(v, sympy.Add(*shares), v, users)
    return adjoints, partials


def denominators(exprs) -> set[sympy.Expr]:
    """The factors ``exprs`` divide by: d and g in a/(d·g²), 1 + x² in 1/(1 + x²)."""
    found = set()
    for expr in exprs:
        for power in expr.atoms(sympy.Pow):
            if power.exp.is_negative:
                found |= {f.as_base_exp()[0] for f in sympy.Mul.make_args(power.base)}
    return found


def used_pieces(forward: list[Piece], needed: set[sympy.Symbol]) -> list[Piece]:
    """The pieces that the statements using ``needed`` need, in order."""
    kept = []
    for piece in reversed(forward):
        if piece.symbol in needed:
            kept.insert(0, piece)
            needed |= piece.expr.free_symbols
    return kept
