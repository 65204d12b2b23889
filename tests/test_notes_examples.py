"""The lecture notes in examples/notes/ render: the Markdown note to mathematics, the LaTeX
note to a document that compiles with no line overfull by more than 5 pt, and the notebook
executed with each derivation in its outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from tests.test_latex_fits import OVERFULL_ALLOWED, _pdflatex, compile_latex, overfull

NOTES = Path(__file__).parent.parent / "examples" / "notes"


def _render(name: str, target: Path) -> str:
    result = CliRunner().invoke(main, ["render", str(NOTES / name), "-o", str(target)])
    assert result.exit_code == 0, result.output
    return target.read_text(encoding="utf-8")


def test_the_markdown_note_renders(tmp_path):
    rendered = _render("seeds.md", tmp_path / "seeds.md")
    assert "```derive" not in rendered and rendered.count("$$") >= 8
    assert "The claim holds in part." in rendered and "def gradient(w, x, y):" in rendered
    assert "![The loss and its derivative](seeds-1.png)" in rendered
    assert (tmp_path / "seeds-1.png").stat().st_size > 10_000


def test_the_latex_note_renders_and_compiles(tmp_path):
    _pdflatex()
    rendered = _render("seeds.tex", tmp_path / "seeds.tex")
    assert "\\begin{derive}" not in rendered and "\\usepackage{amssymb} % added" in rendered
    widths = overfull(compile_latex(rendered, tmp_path, "seeds"))
    assert max(widths, default=0) <= OVERFULL_ALLOWED, widths


def test_the_notebook_renders_with_its_derivations(tmp_path):
    pytest.importorskip("nbclient")
    notebook = json.loads(_render("seeds.ipynb", tmp_path / "seeds.ipynb"))
    cells = [c for c in notebook["cells"] if "".join(c["source"]).startswith("%%derive grad")]
    assert len(cells) == 2
    expected = [r"\operatorname{sign}", r"\begin{cases}"]  # seed 000, seed 001 in cases
    for cell, shows in zip(cells, expected, strict=True):
        shown = cell["outputs"][0]["data"]
        assert {"text/html", "text/latex", "text/markdown"} <= set(shown)
        assert shows in "".join(shown["text/latex"]) + "".join(shown["text/markdown"])
