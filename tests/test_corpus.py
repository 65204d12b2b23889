"""Losses as public documentation writes them (PyTorch, scikit-learn, LossFunctions.jl,
CS231n, d2l, torchmetrics, optax, SciPy, Wikipedia, …), copied verbatim with their sources in
tests/data/corpus.json: each is read as its author meant (the hand-written ``intended``), or
read otherwise with a note that says so, or refused with a message. No silent misread."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sympy
from sympy.core.function import AppliedUndef

import derive
from derive.errors import DeriveError
from derive.proof.equality import evaluated, is_zero, numerically_equal
from rules.registry import plain_form

CORPUS = json.loads((Path(__file__).parent / "data" / "corpus.json").read_text())["losses"]
# The functions and constants a hand-written ``intended`` may use; every other name is a symbol.
SYMPY_NAMES = {
    "exp", "log", "sqrt", "Abs", "Max", "Min", "Piecewise", "sign", "sin", "cos", "tanh",
    "cosh", "atan", "erf", "Eq", "Ne", "And", "Or", "pi", "oo", "E", "True", "False", "Sum",
}  # fmt: skip


def _intended(row: dict, read: sympy.Expr) -> sympy.Expr:
    """The hand-written meaning, its names put in derive's terms (``names``: f_x_i is f(x_i))."""
    symbols = {s.name: s for s in read.free_symbols if isinstance(s, sympy.Symbol)}
    symbols.update({b.label.name: b for b in read.atoms(sympy.IndexedBase)})  # arrays: y[i]
    for total in read.atoms(sympy.Sum):  # the indices of sums: whole numbers
        symbols.update({index.name: index for index, _, _ in total.limits})
    functions = {f.func.__name__: f.func for f in read.atoms(AppliedUndef)}
    names = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", row["intended"])) - SYMPY_NAMES
    local = {n: symbols.get(n, sympy.Symbol(n, real=True)) for n in names}
    local.update(functions)
    for name, ours in row.get("names", {}).items():
        local[name] = sympy.sympify(ours, locals={**symbols, **functions})
    return sympy.sympify(row["intended"], locals=local)  # test data written by hand


def _same(read: sympy.Expr, want: sympy.Expr) -> bool:
    read = plain_form(read)
    if evaluated(read) == evaluated(want):
        return True
    return bool(is_zero(read - want, 10)) or bool(numerically_equal(read, want))


@pytest.mark.parametrize("row", CORPUS, ids=[r["id"] for r in CORPUS])
def test_documentation_losses(row):
    if row["outcome"] == "refused":
        with pytest.raises(DeriveError) as caught:
            derive.parse_loss(row["latex"])
        assert str(caught.value).startswith(row["message"])
        return
    loss = derive.parse_loss(row["latex"])
    if row["outcome"] == "read-as-intended":
        assert _same(loss.expr, _intended(row, loss.expr)), (str(loss.expr), row["intended"])
    else:  # read otherwise: the notes say how, and how to write the intended reading
        assert row["outcome"] == "read-otherwise-noted"
        assert row["note"] in [str(r) for r in loss.readings]


def test_the_corpus_is_large_and_sourced():
    assert len(CORPUS) >= 60
    assert all(r["source"] and r["latex"] for r in CORPUS)
    read = [r for r in CORPUS if r["outcome"] == "read-as-intended"]
    assert len(read) >= 60
