"""What every kind of note shares: a block's command line, read and checked; the run of its
command; the pictures that ``plot`` blocks draw beside the output; one cache for a note."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path

from derive.errors import DeriveError

COMMANDS = ("grad", "check", "code", "plot")  # the commands a block may hold


class RenderError(DeriveError):
    """A block that cannot be rendered, as ``FILE:LINE: message``."""


class PictureFiles:
    """The pictures of a note's ``plot`` blocks: ``OUT-1.png``, ``OUT-2.png``… beside the
    output ``OUT.md``, named in the order of the blocks, so that rendering twice writes the
    same files; ``discard()`` removes them when the note fails."""

    def __init__(self, output: Path):
        self.output = output
        self.written: list[Path] = []

    def next_path(self) -> Path:
        path = self.output.with_name(f"{self.output.stem}-{len(self.written) + 1}.png")
        self.written.append(path)
        return path

    def discard(self) -> None:
        for path in self.written:
            path.unlink(missing_ok=True)


def shared_cache(run: Callable) -> Callable:
    """``run`` remembering its results: a block repeated in a note is derived once."""
    results: dict[tuple, tuple] = {}

    def remembered(arguments: list[str]) -> tuple:
        key = tuple(arguments)
        if key not in results:
            results[key] = run(arguments)
        return results[key]

    return remembered


def run_block(
    body: str,
    line: int,
    name: str,
    run: Callable,
    pictures: PictureFiles,
    output_format: str,
) -> tuple[str, str, Path | None]:
    """The command of a block run: (command, what it printed, the picture a ``plot`` drew).
    ``grad`` and ``check`` print in ``output_format``; a loss read from ``@file`` is found
    beside the note ``name``; RenderError names ``name:line``."""

    def refuse(message: str) -> RenderError:
        return RenderError(f"{name}:{line}: {message}")

    try:
        arguments = shlex.split(" ".join(body.split("\n")))
    except ValueError as error:  # an unclosed quote
        raise refuse(f"the command line cannot be read: {error}") from None
    if arguments[:1] == ["derive"]:
        arguments = arguments[1:]
    if not arguments or arguments[0] not in COMMANDS:
        shown = arguments[0] if arguments else "nothing"
        raise refuse(f"a derive block holds one of {', '.join(COMMANDS)}, not {shown}")
    command = arguments[0]
    folder = Path(name).parent  # a loss read from @file: the path is the note's own
    arguments = [
        f"@{folder / a[1:]}" if a.startswith("@") and not Path(a[1:]).is_absolute() else a
        for a in arguments
    ]
    if "-" in arguments[1:] or any(a in ("-o", "--output") for a in arguments):
        raise refuse("a block reads its loss from the block and writes into the note")
    if command in ("grad", "check") and "--format" not in arguments:
        arguments += ["--format", output_format]
    picture = None
    if command == "plot":
        picture = pictures.next_path()
        arguments += ["-o", str(picture)]
    status, output, messages = run(arguments)
    if status not in (0, 1) or status == 1 and command != "check":
        message = messages.strip().removeprefix("derive: ") or f"exit status {status}"
        raise refuse(message)
    return command, output, picture
