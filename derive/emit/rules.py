"""The rule table, as printed by ``derive rules``: each rule's formula, computed from the rule
itself (so the formula shown is the one the code applies), and its statement."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sympy
from sympy.core.function import AppliedUndef

from derive import printing
from rules.matrices import GradientOf, specimens
from rules.registry import Rule, all_rules, formula


def _textbook(expr: sympy.Expr, var: sympy.Symbol) -> sympy.Expr:
    """u(x) written u and its derivative du/dx, as a calculus table writes them."""
    functions = [f for f in expr.atoms(AppliedUndef) if f.args == (var,)]
    names = {f: f.func.__name__ for f in functions}
    slopes = {
        sympy.Derivative(f, var): sympy.Symbol(rf"\frac{{d {n}}}{{d {var.name}}}")
        for f, n in names.items()
    }
    return expr.xreplace(slopes).xreplace({f: sympy.Symbol(n) for f, n in names.items()})


def latex_formula(rule: Rule) -> str:
    """d/dx of the rule's specimen = what the rule gives, as LaTeX."""
    expr, var, rhs = formula(rule)
    expr, rhs = _textbook(expr, var), _textbook(rhs, var)
    specimen = printing.latex(expr, {}, partial=False)
    if expr.is_Add or expr.is_Mul or isinstance(expr, sympy.Piecewise):
        specimen = rf"\left({specimen}\right)"
    d = rf"\frac{{d}}{{d {printing.latex(var, {})}}}"
    return rf"{d} {specimen} = {printing.latex(rhs, {}, partial=False)}"


@dataclass(frozen=True)
class Row:
    """A row of the table: a rule's name, family, formula (LaTeX) and statement."""

    name: str
    family: str
    latex: str
    statement: str


def matrix_formula(node: sympy.Expr, children: list) -> str:
    """P = node: ∂L/∂child = its gradient, for each child, as LaTeX."""
    loss = sympy.Symbol("L")
    parts = [
        f"{printing.latex(GradientOf(loss, child), {})} = {printing.latex(gradient, {})}"
        for child, gradient in children
    ]
    return rf"P = {printing.latex(node, {})}:\quad " + r",\quad ".join(parts)


def table_rows() -> list[Row]:
    """The rules for numbers (derivative by a variable), then the rules of backpropagation
    in matrix form (from a node's gradient G to its children's)."""
    rows = [Row(r.name, r.family, latex_formula(r), r.statement) for r in all_rules()]
    rows += [
        Row(name, "matrices", matrix_formula(node, children), statement)
        for name, statement, node, children in specimens()
    ]
    return rows


def render(format_: str = "text") -> str:
    """Every rule with its statement: text, LaTeX (a tabular), Markdown or JSON."""
    table = [(r, r.latex) for r in table_rows()]
    if format_ == "json":
        rows = [
            {"rule": r.name, "family": r.family, "latex": tex, "statement": r.statement}
            for r, tex in table
        ]
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    if format_ == "markdown":
        lines = ["| rule | family | statement |", "|---|---|---|"]
        lines += [f"| {r.name} | {r.family} | ${tex}$ |" for r, tex in table]
        return "\n".join(lines) + "\n"
    if format_ == "latex":
        lines = [r"\begin{tabular}{ll}", r"\textbf{rule} & \textbf{statement} \\ \hline"]
        lines += [rf"{r.name} & ${tex}$ \\" for r, tex in table]
        lines.append(r"\end{tabular}")
        return "\n".join(lines) + "\n"
    width = max(len(r.name) for r, _ in table) + 2
    lines = []
    for r, tex in table:
        lines.append(f"{r.name.ljust(width)}{tex}")
        lines.append(f"{'':{width}}{r.statement}")
    return "\n".join(lines) + "\n"
