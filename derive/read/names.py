"""Reading names: a letter, a Greek letter, an accent or a font, then a subscript, primes
and an index such as ``^{(1)}``: ``s_c``, ``\\hat{y}``, ``w_{12}``, ``x'``, ``w^{(1)}``. One
real symbol per spelling; identifiers kept distinct."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from derive import notation
from derive.notation import GREEK
from derive.read.groups import Group, is_op
from derive.read.tokens import Token
from rules.registry import by_name


@dataclass
class _Name:
    """A name as written: its identifier, its spelling, and whether it is undecorated."""

    ident: str
    latex: str
    base: str
    primes: int
    col: int
    end: int
    in_word: bool = False  # a letter of a longer run such as "rate": never Euler's number
    index: str = ""  # the subscript or the index superscript as written: i in x_i, (i) in x^{(i)}
    base_ident: str = ""  # the identifier and the spelling without that index
    base_latex: str = ""
    bound: bool = False  # read as an element x[i] of an array, inside a sum over i

    @property
    def plain(self) -> bool:
        return self.ident == self.base and not self.primes


def _is_star(item) -> bool:
    """``*`` or ``{*}`` as a superscript: w^* is a name (the optimum), not a power."""
    if isinstance(item, Group) and item.kind == "{" and len(item.items) == 1:
        item = item.items[0]
    return isinstance(item, Token) and item.kind == "op" and item.text == "*"


def same_spelling(a: str, b: str) -> bool:
    """``\\hat y`` and ``\\hat{y}`` are one spelling."""
    return _squash(a) == _squash(b)


def _squash(latex: str) -> str:
    return latex.replace(" ", "").replace("{", "").replace("}", "")


class NameReading:
    """Names and their symbols (a mixin of the reader)."""

    def _is_name_start(self, item) -> bool:
        if not isinstance(item, Token):
            return False
        if item.kind == "letter":
            return True
        if item.kind == "command":
            return item.text[1:] in GREEK or item.text[1:] in notation.ACCENT_SUFFIX
        return item.kind == "font" and by_name(item.arg) is None

    def name(self, items: list, k: int, allow_superscript: bool = True) -> tuple[_Name, int]:
        """A name: a letter, Greek letter, accent or font, then a subscript (``x_i``, or digits
        right after a letter: ``x1`` is x_1), primes and an index such as ``^{(1)}``."""
        first, item = k, items[k]
        start = item.col
        inner = None
        if item.kind == "letter":
            ident, base, k = item.text, item.text, k + 1
        elif item.kind == "command" and item.text[1:] in GREEK:
            ident = base = item.text[1:]
            k += 1
        elif item.kind == "command":  # an accent
            accent = item.text[1:]
            if k + 1 >= len(items):
                self.fail(f"{item.text} needs a name after it", item)
            target = items[k + 1]
            if isinstance(target, Group) and target.kind == "{":
                if not target.items or not self._is_name_start(target.items[0]):
                    self.fail(f"{item.text} needs a name, as in {item.text}{{y}}", target)
                inner, used = self.name(target.items, 0)
                if used != len(target.items):
                    self.fail(f"{item.text}{{…}} must hold a single name", target)
            elif self._is_name_start(target):
                inner, _ = self.name([target], 0, allow_superscript=False)
            else:
                self.fail(f"{item.text} needs a name after it", item)
            ident = f"{inner.ident}_{notation.ACCENT_SUFFIX[accent]}"
            if accent in ("bar", "overline"):  # SymPy reads \overline{z} as a conjugate
                self.note(
                    self.source[item.col : target.end],
                    "is a name of its own (a mean, say), not a complex conjugate",
                )
            base, k = inner.base, k + 2
        else:  # a font: \mathit{loss}, \mathbf{w}, \text{lr}
            ident, base = self.font_name(item), self.font_name(item)
            k += 1
        greek = item.kind == "command" and item.text[1:] in GREEK  # also beta written bare
        spelled = [item.text if greek else self.source[start : items[k - 1].end]]
        base_ident, index, base_latex = ident, "", spelled[0]
        if inner is not None and inner.index:  # \hat{y_i}: the hat of the element y_i
            suffix = notation.ACCENT_SUFFIX[item.text[1:]]
            base_ident, index = f"{inner.base_ident}_{suffix}", inner.index
            base_latex = f"{item.text}{{{inner.base_latex}}}"
        if self._digits_follow(items, k):
            digits = items[k].text
            ident += "_" + digits
            spelled.append(f"_{{{digits}}}")
            written = self.source[start : items[k].end]
            self.note(rf"\mathrm{{{written}}}", f"is read as one name with the subscript {digits}")
            k += 1
        elif k < len(items) and is_op(items[k], "_"):
            braced = isinstance(items[k + 1], Group) if k + 1 < len(items) else False
            sub_latex, k = self.subscript(items, k)
            index = sub_latex
            ident += "_" + notation.subscript_identifier(sub_latex)
            spelled.append(f"_{{{sub_latex}}}" if braced else f"_{sub_latex}")
        primes = 0
        while k < len(items) and is_op(items[k], "'"):
            primes, k = primes + 1, k + 1
        ident += "_prime" * primes
        spelled.append("'" * primes)
        if k + 1 < len(items) and is_op(items[k], "^") and _is_star(items[k + 1]):
            ident += "_star"  # w^*: the optimum, a name of its own, not a power
            spelled.append("^{*}")
            k += 2
        if allow_superscript and k + 1 < len(items) and is_op(items[k], "^") and base != "e":
            superscript = self.superscript_index(items[k + 1])
            if superscript is not None:
                ident += "_" + notation.subscript_identifier(superscript)
                spelled.append(self.source[items[k].col : items[k + 1].end])
                index = index or f"({superscript})"
                k += 2
        end = max(it.end for it in items[first:k])
        latex = " ".join("".join(spelled).split())
        in_word = isinstance(items[first], Token) and items[first].arg == "word"
        found = _Name(ident, latex, base, primes, start, end, in_word, index, base_ident)
        found.base_latex = base_latex
        return found, k

    def _digits_follow(self, items: list, k: int) -> bool:
        """Whether digits stand right after the letter before ``items[k]`` (x1, not x 1)."""
        if k >= len(items) or not isinstance(items[k], Token) or items[k].kind != "number":
            return False
        before = items[k - 1]
        letter = isinstance(before, Token) and before.kind in ("letter", "command")
        return letter and items[k].text.isdigit() and items[k].col == before.end

    def font_name(self, font: Token) -> str:
        command = font.text[1:]
        content = font.arg.strip().replace("\\_", "_").strip(".,;:")
        if content.startswith("\\") and content[1:] in GREEK:
            word = content[1:]
        elif content.isascii() and content.replace(" ", "").replace("_", "").isalnum():
            word = content.replace(" ", "")
        else:
            self.fail(f"cannot read {self._text(font)} as a name", font)
        suffix = notation.FONT_SUFFIX.get(command)
        return f"{word}_{suffix}" if suffix else word

    def subscript(self, items: list, k: int) -> tuple[str, int]:
        underscore = items[k]
        if k + 1 >= len(items):
            self.fail("'_' needs a subscript after it", underscore)
        sub = items[k + 1]
        if isinstance(sub, Group) and sub.kind == "{":
            if not sub.items:
                self.fail("the subscript is empty", sub)
            return self.source[sub.col + 1 : sub.end - 1].strip(), k + 2
        if isinstance(sub, Token) and sub.kind in ("letter", "number", "command", "font"):
            if sub.kind == "number":
                return sub.text[0], (
                    k + 2 if len(sub.text) == 1 else self._split_number(items, k + 1)
                )
            return self.source[sub.col : sub.end], k + 2
        self.fail("'_' needs a subscript after it", underscore)
        raise AssertionError  # unreachable

    def _split_number(self, items: list, k: int) -> int:
        number = items[k]
        items[k] = Token("number", number.text[1:], number.col + 1, number.end)
        return k

    def superscript_index(self, item) -> str | None:
        """``^{(1)}`` as in w^{(1)} or x^{(i)}: an index written as a superscript, not a power.
        Only a number or a single name in the parentheses is an index: e^{(x+y)} is a power."""
        if isinstance(item, Group) and item.kind == "{" and len(item.items) == 1:
            inner = item.items[0]
            if isinstance(inner, Group) and inner.kind == "(" and len(inner.items) == 1:
                token = inner.items[0]
                simple = isinstance(token, Token) and token.kind == "number"
                if simple or self._is_name_start(token):
                    return self.source[inner.col + 1 : inner.end - 1].strip()
        return None

    def symbol(self, name: _Name) -> sympy.Expr:
        """The real symbol for ``name``; one symbol per spelling, identifiers kept distinct.
        Inside a sum over i, ``x_i`` is the element x[i] of an array (``derive.read.sums``)."""
        element = self.indexed(name)
        if element is not None:
            return element
        array = self.array_symbol(name)
        if array is not None:
            return array
        known = self.symbol_for_spelling.get(name.latex.replace(" ", ""))
        if known is not None:
            return known
        ident = self.unique(notation.make_safe(name.ident), name.latex)
        symbol = sympy.Symbol(ident, real=True)
        self.symbol_for_spelling[name.latex.replace(" ", "")] = symbol
        return symbol

    def spelling(self, expr: sympy.Basic) -> str:
        """``expr`` in the input's own spelling when it is a symbol, else SymPy's LaTeX."""
        if isinstance(expr, sympy.Symbol) and expr.name in self.spellings:
            return self.spellings[expr.name]
        return sympy.latex(expr)

    def unique(self, ident: str, latex: str) -> str:
        candidate, n = ident, 1
        while candidate in self.spellings and not same_spelling(self.spellings[candidate], latex):
            n += 1
            candidate = f"{ident}_{n}"
        self.spellings[candidate] = latex
        return candidate
