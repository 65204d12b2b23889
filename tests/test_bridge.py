"""The fast path of the bridge to latex2sympy2_extended: every fragment it reads itself it
reads as the library does, over the documentation corpus, SymPy's parser table and random
inputs of the fuzzer's grammar."""

from __future__ import annotations

import random

import pytest
import sympy

import derive
from derive.read import bridge
from tests.latex_grammar import corpus, random_input


def _fragments(inputs) -> set[str]:
    """Every fragment the reader hands the bridge while reading ``inputs``."""
    seen: set[str] = set()
    original = bridge.flat_product

    def recording(text):
        seen.add(text)
        return original(text)

    bridge.flat_product = recording
    try:
        for latex in inputs:
            try:
                derive.parse_loss(latex)
            except derive.DeriveError:
                pass
    finally:
        bridge.flat_product = original
    return seen


def test_fragments_read_without_the_library_are_read_as_the_library_does():
    rng = random.Random(5)
    inputs = [*corpus(), *(random_input(rng) for _ in range(300))]
    fragments = _fragments(inputs)
    fast = [text for text in fragments if bridge.flat_product(text) is not None]
    assert len(fast) >= 20 and len(fast) < len(fragments)  # both paths are exercised
    for text in fast:
        assert sympy.srepr(bridge.flat_product(text)) == sympy.srepr(bridge._latex2sympy(text))


@pytest.mark.parametrize(
    "text",
    [
        r"\variable{Q0}^{\variable{Q1}}^{\variable{Q2}}",  # left-associative in the library
        r"\variable{Q0}/ \variable{Q1}\variable{Q2}",  # a/(b c) in the library
        r"\variable{Q0}\cdot",
        r"\cdot \variable{Q0}",
        r"\variable{Q0} + \variable{Q1}",
        "",
    ],
    ids=["power-of-a-power", "slash", "trailing-dot", "leading-dot", "sum", "empty"],
)
def test_anything_else_goes_to_the_library(text):
    assert bridge.flat_product(text) is None
