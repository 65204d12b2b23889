"""LaTeX as people write losses in their notes → a SymPy expression of real symbols.

Reading happens in two layers:

1. ``derive.latex_tokens`` splits the text into tokens and bracketed groups (columns kept).
2. The reader below walks that tree and knows the notation of machine-learning notes: names
   (``s_c``, ``\\hat{y}``, ``w_{12}``, ``x'``), ``|u|``, ``\\max``/``\\min`` of any number of
   arguments, applied functions (``m_x(w)`` is a function, ``y(w x + b)`` a product), sigmoid,
   ReLU, softplus, sign, ``\\log`` (natural), ``cases``. It splits each expression into terms
   and hands every flat product, fraction or power to latex2sympy2_extended, with each operand
   replaced by a ``\\variable{…}`` placeholder: the library parses operator structure only,
   and never sees nesting (its parser slows down exponentially with nested braces).

Every error is a ``ParseError`` with a message and the column of the offending text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy
from sympy.core.function import AppliedUndef

from derive import names
from derive.errors import ParseError
from derive.functions import relu, sigmoid, softplus
from derive.latex_tokens import (
    FUNCTIONS,
    GREEK,
    Group,
    Token,
    ends_operand,
    normalise_unicode,
    read_tree,
)

# Functions applied with parentheses: canonical name -> (SymPy constructor, arity).
_APPLIED = {
    "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "cot": sympy.cot, "sec": sympy.sec,
    "csc": sympy.csc, "arcsin": sympy.asin, "arccos": sympy.acos, "arctan": sympy.atan,
    "arccot": sympy.acot, "arcsec": sympy.asec, "arccsc": sympy.acsc, "asin": sympy.asin,
    "acos": sympy.acos, "atan": sympy.atan, "sinh": sympy.sinh, "cosh": sympy.cosh,
    "tanh": sympy.tanh, "coth": sympy.coth, "sech": sympy.sech, "csch": sympy.csch,
    "arsinh": sympy.asinh, "arcsinh": sympy.asinh, "asinh": sympy.asinh, "arcosh": sympy.acosh,
    "arccosh": sympy.acosh, "acosh": sympy.acosh, "artanh": sympy.atanh, "arctanh": sympy.atanh,
    "atanh": sympy.atanh, "exp": sympy.exp, "ln": sympy.log, "sigmoid": sigmoid,
    "relu": relu, "softplus": softplus, "sgn": sympy.sign, "sign": sympy.sign,
    "abs": sympy.Abs, "heaviside": sympy.Heaviside, "max": sympy.Max, "min": sympy.Min,
    "log": None,  # base chosen by the subscript and the log_base option
}  # fmt: skip
_INVERSES = {
    "sin": sympy.asin, "cos": sympy.acos, "tan": sympy.atan, "cot": sympy.acot,
    "sec": sympy.asec, "csc": sympy.acsc, "sinh": sympy.asinh, "cosh": sympy.acosh,
    "tanh": sympy.atanh, "coth": sympy.acoth,
}  # fmt: skip
# Commands latex2sympy2_extended applies without parentheses: \sin x, \ln x, \log_2 x.
_PAREN_FREE = {
    "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh",
    "tanh", "exp", "ln", "log",
}  # fmt: skip
_FUNCTION_LETTERS = {"f", "g", "h"}
_RELATIONS = {
    "=": sympy.Eq, "!=": sympy.Ne, "<": sympy.Lt, ">": sympy.Gt, "<=": sympy.Le, ">=": sympy.Ge,
}  # fmt: skip
_BINARY = {"*", "/", r"\cdot", r"\times", r"\div"}
_CONDITION_WORDS = {"if", "for", "when", "where", "if:", "for:"}
_OTHERWISE = {"otherwise", "else", "o.w.", "ow", "elsewhere", "otherwise."}
_SUPPORTED = (
    sympy.Add, sympy.Mul, sympy.Pow, sympy.Symbol, sympy.Number, sympy.NumberSymbol,
    sympy.exp, sympy.log, sympy.Abs, sympy.sign, sympy.Heaviside, sympy.Max, sympy.Min,
    sympy.Piecewise, sympy.core.function.AppliedUndef, sympy.Derivative, sympy.Subs,
    sympy.Tuple, sympy.logic.boolalg.Boolean, sympy.functions.elementary.piecewise.ExprCondPair,
    sigmoid, relu, softplus,
    sympy.functions.elementary.trigonometric.TrigonometricFunction,
    sympy.functions.elementary.trigonometric.InverseTrigonometricFunction,
    sympy.functions.elementary.hyperbolic.HyperbolicFunction,
    sympy.functions.elementary.hyperbolic.InverseHyperbolicFunction,
)  # fmt: skip
_MAX_DIGITS = 2000


@dataclass(frozen=True)
class Reading:
    """How a piece of ambiguous notation was read: ``math`` (LaTeX) and a sentence about it."""

    math: str
    text: str
    plain: str = ""  # ``math`` for a terminal

    def __str__(self) -> str:
        return f"{self.plain or names.latex_to_text(self.math)} {self.text}"


@dataclass(frozen=True)
class ParsedLoss:
    """What was read: the expression, each name's LaTeX spelling, and notes on the reading."""

    source: str
    expr: sympy.Expr
    spellings: dict[str, str]
    readings: tuple[Reading, ...] = ()
    name: str | None = None  # the left-hand side, when the input was ``J = …``
    fractions: frozenset = frozenset()  # sub-expressions written as \frac{…}{…}

    @property
    def symbols(self) -> list[sympy.Symbol]:
        """The free symbols of the loss, sorted by name."""
        return sorted(self.expr.free_symbols, key=lambda s: s.name)


@dataclass
class _Name:
    """A name as written: its identifier, its spelling, and whether it is undecorated."""

    ident: str
    latex: str
    base: str
    primes: int
    col: int
    end: int

    @property
    def plain(self) -> bool:
        return self.ident == self.base and not self.primes


@dataclass
class _Fragment:
    """A flat piece of LaTeX for latex2sympy2_extended, and where each character came from."""

    text: list[str] = field(default_factory=list)
    origins: list[int] = field(default_factory=list)
    operand_count: int = 0
    last_is_operand: bool = False

    def add(self, text: str, col: int, operand: bool = False) -> None:
        self.text.append(text)
        self.origins.extend([col] * len(text))
        if operand:
            self.operand_count += 1
        self.last_is_operand = operand

    @property
    def source(self) -> str:
        return "".join(self.text)


def parse_loss(
    source: str, functions: tuple[str, ...] | list[str] = (), log_base: str = "e"
) -> ParsedLoss:
    """Read ``source`` (LaTeX) into a ParsedLoss.

    ``functions`` names more applied functions (``g`` reads ``g(w x)`` as a function, not a
    product); ``log_base`` is ``"e"`` (``\\log`` is natural) or ``"10"``.
    Raises ParseError with the column of the offending text.
    """
    if not isinstance(source, str):
        raise ParseError("the loss must be a string of LaTeX")
    source = normalise_unicode(_strip_math_delimiters(source))
    if not source.strip():
        raise ParseError("the loss is empty", source, 0)
    reader = _Reader(source, functions, log_base)
    tree = read_tree(source)
    name, items = reader.split_definition(tree.items)
    try:
        expr = reader.expression(items, tree.col, tree.end)
    except RecursionError:
        raise ParseError("the expression is nested too deeply", source, 0) from None
    _check_supported(expr, source)
    return ParsedLoss(
        source,
        expr,
        dict(reader.spellings),
        tuple(reader.readings),
        name,
        frozenset(reader.fractions),
    )


def parse_claim(text: str, loss: ParsedLoss, log_base: str = "e") -> sympy.Expr:
    """A claimed derivative of ``loss``, in the loss's own notation: its symbols by their
    spellings, its unknown functions (``m_x'(w)``), Leibniz fractions (``\\frac{d m_x}{dw}``,
    ``\\frac{\\partial J}{\\partial s_c}`` for the loss's name J). Raises ParseError."""
    if not isinstance(text, str):
        raise ParseError("the claim must be a string of LaTeX")
    source = normalise_unicode(_strip_math_delimiters(text))
    if not source.strip():
        raise ParseError("the claim is empty", source, 0)
    functions = {f.func.__name__: f for f in loss.expr.atoms(AppliedUndef)}
    reader = _Reader(source, tuple(functions), log_base, context=(loss, functions))
    tree = read_tree(source, claim=True)
    try:
        expr = reader.expression(tree.items, tree.col, tree.end)
    except RecursionError:
        raise ParseError("the claim is nested too deeply", source, 0) from None
    _check_supported(expr, source)
    return expr


def parse_name(text: str, loss: ParsedLoss) -> sympy.Symbol:
    """The symbol of ``loss`` that ``text`` names, written as LaTeX (``s_c``, ``\\Delta``) or as
    its identifier (``Delta``, ``y_hat``). Raises ParseError when the loss has no such symbol."""
    symbols = {s.name: s for s in loss.expr.free_symbols}
    text = text.strip()
    if text in symbols:
        return symbols[text]
    for ident, latex in loss.spellings.items():
        if ident in symbols and _same_spelling(latex, text):
            return symbols[ident]
    try:
        read = parse_loss(text).expr
    except ParseError:
        read = None
    if isinstance(read, sympy.Symbol) and read.name in symbols:
        return symbols[read.name]
    known = ", ".join(loss.spellings.get(s, s) for s in sorted(symbols)) or "none"
    raise ParseError(f"{text!r} is not a symbol of the loss; its symbols are {known}", text, 0)


def _same_spelling(a: str, b: str) -> bool:
    """``\\hat y`` and ``\\hat{y}`` are one spelling."""
    return _squash(a) == _squash(b)


def _squash(latex: str) -> str:
    return latex.replace(" ", "").replace("{", "").replace("}", "")


def _strip_math_delimiters(source: str) -> str:
    text = source.strip()
    for left, right in (("$$", "$$"), ("$", "$"), (r"\[", r"\]"), (r"\(", r"\)")):
        if text.startswith(left) and text.endswith(right) and len(text) > len(left) + len(right):
            return text[len(left) : -len(right)]
    return source


def _check_supported(expr: sympy.Basic, source: str) -> None:
    if expr.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
        raise ParseError("the loss is undefined (a division by zero or an infinity)", source, 0)
    for node in sympy.preorder_traversal(expr):
        if not isinstance(node, _SUPPORTED):
            what = type(node).__name__
            raise ParseError(f"derive cannot differentiate {what} (read from the input)", source, 0)
    if not isinstance(expr, sympy.Expr):
        raise ParseError("the loss is a condition, not an expression", source, 0)


class _Reader:
    """Walks the token tree of one input; collects spellings and notes as it goes."""

    def __init__(self, source: str, functions, log_base: str, context=None):
        self.source = source
        self.context = context  # (the loss, its unknown functions by name) when reading a claim
        self.declared = {f.strip().lstrip("\\") for f in functions}
        if log_base not in ("e", "10"):
            raise ParseError(f"log_base must be 'e' or '10', not {log_base!r}")
        self.log_base = log_base
        self.spellings: dict[str, str] = {}
        self.readings: list[Reading] = []
        self.values: dict[str, sympy.Basic] = {}
        self.symbol_for_spelling: dict[str, sympy.Symbol] = {}
        self.fractions: set[sympy.Expr] = set()
        if context is not None:  # a claim speaks the loss's names
            loss, _ = context
            self.spellings.update(loss.spellings)
            for symbol in loss.expr.free_symbols:
                spelling = loss.spellings.get(symbol.name, symbol.name)
                self.symbol_for_spelling[spelling.replace(" ", "")] = symbol

    # -- errors ----------------------------------------------------------------------------

    def fail(self, message: str, item=None, col: int | None = None, end: int | None = None):
        if item is not None:
            col, end = item.col, item.end
        if col is None:
            col = len(self.source)
        raise ParseError(message, self.source, col, (end or col + 1) - col)

    def note(self, math: str, text: str, plain: str = "") -> None:
        reading = Reading(math, text, plain or names.latex_to_text(math))
        if reading not in self.readings:
            self.readings.append(reading)

    # -- the definition  J = …  -------------------------------------------------------------

    def split_definition(self, items: list) -> tuple[str | None, list]:
        """``J = max(…)`` or ``L(w) = …``: keep the name, read the right-hand side."""
        equals = [k for k, it in enumerate(items) if _is_op(it, "=")]
        if len(equals) != 1 or equals[0] == 0:
            return None, items
        left, right = items[: equals[0]], items[equals[0] + 1 :]
        is_name = left and self._is_name_start(left[0])
        if not is_name or not right:
            return None, items
        _, after = self.name(left, 0)
        if after < len(left) and not (after == len(left) - 1 and isinstance(left[after], Group)):
            return None, items
        lhs, _ = self.name(left, 0)
        return lhs.latex, right

    # -- expressions: terms joined by + and - -------------------------------------------------

    def expression(self, items: list, col: int, end: int) -> sympy.Expr:
        """A sum of terms."""
        if not items:
            self.fail("an empty expression here", col=col, end=end)
        self._refuse_stray(items)
        terms: list[sympy.Expr] = []
        sign, start = 1, 0
        for k, item in enumerate(items):
            if _is_op(item, "+", "-") and (k == 0 or ends_operand(items[k - 1])):
                if k > start:
                    terms.append(sign * self.term(items[start:k]))
                elif k > 0:
                    self.fail(f"'{item.text}' needs a term before it", item)
                sign = -1 if item.text == "-" else 1
                start = k + 1
            elif _is_op(item, "+", "-") and k == start:
                sign = -sign if item.text == "-" else sign
                start = k + 1
        if start >= len(items):
            self.fail(f"'{items[-1].text}' needs a term after it", items[-1])
        terms.append(sign * self.term(items[start:]))
        return sympy.Add(*terms)

    def _refuse_stray(self, items: list) -> None:
        for item in items:
            if isinstance(item, Token):
                if item.kind == "op" and item.text in _RELATIONS:
                    self.fail(f"'{self._text(item)}' in an expression: write only the loss", item)
                if item.kind == "op" and item.text in ("and", "or"):
                    self.fail(f"'{self._text(item)}' in an expression", item)
                if item.kind == "op" and item.text == ",":
                    self.fail("',' outside the arguments of a function", item)
                if item.kind == "op" and item.text == "&" or item.kind == "rowsep":
                    self.fail(f"'{self._text(item)}' outside a cases environment", item)
                if item.kind == "op" and item.text == "!":
                    self.fail("factorials are not supported", item)

    def _text(self, item) -> str:
        return self.source[item.col : item.end]

    # -- terms: flat products, fractions and powers ---------------------------------------------

    def term(self, items: list) -> sympy.Expr:
        """A product, fraction or power, read by latex2sympy2_extended over placeholders."""
        fragment = _Fragment()
        k = 0
        while k < len(items):
            k = self.piece(items, k, fragment)
        if len(fragment.text) == 1 and _is_placeholder(fragment.text[0]):
            return self.values[_placeholder_name(fragment.text[0])]
        return self.parse_fragment(fragment)

    def piece(self, items: list, k: int, fragment: _Fragment) -> int:
        """Add ``items[k]`` (and what it takes with it) to ``fragment``; return the next index."""
        item = items[k]
        if isinstance(item, Group):
            return self.group_piece(items, k, fragment)
        if item.kind == "number":
            if fragment.last_is_operand and _is_number_placeholder(fragment, self.values):
                self.fail("two numbers in a row: write 3 \\cdot 4 or 34", item)
            fragment.add(self.placeholder(sympy.Rational(item.text)), item.col, operand=True)
            return k + 1
        if item.kind == "op" and item.text in _BINARY:
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
        if item.kind == "command" and item.text == r"\sqrt":
            return self.root(items, k, fragment)
        if item.kind == "command" and item.text == r"\pi":
            fragment.add(self.placeholder(sympy.pi), item.col, operand=True)
            return k + 1
        if item.kind == "command" and item.text[1:] in FUNCTIONS:
            return self.function(items, k, fragment, item.text[1:])
        if item.kind == "font" and _function_key(item.arg) in _APPLIED:
            return self.function(items, k, fragment, _function_key(item.arg))
        if self._is_name_start(item):
            return self.name_piece(items, k, fragment)
        self.fail(f"unexpected '{self._text(item)}'", item)
        raise AssertionError  # unreachable

    def group_piece(self, items: list, k: int, fragment: _Fragment) -> int:
        group = items[k]
        if group.kind in "(" or group.kind == "[":
            value = self.expression(group.items, group.col, group.end)
        elif group.kind == "{":
            value = self.expression(group.items, group.col, group.end)
        elif group.kind in ("|", "‖"):
            # unevaluated, so that |m(w) - t| keeps the orientation the user wrote
            value = sympy.Abs(self.expression(group.items, group.col, group.end), evaluate=False)
        elif group.kind == "cases":
            value = self.cases(group)
        else:  # pragma: no cover - the tokenizer makes no other groups
            self.fail("unexpected group", group)
        fragment.add(self.placeholder(value), group.col, operand=True)
        if k + 1 < len(items) and _is_op(items[k + 1], "'"):
            self.fail("a prime after a bracket is not supported; name the function", items[k + 1])
        return k + 1

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
        if _is_op(item, "-", "+") and k + 1 < len(items):
            sign, k = (-1 if item.text == "-" else 1), k + 1  # x^-1, as people type it
            item = items[k]
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

    def superscript(self, items: list, k: int, fragment: _Fragment) -> int:
        caret = items[k]
        if not fragment.last_is_operand:
            self.fail("'^' needs a base before it", caret)
        text, after = self.argument(items, k + 1, caret, "an exponent, as in x^{2}")
        fragment.add("^" + text, caret.col, operand=True)
        return after

    def fraction(self, items: list, k: int, fragment: _Fragment) -> int:
        frac = items[k]
        leibniz = self.leibniz(items, k)
        if leibniz is not None:
            value, after = leibniz
            fragment.add(self.placeholder(value), frac.col, operand=True)
            return after
        numerator, k1 = self.argument(items, k + 1, frac, "two arguments, as in \\frac{a}{b}")
        denominator, k2 = self.argument(items, k1, frac, "two arguments, as in \\frac{a}{b}")
        fragment.add(r"\frac" + numerator + denominator, frac.col, operand=True)
        top, bottom = (self.values[_placeholder_name(a[1:-1])] for a in (numerator, denominator))
        if bottom != 0:
            self.fractions.add(top / bottom)
        return k2

    def leibniz(self, items: list, k: int):
        """In a claim, ``\\frac{d f}{d x}`` and ``\\frac{\\partial J}{\\partial s}`` are
        derivatives, and ``\\frac{d}{dx} u`` differentiates the rest of the term. Returns
        (value, next index), or None for an ordinary fraction."""
        if self.context is None or k + 2 >= len(items):
            return None
        top, bottom = items[k + 1], items[k + 2]
        if not (_is_braced(top) and _is_braced(bottom)):
            return None
        if not (_is_d(top.items[:1]) and _is_d(bottom.items[:1]) and len(bottom.items) > 1):
            return None
        name, used = self.name(bottom.items, 1)
        if used != len(bottom.items):
            self.fail("write the variable alone below the line, as in \\frac{d f}{d x}", bottom)
        var = self.symbol(name)
        if len(top.items) == 1:  # d/dx applied to what follows
            if k + 3 >= len(items):
                self.fail("\\frac{d}{dx} needs something after it", items[k])
            return sympy.Derivative(self.term(items[k + 3 :]), var).doit(), len(items)
        return sympy.Derivative(self.derivand(top.items[1:]), var).doit(), k + 3

    def derivand(self, items: list) -> sympy.Expr:
        """What ``d`` applies to in ``\\frac{d f}{d x}``: an unknown function of the loss
        (``m_x`` is m_x(w)), the loss itself by its name (J), or an expression."""
        loss, functions = self.context
        if items and self._is_name_start(items[0]):
            name, used = self.name(items, 0)
            if used == len(items):
                if name.ident in functions:
                    return functions[name.ident]
                if loss.name is not None and _same_spelling(name.latex, loss.name):
                    return loss.expr
        return self.expression(items, items[0].col, items[-1].end)

    def root(self, items: list, k: int, fragment: _Fragment) -> int:
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

    # -- functions ------------------------------------------------------------------------

    def function(self, items: list, k: int, fragment: _Fragment, key: str) -> int:
        """A function applied: ``\\sin(x)``, ``\\log_2(x)``, ``\\max(a, b, c)``, ``\\sin^2 x``,
        ``\\operatorname{ReLU}(u)``."""
        head = items[k]
        k += 1
        base = power = None
        while k < len(items) and _is_op(items[k], "_", "^"):
            which = items[k].text
            text, k = self.argument(items, k + 1, items[k], "an argument")
            value = self.values[_placeholder_name(text[1:-1])]
            if which == "_" and key == "log":
                base = value
            elif which == "^":
                power = value
            else:
                self.fail(f"{self._text(head)} takes no subscript", head)
        if k < len(items) and isinstance(items[k], Group) and items[k].kind == "(":
            group = items[k]
            args = self.arguments(group)
            value = self.apply(key, args, base, head)
            if power is not None:
                if power == -1 and key in _INVERSES:
                    value = _INVERSES[key](*args)  # \\sin^{-1} is arcsin
                else:
                    value = value**power
            fragment.add(self.placeholder(value), head.col, operand=True)
            return k + 1
        if key in _PAREN_FREE and head.kind == "command":
            fragment.add(self.paren_free_command(key, base, power, head), head.col)
            if k >= len(items):
                self.fail(f"{self._text(head)} needs an argument", head)
            return k
        self.fail(f"{self._text(head)} needs its arguments in parentheses", head)
        raise AssertionError  # unreachable

    def paren_free_command(self, key: str, base, power, head: Token) -> str:
        """The command as latex2sympy2_extended should see it: ``\\log`` becomes ``\\ln``."""
        if key == "log":
            self.note_log(base)
            if base is None and self.log_base == "e":
                text = r"\ln"
            else:
                text = r"\log_{" + self.placeholder(base or sympy.Integer(10)) + "}"
        else:
            text = "\\" + key
        if power is not None:
            text += "^{" + self.placeholder(power) + "}"
        return text + " "

    def note_log(self, base) -> None:
        if base is None:
            if self.log_base == "e":
                self.note(r"\log", "is the natural logarithm")
            else:
                self.note(r"\log", "is the base-10 logarithm")

    def arguments(self, group: Group) -> list[sympy.Expr]:
        """The comma-separated arguments inside a parenthesised group."""
        parts, start = [], 0
        for j, item in enumerate(group.items):
            if _is_op(item, ","):
                parts.append((group.items[start:j], item.col))
                start = j + 1
        parts.append((group.items[start:], group.end - 1))
        args = []
        for part, end in parts:
            col = part[0].col if part else end
            args.append(self.expression(part, col, end))
        return args

    def apply(self, key: str, args: list, base, head) -> sympy.Expr:
        if key in ("max", "min"):
            if not args:
                self.fail(f"{self._text(head)} needs at least one argument", head)
            return _APPLIED[key](*args)
        if len(args) != 1:
            self.fail(f"{self._text(head)} takes one argument, not {len(args)}", head)
        (arg,) = args
        if key == "log":
            self.note_log(base)
            if base is None:
                base = sympy.E if self.log_base == "e" else sympy.Integer(10)
            return sympy.log(arg, base)
        if key == "abs":
            return sympy.Abs(arg, evaluate=False)
        if key in ("sign", "sgn"):
            return sympy.sign(arg, evaluate=False)
        if key == "sigmoid":
            self.note(
                r"\sigma(u) = \frac{1}{1 + e^{-u}}",
                "is the logistic sigmoid",
                "σ(u) = 1/(1 + e^(−u))",
            )
        return _APPLIED[key](arg)

    # -- names and applied undefined functions ---------------------------------------------------

    def _is_name_start(self, item) -> bool:
        if not isinstance(item, Token):
            return False
        if item.kind == "letter":
            return True
        if item.kind == "command":
            return item.text[1:] in GREEK or item.text[1:] in names.ACCENT_SUFFIX
        return item.kind == "font" and _function_key(item.arg) not in _APPLIED

    def name(self, items: list, k: int, allow_superscript: bool = True) -> tuple[_Name, int]:
        """A name: a letter, Greek letter, accent or font, then a subscript, primes and an
        index such as ``^{(1)}``."""
        item = items[k]
        start = item.col
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
            ident = f"{inner.ident}_{names.ACCENT_SUFFIX[accent]}"
            base, k = inner.base, k + 2
        else:  # a font: \mathit{loss}, \mathbf{w}, \text{lr}
            ident, base = self.font_name(item), self.font_name(item)
            k += 1
        if k < len(items) and _is_op(items[k], "_"):
            sub_latex, k = self.subscript(items, k)
            ident += "_" + names.subscript_identifier(sub_latex)
        primes = 0
        while k < len(items) and _is_op(items[k], "'"):
            primes, k = primes + 1, k + 1
        ident += "_prime" * primes
        if allow_superscript and k + 1 < len(items) and _is_op(items[k], "^"):
            index = self.superscript_index(items[k + 1])
            if index is not None:
                ident += "_" + names.subscript_identifier(index)
                k += 2
        end = items[k - 1].end
        latex = " ".join(self.source[start:end].split())
        return _Name(ident, latex, base, primes, start, end), k

    def font_name(self, font: Token) -> str:
        command = font.text[1:]
        content = font.arg.strip()
        if content.startswith("\\") and content[1:] in GREEK:
            word = content[1:]
        elif content.isascii() and content.replace(" ", "").isalnum() and content:
            word = content.replace(" ", "")
        else:
            self.fail(f"cannot read {self._text(font)} as a name", font)
        suffix = names.FONT_SUFFIX.get(command)
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
        """``^{(1)}`` as in w^{(1)}: an index written as a superscript, not a power."""
        if isinstance(item, Group) and item.kind == "{" and len(item.items) == 1:
            inner = item.items[0]
            if isinstance(inner, Group) and inner.kind == "(" and inner.items:
                return self.source[inner.col + 1 : inner.end - 1].strip()
        return None

    def symbol(self, name: _Name) -> sympy.Symbol:
        """The real symbol for ``name``; one symbol per spelling, identifiers kept distinct."""
        known = self.symbol_for_spelling.get(name.latex.replace(" ", ""))
        if known is not None:
            return known
        ident = self.unique(names.make_safe(name.ident), name.latex)
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
        while candidate in self.spellings and not _same_spelling(self.spellings[candidate], latex):
            n += 1
            candidate = f"{ident}_{n}"
        self.spellings[candidate] = latex
        return candidate

    def name_piece(self, items: list, k: int, fragment: _Fragment) -> int:
        """A symbol, or an applied function when parentheses follow and the name is one."""
        name, after = self.name(items, k)
        follows = (
            after < len(items) and isinstance(items[after], Group) and items[after].kind == "("
        )
        head = items[k]
        if (
            head.kind == "font"
            and head.text == r"\operatorname"
            and name.ident not in self.declared
        ):
            self.fail(
                f"unknown function {self._text(head)}; pass --function {name.ident} "
                "to read it as an unknown function",
                head,
            )
        if name.ident == "e" and not follows:
            fragment.add(self.placeholder(sympy.E), name.col, operand=True)
            return after
        if not follows:
            fragment.add(self.placeholder(self.symbol(name)), name.col, operand=True)
            return after
        group = items[after]
        if name.plain and name.base == "sigma" and "sigma" not in self.declared:
            args = self.arguments(group)
            value = self.apply("sigmoid", args, None, items[k])
        elif self.is_function(name, group):
            value = self.undefined_function(name, group)
        else:
            fragment.add(self.placeholder(self.symbol(name)), name.col, operand=True)
            self.note(
                rf"{name.latex}(\ldots)",
                f"is read as a product; pass --function {name.ident} to read it as a function",
                f"{names.latex_to_text(name.latex)}(…)",
            )
            return after
        fragment.add(self.placeholder(value), name.col, operand=True)
        return after + 1

    def is_function(self, name: _Name, group: Group) -> bool:
        if name.primes or name.ident in self.declared or name.latex in self.declared:
            return True
        if name.base in _FUNCTION_LETTERS or name.base in self.declared:
            return True
        parts = [[]]
        for item in group.items:
            if _is_op(item, ","):
                parts.append([])
            else:
                parts[-1].append(item)
        for part in parts:
            if not part or not self._is_name_start(part[0]):
                return False
            try:
                _, used = self.name(part, 0)
            except ParseError:
                return False
            if used != len(part):
                return False
        return True

    def undefined_function(self, name: _Name, group: Group) -> sympy.Expr:
        """``m_x(w)``: an undefined real function; ``m_x'(w)`` its derivative."""
        args = self.arguments(group)
        bare = name.ident.removesuffix("_prime" * name.primes)
        latex = name.latex.rstrip("'").rstrip()
        ident = self.unique(names.make_safe(bare), latex)
        function = sympy.Function(ident, real=True)
        value = function(*args)
        shown = ", ".join(self.spelling(a) for a in args)
        plain = ", ".join(
            names.latex_to_text(self.spelling(a)) if a.is_Symbol else str(a) for a in args
        )
        self.note(
            f"{latex}({shown})",
            f"is an unknown function of {plain}",
            f"{names.latex_to_text(latex)}({plain})",
        )
        if name.primes:
            if len(args) != 1:
                self.fail("a prime on a function of several arguments is ambiguous", group)
            (arg,) = args
            if isinstance(arg, sympy.Symbol):
                value = sympy.Derivative(value, (arg, name.primes))
            else:
                dummy = sympy.Dummy("u", real=True)
                value = sympy.Subs(
                    sympy.Derivative(function(dummy), (dummy, name.primes)), dummy, arg
                )
        return value

    # -- cases ------------------------------------------------------------------------------

    def cases(self, group: Group) -> sympy.Piecewise:
        """``\\begin{cases} a & \\text{if } x > 0 \\\\ b & \\text{otherwise} \\end{cases}``."""
        rows, row = [], [[]]
        for item in group.items:
            if isinstance(item, Token) and item.kind == "rowsep":
                rows.append(row)
                row = [[]]
            elif _is_op(item, "&"):
                row.append([])
            else:
                row[-1].append(item)
        rows.append(row)
        rows = [r for r in rows if any(cell for cell in r)]
        if not rows:
            self.fail("the cases environment is empty", group)
        pieces = []
        for n, cells in enumerate(rows, start=1):
            if len(cells) > 2:
                self.fail(f"row {n} of the cases has more than one '&'", group)
            value_items = _strip_punctuation(cells[0])
            if not value_items:
                self.fail(f"row {n} of the cases has no value", group)
            value = self.expression(value_items, value_items[0].col, value_items[-1].end)
            condition_items = cells[1] if len(cells) > 1 else []
            condition = self.condition(condition_items, n, len(rows), group)
            pieces.append((value, condition))
        return sympy.Piecewise(*pieces)

    def condition(self, items: list, row: int, rows: int, group: Group):
        items = [it for it in items if not _is_word(it, _CONDITION_WORDS)]
        items = _strip_punctuation(items)
        if not items or (len(items) == 1 and _is_word(items[0], _OTHERWISE)):
            if row == rows:
                return sympy.true
            self.fail(f"row {row} of the cases needs a condition", group)
        conjunction: list = []
        disjunction: list = []
        part: list = []
        for item in items + [None]:
            if item is None or _is_op(item, "and", "or", ",") or _is_word(item, {"and", "or"}):
                if not part:
                    where = item if item is not None else items[-1]
                    self.fail("a condition is missing here", where)
                conjunction.append(self.relation(part))
                part = []
                if item is not None and (_is_op(item, "or") or _is_word(item, {"or"})):
                    disjunction.append(sympy.And(*conjunction))
                    conjunction = []
            else:
                part.append(item)
        disjunction.append(sympy.And(*conjunction))
        return sympy.Or(*disjunction)

    def relation(self, items: list):
        """``a < b``, ``|x| \\le \\delta``, ``0 < x \\le 1``."""
        sides, ops, start = [], [], 0
        for k, item in enumerate(items):
            if isinstance(item, Token) and item.kind == "op" and item.text in _RELATIONS:
                sides.append(items[start:k])
                ops.append(item)
                start = k + 1
        sides.append(items[start:])
        if not ops:
            self.fail("a condition needs a comparison such as x > 0", items[0])
        values = []
        for side, op in zip(sides, ops + [None], strict=True):
            if not side:
                self.fail("a comparison is missing a side", op or ops[-1])
            values.append(self.expression(side, side[0].col, side[-1].end))
        return sympy.And(
            *(_RELATIONS[op.text](values[j], values[j + 1]) for j, op in enumerate(ops))
        )

    # -- placeholders and latex2sympy2_extended --------------------------------------------------

    def placeholder(self, value: sympy.Basic) -> str:
        key = f"Q{len(self.values)}"
        self.values[key] = value
        return r"\variable{" + key + "}"

    def parse_fragment(self, fragment: _Fragment) -> sympy.Expr:
        text = fragment.source
        try:
            raw = _latex2sympy(text)
        except Exception as error:  # the library raises bare Exceptions with a caret drawing
            column = _caret_column(str(error))
            col = (
                fragment.origins[min(column, len(fragment.origins) - 1)]
                if column is not None
                else None
            )
            self.fail("cannot read this", col=col)
        return self.rebuild(raw)

    def rebuild(self, expr):
        """Put the placeholders' values back, evaluating bottom-up with a guard on huge powers."""
        if isinstance(expr, sympy.Symbol) and expr.name in self.values:
            return self.values[expr.name]
        if not expr.args:
            return expr
        args = [self.rebuild(a) for a in expr.args]
        if isinstance(expr, sympy.Pow):
            _refuse_huge_power(*args, source=self.source)
        return expr.func(*args)


def _latex2sympy(text: str):
    from latex2sympy2_extended import latex2sympy
    from latex2sympy2_extended.latex2sympy2 import ConversionConfig

    config = ConversionConfig(lowercase_symbols=False, interpret_as_mixed_fractions=False)
    return latex2sympy(text, is_real=True, normalization_config=None, conversion_config=config)


def _caret_column(message: str) -> int | None:
    last = message.rstrip().splitlines()[-1] if message.strip() else ""
    if last.strip("~").startswith("^"):
        return last.index("^")
    return None


def _refuse_huge_power(base, exponent, source: str) -> None:
    if base.is_Number and exponent.is_Number and exponent.is_Integer and abs(exponent) > 1:
        magnitude = abs(base)
        if magnitude not in (0, 1):
            digits = float(abs(exponent)) * abs(float(sympy.log(magnitude, 10).evalf(5)))
            if digits > _MAX_DIGITS:
                raise ParseError(
                    f"a number in the loss would have about {digits:.3g} digits; "
                    f"derive refuses numbers over {_MAX_DIGITS} digits",
                    source,
                    0,
                )


def _is_placeholder(text: str) -> bool:
    return text.startswith(r"\variable{") and text.endswith("}") and "{" not in text[10:]


def _placeholder_name(text: str) -> str:
    return text.strip()[len(r"\variable{") : -1]


def _is_number_placeholder(fragment: _Fragment, values: dict) -> bool:
    last = fragment.text[-1] if fragment.text else ""
    if not last.startswith(r"\variable{"):
        return False
    value = values.get(_placeholder_name(last))
    return value is not None and value.is_Number


def _is_braced(item) -> bool:
    return isinstance(item, Group) and item.kind == "{" and bool(item.items)


def _is_d(items: list) -> bool:
    """Whether ``items`` start with the d of a derivative: d, \\partial or \\mathrm{d}."""
    if not items or not isinstance(items[0], Token):
        return False
    first = items[0]
    return (
        first.kind == "letter"
        and first.text == "d"
        or first.kind == "command"
        and first.text == r"\partial"
        or first.kind == "font"
        and first.arg.strip() == "d"
    )


def _is_op(item, *texts: str) -> bool:
    return isinstance(item, Token) and item.kind == "op" and item.text in texts


def _is_word(item, words: set[str]) -> bool:
    return (
        isinstance(item, Token)
        and item.kind == "font"
        and item.arg.strip().strip(",").strip().lower() in words
    )


def _strip_punctuation(items: list) -> list:
    items = list(items)
    while items and (_is_op(items[-1], ",") or _is_word(items[-1], {"", ","})):
        items.pop()
    while items and (_is_op(items[0], ",") or _is_word(items[0], {"", ","})):
        items.pop(0)
    return items


def _function_key(name: str) -> str:
    key = name.strip().lower()
    return key
