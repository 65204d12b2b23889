"""The errors derive reports to users: bad input, never a bug."""

from __future__ import annotations

import sympy

WINDOW = 72  # characters of a long input shown around an error


class DeriveError(Exception):
    """Input that derive cannot work with; the message says what is wrong."""


def refuse_sums(expr, what: str) -> None:
    """A command that evaluates the loss at numbers refuses a sum over data, for now."""
    if expr.has(sympy.Sum, sympy.Indexed):
        raise DeriveError(
            f"{what} does not handle sums over data (x_i) yet: derive grad and derive code do"
        )


class ParseError(DeriveError):
    """LaTeX that derive cannot read, with the column (0-based) of the offending text."""

    def __init__(self, message: str, source: str = "", column: int | None = None, length: int = 1):
        super().__init__(message)
        self.message = message
        self.source = source
        self.column = column
        self.length = max(1, length)

    @property
    def offending(self) -> str:
        """The piece of the input the error points at."""
        if self.column is None:
            return ""
        return self.source[self.column : self.column + self.length]

    def caret(self) -> str:
        """The input with a caret under the offending column, for a terminal."""
        if self.column is None or not self.source:
            return self.message
        line = self.source.replace("\n", " ").replace("\t", " ")
        start, width = 0, min(self.length, max(1, len(line) - self.column), 20)
        if len(line) > WINDOW:
            start = max(0, min(self.column - WINDOW // 2, len(line) - WINDOW))
            shown = line[start : start + WINDOW]
            line = ("…" if start else "") + shown + ("…" if start + WINDOW < len(line) else "")
            start -= 1 if start else 0
        marker = " " * (self.column - start) + "^" * width
        return f"{self.message} (column {self.column + 1})\n  {line}\n  {marker}"

    def __str__(self) -> str:
        if self.column is None:
            return self.message
        return f"{self.message} (column {self.column + 1})"
