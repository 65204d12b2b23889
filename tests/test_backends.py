"""``derive code --backend numba|array-api``: the same values and conventions as the NumPy
module, on random arrays (broadcast against a number) and exactly at the kinks; the array API
module on NumPy, ``array_api_strict`` and chunked, lazy Dask arrays; the CLI writing and
checking each backend's module, and refusing a sum over data for numba."""

from __future__ import annotations

import importlib
import importlib.util
import os

import numpy as np
import pytest
from click.testing import CliRunner

import derive
from cli import main
from derive.errors import DeriveError


def _need(name: str):
    """The module; on CI (the test extra installs it) its absence fails, elsewhere skips."""
    if os.environ.get("CI"):
        return importlib.import_module(name)
    return pytest.importorskip(name)


# id -> (LaTeX, --wrt, --where, non-smooth: equal to NumPy's to the last bit on a grid of
# small integers, where the kinks are hit exactly)
LOSSES = {
    "abs": (r"|w x - t|", ["w"], (), True),
    "margin": (r"\max(\Delta + s_c - s, 0)", ["s", "s_c"], (), True),
    "logistic": (r"\log(1 + e^{-y(w x + b)})", ["w", "b"], (), False),
    "huber": (
        r"\begin{cases} \frac{(y - w x)^2}{2} & |y - w x| \le \delta \\"
        r" \delta (|y - w x| - \frac{\delta}{2}) & \text{otherwise} \end{cases}",
        ["w"], (), True,
    ),
    "softplus": (r"\log(1 + e^{w x - t})", ["w"], (), False),
    "focal": (r"-(1 - \sigma(w x))^2 \log \sigma(w x)", ["w"], (), False),
    "bce": (
        r"-y \log \sigma(w x + b) - (1 - y) \log(1 - \sigma(w x + b))", ["w", "b"], (), False,
    ),
    "relu_net": (
        r"(v_1 h_1 + v_2 h_2 - y)^2",
        ["w_1", "b_1", "v_1", "w_2"],
        (r"h_1 = \operatorname{ReLU}(w_1 x + b_1)", r"h_2 = \operatorname{ReLU}(w_2 x + b_2)"),
        True,
    ),
    "square": (r"x^2", ["x"], (), True),
}  # fmt: skip
IDS = list(LOSSES)


class Modules:
    """Each loss derived once and each backend's module compiled once, for the whole file:
    numba compiles each kernel on its first call, for each layout of the arguments."""

    def __init__(self):
        self.derivations, self.modules = {}, {}

    def derivation(self, name):
        if name not in self.derivations:
            latex, wrt, where, _ = LOSSES[name]
            self.derivations[name] = derive.gradient(latex, wrt=wrt, where=list(where) or None)
        return self.derivations[name]

    def __call__(self, name, backend):
        if (name, backend) not in self.modules:
            module = self.derivation(name).compile(backend=backend)
            self.modules[name, backend] = module
        return self.modules[name, backend]


@pytest.fixture(scope="module")
def modules():
    return Modules()


def _tuple(result):
    return result if isinstance(result, tuple) else (result,)


def _random(module, n=1000, seed=0):
    """Random arguments: arrays of n, the first parameter a number (broadcast) if others."""
    rng = np.random.default_rng(seed)
    count = len(module.PARAMETERS)
    return [1.3 if k == 0 < count - 1 else rng.normal(size=n) for k in range(count)]


def _grid(module, n=1000, seed=0):
    """Small integers and halves: ties in max, |0|, H(0) and cases boundaries, exactly."""
    rng = np.random.default_rng(seed)
    return [rng.integers(-4, 5, size=n) / 2 for _ in module.PARAMETERS]


def _same(got, expected, exact):
    got, expected = _tuple(got), _tuple(expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        g, e = np.asarray(g, dtype=float), np.broadcast_to(np.asarray(e, dtype=float), np.shape(g))
        if exact:
            np.testing.assert_array_equal(g, e)
        else:
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", IDS)
def test_numba_equals_numpy(modules, name):
    _need("numba")
    numpy_module, numba_module = modules(name, "numpy"), modules(name, "numba")
    assert numba_module.PARAMETERS == numpy_module.PARAMETERS
    assert numba_module.WRT == numpy_module.WRT
    assert numba_module.SYMBOLS == numpy_module.SYMBOLS
    args = _random(numpy_module)
    _same(numba_module.gradient(*args), numpy_module.gradient(*args), exact=False)
    _same(numba_module.loss(*args), numpy_module.loss(*args), exact=False)
    grid = _grid(numpy_module)
    exact = LOSSES[name][3]
    _same(numba_module.gradient(*grid), numpy_module.gradient(*grid), exact)
    _same(numba_module.loss(*grid), numpy_module.loss(*grid), exact)


@pytest.mark.parametrize("name", IDS)
def test_array_api_on_numpy_and_strict_arrays(modules, name):
    strict = _need("array_api_strict")
    numpy_module, module = modules(name, "numpy"), modules(name, "array-api")
    exact = LOSSES[name][3]
    for args, same_bits in ((_random(numpy_module), False), (_grid(numpy_module), exact)):
        expected_gradient, expected_loss = numpy_module.gradient(*args), numpy_module.loss(*args)
        _same(module.gradient(*args), expected_gradient, same_bits)
        _same(module.loss(*args), expected_loss, same_bits)
        on_strict = [strict.asarray(a) if isinstance(a, np.ndarray) else a for a in args]
        gradient = _tuple(module.gradient(*on_strict))
        assert all(type(g).__module__.startswith("array_api_strict") for g in gradient)
        _same(tuple(np.asarray(g) for g in gradient), expected_gradient, same_bits)
        _same(np.asarray(module.loss(*on_strict)), expected_loss, same_bits)


@pytest.mark.parametrize("name", IDS)
def test_array_api_on_dask_arrays_is_lazy(modules, name):
    dask_array = _need("dask.array")
    numpy_module, module = modules(name, "numpy"), modules(name, "array-api")
    grid = _grid(numpy_module, n=1000, seed=1)
    grid[0] = 0.5  # a number among chunked arrays
    chunked = [dask_array.from_array(a, chunks=256) if isinstance(a, np.ndarray) else a
               for a in grid]  # fmt: skip
    if not any(isinstance(a, dask_array.Array) for a in chunked):
        chunked[0] = dask_array.from_array(np.full(1000, 0.5), chunks=256)
    gradient = _tuple(module.gradient(*chunked))
    loss = module.loss(*chunked)
    assert all(isinstance(g, dask_array.Array) for g in (*gradient, loss))  # not computed yet
    exact = LOSSES[name][3]
    _same(tuple(g.compute() for g in gradient), numpy_module.gradient(*grid), exact)
    _same(loss.compute(), numpy_module.loss(*grid), exact)


@pytest.mark.parametrize("backend", ["numba", "array-api"])
def test_numbers_and_shapes(modules, backend):
    """Numbers give numbers; arrays of shapes (3, 1) and (4,) broadcast to (3, 4)."""
    _need("numba" if backend == "numba" else "array_api_compat")
    numpy_module, module = modules("abs", "numpy"), modules("abs", backend)
    assert float(module.loss(2.0, 1.0, 3.0)) == float(numpy_module.loss(2.0, 1.0, 3.0)) == 5.0
    assert np.shape(module.gradient(2.0, 1.0, 3.0)) == ()
    column, row = np.arange(3.0).reshape(3, 1), np.linspace(-1, 1, 4)
    got = module.gradient(1.0, column, row)
    assert np.shape(got) == (3, 4)
    _same(got, numpy_module.gradient(1.0, column, row), exact=True)


def test_array_api_keeps_float32(modules):
    _need("array_api_compat")
    module = modules("logistic", "array-api")
    w, b, x, y = (np.linspace(-1, 1, 8, dtype=np.float32) for _ in range(4))
    assert all(g.dtype == np.float32 for g in module.gradient(w, b, x, y))
    assert module.loss(w, 0.5, x, y).dtype == np.float32


@pytest.mark.parametrize("backend", ["numba", "array-api"])
def test_docstring_states_the_conventions(modules, backend):
    source = modules.derivation("margin").code(backend=backend)
    for convention in ("sign(0) = 0", "Heaviside(0) = 1/2", "ReLU'(0) = 0", "splits the gradient"):
        assert convention in source
    assert "np." not in source if backend == "array-api" else "numba.prange" in source


def test_numba_caches_beside_a_file_and_not_from_a_string(modules, tmp_path):
    """Loaded from a string there is no file to cache beside: no error, no cache; imported
    from a file, numba writes its cache beside it."""
    _need("numba")
    assert modules("square", "numba")._CACHE is False
    path = tmp_path / "square_gradient.py"
    path.write_text(modules.derivation("square").code(backend="numba"), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("square_gradient", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module._CACHE is True
    np.testing.assert_array_equal(module.gradient(np.arange(4.0)), [0.0, 2.0, 4.0, 6.0])
    assert list((tmp_path / "__pycache__").glob("square_gradient._gradient-*.nbi"))


def run(*args):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize("backend", ["numpy", "numba", "array-api"])
def test_cli_writes_and_checks_each_backend(backend, tmp_path):
    _need("numba" if backend == "numba" else "array_api_compat")
    out = tmp_path / "margin.py"
    latex, wrt, where, _ = LOSSES["margin"]
    options = [f"--wrt={w}" for w in wrt] + [f"--where={w}" for w in where]
    result = run("code", latex, *options, "--backend", backend, "--check", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "agrees with central differences" in result.output
    text = out.read_text(encoding="utf-8")
    assert {"numpy": "import numpy as np", "numba": "numba.prange", "array-api": "xp.sign"}[
        backend
    ] in text


@pytest.mark.parametrize("backend", ["numba", "array-api"])
def test_cli_refuses_a_sum_over_data(backend):
    result = run("code", r"\sum_{i=1}^N (w x_i - y_i)^2", "--wrt", "w", "--backend", backend)
    assert result.exit_code == 2
    assert f"--backend {backend} writes elementwise losses only" in result.output
    assert "Traceback" not in result.output


def test_array_api_refuses_a_function_outside_the_standard():
    result = run("code", r"\operatorname{erf}(w x)", "--backend", "array-api")
    assert result.exit_code == 2
    assert "cannot write erf (not in the array API standard)" in result.output


def test_a_missing_library_names_the_extra(modules, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "numba" else real(name, *a)
    )
    with pytest.raises(DeriveError, match=r"pip install 'derive\[numba\]'"):
        modules.derivation("square").compile(backend="numba")


def test_unknown_backend(modules):
    with pytest.raises(DeriveError, match="unknown backend"):
        modules.derivation("square").code(backend="torch")
