"""LaTeX text to tokens, each knowing its columns: letters, numbers, commands, fonts,
operators and delimiters (``\\left(``, ``\\lvert``, the ambiguous ``|``).

This is the first step of reading a loss: it knows which commands exist (the functions' from
the vocabulary), drops spacing and sizing commands, and refuses input that is too long, and
commands derive cannot read, with the column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from derive.errors import ParseError
from derive.notation import GREEK, UNICODE
from rules.registry import commands

MAX_LENGTH = 5000

ACCENTS = {
    "hat", "widehat", "bar", "overline", "tilde", "widetilde", "vec", "dot", "ddot", "check",
    "breve", "acute", "grave", "mathring",
}  # fmt: skip
FONTS = {
    "text", "textrm", "textit", "textbf", "mathrm", "mathit", "mathbf", "mathsf", "mathtt",
    "mathcal", "mathbb", "mathfrak", "boldsymbol", "bm", "operatorname", "mbox",
}  # fmt: skip
STRUCTURE = {"sqrt", "frac", "dfrac", "tfrac", "sum", "top", "intercal"}  # build terms
OPERATORS = {
    "cdot": r"\cdot", "times": r"\times", "div": r"\div", "ast": "*", "odot": "⊙",
    "le": "<=", "leq": "<=", "leqslant": "<=", "ge": ">=", "geq": ">=", "geqslant": ">=",
    "lt": "<", "gt": ">", "ne": "!=", "neq": "!=", "coloneqq": "=", "eqqcolon": "=",
    "land": "and", "wedge": "and", "lor": "or", "vee": "or",
}  # fmt: skip
IGNORED = {
    ",", ";", ":", "!", " ", ">", "quad", "qquad", "displaystyle", "textstyle", "scriptstyle",
    "limits", "nolimits", "thinspace", "medspace", "thickspace", "negthinspace", "negmedspace",
    "negthickspace", "enspace", "enskip", "nonumber", "notag", "big", "Big", "bigg", "Bigg",
    "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr", "bigm", "Bigm",
    "middle",
}  # fmt: skip
IGNORED_WITH_ARGUMENT = {"hspace", "vspace", "phantom", "hphantom", "vphantom", "label", "tag"}
CONSTANTS = {"pi"}
UNSUPPORTED = {
    "prod": "products over an index are not supported yet; write the factors out",
    "int": "integrals are not supported",
    "lim": "limits are not supported",
    "infty": "infinity is not a value derive can differentiate",
    "partial": "a loss cannot contain a derivative; derive computes them",
    "nabla": "a loss cannot contain a gradient; derive computes it",
    "pm": "'±' is ambiguous; write the two losses separately",
    "mp": "'∓' is ambiguous; write the two losses separately",
    "binom": "binomial coefficients are not supported",
    "choose": "binomial coefficients are not supported",
    "mod": "the remainder is not differentiable and is not supported",
    "dots": "an ellipsis: derive reads one expression; write the terms out",
    "ldots": "an ellipsis: derive reads one expression; write the terms out",
    "cdots": "an ellipsis: derive reads one expression; write the terms out",
    "sim": "'~' (distributed as) is not a formula derive can differentiate",
    "mid": "a conditional bar P(y | x) is not a formula derive can differentiate",
    "bf": "the old font switch {\\bf x}: write \\mathbf{x}",
    "rm": "the old font switch {\\rm x}: write \\mathrm{x}",
    "it": "the old font switch {\\it x}: write \\mathit{x}",
    "_": "an escaped underscore outside a font: write such a name as \\mathrm{kl\\_div}",
    "%": "a percent sign: write the factor 100 (or 1/100) out",
    "lfloor": "floor and ceiling are piecewise constant: their derivative is 0 or undefined",
    "lceil": "floor and ceiling are piecewise constant: their derivative is 0 or undefined",
    "lg": "\\lg is log base 2 or 10 by author: write \\log_2 or \\log_{10}",
    "tbinom": "binomial coefficients are not supported",
    "dbinom": "binomial coefficients are not supported",
}
DELIMITER_COMMANDS = {
    "lvert": ("open", "|"), "rvert": ("close", "|"), "vert": ("bar", "|"),
    "lVert": ("open", "‖"), "rVert": ("close", "‖"), "Vert": ("bar", "‖"), "|": ("bar", "‖"),
    "{": ("open", "{"), "}": ("close", "{"), "lbrace": ("open", "{"), "rbrace": ("close", "{"),
    "lbrack": ("open", "["), "rbrack": ("close", "["), "lparen": ("open", "("),
    "rparen": ("close", "("), "langle": ("open", "⟨"), "rangle": ("close", "⟨"),
}  # fmt: skip
OPENERS = {"(": ")", "[": "]", "{": "}"}
DIGITS = frozenset("0123456789")  # ASCII: "²".isdigit() is true, but it is no digit to \d
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
_UNITS = "pt|em|ex|mm|cm|in|bp|mu|sp|pc|dd|cc"
_ROW_SPACING = re.compile(rf"\*?(?:\s*\[\s*-?[\d.]+\s*(?:{_UNITS})\s*\])?")  # \\[4pt], \\*
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")


SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-", strict=True))
SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋", "0123456789+-", strict=True))
_SCRIPT_RUN = re.compile(r"(\^?)([⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻]+)|(_?)([₀₁₂₃₄₅₆₇₈₉₊₋]+)")


def _script(match: re.Match) -> str:
    """x² as x^{2}, x₁ as x_{1}; x^² as x^{2} too."""
    if match.group(2):
        return "^{" + "".join(SUPERSCRIPTS[c] for c in match.group(2)) + "}"
    return "_{" + "".join(SUBSCRIPTS[c] for c in match.group(4)) + "}"


def normalise_unicode(text: str) -> str:
    """Replace the Unicode mathematics people paste (−, ·, α, ≤, x², x₁, …) by LaTeX; callers
    report columns in the normalised text."""
    text = _SCRIPT_RUN.sub(_script, text)
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
        elif ch in DIGITS and _takes_one_digit(tokens):
            tokens.append(Token("number", ch, i, i + 1))  # x^23 is x^2 3, \frac12 is 1/2
            i += 1
        elif ch in DIGITS or (ch == "." and i + 1 < n and source[i + 1] in DIGITS):
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
        elif source.startswith(("<=", ">=", "!=", "==", ":="), i):
            pair = source[i : i + 2]
            tokens.append(Token("op", {"==": "=", ":=": "="}.get(pair, pair), i, i + 2))
            i += 2
        elif source.startswith("...", i):
            _fail("an ellipsis: derive reads one expression; write the terms out", source, i, 3)
        elif ch in "+-*/^_',&=<>!":
            tokens.append(Token("op", ch, i, i + 1))
            i += 1
        elif ch == "." and _ends_a_sentence(source, i + 1):
            i += 1  # a full stop ending the formula or a row of cases, as notes write them
        elif ch == ".":
            _fail("a '.' that is not part of a number", source, i)
        else:
            _fail(f"unexpected character {ch!r}", source, i)
    return tokens


def _ends_a_sentence(source: str, i: int) -> bool:
    """Whether only spaces stand between ``i`` and the end, a row's end or a cell's end."""
    rest = source[i:].lstrip()
    return not rest or rest.startswith(("\\\\", "\\end", "&", "$"))


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
        spacing = _ROW_SPACING.match(source, end)  # \\[4pt]: a line break with extra space
        tokens.append(Token("rowsep", r"\\", i, end))
        return spacing.end() if spacing else end
    elif name in ("left", "right", "mleft", "mright"):
        return _read_sized_delimiter(source, i, end, name.removeprefix("m"), tokens)
    elif name in IGNORED:
        pass
    elif name in IGNORED_WITH_ARGUMENT:
        star = end + 1 if source[end : end + 1] == "*" else end
        _, after = _read_braced(source, star)
        return after
    elif name == "not":
        return _read_negation(source, i, end, tokens)
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
            arg, after = _single_token_argument(source, end)
        if after == end:
            _fail(f"\\{name} needs a braced argument, as in \\{name}{{x}}", source, i, end - i)
        if not arg.strip() and name not in ("text", "mbox", "textrm", "mathrm"):
            _fail(f"\\{name}{{}} is empty: write a name in it", source, i, after - i)
        tokens.append(Token("font", "\\" + name, i, after, arg.strip()))
        return after
    elif name in ("begin", "end"):
        arg, after = _read_braced(source, end)
        env = arg.strip()
        if env.rstrip("*") not in ("cases", "dcases"):
            shown = f"\\{name}{{{env}}}" if after > end else f"\\{name}"
            message = f"only the cases environment is supported, not {shown}"
            if env.rstrip("*") in ("aligned", "align", "gathered", "split"):
                message += (
                    " (as a block of definitions, one per line, it is read as a chain: "
                    "z &= w x + b \\\\ L &= (z - y)^2)"
                )
            _fail(message, source, i, after - i)
        tokens.append(Token(name, "cases", i, after))
        return after
    elif name in UNSUPPORTED:
        _fail(f"\\{name}: {UNSUPPORTED[name]}", source, i, end - i)
    else:
        _fail(f"unknown command \\{name}", source, i, end - i)
    return end


def _single_token_argument(source: str, start: int) -> tuple[str, int]:
    """``\\mathbf x``, ``\\boldsymbol\\theta``: a font's argument as one token, as LaTeX
    allows; ("", start) when none follows."""
    j = start
    while j < len(source) and source[j] == " ":
        j += 1
    if j < len(source) and source[j].isascii() and source[j].isalnum():
        return source[j], j + 1
    m = _COMMAND.match(source, j)
    if m and m.group(1) in GREEK:
        return m.group(0), m.end()
    return "", start


def _read_negation(source: str, i: int, end: int, tokens: list[Token]) -> int:
    """``\\not=`` is ``≠``; any other negated relation is refused."""
    j = end
    while j < len(source) and source[j] == " ":
        j += 1
    if source[j : j + 1] == "=":
        tokens.append(Token("op", "!=", i, j + 1))
        return j + 1
    _fail("\\not is read only in \\not= (write \\ne)", source, i, end - i)
    raise AssertionError  # unreachable


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
