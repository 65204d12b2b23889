"""The printers: text, LaTeX (golden files, and a pdflatex build), Markdown, HTML and JSON."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import sympy

import derive
from derive.notation import latex_to_text
from derive.printing import latex, text

GOLDEN = Path(__file__).parent / "golden"
SEEDS = {
    "seed_000": (r"|m_x(w) - t|", ["w"], None),
    "seed_001": (r"J = \max(\Delta + s_c - s, 0)", ["s", "s_c"], "cases"),
    "seed_002": (r"x^2", None, None),
    "logistic": (r"\log(1 + e^{-y(w x + b)})", ["w", "b"], None),
}


@pytest.mark.parametrize("name", SEEDS)
def test_latex_matches_golden_file(name):
    source, wrt, form = SEEDS[name]
    produced = derive.gradient(source, wrt=wrt, form=form).latex()
    golden = GOLDEN / f"{name}.tex"
    if os.environ.get("DERIVE_UPDATE_GOLDEN"):
        golden.write_text(produced, encoding="utf-8")
    assert produced == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SEEDS)
def test_standalone_latex_compiles(name, tmp_path):
    if shutil.which("pdflatex") is None:
        if os.environ.get("DERIVE_REQUIRE_PDFLATEX"):
            pytest.fail("pdflatex is required here (DERIVE_REQUIRE_PDFLATEX is set)")
        pytest.skip("pdflatex is not installed")
    source, wrt, form = SEEDS[name]
    document = tmp_path / "notes.tex"
    document.write_text(derive.gradient(source, wrt=wrt, form=form).latex(standalone=True))
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", document.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "notes.pdf").stat().st_size > 1000


def test_text_of_seed_000_names_the_chain_rule_and_ends_with_the_answer():
    output = derive.gradient(r"|m_x(w) - t|", wrt="w").text()
    assert "chain rule, d/du |u| = sign(u)" in output
    assert "Result: ∂/∂w |m_x(w) − t| = sign(m_x(w) − t)·m_x′(w)" in output
    assert "Not differentiable where m_x(w) = t" in output


def test_text_of_seed_001_in_cases():
    output = derive.gradient(r"\max(\Delta + s_c - s, 0)", wrt="s", form="cases").text()
    assert "−1  where Δ + s_c − s > 0" in output
    assert "0   where Δ + s_c − s < 0" in output
    assert "the subgradients fill [−1, 0]" in output


def test_failed_steps_are_printed(monkeypatch):
    from derive.proof.prover import Prover

    monkeypatch.setattr(Prover, "verify", lambda self, step: _all(step, "failed"))
    output = derive.gradient("x^2").text()
    assert "FAILED" in output


def _all(step, verdict):
    import dataclasses

    return dataclasses.replace(
        step, verified=verdict, substeps=tuple(_all(s, verdict) for s in step.substeps)
    )


def test_markdown_has_math_blocks():
    output = derive.gradient(r"|m_x(w) - t|", wrt="w").markdown()
    assert output.count("$$") >= 4
    assert r"\begin{aligned}" in output and r"\text{chain rule, }" in output


def test_html_is_mathml_without_javascript():
    from derive.emit import html

    d = derive.gradient(r"\max(x, 0)")
    output = d.html()  # a fragment; tests/test_html_page.py opens the page in a browser
    assert output.startswith('<section class="derivation">') and "<math" in output
    assert "<script" not in output and r"\begin{aligned}" in output  # the LaTeX annotated
    assert html.render(d, standalone=True).startswith("<!DOCTYPE html>")


def test_json_follows_the_contract():
    data = json.loads(derive.gradient(r"|m_x(w) - t|", wrt="w").to_json())
    assert data["input"] == "|m_x(w) - t|"
    assert data["expression"] == "Abs(-t + m_x(w))"
    assert data["symbols"] == {"m_x": "m_x", "t": "t", "w": "w"}
    w = data["gradient"]["w"]
    assert w["sympy"] == "sign(-t + m_x(w))*Derivative(m_x(w), w)"
    assert w["steps"][0]["rule"] == "chain rule"
    assert all(step["verified"] == "proved" for step in w["steps"])
    assert w["nondifferentiable"] == ["Eq(m_x(w), t)"]
    assert set(w["steps"][0]) == {"rule", "latex", "verified"}


def test_json_strings_read_back_with_sympify():
    data = json.loads(
        derive.gradient(r"\frac{1}{2}(y - \hat{y})^2 + \lambda w^2 + \beta").to_json()
    )
    names = set(data["symbols"])
    for partial in data["gradient"].values():
        read = sympy.sympify(partial["sympy"])
        assert {s.name for s in read.free_symbols} <= names


PLAIN = [
    # losses with derive's own functions; their JSON strings are plain SymPy
    ("sigmoid", r"\log(1 + e^{-y \sigma(w x + b)})"),
    ("softplus", r"\operatorname{softplus}(w x) - y w x"),
    ("relu", r"(\operatorname{ReLU}(w x + b) - y)^2"),
    ("all-three", r"\sigma(w) \operatorname{ReLU}(x - w) + \operatorname{softplus}(w^2)"),
]


@pytest.mark.parametrize("latex", [p[1] for p in PLAIN], ids=[p[0] for p in PLAIN])
def test_json_strings_are_plain_sympy_and_mean_the_derivation(latex):
    """sympy.sympify with only the symbols map reads every string, and it means the same."""
    from tests.numeric import numpy_function, sample

    d = derive.gradient(latex, form="cases")
    data = json.loads(d.to_json())
    names = {n: sympy.Symbol(n, real=True) for n in data["symbols"]}
    symbols = sorted(names.values(), key=str)
    points = sample(symbols, np.random.default_rng(3), 50)
    pairs = [(data["expression"], d.expr)]
    pairs += [(data["gradient"][p.var.name]["sympy"], p.result) for p in d.partials]
    for string, expr in pairs:
        read = sympy.sympify(string, locals=names)
        assert not read.atoms(sympy.core.function.AppliedUndef), string  # no unknown names
        ours, theirs = numpy_function(expr, symbols), numpy_function(read, symbols)
        np.testing.assert_allclose(theirs(*points.values()), ours(*points.values()), rtol=1e-9)


def test_json_symbols_map_to_spellings():
    data = json.loads(derive.gradient(r"\hat{y} \Delta + w_{12}").to_json())
    assert data["symbols"] == {"Delta": r"\Delta", "w_12": "w_{12}", "y_hat": r"\hat{y}"}


# SymPy's LaTeX printer substitutes 0 for x and y to ask whether min(…) is constant: min(nan, -2)
_NAN_AT_ZERO = (
    -3 * sympy.Symbol("x") * sympy.exp(sympy.Min(sympy.Symbol("x") / sympy.Symbol("y"), -2))
)


@pytest.mark.parametrize(
    "expr,expected_text,expected_latex",
    [
        (sympy.Symbol("m", real=True) - sympy.Symbol("t", real=True), "m − t", "m - t"),
        (sympy.Heaviside(sympy.Symbol("u")), "H(u)", r"H\left(u\right)"),
        (sympy.Heaviside(sympy.Symbol("u"), 0), "1[u > 0]", r"\mathbf{1}\left[u > 0\right]"),
        (2 * sympy.Symbol("x"), "2x", "2 x"),
        (_NAN_AT_ZERO, "−3x·exp(min(x/y, −2))", r"- 3 x e^{\min\left(\frac{x}{y}, -2\right)}"),
    ],
    ids=["positive-first", "heaviside", "relu-step", "number-times-symbol", "nan-at-zero"],
)
def test_printers(expr, expected_text, expected_latex):
    assert text(expr, {}) == expected_text
    assert latex(expr, {}) == expected_latex


@pytest.mark.parametrize(
    "spelling,shown",
    [
        (r"\hat{y}", "y\u0302"),
        (r"\Delta", "Δ"),
        (r"w_{12}", "w_12"),
        (r"\mathit{loss}", "loss"),
        (r"\bar x_i", "x̄_i"),
    ],
    ids=["hat", "Delta", "w12", "mathit", "bar"],
)
def test_names_in_a_terminal(spelling, shown):
    assert latex_to_text(spelling) == shown


def test_notebook_representation():
    assert derive.gradient("x^2")._repr_latex_().startswith("$$")


def test_rules_table_lists_every_rule():
    from derive.emit import rules
    from rules.matrices import MATRIX_RULES
    from rules.registry import all_rules

    listing = json.loads(rules.render("json"))
    assert len(listing) == len(all_rules()) + len(MATRIX_RULES) + 1  # and the elementwise rule
    assert sum(row["family"] == "matrices" for row in listing) == len(MATRIX_RULES) + 1
    assert "chain rule" in rules.render("text")


def test_every_line_of_a_loss_from_a_file_is_a_latex_comment(tmp_path):
    """A loss read from an @file with % notes over several lines: each line of it echoed as
    a comment, so that the document still compiles."""
    source = "% the hinge loss\n% y is the label\n\\max(0,\n 1 - y w x)\n"
    latex = derive.gradient(source, wrt="w").latex(standalone=True)
    echoed = latex.split("\\begin{document}")[1].split("\\begingroup")[0].splitlines()
    assert [line for line in echoed if line.strip() and not line.startswith("%")] == [
        "\\allowdisplaybreaks"
    ]
    assert "%  1 - y w x)" in echoed
    if shutil.which("pdflatex") is None:
        return
    (tmp_path / "notes.tex").write_text(latex)
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "notes.tex"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:]
