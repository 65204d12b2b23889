"""Reading applied functions: the vocabulary's (``\\sin(x)``, ``\\log_2 x``, ``\\max(a, b, c)``,
``\\sin^{-1}``, ``\\operatorname{ReLU}(u)``, ``\\sigma(u)``) and unknown ones (``m_x(w)``,
``f(x, y)``, ``m_x'(w)``); a name before parentheses that holds an expression is a product
(``y(w x + b)``), said in the notes."""

from __future__ import annotations

import sympy

from derive import notation
from derive.errors import ParseError
from derive.notation import latex_to_text
from derive.read.arrays import SOFTMAX, TRACE, applied_to_each, is_array
from derive.read.bridge import PAREN_FREE, Fragment, is_placeholder, placeholder_name
from derive.read.groups import Group, is_op
from derive.read.names import _Name
from derive.read.tokens import Token
from rules.registry import by_letter, by_name, inverse_of

FUNCTION_LETTERS = {"f", "g", "h"}  # f(w x) is a function even of an expression


def applied_to(items: list, k: int) -> Group | None:
    """The group holding a function's arguments at ``items[k]``: ``(…)``, ``[…]``, ``\\{…\\}``,
    or SymPy's own ``{\\left(…\\right)}``; None when there is none."""
    if k >= len(items) or not isinstance(items[k], Group):
        return None
    group = items[k]
    if group.kind == "{" and len(group.items) == 1 and isinstance(group.items[0], Group):
        inner = group.items[0]
        return inner if inner.kind == "(" else None
    if group.kind in ("(", "[") or group.kind == "{" and group.explicit:
        return group
    return None


class FunctionReading:
    """Functions applied to arguments (a mixin of the reader)."""

    def function(self, items: list, k: int, fragment: Fragment, key: str) -> int:
        """A function applied: ``\\sin(x)``, ``\\log_2(x)``, ``\\max(a, b, c)``, ``\\sin^2 x``,
        ``\\operatorname{ReLU}(u)``."""
        head = items[k]
        k += 1
        base = power = None
        while k < len(items) and is_op(items[k], "_", "^"):
            which = items[k].text
            if which == "_" and key != "log":
                self.fail(
                    f"{self._text(head)}_{{…}} is a reduction over an index, not supported yet; "
                    "write the arguments out",
                    head,
                    end=items[k + 1].end if k + 1 < len(items) else None,
                )
            text, k = self.argument(items, k + 1, items[k], "an argument")
            value = self.values[placeholder_name(text[1:-1])]
            if which == "_" and key == "log":
                base = value
            elif which == "^":
                power = value
            else:
                self.fail(f"{self._text(head)} takes no subscript", head)
        group = applied_to(items, k)
        if group is not None:
            args = self.arguments(group)
            entry = by_name(key)
            if key == "log":
                value = self.logarithm(args, base, head)
            else:
                value = self.apply(entry, args, head)
            if power is not None:
                inverse = inverse_of(entry.head)
                if power == -1 and inverse is not None:
                    value = inverse.build(*args)  # \\sin^{-1} is arcsin
                    self._note_inverse(key, inverse)
                else:
                    value = value**power
            fragment.add(self.placeholder(value), head.col, operand=True)
            return k + 1
        if key in PAREN_FREE and head.kind == "command":
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
        inverse = inverse_of(by_name(key).head) if power == -1 else None
        if inverse is not None:
            command = next((c for c in inverse.commands if c in PAREN_FREE), None)
            if command is None:
                self.fail(f"write \\{key}^{{-1}}(…) with parentheses", head)
            self._note_inverse(key, inverse)
            return f"\\{command} "
        if power is not None:
            text += "^{" + self.placeholder(power) + "}"
        return text + " "

    def _note_inverse(self, key: str, inverse) -> None:
        name = inverse.names[0]
        self.note(rf"\{key}^{{-1}}", f"is the inverse function {name}, not 1/{key}", f"{key}⁻¹")

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
            if is_op(item, ","):
                parts.append((group.items[start:j], item.col))
                start = j + 1
        parts.append((group.items[start:], group.end - 1))
        args = []
        for part, end in parts:
            col = part[0].col if part else end
            args.append(self.expression(part, col, end))
        return args

    def apply(self, entry, args: list, head) -> sympy.Expr:
        """The vocabulary's function ``entry`` applied to ``args``."""
        if entry.arity is None:
            if len(args) < 2:
                self.fail(
                    f"{self._text(head)} of one argument is a reduction over an index; "
                    "write its arguments out, as in \\max(a, b)",
                    head,
                )
            return self.built(entry, args, head)
        if len(args) != entry.arity:
            self.fail(f"{self._text(head)} takes one argument, not {len(args)}", head)
        if entry.reading is not None:
            self.note(*entry.reading)
        return self.built(entry, args, head)

    def built(self, entry, args: list, head) -> sympy.Expr:
        """The function applied, or a clear refusal when SymPy cannot form it: a max of a
        value that is not real (log of a negative constant), of an infinity (1/0)."""
        if any(is_array(a) for a in args):
            return self.elementwise(entry, args, head)
        try:
            return entry.build(*args)
        except (ValueError, TypeError) as error:
            self.fail(f"{self._text(head)} cannot be formed here: {error}", head)
        raise AssertionError  # unreachable

    def logarithm(self, args: list, base, head) -> sympy.Expr:
        """``\\log(u)`` (natural, or base 10 by the option) or ``\\log_b(u)``."""
        if len(args) != 1:
            self.fail(f"{self._text(head)} takes one argument, not {len(args)}", head)
        self.note_log(base)
        if base is None:
            base = sympy.E if self.log_base == "e" else sympy.Integer(10)
        if is_array(args[0]):  # \log of a vector: of each element
            return applied_to_each(args[0], lambda t: sympy.log(t, base))
        try:
            return sympy.log(args[0], base)
        except (ValueError, TypeError, NotImplementedError) as error:
            self.fail(f"{self._text(head)} cannot be formed here: {error}", head)
            raise AssertionError from None  # unreachable

    def name_piece(self, items: list, k: int, fragment: Fragment) -> int:
        """A symbol, or an applied function when parentheses follow and the name is one."""
        name, after = self.name(items, k)
        follows = (
            after < len(items) and isinstance(items[after], Group) and items[after].kind == "("
        )
        head = items[k]
        if head.kind == "font" and name.ident in TRACE and follows:  # \operatorname{tr}(A)
            (argument,) = self.arguments(items[after]) or [None]
            fragment.add(self.placeholder(self.trace(argument, head)), name.col, operand=True)
            return after + 1
        if head.kind == "font" and name.ident in SOFTMAX and follows:  # softmax(z)
            (argument,) = self.arguments(items[after]) or [None]
            fragment.add(self.placeholder(self.softmax(argument, head)), name.col, operand=True)
            return after + 1
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
        if self._element_in_brackets(name, items, after):  # x[i] inside a sum over i
            fragment.add(self.placeholder(self.symbol(name)), name.col, operand=True)
            return after + 1
        self._refuse_indexing(name, items, after)
        if name.ident == "e" and not follows and not name.in_word:
            fragment.add(self.placeholder(sympy.E), name.col, operand=True)
            return after
        if not follows:
            value = self.symbol(name)
            before = fragment.text[-1] if fragment.last_is_operand else ""
            before = self.values.get(placeholder_name(before)) if is_placeholder(before) else None
            if is_array(before) and before.shape[0] == 1:  # wᵀ x_i
                self.infer_vector(value, before)
            fragment.add(self.placeholder(value), name.col, operand=True)
            return after
        group = items[after]
        letter = by_letter(name.base) if name.plain and name.base not in self.declared else None
        if letter is None and self.context is not None and name.plain and name.base == "H":
            if "H" not in self.declared:  # a claim, in derive's own notation for the step
                letter = by_name("heaviside")
                self.note("H(u)", "is the Heaviside step, H(0) = 1/2, as derive writes it", "H(u)")
        if letter is not None:
            value = self.apply(letter, self.arguments(group), items[k])
        elif self.is_function(name, group):
            value = self.undefined_function(name, group)
        else:
            fragment.add(self.placeholder(self.symbol(name)), name.col, operand=True)
            self.note(
                rf"{name.latex}(\ldots)",
                f"is read as a product; pass --function {name.ident} to read it as a function",
                f"{latex_to_text(name.latex)}(…)",
            )
            return after
        fragment.add(self.placeholder(value), name.col, operand=True)
        return after + 1

    def _element_in_brackets(self, name: _Name, items: list, after: int) -> bool:
        """``x[i]`` right after a plain name, i the index of an enclosing sum: the element
        x_i (``name`` then carries the index)."""
        bracket = items[after] if after < len(items) else None
        if not (isinstance(bracket, Group) and bracket.kind == "[" and bracket.col == name.end):
            return False
        inside = bracket.items[0] if len(bracket.items) == 1 else None
        letter = inside.text if isinstance(inside, Token) and inside.kind == "letter" else None
        if name.index or letter not in {s.name for s in self.bound_indices}:
            return False
        name.index, name.end = letter, bracket.end
        return True

    def _refuse_indexing(self, name: _Name, items: list, after: int) -> None:
        """``\\mathbb{E}[…]`` and ``E[…]`` (an expectation), ``x[i]`` (an index): no reading of
        them as a product would be what the notes mean."""
        bracket = items[after] if after < len(items) else None
        bracket = bracket if isinstance(bracket, Group) and bracket.kind == "[" else None
        if name.base in ("E", "E_bb") and (bracket is not None or name.base == "E_bb"):
            self.fail(
                "an expectation E[…]: derive differentiates the expression inside; "
                "write it without the expectation",
                col=name.col,
                end=bracket.end if bracket is not None else name.end,
            )
        simple = bracket is not None and len(bracket.items) == 1 and bracket.col == name.end
        if simple and isinstance(bracket.items[0], Token):
            if bracket.items[0].kind in ("letter", "number"):
                self.fail(
                    f"{self.source[name.col : bracket.end]} indexes an array; "
                    f"write {name.latex}_{self._text(bracket.items[0])}",
                    col=name.col,
                    end=bracket.end,
                )

    def is_function(self, name: _Name, group: Group) -> bool:
        if name.primes or name.ident in self.declared or name.latex in self.declared:
            return True
        if name.base in FUNCTION_LETTERS or name.base in self.declared:
            return True
        parts = [[]]
        for item in group.items:
            if is_op(item, ","):
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
        ident = self.unique(notation.make_safe(bare), latex)
        function = sympy.Function(ident, real=True)
        value = function(*args)
        shown = ", ".join(self.spelling(a) for a in args)
        plain = ", ".join(latex_to_text(self.spelling(a)) if a.is_Symbol else str(a) for a in args)
        self.note(
            f"{latex}({shown})",
            f"is an unknown function of {plain}",
            f"{latex_to_text(latex)}({plain})",
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
