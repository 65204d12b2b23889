"""Lecture notes with derivations in them: each fenced ```` ```derive ```` block of a Markdown
note (``.md``, Quarto's ``.qmd``) holds a command line without the word ``derive``::

    ```derive
    grad '\\max(0, 1 - y w x)' --wrt w --form cases
    ```

and is replaced by what the command prints: ``grad`` and ``check`` in Markdown with ``$$``
mathematics (for GitHub, Jupyter, MkDocs and Quarto alike), ``code`` as a Python block. The
prose around the blocks is kept as it is, so rendering twice gives the same file.

The commands are run by ``run(arguments) -> (exit status, output, messages)``, which the
command line gives (``derive render``): this module only finds the blocks and splices.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

from derive.errors import DeriveError

BLOCK = re.compile(r"^```derive[ \t]*\n(?P<body>.*?)^```[ \t]*$\n?", re.MULTILINE | re.DOTALL)
COMMANDS = ("grad", "check", "code")  # the commands a block may hold, for now
MARKDOWN_SUFFIXES = (".md", ".qmd", ".markdown")


class RenderError(DeriveError):
    """A block that cannot be rendered, as ``FILE:LINE: message``."""


def render_markdown(text: str, run: Callable, name: str = "<notes>") -> str:
    """``text`` with each ``derive`` block replaced by its command's output; RenderError
    (naming the file and the block's first line) for a block that fails."""
    pieces, last = [], 0
    for block in BLOCK.finditer(text):
        line = text.count("\n", 0, block.start()) + 2  # the command's own line

        def refuse(message: str, line=line) -> RenderError:
            return RenderError(f"{name}:{line}: {message}")

        try:
            arguments = shlex.split(" ".join(block.group("body").split("\n")))
        except ValueError as error:  # an unclosed quote
            raise refuse(f"the command line cannot be read: {error}") from None
        if arguments[:1] == ["derive"]:
            arguments = arguments[1:]
        if not arguments or arguments[0] not in COMMANDS:
            shown = arguments[0] if arguments else "nothing"
            raise refuse(f"a derive block holds one of {', '.join(COMMANDS)}, not {shown}")
        if "-" in arguments[1:] or any(a in ("-o", "--output") for a in arguments):
            raise refuse("a block reads its loss from the block and writes into the note")
        if arguments[0] != "code" and "--format" not in arguments:
            arguments += ["--format", "markdown"]
        status, output, messages = run(arguments)
        if status not in (0, 1) or status == 1 and arguments[0] != "check":
            message = messages.strip().removeprefix("derive: ") or f"exit status {status}"
            raise refuse(message)
        if arguments[0] == "code":
            output = f"```python\n{output.rstrip()}\n```\n"
        pieces += [text[last : block.start()], output if output.endswith("\n") else output + "\n"]
        last = block.end()
    pieces.append(text[last:])
    return "".join(pieces)
