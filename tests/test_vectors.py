"""Vectors and matrices written as such (``w^\\top x``, ``\\|X w - y\\|_2^2``,
``\\sigma(W x + b)``), with their shapes declared: read into sums over their elements (or
refused when the shapes do not fit), derived with every step proved, and generated as code
that matches NumPy written by hand on random shapes."""

from __future__ import annotations

import json
import os
import tracemalloc

import numpy as np
import pytest
import sympy
from click.testing import CliRunner

import derive
from cli import main
from derive.codecheck import check_module
from derive.codegen.module import compile_module
from derive.proof.equality import numerically_equal

i, j = sympy.symbols("i j", integer=True)
n, d, h = (sympy.Symbol(s, integer=True, positive=True) for s in "ndh")
lam, t = sympy.Symbol("lambda_", real=True), sympy.Symbol("t", real=True)
X, w, x, y, u, b, W, v, A, B = (
    sympy.IndexedBase(s, real=True) for s in ("X", "w", "x", "y", "u", "b", "W", "v", "a", "b")
)
N = sympy.Symbol("N_", integer=True, positive=True)
SIGMOID = derive.parse_loss(r"\sigma(t)").expr.func
REGRESSION = {"X": "n,d", "w": "d", "y": "n"}
LOGISTIC = {"w": "d", "x": "d"}
NETWORK = {"u": "h", "W": "h,d", "x": "d", "b": "h"}
LOADED = 120  # seconds: these tests check answers, not speed, on a machine however busy

READINGS = [
    # (id, loss, shapes, its sums over the elements)
    ("inner-product", r"w^\top x", LOGISTIC, sympy.Sum(w[i] * x[i], (i, 1, d))),
    ("T-for-transpose", r"w^T x", LOGISTIC, sympy.Sum(w[i] * x[i], (i, 1, d))),
    (
        "least-squares",
        r"\|X w - y\|_2^2",
        REGRESSION,
        sympy.Sum((sympy.Sum(X[i, j] * w[j], (j, 1, d)) - y[i]) ** 2, (i, 1, n)),
    ),
    ("norm-squared", r"\|w\|^2", LOGISTIC, sympy.Sum(w[i] ** 2, (i, 1, d))),
    ("norm", r"\|w\|_2", LOGISTIC, sympy.sqrt(sympy.Sum(w[i] ** 2, (i, 1, d)))),
    ("one-norm", r"\|w\|_1", LOGISTIC, sympy.Sum(abs(w[i]), (i, 1, d))),
    (
        "network-score",
        r"u^\top \sigma(W x + b)",
        NETWORK,
        sympy.Sum(
            u[i] * SIGMOID(b[i] + sympy.Sum(W[i, j] * x[j], (j, 1, d))),
            (i, 1, h),
        ),
    ),
    ("bold-vectors", r"\mathbf{w}^\top \mathbf{x}", None, None),
    ("angle-brackets", r"\langle w, x \rangle", LOGISTIC, sympy.Sum(w[i] * x[i], (i, 1, d))),
    ("ones-row", r"\mathbf{1}^\top v", {"v": "d"}, sympy.Sum(v[i], (i, 1, d))),
    ("ones-column", r"v^T \mathbf{1}", {"v": "d"}, sympy.Sum(v[i], (i, 1, d))),
    ("ones-added", r"\|\mathbf{1} - v\|^2", {"v": "d"}, sympy.Sum((1 - v[i]) ** 2, (i, 1, d))),
    (
        "ones-times-a-product",
        r"\mathbf{1}^\top (X w - y)",
        REGRESSION,
        sympy.Sum(sympy.Sum(X[i, j] * w[j], (j, 1, d)) - y[i], (i, 1, n)),
    ),
    ("unicode-angles", "⟨w, x⟩", LOGISTIC, sympy.Sum(w[i] * x[i], (i, 1, d))),
    (
        "angle-brackets-of-matrices",
        r"\langle W, X \rangle",
        {"W": "n,d", "X": "n,d"},
        sympy.Sum(W[i, j] * X[i, j], (i, 1, n), (j, 1, d)),
    ),
    (
        "hadamard-product",
        r"\|w \odot x\|^2",
        LOGISTIC,
        sympy.Sum(w[i] ** 2 * x[i] ** 2, (i, 1, d)),
    ),
    (
        "hadamard-scaled",
        r"u^\top (2 v \odot u)",
        {"u": "d", "v": "d"},
        2 * sympy.Sum(u[i] ** 2 * v[i], (i, 1, d)),
    ),
    # shapes the notation forces, without --shape (each stated in a note)
    ("transposed-name", r"w^\top x", None, sympy.Sum(w[i] * x[i], (i, 1, d))),
    ("angles-of-names", r"\langle a, b \rangle", None, sympy.Sum(A[i] * B[i], (i, 1, d))),
    (
        "name-transposed-second",
        r"x^T w + \|w\|^2",
        None,
        sympy.Sum(w[i] * x[i] + w[i] ** 2, (i, 1, d)),
    ),
    (
        "data-vectors",
        r"\sum_i (w^\top x_i - y_i)^2",
        None,
        sympy.Sum((sympy.Sum(w[j] * x[i, j], (j, 1, d)) - y[i]) ** 2, (i, 1, N)),
    ),
    (
        "data-vector-transposed",
        r"\sum_{i=1}^{N} (x_i^\top w)^2",
        None,
        sympy.Sum(sympy.Sum(w[j] * x[i, j], (j, 1, d)) ** 2, (i, 1, N)),
    ),
    (
        "data-vector-in-angles",
        r"\sum_{i=1}^{N} \langle w, x^{(i)} \rangle",
        None,
        sympy.Sum(w[j] * x[i, j], (j, 1, d), (i, 1, N)),
    ),
    (
        "data-vector-declared",
        r"\sum_{i=1}^{N} y_i x_i^\top w",
        {"x": "3", "w": "3"},
        sympy.Sum(y[i] * sympy.Sum(w[j] * x[i, j], (j, 1, 3)), (i, 1, N)),
    ),
    (
        "elements-when-the-sum-runs-over-the-length",
        r"\sum_{i=1}^{d} w_i x_i",
        LOGISTIC,
        sympy.Sum(w[i] * x[i], (i, 1, d)),
    ),
]


@pytest.mark.parametrize(
    "latex,shapes,expected", [r[1:] for r in READINGS], ids=[r[0] for r in READINGS]
)
def test_vector_notation_is_read_as_sums_over_the_elements(latex, shapes, expected):
    loss = derive.parse_loss(latex, shapes=shapes)
    if expected is None:  # bold: vectors of length d by convention, said in a note
        assert any("is a vector of length d" in str(r) for r in loss.readings)
        assert loss.expr.has(sympy.Sum)
        return
    assert numerically_equal(loss.expr, expected) is True


INFERRED_NOTES = [
    # (id, loss, a note the reading must carry)
    ("transposed", r"w^\top x", "w is a vector of length d (it is transposed"),
    ("partner", r"w^\top x", "x is a vector of length d, as a product needs"),
    ("data-vector", r"\sum_i (w^\top x_i - y_i)^2", "x_i is the i-th data vector, of length d"),
    ("data-superscript", r"\sum_i \theta^T x^{(i)}", "x^(i) is the i-th data vector"),
    ("bold-data-vector", r"\sum_i \mathbf{w}^\top \mathbf{x}_i", "is the i-th data vector"),
]


@pytest.mark.parametrize(
    "latex,note", [r[1:] for r in INFERRED_NOTES], ids=[r[0] for r in INFERRED_NOTES]
)
def test_a_shape_the_notation_forces_is_stated(latex, note):
    assert any(note in str(r) for r in derive.parse_loss(latex).readings), latex


REFUSALS = [
    ("inner-dimensions", r"y^T X w", {"X": "n,d", "w": "d", "y": "d"}, "inner dimensions differ"),
    ("different-lengths", r"w^T x", {"w": "d", "x": "3"}, "inner dimensions differ"),
    ("a-vector-loss", r"X w", REGRESSION, "the loss is a vector of length n"),
    ("sum-of-shapes", r"\|X w - w\|^2", REGRESSION, "the shapes must be equal"),
    ("number-plus-vector", r"w^T x + w", LOGISTIC, "cannot add a number and a vector"),
    ("bars-of-a-vector", r"|w|", LOGISTIC, r"write \\\|v\\\| for its norm"),
    ("transpose-of-a-capital", r"T^T x", LOGISTIC, "transposes a vector or a matrix"),
    ("transpose-of-a-sum", r"(t + 1)^T x", LOGISTIC, "transposes a vector or a matrix"),
    ("data-vector-of-another-length", r"\sum_i w^\top x_i", {"w": "d", "x": "3"}, "differ"),
    ("bad-shape", r"w^T x", {"w": "d,e,f", "x": "d"}, "give 1 or 2"),
    ("bold-matrix-without-shape", r"\|\mathbf{W} \mathbf{x}\|^2", None, "declare its shape"),
    ("one-over-a-vector", r"\frac{1}{\mathbf{w}}", None, "the loss is a vector"),
    ("max-of-two-vectors", r"\|\max(\mathbf{w}, \mathbf{x})\|^2", None, "of two arrays"),
    ("third-norm", r"\|\mathbf{w}\|_3", None, "a norm is"),
    ("exp-of-a-vector-as-a-number", r"e^{\mathbf{w}}", None, "where a number is needed"),
    ("sign-of-the-log-of-a-vector", r"\operatorname{sgn}(\log(\mathbf{w}))", None, "a vector"),
    ("trace-of-a-vector", r"\operatorname{tr}(X w)", REGRESSION, "it must be square"),
    ("trace-of-a-number", r"\operatorname{tr}(t)", None, "the trace is of a square matrix"),
    ("ones-alone", r"\mathbf{1}^\top", None, "cannot be told"),
    ("angles-of-numbers", r"\langle 2, 3 \rangle", None, "declare their shapes"),
    ("angles-of-two-shapes", r"\langle w, X \rangle", REGRESSION, "the shapes must be equal"),
    ("angles-of-three", r"\langle w, x, x \rangle", LOGISTIC, "two sides and one comma"),
    ("angles-empty-side", r"\langle w, \rangle", LOGISTIC, "an expression on each side"),
    ("angle-never-closed", r"\langle w, x", LOGISTIC, r"'\\langle' is never closed"),
    ("softmax-of-a-number", r"\operatorname{softmax}(t)", None, "the softmax is of a vector"),
    ("hadamard-of-numbers", r"a \odot b", None, "for numbers write"),
    ("hadamard-of-two-shapes", r"\|w \odot y\|^2", REGRESSION, "the shapes must be equal"),
    ("hadamard-one-sided", r"\|\odot w\|^2", LOGISTIC, "a factor on each side"),
    ("hadamard-is-a-vector", r"w \odot x", LOGISTIC, "the loss is a vector"),
]


@pytest.mark.parametrize(
    "latex,shapes,message", [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_shapes_that_do_not_fit_are_refused(latex, shapes, message):
    with pytest.raises(derive.ParseError, match=message):
        derive.parse_loss(latex, shapes=shapes)


def _least_squares(a):
    return {"w": 2 * a["X"].T @ (a["X"] @ a["w"] - a["y"])}


def _logistic(a):
    margin = a["y"] * a["w"] @ a["x"]
    return {"w": -a["y"] * a["x"] / (1 + np.exp(margin)) + a["lambda_"] * a["w"]}


def _network(a):
    s = 1 / (1 + np.exp(-(a["W"] @ a["x"] + a["b"])))
    local = a["u"] * s * (1 - s)
    return {"u": s, "b": local, "W": np.outer(local, a["x"])}


def _quadratic(a):
    return {"x": 0.5 * (a["A"] + a["A"].T) @ a["x"]}


def _cross_entropy(a):
    return {"p": -a["y"] / a["p"]}


def _trace(a):
    A, B, C, X = a["A"], a["B"], a["C"], a["X"]
    return {"X": B @ X @ C @ A + B.T @ X @ A.T @ C.T}


def _hadamard(a):
    return {"u": a["v"] * (a["W"] @ a["x"]), "W": np.outer(a["u"] * a["v"], a["x"])}


def _softmax_cross_entropy(a):
    p = np.exp(a["z"]) / np.sum(np.exp(a["z"]))
    return {"z": p * np.sum(a["y"]) - a["y"]}  # p − y when y sums to 1


def _logistic_sum(a):
    margin = a["y"] * (a["X"] @ a["w"])
    return {"w": -a["X"].T @ (a["y"] / (1 + np.exp(margin)))}


CODE = [
    # (id, loss, shapes, wrt, reference gradients written with NumPy)
    ("least-squares", r"\|X w - y\|_2^2", REGRESSION, ["w"], _least_squares),
    (
        "logistic",
        r"\log(1 + e^{-y w^\top x}) + \frac{\lambda}{2}\|w\|^2",
        LOGISTIC,
        ["w"],
        _logistic,
    ),
    ("network", r"u^\top \sigma(W x + b)", NETWORK, ["u", "b", "W"], _network),
    ("cross-entropy-of-p", r"-y^\top \log(p)", {"y": "n", "p": "n"}, ["p"], _cross_entropy),
    ("matrixcalculus-quadratic", r"0.5 x^\top A x", {"x": "n", "A": "n,n"}, ["x"], _quadratic),
    (
        "matrixcalculus-trace",
        r"\operatorname{tr}(A X^\top B X C)",
        {"A": "d,d", "X": "n,d", "B": "n,n", "C": "d,d"},
        ["X"],
        _trace,
    ),
    (
        "inner-product-of-a-hadamard",
        r"\langle u \odot v, W x \rangle",
        {"u": "h", "v": "h", "W": "h,d", "x": "d"},
        ["u", "W"],
        _hadamard,
    ),
    (
        "softmax-cross-entropy",
        r"-y^\top \log \operatorname{softmax}(z)",
        {"y": "n", "z": "n"},
        ["z"],
        _softmax_cross_entropy,
    ),
    (
        "matrixcalculus-logistic-sum",
        r"\sum_{i=1}^{n} \log(e^{-y_i \sum_{j=1}^{d} X_{ij} w_j} + 1)",
        REGRESSION,
        ["w"],
        _logistic_sum,
    ),
]
SIZES = {"n": 5, "d": 3, "h": 4}


@pytest.mark.parametrize(
    "latex,shapes,wrt,reference", [c[1:] for c in CODE], ids=[c[0] for c in CODE]
)
def test_gradients_of_vector_losses_match_numpy_written_by_hand(latex, shapes, wrt, reference):
    derivation = derive.gradient(latex, wrt=wrt, shapes=shapes, timeout=LOADED)
    assert all(p.verified in ("proved", "checked") for p in derivation.partials), derivation.text()
    module = compile_module(derivation.code(LOADED))
    rng = np.random.default_rng(5)
    for scale in (1, 2):
        sizes = {k: v * scale for k, v in SIZES.items()}
        arguments = {}
        for name in module.PARAMETERS:
            dims = shapes.get(name, "").split(",") if name in shapes else []
            arguments[name] = rng.normal(size=[sizes[s] for s in dims]) if dims else rng.normal()
        produced = module.gradient(*arguments.values())
        produced = (produced,) if len(module.WRT) == 1 else produced
        expected = reference(arguments)
        for name, value in zip(module.WRT, produced, strict=True):
            np.testing.assert_allclose(value, expected[name], rtol=1e-10, atol=1e-12)
    assert check_module(derivation, module).ok


def test_the_issue_s_least_squares_from_the_command_line():
    result = CliRunner().invoke(
        main,
        ["grad", r"\|X w - y\|_2^2", "--wrt", "w"]
        + ["--shape", "X=n,d", "--shape", "w=d", "--shape", "y=n"],
    )
    assert result.exit_code == 0, result.output
    assert "∂/∂w_k" in result.output and "X_ik" in result.output
    assert "All 8 steps proved" in result.output


@pytest.mark.parametrize("shape", ["X", "X=", "=n,d"])
def test_a_malformed_shape_option_exits_2(shape):
    result = CliRunner().invoke(main, ["grad", r"\|X w\|^2", "--shape", shape])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


MATRIX_FORMS = [
    # (id, loss, shapes, wrt, the matrix form as text, as LaTeX, proved)
    ("least-squares", r"\|X w - y\|_2^2", REGRESSION, "w", "2Xᵀ·(X·w − y)",
     r"2 X^{T} \left(X w - y\right)", True),
    ("network-W", r"u^\top \sigma(W x + b)", NETWORK, "W", "·xᵀ", "x^{T}", False),
    ("quadratic", r"0.5 x^\top A x", {"x": "n", "A": "n,n"}, "x", "Aᵀ·x", "A^{T} x", False),
]  # fmt: skip


@pytest.mark.parametrize(
    "latex,shapes,wrt,text,tex,proved",
    [m[1:] for m in MATRIX_FORMS],
    ids=[m[0] for m in MATRIX_FORMS],
)
def test_results_are_also_written_in_matrix_form_in_the_shape_of_the_variable(
    latex, shapes, wrt, text, tex, proved
):
    derivation = derive.gradient(latex, wrt=wrt, shapes=shapes, timeout=LOADED)
    (partial,) = derivation.partials
    assert partial.matrix is not None
    # proved by SymPy, or (where SymPy's simplification depends on its term order) checked
    assert partial.matrix_verified in (("proved",) if proved else ("proved", "checked"))
    assert partial.matrix.shape == tuple(
        sympy.Symbol(s, integer=True, positive=True) if s.isalpha() else 1
        for s in (shapes[wrt].split(",") + ["1"])[:2]
    )
    assert text in derivation.text()
    assert tex in derivation.latex()
    assert json.loads(derivation.to_json())["gradient"][str(partial.var)]["matrix"]["latex"]


def test_a_result_no_pattern_fits_stays_in_index_form():
    # ∂/∂w_k = Σᵢ X_ik·Y_ik: (X ∘ Y)ᵀ𝟏, which is not in the table
    derivation = derive.gradient(r"\sum_{i=1}^{n} \sum_{j=1}^{d} X_{ij} Y_{ij} w_j", wrt="w_k")
    (partial,) = derivation.partials
    assert partial.matrix is None
    assert "In matrix form" not in derivation.text()


def _cs224n(a):
    """Hand-derived: J = max(0, 1 − s + s_c), s = uᵀσ(Wx + b), s_c = uᵀσ(W x_c + b)."""
    z, z_c = a["W"] @ a["x"] + a["b"], a["W"] @ a["x_c"] + a["b"]
    h, h_c = 1 / (1 + np.exp(-z)), 1 / (1 + np.exp(-z_c))
    active = float(1 - a["u"] @ h + a["u"] @ h_c > 0)
    delta, delta_c = a["u"] * h * (1 - h), a["u"] * h_c * (1 - h_c)
    return {
        "W": active * (np.outer(delta_c, a["x_c"]) - np.outer(delta, a["x"])),
        "b": active * (delta_c - delta),
        "u": active * (h_c - h),
    }


def test_cs224n_window_classifier_gradients_are_the_hand_derived_ones():
    shapes = {"u": "h", "W": "h,d", "x": "d", "x_c": "d", "b": "h"}
    derivation = derive.gradient(
        r"J = \max(0, 1 - s + s_c)",
        wrt=["W", "b", "u"],
        where=[r"s = u^\top \sigma(W x + b)", r"s_c = u^\top \sigma(W x_c + b)"],
        shapes=shapes,
        timeout=300,
    )
    assert all(p.verified in ("proved", "checked") for p in derivation.partials)
    assert all(p.matrix is not None for p in derivation.partials)  # δ xᵀ and the like
    # backpropagation in matrix form through the definitions, s and s_c by their names
    by_w = derivation.partials[0]
    assert [s.rule for s in by_w.matrix_steps][:5] == [
        "a 1-by-1 product is a number",
        "matrix product",
        "elementwise function",
        "sum",
        "matrix product",
    ]
    assert all(s.verified in ("proved", "checked") for p in derivation.partials
               for s in p.matrix_steps)  # fmt: skip
    text = derivation.text(timeout=300)
    assert "∂J/∂s = −H(s_c + 1 − s)" in text and "∂J/∂s_c = H(s_c + 1 − s)" in text
    module = compile_module(derivation.code(LOADED))
    rng = np.random.default_rng(9)
    for _ in range(5):
        arguments = {
            name: rng.normal(size=[{"h": 4, "d": 3}[s] for s in shapes[name].split(",")])
            for name in module.PARAMETERS
        }
        arguments["u"] *= 3  # both sides of the margin get drawn
        produced = dict(zip(module.WRT, module.gradient(*arguments.values()), strict=True))
        for name, value in _cs224n(arguments).items():
            np.testing.assert_allclose(produced[name], value, rtol=1e-10, atol=1e-12)


def test_a_bold_name_with_an_index_is_a_number_and_the_reading_says_so():
    loss = derive.parse_loss(r"\mathbf{w}_1 x")
    assert any("bold name with an index" in str(r) for r in loss.readings)


@pytest.mark.parametrize(
    "latex,shapes,wrt,reference", [c[1:] for c in CODE], ids=[c[0] for c in CODE]
)
def test_array_modules_contract_products_instead_of_building_them(latex, shapes, wrt, reference):
    """A product of matrices is contracted (np.einsum, BLAS), never formed over every index:
    the gradient of tr(A Xᵀ B X C) at n = d = 40 would otherwise hold 40⁵ numbers (800 MB)."""
    module = compile_module(
        derive.gradient(latex, wrt=wrt, shapes=shapes, timeout=LOADED).code(LOADED)
    )
    rng = np.random.default_rng(8)
    arguments = {}
    for name in module.PARAMETERS:
        dims = shapes.get(name, "").split(",") if name in shapes else []
        arguments[name] = rng.normal(size=[40 for _ in dims]) if dims else rng.normal()
    given = sum(np.asarray(a).nbytes for a in arguments.values())
    tracemalloc.start()
    try:
        produced = module.gradient(*arguments.values())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    produced = (produced,) if len(module.WRT) == 1 else produced
    for name, value in zip(module.WRT, produced, strict=True):
        np.testing.assert_allclose(value, reference(arguments)[name], rtol=1e-9, atol=1e-9)
    assert peak < 4 * given + 2**20, f"{peak} bytes for arguments of {given}"


@pytest.mark.parametrize(
    "latex,shapes,wrt,reference", [c[1:] for c in CODE], ids=[c[0] for c in CODE]
)
def test_array_modules_take_a_batch_of_data_sets_along_leading_axes(latex, shapes, wrt, reference):
    """Three data sets stacked along a leading axis give each set's gradient (3 is also the
    length d: an axis lined up wrongly would broadcast without an error)."""
    module = compile_module(
        derive.gradient(latex, wrt=wrt, shapes=shapes, timeout=LOADED).code(LOADED)
    )
    rng = np.random.default_rng(9)
    sets = []
    for _ in range(3):
        arguments = {}
        for name in module.PARAMETERS:
            dims = shapes.get(name, "").split(",") if name in shapes else []
            size = [SIZES[s] for s in dims]
            arguments[name] = rng.uniform(0.2, 2.0, size=size or None)  # in log's domain
        sets.append(arguments)
    stacked = [np.stack([s[name] for s in sets]) for name in module.PARAMETERS]
    together = module.gradient(*stacked)
    together = (together,) if len(module.WRT) == 1 else together
    for b, arguments in enumerate(sets):
        alone = module.gradient(*arguments.values())
        alone = (alone,) if len(module.WRT) == 1 else alone
        for name, batched, single in zip(module.WRT, together, alone, strict=True):
            np.testing.assert_allclose(batched[b], single, rtol=1e-12, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(module.loss(*stacked)[b], module.loss(*arguments.values()))


def test_softmax_cross_entropy_code_does_not_overflow():
    derivation = derive.gradient(
        r"-y^\top \log \operatorname{softmax}(z)", wrt=["z"], shapes={"y": "n", "z": "n"}
    )
    module = compile_module(derivation.code(LOADED))
    arguments = {"z": np.array([1000.0, 0.0, -3.0]), "y": np.array([0.0, 1.0, 0.0])}
    values = [arguments[name] for name in module.PARAMETERS]
    assert module.loss(*values) == pytest.approx(1000.0)
    np.testing.assert_allclose(module.gradient(*values), [1.0, -1.0, 0.0], atol=1e-12)


MATRIX_CLAIMS = [
    # (id, loss, shapes, wrt, claim in matrix form, exit status, what the output says)
    ("least-squares", r"\|X w - y\|_2^2", REGRESSION, "w", r"2 X^\top (X w - y)", 0, "Proved"),
    ("sign-moved", r"\|X w - y\|_2^2", REGRESSION, "w", r"-2 X^T (y - X w)", 0, "Proved"),
    ("residual-dropped", r"\|X w - y\|_2^2", REGRESSION, "w", r"2 X^\top X w", 1, "Refuted"),
    (
        "ridge-logistic",
        r"\log(1 + e^{-y w^\top x}) + \frac{\lambda}{2}\|w\|^2",
        LOGISTIC,
        "w",
        r"-y \sigma(-y w^\top x) x + \lambda w",
        0,
        "Proved",
    ),  # fmt: skip
    ("network", r"u^\top \sigma(W x + b)", NETWORK, "u", r"\sigma(W x + b)", 0, "Proved"),
    ("wrong-shape", r"\|X w - y\|_2^2", REGRESSION, "w", r"2 (X w - y)", 2, "has its shape"),
    ("inner-dimensions", r"\|X w - y\|_2^2", REGRESSION, "w", r"2 X (X w - y)", 2, "inner"),
    ("an-array-for-a-number", r"\|w\|^2 t", {"w": "d"}, "t", r"2 w", 2, "is a number"),
]


@pytest.mark.parametrize(
    "latex,shapes,wrt,claim,status,says",
    [c[1:] for c in MATRIX_CLAIMS],
    ids=[c[0] for c in MATRIX_CLAIMS],
)
def test_a_claim_in_matrix_form_is_proved_or_refuted_element_by_element(
    latex, shapes, wrt, claim, status, says
):
    options = [f"--shape={name}={dims}" for name, dims in shapes.items()]
    result = CliRunner().invoke(main, ["check", latex, "--wrt", wrt, "--claim", claim, *options])
    assert result.exit_code == status, result.output
    assert says in result.output


DATA_SET_LOSSES = [
    # (id, loss over rows x_i of a data set, wrt, its gradient written with NumPy)
    (
        "least-squares-over-rows",
        r"\frac{1}{N}\sum_i (w^\top x_i - y_i)^2",
        "w",
        lambda a: 2 * a["x"].T @ (a["x"] @ a["w"] - a["y"]) / len(a["y"]),
    ),
    (
        "logistic-over-rows",
        r"\sum_{i=1}^{N} \log(1 + e^{-y_i \theta^T x^{(i)}})",
        r"\theta",
        lambda a: -a["x"].T @ (a["y"] / (1 + np.exp(a["y"] * (a["x"] @ a["theta"])))),
    ),
    (
        "hinge-over-bold-rows",
        r"\sum_i \max(0, 1 - y_i \mathbf{w}^\top \mathbf{x}_i)",
        r"\mathbf{w}",
        lambda a: -a["x"].T @ (a["y"] * (1 - a["y"] * (a["x"] @ a["w"]) > 0)),
    ),
]


@pytest.mark.parametrize(
    "latex,wrt,reference", [c[1:] for c in DATA_SET_LOSSES], ids=[c[0] for c in DATA_SET_LOSSES]
)
def test_losses_over_the_rows_of_a_data_set_match_numpy_written_by_hand(latex, wrt, reference):
    """x_i next to wᵀ is the i-th row of a data matrix, without --shape."""
    derivation = derive.gradient(latex, wrt=[wrt])
    assert derivation.partials[0].verified in ("proved", "checked"), derivation.text()
    module = compile_module(derivation.code(LOADED))
    rng = np.random.default_rng(11)
    for rows, columns in ((5, 3), (8, 2)):
        data = {"x": rng.normal(size=(rows, columns)), "y": rng.choice([-1.0, 1.0], rows)}
        data["w"] = data["theta"] = rng.normal(size=columns)
        arguments = [data[p.removesuffix("_bold")] for p in module.PARAMETERS]
        expected = reference(data)
        np.testing.assert_allclose(module.gradient(*arguments), expected, rtol=1e-10, atol=1e-12)
    assert check_module(derivation, module).ok


def test_the_module_in_matrix_form_is_the_same_in_every_process():
    """Its statements follow the loss, not the order of a set (PYTHONHASHSEED)."""
    import subprocess
    import sys

    code = (
        "import derive; print(derive.gradient(r'u^\\top \\sigma(W x + b)', wrt=['u', 'b', 'W'],"
        " shapes={'u': 'h', 'W': 'h,d', 'x': 'd', 'b': 'h'}, timeout=120).code(120))"
    )
    sources = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }  # fmt: skip
    (source,) = sources
    assert "dL_dW = dL_dt1 @ x.mT" in source
