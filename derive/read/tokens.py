"""LaTeX text to a tree of tokens and bracketed groups, each piece knowing its column.

This is the first half of reading a loss: it knows which commands exist (the functions' from
the vocabulary), where brackets open and close (including ``\\left( … \\right)``,
``\\lvert … \\rvert`` and the ambiguous ``|``), and refuses input that is too long or too deeply
nested before any slow work starts. The predicates at the end ask what a token is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from derive.errors import ParseError
from derive.notation import GREEK, UNICODE
from rules.registry import by_name, commands

MAX_LENGTH = 5000
MAX_DEPTH = 60

ACCENTS = {
    "hat", "widehat", "bar", "overline", "tilde", "widetilde", "vec", "dot", "ddot", "check",
    "breve", "acute", "grave", "mathring",
}  # fmt: skip
FONTS = {
    "text", "textrm", "textit", "textbf", "mathrm", "mathit", "mathbf", "mathsf", "mathtt",
    "mathcal", "mathbb", "mathfrak", "boldsymbol", "bm", "operatorname", "mbox",
}  # fmt: skip
STRUCTURE = {"sqrt", "frac", "dfrac", "tfrac"}  # commands that build terms
OPERATORS = {
    "cdot": r"\cdot", "times": r"\times", "div": r"\div", "ast": "*",
    "le": "<=", "leq": "<=", "leqslant": "<=", "ge": ">=", "geq": ">=", "geqslant": ">=",
    "lt": "<", "gt": ">", "ne": "!=", "neq": "!=",
    "land": "and", "wedge": "and", "lor": "or", "vee": "or",
}  # fmt: skip
IGNORED = {
    ",", ";", ":", "!", " ", "quad", "qquad", "displaystyle", "textstyle", "limits",
    "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl",
    "Biggr", "middle",
}  # fmt: skip
CONSTANTS = {"pi"}
UNSUPPORTED = {
    "sum": "sums over an index are not supported yet; write the terms out",
    "prod": "products over an index are not supported yet; write the factors out",
    "int": "integrals are not supported",
    "lim": "limits are not supported",
    "infty": "infinity is not a value derive can differentiate",
    "partial": "a loss cannot contain a derivative; derive computes them",
    "nabla": "a loss cannot contain a gradient; derive computes it",
    "top": "vectors and transposes are not supported; derive works with scalars",
    "pm": "'±' is ambiguous; write the two losses separately",
    "mp": "'∓' is ambiguous; write the two losses separately",
    "binom": "binomial coefficients are not supported",
    "choose": "binomial coefficients are not supported",
    "mod": "the remainder is not differentiable and is not supported",
}
DELIMITER_COMMANDS = {
    "lvert": ("open", "|"), "rvert": ("close", "|"), "vert": ("bar", "|"),
    "lVert": ("open", "‖"), "rVert": ("close", "‖"), "Vert": ("bar", "‖"), "|": ("bar", "‖"),
    "{": ("open", "{"), "}": ("close", "{"), "lbrace": ("open", "{"), "rbrace": ("close", "{"),
    "lbrack": ("open", "["), "rbrack": ("close", "["), "lparen": ("open", "("),
    "rparen": ("close", "("),
}  # fmt: skip
OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {v: k for k, v in OPENERS.items()}


@dataclass(frozen=True)
class Token:
    """One lexical piece: ``kind`` is letter, number, command, font, op, open, close, bar,
    begin, end or rowsep; ``text`` its normalised spelling; ``col``/``end`` its columns."""

    kind: str
    text: str
    col: int
    end: int
    arg: str = ""  # the braced argument of a font command or of \begin / \end

    def __repr__(self) -> str:
        return f"{self.kind}:{self.text}{'{' + self.arg + '}' if self.arg else ''}@{self.col}"


@dataclass
class Group:
    """Items between a pair of delimiters; ``kind`` is the opening delimiter: ( [ { | ‖ or cases."""

    kind: str
    col: int
    end: int = -1
    items: list = field(default_factory=list)
    explicit: bool = False  # opened by \left, \lvert, ... rather than a bare character

    def __repr__(self) -> str:
        return f"Group({self.kind!r}@{self.col}, {self.items!r})"


def _fail(message: str, source: str, col: int, length: int = 1):
    raise ParseError(message, source, col, length)


def _read_braced(source: str, start: int) -> tuple[str, int]:
    """The text inside the ``{…}`` at ``start`` (after spaces), and the index after it."""
    i = start
    while i < len(source) and source[i] == " ":
        i += 1
    if i >= len(source) or source[i] != "{":
        return "", start
    depth, j = 0, i
    while j < len(source):
        if source[j] == "{":
            depth += 1
        elif source[j] == "}":
            depth -= 1
            if depth == 0:
                return source[i + 1 : j], j + 1
        j += 1
    _fail("'{' is never closed", source, i)
    raise AssertionError  # unreachable


_COMMAND = re.compile(r"\\([A-Za-z]+|.)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")


def normalise_unicode(text: str) -> str:
    """Replace the Unicode mathematics people paste (−, ·, α, ≤, …) by LaTeX, keeping columns
    meaningful by padding nothing: callers report columns in the normalised text."""
    return "".join(UNICODE.get(ch, ch) for ch in text)


def tokenize(source: str, claim: bool = False) -> list[Token]:
    """Split LaTeX into tokens. Raises ParseError for unknown or unsupported commands.
    ``claim``: the text is a claimed derivative, where ``\\partial`` may appear."""
    if len(source) > MAX_LENGTH:
        _fail(
            f"the input is {len(source)} characters long; derive reads at most {MAX_LENGTH}",
            source,
            MAX_LENGTH,
        )
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch in " \t\n\r~":
            i += 1
        elif ch == "%":  # a LaTeX comment runs to the end of the line
            newline = source.find("\n", i)
            i = n if newline < 0 else newline + 1
        elif ch.isascii() and ch.isalpha():
            tokens.append(Token("letter", ch, i, i + 1))
            i += 1
        elif ch.isdigit() and _takes_one_digit(tokens):
            tokens.append(Token("number", ch, i, i + 1))  # x^23 is x^2 3, \frac12 is 1/2
            i += 1
        elif ch.isdigit() or (ch == "." and i + 1 < n and source[i + 1].isdigit()):
            m = _NUMBER.match(source, i)
            tokens.append(Token("number", m.group(), i, m.end()))
            i = m.end()
        elif ch == "\\" and claim and source.startswith(r"\partial", i):
            tokens.append(Token("command", r"\partial", i, i + len(r"\partial")))
            i += len(r"\partial")
        elif ch == "\\":
            i = _read_command(source, i, tokens)
        elif ch in "([{":
            tokens.append(Token("open", ch, i, i + 1))
            i += 1
        elif ch in ")]}":
            tokens.append(Token("close", CLOSERS[ch], i, i + 1))
            i += 1
        elif ch == "|":
            tokens.append(Token("bar", "|", i, i + 1))
            i += 1
        elif ch in "+-*/^_',&=<>!":
            tokens.append(Token("op", ch, i, i + 1))
            i += 1
        elif ch == ".":
            _fail("a '.' that is not part of a number", source, i)
        else:
            _fail(f"unexpected character {ch!r}", source, i)
    return tokens


def _takes_one_digit(tokens: list[Token]) -> bool:
    """LaTeX gives ``^``, ``_``, ``\\sqrt`` and each argument of ``\\frac`` a single token."""
    fractions = (r"\frac", r"\dfrac", r"\tfrac")
    if not tokens:
        return False
    last = tokens[-1]
    if last.kind == "op" and last.text in "^_" or last.kind == "command" and last.text == r"\sqrt":
        return True
    if last.kind == "command" and last.text in fractions:
        return True
    before = tokens[-2] if len(tokens) > 1 else None
    return (
        last.kind == "number"
        and len(last.text) == 1
        and before is not None
        and before.kind == "command"
        and before.text in fractions
    )


def _read_command(source: str, i: int, tokens: list[Token]) -> int:
    m = _COMMAND.match(source, i)
    if m is None:
        _fail("a lone backslash", source, i)
    name, end = m.group(1), m.end()
    if name == "\\":
        tokens.append(Token("rowsep", r"\\", i, end))
    elif name in ("left", "right"):
        return _read_sized_delimiter(source, i, end, name, tokens)
    elif name in IGNORED:
        pass
    elif name in DELIMITER_COMMANDS:
        kind, text = DELIMITER_COMMANDS[name]
        tokens.append(Token(kind, text, i, end))
    elif name in GREEK or name in ACCENTS or name in STRUCTURE or name in CONSTANTS:
        tokens.append(Token("command", "\\" + name, i, end))
    elif name in commands():
        tokens.append(Token("command", "\\" + name, i, end))
    elif name in OPERATORS:
        tokens.append(Token("op", OPERATORS[name], i, end))
    elif name in FONTS:
        arg, after = _read_braced(source, end)
        if after == end:
            _fail(f"\\{name} needs a braced argument, as in \\{name}{{x}}", source, i, end - i)
        tokens.append(Token("font", "\\" + name, i, after, arg.strip()))
        return after
    elif name in ("begin", "end"):
        arg, after = _read_braced(source, end)
        env = arg.strip()
        if env.rstrip("*") not in ("cases", "dcases"):
            shown = f"\\{name}{{{env}}}" if after > end else f"\\{name}"
            _fail(f"only the cases environment is supported, not {shown}", source, i, after - i)
        tokens.append(Token(name, "cases", i, after))
        return after
    elif name in UNSUPPORTED:
        _fail(f"\\{name}: {UNSUPPORTED[name]}", source, i, end - i)
    else:
        _fail(f"unknown command \\{name}", source, i, end - i)
    return end


def _read_sized_delimiter(source: str, i: int, end: int, name: str, tokens: list[Token]) -> int:
    """``\\left(`` is an opening ``(``, ``\\right|`` a closing bar, and so on."""
    j = end
    while j < len(source) and source[j] == " ":
        j += 1
    if j >= len(source):
        _fail(f"\\{name} needs a delimiter after it", source, i, end - i)
    if source[j] in "()[]|":
        delim, after = source[j], j + 1
    elif source[j] == "\\":
        m = _COMMAND.match(source, j)
        command = m.group(1) if m else ""
        if command not in DELIMITER_COMMANDS:
            _fail(
                f"\\{name} needs a delimiter such as ( or |", source, i, (m.end() if m else j) - i
            )
        delim, after = DELIMITER_COMMANDS[command][1], m.end()
    elif source[j] == ".":
        _fail(f"\\{name}. (an invisible delimiter) is not supported", source, i, j + 1 - i)
    else:
        _fail(f"\\{name} needs a delimiter such as ( or |", source, i, j + 1 - i)
    kind = "open" if name == "left" else "close"
    text = CLOSERS.get(delim, delim) if kind == "close" else delim
    tokens.append(Token(kind, text, i, after))
    return after


def ends_operand(item) -> bool:
    """Whether ``item`` can end an operand, so that a following ``+``, ``-`` or ``|`` is binary."""
    if isinstance(item, Group):
        return True
    if item.kind in ("letter", "number", "font"):
        return True
    if item.kind == "command":
        return item.text[1:] in GREEK or item.text[1:] in CONSTANTS
    return item.kind == "op" and item.text in ("'", "!")


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
            closing = {"(": ")", "[": "]", "{": "}", "cases": r"\end{cases}"}.get(kind, kind)
            if top is root:
                _fail(f"'{closing}' closes nothing", source, token.col, token.end - token.col)
            expected = {"(": ")", "[": "]", "{": "}", "cases": r"\end{cases}"}.get(
                top.kind, top.kind
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
            push(token.text, token, explicit=token.text in "|‖" or len(token.text) > 1)
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
    return r"\begin{cases}" if g.kind == "cases" else g.kind


def read_tree(source: str, claim: bool = False) -> Group:
    """Tokens of ``source`` nested into groups: what the reader walks."""
    return group(source, tokenize(source, claim))


# -- what a token is ---------------------------------------------------------------------


def is_braced(item) -> bool:
    """A non-empty ``{…}`` group."""
    return isinstance(item, Group) and item.kind == "{" and bool(item.items)


def is_op(item, *texts: str) -> bool:
    """An operator token spelled as one of ``texts``."""
    return isinstance(item, Token) and item.kind == "op" and item.text in texts


def is_word(item, words: set[str]) -> bool:
    """A ``\\text{…}``-like token whose word (any case, commas aside) is one of ``words``."""
    return (
        isinstance(item, Token)
        and item.kind == "font"
        and item.arg.strip().strip(",").strip().lower() in words
    )


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
