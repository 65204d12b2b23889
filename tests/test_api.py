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
    assert [s.rule for s in d.steps] == ["power rule"]


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
