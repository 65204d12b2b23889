"""Reading sums over an index: ``\\sum_{i=1}^{N} (w x_i - y_i)^2``, ``\\sum_i``, nested sums.

Inside a sum, a name whose subscript is made of the sum's indices is an element of an array:
``x_i``, ``x_{ij}``, ``x_{i,j}``, ``W_{jk}``, ``x^{(i)}`` and ``x[i]`` become SymPy's
``Indexed`` (``x[i]``), its base real. The summand is the rest of the term, as in print:
``\\sum_i x_i y_i + b`` is (Σᵢ xᵢyᵢ) + b. A name indexed by a sum's letter outside that sum
(``\\sum_i x_i - y_i``) is refused rather than read as a name of its own. The bounds are
whole numbers: a name used as a bound (``N``) is an integer, never differentiated.
"""

from __future__ import annotations

import re

import sympy

from derive import notation
from derive.errors import ParseError
from derive.read.bridge import Fragment, is_placeholder, placeholder_name
from derive.read.groups import Group, is_op
from derive.read.names import same_spelling
from derive.read.tokens import Token

DEFAULT_UPPER = "N"


def index_symbol(letter: str) -> sympy.Symbol:
    """The symbol of a summation index: a whole number."""
    return sympy.Symbol(letter, integer=True)


def bound_symbol(name: str) -> sympy.Symbol:
    """The symbol of a name used as a bound (N): a positive whole number."""
    return sympy.Symbol(name, integer=True, positive=True)


def standalone_letters(text: str) -> set[str]:
    """The letters of a subscript that stand alone: i and y in ``i, y_i``; none in ``max``."""
    return set(re.findall(r"(?<![A-Za-z\\])[A-Za-z](?![A-Za-z])", text))


def index_letters(text: str) -> list[str] | None:
    """``i`` → [i]; ``ij``, ``i,j``, ``i j`` → [i, j]; ``(i)`` → [i]; else None."""
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    letters = [c for c in text if c not in ", "]
    if letters and all(c.isascii() and c.isalpha() for c in letters):
        return letters
    return None


class SumReading:
    """Sums and indexed names (a mixin of the reader)."""

    def summation(self, items: list, k: int, fragment: Fragment) -> int:
        """``\\sum_{i=1}^{N}`` and the rest of the term as its summand."""
        sigma = items[k]
        if k + 1 >= len(items) or not is_op(items[k + 1], "_"):
            self.fail(r"\sum needs its index below it, as in \sum_{i=1}^{N}", sigma)
        index, lower, k = self._sum_index(items, k + 2, sigma)
        letter = index.text
        upper = None
        if k < len(items) and is_op(items[k], "^"):
            text, k = self.argument(items, k + 1, items[k], r"an upper bound, as in \sum_{i=1}^{N}")
            upper = self.values[placeholder_name(text[1:-1])]
        if upper is None:
            upper = self._count_symbol()
            self.note(
                rf"\sum_{{{letter}}}",
                f"is the sum over {letter} = 1, …, N",
                f"Σ_{letter}",
            )
        if k >= len(items):
            self.fail(r"\sum needs a summand after it", sigma)
        symbol = index_symbol(letter)
        if symbol in self.bound_indices:
            self.fail(f"the index {letter} is already bound by an outer sum", index)
        self.bound_indices.append(symbol)
        self.sum_letters.add(letter)
        self.index_terms[symbol] = upper - lower + 1
        try:
            summand = self._summand(items, k)
        finally:
            self.bound_indices.pop()
        if isinstance(summand, sympy.MatrixExpr):
            self.fail(
                "a sum of vectors or matrices is not supported: its terms must be numbers",
                sigma,
            )
        for bound in (lower, upper):
            letters = {s.name for s in bound.free_symbols}
            if letter in letters or letters & {s.name for s in self.bound_indices}:
                self.fail(f"the bounds of the sum over {letter} use its own index", sigma)
            self.bounds |= {s for s in bound.free_symbols if isinstance(s, sympy.Symbol)}
        value = sympy.Sum(summand, (symbol, lower, upper))
        fragment.add(self.placeholder(value), sigma.col, operand=True)
        return len(items)

    def _count_symbol(self) -> sympy.Symbol:
        """N, the number of terms of a sum written without bounds: the loss's own N if any."""
        known = self.symbol_for_spelling.get(DEFAULT_UPPER)
        if known is None:
            ident = self.unique(notation.make_safe(DEFAULT_UPPER), DEFAULT_UPPER)
            known = sympy.Symbol(ident, real=True)
            self.symbol_for_spelling[DEFAULT_UPPER] = known
        self.bounds.add(known)
        return known

    def _summand(self, items: list, k: int) -> sympy.Expr:
        inner = Fragment()
        while k < len(items):
            k = self.piece(items, k, inner)
        if len(inner.text) == 1 and is_placeholder(inner.text[0]):
            return self.values[placeholder_name(inner.text[0])]
        return self.as_number_if_1x1(self.parse_fragment(inner), items[k:])

    def _sum_index(self, items: list, k: int, sigma) -> tuple[Token, sympy.Expr, int]:
        """The index and the lower bound below ``\\sum``: ``i``, ``{i}``, ``{i=1}``."""
        if k >= len(items):
            self.fail(r"\sum needs its index below it, as in \sum_{i=1}^{N}", sigma)
        below = items[k]
        parts = below.items if isinstance(below, Group) and below.kind == "{" else [below]
        letter = parts[0] if parts else below
        if not (isinstance(letter, Token) and letter.kind == "letter" and len(letter.text) == 1):
            self.fail(r"the index of a sum is one letter, as in \sum_{i=1}^{N}", below)
        if len(parts) == 1:
            return letter, sympy.S.One, k + 1
        if not is_op(parts[1], "=") or len(parts) < 3:
            self.fail(r"write the index of a sum as \sum_i or \sum_{i=1}^{N}", below)
        lower = self.expression(parts[2:], parts[2].col, parts[-1].end)
        return letter, lower, k + 1

    def indexed(self, name) -> sympy.Expr | None:
        """``x_i`` inside a sum over i as the array element x[i]; None for any other name."""
        bound = {s.name: s for s in self.bound_indices}
        if not name.index:
            if name.plain and len(name.ident) == 1:  # the index itself: i in \sum_i i x_i
                self.index_uses.append((name, [name.ident]))
                if name.ident in bound:
                    name.bound = True
                    return bound[name.ident]
            return None
        letters = index_letters(name.index)
        self.index_uses.append((name, letters or sorted(standalone_letters(name.index))))
        if letters is None:
            used = standalone_letters(name.index) & set(bound)
            if used:
                self.fail(
                    f"{name.latex}: a subscript that holds the index {sorted(used)[0]} of a sum "
                    "but is not a list of indices (x_i, x_{ij}) is not supported",
                    col=name.col,
                    end=name.end,
                )
            return None
        if not any(c in bound for c in letters):
            return self._element_of_the_loss(name, letters)
        missing = [c for c in letters if c not in bound]
        if missing and self.context is not None:  # a claim: x_{ik} has the element k
            bound = {**{c: index_symbol(c) for c in missing}, **bound}
            missing = []
        if missing:
            self.fail(
                f"{name.latex} mixes the index of a sum with {', '.join(missing)}, which no "
                "sum binds",
                col=name.col,
                end=name.end,
            )
        name.bound = True
        vector = self.data_vector(name, bound[letters[0]]) if len(letters) == 1 else None
        if vector is not None:
            return vector
        base = sympy.IndexedBase(self.unique(name.base_ident, name.base_latex), real=True)
        return sympy.Indexed(base, *(bound[c] for c in letters))

    def _element_of_the_loss(self, name, letters: list[str]) -> sympy.Expr | None:
        """In a claim, ``x_k`` outside any sum is the element x[k] of the loss's array x."""
        if self.context is None:
            return None
        loss, _ = self.context
        for element in loss.expr.atoms(sympy.Indexed):
            base = element.base
            spelled = loss.spellings.get(base.label.name, base.label.name)
            same = name.base_ident == base.label.name or same_spelling(spelled, name.base_latex)
            if same and len(element.indices) == len(letters):
                name.bound = True
                return sympy.Indexed(base, *(index_symbol(c) for c in letters))
        return None

    def check_indices(self) -> None:
        """A name indexed by a sum's letter must stand inside that sum."""
        for name, letters in self.index_uses:
            if name.bound:
                continue
            used = [c for c in letters if c in self.sum_letters]
            if used and not name.index:
                self.fail(
                    f"{name.latex} is the index of a sum, and cannot be a name outside it",
                    col=name.col,
                    end=name.end,
                )
            if used:
                self.fail(
                    f"{name.latex} uses the index {used[0]} outside the sum over {used[0]}; "
                    "put the whole summand in parentheses, as in \\sum_i (x_i - y_i)",
                    col=name.col,
                    end=name.end,
                )


def refuse_name_used_twice(expr: sympy.Expr, source: str) -> None:
    """Refuse a name that is both an array (x in xᵢ) and a number (x alone) in one loss: the
    two cannot be told apart, and a reading of one would be a misreading of the other."""
    bases = expr.atoms(sympy.IndexedBase)
    alone = set(_symbols_outside_arrays(expr))
    for base in sorted(bases, key=str):
        if base.label in alone:
            raise ParseError(
                f"{base.label.name} is both an array ({base.label.name}_i in a sum) and a "
                "number in this loss; give one of them another name",
                source,
                0,
            )


def _symbols_outside_arrays(expr: sympy.Basic, bound: frozenset = frozenset()):
    """The free symbols of ``expr`` other than the labels of its arrays (x alone, not the x
    of xᵢ; not a sum's index), found without rebuilding ``expr``: building again evaluates
    again, which for H(e^{p(w)} − Δ) with p a large polynomial costs SymPy seconds."""
    if isinstance(expr, sympy.Symbol):
        if expr not in bound:
            yield expr
    elif not isinstance(expr, sympy.IndexedBase):
        inner = bound | frozenset(getattr(expr, "bound_symbols", ()))
        for arg in expr.args:
            yield from _symbols_outside_arrays(arg, inner)
