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
        "derive.api.Derivation.code", lambda self, timeout=None: codegen.module_source(self)
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
    output = re.search(r"^    (dL_d\w+) = (.+?)(  #.*)?$", gradient, re.MULTILINE)
    mutated = right.replace(output.group(0), f"    {output.group(1)} = "
                            f"{MUTATIONS[mutation](output.group(2))}")  # fmt: skip
    assert not check_module(d, compile_module(mutated)).ok
