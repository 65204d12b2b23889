"""Proof, numeric check and failure: each verdict happens when it should, and only then."""

from __future__ import annotations

import time

import pytest
import sympy

from derive.model import CHECKED, FAILED, PROVED, Step
from derive.proof.deadline import TimeUp, time_limit
from derive.proof.equality import is_zero, numerically_equal
from derive.proof.prover import Budget, Prover
from rules.registry import rule_named

x, y = sympy.symbols("x y", real=True)
m = sympy.Function("m", real=True)


@pytest.mark.parametrize(
    "claimed,reference,verdict",
    [
        (2 * x, sympy.diff(x**2, x), PROVED),
        (sympy.cos(x) ** 2 - sympy.sin(x) ** 2, sympy.cos(2 * x), PROVED),
        (sympy.sign(x - y, evaluate=False), -sympy.sign(y - x), PROVED),
        (sympy.Heaviside(x, 0), sympy.Piecewise((1, x > 0), (0, True)), PROVED),
        (sympy.Derivative(m(x), x), sympy.diff(m(x), x), PROVED),
        (3 * x, 2 * x, FAILED),
        (sympy.sign(x), sympy.S.One, FAILED),
    ],
    ids=[
        "power",
        "trig-identity",
        "sign-orientation",
        "relu-step",
        "unknown",
        "wrong",
        "sign-not-one",
    ],
)
def test_status(claimed, reference, verdict):
    assert Prover(Budget(10)).equal(claimed, reference) == verdict


def test_numeric_check_when_sympy_cannot_decide(monkeypatch):
    import derive.proof.prover as prover

    monkeypatch.setattr(prover, "is_zero", lambda expr, seconds: None)
    assert Prover().equal(sympy.cos(x) ** 2 + sympy.sin(x) ** 2, sympy.S.One) == CHECKED


def test_numeric_check_finds_a_disagreement():
    assert numerically_equal(sympy.Abs(x), x) is False
    assert numerically_equal(sympy.exp(sympy.exp(sympy.exp(x))), sympy.exp(sympy.exp(sympy.exp(x))))


def test_numeric_check_with_unknown_functions():
    assert numerically_equal(sympy.Derivative(m(x), x) * 2, 2 * sympy.Derivative(m(x), x))
    assert numerically_equal(sympy.Derivative(m(x), x), m(x)) is False


def test_a_wrong_step_is_marked_failed_not_hidden():
    wrong = Step(rule_named("power rule"), x**2, x, 3 * x, 3 * x)
    assert Prover().verify(wrong).verified == FAILED


def test_is_zero_gives_up_within_its_time():
    started = time.monotonic()
    hard = sympy.expand((x + y + 1) ** 30) - sympy.expand((x + y + 1) ** 30 + 1)
    assert is_zero(hard, seconds=0.2) in (None, False)
    assert time.monotonic() - started < 5


def test_time_limits_nest():
    with pytest.raises(TimeUp):
        with time_limit(0.3):
            with time_limit(5):
                pass
            time.sleep(1)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # see deadline.py
def test_a_swallowed_alarm_rings_again():
    """An alarm raised where Python ignores exceptions (a gc callback) must not end the limit."""
    import gc

    swallowed = []

    def callback(phase, info):
        if phase == "start" and not swallowed:
            swallowed.append(True)
            time.sleep(0.3)  # the alarm rings here, inside the callback, and is ignored

    gc.callbacks.append(callback)
    try:
        with pytest.raises(TimeUp):
            with time_limit(0.1):
                gc.collect()
                time.sleep(2)
    finally:
        gc.callbacks.remove(callback)


def test_an_error_inside_sympy_means_not_proved():
    """SymPy's simplify raises on max(x, constant it cannot compare); that is no verdict."""
    from derive.engine import derivative_steps
    from rules.neural import sigmoid, softplus

    c = sympy.sin(2) / sympy.sqrt(sympy.sin(2) ** 2 + 1)
    step, _ = derivative_steps(sympy.Max(x, sigmoid(x), softplus(c)), x)
    assert Prover(Budget(6)).verify(step).verified in (PROVED, CHECKED)
