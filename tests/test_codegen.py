"""Generated NumPy modules: they compile, lint, equal the loss, and their gradients equal
central differences over arrays; kinks follow the convention; nothing overflows or warns."""

from __future__ import annotations

import py_compile
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import derive
from cli import main
from derive.api import derivation_of
from derive.arraycheck import drawn_arguments
from derive.codecheck import check_module
from derive.codegen import compile_module, module_source
from derive.model import Loss as ParsedLoss
from tests.numeric import loss_over_arrays, numpy_function
from tests.test_engine import trees
from tests.test_examples import documented_options
from tests.test_rules import CASES

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.tex"))
NAMES = r"(w x - y)^2 + \lambda w^2 + \hat{y}' \Delta_{12} + \mathit{def} \theta_1"


def module_of(expr: sympy.Expr, wrt):
    return derivation_of(ParsedLoss(str(expr), expr, {}), wrt=wrt)


def loss_matches(d, module, rng) -> None:
    """The generated loss equals the parsed expression at 1,000 random points (a loss over
    data arrays: at 20 random data sets, against SymPy's sums written out)."""
    if d.expr.has(sympy.Indexed):
        for _ in range(20):
            values = drawn_arguments(d, module, rng, None)
            expected = loss_over_arrays(d.expr, values)
            assert module.loss(**values) == pytest.approx(expected, rel=1e-9, abs=1e-12)
        return
    symbols = sorted(d.expr.free_symbols, key=lambda s: s.name)
    if d.expr.atoms(sympy.core.function.AppliedUndef):
        return  # the module takes m_x(w)'s value: compared in check_module instead
    points = {s.name: rng.uniform(-2, 2, 1000) for s in symbols}
    with np.errstate(all="ignore"):
        expected = numpy_function(d.expr, symbols)(*points.values())
        produced = module.loss(*(points.get(p, 0.0) for p in module.PARAMETERS))
    expected = np.broadcast_to(expected, np.shape(produced))
    finite = np.isfinite(expected) & np.isfinite(produced)
    np.testing.assert_allclose(produced[finite], expected[finite], rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples(path):
    """Each example's module, for the variables its comment names (all when it names none)."""
    options = documented_options(path)
    wrt = [options[k + 1] for k, option in enumerate(options) if option == "--wrt"]
    d = derive.gradient(path.read_text(), wrt=wrt or None)
    module = d.compile()
    loss_matches(d, module, np.random.default_rng(1))
    verdict = check_module(d, module, n=1000)
    assert verdict.ok, verdict.message


@pytest.mark.parametrize("rule,expr,var,ranges", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_every_rule(rule, expr, var, ranges):
    d = module_of(expr, [var.name] if expr.has(var) else None)
    module = d.compile()
    loss_matches(d, module, np.random.default_rng(2))
    verdict = check_module(d, module, n=1000, ranges=ranges)
    assert verdict.ok and verdict.points > 100, verdict.message


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(4, 4).flatmap(trees))
def test_random_trees(expr):
    x = sympy.Symbol("x", real=True)
    assume(expr.free_symbols)
    d = module_of(expr, ["x"] if expr.has(x) else None)
    source = module_source(d)
    compile(source, "<generated>", "exec")
    verdict = check_module(d, compile_module(source), n=200)
    assert verdict.ok or not verdict.decided, verdict.message


def generated_sources():
    sources = {path.stem: derive.gradient(path.read_text()).code() for path in EXAMPLES}
    sources["names"] = derive.gradient(NAMES).code()
    sources["seed-000"] = derive.gradient(r"|m_x(w) - t|", wrt="w").code()
    sources["functions"] = derive.gradient(r"f(x^2, y) + g'(x)", wrt="x").code()
    return sources


def test_modules_compile_and_lint(tmp_path):
    for name, source in generated_sources().items():
        path = tmp_path / f"{name.replace('-', '_')}.py"
        path.write_text(source, encoding="utf-8")
        py_compile.compile(str(path), doraise=True)
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    run = subprocess.run(
        [ruff, "check", "--no-cache", "--isolated", "--select", "E,F,W", str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout


def test_names_are_identifiers_and_map_back():
    module = derive.gradient(NAMES).compile()
    assert all(name.isidentifier() for name in module.PARAMETERS)
    assert module.SYMBOLS["lambda_"] == r"\lambda"
    assert module.SYMBOLS["y_hat_prime"] == r"\hat{y}'"
    assert module.SYMBOLS["Delta_12"] == r"\Delta_{12}"
    assert module.SYMBOLS["def_"] == r"\mathit{def}"
    assert set(module.WRT) == set(module.PARAMETERS)


def test_parameters_follow_wrt_then_names():
    module = derive.gradient(r"(w x - y)^2", wrt=["x", "w"]).compile()
    assert module.PARAMETERS == ("x", "w", "y") and module.WRT == ("x", "w")


def test_unknown_function_is_value_and_derivative():
    module = derive.gradient(r"|m_x(w) - t|", wrt="w").compile()
    assert module.PARAMETERS == ("t", "m_x", "dm_x_dw") and module.WRT == ("w",)
    assert module.gradient(t=1.0, m_x=3.0, dm_x_dw=2.0) == 2.0
    assert module.gradient(t=1.0, m_x=0.0, dm_x_dw=1.0) == -1.0  # seed 000's counterexample


def test_seed_001_at_the_tie_splits_the_gradient():
    module = derive.gradient(r"\max(\Delta + s_c - s, 0)", wrt=["s", "s_c"]).compile()
    ds, ds_c = module.gradient(s=2.0, s_c=1.0, Delta=1.0)
    assert (ds, ds_c) == (-0.5, 0.5)
    assert "Heaviside(0) = 1/2" in module.__doc__


@pytest.mark.parametrize(
    "latex,point,expected",
    [(r"|x|", {"x": 0.0}, 0.0), (r"\operatorname{ReLU}(x)", {"x": 0.0}, 0.0),
     (r"\max(x, y)", {"x": 1.0, "y": 1.0}, 0.5), (r"\min(x, y)", {"x": 1.0, "y": 1.0}, 0.5)],
    ids=["abs", "relu", "max", "min"],
)  # fmt: skip
def test_kinks_follow_the_convention(latex, point, expected):
    module = derive.gradient(latex, wrt="x").compile()
    assert module.gradient(**point) == expected


def test_logistic_at_the_extremes_is_finite_correct_and_quiet():
    module = derive.gradient(r"\log(1 + e^{-y(w x + b)})", wrt=["w", "b"]).compile()
    w = np.array([1000.0, -1000.0, 1.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = module.loss(w=w, b=0.0, x=1.0, y=1.0)
        dw, db = module.gradient(w=w, b=0.0, x=1.0, y=1.0)
    np.testing.assert_allclose(value, [0.0, 1000.0, np.log1p(np.exp(-1.0))])
    np.testing.assert_allclose(dw, [0.0, -1.0, -1 / (1 + np.e)])
    np.testing.assert_allclose(db, dw)


def test_cross_entropy_of_a_sigmoid_is_quiet_in_the_tails():
    d = derive.gradient(r"-y \log(\sigma(z)) - (1 - y)\log(1 - \sigma(z))", wrt="z")
    module = d.compile()
    z = np.array([-800.0, 800.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = module.loss(z=z, y=np.array([1.0, 0.0]))
        slope = module.gradient(z=z, y=np.array([1.0, 0.0]))
    np.testing.assert_allclose(value, [800.0, 800.0])
    np.testing.assert_allclose(slope, [-1.0, 1.0])


def test_everything_broadcasts():
    module = derive.gradient(r"a x + b", wrt=["a", "b"]).compile()
    da, db = module.gradient(a=np.zeros((3, 1)), b=1.0, x=np.arange(4.0))
    assert da.shape == db.shape == (3, 4)
    assert module.gradient(a=1.0, b=2.0, x=3.0) == (3.0, 1.0)


def test_cases_use_where_and_stay_quiet():
    source = derive.gradient(
        r"\begin{cases} \log x & x > 0 \\ 0 & \text{otherwise} \end{cases}"
    ).code()
    assert "np.where" in source
    module = compile_module(source)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        slope = module.gradient(x=np.array([-1.0, 0.5]))
    np.testing.assert_allclose(slope, [0.0, 2.0])


def test_readable_code():
    source = derive.gradient(r"|w x - t|", wrt="w").code()
    assert "dL_dw = x*np.sign(w*x - t)  # ∂L/∂w = x·sign(w·x − t)" in source
    assert r"\frac{\partial L}{\partial w}" in source and "sign(0) = 0" in source


def test_compile_loads_the_source():
    d = derive.gradient("x^2")
    module = d.compile()
    assert module.gradient(x=3.0) == 6.0
    assert "def gradient(x):" in d.code()


def test_hostile_text_cannot_escape_the_docstring():
    cases = (
        r"\begin{cases} x & \text{if " "" + '"""' + r"} x > 0 \\ 0 & \text{otherwise}\end{cases}"
    )
    with pytest.raises(derive.ParseError):
        derive.gradient(cases)  # words in \text are only condition words
    source = derive.gradient(r"x_{\text{a}} + y % \"\"\" import os" "\n").code()
    compile(source, "<generated>", "exec")


def test_cli_code_and_check(tmp_path):
    out = tmp_path / "seed.py"
    result = CliRunner().invoke(
        main, ["code", "|m_x(w) - t|", "--wrt", "w", "-o", str(out), "--check"]
    )
    assert result.exit_code == 0
    assert "agrees with central differences" in result.output
    assert compile_module(out.read_text()).WRT == ("w",)


def test_cli_check_fails_on_a_wrong_gradient(monkeypatch):
    import derive.codegen as codegen

    original = codegen.module_source
    monkeypatch.setattr(codegen, "module_source", lambda *a: original(*a).replace("2*x", "3*x"))
    monkeypatch.setattr(
        "derive.api.Derivation.code", lambda self, timeout=None, **_: codegen.module_source(self)
    )
    result = CliRunner().invoke(main, ["code", "x^2", "--check"])
    assert result.exit_code == 1
    assert "DISAGREES" in result.output


GOLDEN_CODE = {
    "seed_000_code": (r"|m_x(w) - t|", ["w"]),
    "seed_001_code": (r"J = \max(\Delta + s_c - s, 0)", ["s", "s_c"]),
    "logistic_code": (r"\log(1 + e^{-y(w x + b)})", ["w", "b"]),
}


@pytest.mark.parametrize("name", GOLDEN_CODE)
def test_code_matches_golden_file(name):
    import os

    latex, wrt = GOLDEN_CODE[name]
    produced = derive.gradient(latex, wrt=wrt).code()
    golden = Path(__file__).parent / "golden" / f"{name}.py.txt"
    if os.environ.get("DERIVE_UPDATE_GOLDEN"):
        golden.write_text(produced, encoding="utf-8")
    assert produced == golden.read_text(encoding="utf-8")


def test_names_that_clash_with_the_module_are_renamed():
    d = derive.gradient(r"\mathit{np} \mathit{loss} + \mathit{gradient} + \mathit{shape} + m(w) m")
    module = d.compile()
    assert {"np_", "loss_", "gradient_", "shape_", "m", "m_"} <= set(module.PARAMETERS)
    assert len(set(module.PARAMETERS)) == len(module.PARAMETERS)
    compile(d.code(), "<generated>", "exec")


def test_a_symbol_named_math_keeps_its_name_unless_the_module_imports_math():
    import derive

    assert "'math'" in derive.gradient(r"\mathit{math} x^2", wrt="x").code()
    erf = derive.gradient(r"\mathit{math} \operatorname{erf}(x)", wrt="x").code()
    assert "'math_'" in erf and "import math" in erf


def test_no_parameter_shares_a_name_with_an_output():
    import derive

    d = derive.gradient(r"\text{dL}_{dx}^2 x", wrt=["x", r"\text{dL}_{dx}"])
    module = d.compile()
    assert module.PARAMETERS == ("x", "dL_dx")
    np.testing.assert_allclose(module.gradient(3.0, 5.0), (25.0, 30.0))


def test_control_characters_in_the_input_never_reach_the_module():
    import derive

    source = "x_{a % a comment with a NUL \x00 and \x07\n} + y"
    code = derive.gradient(source, wrt="y").code()
    assert "\x00" not in code and "\x07" not in code
    compile(code, "<generated>", "exec")


def test_every_name_in_a_module_is_an_ascii_identifier():
    import derive

    module = derive.gradient(r"\hat{y} \ell + l + \lambda x + \text{value}").compile()
    assert all(name.isascii() and name.isidentifier() for name in module.PARAMETERS)
    assert len(set(module.PARAMETERS)) == len(module.PARAMETERS)


def test_a_module_takes_plain_floats_as_it_takes_arrays():
    import warnings

    import derive

    module = derive.gradient("x^2 + e^{x}", wrt="x").compile()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow to inf, as arrays do
        assert module.loss(1e200) == np.inf
        assert module.gradient(1e200) == np.inf
    assert float(module.loss(1.0)) == pytest.approx(1 + np.e)


MUTANTS = [
    r"|w x - t|",
    r"\max(\Delta + s_c - s, 0)",
    r"\log(1 + e^{-y(w x + b)})",
    r"\sin(x \cos(x^3))",
    r"\frac{(y - \mu)^2}{2 \sigma^2} + \log \sigma",
    r"-(1-p)^2 \log p",
    r"\frac{1}{(a b c d)^2}",  # even in each factor: a stencil across its pole sees a slope of 0
    r"\csc^2 x + \coth(x)^2",  # the same, with poles inside functions
]


def _without_a_term(expr: str) -> str:
    """The expression's last term dropped (a − b + c → a − b); a product loses a factor."""
    import ast

    node = ast.parse(expr, mode="eval").body
    if isinstance(node, ast.BinOp):
        return ast.unparse(node.left)
    return f"0.5*({expr})"


MUTATIONS = {
    "flip-the-sign": lambda expr: f"-({expr})",
    "off-by-a-thousandth": lambda expr: f"1.001*({expr})",
    "drop-a-term": _without_a_term,
}


@pytest.mark.parametrize("mutation", list(MUTATIONS), ids=list(MUTATIONS))
@pytest.mark.parametrize("latex", MUTANTS, ids=[f"loss-{k}" for k in range(len(MUTANTS))])
def test_the_check_passes_right_code_and_catches_a_mutant(latex, mutation):
    """No false alarm on the right module; a wrong one (a sign flipped, a scale off, a term
    missing) is caught."""
    import re

    import derive
    from derive.codecheck import check_module

    d = derive.gradient(latex)
    right = d.code()
    assert check_module(d, compile_module(right)).ok
    gradient = right[right.index("def gradient(") :]
    *_, output = re.finditer(r"^( +)(dL_d\w+) = (.+?)(  #.*)?$", gradient, re.MULTILINE)
    mutated = right.replace(output.group(0), f"{output.group(1)}{output.group(2)} = "
                            f"{MUTATIONS[mutation](output.group(3))}")  # fmt: skip
    assert not check_module(d, compile_module(mutated)).ok


# ---------------------------------------------------------------- fast NumPy (issue 13)
# The generated code computes in place and writes the switches and stable forms in NumPy's
# fast functions; these tests hold it to the same values and conventions as before.

FAST = [  # (id, LaTeX, variables, ranges of the parameters)
    ("abs", r"|w x - t|", ["w"], {}),
    ("margin", r"\max(\Delta + s_c - s, 0)", ["s", "s_c"], {}),
    ("hinge", r"\max(0, 1 - y w x)", ["w"], {}),
    ("logistic", r"\log(1 + e^{-y(w x + b)})", ["w", "b"], {}),
    ("huber", r"\begin{cases} \frac{1}{2}(y - \hat{y})^2 & |y - \hat{y}| \le \delta \\"
     r" \delta(|y - \hat{y}| - \frac{1}{2}\delta) & \text{otherwise} \end{cases}",
     [r"\hat{y}"], {"delta": (-1.0, 2.0)}),
    ("softplus", r"\log(1 + e^{w x})", ["w"], {}),
    ("focal", r"-(1 - \sigma(z))^2 \log \sigma(z)", ["z"], {"z": (-8.0, 8.0)}),
    ("bce", r"-y \log(\sigma(w x + b)) - (1 - y)\log(1 - \sigma(w x + b))", ["w", "b"], {}),
    ("relu-net", r"\frac{1}{2}(v_1 \operatorname{ReLU}(a_1 x + c_1)"
     r" + v_2 \operatorname{ReLU}(a_2 x + c_2) - y)^2", None, {}),
    ("min-max", r"\min(x, y) + \max(x y, 1)", None, {}),
    ("powers", r"\frac{(x - y)^3}{1 + x^2} + \sqrt{1 + y^2}", None, {}),
    ("nested-sigmoid", r"\sigma(\sigma(x) y) + \tanh(x y)", None, {}),
    ("all-of-huber", r"\begin{cases} \frac{1}{2}(y - \hat{y})^2 & |y - \hat{y}| \le \delta \\"
     r" \delta(|y - \hat{y}| - \frac{1}{2}\delta) & \text{otherwise} \end{cases}", None,
     {"delta": (0.5, 2.0)}),
]  # fmt: skip
FAST_IDS = [case[0] for case in FAST]


def fast_module(latex, wrt):
    d = derive.gradient(latex, wrt=wrt)
    return d, d.compile()


def sympy_gradient(d, module):
    """SymPy's own partial derivatives of the loss, lambdified: an oracle apart from derive."""
    symbols = {s.name: s for s in d.expr.free_symbols}
    by_parameter = [symbols.get(module.SYMBOLS[p], symbols.get(p)) for p in module.PARAMETERS]
    variables = [p.var for p in d.partials]
    return [numpy_function(sympy.diff(d.expr, v), by_parameter) for v in variables]


@pytest.mark.parametrize("name,latex,wrt,ranges", FAST, ids=FAST_IDS)
def test_fast_code_agrees_with_sympy_and_differences_and_leaves_its_inputs(
    name, latex, wrt, ranges
):
    d, module = fast_module(latex, wrt)
    rng = np.random.default_rng(13)
    points = {p: rng.uniform(*ranges.get(p, (-3.0, 3.0)), 300) for p in module.PARAMETERS}
    kept = {p: a.copy() for p, a in points.items()}
    produced = module.gradient(**points)
    produced = produced if isinstance(produced, tuple) else (produced,)
    for p in module.PARAMETERS:  # in place only on the function's own arrays
        assert np.array_equal(points[p], kept[p]), f"{p} was overwritten"
    with np.errstate(all="ignore"):
        expected = [f(*points.values()) for f in sympy_gradient(d, module)]
    for got, want in zip(produced, expected, strict=True):
        want = np.broadcast_to(want, got.shape)
        finite = np.isfinite(want)
        np.testing.assert_allclose(got[finite], want[finite], rtol=1e-9, atol=1e-12)
    h = 1e-6
    for name_, got in zip(module.WRT, produced, strict=True):
        up = dict(points, **{name_: points[name_] + h})
        down = dict(points, **{name_: points[name_] - h})
        slope = (module.loss(**up) - module.loss(**down)) / (2 * h)
        smooth = np.abs(slope - got) < 1e-4 * (1 + np.abs(got))
        assert smooth.mean() > 0.97, f"∂/∂{name_}: {smooth.mean():.3f} agree"  # kinks apart


@pytest.mark.parametrize("name,latex,wrt,ranges", FAST, ids=FAST_IDS)
def test_fast_code_broadcasts_and_takes_numbers(name, latex, wrt, ranges):
    """Arguments of different shapes and plain numbers: each element as computed alone."""
    d, module = fast_module(latex, wrt)
    rng = np.random.default_rng(7)
    shapes = [(3, 1), (4,), (), (3, 4)]
    points = {
        p: rng.uniform(*ranges.get(p, (-3.0, 3.0)), shapes[k % 4])
        for k, p in enumerate(module.PARAMETERS)
    }
    produced = module.gradient(**points)
    produced = produced if isinstance(produced, tuple) else (produced,)
    for i, j in [(0, 0), (2, 3), (1, 2)]:
        alone = {p: float(np.broadcast_to(a, (3, 4))[i, j]) for p, a in points.items()}
        one = module.gradient(**alone)
        one = one if isinstance(one, tuple) else (one,)
        for got, want in zip(produced, one, strict=True):
            assert np.shape(want) == ()
            got = np.broadcast_to(got, (3, 4))[i, j]
            assert got == want or np.isnan(got) and np.isnan(want)


BCE = r"-y \log(\sigma(w x + b)) - (1 - y)\log(1 - \sigma(w x + b))"


@pytest.mark.parametrize(
    "shapes",
    [
        {"w": (5,), "b": (5,), "x": (5,), "y": (5,)},
        {"w": (), "b": (), "x": (5,), "y": ()},
        {"w": (), "b": (), "x": (), "y": (5,)},
        {"w": (5,), "b": (), "x": (5,), "y": (2, 1)},
        {"w": (), "b": (), "x": (), "y": ()},
    ],
    ids=["same", "y-a-number", "y-larger", "y-broadcasts", "numbers"],
)
def test_a_step_in_place_checks_the_shapes_where_it_runs(shapes):
    """σ(wx + b) − y is written into σ's array when y's shape is () or that array's, and
    into a new array when y is larger: the same values either way."""
    source = derive.gradient(BCE, wrt=["w", "b"]).code()
    assert "if y.shape in ((), u.shape) else u - y" in source
    module = compile_module(source)
    rng = np.random.default_rng(3)
    points = {p: rng.uniform(-2, 2, shape) for p, shape in shapes.items()}
    produced = module.gradient(**points)
    full = np.broadcast_shapes(*shapes.values())
    for index in np.ndindex(full):
        alone = {p: float(np.broadcast_to(a, full)[index]) for p, a in points.items()}
        z = alone["w"] * alone["x"] + alone["b"]
        slope = 1 / (1 + np.exp(-z)) - alone["y"]
        expected = (alone["x"] * slope, slope)
        got = [np.broadcast_to(g, full)[index] for g in produced]
        assert got == pytest.approx(expected, rel=1e-12)


KINKS = [  # (LaTeX, variables, point, the partial derivatives there)
    (r"|w x - t|", ["w"], {"w": 2.0, "t": 6.0, "x": 3.0}, (0.0,)),
    (r"\max(\Delta + s_c - s, 0)", ["s", "s_c"], {"s": 1.5, "s_c": 0.5, "Delta": 1.0},
     (-0.5, 0.5)),
    (r"\max(0, 1 - y w x)", ["w"], {"w": 0.5, "x": 2.0, "y": 1.0}, (-1.0,)),
    (r"\operatorname{ReLU}(w x)", ["w"], {"w": 0.0, "x": 3.0}, (0.0,)),
    (r"\operatorname{ReLU}(w x)", ["w"], {"w": 1.0, "x": 3.0}, (3.0,)),
    (r"\max(x, y)", ["x", "y"], {"x": 1.0, "y": 1.0}, (0.5, 0.5)),
    (r"\min(x, y)", ["x", "y"], {"x": -2.0, "y": -2.0}, (0.5, 0.5)),
    (r"\max(x, 0)", ["x"], {"x": 0.0}, (0.5,)),
    (r"|x|", ["x"], {"x": -0.0}, (0.0,)),
    (r"\frac{1}{2}(v \operatorname{ReLU}(a x + c) - y)^2", ["a", "c"],
     {"v": 2.0, "a": 1.0, "c": -1.0, "x": 1.0, "y": 0.5}, (0.0, 0.0)),
    (FAST[4][1], [r"\hat{y}"], {"delta": 1.0, "y": 1.0, "y_hat": 0.0}, (-1.0,)),
    (FAST[4][1], [r"\hat{y}"], {"delta": 1.0, "y": 0.0, "y_hat": 0.0}, (0.0,)),
    (FAST[4][1], [r"\hat{y}"], {"delta": -1.0, "y": 0.0, "y_hat": 0.0}, (0.0,)),
    (FAST[4][1], [r"\hat{y}"], {"delta": -1.0, "y": 2.0, "y_hat": 0.0}, (1.0,)),
]  # fmt: skip


@pytest.mark.parametrize(
    "latex,wrt,point,expected", KINKS,
    ids=["abs-0", "margin-tie", "hinge-1", "relu-0", "relu-1", "max-tie", "min-tie",
         "max-0", "abs-minus-0", "relu-unit-0", "huber-edge", "huber-0",
         "huber-negative-delta-0", "huber-negative-delta"],
)  # fmt: skip
def test_fast_code_keeps_the_conventions_at_kinks(latex, wrt, point, expected):
    """sign(0) = 0, H(0) = 1/2 (a tie splits equally), ReLU'(0) = 0: exactly, as arrays and
    as numbers; Huber's slope as its cases say, a negative δ too."""
    module = derive.gradient(latex, wrt=wrt).compile()
    for scale in (None, 3):
        point_ = point if scale is None else {k: np.full(scale, v) for k, v in point.items()}
        got = module.gradient(**point_)
        got = got if isinstance(got, tuple) else (got,)
        for g, e in zip(got, expected, strict=True):
            assert np.all(np.asarray(g) == e), (latex, point_, g, e)


SPECIAL = np.array(
    [0.0, -0.0, 1e-300, -1e-300, 0.5, -0.5, 30.0, -30.0, 40.0, -40.0, 700.0, -700.0,
     710.0, -710.0, 800.0, -800.0, np.inf, -np.inf, np.nan]
)  # fmt: skip


def old_sigmoid(u):
    e = np.exp(-np.abs(u))
    return np.where(u >= 0, 1, e) / (1 + e)


OLD_FORMS = [  # (LaTeX, variable, the loss and the derivative as the old code wrote them)
    (r"\log(1 + e^{x})", "x", lambda x: np.logaddexp(0, x), old_sigmoid),
    (r"\max(x, 0)", "x", lambda x: np.maximum(x, 0), lambda x: np.heaviside(x, 0.5)),
    (r"\operatorname{ReLU}(x)", "x", lambda x: np.maximum(x, 0), lambda x: np.heaviside(x, 0.0)),
    (r"|x|", "x", np.abs, np.sign),
    (r"\sigma(x)", "x", old_sigmoid, lambda x: old_sigmoid(x) * old_sigmoid(-x)),
    (r"\log(\sigma(x))", "x", lambda x: -np.logaddexp(0, -x), lambda x: old_sigmoid(-x)),
]  # fmt: skip


@pytest.mark.parametrize(
    "latex,var,loss,slope", OLD_FORMS,
    ids=["softplus", "max0", "relu", "abs", "sigmoid", "log-sigmoid"],
)  # fmt: skip
def test_fast_forms_equal_the_old_ones_at_zero_infinities_and_nan(latex, var, loss, slope):
    """The same values as np.logaddexp, np.heaviside and the old σ: identical at 0, ±inf and
    NaN and in the conventions, within 4 units in the last place elsewhere (a different order
    of the same operations); where the old σ gave a subnormal number (below 2.2e-308) the new
    one may give 0. Quiet: no warning."""
    module = derive.gradient(latex, wrt=var).compile()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        new = (module.loss(SPECIAL), module.gradient(SPECIAL))
    with np.errstate(all="ignore"):
        old = (loss(SPECIAL), slope(SPECIAL))
    for got, want in zip(new, old, strict=True):
        got, want = np.broadcast_to(got, SPECIAL.shape), np.broadcast_to(want, SPECIAL.shape)
        assert np.array_equal(np.isnan(got), np.isnan(want))
        exact = ~np.isfinite(SPECIAL) | (SPECIAL == 0) | ~np.isfinite(want)
        assert np.array_equal(got[exact], want[exact], equal_nan=True)
        normal = np.isfinite(want) & (np.abs(want) >= np.finfo(float).tiny)
        np.testing.assert_array_max_ulp(got[normal], want[normal], maxulp=4)
        subnormal = np.isfinite(want) & ~normal
        assert np.all(np.abs(got[subnormal] - want[subnormal]) < 3e-308)


HUBER_BOUNDS = [
    1.0,
    0.0,
    -1.0,
    np.inf,
    -np.inf,
    np.nan,
    np.resize([2.0, -1.0, 0.0, np.nan], (19, 1)),
]


@pytest.mark.parametrize(
    "delta", HUBER_BOUNDS, ids=["one", "zero", "negative", "inf", "minus-inf", "nan", "array"]
)
def test_huber_slope_clipped_in_place_has_the_values_of_its_cases(delta):
    """Huber's slope is ŷ − y clipped to [−δ, δ] where δ is a number ≥ 0 (``_clipped``, two
    passes): exactly −sign(y − ŷ)·min(|y − ŷ|, δ), what its cases say, at 0, ±inf and NaN,
    and for a negative δ, NaN or an array of δ, which take the general path."""
    assert FAST[4][0] == "huber"
    module = derive.gradient(FAST[4][1], wrt=[r"\hat{y}"]).compile()
    assert "_clipped(" in derive.gradient(FAST[4][1], wrt=[r"\hat{y}"]).code()
    y, y_hat = np.meshgrid(SPECIAL, SPECIAL)
    with np.errstate(all="ignore"):
        got = module.gradient(y_hat=y_hat, delta=delta, y=y)
        r = y - y_hat
        want = -np.sign(r) * np.minimum(np.abs(r), delta)
    assert np.array_equal(np.broadcast_to(got, want.shape), want, equal_nan=True)


NO_SLOW_CALLS = [case for case in FAST if case[0] not in ("all-of-huber",)]


@pytest.mark.parametrize("name,latex,wrt,ranges", NO_SLOW_CALLS, ids=[c[0] for c in NO_SLOW_CALLS])
def test_no_slow_calls_where_a_fast_exact_form_exists(name, latex, wrt, ranges):
    """A regression guard on the source: np.heaviside, np.logaddexp and np.where on a mask
    are slow loops, and each of these gradients has an exact fast form (Huber's loss itself,
    cases of a square and a line, keeps its np.where)."""
    source = derive.gradient(latex, wrt=wrt).code()
    source = source[source.index("def gradient(") :] if name == "huber" else source
    for slow in ("np.heaviside", "np.logaddexp", "np.where"):
        assert slow not in source, f"{slow} in the code of {name}"


def test_steps_in_place_read_one_a_line_and_name_each_result():
    """The logistic gradient: one operation a line, in one array, each partial named once
    with its formula beside it; the arguments are never written into."""
    source = derive.gradient(r"\log(1 + e^{-y(w x + b)})", wrt=["w", "b"]).code()
    body = source[source.index("def gradient(") :]
    assert "u = np.exp(u, out=u)" in body
    assert "out=w" not in body and "out=x" not in body and "out=y" not in body
    assert "dL_db = np.negative(u, out=u)  # ∂L/∂b = −y/(exp(y·(b + w·x)) + 1)" in body


@pytest.mark.parametrize(
    "latex,said", [(r"\max(x, y, z)", True), (r"\min(x, y, 1, z)", True), (r"\max(x, y)", False)]
)
def test_the_docstring_says_how_a_tie_of_more_than_two_shares(latex, said):
    source = derive.gradient(latex).code()
    assert ("k tied arguments get 1/k of the gradient each" in source) is said
