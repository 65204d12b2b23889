"""Lecture notes with derivations in them: ``derive render`` replaces each derive block of a
note by what its command prints, and keeps the prose as it is, so rendering twice gives the
same file.

- Markdown (``.md``, Quarto's ``.qmd``, MyST): a fenced ```` ```derive ```` block;
- LaTeX (``.tex``): a ``derive`` environment;
- Jupyter notebooks: ``%%derive`` cells, executed (``derive.notebooks``).

A block holds a command line without the word ``derive``: ``grad``, ``check``, ``code`` or
``plot``. The commands are run by ``run(arguments) -> (exit status, output, messages)``,
which the command line gives: this package only finds the blocks and splices.
"""

from __future__ import annotations

from derive.notes.blocks import COMMANDS, PictureFiles, RenderError, shared_cache
from derive.notes.latex import render_latex
from derive.notes.markdown import render_markdown

SUFFIXES = {
    ".md": render_markdown,
    ".markdown": render_markdown,
    ".qmd": render_markdown,
    ".tex": render_latex,
    ".ipynb": None,  # derive.notebooks, which needs Jupyter's packages
}

__all__ = [
    "COMMANDS",
    "SUFFIXES",
    "PictureFiles",
    "RenderError",
    "render_latex",
    "render_markdown",
    "shared_cache",
]
