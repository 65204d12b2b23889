"""Markdown notes (``.md``, Quarto's ``.qmd``, MyST): each fenced ```` ```derive ```` block::

    ```derive
    grad '\\max(0, 1 - y w x)' --wrt w --form cases
    ```

is replaced by what the command prints: ``grad`` and ``check`` in Markdown with ``$$``
mathematics (for GitHub, Jupyter, MkDocs and Quarto alike), ``code`` as a Python block,
``plot`` as a picture beside the output, linked.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from derive.notes.blocks import PictureFiles, run_block

BLOCK = re.compile(r"^```derive[ \t]*\n(?P<body>.*?)^```[ \t]*$\n?", re.MULTILINE | re.DOTALL)


def render_markdown(text: str, run: Callable, name: str, pictures: PictureFiles) -> str:
    """``text`` with each ``derive`` block replaced by its command's output; RenderError
    (naming the file and the block's first line) for a block that fails."""
    pieces, last = [], 0
    for block in BLOCK.finditer(text):
        line = text.count("\n", 0, block.start()) + 2  # the command's own line
        command, output, picture = run_block(
            block.group("body"), line, name, run, pictures, "markdown"
        )
        if command == "code":
            output = f"```python\n{output.rstrip()}\n```\n"
        elif command == "plot":
            output = f"![The loss and its derivative]({picture.name})\n"
        pieces += [text[last : block.start()], output if output.endswith("\n") else output + "\n"]
        last = block.end()
    pieces.append(text[last:])
    return "".join(pieces)
