"""The Python API: derive.gradient and the Derivation it returns."""

from __future__ import annotations

import pytest
import sympy

import derive
from derive.errors import DeriveError, ParseError

x, t = sympy.symbols("x t", real=True)


def test_result_and_steps_of_one_variable():
    d = derive.gradient("x^2")
    assert d.result == 2 * x
    assert [s.rule.name for s in d.steps] == ["power rule"]


def test_several_variables():
    d = derive.gradient(r"|m_x(w) - t|")
    assert set(d.results) == {"t", "w"}
    assert d["t"].result == -sympy.sign(
        sympy.Function("m_x", real=True)(sympy.Symbol("w", real=True)) - t
    )
    with pytest.raises(AttributeError, match="several variables"):
        _ = d.result


def test_wrt_in_order_and_by_spelling():
    d = derive.gradient(r"\max(\Delta + s_c - s, 0)", wrt=["s_c", r"\Delta"])
    assert [p.var.name for p in d.partials] == ["s_c", "Delta"]
    assert d[r"\Delta"].var.name == "Delta"


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"latex": "x^2", "wrt": "z"}, DeriveError, "not a symbol of the loss"),
        ({"latex": "x^2", "form": "pretty"}, DeriveError, "form must be one of"),
        ({"latex": r"\max(x"}, ParseError, "never closed"),
        ({"latex": "3 + 4"}, DeriveError, "no variables"),
        ({"latex": " + ".join(f"x_{{{i}}}" for i in range(20))}, DeriveError, "name the ones"),
        ({"latex": "x", "log_base": "2"}, ParseError, "log_base"),
    ],
    ids=["wrt", "form", "parse", "constant", "too-many-variables", "log-base"],
)
def test_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        derive.gradient(**kwargs)


def test_every_print_method():
    d = derive.gradient(r"\operatorname{ReLU}(w x)", wrt="w")
    for method in (d.text, d.latex, d.markdown, d.html, d.to_json):
        assert method()
    assert d.to_dict()["gradient"]["w"]["nondifferentiable"] == ["Eq(w*x, 0)"]
    assert str(d) == d.text()


def test_symbol_names_that_shadow_derive_internals():
    """t, u, v, z are the names derive itself likes to use; a loss may use them too."""
    d = derive.gradient(r"|u - t| + \max(v, z) + \sin(u v)", wrt=["u", "v"])
    assert all(s.verified == "proved" for p in d.partials for s in p.steps)
    assert all(p.kinks for p in d.partials)


@pytest.mark.parametrize(
    "latex,first_rule",
    [
        (r"\frac{1}{1 + e^{-z}}", "quotient rule"),
        (r"(1 + e^{-z})^{-1}", "chain rule"),
        (r"\frac{\sin z}{z}", "quotient rule"),
        (r"\frac{z}{2}", "constant multiple"),
    ],
    ids=["reciprocal-fraction", "reciprocal-power", "fraction", "constant-denominator"],
)
def test_fractions_as_written_use_the_quotient_rule(latex, first_rule):
    assert derive.gradient(latex).steps[0].rule.name == first_rule


def test_no_user_text_reaches_an_evaluator(monkeypatch):
    """The whole pipeline (parse, derive, prove, print) never evaluates text the user typed."""
    import builtins
    import sys

    import sympy.parsing.sympy_parser as sympy_parser

    core_sympify = sys.modules["sympy.core.sympify"]  # the module, shadowed by its function
    source = r"\mathit{exec}\,|m_x(w) - t| + \max(\Delta + s_c - s, 0) + \frac{\log_2 x}{\sigma(x)}"
    _every_output(derive.gradient(source, form="cases"))  # import every module first

    original = core_sympify.sympify

    def strict_sympify(a, *args, **kwargs):
        if isinstance(a, str):
            raise AssertionError(f"sympify was given text: {a!r}")
        return original(a, *args, **kwargs)

    def refuse(*args, **kwargs):
        raise AssertionError("user text reached an evaluator")

    monkeypatch.setattr(core_sympify, "sympify", strict_sympify)
    monkeypatch.setattr(sympy, "sympify", strict_sympify)
    monkeypatch.setattr(sympy_parser, "parse_expr", refuse)
    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    fresh = r"\mathit{eval}\,|f(v) - u| + \min(a, b^2) + \frac{\ln z}{\operatorname{ReLU}(z)}"
    _every_output(derive.gradient(fresh, form="cases"))


def _every_output(d):
    for output in (d.text(), d.latex(standalone=True), d.markdown(), d.html(), d.to_json()):
        assert output


def test_check_descend_and_plot_from_the_package(tmp_path):
    import derive.claims  # the module does not shadow the function  # noqa: F401

    assert derive.check(r"|m_x(w) - t|", "w", "m_x'(w)").verdict == "holds in part"
    assert derive.descend("x^2", {"x": 1.5}).verdict == "converged"
    picture = derive.plot(r"|x|", "x", str(tmp_path / "abs.png"))
    assert [k.x for k in picture.kinks] == [0.0]


EQUALS_CHAINS = [
    # (input, the loss read, a phrase of the note)
    ("restated", r"L = \frac{1}{2}(y - p)^2 = \frac{(p - y)^2}{2}", "proved equal"),
    ("relu-restated", r"J = \max(0, z) = \operatorname{ReLU}(z)", "proved equal"),
    ("no-name", r"(x + 1)^2 = x^2 + 2x + 1", "proved equal"),
]


@pytest.mark.parametrize(
    "latex,phrase", [c[1:] for c in EQUALS_CHAINS], ids=[c[0] for c in EQUALS_CHAINS]
)
def test_an_equals_chain_is_read_as_its_first_side_and_the_others_proved_equal(latex, phrase):
    loss = derive.parse_loss(latex)
    assert loss.restated
    assert any("'=' chain" in str(r) and phrase in str(r) for r in loss.readings)
    assert "'=' chain" in derive.gradient(latex).text()


def test_an_equals_chain_whose_sides_differ_is_refused():
    with pytest.raises(derive.DeriveError, match="the sides of the '=' chain differ: x\\^2 and 2x"):
        derive.gradient("L = x^2 = 2x")
