"""Claimed derivatives: proved, holding in part, refuted with a counterexample, or undecided."""

from __future__ import annotations

import json

import pytest
import sympy
from click.testing import CliRunner

from cli import main
from derive.claims import IN_PART, PROVED, REFUTED, UNDECIDED, check
from derive.errors import ParseError

m = sympy.Function("m_x", real=True)
w, t = sympy.symbols("w t", real=True)

VERDICTS = [
    ("seed-000", r"|m_x(w) - t|", "w", "m_x'(w)", IN_PART),
    ("seed-001", r"\max(\Delta + s_c - s, 0)", "s", "-1", IN_PART),
    ("seed-001-other", r"\max(\Delta + s_c - s, 0)", "s_c", "1", IN_PART),
    ("seed-001-relation", r"J = \max(\Delta + s_c - s, 0)", "s",
     r"-\frac{\partial J}{\partial s_c}", PROVED),
    ("parabola", "x^2", "x", "2x", PROVED),
    ("logistic", r"\log(1 + e^{-z})", "z", r"-\frac{1}{1 + e^{z}}", PROVED),
    ("abs-as-ratio", r"|m_x(w) - t|", "w", r"\frac{m_x(w) - t}{|m_x(w) - t|} m_x'(w)", PROVED),
    ("leibniz", r"|m_x(w) - t|", "w", r"\operatorname{sign}(m_x(w) - t) \frac{d m_x}{dw}", PROVED),
    ("wrong", "x^2", "x", "3x", REFUTED),
    ("wrong-sign", r"|x|", "x", r"-\operatorname{sign}(x)", REFUTED),
    ("relu", r"\operatorname{ReLU}(x)", "x", "1", IN_PART),
    # SymPy's switch of a max of three: derive's shares ties of three, equal elsewhere
    ("max-of-three", r"\max(x, y, z)", "x", r"H(x - \max(y, z))", PROVED),
    ("max-of-three-shared", r"\max(x, y, z)", "x",
     r"\frac{H(x - \max(y, z))}{H(x - \max(y, z)) + H(y - \max(x, z)) + H(z - \max(x, y))}",
     PROVED),
    ("max-of-three-pair", r"\max(x, y, z)", "x", r"H(x - y)", IN_PART),
]  # fmt: skip


@pytest.mark.parametrize(
    "latex,wrt,claim,verdict", [v[1:] for v in VERDICTS], ids=[v[0] for v in VERDICTS]
)
def test_verdicts(latex, wrt, claim, verdict):
    assert check(latex, wrt, claim).verdict == verdict


def test_seed_000_region_and_counterexample():
    result = check(r"|m_x(w) - t|", "w", "m_x'(w)")
    holds = {str(r.where): r.holds for r in result.regions}
    assert holds == {"-t + m_x(w) > 0": True, "-t + m_x(w) < 0": False}
    example = result.counterexample
    assert example.values == {m(w): 0, sympy.Derivative(m(w), w): 1, t: 1}
    assert (example.claimed, example.true) == (1, -1)


def test_seed_001_says_what_the_derivative_is_where_the_claim_fails():
    result = check(r"\max(\Delta + s_c - s, 0)", "s", "-1")
    (failing,) = [r for r in result.regions if r.holds is False]
    assert str(failing.where) == "Delta - s + s_c < 0" and failing.derivative == 0
    assert result.counterexample.claimed == -1 and result.counterexample.true == 0


def test_undecided_claims_are_not_called_proved(monkeypatch):
    import derive.claims as check_module

    monkeypatch.setattr(check_module, "is_zero", lambda expr, seconds: None)
    result = check(r"\log(1 + e^{-z})", "z", r"-\frac{1}{1 + e^{z}}")
    assert result.verdict == UNDECIDED and result.exit_code == 1
    assert "Not decided" in result.text() and "Proved" not in result.text()
    assert "agrees at 12 random points" in result.text()


def test_a_claim_with_an_unknown_symbol_is_refuted():
    result = check("x^2", "x", "2y")
    assert result.verdict == REFUTED and result.counterexample is not None


def test_bad_claims_are_parse_errors():
    with pytest.raises(ParseError, match="in the claim: '\\+' needs a term after it"):
        check("x^2", "x", "2x +")


def test_cli_exit_codes_and_output():
    runner = CliRunner()
    seed = runner.invoke(main, ["check", "|m_x(w) - t|", "--wrt", "w", "--claim", "m_x'(w)"])
    assert seed.exit_code == 1
    assert "holds where m_x(w) − t > 0" in seed.output
    assert "Counterexample: m_x(w) = 0, m_x′(w) = 1, t = 1: the claim gives 1" in seed.output
    proved = runner.invoke(main, ["check", "x^2", "--wrt", "x", "--claim", "2x"])
    assert proved.exit_code == 0 and "Proved" in proved.output
    bad = runner.invoke(main, ["check", "x^2", "--wrt", "x", "--claim", r"\foo"])
    assert bad.exit_code == 2 and "unknown command" in bad.output


@pytest.mark.parametrize("format_", ["text", "latex", "markdown", "json"])
def test_every_format(format_):
    result = CliRunner().invoke(
        main,
        ["check", r"\max(\Delta + s_c - s, 0)", "--wrt", "s", "--claim", "-1", "--format", format_],
    )
    assert result.exit_code == 1 and result.output.strip()


def test_json_verdict():
    result = CliRunner().invoke(
        main, ["check", "|m_x(w) - t|", "--wrt", "w", "--claim", "m_x'(w)", "--format", "json"]
    )
    data = json.loads(result.output)
    assert data["verdict"] == "holds in part"
    assert data["counterexample"]["values"] == {"m_x(w)": "0", "m_x′(w)": "1", "t": "1"}
    assert data["nondifferentiable"] == ["Eq(m_x(w), t)"]


def test_the_claim_reader_leaves_derivatives_to_the_engine():
    from derive.read import parse_claim, parse_loss

    loss = parse_loss(r"J = \max(\Delta + s_c - s, 0)")
    claimed = parse_claim(r"-\frac{\partial J}{\partial s_c}", loss)
    assert claimed.atoms(sympy.Derivative)  # read, not worked out
    assert (
        check(r"J = \max(\Delta + s_c - s, 0)", "s", r"-\frac{\partial J}{\partial s_c}").verdict
        == PROVED
    )


def test_each_expression_is_split_into_cases_once(monkeypatch):
    import derive.claims as claims

    calls = []
    original = claims.cases_of
    monkeypatch.setattr(claims, "cases_of", lambda e, *a: calls.append(e) or original(e, *a))
    check(r"|m_x(w) - t|", "w", "m_x'(w)")
    assert len(calls) == len(set(calls)) == 3  # the difference, the derivative, the claim
