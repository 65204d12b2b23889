"""What a reader keeps while it walks one input: the source, the options, each name's
spelling and symbol, the notes on the reading, the placeholders' values, the fractions."""

from __future__ import annotations

import sympy

from derive.errors import ParseError
from derive.model import Reading
from derive.notation import latex_to_text
from derive.read.arrays import parsed_shapes


class ReaderState:
    """The state of reading one input, and how to fail and take notes."""

    def __init__(
        self, source: str, functions, log_base: str, context=None, shapes=None, inferred=None
    ):
        """``shapes``: each vector's or matrix's dimensions by name (``derive.read.arrays``);
        ``inferred``: the shapes the expression forces (``derive.read.inferred``)."""
        self.source = source
        self.in_matrices = False  # keep wᵀx, ‖v‖², tr A whole (``read_in_matrices``)
        try:
            self.shapes = parsed_shapes(shapes)  # each declared name's dimensions
        except ValueError as error:
            raise ParseError(f"--shape: {error}") from None
        self.inferred = dict(inferred or {})  # spelling → (dimensions, the reading's note)
        for key, (dims, _) in self.inferred.items():
            self.shapes.setdefault(key, dims)
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
        self.bound_indices: list[sympy.Symbol] = []  # the indices of the sums being read
        self.sum_letters: set[str] = set()  # every letter a sum binds
        self.bounds: set[sympy.Symbol] = set()  # names used as a sum's bounds (N)
        self.index_terms: dict[sympy.Symbol, sympy.Expr] = {}  # each sum's number of terms
        self.index_uses: list = []  # (name, its index letters) of every indexed name
        if context is not None:  # a claim speaks the loss's names
            loss, _ = context
            self.spellings.update(loss.spellings)
            for symbol in loss.expr.free_symbols:
                spelling = loss.spellings.get(symbol.name, symbol.name)
                self.symbol_for_spelling[spelling.replace(" ", "")] = symbol

    def fail(self, message: str, item=None, col: int | None = None, end: int | None = None):
        if item is not None:
            col, end = item.col, item.end
        if col is None:
            col = len(self.source)
        raise ParseError(message, self.source, col, (end or col + 1) - col)

    def note(self, math: str, text: str, plain: str = "") -> None:
        reading = Reading(math, text, plain or latex_to_text(math))
        if reading not in self.readings:
            self.readings.append(reading)

    def _text(self, item) -> str:
        return self.source[item.col : item.end]
