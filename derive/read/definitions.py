"""Definitions: a loss that names its parts.

Either with ``--where`` lines (``m_x(w) = w x``, ``s = \\sigma(w x + b)``) or written as
several lines, one definition per line (an ``aligned`` environment, or the lines of a file):

    z = w x + b
    a = \\sigma(z)
    L = (a - y)^2

The last line (or the one named L, J or \\ell) is the loss. Each definition is read by the
reader like a loss; a function definition is put in for each of its applications (each its
own intermediate, ``m_x(w)``). The result is one ``Loss`` whose ``expr`` is in the inputs only
and whose ``definitions`` and ``top`` keep the chain: the definitions ordered so that each
uses only those before it, and the loss in their names.
"""

from __future__ import annotations

import dataclasses
import re

import sympy
from sympy.core.function import AppliedUndef

from derive.errors import ParseError
from derive.model import Definition, Loss

LOSS_NAMES = ("L", "J", "\\ell", "ell")
_COMMENT = re.compile(r"(?<!\\)%[^\n]*")
_ALIGNED = re.compile(r"\\begin\{(aligned|align\*?|gathered|split)\}(.*)\\end\{\1\}", re.S)


@dataclasses.dataclass(frozen=True)
class Line:
    """One definition as written: the name on its left, its right side, and the columns in
    the whole input where the right side and the definition start."""

    left: str
    right: str
    column: int
    start: int
    text: str


def _scan(text: str):
    """(position, character) of each ``=``, ``\\\\`` (as ``"\\\\"``) and newline outside any
    bracket, brace or environment, and outside ``%`` comments."""
    depth, k = 0, 0
    while k < len(text):
        c = text[k]
        if c == "%":
            end = text.find("\n", k)
            k = len(text) if end < 0 else end
            continue
        if c == "\\":
            command = re.match(r"\\([A-Za-z]+|.)", text[k:])
            word = command.group(1) if command else ""
            if word == "\\" and depth == 0:
                yield k, "\\\\"
            elif word in ("{", "}"):
                depth += 1 if word == "{" else -1
            elif word == "begin":
                depth += 1
            elif word == "end":
                depth -= 1
            k += 1 + len(word)
            continue
        if c in "{([":
            depth += 1
        elif c in "})]":
            depth -= 1
        elif depth == 0 and (c == "\n" or c == "=" and text[k - 1 : k] not in ("<", ">", "!")):
            yield k, c
        k += 1


def _pieces(text: str, offset: int, separator: str) -> list[tuple[int, str]]:
    """``text`` cut at each top-level ``separator``, each piece with its column."""
    cuts = [k for k, c in _scan(text) if c == separator]
    bounds = [-len(separator), *cuts, len(text)]
    return [
        (offset + a + len(separator), text[a + len(separator) : b])
        for a, b in zip(bounds, bounds[1:], strict=False)
    ]


def definition_lines(source: str) -> list[Line] | None:
    """The definitions of a loss written as several of them, or None for a single loss.
    Columns are kept: each line's text is the input's, with ``&`` and line breaks blanked."""
    text, separator = source, "\n"
    aligned = _ALIGNED.search(source)
    outside = aligned and _COMMENT.sub("", source[: aligned.start()] + source[aligned.end() :])
    if aligned and not outside.strip():
        body = aligned.group(2).replace("&", " ")
        text = " " * aligned.start(2) + body + " " * (len(source) - aligned.end(2))
        separator = "\\\\"
    pieces = _pieces(text, 0, separator)
    for col, _ in pieces[1:]:  # the breaks themselves, blanked
        text = text[: col - len(separator)] + " " * len(separator) + text[col:]
    lines: list[Line] = []
    for col, piece in pieces:
        stripped = piece.strip()
        if not stripped or stripped.startswith("%"):
            continue
        start = col + len(piece) - len(piece.lstrip())
        end = col + len(piece.rstrip())
        equals = [k for k, c in _scan(piece) if c == "="]
        if len(equals) > 1:
            return None  # L = A = B: a loss restated, not a list of definitions
        left = piece[: equals[0]].rstrip(" :").strip() if equals else ""
        if equals and left:
            right = col + equals[0] + 1
            lines.append(Line(left, text[right:end], right, start, text[start:end]))
        elif lines:  # a line that goes on with the definition before it
            last = lines[-1]
            lines[-1] = dataclasses.replace(
                last, right=text[last.column : end], text=text[last.start : end]
            )
        else:
            return None  # a loss first, then something else: not a list of definitions
    return lines if len(lines) >= 2 else None


def read_definition(text: str, read, functions) -> tuple[sympy.Basic, tuple, Loss]:
    """The defined name (a symbol, or a function's head), its parameters, and the right side
    read by ``read`` (the reader's ``parse_loss``), for ``NAME = …`` or ``f(x, y) = …``."""
    line = _as_line(text)
    head = re.match(r"^\s*(.+?)\s*\((.*)\)\s*$", line.left, re.S)
    names = (head.group(1),) if head else ()
    try:
        left = read(line.left, (*functions, *names)).expr
    except ParseError as error:
        raise _moved(error, text, text.find(line.left)) from None
    if isinstance(left, AppliedUndef) and all(isinstance(a, sympy.Symbol) for a in left.args):
        if len(set(left.args)) != len(left.args):
            raise ParseError(f"the parameters of {line.left} repeat", text, 0, len(line.left))
        defined, parameters = left.func, tuple(left.args)
    elif isinstance(left, sympy.Symbol):
        defined, parameters = left, ()
    else:
        raise ParseError(
            f"the left side of a definition is a name (s = …) or a function of names "
            f"(f(x) = …), not {line.left}",
            text,
            0,
            len(line.left),
        )
    try:
        right = read(line.right, (*functions, *names))
    except ParseError as error:
        raise _moved(error, text, line.column) from None
    return defined, parameters, right


def _as_line(text: str) -> Line:
    equals = [k for k, c in _scan(text) if c == "="]
    if not equals:
        raise ParseError("a definition needs '=': write s = \\sigma(w x + b)", text, 0)
    if len(equals) > 1:
        raise ParseError("a definition has one '='", text, equals[1])
    left = text[: equals[0]].rstrip(" :").strip()
    if not left:
        raise ParseError("a definition needs a name before '='", text, equals[0])
    return Line(left, text[equals[0] + 1 :], equals[0] + 1, 0, text)


def _moved(error: ParseError, text: str, offset: int) -> ParseError:
    """``error`` about a part of ``text`` that starts at ``offset``, pointed at in ``text``."""
    column = None if error.column is None else error.column + max(0, offset)
    return ParseError(error.message, text, column, error.length)


def is_loss_name(name: str | None) -> bool:
    """Whether a definition's name marks it as the loss (L, J, \\ell, also as L(w))."""
    return name is not None and bare_name(name) in LOSS_NAMES


def bare_name(name: str) -> str:
    """A left-hand side without its arguments: L for L(w), J for J(\\theta)."""
    return re.sub(r"\s*(\\left)?\(.*\)\s*$", "", name.strip(), flags=re.S)


def defined_functions(texts) -> tuple[str, ...]:
    """The names of the functions the definitions define (``m_x`` of ``m_x(w) = …``), so
    that the other lines read their applications as functions."""
    names = []
    for text in texts:
        equals = [k for k, c in _scan(text) if c == "="]
        if equals:
            head = re.match(r"^\s*(.+?)\s*\((.*)\)\s*$", text[: equals[0]].rstrip(" :"), re.S)
            if head:
                names.append(head.group(1))
    return tuple(names)


def substituted(expr: sympy.Expr, definitions: tuple[Definition, ...]) -> sympy.Expr:
    """``expr`` with every defined name replaced by its meaning, down to the inputs."""
    for definition in reversed(definitions):
        expr = expr.xreplace({definition.name: definition.expr})
    return expr
