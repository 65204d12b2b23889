"""Backpropagation in matrix form: the rules each step names, every step checked written out,
and the gradient it ends with equal to NumPy written by hand and to central differences."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import derive
from derive.codegen.module import compile_module
from derive.model import CHECKED, PROVED
from derive.proof.equality import elementary_form
from derive.proof.matrix_steps import PATHS
from rules import matrices

SIZES = {"n": 4, "d": 3, "h": 2}


def _sigmoid(t):
    return 1 / (1 + np.exp(-t))


CASES = [
    # (id, loss, shapes, variable, the rules from the loss down, the gradient by NumPy)
    (
        "least-squares",
        r"\|X w - y\|_2^2",
        {"X": "n,d", "w": "d", "y": "n"},
        "w",
        ["squared norm", "sum", "matrix product"],
        lambda a: 2 * a["X"].T @ (a["X"] @ a["w"] - a["y"]),
    ),
    (
        "ridge-logistic",
        r"\log(1 + e^{-y w^\top x}) + \frac{\lambda}{2}\|w\|^2",
        {"w": "d", "x": "d"},
        "w",
        ["a 1-by-1 product is a number", "matrix product", "transpose", "squared norm", PATHS],
        lambda a: -a["y"] * a["x"] * _sigmoid(-a["y"] * a["w"] @ a["x"]) + a["lambda_"] * a["w"],
    ),
    (
        "network-weights",
        r"u^\top \sigma(W x + b)",
        {"u": "h", "W": "h,d", "x": "d", "b": "h"},
        "W",
        [
            "a 1-by-1 product is a number",
            "matrix product",
            "elementwise function",
            "sum",
            "matrix product",
        ],
        lambda a: np.outer(
            a["u"] * _sigmoid(a["W"] @ a["x"] + a["b"]) * (1 - _sigmoid(a["W"] @ a["x"] + a["b"])),
            a["x"],
        ),
    ),
    (
        "quadratic-form",
        r"\frac{1}{2} x^\top A x",
        {"x": "n", "A": "n,n"},
        "x",
        ["a 1-by-1 product is a number", "matrix product", "transpose", "matrix product", PATHS],
        lambda a: 0.5 * (a["A"] + a["A"].T) @ a["x"],
    ),
    (
        "trace",
        r"\operatorname{tr}(A X^\top B X C)",
        {"A": "d,d", "X": "n,d", "B": "n,n", "C": "d,d"},
        "X",
        ["trace", "matrix product", "transpose", "matrix product", PATHS],
        lambda a: a["B"] @ a["X"] @ a["C"] @ a["A"] + a["B"].T @ a["X"] @ a["A"].T @ a["C"].T,
    ),
    (
        "one-norm-of-a-hadamard-product",
        r"\|w \odot x\|_1",
        {"w": "d", "x": "d"},
        "w",
        ["1-norm", "Hadamard product"],
        lambda a: np.sign(a["w"] * a["x"]) * a["x"],
    ),
    (
        "hinge",
        r"\max(0, 1 - y w^\top x)",
        {"w": "d", "x": "d"},
        "w",
        ["a 1-by-1 product is a number", "matrix product", "transpose"],
        lambda a: -a["y"] * a["x"] * (1 - a["y"] * a["w"] @ a["x"] > 0),
    ),
    (
        "frobenius-inner-product",
        r"\langle W, X W \rangle",
        {"W": "n,n", "X": "n,n"},
        "W",
        ["trace", "matrix product", "transpose", "matrix product", PATHS],
        lambda a: a["X"] @ a["W"] + a["X"].T @ a["W"],
    ),
    (
        "power-of-a-norm",  # ‖Xw‖ in the scalar factor: written out to compare (was hidden)
        r"\|X w\|^{3}",
        {"X": "n,d", "w": "d"},
        "w",
        ["squared norm", "matrix product"],
        lambda a: 3 * np.linalg.norm(a["X"] @ a["w"]) * a["X"].T @ a["X"] @ a["w"],
    ),
    (
        "softmax-cross-entropy",
        r"-y^\top \log \operatorname{softmax}(z)",
        {"y": "n", "z": "n"},
        "z",
        ["a 1-by-1 product is a number", "matrix product", "log-softmax"],
        lambda a: np.exp(a["z"]) / np.sum(np.exp(a["z"])) * np.sum(a["y"]) - a["y"],
    ),
    (
        "softmax-scored",
        r"v^\top \operatorname{softmax}(W x)",
        {"v": "n", "W": "n,d", "x": "d"},
        "W",
        ["a 1-by-1 product is a number", "matrix product", "softmax", "matrix product"],
        lambda a: np.outer(
            (p := np.exp(a["W"] @ a["x"]) / np.sum(np.exp(a["W"] @ a["x"]))) * a["v"]
            - p * (p @ a["v"]),
            a["x"],
        ),
    ),
]


def _arguments(shapes: dict, symbols, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    found = {}
    for symbol in sorted(symbols, key=str):
        dims = shapes.get(symbol.name)
        found[symbol.name] = (
            rng.normal(size=[SIZES[s] for s in dims.split(",")]) if dims else rng.normal()
        )
    return found


def _value(expr, loss, arguments: dict):
    """``expr`` (matrix expressions) at the arguments, as a NumPy array or a float."""
    sizes = {sympy.Symbol(k, integer=True, positive=True): v for k, v in SIZES.items()}
    concrete = expr.xreplace(sizes)
    values = {}
    for m in concrete.atoms(sympy.MatrixSymbol):
        array = np.asarray(arguments[m.name], dtype=float).reshape(m.shape)
        values[m] = sympy.ImmutableMatrix(array)
    for s in concrete.free_symbols - set(values):
        if s.name in arguments:
            values[s] = sympy.Float(arguments[s.name])
    worked = concrete.xreplace(values).doit()
    if isinstance(worked, sympy.MatrixExpr):
        worked = worked.as_explicit()
    worked = worked.applyfunc(elementary_form) if hasattr(worked, "applyfunc") else worked
    result = np.array(sympy.N(elementary_form(worked) if not hasattr(worked, "shape") else worked),
                      dtype=float)  # fmt: skip
    return result.reshape(-1) if result.ndim == 2 and 1 in result.shape else result


@pytest.mark.parametrize(
    "latex,shapes,wrt,rules,reference", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_step_names_its_rule_is_checked_and_ends_at_the_gradient(
    latex, shapes, wrt, rules, reference
):
    derivation = derive.gradient(latex, wrt=[wrt], shapes=shapes, timeout=60)
    (partial,) = derivation.partials
    assert [s.rule for s in partial.matrix_steps] == rules
    assert all(s.verified in (CHECKED, PROVED) for s in partial.matrix_steps)
    assert partial.matrix_steps_verified in (CHECKED, PROVED)
    gradient = partial.matrix_steps[-1].gradient
    loss = derivation.loss.in_matrices
    for seed in (1, 2):
        arguments = _arguments(shapes, loss.free_symbols | loss.atoms(sympy.MatrixSymbol), seed)
        arguments = {k: v for k, v in arguments.items() if k not in SIZES}
        produced = _value(gradient, loss, arguments)
        np.testing.assert_allclose(produced, reference(arguments), rtol=1e-9, atol=1e-12)
        differences = np.zeros_like(np.asarray(arguments[wrt], dtype=float))
        for index in np.ndindex(differences.shape):
            step = 1e-6
            up, down = dict(arguments), dict(arguments)
            up[wrt], down[wrt] = arguments[wrt].copy(), arguments[wrt].copy()
            up[wrt][index] += step
            down[wrt][index] -= step
            differences[index] = (_value(loss, loss, up) - _value(loss, loss, down)) / (2 * step)
        np.testing.assert_allclose(produced, differences, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "latex,shapes,wrt,rules,reference", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_the_module_backpropagates_in_matrix_form_and_matches_numpy(
    latex, shapes, wrt, rules, reference
):
    """The generated module follows the same steps (one statement per node, BLAS @), and
    stacked data sets each get their own gradient."""
    derivation = derive.gradient(latex, wrt=[wrt], shapes=shapes, timeout=60)
    source = derivation.code(60)
    assert "by backpropagation in matrix form" in source and "einsum" not in source
    module = compile_module(source)
    loss = derivation.loss.in_matrices
    stacked = []
    for seed in (3, 4):
        arguments = _arguments(shapes, loss.free_symbols | loss.atoms(sympy.MatrixSymbol), seed)
        arguments = {k: v for k, v in arguments.items() if k not in SIZES}
        values = [arguments[name] for name in module.PARAMETERS]
        np.testing.assert_allclose(
            module.gradient(*values), reference(arguments), rtol=1e-10, atol=1e-12
        )
        stacked.append(values)
    together = module.gradient(*(np.stack(v) for v in zip(*stacked, strict=True)))
    for k, values in enumerate(stacked):
        np.testing.assert_allclose(together[k], module.gradient(*values), rtol=1e-12)


def test_a_rule_gone_wrong_fails_its_step_and_the_steps_are_not_shown(monkeypatch):
    """The product rule without its transposes (∂L/∂B = A·G): the written-out check of that
    step fails, and the partial keeps only its index form."""
    right = matrices.MATRIX_RULES[sympy.MatMul]

    def forgetful(node, G):
        factors = [a for a in node.args if matrices.is_matrix(a)]
        found = right.children(node, G)
        if len(factors) == 2 and matrices.is_matrix(G):
            found[1] = (factors[1], sympy.MatMul(factors[0], G).doit(deep=False))
        return found

    monkeypatch.setitem(
        matrices.MATRIX_RULES, sympy.MatMul, matrices.MatrixRule(right.name, forgetful)
    )
    from derive.proof.matrix_steps import matrix_derivation

    n = sympy.Symbol("n", integer=True, positive=True)
    A, B = sympy.MatrixSymbol("A", n, n), sympy.MatrixSymbol("B", n, n)
    found = matrix_derivation(sympy.Trace(A * B), [B], derive.engine.derivative)
    assert [s.verified for s in found.steps if s.node == B] == ["failed"]
    derivation = derive.gradient(
        r"\operatorname{tr}(A B)", wrt=["B"], shapes={"A": "n,n", "B": "n,n"}, timeout=60
    )
    assert derivation.partials[0].matrix_steps == ()


@pytest.mark.parametrize(
    "latex,shapes,wrt",
    [
        (r"\sum_{i=1}^{N} (w x_i - y_i)^2", None, "w"),
    ],
    ids=["sum-over-data"],
)
def test_without_a_rule_for_every_node_the_index_form_stands_alone(latex, shapes, wrt):
    derivation = derive.gradient(latex, wrt=[wrt], shapes=shapes, timeout=60)
    assert derivation.partials[0].matrix_steps == ()
    assert "Backpropagation in matrix form" not in derivation.text()


@pytest.mark.parametrize(
    "rule,shown",
    [
        ("matrix product", r"\frac{\partial L}{\partial B} = A^{T} G"),
        ("transpose", r"\frac{\partial L}{\partial A} = G^{T}"),
        ("trace", r"\frac{\partial L}{\partial A} = g I"),
        ("squared norm", r"\frac{\partial L}{\partial u} = 2 g u"),
        ("elementwise function", r"f'\left(A\right) \circ G"),
    ],
    ids=["product", "transpose", "trace", "norm", "elementwise"],
)
def test_the_rule_table_shows_each_matrix_rule_as_it_computes(rule, shown):
    from derive.emit.rules import table_rows

    (row,) = [r for r in table_rows() if r.name == rule and r.family == "matrices"]
    assert shown in row.latex
    assert row.statement.startswith("∂L/∂")
