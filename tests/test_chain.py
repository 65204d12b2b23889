"""Chains of definitions (``--where``, aligned lines, one definition per line): read as the
author meant, derived through the chain as backpropagation does (upstream × local, summed
over paths), every step proved, the result right in the inputs and in the intermediates."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy
from click.testing import CliRunner

import derive
from cli import main
from derive.model import FAILED
from rules.registry import elementary_form
from tests.numeric import central_difference, numpy_function

LOGISTIC = r"-y \log s - (1 - y) \log(1 - s)"
NETWORK = r"\begin{aligned} z &= w x + b \\ a &= \tanh(z) \\ L &= (a - y)^2 \end{aligned}"
TWO_UNITS = [  # seed 001's margin loss, with s and s_c from a scalar network of two ReLU units
    r"s = u_1 h_1 + u_2 h_2",
    r"s_c = u_1 c_1 + u_2 c_2",
    r"h_1 = \operatorname{ReLU}(w_1 x)",
    r"h_2 = \operatorname{ReLU}(w_2 x)",
    r"c_1 = \operatorname{ReLU}(w_1 x_c)",
    r"c_2 = \operatorname{ReLU}(w_2 x_c)",
]

# (id, loss, where, the loss in the inputs, the names defined in order)
READINGS = [
    ("function", r"|m_x(w) - t|", ["m_x(w) = w x"], "Abs(t - w*x)", ["m_x_of_w"]),
    ("intermediate", LOGISTIC, [r"s = \sigma(w x + b)"],
     "-y*log(sigmoid(b + w*x)) - (1 - y)*log(1 - sigmoid(b + w*x))", ["s"]),
    ("aligned", NETWORK, [], "(-y + tanh(b + w*x))**2", ["z", "a"]),
    ("lines", "z = w x + b\na = \\sigma(z)\nL = (a - y)^2", [],
     "(-y + sigmoid(b + w*x))**2", ["z", "a"]),
    ("lines-any-order", "a = \\sigma(z)\nz = w x + b\nL = (a - y)^2", [],
     "(-y + sigmoid(b + w*x))**2", ["z", "a"]),
    ("loss-named-first", "J = (a - y)^2\na = w x", [], "(w*x - y)**2", ["a"]),
    ("loss-with-arguments", "L(w) = (a - y)^2\na = w x", [], "(w*x - y)**2", ["a"]),
    ("continued-line", "z = w x\n  + b\nL = z^2", [], "(b + w*x)**2", ["z"]),
    ("function-twice", r"f(x_1) + f(x_2)", ["f(x) = w x^2"], "w*x_1**2 + w*x_2**2",
     ["f_of_x_1", "f_of_x_2"]),
    ("where-uses-where", r"(a - y)^2", [r"a = \sigma(z)", "z = w x + b"],
     "(-y + sigmoid(b + w*x))**2", ["z", "a"]),
    ("colon-equals", "z := w x\nL = z^2", [], "w**2*x**2", ["z"]),
]  # fmt: skip


@pytest.mark.parametrize(
    "loss, where, expr, names", [r[1:] for r in READINGS], ids=[r[0] for r in READINGS]
)
def test_definitions_are_read_into_one_loss(loss, where, expr, names):
    read = derive.parse_loss(loss, where=where)
    namespace = {s.name: s for s in read.expr.free_symbols}
    namespace["sigmoid"] = lambda u: 1 / (1 + sympy.exp(-u))
    expected = sympy.sympify(expr, locals=namespace)
    assert sympy.simplify(elementary_form(read.expr) - expected) == 0
    assert [d.name.name for d in read.definitions] == names


REFUSED = [
    ("cycle", "a + x", ["a = b + 1", "b = a^2"], "circular: a → b → a"),
    ("self-reference", "a", ["a = a + 1"], "circular: a → a"),
    ("unused", "w^2", ["s = w x"], "s = w x is not used by the loss"),
    ("defined-twice", "s", ["s = w", "s = x"], "s is defined twice"),
    ("wrong-arity", "f(x, y)", ["f(u) = u^2"], "takes 1 argument(s), given 2"),
    ("not-a-name", "s", ["s + 1 = w"], "the left side of a definition is a name"),
    ("no-equals", "s", ["s w"], "a definition needs '='"),
    ("two-equals", "s", ["s = w = x"], "a definition has one '='"),
    ("two-losses", "L = a\nJ = a\na = w", [], "two lines define the loss"),
]


@pytest.mark.parametrize(
    "loss, where, message", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_bad_definitions_are_refused_with_a_message(loss, where, message):
    with pytest.raises(derive.DeriveError, match=message.replace("(", r"\(").replace(")", r"\)")):
        derive.gradient(loss, where=where)


def test_a_defined_name_is_not_a_variable_to_differentiate_by():
    with pytest.raises(derive.DeriveError, match=r"--wrt s: s is defined \(s = "):
        derive.gradient(LOGISTIC, where=[r"s = \sigma(w x + b)"], wrt="s")


def test_an_error_in_a_line_points_at_its_column_in_the_input():
    source = "z = w x +\nL = (z - y)^2 )"
    with pytest.raises(derive.ParseError) as error:
        derive.gradient(source)
    assert error.value.source == source
    assert source[error.value.column] in "+)"


# (id, loss, where, wrt, the result in the intermediates' names)
CHAINS = [
    ("logistic-w", LOGISTIC, [r"s = \sigma(w x + b)"], "w", "x*(s - y)"),
    ("logistic-b", LOGISTIC, [r"s = \sigma(w x + b)"], "b", "s - y"),
    ("tanh-network", NETWORK, [], "w", "2*x*(1 - a**2)*(a - y)"),
    ("seed-000", r"|m_x(w) - t|", ["m_x(w) = w x"], "w", "x*sign(m_x_of_w - t)"),
    ("two-paths", "a + b", ["a = w x", "b = w^2"], "w", "2*w + x"),
    ("diamond", "(a b)", ["a = z^2", "b = 3 z", "z = w + 1"], "w", "3*a + 2*b*z"),
    ("hidden-relu", "(u h - y)^2", [r"h = \operatorname{ReLU}(w x)"], "w", None),
    ("seed-001-network-w1", r"\max(\Delta + s_c - s, 0)", TWO_UNITS, "w_1", None),
]


def _loss_function(derivation):
    symbols = sorted(derivation.expr.free_symbols, key=lambda s: s.name)
    return symbols, numpy_function(derivation.expr, symbols)


@pytest.mark.parametrize(
    "loss, where, wrt, named", [c[1:] for c in CHAINS], ids=[c[0] for c in CHAINS]
)
def test_the_chain_gives_sympys_derivative_and_central_differences(loss, where, wrt, named):
    d = derive.gradient(loss, where=where, wrt=wrt)
    partial = d.partials[0]
    assert partial.verified != FAILED
    assert all(step.verified != FAILED for step in partial.steps)
    truth = sympy.diff(d.expr.rewrite(sympy.exp), partial.var)
    symbols, loss_at = _loss_function(d)
    derivative_at = d.compile().gradient  # the generated module, as users get it
    rng = np.random.default_rng(7)
    point = {s.name: np.array([rng.uniform(0.3, 2.0)]) for s in symbols}
    numeric = central_difference(lambda **p: loss_at(**p), point, partial.var.name)
    value = float(np.broadcast_to(derivative_at(**point), (1,))[0])
    assert value == pytest.approx(float(numeric[0]), rel=1e-5, abs=1e-8)
    exact = float(truth.subs({s: float(point[s.name][0]) for s in symbols}).evalf())
    assert value == pytest.approx(exact, rel=1e-9, abs=1e-12)
    if named is not None:
        names = {s.name: s for s in partial.in_intermediates.free_symbols}
        expected = sympy.sympify(named, locals=names)
        assert sympy.simplify(partial.in_intermediates - expected) == 0


def test_the_chain_names_the_upstream_and_local_factors():
    d = derive.gradient(LOGISTIC, where=[r"s = \sigma(w x + b)"], wrt="w")
    text = d.text()
    assert "∂L/∂w\n  = ∂L/∂s·∂s/∂w" in text
    assert "chain rule (upstream times local)" in text
    assert "definition of s" in text and "definition of L" in text
    assert "= x·(s − y)" in text and "Result: ∂L/∂w = x·(σ(b + w·x) − y)" in text


def test_the_upstream_gradient_is_derived_once_for_every_input():
    d = derive.gradient(NETWORK, wrt=["w", "b"])
    upstream = [{id(s) for s in p.steps if s.rule.name == "definition of a"} for p in d.partials]
    assert upstream[0] and upstream[0] == upstream[1]


def test_a_kink_of_a_hidden_unit_is_said_in_the_inputs():
    d = derive.gradient("(u h - y)^2", where=[r"h = \operatorname{ReLU}(w x)"], wrt="w")
    (kink,) = d.partials[0].kinks
    assert kink.condition.free_symbols == {
        sympy.Symbol("w", real=True),
        sympy.Symbol("x", real=True),
    }


def test_seed_001_in_its_network_shows_the_upstream_gradient_minus_one():
    d = derive.gradient(r"\max(\Delta + s_c - s, 0)", where=TWO_UNITS, wrt="u_1")
    text = d.text()
    assert "∂L/∂s" in text and "∂s/∂u_1" in text
    assert any("Δ" in str(k.condition) or "Delta" in str(k.condition) for k in d.partials[0].kinks)


def test_json_has_the_definitions_and_the_result_in_their_names():
    d = derive.gradient(LOGISTIC, where=[r"s = \sigma(w x + b)"], wrt="w")
    data = json.loads(d.to_json())
    assert [row["name"] for row in data["definitions"]] == ["s", "L"]
    assert data["definitions"][0]["source"] == r"s = \sigma(w x + b)"
    assert data["gradient"]["w"]["intermediates"]["sympy"] == "x*(s - y)"
    names = {n: sympy.Symbol(n, real=True) for n in ("b", "w", "x", "y")}
    assert (
        sympy.simplify(
            sympy.sympify(data["gradient"]["w"]["sympy"], locals=names)
            - names["x"] * (1 / (1 + sympy.exp(-names["b"] - names["w"] * names["x"])) - names["y"])
        )
        == 0
    )


@pytest.mark.parametrize("format_", ["latex", "markdown", "html"])
def test_every_format_shows_the_definitions(format_):
    d = derive.gradient(NETWORK, wrt="w")
    shown = {"latex": d.latex, "markdown": d.markdown, "html": d.html}[format_]()
    assert r"\tanh" in shown and "where" in shown and r"\frac{\partial L}{\partial z}" in shown


COMMANDS = [
    ("grad", ["grad", LOGISTIC, "--where", r"s = \sigma(w x + b)", "--wrt", "w"], 0, "x·(s − y)"),
    ("code-check", ["code", LOGISTIC, "--where", r"s = \sigma(w x + b)", "--wrt", "w", "--wrt",
                    "b", "--check"], 0, "agrees with central differences at 1000 points"),
    ("check-in-names", ["check", LOGISTIC, "--where", r"s = \sigma(w x + b)", "--wrt", "w",
                        "--claim", "(s - y) x"], 0, "Proved"),
    ("check-refuted", ["check", r"|m_x(w) - t|", "--where", "m_x(w) = w x", "--wrt", "w",
                       "--claim", "x"], 1, "Counterexample"),
    ("descend", ["descend", "(a - y)^2", "--where", r"a = \tanh(w x)", "--start", "w=0.1",
                 "--set", "x=1", "--set", "y=0.5", "--steps", "300"], 0, "Converged"),
    ("cycle", ["grad", "a", "--where", "a = b", "--where", "b = a"], 2, "circular"),
]  # fmt: skip


@pytest.mark.parametrize(
    "args, status, shown", [c[1:] for c in COMMANDS], ids=[c[0] for c in COMMANDS]
)
def test_commands_take_definitions(args, status, shown):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == status, result.output
    assert shown in result.output


def test_a_step_shared_by_several_paths_is_listed_once():
    where = [f"a_{{{i}}} = a_{{{i + 1}}} + x" for i in range(1, 30)] + ["a_{30} = x"]
    d = derive.gradient("a_{1}", wrt="x", where=where)
    steps = d.partials[0].steps
    assert len({id(s) for s in steps}) == len(steps)
    assert d.partials[0].formula == 30


def test_a_long_chain_is_answered_or_refused_within_its_time():
    """300 definitions: the derivation is quick, but written out it has hundreds of lines
    of hundreds of terms; the deadline holds for the writing too."""
    import time

    where = [f"a_{{{i}}} = a_{{{i + 1}}} + x" for i in range(1, 301)] + ["a_{301} = x"]
    args = ["grad", "a_{1}", "--wrt", "x", "--timeout", "2"]
    for definition in where:
        args += ["--where", definition]
    started = time.monotonic()
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 2), result.output
    assert time.monotonic() - started < 8  # 2 s, and the slack of a loaded machine


def test_an_unknown_function_in_a_definition_keeps_its_derivative():
    """z = f(x): ∂z/∂x = f'(x), not d z/dx of a plain symbol z (found by fuzzing chains)."""
    d = derive.gradient(r"z_{0} + \sigma", where=["z_{0} = z_{1}", "z_{1} = f(x)"], wrt="x")
    x = sympy.Symbol("x", real=True)
    f = sympy.Function("f", real=True)
    assert d.partials[0].formula == sympy.Derivative(f(x), x)
    assert d.partials[0].compared == "proved"


def test_the_generated_module_says_its_definitions():
    d = derive.gradient(LOGISTIC, where=[r"s = \sigma(w x + b)"], wrt="w")
    source = d.code()
    assert "where\n\n    s = \\sigma(w x + b)" in source
    module = d.compile()
    assert module.gradient(w=1.0, b=0.0, x=2.0, y=1.0) == pytest.approx(
        2 * (1 / (1 + np.exp(-2)) - 1)
    )


def test_the_module_computes_each_intermediate_once_and_backpropagates():
    """s = σ(w x + b) once, then x·(s − y): as backpropagation computes it, and finite where
    σ saturates (the upstream ∂L/∂s = −y/s + … alone would be 0/0 there)."""
    d = derive.gradient(LOGISTIC, where=[r"s = \sigma(w x + b)"], wrt=["w", "b"])
    source = d.code()
    assert "    s = _sigmoid(w*x + b)  # s = σ(b + w·x)" in source
    assert source.count("_sigmoid(") == 2  # the helper's definition, and one call
    module = d.compile()
    w = np.array([100.0, -100.0, 0.5])
    dw, db = module.gradient(w=w, b=0.0, x=np.array([50.0, 50.0, 1.0]), y=1.0)
    assert np.all(np.isfinite(dw)) and np.all(np.isfinite(db))
    s = 1 / (1 + np.exp(-0.5))
    assert dw[2] == pytest.approx(s - 1) and db[2] == pytest.approx(s - 1)


def test_the_backward_pass_has_an_adjoint_per_intermediate_in_reverse_order():
    """The aligned three-line network: dL_da, then dL_dz = dL_da·(1 − a²), then the inputs'."""
    d = derive.gradient(
        r"\begin{aligned} z &= w x + b \\ a &= \tanh(z) \\ L &= (a - y)^2 \end{aligned}",
        wrt=["w", "b"],
    )
    lines = [line.strip() for line in d.code().split("def gradient")[1].splitlines()]
    order = [
        next(k for k, line in enumerate(lines) if line.startswith(start))
        for start in ("z = ", "a = ", "dL_da = ", "dL_dz = dL_da*", "dL_dw = dL_dz*")
    ]
    assert order == sorted(order), lines
    dw, db = d.compile().gradient(w=0.5, b=0.1, x=2.0, y=0.3)
    a = np.tanh(0.5 * 2.0 + 0.1)
    assert (dw, db) == pytest.approx((2 * (a - 0.3) * (1 - a**2) * 2.0, 2 * (a - 0.3) * (1 - a**2)))


@pytest.mark.parametrize(
    "latex,where,point,expected",
    [("a", ["a = 1/z", "z = w"], {"w": 2.0}, -0.25),
     (LOGISTIC, [r"s = \sigma(w x)"], {"w": 40.0, "x": 50.0, "y": 0.0}, 50.0)],
    ids=["the-loss-divides-by-it", "saturating"],
)  # fmt: skip
def test_an_adjoint_divides_by_an_intermediate_only_where_the_loss_does(
    latex, where, point, expected
):
    """1/z² may divide by z, as the loss 1/z does; ∂L/∂s = −y/s + (1 − y)/(1 − s) may not be
    computed on its own: s = σ(2000) rounds to 1, where the gradient x·(s − y) is finite."""
    d = derive.gradient(latex, where=where, wrt="w")
    with np.errstate(divide="raise", invalid="raise"):
        assert d.compile().gradient(**point) == pytest.approx(expected)
