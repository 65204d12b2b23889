"""The reader: LaTeX as people write losses in their notes → a ``Loss`` of real symbols.

Reading happens in two layers:

1. ``derive.read.tokens`` splits the text into tokens and bracketed groups (columns kept).
2. The ``Reader`` walks that tree. It is composed of one mixin per concern: names
   (``derive.read.names``), expressions (``expressions``), functions (``functions``), cases
   (``cases``), claims (``claims``) and the bridge to latex2sympy2_extended (``bridge``),
   which parses every flat product, fraction or power with its operands as placeholders.

Every error is a ``ParseError`` with a message and the column of the offending text.
"""

from __future__ import annotations

import dataclasses

import sympy
from sympy.core.function import AppliedUndef

from derive.errors import ParseError
from derive.model import Loss
from derive.read.arrays import ArrayReading
from derive.read.bridge import BridgeReading
from derive.read.cases import CasesReading
from derive.read.chain import read_chain
from derive.read.claims import ClaimReading
from derive.read.definitions import definition_lines
from derive.read.expressions import ExpressionReading
from derive.read.functions import FunctionReading
from derive.read.groups import Group, is_op, read_tree, strip_punctuation
from derive.read.inferred import InferredShapes, reading_again
from derive.read.names import NameReading, same_spelling
from derive.read.state import ReaderState
from derive.read.sums import (
    SumReading,
    bound_symbol,
    index_letters,
    index_symbol,
    refuse_name_used_twice,
)
from derive.read.tokens import Token, normalise_unicode
from derive.read.words import WordReading, reordered_scripts
from rules.registry import entries
from rules.sums import in_index_form

_STRUCTURE = (
    sympy.Symbol, sympy.Number, sympy.NumberSymbol, sympy.Subs, sympy.Tuple,
    sympy.logic.boolalg.Boolean, sympy.functions.elementary.piecewise.ExprCondPair,
    sympy.IndexedBase,
)  # fmt: skip


class Reader(
    ReaderState,
    NameReading,
    ExpressionReading,
    FunctionReading,
    CasesReading,
    ClaimReading,
    BridgeReading,
    WordReading,
    SumReading,
    ArrayReading,
    InferredShapes,
):
    """Walks the token tree of one input; collects spellings and notes as it goes."""

    def split_definition(self, items: list) -> tuple[str | None, list, list[list]]:
        """``J = max(…)``, ``L(w) = …``, ``loss(x, y) = …``: the name and the right-hand
        side. A chain ``L = A = B`` also gives the other sides, each to be proved equal to the
        first (a chain without a name, ``A = B``, likewise)."""
        equals = [k for k, item in enumerate(items) if is_op(item, "=")]
        if not equals:
            return None, items, []
        bounds = [-1, *equals, len(items)]
        sides = [items[a + 1 : b] for a, b in zip(bounds, bounds[1:], strict=False)]
        for side, at in zip(sides, [*equals, equals[-1]], strict=True):
            if not side:
                self.fail("'=' needs an expression on each side", items[at])
        name = self._defined_name(sides[0])
        if name is not None:
            sides = sides[1:]
        return name, sides[0], sides[1:]

    def _defined_name(self, items: list) -> str | None:
        """The name on the left of ``=``: a name (``J``, ``\\ell``, ``L_i``) or a word
        (``loss``), perhaps with its arguments (``L(w)``); None for an expression."""
        items = reordered_scripts(items)
        body = items[:-1] if isinstance(items[-1], Group) and items[-1].kind == "(" else items
        if not body:
            return None
        word = _letter_word(body)
        rest = body[len(word) :]
        subscripted = len(rest) == 2 and is_op(rest[0], "_")  # PB_q(t) = …
        if len(word) > 1 and (not rest or subscripted):
            return self.source[body[0].col : body[-1].end]
        if not self._is_name_start(body[0]):
            return None
        name, after = self.name(body, 0)
        return name.latex if after == len(body) else None


def parse_loss(
    source: str,
    functions: tuple[str, ...] | list[str] = (),
    log_base: str = "e",
    where: tuple[str, ...] | list[str] = (),
    shapes=None,
) -> Loss:
    """Read ``source`` (LaTeX) into a ``Loss``.

    ``functions`` names more applied functions (``g`` reads ``g(w x)`` as a function, not a
    product); ``log_base`` is ``"e"`` (``\\log`` is natural) or ``"10"``; ``where`` gives
    definitions (``s = \\sigma(w x + b)``, ``m_x(w) = w x``), and ``source`` may itself be
    several definitions, one per line, the last (or the one named L, J or \\ell) the loss.
    ``shapes`` gives names of vectors and matrices their dimensions (``{"X": "n,d"}``).
    Raises ParseError with the column of the offending text.
    """
    if not isinstance(source, str):
        raise ParseError("the loss must be a string of LaTeX")
    for text in where:
        if not isinstance(text, str):
            raise ParseError("a definition must be a string of LaTeX")
    source = normalise_unicode(_strip_math_delimiters(source))
    where = tuple(normalise_unicode(_strip_math_delimiters(text)) for text in where)
    if where or definition_lines(source):
        read = _reading(log_base, shapes)
        loss = read_chain(source, where, tuple(functions), log_base, read)
        if loss.expr.has(sympy.Indexed):
            found = _chain_in_matrices(loss, functions, log_base, shapes)
            if found is not None:
                in_matrices, names = found
                loss = dataclasses.replace(loss, in_matrices=in_matrices, matrix_names=names)
        return loss
    loss = _read_one(source, tuple(functions), log_base, shapes)
    if loss.expr.has(sympy.Indexed):  # read with vectors or matrices, perhaps
        in_matrices = read_in_matrices(source, functions, log_base, shapes)
        if in_matrices is not None:
            loss = dataclasses.replace(loss, in_matrices=in_matrices)
    return loss


def _reading(log_base: str, shapes=None):
    def read(text: str, functions) -> Loss:
        return _read_one(normalise_unicode(text), tuple(functions), log_base, shapes)

    return read


def _read_one(source: str, functions: tuple[str, ...], log_base: str, shapes=None) -> Loss:
    if not source.strip():
        raise ParseError("the loss is empty", source, 0)
    return reading_again(
        lambda inferred: _read_once(source, functions, log_base, shapes, inferred), source
    )


def _read_once(source: str, functions, log_base: str, shapes, inferred) -> Loss:
    reader = Reader(source, functions, log_base, shapes=shapes, inferred=inferred)
    tree = read_tree(source)
    name, items, others = reader.split_definition(_unwrapped(strip_punctuation(tree.items)))
    try:
        expr = reader.number_from(reader.expression(items, tree.col, tree.end), tree.end)
        restated = tuple(
            reader.number_from(reader.expression(side, side[0].col, side[-1].end))
            for side in others
        )
    except RecursionError:
        raise ParseError("the expression is nested too deeply", source, 0) from None
    reader.check_indices()
    whole = {s: bound_symbol(s.name) for s in reader.bounds}  # N counts terms: an integer
    try:
        expr, *restated = (value.xreplace(whole) for value in (expr, *restated))
    except (ValueError, TypeError) as error:  # max(√(Σᵢ −1), …) once N is a whole number
        raise ParseError(f"the loss cannot be formed: {error}", source, 0) from None
    for value in (expr, *restated):
        _check_supported(value, source)
        refuse_name_used_twice(value, source)
    return Loss(
        source,
        expr,
        dict(reader.spellings),
        tuple(reader.readings),
        name,
        frozenset(f.xreplace(whole) for f in reader.fractions),
        restated=tuple(restated),
    )


def read_in_matrices(source: str, functions=(), log_base: str = "e", shapes=None):
    """The loss as a number made of matrix expressions (Xw − y, ‖·‖², tr, σ of each
    element), for backpropagation in matrix form; None when it has none, or sums over an
    index, or cannot be read so."""
    source = normalise_unicode(_strip_math_delimiters(source))
    if definition_lines(source):
        return None

    def read(inferred):
        reader = Reader(source, tuple(functions), log_base, shapes=shapes, inferred=inferred)
        reader.in_matrices = True
        tree = read_tree(source)
        _, items, _ = reader.split_definition(_unwrapped(strip_punctuation(tree.items)))
        return reader.number_from(reader.expression(items, tree.col, tree.end), tree.end)

    try:
        value = reading_again(read, source)
    except (ParseError, RecursionError, TypeError, ValueError):
        return None
    if not value.has(sympy.MatrixSymbol) or value.has(sympy.Sum, sympy.Indexed):
        return None
    return value


def _chain_in_matrices(loss: Loss, functions, log_base: str, shapes):
    """The loss of a chain in matrix form, each definition read in matrix form and put in
    (J = max(0, 1 − s + s_c) with s = uᵀσ(Wx + b): one expression for backpropagation), and
    each definition's value in matrix form with its name (s); None when the loss itself, or a
    defined function, has arrays or parameters."""
    if loss.top is None or loss.top.has(sympy.Indexed, sympy.Sum):
        return None
    if any(d.parameters or not isinstance(d.name, sympy.Symbol) for d in loss.definitions):
        return None
    expr, names = loss.top, []
    for definition in reversed(loss.definitions):  # each uses only those before it
        value = definition.expr
        if value.has(sympy.Indexed, sympy.Sum):
            value = read_in_matrices(definition.source, functions, log_base, shapes)
            if value is None:
                return None
            names.append((value, definition.name))
        expr = expr.xreplace({definition.name: value})
    return (expr, tuple(names)) if expr.has(sympy.MatrixSymbol) else None


def _letter_word(items: list) -> list:
    """The letters adjacent to each other at the start of ``items``."""
    word = []
    for item in items:
        letter = isinstance(item, Token) and item.kind == "letter"
        if not letter or word and item.col != word[-1].end:
            break
        word.append(item)
    return word


def _unwrapped(items: list) -> list:
    """The items inside braces around the whole formula (``{\\displaystyle …}``)."""
    while len(items) == 1 and isinstance(items[0], Group) and items[0].kind == "{":
        items = strip_punctuation(items[0].items)
    return items


def parse_name(text: str, loss: Loss) -> sympy.Symbol:
    """The symbol of ``loss`` that ``text`` names, written as LaTeX (``s_c``, ``\\Delta``) or as
    its identifier (``Delta``, ``y_hat``). Raises ParseError when the loss has no such symbol."""
    symbols = {s.name: s for s in loss.symbols}  # not an array's name: w of w_i is no number
    text = text.strip()
    if text in symbols:
        return symbols[text]
    for ident, latex in loss.spellings.items():
        if ident in symbols and same_spelling(latex, text):
            return symbols[ident]
    try:
        read = parse_loss(text).expr
    except ParseError:
        read = None
    if isinstance(read, sympy.Symbol) and read.name in symbols:
        return symbols[read.name]
    element = _element_named(text, loss)
    if element is not None:
        return element
    ranks = {e.base.label.name: len(e.indices) for e in loss.expr.atoms(sympy.Indexed)}
    named = [loss.spellings.get(s.name, s.name) for s in loss.symbols]
    for a in sorted(ranks):
        spelled = loss.spellings.get(a, a)
        named.append(f"{spelled}_{'k' if ranks[a] == 1 else '{kl}'} (an element of {spelled})")
    known = ", ".join(named) or "none"
    raise ParseError(f"{text!r} is not a symbol of the loss; its symbols are {known}", text, 0)


def _element_named(text: str, loss: Loss) -> sympy.Indexed | None:
    """``w_k`` as the element w[k] of an array w that the loss sums over; None when ``text``
    names no array of the loss."""
    arrays = {}
    for element in loss.expr.atoms(sympy.Indexed):
        arrays[element.base] = len(element.indices)
    if not arrays:
        return None
    reader = Reader(normalise_unicode(text), (), "e")
    items = reordered_scripts(strip_punctuation(read_tree(reader.source).items))
    if not items or not reader._is_name_start(items[0]):
        return None
    name, after = reader.name(items, 0)
    letters = index_letters(name.index) if name.index else None
    if after == len(items) and not name.index:  # the whole array: its element k (or k, l)
        letters = _free_letters(loss, name)
    if after != len(items) or letters is None:
        return None
    for base, rank in arrays.items():
        label = base.label.name
        if name.base_ident not in (label, label.removesuffix("_bold")) and not same_spelling(
            loss.spellings.get(label, label), name.base_latex
        ):
            continue
        if len(letters) != rank:
            raise ParseError(f"{text!r}: the array {label} has {rank} index(es)", text, 0)
        bound = {s.name for s in loss.expr.atoms(sympy.Symbol) if s.is_integer}
        if bound & set(letters):
            raise ParseError(
                f"{text!r}: {', '.join(sorted(bound & set(letters)))} is the index of a sum in "
                "the loss; name the element with another letter, as "
                f"{name.base_latex}_k",
                text,
                0,
            )
        return sympy.Indexed(base, *(index_symbol(c) for c in letters))
    return None


def _free_letters(loss: Loss, name) -> list[str] | None:
    """Index letters for an element of the array ``name`` that no sum of the loss uses."""
    for element in loss.expr.atoms(sympy.Indexed):
        label = element.base.label.name
        bold = label.removesuffix("_bold") == name.ident  # --wrt W for \mathbf{W}
        if (
            name.ident == label
            or bold
            or same_spelling(loss.spellings.get(label, label), name.latex)
        ):
            taken = {s.name for s in loss.expr.atoms(sympy.Symbol) if s.is_integer}
            free = [c for c in "klmpqrst" if c not in taken]
            return free[: len(element.indices)]
    return None


def _strip_math_delimiters(source: str) -> str:
    text = source.strip()
    for left, right in (("$$", "$$"), ("$", "$"), (r"\[", r"\]"), (r"\(", r"\)")):
        if text.startswith(left) and text.endswith(right) and len(text) > len(left) + len(right):
            return text[len(left) : -len(right)]
    return source


def _check_supported(expr: sympy.Basic, source: str) -> None:
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ParseError("the loss is undefined (a division by zero or an infinity)", source, 0)
    supported = _STRUCTURE + tuple(e.head for e in entries())
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.MatrixExpr):
            raise ParseError(
                f"{node} is a vector or matrix where a number is needed (an argument of an "
                "unknown function, say); derive reads vectors in products, norms and "
                "functions applied to each element",
                source,
                0,
            )
        if not isinstance(node, supported):
            what = type(node).__name__
            raise ParseError(f"derive cannot differentiate {what} (read from the input)", source, 0)
    if not isinstance(expr, sympy.Expr):
        raise ParseError("the loss is a condition, not an expression", source, 0)


def parse_claim(text: str, loss: Loss, log_base: str = "e", shapes=None) -> sympy.Expr:
    """A claimed derivative of ``loss``, in the loss's own notation: its symbols by their
    spellings, its unknown functions (``m_x'(w)``), Leibniz fractions (``\\frac{d m_x}{dw}``,
    ``\\frac{\\partial J}{\\partial s_c}`` for the loss's name J). With ``shapes``, vectors
    and matrices as in the loss: a claim in matrix form (2Xᵀ(Xw − y)) is a matrix expression.
    Raises ParseError."""
    if not isinstance(text, str):
        raise ParseError("the claim must be a string of LaTeX")
    source = normalise_unicode(_strip_math_delimiters(text))
    if not source.strip():
        raise ParseError("the claim is empty", source, 0)
    functions = {f.func.__name__: f for f in loss.expr.atoms(AppliedUndef)}
    tree = read_tree(source, claim=True)

    def read(inferred):
        context = (loss, functions)
        reader = Reader(source, tuple(functions), log_base, context, shapes, inferred)
        return reader.expression(tree.items, tree.col, tree.end)

    try:
        expr = reading_again(read, source)
    except RecursionError:
        raise ParseError("the claim is nested too deeply", source, 0) from None
    if isinstance(expr, sympy.MatrixExpr):
        return expr  # the caller takes the element it compares
    expr = in_index_form(expr) if expr.has(sympy.MatrixSymbol) else expr
    _check_supported(expr, source)
    return expr
