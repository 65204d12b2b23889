"""Sums over an index: read as the notes mean them (or refused), derived with every step
proved or checked, equal to SymPy's derivative written out at small sizes and to central
differences, and generated as NumPy code over data arrays that matches an independent
NumPy reference."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sympy
from click.testing import CliRunner

import derive
from cli import main
from derive.codecheck import check_module
from derive.codegen.module import compile_module
from derive.model import FAILED
from derive.proof.explicit import written_out
from tests.numeric import loss_over_arrays

i, j, k = sympy.symbols("i j k", integer=True)
N, n, d = (sympy.Symbol(s, integer=True, positive=True) for s in ("N_", "n", "d"))  # N_: not N()
w = sympy.Symbol("w", real=True)
lam = sympy.Symbol("lambda_", real=True)
x, y, W, X, Y_hat = (sympy.IndexedBase(s, real=True) for s in ("x", "y", "w", "X", "y_hat"))

RIDGE = r"\sum_{i=1}^{n} (\sum_{j=1}^{d} w_j x_{ij} - y_i)^2 + \lambda \sum_{j=1}^{d} w_j^2"

READINGS = [
    (
        "mse",
        r"\frac{1}{N}\sum_{i=1}^{N} (w x_i - y_i)^2",
        sympy.Sum((w * x[i] - y[i]) ** 2, (i, 1, N)) / N,
    ),
    ("no-bounds", r"\sum_i (w x_i - y_i)^2", sympy.Sum((w * x[i] - y[i]) ** 2, (i, 1, N))),
    ("upper-only", r"\sum_{i}^{n} x_i", sympy.Sum(x[i], (i, 1, n))),
    ("scripts-swapped", r"\sum^{n}_{i=1} x_i", sympy.Sum(x[i], (i, 1, n))),
    ("summand-is-the-term", r"\sum_i x_i y_i + w", sympy.Sum(x[i] * y[i], (i, 1, N)) + w),
    (
        "superscript-index",
        r"\sum_i (w x^{(i)} - y^{(i)})^2",
        sympy.Sum((w * x[i] - y[i]) ** 2, (i, 1, N)),
    ),
    ("brackets", r"\sum_i (w x[i] - y[i])^2", sympy.Sum((w * x[i] - y[i]) ** 2, (i, 1, N))),
    (
        "two-indices",
        r"\sum_{i=1}^{n}\sum_{j=1}^{d} X_{ij} w_j",
        sympy.Sum(sympy.Sum(X[i, j] * W[j], (j, 1, d)), (i, 1, n)),
    ),
    (
        "comma-indices",
        r"\sum_{i=1}^{n}\sum_{j=1}^{d} X_{i,j}",
        sympy.Sum(sympy.Sum(X[i, j], (j, 1, d)), (i, 1, n)),
    ),
    ("index-itself", r"\sum_{i=1}^{n} i x_i", sympy.Sum(i * x[i], (i, 1, n))),
    ("hat-of-element", r"\sum_i |y_i - \hat{y_i}|", sympy.Sum(abs(y[i] - Y_hat[i]), (i, 1, N))),
    ("from-zero", r"\sum_{i=0}^{n-1} x_i", sympy.Sum(x[i], (i, 0, n - 1))),
    (
        "bound-is-whole",
        r"\frac{\lambda}{n} \sum_{i=1}^{n} x_i",
        lam / n * sympy.Sum(x[i], (i, 1, n)),
    ),
]


@pytest.mark.parametrize("latex,expected", [r[1:] for r in READINGS], ids=[r[0] for r in READINGS])
def test_sums_are_read_as_written(latex, expected):
    assert derive.parse_loss(latex).expr == expected


REFUSALS = [
    ("index-outside", r"\sum_i x_i - y_i", "uses the index i outside the sum"),
    ("index-before", r"y_i \sum_i x_i", "uses the index i outside the sum"),
    ("mixed-index", r"\sum_i x_{ik}", "mixes the index of a sum with k"),
    ("no-index", r"\sum x_i", "needs its index below it"),
    ("no-summand", r"w + \sum_{i=1}^{N}", "needs a summand"),
    ("index-as-a-name-outside", r"\sum_i x_i + i", "is the index of a sum"),
    ("index-inside-a-subscript", r"\sum_i \hat{w}_{i, y_i}", "is not a list of indices"),
    ("array-and-number", r"\sum_i x_i + x", "both an array"),
    ("index-not-a-letter", r"\sum_{12} x", "one letter"),
    ("same-index-twice", r"\sum_i \sum_i x_i", "already bound"),
    ("bound-uses-index", r"\sum_{i=1}^{i} x_i", "its own index"),
]


@pytest.mark.parametrize("latex,message", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_misreadable_sums_are_refused(latex, message):
    with pytest.raises(derive.ParseError, match=message):
        derive.parse_loss(latex)


DERIVATIVES = [
    ("mse-w", r"\frac{1}{N}\sum_{i=1}^{N} (w x_i - y_i)^2", "w"),
    ("mse-element", r"\sum_i (w_i x_i - y_i)^2", "w_k"),
    ("hinge", r"\sum_i \max(0, 1 - y_i w x_i)", "w"),
    ("abs", r"\frac{1}{N}\sum_i |w x_i - y_i|", "w"),
    ("logistic", r"\sum_i \log(1 + e^{-y_i w x_i})", "w"),
    ("sigmoid", r"\sum_i (\sigma(w x_i + b) - y_i)^2", "b"),
    ("ridge-element", RIDGE, "w_k"),
    ("ridge-lambda", RIDGE, r"\lambda"),
    ("two-limits-element", r"\sum_{i=1}^{n} \sum_{c=1}^{C} (w_c x_{ic} - y_{i})^2", "w_k"),
    ("three-sums", r"\sum_a \sum_b \sum_c (w x_{abc} - y_{ab})^2", "w"),
    ("softmax-element", r"-\sum_j y_j z_j + \log \sum_{j} e^{z_j}", "z_k"),
]


def test_the_rules_of_sums_are_used():
    (partial,) = derive.gradient(r"\sum_i (w_i x_i - y_i)^2", wrt="w_k").partials
    used = {step.rule.name for step in partial.step.walk()}
    assert {"sum over an index", "element of an array"} <= used


def _central_difference(expr, var, point, h=1e-6):
    up = float(expr.xreplace({**point, var: point[var] + h}))
    down = float(expr.xreplace({**point, var: point[var] - h}))
    return (up - down) / (2 * h)


@pytest.mark.parametrize("latex,wrt", [r[1:] for r in DERIVATIVES], ids=[r[0] for r in DERIVATIVES])
def test_derivatives_of_sums_agree_with_sympy_and_central_differences(latex, wrt):
    derivation = derive.gradient(latex, wrt=wrt)
    (partial,) = derivation.partials
    assert partial.verified != FAILED
    assert not partial.formula.has(sympy.KroneckerDelta)  # worked out, not left in the answer
    rng = np.random.default_rng(7)
    for size in (2, 3, 4):
        loss, formula, var = written_out([derivation.expr, partial.formula, partial.var], size)
        reference = sympy.diff(loss, var)
        symbols = sorted(loss.free_symbols | formula.free_symbols, key=str)
        for _ in range(3):
            point = {s: sympy.Float(rng.uniform(-2, 2)) for s in symbols}
            if var in point and abs(point[var]) < 1e-3:
                continue
            value = float(formula.xreplace(point))
            assert value == pytest.approx(float(reference.xreplace(point)), rel=1e-9, abs=1e-9)
            slope = _central_difference(loss, var, point)
            assert value == pytest.approx(slope, rel=1e-5, abs=1e-6)


def _module(latex, wrt):
    return compile_module(derive.gradient(latex, wrt=wrt).code())


def _mse(a, data):
    x, y = data["x"], data["y"]
    return 2 * np.mean((a["w"] * x - y) * x)


def _hinge(a, data):
    x, y = data["x"], data["y"]
    active = 1 - y * a["w"] * x > 0
    return -np.sum(active * x * y)


def _ridge(a, data):
    X, y = data["x"], data["y"]
    return 2 * X.T @ (X @ a["w"] - y) + 2 * a["lambda_"] * a["w"]


def _two_limits(a, data):
    x, y = data["x"], data["y"]
    return 2 * np.sum((a["w"][None, :] * x - y[:, None]) * x, axis=0)


def _three_sums(a, data):
    x, y = data["x"], data["y"]
    return 2 * np.sum((a["w"] * x - y[:, :, None]) * x)


def _softmax(a, data):
    z, y = a["z"], data["y"]
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    return p - y


CODE = [
    # (id, loss, wrt, shapes of the arrays by their index letters, reference gradient)
    ("mse", r"\frac{1}{N}\sum_{i=1}^{N} (w x_i - y_i)^2", "w", {"x": "N", "y": "N"}, _mse),
    ("hinge", r"\sum_i \max(0, 1 - y_i w x_i)", "w", {"x": "N", "y": "N"}, _hinge),
    ("ridge", RIDGE, "w_k", {"x": "nd", "y": "n", "w": "d"}, _ridge),
    (
        "two-limits",
        r"\sum_{i=1}^{n} \sum_{c=1}^{C} (w_c x_{ic} - y_{i})^2",
        "w_k",
        {"x": "nC", "y": "n", "w": "C"},
        _two_limits,
    ),
    (
        "three-sums",
        r"\sum_a \sum_b \sum_c (w x_{abc} - y_{ab})^2",
        "w",
        {"x": "NNN", "y": "NN"},
        _three_sums,
    ),
    (
        "softmax-xent",
        r"-\sum_j y_j z_j + \log \sum_{j} e^{z_j}",
        "z_k",
        {"y": "N", "z": "N"},
        _softmax,
    ),
]


@pytest.mark.parametrize(
    "latex,wrt,shapes,reference", [c[1:] for c in CODE], ids=[c[0] for c in CODE]
)
def test_generated_code_over_data_arrays_matches_an_independent_reference(
    latex, wrt, shapes, reference
):
    module = _module(latex, wrt)
    rng = np.random.default_rng(11)
    for sizes in (
        {"N": 5, "n": 6, "d": 3, "C": 4},
        {"N": 1, "n": 2, "d": 1, "C": 1},
        {"N": 40, "n": 30, "d": 7, "C": 9},
    ):
        data = {name: rng.normal(size=[sizes[c] for c in dims]) for name, dims in shapes.items()}
        arguments = {p: data.get(p, rng.normal()) for p in module.PARAMETERS}
        expected = reference(arguments, arguments)
        if sum(np.size(v) for v in data.values()) <= 400:  # SymPy writes each term out
            loss = loss_over_arrays(derive.parse_loss(latex).expr, arguments)
            assert module.loss(*arguments.values()) == pytest.approx(loss, rel=1e-10, abs=1e-12)
        np.testing.assert_allclose(
            module.gradient(*arguments.values()), expected, rtol=1e-10, atol=1e-12
        )


def test_the_issue_s_mean_squared_error_from_the_command_line(tmp_path):
    out = tmp_path / "mse.py"
    result = CliRunner().invoke(
        main, ["code", r"\frac{1}{N} \sum_{i=1}^{N} (w x_i - y_i)^2", "--wrt", "w", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    module = compile_module(out.read_text())
    assert module.PARAMETERS == ("w", "x", "y")
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=50), rng.normal(size=50)
    expected = 2 / 50 * np.sum((1.5 * x - y) * x)
    assert module.gradient(1.5, x, y) == pytest.approx(expected, rel=1e-12)
    assert module.loss(1.5, x, y) == pytest.approx(np.mean((1.5 * x - y) ** 2), rel=1e-12)


WRT_ERRORS = [
    ("no-scalar", r"\sum_i (w_i x_i - y_i)^2", None, "elements of arrays"),
    ("bound-letter", r"\sum_i (w_i x_i - y_i)^2", "w_i", "index of a sum"),
    ("wrong-rank", r"\sum_i (w_i x_i - y_i)^2", "w_{kl}", "1 index"),
]


@pytest.mark.parametrize(
    "latex,wrt,message", [r[1:] for r in WRT_ERRORS], ids=[r[0] for r in WRT_ERRORS]
)
def test_variables_of_a_sum_that_cannot_be_meant_are_refused(latex, wrt, message):
    with pytest.raises(derive.DeriveError, match=message):
        derive.gradient(latex, wrt=wrt)


NOT_YET = [
    ("plot", ["plot", "--wrt", "w", "-o", "never.png"]),
    # descend takes the data (--set x=1,2,3) and says so when it is missing
]


@pytest.mark.parametrize("command", [c[1] for c in NOT_YET], ids=[c[0] for c in NOT_YET])
def test_commands_that_evaluate_at_numbers_refuse_sums_with_a_message(command):
    """plot draws one variable over numbers; descend over data is in tests/test_descent.py."""
    loss = r"\frac{1}{N}\sum_i (w x_i - y_i)^2"
    result = CliRunner().invoke(main, [command[0], loss, *command[1:]])
    assert result.exit_code == 2, result.output
    assert "does not handle sums over data" in result.output
    assert "Traceback" not in result.output


def test_descend_over_a_sum_asks_for_the_data():
    loss = r"\frac{1}{N}\sum_i (w x_i - y_i)^2"
    result = CliRunner().invoke(main, ["descend", loss, "--start", "w=0"])
    assert result.exit_code == 2, result.output
    assert "give a value to every symbol: x, y" in result.output


def test_json_lists_the_arrays_apart_from_the_symbols():
    data = json.loads(derive.gradient(r"\sum_i (w_i \hat{x}_i - y_i)^2", wrt="w_k").to_json())
    assert data["arrays"] == {"w": "w", "x_hat": r"\hat{x}", "y": "y"}
    assert "x_hat" not in data["symbols"]
    assert list(data["gradient"]) == ["w[k]"]


CHECKED = [
    # (id, loss, wrt, a mutation of the module: (text, replacement))
    ("mse", r"\frac{1}{N}\sum_i (w x_i - y_i)^2", "w", ("2*np.sum", "-2*np.sum")),
    ("hinge", r"\sum_i \max(0, 1 - y_i w x_i)", "w", ("np.sum(-", "np.sum(")),
    ("ridge", RIDGE, "w_k", ("2*lambda_[..., None]*w + ", "")),
    ("softmax-xent", r"-\sum_j y_j z_j + \log \sum_{j} e^{z_j}", "z_k", (" - y", " + y")),
]


@pytest.mark.parametrize(
    "latex,wrt,mutation", [c[1:] for c in CHECKED], ids=[c[0] for c in CHECKED]
)
def test_code_check_passes_the_module_and_catches_a_mutated_one(latex, wrt, mutation):
    derivation = derive.gradient(latex, wrt=wrt)
    source = derivation.code()
    assert check_module(derivation, compile_module(source)).ok
    gradient_part = source.index("def gradient")
    body = source[gradient_part:]
    assert mutation[0] in body, body
    mutated = source[:gradient_part] + body.replace(mutation[0], mutation[1], 1)
    verdict = check_module(derivation, compile_module(mutated))
    assert not verdict.ok and verdict.decided, verdict.message


MSE = r"\frac{1}{N}\sum_i (w x_i - y_i)^2"
LSQ = r"\frac{1}{N}\sum_i (w^\top x_i - y_i)^2"  # data vectors x_i ∈ ℝᵈ, read so
CLAIMS = [
    # (id, loss, wrt, claim, exit status, what the output says)
    ("proved", MSE, "w", r"\frac{2}{N}\sum_i (w x_i - y_i) x_i", 0, "Proved"),
    ("proved-reordered", MSE, "w", r"\frac{1}{N}\sum_{i=1}^{N} 2 x_i (w x_i - y_i)", 0, "Proved"),
    ("refuted", MSE, "w", r"\frac{2}{N}\sum_i (w x_i - y_i)", 1, "Counterexample: N = 2"),
    ("element", r"\sum_i (w_i x_i - y_i)^2", "w_k", r"2 (w_k x_k - y_k) x_k", 0, "Proved"),
    ("element-refuted", r"\sum_i (w_i x_i - y_i)^2", "w_k", r"2 (w_k x_k - y_k)", 1, "Refuted"),
    # data vectors x_i (w^T x_i): the element k of row i is x_{ik}
    ("data-vectors", LSQ, "w", r"\frac{2}{N}\sum_i (w^\top x_i - y_i) x_{ik}", 0, "Proved"),
    ("data-vectors-transposed", LSQ, "w", r"\frac{2}{N}\sum_i (w^\top x_i - y_i) x_{ki}", 1,
     "Counterexample: N = 2, d = 2"),
]  # fmt: skip


@pytest.mark.parametrize(
    "latex,wrt,claim,status,says", [c[1:] for c in CLAIMS], ids=[c[0] for c in CLAIMS]
)
def test_claims_about_sums_are_proved_or_refuted_with_a_counterexample(
    latex, wrt, claim, status, says
):
    result = CliRunner().invoke(main, ["check", latex, "--wrt", wrt, "--claim", claim])
    assert result.exit_code == status, result.output
    assert says in result.output


def test_a_chain_through_a_sum_backpropagates_to_the_elements():
    derivation = derive.gradient("J = (s - t)^2", wrt="w_k", where=[r"s = \sum_i w_i x_i"])
    (partial,) = derivation.partials
    assert partial.verified == "proved"
    s = sympy.Sum(W[i] * x[i], (i, 1, N))
    t = sympy.Symbol("t", real=True)
    assert sympy.simplify(partial.formula - 2 * (s - t) * x[k]) == 0
    assert check_module(derivation, compile_module(derivation.code())).ok


def test_a_definition_of_an_element_is_refused_with_what_to_write():
    with pytest.raises(derive.DeriveError, match="defines each element p_i"):
        derive.gradient(r"L = \frac{1}{N}\sum_i (p_i - y_i)^2", where=["p_i = w x_i + b"])


@pytest.mark.parametrize("form", ["sign", "heaviside", "cases"])
def test_every_form_of_a_sum_of_switches_is_derived(form):
    derivation = derive.gradient(r"\sum_i \max(0, 1 - y_i w x_i)", wrt="w", form=form)
    (partial,) = derivation.partials
    assert partial.verified != FAILED
    assert "w·x_i·y_i = 1" in derivation.text()  # where a term has its kink


SUM_KINKS = [
    # (id, loss, wrt, the subgradient interval of one term at its kink)
    ("hinge", r"\sum_i \max(0, 1 - y_i w x_i)", "w", (-x[i] * y[i], 0)),
    ("absolute", r"\sum_i |w - x_i|", "w", (-1, 1)),
    (
        "pinball",
        r"\sum_i \max(0.9 (y_i - w), -0.1 (y_i - w))",
        "w",
        (sympy.Rational(-9, 10), sympy.Rational(1, 10)),
    ),
]


@pytest.mark.parametrize(
    "latex,wrt,interval", [k[1:] for k in SUM_KINKS], ids=[k[0] for k in SUM_KINKS]
)
def test_the_kink_of_each_term_of_a_sum_is_stated_with_its_subgradients(latex, wrt, interval):
    (partial,) = derive.gradient(latex, wrt=wrt).partials
    (kink,) = partial.kinks
    assert kink.subgradient is not None
    assert all(sympy.simplify(a - b) == 0 for a, b in zip(kink.subgradient, interval, strict=True))
    assert "the sum adds them" in kink.note


def test_the_readme_shows_the_module_of_its_sum_example_as_written():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Sums over data") :]
    start = section.index("```text\ndef gradient")
    shown = section[start + 8 : section.index("```\n\n`_agree`")]
    derivation = derive.gradient(r"\frac{1}{N} \sum_{i=1}^{N} (w x_i + b - y_i)^2", wrt=["w", "b"])
    assert shown.strip() in derivation.code()


def test_a_module_over_data_refuses_arrays_of_different_lengths():
    module = _module(r"\frac{1}{N}\sum_{i=1}^{N} (w x_i - y_i)^2", "w")
    with pytest.raises(ValueError, match=r"summed up to N have the lengths \(5, 4\)"):
        module.gradient(1.0, np.ones(5), np.ones(4))


def test_an_element_of_an_array_with_a_subscripted_name_is_valid_latex():
    shapes = {"u": "h", "W": "h,d", "x_c": "d"}
    latex = derive.gradient(r"u^\top \sigma(W x_c)", wrt="u", shapes=shapes).latex()
    assert "{x_c}_{j}" in latex and "x_c_{" not in latex  # x_c_{j}: a double subscript
