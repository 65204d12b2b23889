"""The command line, through click's CliRunner: exit codes and what is printed."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import main


def run(*args, stdin=None):
    return CliRunner().invoke(main, list(args), input=stdin)


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and "derive, version" in result.output


def test_help_describes_every_option():
    result = run("grad", "--help")
    assert result.exit_code == 0
    for option in (
        "--wrt",
        "--form",
        "--format",
        "--standalone",
        "--output",
        "--function",
        "--log-base",
    ):
        assert option in result.output


def test_seed_000():
    result = run("grad", "|m_x(w) - t|", "--wrt", "w")
    assert result.exit_code == 0
    assert "chain rule" in result.output
    assert "= sign(m_x(w) − t)·m_x′(w)" in result.output
    assert "Not differentiable where m_x(w) = t" in result.output


def test_seed_001_cases():
    result = run(
        "grad", r"\max(\Delta + s_c - s, 0)", "--wrt", "s", "--wrt", "s_c", "--form", "cases"
    )
    assert result.exit_code == 0
    assert "−1  where Δ + s_c − s > 0" in result.output
    assert "1  where Δ + s_c − s > 0" in result.output
    assert "[−1, 0]" in result.output and "[0, 1]" in result.output


def test_seed_002():
    result = run("grad", "x^2")
    assert result.exit_code == 0 and "Result: d/dx x^2 = 2x" in result.output


def test_logistic_reads_a_product_and_the_natural_log():
    result = run(
        "grad", r"\log(1 + e^{-y(w x + b)})", "--wrt", "w", "--wrt", "b", "--format", "json"
    )
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["expression"] == "log(1 + exp(-y*(b + w*x)))"
    assert data["gradient"]["w"]["sympy"] == "-x*y/(exp(y*(b + w*x)) + 1)"
    assert data["gradient"]["b"]["sympy"] == "-y/(exp(y*(b + w*x)) + 1)"


def test_every_symbol_by_default_sorted():
    data = json.loads(run("grad", "a x + b", "--format", "json").output)
    assert list(data["gradient"]) == ["a", "b", "x"]


@pytest.mark.parametrize("format_", ["text", "latex", "markdown", "html", "json"])
def test_every_format(format_):
    result = run("grad", r"\max(x, 0)", "--format", format_)
    assert result.exit_code == 0 and result.output.strip()


def test_standalone_document():
    result = run("grad", "x^2", "--format", "latex", "--standalone")
    assert result.output.startswith(r"\documentclass") and result.output.rstrip().endswith(
        r"\end{document}"
    )


def test_loss_from_stdin_and_file(tmp_path):
    assert "2x" in run("grad", "-", stdin="x^2\n").output
    loss = tmp_path / "loss.tex"
    loss.write_text("% a comment\nx^2\n")
    assert "2x" in run("grad", f"@{loss}").output


def test_output_file(tmp_path):
    out = tmp_path / "out.tex"
    result = run("grad", "x^2", "--format", "latex", "-o", str(out))
    assert result.exit_code == 0 and result.output == ""
    assert r"\begin{align*}" in out.read_text()


def test_function_option():
    data = json.loads(
        run("grad", "y(w x)", "--function", "y", "--wrt", "w", "--format", "json").output
    )
    assert (
        "Subs" in data["gradient"]["w"]["sympy"] or "Derivative" in data["gradient"]["w"]["sympy"]
    )


def test_log_base_option():
    data = json.loads(run("grad", r"\log x", "--log-base", "10", "--format", "json").output)
    assert data["gradient"]["x"]["sympy"] == "1/(x*log(10))"


BAD = [
    ("malformed", ["grad", r"\max(x"], "'(' is never closed (column 5)"),
    ("unknown-command", ["grad", r"\foo(x)"], r"unknown command \foo"),
    ("empty", ["grad", ""], "the loss is empty"),
    ("wrt-not-in-loss", ["grad", "x^2", "--wrt", "z"], "'z' is not a symbol of the loss"),
    ("deep-nesting", ["grad", "(" * 10000 + "x" + ")" * 10000], "derive reads at most"),
    (
        "nesting-limit",
        ["grad", r"\left(" * 300 + "x" + r"\right)" * 300],
        "nest more than 60 levels",
    ),
    ("keyword-names", ["grad", r"\mathit{lambda} + \mathit{def}", "--wrt", "z"], "its symbols are"),
    ("missing-file", ["grad", "@/no/such/file.tex"], "cannot read"),
    (
        "standalone-without-latex",
        ["grad", "x", "--standalone"],
        "--standalone goes with --format latex",
    ),
    (
        "where-defines-a-name-the-loss-lacks",
        ["grad", "x", "--where", "z = y"],
        "z = y is not used by the loss",
    ),
    ("tower", ["grad", "2^{2^{2^{2^{2^2}}}}"], "digits"),
]


@pytest.mark.parametrize("args,message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_exits_2_with_a_message(args, message):
    result = run(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_caret_under_the_column():
    lines = run("grad", r"x + \foo").output.splitlines()
    assert lines[1].index(r"\foo") == lines[2].index("^")


@pytest.mark.parametrize(
    "latex", [r"x^{10^{10}}", r"(x+1)^{100000}"], ids=["huge-exponent", "huge-power"]
)
def test_hostile_but_valid_input_is_answered(latex):
    result = run("grad", latex)
    assert result.exit_code == 0 and "Result:" in result.output


def test_rules_command():
    result = run("rules")
    assert result.exit_code == 0
    assert "chain rule" in result.output and "absolute value" in result.output
    assert json.loads(run("rules", "--format", "json").output)


CROSS_ENTROPY = r"-y \log p - (1 - y) \log(1 - p)"
LEADING_MINUS = [
    # (command line; the loss starts with a minus sign and no "--" is needed)
    ("grad", ["grad", CROSS_ENTROPY, "--wrt", "p"]),
    ("grad-options-first", ["grad", "--wrt", "p", "-o", "-", CROSS_ENTROPY]),
    ("code", ["code", CROSS_ENTROPY, "--wrt", "p"]),
    ("check", ["check", "-x^2", "--wrt", "x", "--claim", "-2x"]),
    ("descend", ["descend", r"-\cos(x)", "--start", "x=1", "--steps", "3"]),
    ("plot", ["plot", "-|x|", "--wrt", "x", "-o", "PNG"]),
    ("after-double-dash", ["grad", "--wrt", "x", "--", "-x^3"]),
]


@pytest.mark.parametrize("args", [c[1] for c in LEADING_MINUS], ids=[c[0] for c in LEADING_MINUS])
def test_a_loss_may_start_with_a_minus_sign(args, tmp_path):
    args = [str(tmp_path / "loss.png") if a == "PNG" else a for a in args]
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "No such option" not in result.output


def test_an_output_of_dash_is_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("grad", "x^2", "-o", "-")
    assert result.exit_code == 0 and "Result: d/dx x^2 = 2x" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_cross_entropy_as_written():
    result = run("grad", CROSS_ENTROPY, "--wrt", "p")
    assert result.exit_code == 0
    assert "Result: ∂/∂p[−y·log(p) − (1 − y)·log(1 − p)] = (y − p)/(p·(p − 1))" in result.output


def test_notes_on_the_reading_go_to_standard_error_for_code():
    result = CliRunner().invoke(main, ["code", "beta x^2", "--wrt", "x"])
    assert result.exit_code == 0
    assert "beta is the Greek letter" in result.stderr
    assert "beta is the Greek letter" not in result.stdout
