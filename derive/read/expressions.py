"""Reading expressions: sums of terms; each term a flat product, fraction or power whose
operands (numbers, names, groups, functions, roots) become placeholders for the bridge."""

from __future__ import annotations

import sympy

from derive.notation import GREEK
from derive.read.arrays import is_array
from derive.read.bridge import Fragment, is_number_placeholder, is_placeholder, placeholder_name
from derive.read.cases import RELATIONS
from derive.read.groups import (
    Group,
    ends_operand,
    is_function_word,
    is_op,
    is_transpose,
    is_word,
)
from derive.read.tokens import Token
from derive.read.words import reordered_scripts
from rules.registry import by_name

BINARY = {"*", "/", r"\cdot", r"\times", r"\div"}


def _positive_part(items: list, k: int) -> bool:
    """``_+`` or ``_{+}`` after a bracket: [u]_+ is max(u, 0)."""
    if not (k + 1 < len(items) and is_op(items[k], "_")):
        return False
    sub = items[k + 1]
    if isinstance(sub, Group) and sub.kind == "{" and len(sub.items) == 1:
        sub = sub.items[0]
    return is_op(sub, "+")


class ExpressionReading:
    """Sums, terms and their pieces (a mixin of the reader)."""

    def expression(self, items: list, col: int, end: int) -> sympy.Expr:
        """A sum of terms."""
        if not items:
            self.fail("an empty expression here", col=col, end=end)
        self._refuse_stray(items)
        terms: list[sympy.Expr] = []
        sign, start = 1, 0
        for k, item in enumerate(items):
            if is_op(item, "+", "-") and (k == 0 or ends_operand(items[k - 1])):
                if k > start:
                    terms.append(self.signed(sign, self.term(items[start:k]), col, end))
                elif k > 0:
                    self.fail(f"'{item.text}' needs a term before it", item)
                sign = -1 if item.text == "-" else 1
                start = k + 1
            elif is_op(item, "+", "-") and k == start:
                sign = -sign if item.text == "-" else sign
                start = k + 1
        if start >= len(items):
            self.fail(f"'{items[-1].text}' needs a term after it", items[-1])
        terms.append(self.signed(sign, self.term(items[start:]), col, end))
        if any(is_array(t) for t in terms) and not all(is_array(t) for t in terms):
            self.fail("cannot add a number and a vector or matrix", col=col, end=end)
        try:
            return self.as_number_if_1x1(sympy.Add(*terms), items)
        except TypeError as error:  # a number plus a vector: SymPy's "Mix of Matrix and Scalar"
            self.fail(f"cannot add a number and a vector or matrix ({error})", col=col, end=end)

    def signed(self, sign: int, value, col: int, end: int):
        """−value for a term after a minus sign; SymPy's errors on the way (a matrix of a
        sum it cannot work out, say) become a refusal."""
        if sign == 1:
            return value
        try:
            return -value
        except (TypeError, ValueError, NotImplementedError, AttributeError) as error:
            self.fail(f"cannot form this expression ({error})", col=col, end=end)
            raise AssertionError from None  # unreachable

    def _refuse_stray(self, items: list) -> None:
        for item in items:
            if isinstance(item, Token):
                if item.kind == "op" and item.text in RELATIONS:
                    self.fail(f"'{self._text(item)}' in an expression: write only the loss", item)
                if item.kind == "op" and item.text in ("and", "or"):
                    self.fail(f"'{self._text(item)}' in an expression", item)
                if item.kind == "op" and item.text == ",":
                    self.fail("',' outside the arguments of a function", item)
                if item.kind == "op" and item.text == "&" or item.kind == "rowsep":
                    self.fail(f"'{self._text(item)}' outside a cases environment", item)
                if item.kind == "op" and item.text == "!":
                    self.fail("factorials are not supported", item)

    def term(self, items: list) -> sympy.Expr:
        """A product, fraction or power, read by latex2sympy2_extended over placeholders."""
        items = reordered_scripts(self.words([i for i in items if not is_word(i, {""})]))
        if any(is_op(item, "⊙") for item in items):
            return self.hadamard(items)
        fragment = Fragment()
        k = 0
        while k < len(items):
            k = self.piece(items, k, fragment)
        if len(fragment.text) == 1 and is_placeholder(fragment.text[0]):
            value = self.values[placeholder_name(fragment.text[0])]
        else:
            value = self.parse_fragment(fragment)
        return self.as_number_if_1x1(value, items)

    def piece(self, items: list, k: int, fragment: Fragment) -> int:
        """Add ``items[k]`` (and what it takes with it) to ``fragment``; return the next index."""
        item = items[k]
        if isinstance(item, Group):
            return self.group_piece(items, k, fragment)
        if item.kind == "number":
            if fragment.last_is_operand and is_number_placeholder(fragment, self.values):
                self.fail("two numbers in a row: write 3 \\cdot 4 or 34", item)
            fragment.add(self.placeholder(sympy.Rational(item.text)), item.col, operand=True)
            return k + 1
        if item.kind == "op" and item.text in BINARY:
            if not fragment.last_is_operand:
                self.fail(f"'{self._text(item)}' needs something on its left", item)
            if k + 1 >= len(items):
                self.fail(f"'{self._text(item)}' needs something on its right", item)
            fragment.add(item.text + " ", item.col)
            return k + 1
        if item.kind == "op" and item.text == "^":
            return self.superscript(items, k, fragment)
        if item.kind == "op" and item.text in ("+", "-"):
            if not (k + 1 < len(items)):
                self.fail(f"'{item.text}' needs a term after it", item)
            fragment.add(item.text, item.col)
            return k + 1
        if item.kind == "op" and item.text == "_":
            self.fail("a subscript needs a name before it, as in x_1", item)
        if item.kind == "op" and item.text == "'":
            self.fail("a prime needs a name before it, as in x' or f'(x)", item)
        if item.kind == "command" and item.text in (r"\frac", r"\dfrac", r"\tfrac"):
            return self.fraction(items, k, fragment)
        if item.kind == "command" and item.text == r"\sum":
            return self.summation(items, k, fragment)
        if item.kind == "command" and item.text == r"\sqrt":
            return self.root(items, k, fragment)
        if item.kind == "command" and item.text == r"\pi":
            fragment.add(self.placeholder(sympy.pi), item.col, operand=True)
            return k + 1
        if item.kind == "command" and by_name(item.text[1:]) is not None:
            return self.function(items, k, fragment, item.text[1:])
        if item.kind == "font" and item.arg.strip() == "1":
            return self.indicator(items, k, fragment)
        if is_function_word(item):
            return self.function(items, k, fragment, item.arg.strip().lower())
        if self._is_name_start(item):
            return self.name_piece(items, k, fragment)
        self.fail(f"unexpected '{self._text(item)}'", item)
        raise AssertionError  # unreachable

    def group_piece(self, items: list, k: int, fragment: Fragment) -> int:
        group = items[k]
        if group.kind in "(" or group.kind == "[":
            value = self.expression(group.items, group.col, group.end)
        elif group.kind == "{":
            value = self.expression(group.items, group.col, group.end)
        elif group.kind in ("|", "‖"):
            inner = self.expression(group.items, group.col, group.end)
            if is_array(inner):
                value, after = self._norm_piece(inner, group, items, k + 1)
                fragment.add(self.placeholder(value), group.col, operand=True)
                return after
            if group.kind == "‖":
                self.note(r"\|u\|", "is read as |u|, the norm of a scalar", "‖u‖")
            # unevaluated, so that |m(w) - t| keeps the orientation the user wrote
            value = sympy.Abs(inner, evaluate=False)
        elif group.kind == "cases":
            value = self.cases(group)
        elif group.kind == "⟨":
            value = self.inner_product(group)
        else:  # pragma: no cover - the tokenizer makes no other groups
            self.fail("unexpected group", group)
        after = k + 1
        if _positive_part(items, after) and group.kind in ("(", "[", "|"):
            try:
                value = sympy.Max(self.expression(group.items, group.col, group.end), 0)
            except (ValueError, TypeError) as error:  # the positive part of log(0), say
                self.fail(f"[u]_+ cannot be formed here: {error}", group)
            self.note(r"[u]_+", "is the positive part, max(u, 0)", "[u]₊")
            after += 2
        fragment.add(self.placeholder(value), group.col, operand=True)
        if after < len(items) and is_op(items[after], "'"):
            self.fail("a prime after a bracket is not supported; name the function", items[after])
        return after

    def inner_product(self, group: Group) -> sympy.Expr:
        """⟨u, v⟩: the two sides split at their comma, read, and multiplied as uᵀv."""
        commas = [k for k, item in enumerate(group.items) if is_op(item, ",")]
        if len(commas) != 1:
            self.fail("an inner product is ⟨u, v⟩: two sides and one comma", group)
        (at,) = commas
        left, right = group.items[:at], group.items[at + 1 :]
        if not left or not right:
            self.fail("an inner product ⟨u, v⟩ needs an expression on each side", group)
        return self.inner(
            self.expression(left, group.col, group.items[at].col),
            self.expression(right, group.items[at].end, group.end),
            group,
        )

    def hadamard(self, items: list) -> sympy.Expr:
        """u ⊙ v: the term's parts between the ⊙ signs, read, multiplied element by element."""
        parts, start = [], 0
        for k, item in enumerate([*items, None]):
            if item is None or is_op(item, "⊙"):
                if k == start:
                    self.fail("'⊙' needs a factor on each side", items[min(k, len(items) - 1)])
                parts.append(self.term(items[start:k]))
                start = k + 1
        return self.elementwise_product(parts, items)

    def _norm_piece(self, inner, group: Group, items: list, after: int):
        """‖v‖, ‖v‖₂ or ‖v‖₁ of a vector (the subscript taken with it); |v| is refused."""
        if group.kind == "|":
            self.fail("|v| of a vector: write \\|v\\| for its norm", group)
        kind = "2"
        if after + 1 < len(items) and is_op(items[after], "_"):
            sub = items[after + 1]
            if isinstance(sub, Group) and sub.kind == "{" and len(sub.items) == 1:
                sub = sub.items[0]
            if not (isinstance(sub, Token) and sub.text in ("1", "2")):
                self.fail("a norm is \\|v\\|, \\|v\\|_2 or \\|v\\|_1", items[after])
            kind, after = sub.text, after + 2
        return self.norm(inner, kind, group), after

    def argument(self, items: list, k: int, owner: Token, what: str) -> tuple[str, int]:
        """The argument of ``^``, ``_``, ``\\frac`` or ``\\sqrt`` at ``items[k]`` as
        ``{placeholder}``: a braced group, or (as in LaTeX) a single token."""
        if k >= len(items):
            self.fail(f"{self._text(owner)} needs {what}", owner)
        item = items[k]
        if isinstance(item, Group) and item.kind == "{":
            if not item.items:
                self.fail(f"{self._text(owner)} needs {what}; the braces are empty", item)
            value = self.expression(item.items, item.col, item.end)
            return "{" + self.placeholder(value) + "}", k + 1
        sign = 1
        if is_op(item, "-", "+") and k + 1 < len(items):
            sign, k = (-1 if item.text == "-" else 1), k + 1  # x^-1, as people type it
            item = items[k]
        if isinstance(item, Token) and item.text in (r"\frac", r"\dfrac", r"\tfrac"):
            inner = Fragment()  # x^\frac{1}{2}: LaTeX lets a fraction be one argument
            after = self.fraction(items, k, inner)
            value = self.parse_fragment(inner)
            return "{" + self.placeholder(sign * value) + "}", after
        value = self.single_token(item)
        if value is None:
            self.fail(f"{self._text(owner)} needs {what}", owner)
        return "{" + self.placeholder(sign * value) + "}", k + 1

    def single_token(self, item) -> sympy.Expr | None:
        """The value of one token standing alone: a digit, a letter, a Greek letter, \\pi."""
        if not isinstance(item, Token):
            return None
        if item.kind == "number":
            return sympy.Rational(item.text)
        if item.kind == "command" and item.text == r"\pi":
            return sympy.pi
        if item.kind in ("letter", "font") or item.kind == "command" and item.text[1:] in GREEK:
            name, _ = self.name([item], 0, allow_superscript=False)
            return sympy.E if name.ident == "e" else self.symbol(name)
        return None

    def superscript(self, items: list, k: int, fragment: Fragment) -> int:
        caret = items[k]
        if not fragment.last_is_operand:
            self.fail("'^' needs a base before it", caret)
        if k + 1 < len(items) and is_transpose(items[k + 1]):
            last = fragment.text[-1]
            if not is_placeholder(last):
                self.fail("^T needs a name or a bracket before it", caret)
            value = self.transposed(self.values[placeholder_name(last)], caret)
            fragment.replace_last(self.placeholder(value))
            return k + 2
        text, after = self.argument(items, k + 1, caret, "an exponent, as in x^{2}")
        fragment.add("^" + text, caret.col, operand=True)
        return after

    def fraction(self, items: list, k: int, fragment: Fragment) -> int:
        frac = items[k]
        leibniz = self.leibniz(items, k)
        if leibniz is not None:
            value, after = leibniz
            fragment.add(self.placeholder(value), frac.col, operand=True)
            return after
        numerator, k1 = self.argument(items, k + 1, frac, "two arguments, as in \\frac{a}{b}")
        denominator, k2 = self.argument(items, k1, frac, "two arguments, as in \\frac{a}{b}")
        fragment.add(r"\frac" + numerator + denominator, frac.col, operand=True)
        top, bottom = (self.values[placeholder_name(a[1:-1])] for a in (numerator, denominator))
        if not is_array(top) and not is_array(bottom) and bottom != 0:
            self.fractions.add(top / bottom)
        return k2

    def root(self, items: list, k: int, fragment: Fragment) -> int:
        sqrt = items[k]
        index = ""
        k += 1
        if k < len(items) and isinstance(items[k], Group) and items[k].kind == "[":
            bracket = items[k]
            index = (
                "["
                + self.placeholder(self.expression(bracket.items, bracket.col, bracket.end))
                + "]"
            )
            k += 1
        radicand, after = self.argument(items, k, sqrt, "an argument, as in \\sqrt{x}")
        fragment.add(r"\sqrt" + index + radicand, sqrt.col, operand=True)
        return after
