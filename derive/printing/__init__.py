"""Expressions to strings, in the input's own spellings: LaTeX for notes, Unicode for a
terminal. The formats (``derive.emit``) and the generated code's docstrings use them.

Each function prints as its vocabulary entry says (σ, ReLU, max with numbers last, H(u) or
1[u > 0]); what the entry leaves open, SymPy's own printers do.
"""

from __future__ import annotations

import sympy

from derive.notation import latex_to_text
from derive.printing.latex import NotesLatexPrinter
from derive.printing.text import NotesTextPrinter

__all__ = ["NotesLatexPrinter", "NotesTextPrinter", "latex", "latex_to_text", "text"]


def latex(expr: sympy.Basic, spellings: dict[str, str], partial: bool = True) -> str:
    """``expr`` as LaTeX in the input's spellings (∂ when ``partial``, else d)."""
    return NotesLatexPrinter(spellings, partial).doprint(expr)


def text(expr: sympy.Basic, spellings: dict[str, str], partial: bool = True) -> str:
    """``expr`` as one line of Unicode in the input's spellings."""
    return NotesTextPrinter(spellings, partial).doprint(expr)
