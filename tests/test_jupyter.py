"""Jupyter: the ``%derive`` and ``%%derive`` magics in a real IPython shell, the rich displays
of a derivation, and ``derive render`` of a notebook (a real kernel: few executions)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

pytest.importorskip("IPython")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")

from click.testing import CliRunner  # noqa: E402
from IPython.core.error import UsageError  # noqa: E402
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402
from IPython.lib.pretty import pretty  # noqa: E402
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook  # noqa: E402

import derive  # noqa: E402
from cli import main  # noqa: E402
from derive.jupyter import GeneratedCode, Shown  # noqa: E402

ABSOLUTE = "|w x - t|"


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    """An IPython shell with ``%load_ext derive`` run, its history in memory; the
    interpreter's hooks put back afterwards."""
    from traitlets.config import Config

    hooks = sys.displayhook, sys.excepthook
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    ipython = InteractiveShell.instance(
        config=config, ipython_dir=str(tmp_path_factory.mktemp("ipython"))
    )
    ipython.run_line_magic("load_ext", "derive")
    yield ipython
    InteractiveShell.clear_instance()
    sys.displayhook, sys.excepthook = hooks


def test_importing_derive_does_not_import_ipython():
    code = "import sys, derive; derive.gradient('x^2'); print('IPython' in sys.modules)"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert found.stdout.strip() == "False", found.stderr


def test_load_ext_registers_the_line_and_cell_magics(shell):
    magics = shell.magics_manager.magics
    assert "derive" in magics["line"] and "derive" in magics["cell"]


def _markdown(result) -> str:
    if isinstance(result, Shown):
        return result._repr_mimebundle_().get("text/markdown", str(result))
    return result._repr_markdown_()


# (line, cell or None for the line magic, the type shown, what its Markdown holds)
MAGICS = {
    "cell-grad": ("grad --wrt w", ABSOLUTE, derive.Derivation, r"x \operatorname{sign}"),
    "line-grad": ("grad 'x^2' --wrt x", None, derive.Derivation, "2 x"),
    "definitions": (
        "grad --wrt w",
        "z = w x + b\na = \\sigma(z)\nL = (a - y)^2",
        derive.Derivation,
        r"\sigma\left(b + w x\right)",
    ),
    "check-true": ("check --wrt x --claim 2x", "x^2", Shown, "Proved"),
    "check-false": ("check --wrt w --claim x", ABSOLUTE, Shown, "holds in part"),
    "code": ("code --wrt w", "(w x - t)^2", GeneratedCode, "```python"),
    "format-latex": ("grad x^2 --wrt x --format latex", None, Shown, "```latex"),
}


@pytest.mark.parametrize("line,cell,kind,shown", MAGICS.values(), ids=MAGICS.keys())
def test_a_magic_returns_what_shows_the_result(shell, line, cell, kind, shown):
    if cell is None:
        result = shell.run_line_magic("derive", line)
    else:
        result = shell.run_cell_magic("derive", line, cell)
    assert isinstance(result, kind)
    assert shown in _markdown(result)


def test_a_check_lends_the_verdict_and_does_not_fail(shell):
    result = shell.run_cell_magic("derive", "check --wrt w --claim x", ABSOLUTE)
    assert result.verdict == "holds in part" and result.exit_code == 1
    assert "Counterexample" in str(result)


def test_the_generated_module_compiles_and_can_be_written(shell, tmp_path):
    target = tmp_path / "module.py"
    result = shell.run_cell_magic("derive", f"code --wrt w -o {target}", "(w x - t)^2")
    assert result.compile().gradient(w=1.0, t=0.5, x=2.0) == pytest.approx(6.0)
    assert target.read_text(encoding="utf-8") == result.source


@pytest.mark.parametrize(
    "line,picture_text",
    [
        ("plot '|x - 1|' --wrt x", "kinks at 1"),
        ("descend '(w - 1)^2' --start w=0 --steps 5", "step"),
    ],
    ids=["plot", "descend"],
)
def test_plot_and_descend_show_a_picture_then_the_table(shell, capsys, line, picture_text):
    result = shell.run_cell(f"%derive {line}")
    assert result.success
    assert "<IPython.core.display.Image object>" in capsys.readouterr().out
    assert picture_text in str(result.result)


# (the cell as typed, what the message says)
BAD = {
    "malformed-latex": ("%%derive grad --wrt w\n|w x - ", "'|' is never closed"),
    "not-a-command": ("%derive frob x", "not 'frob'"),
    "bad-option": ("%derive grad x^2 --format pdf", "Invalid value for '--format'"),
    "missing-option": ("%derive check x^2 --wrt x", "Missing option '--claim'"),
    "wrt-not-in-loss": ("%derive grad x^2 --wrt y", "'y' is not a symbol of the loss"),
    "bad-number": ("%derive plot '|x - a|' --wrt x --set a=b", "'b' is not a number"),
    "empty-cell": ("%%derive grad\n  ", "the cell holds the loss"),
    "unclosed-quote": ("%derive grad 'x^2", "the line cannot be read"),
}


@pytest.mark.parametrize("code,message", BAD.values(), ids=BAD.keys())
def test_bad_input_shows_a_message_and_no_traceback(shell, capsys, code, message):
    result = shell.run_cell(code)
    printed = capsys.readouterr()
    assert isinstance(result.error_in_exec, UsageError)
    assert message in printed.err
    assert "Traceback" not in printed.out + printed.err


@pytest.fixture(scope="module")
def absolute_error():
    return derive.gradient(ABSOLUTE, wrt="w")


REPRS = {
    "html": (lambda d: d._repr_html_(), "sign"),
    "markdown": (lambda d: d._repr_markdown_(), r"\operatorname{sign}"),
    "latex": (lambda d: d._repr_latex_(), r"\operatorname{sign}"),
    "pretty": (pretty, "x·sign(w·x − t)"),
}


@pytest.mark.parametrize("shown,holds", REPRS.values(), ids=REPRS.keys())
def test_a_derivation_shows_itself_richly(absolute_error, shown, holds):
    text = shown(absolute_error)
    assert isinstance(text, str) and holds in text


# -- derive render NOTES.ipynb ------------------------------------------------------------


def _notebook(path, derivation_cell: str) -> None:
    cells = [
        new_markdown_cell("# The absolute error"),
        new_code_cell("%load_ext derive"),
        new_code_cell(derivation_cell),
    ]
    nbformat.write(new_notebook(cells=cells), path)


def _render(source, target):
    return CliRunner().invoke(main, ["render", str(source), "-o", str(target)])


def test_a_notebook_renders_with_its_derivation_and_twice_the_same(tmp_path):
    _notebook(tmp_path / "note.ipynb", f"%%derive grad --wrt w\n{ABSOLUTE}")
    first = _render(tmp_path / "note.ipynb", tmp_path / "out.ipynb")
    assert first.exit_code == 0, first.output
    rendered = json.loads((tmp_path / "out.ipynb").read_text(encoding="utf-8"))
    assert "".join(rendered["cells"][0]["source"]) == "# The absolute error"
    (shown,) = rendered["cells"][2]["outputs"]
    assert r"\operatorname{sign}" in "".join(shown["data"]["text/markdown"])
    assert r"\operatorname{sign}" in "".join(shown["data"]["text/latex"])
    assert "x·sign(w·x − t)" in "".join(shown["data"]["text/plain"])
    again = _render(tmp_path / "note.ipynb", tmp_path / "again.ipynb")
    assert again.exit_code == 0, again.output
    assert (tmp_path / "again.ipynb").read_bytes() == (tmp_path / "out.ipynb").read_bytes()


def test_a_failing_derive_cell_is_named_and_nothing_is_written(tmp_path):
    _notebook(tmp_path / "note.ipynb", "%%derive grad --wrt w\n|w x - ")
    result = _render(tmp_path / "note.ipynb", tmp_path / "out.ipynb")
    assert result.exit_code == 2
    assert "note.ipynb:cell 3: '|' is never closed" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.ipynb").exists()


def test_without_jupyter_render_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "nbclient", None)  # importing it fails
    _notebook(tmp_path / "note.ipynb", "%derive grad x^2")
    result = _render(tmp_path / "note.ipynb", tmp_path / "out.ipynb")
    assert result.exit_code == 2
    assert "pip install 'derive[notebook]'" in result.output
    assert not (tmp_path / "out.ipynb").exists()


def test_a_file_that_is_no_notebook_is_refused(tmp_path):
    (tmp_path / "note.ipynb").write_text("{not json", encoding="utf-8")
    result = _render(tmp_path / "note.ipynb", tmp_path / "out.ipynb")
    assert result.exit_code == 2 and "note.ipynb: not a Jupyter notebook" in result.output


def test_a_magic_has_its_whole_timeout_after_a_command_ran_in_the_same_process(shell, monkeypatch):
    """The command line counts its timeout from the command's start; a magic from its own,
    however long ago a command ran in the same process (the suite's CLI tests, say)."""
    import cli

    monkeypatch.setitem(cli._started, "at", time.monotonic() - 3600)
    result = shell.run_line_magic("derive", "grad 'x^2' --wrt x")
    assert "2 x" in _markdown(result)
