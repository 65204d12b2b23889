"""The derivation as data: frozen dataclasses, and nothing else.

What was read (``Loss``: the expression, each name's spelling, the reading notes, room for
definitions and shapes), and what was derived (``Step`` trees, ``Kink``s, ``Case``s,
``Partial``s, the ``Derivation``). Everything here is plain data: no differentiating, proving
or printing, and no import of the rest of derive.

A ``Step`` says d(expr)/d(var) = rewrite = result: the rule applied with the inner derivatives
still pending (``rewrite``), and the evaluated answer (``result``). Steps nest as a tree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import sympy

PROVED, CHECKED, FAILED, UNVERIFIED = "proved", "checked", "failed", "unverified"
SCALAR: tuple = ()  # the shape of a scalar symbol


@dataclass(frozen=True)
class Reading:
    """How a piece of notation was read: ``math`` (LaTeX), a sentence about it, and
    ``plain``, the math for a terminal."""

    math: str
    text: str
    plain: str

    def __str__(self) -> str:
        return f"{self.plain} {self.text}"


@dataclass(frozen=True)
class Definition:
    """A name given to an expression (``s = \\sigma(w x + b)``, ``m_x(w) = w x``): the
    defined symbol or function, its parameters, the expression, and the LaTeX it came from."""

    name: sympy.Basic
    expr: sympy.Expr
    parameters: tuple[sympy.Symbol, ...] = ()
    source: str = ""
    application: sympy.Expr | None = None  # m_x(w), for a defined function applied to w


@dataclass(frozen=True)
class Loss:
    """What was read: the expression, each name's LaTeX spelling, and notes on the reading.

    ``name`` is the left-hand side when the input was ``J = …``; ``fractions`` the
    sub-expressions written as ``\\frac{…}{…}``; ``definitions`` the names the loss leaves
    open and their meaning (``--where``); ``shapes`` each symbol's shape (absent: a scalar);
    ``restated`` the other sides of an ``=`` chain (``L = A = B``), each to equal ``expr``.
    With definitions, ``expr`` is in the inputs only and ``top`` is the loss in the names
    of its intermediates; each definition uses only those before it.
    """

    source: str
    expr: sympy.Expr
    spellings: dict[str, str]
    readings: tuple[Reading, ...] = ()
    name: str | None = None
    fractions: frozenset = frozenset()
    definitions: tuple[Definition, ...] = ()
    shapes: dict[str, tuple] = field(default_factory=dict)
    restated: tuple[sympy.Expr, ...] = ()
    top: sympy.Expr | None = None
    in_matrices: sympy.Expr | None = None  # with shapes: the loss as matrix expressions (Xw − y)
    matrix_names: tuple = ()  # (a definition's value in matrix form, its name): s = uᵀσ(Wx + b)

    @property
    def loss_symbol(self) -> sympy.Symbol:
        """The symbol that stands for the loss in a chain (∂L/∂a): its name (L, J, \\ell),
        else L; never a name the loss already uses."""
        name = "".join(c for c in (self.name or "L") if c.isalnum() or c == "_") or "L"
        taken = {s.name for s in self.expr.free_symbols} | {d.name.name for d in self.definitions}
        while name in taken:
            name += "_"
        return sympy.Symbol(name, real=True)

    @property
    def intermediates(self) -> dict[sympy.Symbol, Definition]:
        """Each defined name and its definition."""
        return {d.name: d for d in self.definitions}

    @property
    def symbols(self) -> list[sympy.Symbol]:
        """The free real symbols of the loss, sorted by name: not the arrays indexed in a sum
        (x in xᵢ) nor the whole numbers that count its terms (N)."""
        arrays = {b.label for b in self.expr.atoms(sympy.IndexedBase)}
        return sorted(
            (
                s
                for s in self.expr.free_symbols
                if isinstance(s, sympy.Symbol) and s not in arrays and not s.is_integer
            ),
            key=lambda s: s.name,
        )

    def shape(self, symbol: sympy.Symbol) -> tuple:
        """The shape of ``symbol``: () for a scalar."""
        return self.shapes.get(symbol.name, SCALAR)


@dataclass(frozen=True)
class Step:
    """One rule applied: d(expr)/d(var) = rewrite = result.

    ``rule`` is the rule object of the vocabulary (``rules.registry.Rule``): its ``name`` is
    shown, and a ``trivial`` rule (a constant, the variable) is worked out at once.
    ``outer`` marks the outer function of a chain rule, differentiated in its own variable.
    """

    rule: Any
    expr: sympy.Expr
    var: sympy.Symbol
    rewrite: sympy.Expr
    result: sympy.Expr
    substeps: tuple[Step, ...] = ()
    verified: str = UNVERIFIED
    outer: bool = False

    @property
    def pending(self) -> sympy.Expr:
        """How this derivative appears before it is worked out: d(expr)/d(var), unevaluated;
        constants and the variable itself are worked out at once."""
        if self.rule.trivial:
            return self.result
        return sympy.Derivative(self.expr, self.var)

    def walk(self) -> Iterator[Step]:
        """This step and all below it, parents first; a step shared by several parents
        (a sub-expression met twice, an upstream gradient of a chain) once."""
        seen: set[int] = set()
        pending = [self]
        while pending:
            step = pending.pop()
            if id(step) in seen:
                continue
            seen.add(id(step))
            yield step
            pending.extend(reversed(step.substeps))


@dataclass(frozen=True)
class Kink:
    """A place where the loss may not be differentiable with respect to one variable.

    ``condition`` is where (a SymPy relation, possibly with the region it applies in);
    ``kind`` is ``kink`` (continuous, the one-sided derivatives differ), ``jump``
    (discontinuous) or ``join`` (branches of a cases expression meet). ``subgradient``
    holds the ends of the interval of subgradients of the whole partial derivative there,
    when derive could compute them; ``convention`` the value the derivative formula gives
    there, by the convention stated in ``convention_text`` (``sign(0) = 0``).
    """

    condition: sympy.Basic
    source: sympy.Expr
    kind: str
    subgradient: tuple[sympy.Expr, sympy.Expr] | None = None
    convention: sympy.Expr | None = None
    note: str = ""
    convention_text: str = ""


@dataclass(frozen=True)
class Case:
    """The derivative's value in one region (the cases form), and how it was verified."""

    where: sympy.Basic
    value: sympy.Expr
    verified: str = UNVERIFIED


@dataclass(frozen=True)
class Partial:
    """The derivative of the loss with respect to one variable.

    ``formula`` is the result as derived (and simplified when that was proved), ``result``
    the same in the requested form; ``verified`` the weakest verdict of the steps from the
    loss to ``result`` (and of the cases, when shown). With definitions, ``step`` goes
    through the chain, ``in_intermediates`` is the result in their names (as backpropagation
    computes it) and ``formula`` the same in the inputs.
    """

    var: sympy.Symbol
    step: Step
    result: sympy.Expr
    kinks: tuple[Kink, ...] = ()
    cases: tuple[Case, ...] = ()
    verified: str = UNVERIFIED
    formula: sympy.Expr | None = None
    in_intermediates: sympy.Expr | None = None  # with definitions: in their names
    compared: str | None = None  # with definitions: the result in the inputs against SymPy's
    matrix: sympy.Expr | None = None  # by an element w_k: the same as a matrix expression
    matrix_verified: str = UNVERIFIED
    matrix_steps: tuple = ()  # backpropagation in matrix form (``derive.proof.matrix_steps``)
    matrix_steps_verified: str = UNVERIFIED  # their result against the index form

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step, parents first."""
        return tuple(self.step.walk())


@dataclass(frozen=True)
class Derivation:
    """A loss and its partial derivatives, each derived step by step and verified."""

    loss: Loss
    partials: tuple[Partial, ...]
    form: str | None = None
    options: dict = field(default_factory=dict)
    domain: tuple[sympy.Basic, ...] = ()  # where the loss is real, when not everywhere

    @property
    def source(self) -> str:
        return self.loss.source

    @property
    def expr(self) -> sympy.Expr:
        return self.loss.expr

    @property
    def spellings(self) -> dict[str, str]:
        return self.loss.spellings

    @property
    def readings(self) -> tuple[Reading, ...]:
        return self.loss.readings

    @property
    def name(self) -> str | None:
        return self.loss.name

    def __getitem__(self, var) -> Partial:
        """The partial derivative with respect to ``var`` (a symbol or its name)."""
        name = getattr(var, "name", var)
        for partial in self.partials:
            if partial.var.name == name or self.spellings.get(partial.var.name) == name:
                return partial
        raise KeyError(var)

    @property
    def results(self) -> dict[str, sympy.Expr]:
        """Each variable's name and its derivative."""
        return {p.var.name: p.result for p in self.partials}

    @property
    def result(self) -> sympy.Expr:
        """The derivative, when there is one variable (else see ``results``)."""
        return self._single().result

    @property
    def steps(self) -> tuple[Step, ...]:
        """The steps of the derivative, when there is one variable (else see ``partials``)."""
        return self._single().steps

    def _single(self) -> Partial:
        if len(self.partials) != 1:
            names = ", ".join(p.var.name for p in self.partials)
            raise AttributeError(
                f"the loss has several variables ({names}): use .results, .partials or d['name']"
            )
        return self.partials[0]
