"""The README tells the truth: each `$ derive …` example prints exactly what is shown."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

README = Path(__file__).parent.parent / "README.md"
EXAMPLE = re.compile(r"```text\n\$ (derive [^\n]+)\n(.*?)```", re.DOTALL)
EXAMPLES = EXAMPLE.findall(README.read_text(encoding="utf-8"))


def test_the_readme_has_the_seed_examples():
    assert len(EXAMPLES) >= 3


@pytest.mark.parametrize("command,shown", EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example_output(command, shown):
    args = shlex.split(command)[1:]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == (1 if args[0] == "check" and "Proved" not in shown else 0)
    assert result.output == shown
