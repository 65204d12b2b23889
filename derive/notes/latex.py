"""LaTeX notes (``.tex``): each ``derive`` environment::

    \\begin{derive}
    grad '\\max(0, 1 - y w x)' --wrt w --form cases
    \\end{derive}

is replaced by what the command prints: ``grad`` and ``check`` as LaTeX (``align*``),
``code`` in a ``verbatim`` block, ``plot`` as an ``\\includegraphics`` of a picture beside
the output. A document whose preamble lacks a package the derivations use (amsmath,
amssymb, graphicx for pictures) has it added after ``\\documentclass``, with a comment.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from derive.notes.blocks import PictureFiles, RenderError, run_block

BLOCK = re.compile(
    r"^[ \t]*\\begin\{derive\}[ \t]*\n(?P<body>.*?)^[ \t]*\\end\{derive\}[ \t]*$\n?",
    re.MULTILINE | re.DOTALL,
)
_DOCUMENT_CLASS = re.compile(r"^[ \t]*\\documentclass(\[[^\]]*\])?\{[^}]*\}.*$", re.MULTILINE)
_PROVIDED_BY = {  # a package, and those that load it
    "amsmath": ("amsmath", "mathtools"),
    "amssymb": ("amssymb",),
    "graphicx": ("graphicx",),
}


def render_latex(text: str, run: Callable, name: str, pictures: PictureFiles) -> str:
    """``text`` with each ``derive`` environment replaced by its command's output; RenderError
    (naming the file and the command's line) for a block that fails or is left open."""
    pieces, last, needed = [], 0, {"amsmath", "amssymb"}
    for block in BLOCK.finditer(text):
        line = text.count("\n", 0, block.start()) + 2
        command, output, picture = run_block(
            block.group("body"), line, name, run, pictures, "latex"
        )
        if command == "code":
            output = f"\\begin{{verbatim}}\n{output.rstrip()}\n\\end{{verbatim}}\n"
        elif command == "plot":
            needed.add("graphicx")
            output = (
                "\\begin{center}\n"
                f"\\includegraphics[width=0.8\\linewidth]{{{picture.name}}}\n"
                "\\end{center}\n"
            )
        if "\\scalebox" in output:  # an equation scaled to fit the page
            needed.add("graphicx")
        pieces += [text[last : block.start()], output if output.endswith("\n") else output + "\n"]
        last = block.end()
    rest = text[last:]
    opened = re.search(r"^[ \t]*\\begin\{derive\}", rest, re.MULTILINE)
    if opened:
        line = text.count("\n", 0, last + opened.start()) + 1
        raise RenderError(f"{name}:{line}: this derive environment has no \\end{{derive}}")
    pieces.append(rest)
    return with_packages("".join(pieces), needed)


def with_packages(text: str, needed: set[str]) -> str:
    """``text`` with a ``\\usepackage`` line for each needed package its preamble lacks (a
    fragment with no ``\\documentclass`` is left alone: its document loads them)."""
    document_class = _DOCUMENT_CLASS.search(_without_comments(text))
    if not document_class:
        return text
    preamble = _without_comments(text.split("\\begin{document}", 1)[0])
    loaded = set()
    for options in re.findall(r"\\usepackage(?:\[[^\]]*\])?\{([^}]*)\}", preamble):
        loaded.update(package.strip() for package in options.split(","))
    missing = [
        package for package in sorted(needed) if not loaded.intersection(_PROVIDED_BY[package])
    ]
    if not missing:
        return text
    added = "".join(f"\n\\usepackage{{{p}}} % added by derive render" for p in missing)
    end = _line_end(text, document_class.group(0))
    return text[:end] + added + text[end:]


def _without_comments(text: str) -> str:
    """LaTeX with each ``%`` comment blanked (an escaped ``\\%`` kept), lengths unchanged."""
    return re.sub(r"(?<!\\)%.*", lambda m: " " * len(m.group(0)), text)


def _line_end(text: str, line: str) -> int:
    """Where the first uncommented ``\\documentclass`` line of ``text`` ends."""
    start = _without_comments(text).index(line)
    return start + len(line)
