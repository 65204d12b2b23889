"""The generated module's interface and needs: its parameters (the loss's symbols, and the
values of unknown functions and their derivatives), the helper functions its expressions call
(``_sigmoid``, ``_erf``), and the names those leave taken."""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy.core.function import AppliedUndef

from derive import notation as names
from derive import printing
from derive.codegen.stable import stabilised
from derive.model import Derivation
from derive.substitution import replaced
from rules.registry import entry_for

RESERVED = {"np", "loss", "gradient", "shape", "value", "PARAMETERS", "WRT", "SYMBOLS", "_clipped"}


@dataclass(frozen=True)
class Parameter:
    """An argument of ``loss`` and ``gradient``: a symbol, or the value of an unknown function
    (or of one of its derivatives) at the point."""

    name: str
    latex: str
    atom: sympy.Expr
    meaning: str = ""


def _derivative_name(atom: sympy.Expr) -> str:
    if isinstance(atom, sympy.Subs):
        derivative = atom.args[0]
        function = derivative.expr
        index = function.args.index(atom.args[1][0]) + 1
        order = sum(n for _, n in derivative.variable_count)
        return f"d{order if order > 1 else ''}{function.func.__name__}_d{index}"
    order = sum(n for _, n in atom.variable_count)
    wrt = "".join(f"{v.name}{n if n > 1 else ''}" for v, n in atom.variable_count)
    return f"d{order if order > 1 else ''}{atom.expr.func.__name__}_d{wrt}"


def _unknowns(expr: sympy.Expr) -> set:
    """The values of unknown functions and of their derivatives in ``expr``; the function
    inside a derivative, f(ξ) in Subs(f'(ξ), ξ, u), is not one of them."""
    found, stack = set(), [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, (sympy.Derivative, sympy.Subs, AppliedUndef)):
            found.add(node)
        else:
            stack.extend(node.args)
    return found


def atom_of(var: sympy.Expr) -> sympy.Symbol:
    """The parameter a variable is part of: the array w of an element wₖ, else itself."""
    return var.base.label if isinstance(var, sympy.Indexed) else var


def parameters(d: Derivation) -> list[Parameter]:
    """The arguments, in order: the variables of WRT, the other symbols (sorted), then the
    values of unknown functions and of their derivatives."""
    exprs = [d.expr, *(p.formula for p in d.partials)]
    taken: set[str] = RESERVED | imported_names(exprs)
    found: list[Parameter] = []

    def add(ident: str, latex: str, atom, meaning: str = "") -> None:
        name = names.make_safe(ident)
        while name in taken:
            name += "_"
        taken.add(name)
        found.append(Parameter(name, latex, atom, meaning))

    found_atoms = set().union(*(_unknowns(e) for e in exprs))
    derivatives = sorted((a for a in found_atoms if not isinstance(a, AppliedUndef)), key=str)
    functions = sorted((a for a in found_atoms if isinstance(a, AppliedUndef)), key=str)
    opaque = {a: sympy.Dummy() for a in derivatives + functions}  # w inside m_x(w) is no argument
    symbols = {
        s
        for e in exprs
        for s in e.xreplace(opaque).free_symbols
        if isinstance(s, sympy.Symbol) and not isinstance(s, sympy.Dummy) and not s.is_integer
    }  # an array x (of the elements xᵢ) by its name; no index i nor bound N
    wrt = [atom_of(p.var) for p in d.partials if atom_of(p.var) in symbols]
    for symbol in wrt + sorted(symbols - set(wrt), key=lambda s: s.name):
        add(symbol.name, d.spellings.get(symbol.name, symbol.name), symbol)
    for function in functions:
        latex = _plain_latex(function, d)
        add(function.func.__name__, latex, function, f"the value of {latex}")
    for derivative in derivatives:
        latex = _plain_latex(derivative, d)
        add(_derivative_name(derivative), latex, derivative, f"the value of {latex}")
    return found


def _plain_latex(expr: sympy.Expr, d: Derivation) -> str:
    """LaTeX without sizing commands: m_x(w), m_x'(w)."""
    latex = printing.latex(expr, d.spellings)
    return latex.replace(r"\left(", "(").replace(r"\right)", ")")


def to_parameters(params: list[Parameter]):
    """A function rewriting an expression in the parameters' symbols (derivatives first,
    since m_x'(w) contains m_x(w)), then into its stable form."""
    symbols = {p.atom: sympy.Symbol(p.name, real=True) for p in params}
    derivatives = {
        a: s for a, s in symbols.items() if isinstance(a, (sympy.Derivative, sympy.Subs))
    }
    values = {a: s for a, s in symbols.items() if a not in derivatives}

    def rewrite(expr: sympy.Expr) -> sympy.Expr:
        return stabilised(replaced(replaced(expr, derivatives), values))

    return rewrite


def imported_names(exprs) -> set[str]:
    """``math`` when a helper the expressions need uses it (erf): a parameter must not hide it."""
    return {"math"} if any("math." in helper for helper in helpers(exprs)) else set()


def helpers(exprs) -> list[str]:
    """The helper functions (``_sigmoid``) the printed expressions call, once each, in order."""
    found: list[str] = []
    for expr in exprs:
        for node in sympy.preorder_traversal(expr):
            entry = entry_for(node)
            if entry is not None and entry.numpy_helper and entry.numpy_helper not in found:
                found.append(entry.numpy_helper)
    return found
