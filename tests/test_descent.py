"""Gradient descent with the derived gradient, and the pictures of it and of a loss."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import sympy
from click.testing import CliRunner

from cli import main
from derive.descent import CONVERGED, DIVERGED, STALLED, descend
from derive.errors import DeriveError
from derive.pictures import DPI, SIZE, plot

x, w = sympy.symbols("x w", real=True)


def test_parabola_converges_and_says_why():
    run = descend("x^2", {"x": 1.5}, learning_rate=0.1)
    assert run.verdict == CONVERGED and abs(run.final.point["x"]) < 1e-3
    assert run.rate == -4 * x**2
    assert "∇f·(−∇f) = −(df/dx)² = −4x^2" in run.text()


def test_too_large_a_learning_rate_diverges():
    run = descend("x^2", {"x": 1.5}, learning_rate=1.1)
    assert run.verdict == DIVERGED
    assert "the loss grew from 2.25 to" in run.message and "too large" in run.message


def test_data_set_by_name():
    run = descend(r"(w x - t)^2", {"w": 0}, {"x": 2, "t": 1})
    assert run.verdict == CONVERGED and run.final.point["w"] == pytest.approx(0.5, abs=1e-6)
    assert run.rate == -16 * (2 * w - 1) ** 2


def test_step_limit_is_stalled():
    run = descend(r"|x|", {"x": 1.05}, learning_rate=0.1, steps=50)
    assert run.verdict == STALLED  # at a kink the gradient never vanishes


def test_two_variables():
    run = descend(
        r"(a - 1)^2 + 10 (b + 0.5)^2", {"a": -1.5, "b": 1.0}, learning_rate=0.08, steps=300
    )
    assert run.verdict == CONVERGED
    assert run.final.point == pytest.approx({"a": 1.0, "b": -0.5}, abs=1e-5)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"latex": "x^2", "start": {}}, "starting point"),
        ({"latex": "x^2", "start": {"x": 1}, "learning_rate": -1}, "positive"),
        ({"latex": "(w x - t)^2", "start": {"w": 0}}, "give a value to every symbol: t, x"),
        ({"latex": "|m_x(w) - t|", "start": {"w": 0}, "fixed": {"t": 1}}, "write out"),
        ({"latex": "x^2", "start": {"z": 1}}, "not a symbol of the loss"),
    ],
    ids=["no-start", "negative-rate", "missing-data", "unknown-function", "unknown-variable"],
)
def test_descent_refuses_bad_input(kwargs, message):
    with pytest.raises(DeriveError, match=message):
        descend(**kwargs)


def picture_ok(path) -> None:
    """The PNG exists, has the expected size, and is not blank (its pixels vary)."""
    import matplotlib.image

    pixels = matplotlib.image.imread(str(path))
    assert pixels.shape[:2] == (SIZE[1] * DPI, SIZE[0] * DPI)
    assert pixels[..., :3].std() > 0.05


def test_descent_pictures(tmp_path):
    one = descend("x^2", {"x": 1.5}).plot(str(tmp_path / "one.png"))
    picture_ok(one)
    two = descend(r"(a - 1)^2 + 10 (b + 0.5)^2", {"a": -1.5, "b": 1.0}, learning_rate=0.08)
    picture_ok(two.plot(str(tmp_path / "two.png")))


def test_plot_marks_the_kink(tmp_path):
    picture = plot(r"\max(\Delta + s_c - s, 0)", "s", str(tmp_path / "margin.png"),
                   {"Delta": 1, "s_c": 0.5})  # fmt: skip
    picture_ok(picture.path)
    (kink,) = picture.kinks
    assert kink.x == 1.5 and (kink.left, kink.right) == (-1.0, 0.0)
    assert kink.subgradient == (-1.0, 0.0) and kink.convention == -0.5


def test_plot_of_joint_kinks(tmp_path):
    picture = plot(r"|x - 1| + \max(x, 0) + \operatorname{ReLU}(x)", "x", str(tmp_path / "j.png"))
    assert [(k.x, k.subgradient) for k in picture.kinks] == [(0.0, (-1.0, 1.0)), (1.0, (1.0, 3.0))]


def test_cli_descend_and_plot(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["descend", "x^2", "--start", "x=1.5", "--lr", "0.1"])
    assert result.exit_code == 0 and "Converged" in result.output
    result = runner.invoke(main, ["descend", "x^2", "--start", "x=1.5", "--lr", "1.1"])
    assert result.exit_code == 0 and "Diverged" in result.output
    path = tmp_path / "path.png"
    args = ["descend", "(a - 1)^2 + (b + 2)^2", "--start", "a=0", "--start", "b=0"]
    result = runner.invoke(main, [*args, "--plot", str(path), "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.output)["verdict"] == "converged"
    picture_ok(path)
    image = tmp_path / "abs.png"
    result = runner.invoke(main, ["plot", "|w x - t|", "--wrt", "w", "--set", "x=2", "--set",
                                  "t=1", "-o", str(image)])  # fmt: skip
    assert result.exit_code == 0 and "kinks at 0.5" in result.output
    picture_ok(image)


@pytest.mark.parametrize(
    "args,message",
    [
        (["descend", "x^2", "--start", "x=abc"], "'abc' is not a number"),
        (["descend", "x^2", "--start", "x"], "write NAME=VALUE"),
        (["plot", "x^2", "--wrt", "x", "-o", "p.png", "--range", "3,1"], "below HI"),
        (["plot", "x^2", "--wrt", "x", "-o", "p.png", "--range", "3"], "write LO,HI"),
        (["plot", "x y", "--wrt", "x", "-o", "p.png"], "give a value to every other symbol"),
    ],
    ids=["not-a-number", "no-equals", "backwards-range", "one-number", "missing-symbol"],
)
def test_cli_bad_input(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and message in result.output


def test_matplotlib_is_only_imported_to_draw():
    import subprocess
    import sys

    code = "import sys, derive; derive.gradient('x^2'); print('matplotlib' in sys.modules)"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert shown.strip() == "False"


def test_descend_then_draw_generates_the_module_once(tmp_path, monkeypatch):
    from derive.codegen import backends

    calls = []
    original = backends.module_source
    monkeypatch.setattr(backends, "module_source", lambda *a: calls.append(a) or original(*a))
    run = descend("(w_1 - 1)^2 + w_2^2", {"w_1": 0.0, "w_2": 1.0}, steps=5)
    run.plot(str(tmp_path / "run.png"))
    assert len(calls) == 1


ARRAY_RUNS = [
    # (id, loss, start, fixed, shapes, learning rate, where each variable ends)
    (
        "data-of-a-sum",
        r"\frac{1}{N}\sum_{i=1}^{N} (w x_i - y_i)^2",
        {"w": 0},
        {"x": [1, 2, 3], "y": [2, 4, 6]},
        None,
        0.1,
        {"w": 2.0},
    ),
    (
        "data-vectors",
        r"\frac{1}{N}\sum_i (w^\top x_i - y_i)^2",
        {"w": "0,0"},
        {"x": "1,0;0,1;1,1", "y": "1,2,3"},
        None,
        0.2,
        {"w": [1.0, 2.0]},
    ),
    (
        "least-squares-in-matrices",
        r"\|X w - y\|_2^2",
        {"w": 0},
        {"X": [[1, 0], [0, 1], [1, 1]], "y": [1, 2, 3]},
        {"X": "n,d", "w": "d", "y": "n"},
        0.1,
        {"w": [1.0, 2.0]},
    ),
    (
        "bold-vector-filled",
        r"\|\mathbf{w} - \mathbf{y}\|^2",
        {r"\mathbf{w}": 0},
        {"y": np.array([1.0, -2.0, 0.5])},
        None,
        0.25,
        {"w_bold": [1.0, -2.0, 0.5]},
    ),
    (
        "ridge-with-a-number",
        r"\sum_i (a x_i - y_i)^2 + \lambda a^2",
        {"a": 0},
        {"x": [1, 2], "y": [1, 2], "lambda": 5},
        None,
        0.05,
        {"a": 0.5},
    ),
]


@pytest.mark.parametrize(
    "latex,start,fixed,shapes,rate,expected",
    [r[1:] for r in ARRAY_RUNS],
    ids=[r[0] for r in ARRAY_RUNS],
)
def test_descent_over_vectors_and_data(latex, start, fixed, shapes, rate, expected):
    run = descend(latex, start, fixed, learning_rate=rate, steps=500, shapes=shapes)
    assert run.verdict == CONVERGED, run.text()
    for name, value in expected.items():
        assert np.allclose(run.final.point[name], value, atol=1e-5), run.text()
    assert json.loads(run.to_json())["iterates"][-1]["point"] == run.final.point


ARRAY_REFUSALS = [
    # (id, loss, start, fixed, message)
    ("lengths-disagree", r"\sum_i (w x_i - y_i)^2", {"w": 0}, {"x": "1,2", "y": "1,2,3"},
     "x and y disagree on N: 2 and 3"),
    ("matrix-given-a-vector", r"\sum_i (w^\top x_i - y_i)^2", {"w": 0},
     {"x": "1,2,3", "y": "1,2,3"}, "x is a matrix in this loss; an array with 1 axis given"),
    ("number-given-an-array", r"(w x - t)^2", {"w": 0}, {"x": "1,2", "t": 1},
     "x is a number in this loss"),
    ("length-unknown", r"\|\mathbf{w}\|^2", {r"\mathbf{w}": 0}, {},
     "the length d of w is not known from the data"),
    ("ragged-rows", r"\sum_i (w^\top x_i - y_i)^2", {"w": 0}, {"x": "1,2;3", "y": "1,2"},
     "the rows have different lengths"),
    ("not-a-file", r"\sum_i (w x_i)^2", {"w": 0}, {"x": "@/nonexistent/x.csv"},
     "cannot read /nonexistent/x.csv"),
    ("infinite", r"\sum_i (w x_i)^2", {"w": 0}, {"x": [1, float("inf")]}, "finite numbers"),
]  # fmt: skip


@pytest.mark.parametrize(
    "latex,start,fixed,message", [r[1:] for r in ARRAY_REFUSALS], ids=[r[0] for r in ARRAY_REFUSALS]
)
def test_descent_refuses_data_that_does_not_fit(latex, start, fixed, message):
    with pytest.raises(DeriveError, match=re.escape(message)):
        descend(latex, start, fixed)


def test_cli_descends_over_data_from_a_file_and_draws_the_loss_by_step(tmp_path):
    data = tmp_path / "x.csv"
    data.write_text("1,0\n0,1\n1,1\n")
    picture = tmp_path / "curve.png"
    result = CliRunner().invoke(
        main,
        ["descend", r"\frac{1}{N}\sum_i (w^\top x_i - y_i)^2", "--start", "w=0",
         "--set", f"x=@{data}", "--set", "y=1,2,3", "--lr", "0.2", "--steps", "400",
         "--plot", str(picture)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "x = a 3×2 matrix, y = [1, 2, 3]" in result.output
    assert "Converged" in result.output and "w = [1, 2]" in result.output
    picture_ok(picture)
