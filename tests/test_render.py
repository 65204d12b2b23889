"""``derive render``: the ```derive blocks of a Markdown note replaced by derivations, the
prose kept, the same file each time, and a block that fails named by file and line with
nothing written."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import main

NOTE = """# The hinge loss

Prose before, with $x$ kept as written.

```derive
grad '\\max(0, 1 - y w x)' --wrt w --form cases
```

Is the derivative of x² really 2x?

```derive
check 'x^2' --wrt x --claim '2 x'
```

```derive
code '(w x - y)^2' --wrt w
```

The end.
"""


def _render(tmp_path, text: str, name: str = "note.md"):
    source, target = tmp_path / name, tmp_path / "out.md"
    source.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(source), "-o", str(target)])
    return result, target


def test_a_note_renders_to_mathematics_with_its_prose_kept(tmp_path):
    result, target = _render(tmp_path, NOTE)
    assert result.exit_code == 0, result.output
    rendered = target.read_text(encoding="utf-8")
    assert rendered.startswith("# The hinge loss\n\nProse before, with $x$ kept as written.\n")
    assert rendered.endswith("The end.\n") and "```derive" not in rendered
    assert "$$\n\\begin{aligned}" in rendered and "\\text{maximum}" in rendered
    assert "Proved: the claim equals the derivative" in rendered
    assert "```python\n" in rendered and "def gradient(w, x, y):" in rendered


def test_rendering_twice_gives_the_same_file(tmp_path):
    first = _render(tmp_path, NOTE)[1].read_bytes()
    assert _render(tmp_path, NOTE)[1].read_bytes() == first


def test_a_refuted_claim_is_rendered_not_an_error(tmp_path):
    result, target = _render(tmp_path, "```derive\ncheck 'x^2' --wrt x --claim 'x'\n```\n")
    assert result.exit_code == 0, result.output
    assert "Refuted" in target.read_text(encoding="utf-8")


BAD_BLOCKS = [
    # (id, the note, what the message says)
    ("malformed-loss", "text\n\n```derive\ngrad '\\max(x'\n```\n", "note.md:4: "),
    ("unknown-command", "```derive\nfly 'x'\n```\n", "note.md:2: a derive block holds one of"),
    ("empty-block", "```derive\n```\n", "holds one of grad, check, code, plot, not nothing"),
    ("unclosed-quote", "```derive\ngrad 'x^2\n```\n", "note.md:2: the command line cannot"),
    ("writes-elsewhere", "```derive\ngrad x^2 -o x.md\n```\n", "writes into the note"),
    ("variable-not-in-loss", "a\nb\n```derive\ngrad x^2 --wrt z\n```\n", "note.md:4: --wrt z"),
]


@pytest.mark.parametrize(
    "text,message", [b[1:] for b in BAD_BLOCKS], ids=[b[0] for b in BAD_BLOCKS]
)
def test_a_block_that_fails_is_named_and_nothing_is_written(tmp_path, text, message):
    result, target = _render(tmp_path, text)
    assert result.exit_code == 2 and message in result.output, result.output
    assert not target.exists() and "Traceback" not in result.output


def test_a_plot_block_draws_a_picture_beside_the_note_and_links_it(tmp_path):
    note = "```derive\nplot '|w - 1|' --wrt w\n```\n"
    result, target = _render(tmp_path, note)
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8") == "![The loss and its derivative](out-1.png)\n"
    assert (tmp_path / "out-1.png").read_bytes().startswith(b"\x89PNG")


def test_the_pictures_of_a_note_that_fails_are_removed(tmp_path):
    note = "```derive\nplot '|w - 1|' --wrt w\n```\n\n```derive\ngrad '\\max(x'\n```\n"
    result, target = _render(tmp_path, note)
    assert result.exit_code == 2 and "note.md:6: " in result.output, result.output
    assert not target.exists() and not (tmp_path / "out-1.png").exists()


def test_a_repeated_block_is_run_once(monkeypatch, tmp_path):
    import cli

    runs = []
    run = cli._run_block
    monkeypatch.setattr(
        cli, "_run_block", lambda arguments: runs.append(arguments) or run(arguments)
    )
    block = "```derive\ngrad x^2\n```\n"
    result, target = _render(tmp_path, block + "between\n\n" + block)
    assert result.exit_code == 0 and len(runs) == 1, result.output
    assert target.read_text(encoding="utf-8").count("2 x") >= 2


def test_a_loss_in_several_blocks_is_derived_once(monkeypatch, tmp_path):
    import derive.api

    made = []
    derivation_of = derive.api.derivation_of
    monkeypatch.setattr(
        derive.api, "derivation_of", lambda *a, **k: made.append(a) or derivation_of(*a, **k)
    )
    note = (
        "```derive\ngrad '(w x - y)^2' --wrt w\n```\n\n```derive\ncode '(w x - y)^2' --wrt w\n```\n"
    )
    result, target = _render(tmp_path, note)
    assert result.exit_code == 0 and len(made) == 1, result.output
    assert "def gradient(w, x, y):" in target.read_text(encoding="utf-8")
    derive.api.gradient("(w x - y)^2", wrt="w")  # outside a note, nothing is remembered
    assert len(made) == 2


LATEX_NOTE = r"""\documentclass{article}
\begin{document}
The hinge loss, by $w$:
\begin{derive}
grad '\max(0, 1 - y w x)' --wrt w --form cases
\end{derive}
% \begin{derive} in a comment is left alone
and its code:
  \begin{derive}
  code '(w x - y)^2' --wrt w
  \end{derive}
\end{document}
"""


def test_a_latex_note_renders_with_the_packages_it_needs(tmp_path):
    result, target = _render(tmp_path, LATEX_NOTE, name="note.tex")
    assert result.exit_code == 0, result.output
    rendered = target.read_text(encoding="utf-8")
    assert rendered.startswith(
        "\\documentclass{article}\n\\usepackage{amsmath} % added by derive render\n"
        "\\usepackage{amssymb} % added by derive render\n\\begin{document}\nThe hinge loss"
    )
    assert "\\begin{align*}" in rendered and "\\begin{cases}" in rendered
    assert "% \\begin{derive} in a comment is left alone" in rendered
    assert "\\begin{verbatim}\n" in rendered and "def gradient(w, x, y):" in rendered
    assert _render(tmp_path, LATEX_NOTE, name="note.tex")[1].read_text("utf-8") == rendered


PREAMBLES = [
    # (id, the preamble, the packages render adds)
    ("bare", "\\documentclass{article}", ["amsmath", "amssymb"]),
    ("mathtools-loads-amsmath", "\\documentclass{article}\n\\usepackage{mathtools,amssymb}", []),
    ("options", "\\documentclass[11pt]{article}\n\\usepackage[fleqn]{amsmath}", ["amssymb"]),
    ("commented-out", "\\documentclass{article}\n% \\usepackage{amsmath}", ["amsmath", "amssymb"]),
]


@pytest.mark.parametrize(
    "preamble,added", [p[1:] for p in PREAMBLES], ids=[p[0] for p in PREAMBLES]
)
def test_the_preamble_gets_the_packages_it_lacks(preamble, added):
    from derive.notes.latex import with_packages

    text = preamble + "\n\\begin{document}\nx\n\\end{document}\n"
    rendered = with_packages(text, {"amsmath", "amssymb"})
    found = [p for p in ("amsmath", "amssymb") if f"{{{p}}} % added by derive" in rendered]
    assert found == added
    assert with_packages(rendered, {"amsmath", "amssymb"}) == rendered


def test_a_latex_fragment_is_left_without_a_preamble(tmp_path):
    result, target = _render(tmp_path, "\\begin{derive}\ngrad x^2\n\\end{derive}\n", "n.tex")
    assert result.exit_code == 0, result.output
    assert "\\usepackage" not in target.read_text(encoding="utf-8")


LATEX_FAILURES = [
    ("malformed-loss", "a\n\\begin{derive}\ngrad '\\max(x'\n\\end{derive}\n", "note.tex:3: "),
    ("left-open", "a\n\\begin{derive}\ngrad x^2\n", "note.tex:2: this derive environment has"),
]


@pytest.mark.parametrize(
    "text,message", [f[1:] for f in LATEX_FAILURES], ids=[f[0] for f in LATEX_FAILURES]
)
def test_a_latex_block_that_fails_is_named(tmp_path, text, message):
    result, target = _render(tmp_path, text, name="note.tex")
    assert result.exit_code == 2 and message in result.output, result.output
    assert not target.exists()


def test_render_refuses_a_file_that_is_not_notes(tmp_path):
    result, _ = _render(tmp_path, "x", name="note.docx")
    assert result.exit_code == 2 and "render reads lecture notes (.md" in result.output
