"""The statements of a generated function: shared subexpressions as named temporaries
(common-subexpression elimination), and lines kept short by naming large pieces."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from derive.codegen.numpy_printer import NumPyCode
from derive.codegen.text import WIDTH
from derive.deadline import attempt, check

TEMPORARY_NAMES = ("u", "v", "z", "p", "q", "r", "a", "c", "k", "m", "n", "g", "h")
CSE_SECONDS = 3.0


@dataclass(frozen=True)
class Statement:
    """``name = expr``, with an optional comment."""

    name: str
    expr: sympy.Expr
    comment: str = ""


def temporaries(taken: set[str]):
    for name in TEMPORARY_NAMES:
        if name not in taken:
            yield sympy.Symbol(name, real=True)
    k = 1
    while True:
        for name in TEMPORARY_NAMES:
            if f"{name}{k}" not in taken:
                yield sympy.Symbol(f"{name}{k}", real=True)
        k += 1


def body(
    outputs: list[Statement], taken: set[str], printer: NumPyCode, ignore=()
) -> list[Statement]:
    """Statements computing ``outputs``: shared subexpressions first, as temporaries, and
    lines kept within WIDTH by naming large pieces. A shared subexpression holding a symbol
    of ``ignore`` is not named (an output computed before its use may be one)."""
    names_used = set(taken) | {s.name for s in outputs}
    symbols = temporaries(names_used)
    exprs = [s.expr for s in outputs]
    if any(e.has(sympy.Sum, sympy.Indexed) for e in exprs):
        return list(outputs)  # a piece holding xᵢ means nothing outside its sum over i
    replacements, reduced = attempt(  # without shared temporaries when CSE takes too long
        lambda: sympy.cse(exprs, symbols=symbols, order="none", ignore=tuple(ignore)),
        ([], exprs),
        CSE_SECONDS,
    )
    replacements, reduced = _values_only(replacements, reduced)
    statements = [Statement(str(sym), expr) for sym, expr in replacements]
    statements += [Statement(s.name, e, s.comment) for s, e in zip(outputs, reduced, strict=True)]
    return _short(statements, symbols, printer)


def short_lines(statements: list[Statement], taken: set[str], printer: NumPyCode):
    """``statements`` as they are, save that a line longer than WIDTH is split by naming
    large pieces of it."""
    symbols = temporaries(set(taken) | {s.name for s in statements})
    return _short(statements, symbols, printer)


def _short(statements: list[Statement], symbols, printer: NumPyCode) -> list[Statement]:
    short: list[Statement] = []
    for statement in statements:
        short.extend(_split(statement, symbols, printer))
    return short


def _values_only(replacements, reduced):
    """Put back the temporaries that are not values (a branch of a cases expression)."""
    kept, inline = [], {}
    for symbol, expr in replacements:
        expr = expr.xreplace(inline)
        if isinstance(expr, sympy.functions.elementary.piecewise.ExprCondPair):
            inline[symbol] = expr
        else:
            kept.append((symbol, expr))
    return kept, [e.xreplace(inline) for e in reduced]


def _split(statement: Statement, symbols, printer: NumPyCode) -> list[Statement]:
    """``statement`` as several, when its line would be longer than WIDTH."""
    check()  # long sums are split piece by piece: the request's deadline still holds
    line = f"    {statement.name} = {printer.doprint(statement.expr)}"
    if len(line) <= WIDTH or statement.expr.is_Atom:
        return [statement]
    pieces = [  # only values become temporaries, not the branches of cases
        a
        for a in sympy.preorder_traversal(statement.expr)
        if a is not statement.expr and isinstance(a, sympy.Expr) and not a.is_Atom
    ]
    for piece in sorted(pieces, key=lambda a: len(printer.doprint(a)), reverse=True):
        if len(printer.doprint(piece)) <= WIDTH - 12:
            temporary = next(symbols)
            rest = Statement(
                statement.name, statement.expr.xreplace({piece: temporary}), statement.comment
            )
            return _split(Statement(str(temporary), piece), symbols, printer) + _split(
                rest, symbols, printer
            )
    return [statement]  # an atom longer than a line (a huge number): left as it is
