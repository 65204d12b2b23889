"""The one rule table: each rule registered against the SymPy head it differentiates.

A rule is a small function ``(expr, var) -> Outer | Expansion`` whose docstring is its formula:

* ``Outer(inner=u, derivative=f'(u))`` for a function of one inner expression; the engine
  applies the chain rule when ``u`` is not the variable itself.
* ``Expansion(parts, combine)`` for a combination: the engine differentiates each part, and
  ``combine`` turns the parts' derivatives into this expression's derivative.

Non-smooth rules also register ``kinks``: where their derivative switches, and how.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy

from derive.errors import DeriveError

T = sympy.Dummy("t", real=True)  # the parameter of a subgradient: the slope chosen at a kink


@dataclass(frozen=True)
class Outer:
    """f(u): the inner expression u and the outer derivative f'(u)."""

    inner: sympy.Expr
    derivative: sympy.Expr


@dataclass(frozen=True)
class Expansion:
    """A combination: the parts to differentiate and how their derivatives combine."""

    parts: tuple[sympy.Expr, ...]
    combine: Callable[[Sequence[sympy.Expr]], sympy.Expr]
    regions: tuple[sympy.Basic, ...] | None = None  # where each part applies (Piecewise)


@dataclass(frozen=True)
class KinkSpec:
    """Where a non-smooth rule's derivative switches: ``where`` = 0.

    At the kink each switching atom of the derivative takes a value in terms of ``T`` with
    ``low ≤ T ≤ high`` (``choices``); every such value is a subgradient. A ``jump`` has none.
    """

    where: sympy.Expr
    kind: str = "kink"
    choices: tuple[tuple[sympy.Expr, sympy.Expr], ...] = ()
    low: sympy.Expr = sympy.S.Zero
    high: sympy.Expr = sympy.S.One
    equation: tuple[sympy.Expr, sympy.Expr] | None = None  # (lhs, rhs) as the user would write it


@dataclass(frozen=True)
class Rule:
    """A row of the rule table."""

    name: str
    formula: str  # LaTeX
    apply: Callable
    heads: tuple[type, ...] = ()
    when: Callable | None = None
    kinks: Callable | None = None
    family: str = ""
    priority: int = 0

    @property
    def statement(self) -> str:
        """The rule's formula in plain text: its function's docstring."""
        return " ".join((self.apply.__doc__ or "").split())


RULES: list[Rule] = []


def chain_rule(expr, var):
    """d/dx f(u) = f'(u) · du/dx: applied by the engine to every rule that gives f'(u)"""
    raise NotImplementedError("the engine applies the chain rule")


CHAIN_RULE = Rule(
    "chain rule", r"\frac{d}{dx} f(u) = f'(u)\,\frac{du}{dx}", chain_rule, family="engine"
)


class UnknownHead(DeriveError):
    """An expression whose head no rule differentiates."""


def rule(*heads: type, name: str, formula: str, when=None, kinks=None, priority: int = 0):
    """Register the decorated function as the rule for ``heads`` (or, with no heads, for any
    expression that ``when(expr, var)`` accepts). Among rules for one head, those with a
    higher ``priority`` are tried first, then table order."""

    def register(function):
        family = function.__module__.rsplit(".", 1)[-1]
        RULES.append(Rule(name, formula, function, heads, when, kinks, family, priority))
        return function

    return register


def find_rule(expr: sympy.Expr, var: sympy.Symbol) -> Rule:
    """The rule that differentiates ``expr`` with respect to ``var``."""
    _load_rules()
    for candidate in RULES:
        if not candidate.heads and candidate.when(expr, var):
            return candidate
    ordered = sorted(RULES, key=lambda r: -r.priority)
    for head in type(expr).__mro__:
        for candidate in ordered:
            if head in candidate.heads and (candidate.when is None or candidate.when(expr, var)):
                return candidate
    raise UnknownHead(f"derive has no rule for {type(expr).__name__} (in {expr})")


def rule_named(name: str) -> Rule:
    """The rule called ``name``."""
    _load_rules()
    return next(r for r in RULES if r.name == name)


def all_rules() -> list[Rule]:
    """Every rule, in table order, the chain rule first."""
    _load_rules()
    return [CHAIN_RULE, *RULES]


def _load_rules() -> None:
    """Import every family, so that each registers its rules (once: imports are cached)."""
    from rules import arithmetic, elementary, functions, neural, nonsmooth  # noqa: F401
