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
    ("empty-block", "```derive\n```\n", "holds one of grad, check, code, not nothing"),
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


def test_render_reads_markdown_only_for_now(tmp_path):
    result, _ = _render(tmp_path, "\\begin{derive} grad x^2 \\end{derive}", name="note.tex")
    assert result.exit_code == 2 and "render reads Markdown notes" in result.output
