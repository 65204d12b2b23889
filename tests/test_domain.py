"""Where a loss is real: the derivation says so, and its steps are compared only there."""

import json

import pytest

from derive import gradient

DOMAINS = [
    ("root", r"\left|\sqrt{x}\right|", ["x >= 0"]),
    ("negative-power", r"x^{-1/3}", ["x > 0"]),
    ("log-of-log", r"\sqrt{\log x}", ["log(x) >= 0", "x > 0"]),
    ("arcsin", r"\arcsin y", ["Abs(y) <= 1"]),
    ("symbolic-exponent", r"x^y", ["x > 0"]),
    ("root-of-a-shifted-square", r"\sqrt{x^2 + \epsilon}", ["epsilon + x**2 >= 0"]),
    ("polynomial", r"x^2 + 3x", []),
    ("root-of-a-positive", r"\sqrt{x^2 + 1}", []),
    ("logistic", r"\log(1 + e^{-y x})", []),
    ("cross-entropy", r"-y\log(\sigma(z)) - (1-y)\log(1-\sigma(z))", []),
    ("root-inside-a-branch", r"\begin{cases} \sqrt{x} & x > 0 \\ 0 & x \le 0 \end{cases}", []),
]


@pytest.mark.parametrize("latex,expected", [c[1:] for c in DOMAINS], ids=[c[0] for c in DOMAINS])
def test_where_the_loss_is_real(latex, expected):
    d = gradient(latex)
    assert json.loads(d.to_json())["real_where"] == expected
    assert ("the loss is real only where" in d.text()) == bool(expected)


@pytest.mark.parametrize(
    "latex", [r"\left|\sqrt{x}\right|", r"\left|\log x\right|", r"\max(\sqrt{x}, 1)"]
)
def test_steps_through_parts_that_are_not_real_everywhere_verify(latex):
    """Compared where x < 0, sign(√x) is a complex number and SymPy's derivative another:
    the steps must be compared only where the loss is real."""
    d = gradient(latex)
    assert all(s.verified in ("proved", "checked") for p in d.partials for s in p.steps)
    assert "FAILED" not in d.text()


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "latex"])
def test_every_format_says_where_the_loss_is_real(fmt):
    d = gradient(r"\sqrt{x}")
    shown = {"text": d.text, "markdown": d.markdown, "html": d.html, "latex": d.latex}[fmt]()
    assert "real only where" in shown
