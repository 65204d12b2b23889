"""Jupyter and IPython: ``%load_ext derive``, then ``%%derive`` cells and ``%derive`` lines.

    %%derive grad --wrt w
    |w x - t|

runs a command of the command line on the cell's loss (several lines are definitions, as an
``@file`` holds them); ``%derive grad 'x^2' --wrt x`` takes the loss on the line. The line is
read by the command line's own click commands (cli.py): the options, their defaults, their
checks and their messages are those of a terminal. The work is done by the API, whose results
show themselves richly:

- ``grad``: the ``Derivation`` (HTML, Markdown and LaTeX in a notebook, text in a terminal);
- ``check``: the verdict (Markdown, text), with the attributes of the API's ``ClaimCheck``;
- ``code``: the module as a Python block; ``.source``, and ``.compile()`` loads it;
- ``descend`` and ``plot``: the picture, then the table of iterates or the kinks.

``--format F`` shows what the command line prints in that format, as source; ``-o FILE``
writes it to FILE as the command line does. Bad input raises IPython's ``UsageError``, which
a notebook shows as its message alone, never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import click
from click.core import ParameterSource
from IPython.core.error import UsageError
from IPython.display import Image, display

import cli

COMMANDS = ("grad", "check", "code", "descend", "plot")
_TEMPORARY = "\0derive-temporary"  # plot's -o when the line gives none: a temporary file
_LANGUAGES = {"latex": "latex", "markdown": "markdown", "html": "html", "json": "json"}


def load_ipython_extension(ipython) -> None:
    """Register the ``%derive`` line magic and the ``%%derive`` cell magic with ``ipython``."""
    ipython.register_magic_function(derive_magic, magic_kind="line_cell", magic_name="derive")


def derive_magic(line: str, cell: str | None = None):
    """``%derive COMMAND LOSS [OPTIONS]``, or ``%%derive COMMAND [OPTIONS]`` over a cell that
    holds the loss: the command's result, which shows itself (None after ``--help``)."""
    context = parse(line, cell)
    if context is None:
        return None
    return _RUNNERS[context.command.name](Options(context))


def parse(line: str, cell: str | None = None) -> click.Context | None:
    """The magic's line (and cell) read by the command's click command in cli.py, as on
    the command line; None when ``--help`` printed the help. Bad options: UsageError."""
    try:
        words = shlex.split(line)
    except ValueError as error:  # an unclosed quote
        raise UsageError(f"the line cannot be read: {error}") from None
    if words[:1] == ["derive"]:
        words = words[1:]
    if not words or words[0] not in COMMANDS:
        shown = repr(words[0]) if words else "nothing"
        raise UsageError(
            f"%derive runs one of {', '.join(COMMANDS)}, not {shown}: as in %%derive grad --wrt w"
        )
    name, arguments = words[0], words[1:]
    if name == "plot":  # the command line needs -o; a later -o on the line overrides this
        arguments = ["-o", _TEMPORARY, *arguments]
    if cell is not None:
        if not cell.strip():
            raise UsageError(f"%%derive {name}: the cell holds the loss, and it is empty")
        arguments = [*arguments, "--", cell.strip()]
    try:
        return cli.main.commands[name].make_context(f"%derive {name}", arguments)
    except click.exceptions.Exit:  # --help, printed
        return None
    except click.ClickException as error:
        raise UsageError(f"%derive {name}: {error.format_message()}") from None


class Options:
    """A command's parsed options, by the names cli.py gives them."""

    def __init__(self, context: click.Context):
        self.context, self.params = context, context.params

    def __getitem__(self, name: str):
        return self.params[name]

    def given(self, name: str) -> bool:
        """Whether the line gave option ``name`` (not its default)."""
        return self.context.get_parameter_source(name) == ParameterSource.COMMANDLINE

    def loss(self) -> str:
        """The loss: as given, or an ``@path``'s contents."""
        loss = self.params["loss"].strip()
        if loss == "-":
            raise UsageError("in a notebook the loss is in the %%derive cell or on the line")
        return _cli(cli.read_loss, loss)

    def common(self) -> dict:
        """The keywords of the API that every command shares."""
        return {
            "functions": self.params["functions"],
            "log_base": self.params["log_base"],
            "where": self.params["where"],
        }


class Shown:
    """A command's result and how it shows itself (MIME type → text); its other attributes
    are the result's own (``.verdict`` of a check, ``.iterates`` of a descent)."""

    def __init__(self, value, bundle: dict[str, str]):
        self.value, self.bundle = value, bundle

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        return dict(self.bundle)

    def __getattr__(self, name: str):
        if name.startswith("_"):  # IPython's probes for display methods
            raise AttributeError(name)
        return getattr(self.value, name)

    def __str__(self) -> str:
        return self.bundle["text/plain"]


@dataclass(frozen=True)
class GeneratedCode:
    """The module that ``%derive code`` wrote: ``.source``; ``.compile()`` loads it."""

    source: str
    derivation: object
    verdict: object = None  # the --check verdict: .ok, .message

    def compile(self):
        """The module loaded from ``source``: ``.loss``, ``.gradient``, ``PARAMETERS``…"""
        from derive import codegen

        return codegen.compile_module(self.source)

    def _repr_markdown_(self) -> str:
        out = [f"*read:* {_escape(str(r))}\n" for r in self.derivation.readings]
        out.append(_fenced(self.source, "python"))
        if self.verdict is not None:
            out.append(("" if self.verdict.ok else "**Check failed:** ") + self.verdict.message)
        return "\n".join(out)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(self.source)

    def __str__(self) -> str:
        return self.source


def _grad(options: Options):
    if options["standalone"] and options["format_"] != "latex":
        raise UsageError("--standalone goes with --format latex")
    source, shapes = options.loss(), _cli(cli.shapes_of, options["shapes"])

    def work():
        import derive

        derivation = derive.gradient(
            source, wrt=list(options["wrt"]) or None, form=options["form"], shapes=shapes,
            **options.common(),
        )  # fmt: skip
        written = None
        if options.given("format_") or options["output"]:
            written = {
                "text": derivation.text,
                "markdown": derivation.markdown,
                "html": derivation.html,
                "json": derivation.to_json,
                "latex": lambda: derivation.latex(standalone=options["standalone"]),
            }[options["format_"]]()
        return derivation, written

    derivation, written = _guarded(work, options["timeout"], source)
    return _written(options, derivation, written, derivation)


def _check(options: Options):
    if options["standalone"] and options["format_"] != "latex":
        raise UsageError("--standalone goes with --format latex")
    source, shapes = options.loss(), _cli(cli.shapes_of, options["shapes"])

    def work():
        import derive.claims

        verdict = derive.claims.check(
            source, options["wrt"], options["claim"], shapes=shapes, **options.common()
        )
        written = {
            "text": verdict.text,
            "markdown": verdict.markdown,
            "json": verdict.to_json,
            "latex": lambda: verdict.latex(standalone=options["standalone"]),
        }[options["format_"]]()
        return verdict, written, {"text/markdown": verdict.markdown(), "text/plain": verdict.text()}

    verdict, written, bundle = _guarded(work, options["timeout"], source)
    shown = written if options.given("format_") or options["output"] else None
    return _written(options, verdict, shown, Shown(verdict, bundle))


def _code(options: Options):
    source, shapes = options.loss(), _cli(cli.shapes_of, options["shapes"])
    ranges = _cli(cli.intervals, options["ranges"])

    def work():
        import derive
        from derive import codecheck, codegen
        from derive.read import parse_name

        derivation = derive.gradient(
            source, wrt=list(options["wrt"]) or None, shapes=shapes, **options.common()
        )
        module_code, verdict = derivation.code(), None
        if options["check"]:
            boxes = {parse_name(name, derivation.loss).name: box for name, box in ranges.items()}
            module = codegen.compile_module(module_code)
            verdict = codecheck.check_module(derivation, module, ranges=boxes)
        return GeneratedCode(module_code, derivation, verdict)

    generated = _guarded(work, options["timeout"], source)
    if options["output"]:
        _cli(cli.emit, generated.source, options["output"])
    return generated


def _descend(options: Options):
    source, shapes = options.loss(), _cli(cli.shapes_of, options["shapes"])
    start = _cli(cli.values_of, "--start", options["start"])
    fixed = _cli(cli.values_of, "--set", options["fixed"])
    with tempfile.TemporaryDirectory(prefix="derive-") as folder:
        picture = options["picture"] or str(Path(folder) / "descent.png")

        def work():
            import derive.descent

            run = derive.descent.descend(
                source, start, fixed, options["lr"], options["steps"], options["tol"],
                shapes=shapes, **options.common(),
            )  # fmt: skip
            run.plot(picture)
            return run, run.text() if options["format_"] == "text" else run.to_json()

        run, table = _guarded(work, options["timeout"], source)
        display(Image(data=Path(picture).read_bytes(), format="png"))
    if options["output"]:
        _cli(cli.emit, table, options["output"])
    return Shown(run, {"text/plain": table})


def _plot(options: Options):
    source, bounds = options.loss(), _interval(options["interval"])
    fixed = _cli(cli.assignments, "--set", options["fixed"])
    with tempfile.TemporaryDirectory(prefix="derive-") as folder:
        path = options["output"]
        path = str(Path(folder) / "plot.png") if path == _TEMPORARY else path

        def work():
            import derive.pictures

            return derive.pictures.plot(
                source, options["wrt"], path, fixed, bounds, **options.common()
            )

        picture = _guarded(work, options["timeout"], source)
        display(Image(data=Path(path).read_bytes(), format="png"))
    kinks = "; ".join(f"{k.x:g}" for k in picture.kinks) or "none"
    return Shown(picture, {"text/plain": f"kinks at {kinks}"})


_RUNNERS = {"grad": _grad, "check": _check, "code": _code, "descend": _descend, "plot": _plot}


def _written(options: Options, result, written: str | None, rich):
    """``written`` (what ``--format`` asked for) to ``-o FILE``, then the rich result shown;
    or, with ``--format`` and no file, ``written`` shown as source."""
    if options["output"]:
        _cli(cli.emit, written, options["output"])
        return rich
    if written is None:
        return rich
    language = _LANGUAGES.get(options["format_"])
    if language is None:  # text
        return Shown(result, {"text/plain": written})
    return Shown(result, {"text/markdown": _fenced(written, language), "text/plain": written})


def _interval(text: str | None) -> tuple[float, float] | None:
    """plot's ``--range LO,HI`` as two numbers, as the command line reads it."""
    if text is None:
        return None
    low, comma, high = text.partition(",")
    try:
        bounds = (float(low), float(high))
    except ValueError:
        bounds = None
    if not comma or bounds is None:
        raise UsageError(f"--range {text}: write LO,HI, as in --range -2,2")
    return bounds


def _guarded(work, timeout: float, source: str):
    """``work()`` on the loss ``source`` within ``timeout`` seconds, as the command line runs
    it; bad input (a DeriveError, LaTeX that cannot be read, the time running out) becomes a
    UsageError with the command line's message."""
    return cli.run_guarded(work, timeout, source, _usage_error, since=time.monotonic())


def _usage_error(message: str):
    raise UsageError(message) from None


def _cli(helper, *arguments):
    """A helper of cli.py (reading the loss or ``V=VALUE`` options, writing a file), whose
    refusal (a message and exit status 2) becomes a UsageError with that message."""
    messages = io.StringIO()
    try:
        with contextlib.redirect_stderr(messages):
            return helper(*arguments)
    except SystemExit:
        message = messages.getvalue().strip().removeprefix("derive: ")
        raise UsageError(message or "bad input") from None


def _fenced(text: str, language: str) -> str:
    """``text`` as a Markdown code block, fenced by more backticks than it holds in a row."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}\n"


def _escape(text: str) -> str:
    """Plain text made safe for Markdown."""
    return "".join("\\" + ch if ch in "\\`*_[]<>#|$" else ch for ch in text)
