"""The statements of a generated function: shared subexpressions as named temporaries
(common-subexpression elimination), and lines kept short by naming large pieces."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy

from derive.codegen.numpy_printer import NumPyCode
from derive.codegen.stable import clipped, heaviside_form
from derive.codegen.steps import Steps, Value
from derive.codegen.text import WIDTH
from derive.deadline import attempt, check
from derive.substitution import replaced
from rules.neural import sigmoid
from rules.nonsmooth import Heaviside, relu

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
        expr = replaced(expr, inline)
        if isinstance(expr, sympy.functions.elementary.piecewise.ExprCondPair):
            inline[symbol] = expr
        else:
            kept.append((symbol, expr))
    return kept, [replaced(e, inline) for e in reduced]


def _split(statement: Statement, symbols, printer: NumPyCode) -> list[Statement]:
    """``statement`` as several, when its line would be longer than WIDTH."""
    check()  # long sums are split piece by piece: the request's deadline still holds
    line = f"    {statement.name} = {printer.doprint(statement.expr)}"
    if len(line) <= WIDTH or statement.expr.is_Atom:
        return [statement]
    if isinstance(statement.expr, (sympy.Add, sympy.Mul)) and len(statement.expr.args) > 8:
        by_terms = _split_by_terms(statement, symbols, printer)
        if by_terms is not None:
            return by_terms
    pieces = [  # only values become temporaries, not the branches of cases
        a
        for a in sympy.preorder_traversal(statement.expr)
        if a is not statement.expr and isinstance(a, sympy.Expr) and not a.is_Atom
    ]
    for piece in sorted(pieces, key=lambda a: len(printer.doprint(a)), reverse=True):
        if len(printer.doprint(piece)) <= WIDTH - 12:
            temporary = next(symbols)
            rest = Statement(
                statement.name, replaced(statement.expr, {piece: temporary}), statement.comment
            )
            return _split(Statement(str(temporary), piece), symbols, printer) + _split(
                rest, symbols, printer
            )
    return [statement]  # an atom longer than a line (a huge number): left as it is


def _split_by_terms(statement: Statement, symbols, printer: NumPyCode) -> list[Statement] | None:
    """A long sum (or product) as partial sums that each fit on a line, then their sum:
    linear in the number of terms, where naming one largest piece at a time would print
    the whole remaining sum again for each piece (40 s for 200 squared residuals). None
    when no two terms fit on one line together."""
    expr = statement.expr
    chunks: list[list[sympy.Expr]] = [[]]
    width = 0
    for term in expr.args:
        term_width = len(printer.doprint(term)) + 3  # and " + "
        if chunks[-1] and width + term_width > WIDTH - 12:
            chunks.append([])
            width = 0
        chunks[-1].append(term)
        width += term_width
    named, parts = [], []
    for chunk in chunks:
        if len(chunk) == 1:
            parts.append(chunk[0])
            continue
        temporary = next(symbols)
        named += _split(Statement(str(temporary), expr.func(*chunk)), symbols, printer)
        parts.append(temporary)
    if not named:
        return None
    rest = Statement(statement.name, expr.func(*parts), statement.comment)
    return named + _split(rest, symbols, printer)


# ---------------------------------------------------------------- in place, for NumPy


class InPlace(Steps):
    """A function's statements as steps in place (``Steps``): each statement's chain ends
    in a line naming its value; an array is overwritten only by the statement that uses it
    last, and only where that statement uses it once; a statement whose steps would make a
    line longer than WIDTH is written as it was."""

    def __init__(self, statements, params, outputs, taken, printer: NumPyCode):
        statements = _switches(_clips_inlined(_outputs_first(statements, set(outputs)), outputs))
        names = temporaries(set(taken) | {s.name for s in statements} | set(params))
        super().__init__(printer, params, names)
        self.statements, self.owned, self.comments = statements, set(), {}
        self.last_use = {n: len(statements) for n in outputs}
        for i, s in reversed(list(enumerate(statements))):
            for symbol in s.expr.free_symbols:
                self.last_use.setdefault(symbol.name, i)

    def run(self) -> list[Statement]:
        for i, statement in enumerate(self.statements):
            self.i = i
            self._statement(statement)
        notes = self.notes | self.comments
        return [Statement(n, code, notes.get(k, "")) for k, (n, code) in enumerate(self.lines)]

    def _statement(self, statement: Statement) -> None:
        name, self.expr = statement.name, statement.expr
        start, saved = len(self.lines), (set(self.arrays), dict(self.created), self.guarded)
        self.reusable = {
            n for n in self.owned
            if self.last_use.get(n) == self.i and self.expr.count(sympy.Symbol(n, real=True)) == 1
        }  # fmt: skip
        if isinstance(self.expr, sigmoid) and statement.comment:  # s = σ(z): one call
            done = False
        else:
            done = self._bind(name, self.value(self.expr), start)
        if not done or any(len(n) + len(c) + 7 > WIDTH for n, c in self.lines[start:]):
            del self.lines[start:]  # as it was: one expression
            self.notes = {k: note for k, note in self.notes.items() if k < start}
            self.arrays, self.created, self.guarded = saved
            self.lines.append((name, self.printer.doprint(self.expr)))
            self.created[name] = len(self.lines) - 1
            self.leaves[name] = self.leaves_of(self.expr)
        if self.expr.is_Atom:  # another name for an array: neither is overwritten
            self.owned.discard(str(self.expr))
        else:
            self.owned.add(name)
        if statement.comment:
            self.comments[len(self.lines) - 1] = statement.comment
        self.meaning[name] = sympy.Symbol(name, real=True)

    def _bind(self, name: str, value: Value, start: int) -> bool:
        """The statement's value named: its array renamed if the statement made it, else the
        last step named."""
        buffer = value.buffer
        if buffer is None:
            self.lines.append((name, self.printer.doprint(value.expr)))
            self.created[name] = len(self.lines) - 1
        elif self.created.get(buffer, -1) >= start and buffer not in self.last_use:
            pattern = re.compile(rf"\b{re.escape(buffer)}\b")
            for k in range(start, len(self.lines)):
                self.lines[k] = tuple(pattern.sub(name, text) for text in self.lines[k])
        elif len(self.lines) > start and self.lines[-1][0] == buffer:
            self.lines[-1] = (name, self.lines[-1][1])
        else:
            return False
        if buffer is not None:
            self.arrays |= {name} if buffer in self.arrays else set()
            self.created.setdefault(name, self.created.get(buffer, len(self.lines) - 1))
        self.leaves[name] = value.leaves
        return True

    def free_after(self, symbol, expr) -> bool:
        name = symbol.name
        alone = self.expr.count(symbol) == expr.count(symbol)
        return name in self.owned and self.last_use.get(name) == self.i and alone


def _outputs_first(statements: list[Statement], outputs) -> list[Statement]:
    """An output that is a factor of an earlier statement, computed before it and used there:
    ``dL_db = -u`` then ``dL_dw = dL_db*x``, not ``-u*x`` and ``-u``."""
    statements = list(statements)
    for j, later in enumerate(statements):
        if later.name not in outputs or not isinstance(later.expr, sympy.Mul):
            continue
        for i in range(j):
            earlier = statements[i]
            if not isinstance(earlier.expr, sympy.Mul):
                continue
            rest = earlier.expr / later.expr
            defined = {sympy.Symbol(s.name, real=True) for s in statements[i:]}
            if (
                sympy.count_ops(rest) < sympy.count_ops(earlier.expr)
                and not rest.has(sympy.Pow)
                and not later.expr.free_symbols & defined
            ):
                used = Statement(earlier.name, sympy.Symbol(later.name, real=True) * rest,
                                 earlier.comment)  # fmt: skip
                statements[i : j + 1] = [later, used, *statements[i + 1 : j]]
                break
    return statements


def _switches(statements: list[Statement]) -> list[Statement]:
    """H(u) with H(0) = 0 or 1 as sign(max(±u, 0)) (``heaviside_form``), max(u, 0) the value
    of an earlier statement where there is one (ReLU'(u) = sign(ReLU(u)))."""
    known: dict[sympy.Expr, sympy.Symbol] = {}
    rewritten = []
    for s in statements:
        switch = lambda e: isinstance(e, Heaviside) and e.args[1] in (0, 1)  # noqa: E731
        expr = s.expr.replace(switch, heaviside_form).xreplace(known)
        symbol = sympy.Symbol(s.name, real=True)
        known[s.expr] = symbol
        if isinstance(s.expr, relu):
            known[sympy.Max(s.expr.args[0], 0)] = symbol
        rewritten.append(Statement(s.name, expr, s.comment))
    return rewritten


def _clips_inlined(statements: list[Statement], outputs) -> list[Statement]:
    """A temporary used by nothing but one clipped cases expression (Huber's slope, where
    CSE named r = y − ŷ for both its condition and its value) put back into it: the slope
    −r is then ŷ − y, one pass, not y − ŷ and a negation."""
    uses: dict[str, int] = {}
    for s in statements:
        for symbol in s.expr.free_symbols:
            uses[symbol.name] = uses.get(symbol.name, 0) + 1
    defined = {s.name: k for k, s in enumerate(statements)}
    dropped, result = set(), list(statements)
    for k, s in enumerate(statements):
        found = clipped(s.expr) if isinstance(s.expr, sympy.Piecewise) else None
        r = found[0] if found else None
        if r is None or not r.is_Symbol or r.name in outputs or uses.get(r.name) != 1:
            continue
        if defined.get(r.name, k) < k:
            result[k] = Statement(
                s.name, s.expr.xreplace({r: statements[defined[r.name]].expr}), s.comment
            )
            dropped.add(defined[r.name])
    return [s for k, s in enumerate(result) if k not in dropped]


def in_place(statements, params, outputs, taken, printer: NumPyCode):
    """``statements`` as steps in place (``InPlace``), and whether a step may overflow on
    purpose (then the function runs under ``np.errstate``)."""
    lowering = InPlace(statements, params, outputs, taken, printer)
    return lowering.run(), lowering.guarded
