"""Every example in examples/ runs through the command line once, and its answers are right."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner

from cli import main
from derive.proof.equality import is_zero, reference_derivative

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.tex"))


def documented_options(path: Path) -> list[str]:
    """The options of the command an example's comment shows (``derive grad @… --wrt w``)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        words = line.lstrip("% ").split()
        if words[:2] == ["derive", "grad"] and len(words) > 2 and words[2].startswith("@"):
            return [w for w in words[3:] if w not in ("--format", "latex", "--standalone")]
    return []


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_derives_and_every_step_is_proved(path):
    """Run as its comment shows (its variables), every step and every result proved."""
    args = ["grad", f"@{path}", *documented_options(path), "--format", "json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    names = {name: sympy.Symbol(name, real=True) for name in data["symbols"]}
    functions = {name: sympy.Function(name, real=True) for name in data["functions"]}
    arrays = {name: sympy.IndexedBase(name, real=True) for name in data.get("arrays", {})}
    namespace = {**names, **functions, **arrays}  # plain SymPy: no names of derive's own
    loss = sympy.sympify(data["expression"], locals=namespace)
    for var, partial in data["gradient"].items():
        assert all(step["verified"] == "proved" for step in partial["steps"]), partial["steps"]
        assert partial["verified"] == "proved"
        answer = sympy.sympify(partial["sympy"], locals=namespace)
        assert is_zero(answer - reference_derivative(loss, names[var]), seconds=30)


def test_there_are_the_seeds_and_five_common_losses():
    stems = {p.stem for p in EXAMPLES}
    assert {"seed_000_absolute_error", "seed_001_max_margin", "seed_002_parabola"} <= stems
    assert {"mse", "logistic", "hinge", "huber", "binary_cross_entropy"} <= stems
