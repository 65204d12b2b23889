"""Text for generated code: lines kept within WIDTH, docstrings that stay one literal, and
only printable characters, whatever the input held."""

from __future__ import annotations

import textwrap

WIDTH = 88  # longest line; longer expressions are split into temporaries


def listing(start: str, items: list[str], end: str, indent: str = "") -> list[str]:
    """``start item, item end`` on one line when it fits in WIDTH, else one item a line."""
    line = f"{indent}{start}{', '.join(items)}{end}"
    if len(line) <= WIDTH:
        return [line]
    return [f"{indent}{start}", *(f"{indent}    {item}," for item in items), f"{indent}{end}"]


def commented(indent: str, line: str, comment: str) -> list[str]:
    """``line`` at ``indent``, with ``  # comment`` after it when that fits in WIDTH, else
    the comment wrapped on lines of its own above it."""
    line = indent + line
    if not comment:
        return [line]
    if len(line) + len(comment) + 4 <= WIDTH:
        return [f"{line}  # {comment}"]
    above = textwrap.wrap(comment, WIDTH - len(indent) - 2, subsequent_indent="    ")
    return [*(f"{indent}# {part}" for part in above or [""]), line]


def wrapped(text: str, width: int) -> list[str]:
    """``text``'s lines, each at most ``width`` long where spaces allow."""
    lines = []
    for line in text.splitlines() or [""]:
        indent = line[: len(line) - len(line.lstrip())]
        pieces = textwrap.wrap(
            line,
            width,
            subsequent_indent=indent + "    ",
            break_long_words=False,
            break_on_hyphens=False,
        ) or [""]
        lines.extend(pieces)
    return lines


def printable(text: str) -> str:
    """``text`` with control characters, NUL and lone surrogates written as escapes, so that
    whatever the input held, the module stays valid, importable Python."""
    return "".join(
        ch
        if ch.isprintable() or ch in "\n\t"
        else f"\\x{ord(ch):02x}"
        if ord(ch) < 256
        else f"\\u{ord(ch):04x}"
        for ch in text
    )


def docstring(text: str, indent: str = "") -> str:
    """A raw docstring that stays one string literal whatever ``text`` holds."""
    text = "\n".join(wrapped(printable(text), WIDTH - len(indent) - 4))
    safe = text.replace('"', "'").replace("\r", "")
    if safe.endswith("\\"):
        safe += " "  # a raw string cannot end in a backslash
    lines = safe.splitlines() or [""]
    body = ("\n" + indent).join(line.rstrip() for line in lines)
    closing = f"\n{indent}" if len(lines) > 1 else ""
    return f'{indent}r"""{body}{closing}"""'


def one_line(text: str) -> str:
    return " ".join(printable(text).split())
