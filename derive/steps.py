"""The derivation as data: frozen dataclasses, and nothing else.

A ``Step`` says d(expr)/d(var) = rewrite = result: the rule applied with the inner derivatives
still pending (``rewrite``), and the evaluated answer (``result``). Steps nest as a tree.
A ``Partial`` is one variable's derivative with its steps, kinks and cases; a ``Derivation``
is the whole answer for one loss.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import sympy

PROVED, CHECKED, FAILED, UNVERIFIED = "proved", "checked", "failed", "unverified"


@dataclass(frozen=True)
class Step:
    """One rule applied: d(expr)/d(var) = rewrite = result."""

    rule: str
    expr: sympy.Expr
    var: sympy.Symbol
    rewrite: sympy.Expr
    result: sympy.Expr
    substeps: tuple[Step, ...] = ()
    verified: str = UNVERIFIED
    outer: bool = False  # the outer function of a chain rule, differentiated in its own variable

    def walk(self) -> Iterator[Step]:
        """This step and all below it, parents first."""
        yield self
        for sub in self.substeps:
            yield from sub.walk()


@dataclass(frozen=True)
class Kink:
    """A place where the loss may not be differentiable with respect to one variable.

    ``condition`` is where (a SymPy relation, possibly with the region it applies in);
    ``kind`` is ``kink`` (continuous, the one-sided derivatives differ), ``jump``
    (discontinuous) or ``join`` (branches of a cases expression meet). ``subgradient``
    holds the ends of the interval of subgradients of the whole partial derivative there,
    when derive could compute them.
    """

    condition: sympy.Basic
    source: sympy.Expr
    kind: str
    subgradient: tuple[sympy.Expr, sympy.Expr] | None = None
    convention: sympy.Expr | None = None  # the value the derivative formula gives there
    note: str = ""


@dataclass(frozen=True)
class Partial:
    """The derivative of the loss with respect to one variable."""

    var: sympy.Symbol
    step: Step
    result: sympy.Expr
    kinks: tuple[Kink, ...] = ()
    cases: tuple[tuple[sympy.Basic, sympy.Expr], ...] = ()
    verified: str = UNVERIFIED  # the final result against sympy.diff
    formula: sympy.Expr | None = None  # the result as derived (and simplified), before any form

    @property
    def steps(self) -> tuple[Step, ...]:
        """Every step, parents first."""
        return tuple(self.step.walk())


@dataclass(frozen=True)
class Derivation:
    """A loss and its partial derivatives, each derived step by step and verified.

    Print it with ``.text()``, ``.latex()``, ``.markdown()``, ``.html()`` or ``.to_json()``;
    in Jupyter it shows itself as LaTeX.
    """

    source: str
    expr: sympy.Expr
    spellings: dict[str, str]
    partials: tuple[Partial, ...]
    readings: tuple = ()
    name: str | None = None
    form: str | None = None
    options: dict = field(default_factory=dict)

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

    def text(self) -> str:
        from derive.emit import text

        return text.render(self)

    def latex(self, standalone: bool = False) -> str:
        from derive.emit import latex

        return latex.render(self, standalone=standalone)

    def markdown(self) -> str:
        from derive.emit import markdown

        return markdown.render(self)

    def html(self) -> str:
        from derive.emit import html

        return html.render(self)

    def to_json(self) -> str:
        from derive.emit import json

        return json.render(self)

    def to_dict(self) -> dict:
        from derive.emit import json

        return json.as_dict(self)

    def code(self) -> str:
        """A Python module (NumPy only) computing the loss and this gradient."""
        from derive import codegen

        return codegen.module_source(self)

    def compile(self):
        """The module of ``code()``, loaded from that source: ``.loss``, ``.gradient``."""
        from derive import codegen

        return codegen.compile_module(self.code())

    def _repr_latex_(self) -> str:
        from derive.emit import latex

        return latex.render_for_notebook(self)

    def __str__(self) -> str:
        return self.text()
