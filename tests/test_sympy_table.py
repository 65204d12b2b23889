"""SymPy's own LaTeX parser table (GOOD_PAIRS of sympy/parsing/tests/test_latex.py): every
pair is read to the same expression, or refused with a message naming the construct, or is one
of the few readings that differ on purpose, each stated in the reading notes. No silent
disagreement."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sympy

import derive
from derive.errors import DeriveError
from derive.proof.equality import evaluated, is_zero, numerically_equal

TABLE = json.loads((Path(__file__).parent / "data" / "sympy_latex_pairs.json").read_text())
PAIRS = [(p["latex"], p["sympy"]) for p in TABLE["pairs"]]

# Readings that differ from SymPy's on purpose: why, and what the notes say (None: the
# reading is the standard meaning and needs no note).
DELIBERATE = {
    r"\overline{z}": ("a bar is a name in ML notes (a mean), not a conjugate", "not a complex"),
    r"\overline{\overline{z}}": ("a bar is a name, not a conjugate", "not a complex"),
    r"\overline{x} + \overline{y}": ("a bar is a name, not a conjugate", "not a complex"),
    r"\pi^{|xy|}": ("\\pi is the constant; SymPy's table expects a symbol named pi", None),
    r"f'_1(x)": ("a prime on a function is its derivative; the table names a function f_1'", None),
    r"f_{1}''(x+y)": ("primes are derivatives; the table names a function f_1''", None),
}


def _key(name: str) -> str:
    """A name without the spelling details in which derive's identifiers and SymPy's differ:
    braces, backslashes, spaces, primes spelled out, a trailing underscore."""
    name = re.sub(r"[{}\\ ]", "", name).replace("'", "_prime")
    return name.rstrip("_")


def _in_our_names(expected: sympy.Expr, read: sympy.Expr) -> sympy.Expr:
    """SymPy's expected expression with its symbols and functions made real and renamed to
    the ones derive read (by their key)."""
    ours = {_key(s.name): s for s in read.free_symbols}
    functions = {
        _key(f.func.__name__): f.func for f in read.atoms(sympy.core.function.AppliedUndef)
    }
    symbols = {
        s: ours.get(_key(s.name), sympy.Symbol(s.name, real=True)) for s in expected.free_symbols
    }
    expected = expected.xreplace(symbols)
    for f in expected.atoms(sympy.core.function.AppliedUndef):
        name = _key(f.func.__name__)
        expected = expected.replace(f.func, functions.get(name, sympy.Function(name, real=True)))
    return expected


def _agrees(read: sympy.Expr, expected: sympy.Basic) -> bool:
    if isinstance(expected, sympy.Equality):  # x = y: read as the loss x defined as y
        expected = expected.rhs
    if not isinstance(expected, sympy.Expr):
        return False
    expected = _in_our_names(expected, read)
    if evaluated(read) == evaluated(expected):
        return True
    return bool(is_zero(read - expected, 5)) or bool(numerically_equal(read, expected))


@pytest.mark.parametrize("latex,expected", PAIRS, ids=[p[0] for p in PAIRS])
def test_each_pair_agrees_or_is_refused_with_a_reason(latex, expected):
    expected = sympy.sympify(expected)  # the table's own srepr: test data, not user input
    try:
        loss = derive.parse_loss(latex)
    except DeriveError as error:
        message = str(error)
        assert not message.startswith("cannot read this"), message  # it names the construct
        return
    if latex in DELIBERATE:
        _, phrase = DELIBERATE[latex]
        assert phrase is None or any(phrase in str(r) for r in loss.readings), loss.readings
        return
    assert _agrees(loss.expr, expected), (str(loss.expr), str(expected))


def test_the_whole_table_is_in_scope():
    assert len(PAIRS) >= 180
