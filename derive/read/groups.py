"""Tokens nested into a tree of bracketed groups, and predicates on what an item is.

Brackets match here (``(``, ``[``, ``{``, ``\\{``, ``\\left( … \\right)``, ``|…|``, the cases
environment); input nested deeper than MAX_DEPTH is refused before any slow work starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from derive.errors import ParseError
from derive.notation import GREEK
from derive.read.tokens import CONSTANTS, Token, tokenize
from rules.registry import by_name

MAX_DEPTH = 60


@dataclass
class Group:
    """Items between a pair of delimiters; ``kind`` is the opening delimiter: ( [ { | ‖ or cases."""

    kind: str
    col: int
    end: int = -1
    items: list = field(default_factory=list)
    explicit: bool = False  # opened by a command (\left(, \lvert, \{), not a bare character

    def __repr__(self) -> str:
        return f"Group({self.kind!r}@{self.col}, {self.items!r})"


def _fail(message: str, source: str, col: int, length: int = 1):
    raise ParseError(message, source, col, length)


def ends_operand(item) -> bool:
    """Whether ``item`` can end an operand, so that a following ``+``, ``-`` or ``|`` is binary."""
    if isinstance(item, Group):
        return True
    if item.kind in ("letter", "number", "font"):
        return True
    if item.kind == "command":
        return item.text[1:] in GREEK or item.text[1:] in CONSTANTS
    return item.kind == "op" and item.text in ("'", "!")


CLOSING = {"(": ")", "[": "]", "{": "}", "cases": r"\end{cases}", "⟨": r"\rangle"}


def group(source: str, tokens: list[Token]) -> Group:
    """Nest tokens into groups by their delimiters; raises ParseError on a mismatch or
    when brackets nest deeper than MAX_DEPTH."""
    root = Group("root", 0, len(source))
    stack = [root]

    def push(kind: str, token: Token, explicit: bool) -> None:
        if len(stack) > MAX_DEPTH:
            _fail(
                f"brackets nest more than {MAX_DEPTH} levels deep; simplify the expression",
                source,
                token.col,
                token.end - token.col,
            )
        new = Group(kind, token.col, explicit=explicit)
        stack[-1].items.append(new)
        stack.append(new)

    def pop(kind: str, token: Token) -> None:
        top = stack[-1]
        if top.kind != kind:
            closing = CLOSING.get(kind, kind)
            if top is root:
                _fail(f"'{closing}' closes nothing", source, token.col, token.end - token.col)
            expected = CLOSING.get(top.kind, top.kind)
            if top.kind == "|" and not top.explicit:
                _fail(
                    f"the '|' at column {top.col + 1} is never closed before "
                    f"'{source[token.col : token.end]}': for an absolute value write |…|; "
                    "a conditional bar P(y | x) is not a formula derive can differentiate",
                    source,
                    top.col,
                )
            _fail(
                f"expected '{expected}' to close the '{_opener_text(top)}' at column "
                f"{top.col + 1}, found '{source[token.col : token.end]}'",
                source,
                token.col,
                token.end - token.col,
            )
        top.end = token.end
        stack.pop()

    for token in tokens:
        if token.kind == "open":
            push(token.text, token, explicit=token.text in "|‖" or token.end - token.col > 1)
        elif token.kind == "close":
            pop(token.text, token)
        elif token.kind == "begin":
            push("cases", token, explicit=True)
        elif token.kind == "end":
            pop("cases", token)
        elif token.kind == "bar":
            top = stack[-1]
            items = top.items
            closes = (
                top.kind == token.text and not top.explicit and items and ends_operand(items[-1])
            )
            if closes:
                pop(token.text, token)
            else:
                push(token.text, token, explicit=False)
        else:
            stack[-1].items.append(token)
    if len(stack) > 1:
        top = stack[-1]
        _fail(f"'{_opener_text(top)}' is never closed", source, top.col)
    return root


def _opener_text(g: Group) -> str:
    return {"cases": r"\begin{cases}", "⟨": r"\langle"}.get(g.kind, g.kind)


def read_tree(source: str, claim: bool = False) -> Group:
    """Tokens of ``source`` nested into groups: what the reader walks."""
    return group(source, tokenize(source, claim))


# -- what an item is -----------------------------------------------------------------------


def is_braced(item) -> bool:
    """A non-empty ``{…}`` group."""
    return isinstance(item, Group) and item.kind == "{" and bool(item.items)


def is_op(item, *texts: str) -> bool:
    """An operator token spelled as one of ``texts``."""
    return isinstance(item, Token) and item.kind == "op" and item.text in texts


def word_of(text: str) -> str:
    """A word as written in ``\\text{…}``, without case, spaces and punctuation around it."""
    return text.strip(" ,.;:").lower()


def is_word(item, words: set[str]) -> bool:
    """A ``\\text{…}``-like token whose word (any case, punctuation aside) is one of
    ``words`` (given as ``word_of`` gives them)."""
    return isinstance(item, Token) and item.kind == "font" and word_of(item.arg) in words


def is_function_word(item) -> bool:
    """``\\operatorname{ReLU}``, ``\\mathrm{max}``: a font token naming a function of the
    vocabulary."""
    return isinstance(item, Token) and item.kind == "font" and by_name(item.arg) is not None


def strip_punctuation(items: list) -> list:
    """``items`` without the commas (bare or in ``\\text``) at either end."""
    items = list(items)
    while items and (is_op(items[-1], ",") or is_word(items[-1], {"", ","})):
        items.pop()
    while items and (is_op(items[0], ",") or is_word(items[0], {"", ","})):
        items.pop(0)
    return items


def is_transpose(item) -> bool:
    """``T``, ``{T}``, ``\\mathsf{T}``, ``\\mathrm{T}`` as a superscript: a transpose."""
    if isinstance(item, Group) and item.kind == "{" and len(item.items) == 1:
        item = item.items[0]
    if not isinstance(item, Token):
        return False
    if item.kind == "command":
        return item.text in (r"\top", r"\intercal")
    return item.kind == "letter" and item.text == "T" or item.kind == "font" and item.arg == "T"
