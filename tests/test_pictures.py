"""Pictures' titles, labels and notes: mathtext that matplotlib reads, the fixed values shown,
plain text where mathtext cannot read the loss, and every line within the figure's width."""

from __future__ import annotations

import pytest

from derive.descent import descend
from derive.mathtext import TITLE_SIZE, number, readable, translate
from derive.pictures import DPI, SIZE, descent_picture, plot

TWENTY = " + ".join(f"(w - {k})^2" for k in range(1, 21))


def drawn(path) -> None:
    """The PNG exists, has the expected size, and is not blank (its pixels vary)."""
    import matplotlib.image

    pixels = matplotlib.image.imread(str(path))
    assert pixels.shape[:2] == (SIZE[1] * DPI, SIZE[0] * DPI)
    assert pixels[..., :3].std() > 0.05


def widest_line(text: str) -> float:
    """The width in pixels of the widest line of ``text`` as a title in a picture."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=SIZE, dpi=DPI)
    try:
        renderer = figure.canvas.get_renderer()
        lines = [figure.text(0, 0, line, fontsize=TITLE_SIZE) for line in text.split("\n")]
        return max(line.get_window_extent(renderer).width for line in lines)
    finally:
        plt.close(figure)


def math_lines(title: str) -> None:
    """Every line of ``title`` has mathtext in it, and matplotlib's parser reads it."""
    assert readable(title), title
    assert all("$" in line for line in title.split("\n")), title


TRANSLATIONS = [
    # (id, our LaTeX, mathtext)
    ("tfrac", r"\tfrac{1}{2} w", r"\frac{1}{2} w"),
    ("operatorname-star", r"\operatorname*{softmax}(z)", r"\operatorname{softmax}(z)"),
    ("text", r"w_{\text{new value}}", r"w_{\mathrm{new\ value}}"),
    ("textbf", r"\textbf{w}", r"\mathbf{w}"),
    ("abs-bars", r"\left|{w x - t}\right|", "|{w x - t}|"),
    ("norm-bars", r"\left\|X w - y\right\|^{2}", r"\Vert X w - y\Vert ^{2}"),
    ("max-against-parenthesis", r"\max\left(w, 0\right)", r"\max\!\left(w, 0\right)"),
    ("log-against-parenthesis", r"\log{\left(w \right)}", r"\log{\!\left(w \right)}"),
    ("dollar", r"w_{\text{$}}", r"w_{\mathrm{\$}}"),
    (
        "cases",
        r"\begin{cases} w & \text{for}\: w > 0 \\0 & \text{otherwise} \end{cases}",
        r"\left\{w\;\;\mathrm{for}\: w > 0,\quad 0\;\;\mathrm{otherwise}\right.",
    ),
]


@pytest.mark.parametrize(
    "latex,expected", [r[1:] for r in TRANSLATIONS], ids=[r[0] for r in TRANSLATIONS]
)
def test_our_latex_is_translated_into_mathtext_that_matplotlib_reads(latex, expected):
    assert translate(latex) == expected
    assert readable(f"${expected}$")


NUMBERS = [
    # (id, value, in mathtext, in plain text)
    ("whole", 2.0, "2", "2"),
    ("decimal", 0.5, "0.5", "0.5"),
    ("negative", -1.5, "-1.5", "−1.5"),
    ("negative-zero", -0.0, "0", "0"),
    ("power-of-ten", 1e-5, "10^{-5}", "1e−05"),
    ("small", 2.5e-7, r"2.5 \times 10^{-7}", "2.5e−07"),
    ("many-digits", 1 / 3, "0.333333", "0.333333"),
]


@pytest.mark.parametrize(
    "value,in_math,plain", [r[1:] for r in NUMBERS], ids=[r[0] for r in NUMBERS]
)
def test_numbers_are_brief(value, in_math, plain):
    assert number(value, True) == in_math
    assert number(value) == plain


PLOTS = [
    # (id, loss, wrt, fixed values, where, what the title says)
    ("named", r"L(w) = |w x - t|", "w", {"x": 2, "t": 1}, (),
     ["$L(w) = |{w x - t}|$", "$x = 2$", "$t = 1$"]),
    ("greek-and-subscripts", r"\max(\Delta + s_c - s, 0)", "s", {"Delta": 1, "s_c": 0.5}, (),
     [r"L(s) = \max\!\left(\Delta + s_c - s, 0\right)", r"$\Delta = 1$", "$s_c = 0.5$"]),
    ("small-value", r"|w x - t|", "w", {"x": 2, "t": 1e-5}, (), ["$t = 10^{-5}$"]),
    ("no-fixed-values", r"|w - 1| + \max(0, w)", "w", {}, (),
     [r"$L(w) = |{w - 1}| + \max\!\left(w, 0\right)$"]),
    ("where", r"J = \max(0, 1 - s + s_c)", "u", {"x": 1, "x_c": 0.5},
     ("s = u x", "s_c = u x_c"), ["$J(u) = ", "where $s = u x$", "$s_c = u x_c$", "$x_c = 0.5$"]),
    ("cases", r"\begin{cases} \frac{1}{2} w^2 & |w| \le \delta \\ \delta (|w| - \frac{1}{2}"
     r"\delta) & \text{otherwise} \end{cases}", "w", {"delta": 1}, (),
     [r"\left\{", r"\mathrm{otherwise}", r"$\delta = 1$"]),
    ("twenty-terms", TWENTY, "w", {}, (), [r"+ \cdots + \left(w - 1\right)^{2}$"]),
    ("loss-has-a-symbol-L", r"L w^2", "w", {"L": 2}, (),
     [r"$\mathcal{L}(w) = L w^{2}$", "$L = 2$"]),
]  # fmt: skip


@pytest.mark.parametrize(
    "latex,wrt,fixed,where,says", [r[1:] for r in PLOTS], ids=[r[0] for r in PLOTS]
)
def test_a_plot_is_titled_in_mathtext_with_its_fixed_values(
    latex, wrt, fixed, where, says, tmp_path
):
    picture = plot(latex, wrt, str(tmp_path / "p.png"), fixed, where=where)
    drawn(picture.path)
    math_lines(picture.title)
    for text in says:
        assert text in picture.title, picture.title
    assert widest_line(picture.title) <= SIZE[0] * DPI


def test_a_loss_mathtext_cannot_read_is_titled_in_plain_text(tmp_path):
    r"""The reader keeps \foo inside \mathrm as part of a name; mathtext knows no \foo."""
    loss = r"w_{\mathrm{\foo}}^2 + |w_{\mathrm{\foo}}|"
    picture = plot(loss, r"w_{\mathrm{\foo}}", str(tmp_path / "plain.png"))
    drawn(picture.path)
    assert "$" not in picture.title and picture.title.startswith("L(w_foo) = "), picture.title


KINKS = [
    # (id, loss, wrt, fixed values, the notes under the picture)
    ("abs-and-max", r"|w - 1| + \max(0, w)", "w", {}, [
        "at $w = 0$: one-sided derivatives −1 and 0; subgradient interval [−1, 0]; "
        "value by convention −0.5 (H(0) = 1/2)",
        "at $w = 1$: one-sided derivatives 0 and 2; subgradient interval [0, 2]; "
        "value by convention 1 (sign(0) = 0)"]),
    ("margin", r"\max(\Delta + s_c - s, 0)", "s", {"Delta": 1, "s_c": 0.5}, [
        "at $s = 1.5$: one-sided derivatives −1 and 0; subgradient interval [−1, 0]; "
        "value by convention −0.5 (H(0) = 1/2)"]),
    ("many-kinks", " + ".join(f"|x - {k}|" for k in range(5)), "x", {}, [
        "at $x = 0$: one-sided derivatives −5 and −3; subgradient interval [−5, −3]; "
        "value by convention −4 (sign(0) = 0)",
        "at $x = 1$: one-sided derivatives −3 and −1; subgradient interval [−3, −1]; "
        "value by convention −2 (sign(0) = 0)",
        "at $x = 2$: one-sided derivatives −1 and 1; subgradient interval [−1, 1]; "
        "value by convention 0 (sign(0) = 0)",
        "and 2 more kinks"]),
]  # fmt: skip


@pytest.mark.parametrize("latex,wrt,fixed,notes", [r[1:] for r in KINKS], ids=[r[0] for r in KINKS])
def test_each_kink_is_noted_under_the_picture(latex, wrt, fixed, notes, tmp_path):
    picture = plot(latex, wrt, str(tmp_path / "kinks.png"), fixed)
    assert list(picture.notes) == notes
    assert all(readable(note) for note in picture.notes)
    assert widest_line("\n".join(picture.notes)) * 9 / TITLE_SIZE <= SIZE[0] * DPI


DESCENTS = [
    # (id, loss, start, fixed values, shapes, where, learning rate, what the title says)
    ("one-variable", r"(w x - t)^2", {"w": 0}, {"x": 2, "t": 1}, None, (), 0.1,
     ["$L(w) = ", "$x = 2$", "$t = 1$", r"converged after", r"$\eta = 0.1$"]),
    ("two-variables", r"(w_1 - 1)^2 + 10 (w_2 + 0.5)^2", {"w_1": -1.5, "w_2": 1}, {}, None, (),
     0.08, ["$L(w_1, w_2) = ", r"$\eta = 0.08$"]),
    ("sum-over-data", r"\frac{1}{N}\sum_i (w^\top x_i - y_i)^2", {"w": 0},
     {"x": "1,0;0,1;1,1", "y": "1,2,3"}, None, (), 0.5,
     [r"\sum_{i=1}^{N}", r"$x \in \mathbb{R}^{3 \times 2}$", "$y = [1, 2, 3]$"]),
    ("vector", r"\|w\|^2", {"w": "1,2"}, {}, {"w": "2"}, (), 0.1,
     [r"$L(w) = \Vert w\Vert ^{2}$", "converged"]),
    ("matrices", r"\|X w - y\|_2^2", {"w": 0}, {"X": "1,0;0,1;1,1", "y": "1,2,3"},
     {"X": "n,d", "w": "d", "y": "n"}, (), 0.1,
     [r"\Vert X w - y\Vert ^{2}", r"$X \in \mathbb{R}^{3 \times 2}$"]),
    ("where", r"J = \max(0, 1 - s + s_c)", {"u": 0.1}, {"x": 1, "x_c": 0.5}, None,
     ("s = u x", "s_c = u x_c"), 0.1, ["$J(u) = ", "where $s = u x$", "$x = 1$"]),
]  # fmt: skip


@pytest.mark.parametrize(
    "latex,start,fixed,shapes,where,rate,says",
    [r[1:] for r in DESCENTS],
    ids=[r[0] for r in DESCENTS],
)
def test_a_descent_is_titled_with_its_loss_fixed_values_and_verdict(
    latex, start, fixed, shapes, where, rate, says, tmp_path
):
    run = descend(latex, start, fixed, learning_rate=rate, steps=200, shapes=shapes, where=where)
    picture = descent_picture(run, str(tmp_path / "run.png"))
    drawn(picture.path)
    math_lines(picture.title)
    for text in says:
        assert text in picture.title, picture.title
    assert widest_line(picture.title) <= SIZE[0] * DPI
    assert run.plot(str(tmp_path / "again.png")) == str(tmp_path / "again.png")
