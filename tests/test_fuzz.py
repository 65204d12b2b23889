"""The fuzzer, bounded: random and mutated losses are answered or refused with a message,
never a crash, and every answer agrees with SymPy's own derivative. ``bench/fuzz.py`` runs
the same inputs by the hundred thousand."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.fuzz import classify
from tests.latex_grammar import random_input


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_random_losses_are_answered_or_refused_and_never_wrong(rng):
    latex = random_input(rng)
    category, detail, _ = classify(latex, timeout=5)
    assert category in ("accepted", "refused"), (latex, category, detail)
