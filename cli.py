"""The ``derive`` command: a thin click group over the ``derive`` package.

It reads options and the loss, calls the package, prints, and turns bad input into a clear
message and exit status 2. No mathematics happens here.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from pathlib import Path

import click

from derive.deferred_tensors import defer as defer_tensors
from derive.version import __version__

FORMATS = ("text", "latex", "markdown", "html", "json")
MAX_INPUT = 5000  # characters of LaTeX, as the reader takes at most
_started: dict[str, float] = {}  # when the command began


def _bounded_text(stream, what: str) -> str:
    """At most MAX_INPUT characters of UTF-8 from a binary ``stream``, checked as read: an
    endless or huge input is refused after a few kilobytes, not read whole."""
    data = stream.read(4 * (MAX_INPUT + 1))  # a character is at most 4 bytes in UTF-8
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        fail(f"{what} is not UTF-8 text")
    if len(text) > MAX_INPUT or stream.read(1):
        fail(f"{what} is longer than {MAX_INPUT} characters; derive reads at most {MAX_INPUT}")
    return text.strip()


def read_loss(loss: str) -> str:
    """LOSS as given, ``-`` for standard input, or ``@path`` for a file's contents."""
    if loss == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text stream (as under click's test runner)
            return sys.stdin.read(MAX_INPUT + 1).strip()
        return _bounded_text(stream, "standard input")
    if loss.startswith("@"):
        path = Path(loss[1:])
        try:
            with path.open("rb") as stream:
                return _bounded_text(stream, str(path))
        except OSError as error:
            fail(f"cannot read {path}: {error.strerror or error}")
    return loss


def emit(text: str, output: str | None) -> None:
    """Write ``text`` to ``output`` (a path) or to standard output (no path, or ``-``)."""
    if output and output != "-":
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as error:
            fail(f"cannot write {output}: {error.strerror or error}")
    else:
        click.echo(text, nl=False)


def fail(message: str) -> None:
    click.echo(f"derive: {message}", err=True)
    sys.exit(2)


def run_guarded(work, timeout: float, source: str, refuse=None, since: float | None = None):
    """Run ``work()`` on the loss ``source`` within ``timeout`` seconds of ``since`` (by
    default the command's start); bad input becomes ``refuse(message)``: by default
    ``fail``, a message and exit status 2, never a traceback (Jupyter's magics raise a
    UsageError instead)."""
    refuse = refuse or fail
    from derive.deadline import TimeUp, within
    from derive.errors import DeriveError, ParseError
    from derive.guard import guarded, out_of_time

    since = _started.get("at", time.monotonic()) if since is None else since
    spent = time.monotonic() - since  # importing SymPy, say
    try:
        with within(max(timeout - spent, 0.0)):
            return guarded(lambda _source: work())(source)
    except TimeUp:
        refuse(str(out_of_time(source, timeout)))
    except ParseError as error:
        refuse(error.caret())
    except DeriveError as error:
        refuse(str(error))


def reading_options(command):
    """--function, --log-base and --timeout: how LOSS is read and how long derive may take,
    the same for every command."""
    command = click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=10.0,
        show_default=True,
        metavar="SECONDS",
        help="Answer or refuse within SECONDS.",
    )(command)
    command = click.option(
        "--log-base",
        type=click.Choice(["e", "10"]),
        default="e",
        show_default=True,
        help="What \\log without a subscript means: the natural logarithm (e) or base 10.",
    )(command)
    return click.option(
        "--function", "functions", multiple=True, metavar="NAME",
        help="Read NAME(...) as an unknown function even when the parentheses hold an "
        "expression (g(w x) instead of the product g·(w x)). Repeat for several.",
    )(command)  # fmt: skip


wrt_option = click.option(
    "--wrt", "wrt", multiple=True, metavar="V",
    help="Differentiate with respect to V (LaTeX such as s_c or \\Delta, or a name such as "
    "Delta). Repeat for several. Default: every symbol, sorted.",
)  # fmt: skip
output_option = click.option(
    "-o",
    "--output",
    metavar="FILE",
    help="Write to FILE instead of standard output ('-': standard output).",
)
where_option = click.option(
    "--where", "where", multiple=True, metavar="DEF",
    help="A definition the loss uses, as LaTeX: 's = \\sigma(w x + b)' (an intermediate) or "
    "'m_x(w) = w x' (a function). Repeat for several; the derivation goes through them as "
    "backpropagation does.",
)  # fmt: skip


shape_option = click.option(
    "--shape", "shapes", multiple=True, metavar="V=DIMS",
    help="Read V as a vector or matrix: --shape w=d (a vector of length d), --shape X=n,d "
    "(an n×d matrix). DIMS are names or numbers. \\mathbf{w} is a vector of length d unless "
    "declared. Repeat for several.",
)  # fmt: skip


def shapes_of(given) -> dict[str, str]:
    """``("X=n,d", "w=d")`` as ``{"X": "n,d", "w": "d"}``; a malformed one exits 2."""
    found = {}
    for text in given:
        name, equals, dims = text.partition("=")
        if not equals or not name.strip() or not dims.strip():
            fail(f"--shape {text}: write V=DIMS, as in --shape X=n,d")
        found[name.strip()] = dims.strip()
    return found


class LossCommand(click.Command):
    """A command whose LOSS may start with a minus sign (``-y \\log p - …``): an argument that
    starts with ``-`` but is no option of the command, nor an option's value, is the loss."""

    def parse_args(self, ctx, args):
        options = {}
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for name in (*param.opts, *param.secondary_opts):
                    options[name] = not (param.is_flag or param.count)
        protected, takes_value = [], False
        for arg in args:
            name = arg.split("=", 1)[0] if arg.startswith("--") else arg
            if takes_value or arg in ("-", "--") or not arg.startswith("-") or name in options:
                protected.append(arg)
                takes_value = not takes_value and options.get(name, False) and "=" not in arg
            else:
                protected.append(" " + arg)  # a leading space: a positional argument to click
                takes_value = False
        return super().parse_args(ctx, protected)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="derive")
def main():
    """Derive, prove and print the gradients of loss functions written in LaTeX.

    \b
    Examples:
      derive grad '|m_x(w) - t|' --wrt w
      derive grad '\\max(\\Delta + s_c - s, 0)' --wrt s --wrt s_c --form cases
      derive grad @loss.tex --format latex --standalone -o notes.tex
    """
    _started["at"] = time.monotonic()  # --timeout counts from here, imports included


@main.command(cls=LossCommand)
@click.argument("loss")
@wrt_option
@click.option(
    "--form",
    type=click.Choice(["sign", "heaviside", "cases"]),
    default=None,
    help="Write the switches of |u|, max and min with sign(u), with the Heaviside step H(u), "
    "or as cases region by region. Default: as derived (sign for |u|, H for max and min).",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Output: text for a terminal, LaTeX for notes, Markdown (GitHub, Jupyter), HTML, JSON.",
)
@click.option(
    "--standalone",
    is_flag=True,
    help="With --format latex: a whole document for pdflatex; with html: a whole page.",
)
@output_option
@reading_options
@where_option
@shape_option
def grad(loss, wrt, form, format_, standalone, output, functions, log_base, timeout, where, shapes):
    """Derive each partial derivative of LOSS step by step, every step proved.

    LOSS is LaTeX as written in notes, such as '|m_x(w) - t|'; '-' reads it from standard
    input and '@FILE' from a file.
    """
    if standalone and format_ not in ("latex", "html"):
        fail("--standalone goes with --format latex or html")
    source = read_loss(loss)

    def work():
        import derive

        derivation = derive.gradient(
            source,
            wrt=list(wrt) or None,
            form=form,
            functions=functions,
            log_base=log_base,
            where=where,
            shapes=shapes_of(shapes),
        )
        if format_ == "latex":
            return derivation.latex(standalone=standalone)
        if format_ == "html" and standalone:
            from derive.emit import html

            return html.page(derivation.html(), derivation.source)
        return {
            "text": derivation.text,
            "markdown": derivation.markdown,
            "html": derivation.html,
            "json": derivation.to_json,
        }[format_]()

    emit(run_guarded(work, timeout, source), output)


@main.command(cls=LossCommand)
@click.argument("loss")
@wrt_option
@output_option
@click.option(
    "--check",
    is_flag=True,
    help="Check the generated gradient against central differences at 1000 seeded random "
    "points where the loss is defined; report the largest relative error, and exit 1 if it "
    "exceeds 1e-6.",
)
@click.option(
    "--range",
    "ranges",
    multiple=True,
    metavar="V=LO,HI",
    help="With --check: draw V from LO to HI (default -2 to 2). Repeat for several.",
)
@click.option(
    "--backend",
    type=click.Choice(["numpy", "numba", "array-api"]),
    default="numpy",
    show_default=True,
    help="numpy: NumPy only; numba: one fused, parallel loop per function (pip install "
    "'derive[numba]'); array-api: any library of the Python array API standard (PyTorch, "
    "CuPy, JAX, Dask; pip install 'derive[array-api]'). numba and array-api write "
    "elementwise losses, no sums over data.",
)
@reading_options
@where_option
@shape_option
def code(loss, wrt, output, check, ranges, backend, functions, log_base, timeout, where, shapes):
    """Write a Python module computing LOSS and its gradient with NumPy (or --backend).

    The module defines PARAMETERS, WRT, SYMBOLS, loss(*PARAMETERS) and gradient(*PARAMETERS),
    vectorised over arrays. An unknown function such as m_x(w) becomes two parameters: its
    value m_x and its derivative dm_x_dw.
    """
    source = read_loss(loss)

    given = intervals(ranges)

    def work():
        import derive
        from derive import codecheck

        derivation = derive.gradient(
            source,
            wrt=list(wrt) or None,
            functions=functions,
            log_base=log_base,
            where=where,
            shapes=shapes_of(shapes),
        )
        module_code = derivation.code(backend=backend)
        verdict = None
        if check:
            from derive.codegen import backends
            from derive.read import parse_name

            boxes = {parse_name(name, derivation.loss).name: box for name, box in given.items()}
            module = backends.compile_module(module_code, backend)
            verdict = codecheck.check_module(derivation, module, ranges=boxes)
        return module_code, verdict, derivation.readings

    module_code, verdict, readings = run_guarded(work, timeout, source)
    for reading in readings:  # the module carries no prose: say how the loss was read
        click.echo(f"derive: read: {reading}", err=True)
    emit(module_code, output)
    if verdict is not None:
        click.echo(f"derive: {verdict.message}", err=True)
        if not verdict.ok:
            sys.exit(1)


@main.command(cls=LossCommand)
@click.argument("loss")
@click.option("--wrt", required=True, metavar="V", help="The variable the claim differentiates by.")
@click.option(
    "--claim",
    required=True,
    metavar="LATEX",
    help="The claimed derivative, in the loss's own notation: m_x'(w), \\frac{d m_x}{dw}, 2x, -1.",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(["text", "latex", "markdown", "html", "json"]),
    default="text",
    show_default=True,
    help="How to print the verdict.",
)
@click.option(
    "--standalone", is_flag=True, help="With --format latex: a whole document; html: a page."
)
@output_option
@reading_options
@where_option
@shape_option
def check(
    loss, wrt, claim, format_, standalone, output, functions, log_base, timeout, where, shapes
):
    """Prove or refute that the derivative of LOSS by V is the claimed one.

    Exit status 0 when the claim is proved wherever the loss is differentiable; 1 when it
    holds only in part, is refuted (with a counterexample), or cannot be decided.
    """
    if standalone and format_ not in ("latex", "html"):
        fail("--standalone goes with --format latex or html")
    source = read_loss(loss)

    def work():
        import derive.claims

        verdict = derive.claims.check(
            source,
            wrt,
            claim,
            functions=functions,
            log_base=log_base,
            where=where,
            shapes=shapes_of(shapes),
        )
        from derive.emit import claim as claim_emit

        printed = {
            "text": verdict.text,
            "markdown": verdict.markdown,
            "json": verdict.to_json,
            "latex": lambda: verdict.latex(standalone=standalone),
            "html": lambda: claim_emit.html(verdict, standalone=standalone),
        }[format_]()
        return printed, verdict.exit_code

    printed, code = run_guarded(work, timeout, source)
    emit(printed, output)
    sys.exit(code)


def intervals(pairs) -> dict[str, tuple[float, float]]:
    """``("x=-1,3",)`` as ``{"x": (-1.0, 3.0)}``; bad pairs end with exit status 2."""
    boxes = {}
    for pair in pairs:
        name, equals, bounds = pair.partition("=")
        low, comma, high = bounds.partition(",")
        try:
            box = (float(low), float(high))
        except ValueError:
            box = None
        if not (equals and comma and name.strip() and box and box[0] < box[1]):
            fail(f"--range {pair}: write V=LO,HI with LO below HI, as in --range x=-1,3")
        boxes[name.strip()] = box
    return boxes


def assignments(option: str, pairs) -> dict[str, float]:
    """``("x=1.5", "s_c=0")`` as ``{"x": 1.5, "s_c": 0.0}``; bad pairs end with exit status 2."""
    values = {}
    for name, number in values_of(option, pairs, "NUMBER").items():
        try:
            values[name] = float(number)
        except ValueError:
            fail(f"{option} {name}={number}: {number.strip()!r} is not a number")
    return values


def values_of(option: str, pairs, what: str = "VALUE") -> dict[str, str]:
    """``("w=0", "x=1,2,3")`` as ``{"w": "0", "x": "1,2,3"}``, read by ``derive.values``."""
    values = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name.strip():
            fail(f"{option} {pair}: write NAME={what}, as in {option} x=1.5")
        values[name.strip()] = value
    return values


class LazyProgress:
    """A progress bar on standard error that appears only once a run has taken 0.5 s."""

    def __init__(self, label: str):
        self.label, self.started, self.bar, self.shown = label, None, None, 0

    def __call__(self, done: int, total: int) -> None:
        self.started = self.started or time.monotonic()  # the clock starts at the first step
        if self.bar is None and time.monotonic() - self.started > 0.5:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        if self.bar is not None:
            self.bar.update(done - self.shown)
            self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@main.command(cls=LossCommand)
@click.argument("loss")
@click.option(
    "--start",
    multiple=True,
    required=True,
    metavar="V=VALUE",
    help="A variable to descend in and its starting value; repeat for each. VALUE is a number, "
    "a vector 1,2,3, a matrix 1,2;3,4 or @FILE (CSV, or .npy); a number for a vector fills it.",
)
@click.option(
    "--set",
    "fixed",
    multiple=True,
    metavar="V=VALUE",
    help="Fix another symbol, or the data of a sum (x for the x_i), to a value as for --start; "
    "repeat for each.",
)
@click.option("--lr", default=0.1, show_default=True, type=float, help="The learning rate η.")
@click.option("--steps", default=100, show_default=True, type=int, help="The most steps to take.")
@click.option(
    "--tol",
    default=1e-6,
    show_default=True,
    type=float,
    help="Stop when the gradient norm is below this.",
)
@click.option(
    "--plot",
    "picture",
    metavar="FILE.png",
    help="Draw the run: the loss curve with the iterates (one variable) or contours "
    "with the path (two).",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the run.",
)
@output_option
@reading_options
@where_option
@shape_option
def descend(
    loss, start, fixed, lr, steps, tol, picture, format_, output, functions, log_base, timeout,
    where, shapes,
):  # fmt: skip
    """Run gradient descent on LOSS with its derived gradient, and say why it works.

    It first derives, for this loss, why -∇f is a descent direction, then steps
    x ← x − η∇f(x) and prints the iterates and a verdict: converged, stalled or diverged.
    """
    source = read_loss(loss)
    start_values, fixed_values = values_of("--start", start), values_of("--set", fixed)
    progress = LazyProgress("descending")

    def work():
        import derive.descent

        run = derive.descent.descend(
            source, start_values, fixed_values, lr, steps, tol, functions, log_base, progress,
            where=where, shapes=shapes_of(shapes),
        )  # fmt: skip
        progress.close()
        if picture:
            run.plot(picture)
        return run.text() if format_ == "text" else run.to_json()

    emit(run_guarded(work, timeout, source), output)


@main.command(cls=LossCommand)
@click.argument("loss")
@click.option("--wrt", required=True, metavar="V", help="The variable on the x axis.")
@click.option(
    "--set",
    "fixed",
    multiple=True,
    metavar="V=NUM",
    help="Fix another symbol to a value; repeat for each.",
)
@click.option(
    "--range",
    "interval",
    metavar="LO,HI",
    help="The interval of the x axis. Default: -3 to 3, widened to show the kinks.",
)
@click.option("-o", "--output", required=True, metavar="FILE.png", help="Where to write the PNG.")
@reading_options
@where_option
def plot(loss, wrt, fixed, interval, output, functions, log_base, timeout, where):
    """Draw LOSS and its derivative by V on one x axis, with each kink marked: the
    derivative's jump, the interval of subgradients, and the value by convention."""
    source = read_loss(loss)
    fixed_values = assignments("--set", fixed)
    bounds = None
    if interval is not None:
        low, comma, high = interval.partition(",")
        try:
            bounds = (float(low), float(high))
        except ValueError:
            fail(f"--range {interval}: write LO,HI, as in --range -2,2")
        if not comma:
            fail(f"--range {interval}: write LO,HI, as in --range -2,2")

    def work():
        import derive.pictures

        picture = derive.pictures.plot(
            source, wrt, output, fixed_values, bounds, functions, log_base, where=where
        )
        kinks = "; ".join(f"{k.x:g}" for k in picture.kinks) or "none"
        return f"wrote {picture.path} (kinks at {kinks})\n"

    click.echo(run_guarded(work, timeout, source), nl=False, err=True)


@main.command()
@click.option(
    "--format",
    "format_",
    type=click.Choice(["text", "latex", "markdown", "json"]),
    default="text",
    show_default=True,
    help="How to print the table.",
)
@output_option
def rules(format_, output):
    """List every differentiation rule with its statement in LaTeX."""
    from derive.emit import rules as rule_table

    emit(rule_table.render(format_), output)


@main.command()
@click.argument("notes", metavar="NOTES")
@click.option("-o", "--output", required=True, metavar="FILE", help="Where to write the note.")
def render(notes, output):
    """Expand the derive blocks of lecture notes: Markdown (.md, .qmd), LaTeX (.tex) or a
    Jupyter notebook (.ipynb).

    A Markdown block is a ```derive fence holding a command line without the word derive
    (grad, check, code or plot); a LaTeX block is a derive environment
    (\\begin{derive} ... \\end{derive}); a notebook's %%derive cells are run. Each is
    replaced by the command's output. A block that fails stops the rendering with FILE:LINE
    and nothing is written.
    """
    from derive import notes as renderers

    path = Path(notes)
    suffix = path.suffix.lower()
    if suffix not in renderers.SUFFIXES:
        fail(f"render reads lecture notes ({', '.join(renderers.SUFFIXES)}), not {path.name}")
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_NOTE_BYTES + 1)
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror or error}")
    if len(data) > MAX_NOTE_BYTES:
        fail(f"{path} is larger than {MAX_NOTE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text")
    pictures = renderers.PictureFiles(Path(output))
    try:
        if suffix == ".ipynb":
            from derive.notebooks import render_notebook

            rendered = render_notebook(text, str(path))
        else:
            from derive.sharing import shared_derivations

            run = renderers.shared_cache(_run_block)
            with shared_derivations():  # a loss in several blocks is derived once
                rendered = renderers.SUFFIXES[suffix](text, run, str(path), pictures)
    except renderers.RenderError as error:
        pictures.discard()
        fail(str(error))
    _write_whole(rendered, output)


MAX_NOTE_BYTES = 8_000_000  # a note larger than this is not lecture notes


def _run_block(arguments: list[str]) -> tuple[int, str, str]:
    """A derive command run in this process: its exit status, output and messages."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main.main(args=arguments, prog_name="derive", standalone_mode=False)
            status = 0
        except SystemExit as stop:
            status = stop.code if isinstance(stop.code, int) else 2
        except click.ClickException as error:  # a bad option
            error.show()
            status = error.exit_code
    return status, out.getvalue(), err.getvalue()


def _write_whole(text: str, output: str) -> None:
    """``text`` to ``output`` all at once (a file beside it, then renamed): never half of it."""
    target = Path(output)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        fail(f"cannot write {output}: {error.strerror or error}")


def run():
    """The ``derive`` program: the command line in a process of its own, where no command
    makes a tensor, so that SymPy's tensor algebra stays unloaded (``deferred_tensors``;
    ``main`` called from Python, as by click's test runner, leaves SymPy as it is)."""
    defer_tensors()
    main()


if __name__ == "__main__":  # pragma: no cover
    run()
