"""Kinks, subgradients and the three forms of an answer."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from derive.api import gradient
from derive.proof.equality import evaluated
from derive.proof.equations import linear_solution, tidy_equation
from derive.proof.forms import cases_of
from tests.numeric import numpy_function

x, y, t = sympy.symbols("x y t", real=True)
m = sympy.Function("m_x", real=True)
w = sympy.Symbol("w", real=True)


@pytest.mark.parametrize(
    "difference,expected",
    [
        (m(w) - t, "Eq(m_x(w), t)"),
        (-sympy.Symbol("Delta", real=True) + x - y, "Eq(Delta + y, x)"),
        (x, "Eq(x, 0)"),
    ],
    ids=["seed-000", "seed-001", "plain"],
)
def test_equations_read_as_written(difference, expected):
    assert str(tidy_equation(difference)) == expected


def test_linear_solution_prefers_data_symbols():
    assert linear_solution(m(w) - t, w) == (t, m(w))
    assert linear_solution(x**2 - 1, x) is None


@pytest.mark.parametrize(
    "latex,wrt,form,expected",
    [
        (r"|x|", "x", "heaviside", 2 * sympy.Heaviside(x) - 1),
        (r"\max(x, 0)", "x", "sign", (1 + sympy.sign(x)) / 2),
        (r"\max(x, 0)", "x", None, sympy.Heaviside(x)),
        (r"|x|", "x", None, sympy.sign(x)),
    ],
    ids=["abs-heaviside", "max-sign", "max-derived", "abs-derived"],
)
def test_forms(latex, wrt, form, expected):
    assert evaluated(gradient(latex, wrt=wrt, form=form).result) == evaluated(expected)


@pytest.mark.parametrize(
    "latex,wrt,form",
    [
        (r"|x - y|", "x", "heaviside"),
        (r"\max(x, y^2)", "x", "sign"),
        (r"\min(x, 1) + |x|", "x", "heaviside"),
    ],
    ids=["abs", "max", "min-abs"],
)
def test_forms_are_equal_everywhere_including_kinks(latex, wrt, form):
    derived = gradient(latex, wrt=wrt).result
    converted = gradient(latex, wrt=wrt, form=form).result
    for value in (-1, 0, sympy.Rational(1, 2), 1):
        point = {s: value for s in derived.free_symbols}
        assert evaluated(derived.xreplace(point)) == evaluated(converted.xreplace(point))


def test_cases_of_seed_001():
    partial = gradient(r"\max(\Delta + s_c - s, 0)", wrt="s", form="cases").partials[0]
    values = {str(case.where): case.value for case in partial.cases}
    assert values == {"Delta - s + s_c > 0": -1, "Delta - s + s_c < 0": 0}
    (kink,) = partial.kinks
    assert kink.subgradient == (-1, 0) and kink.convention == -sympy.S.Half


def test_cases_drop_impossible_regions():
    rows = cases_of(sympy.sign(x) + sympy.sign(x - 1))
    assert len(rows) == 3
    assert {v for _, v in rows} == {2, 0, -2}


def test_cases_form_result_is_right_everywhere():
    partial = gradient(r"|x - 1| + \max(x, 0)", wrt="x", form="cases").partials[0]
    derived = gradient(r"|x - 1| + \max(x, 0)", wrt="x").result
    f, g = numpy_function(partial.result, [x]), numpy_function(derived, [x])
    points = np.linspace(-3, 3, 601)
    np.testing.assert_allclose(f(points), g(points))


def test_seed_000_subgradient_is_symbolic():
    (kink,) = gradient(r"|m_x(w) - t|", wrt="w").partials[0].kinks
    derivative = sympy.Derivative(m(w), w)
    assert set(kink.subgradient) == {derivative, -derivative}
    assert kink.convention == 0


def test_kink_inside_a_branch_keeps_its_region():
    huber = (
        r"\begin{cases} \frac{1}{2}x^2 & |x| \le \delta \\ "
        r"\delta(|x| - \frac{1}{2}\delta) & \text{otherwise} \end{cases}"
    )
    (kink,) = gradient(huber, wrt="x").partials[0].kinks
    assert "delta < 0" in str(kink.condition)


def test_kinks_of_a_three_way_max():
    """Two of three tie at a kink only where they are the max (once said of x = y alone)."""
    kinks = gradient(r"\max(x, y, 1)", wrt="x").partials[0].kinks
    assert {str(k.condition) for k in kinks} == {"Eq(x, y) & (x >= 1)", "Eq(x, 1) & (1 >= y)"}
    assert all(k.subgradient == (0, 1) for k in kinks)


def test_every_pair_of_a_three_way_min_kinks_where_it_is_the_min():
    """min(x, y, 1 − x) by x: at x = y ≤ 1 − x (slopes 1, 0), at x = 1 − x ≤ y (1, −1) and
    at y = 1 − x ≤ x (0, −1); the first and the last were once missed."""
    kinks = gradient(r"\min(x, y, 1 - x)", wrt="x").partials[0].kinks
    assert sorted(k.subgradient for k in kinks) == [(-1, 0), (-1, 1), (0, 1)]


def test_a_smooth_result_has_no_cases():
    partial = gradient(r"\tanh(w x)", wrt="w", form="cases").partials[0]
    assert partial.cases == ()
    assert "where" not in gradient(r"\tanh(w x)", wrt="w", form="cases").text()


def test_kinks_on_one_surface_are_analysed_together():
    """ReLU(x) and max(x, 0) both kink at 0: the subgradients are the hull of both sides."""
    kinks = gradient(r"|x - 1| + \max(x, 0) + \operatorname{ReLU}(x)", wrt="x").partials[0].kinks
    at = {str(k.condition): k.subgradient for k in kinks}
    assert at == {"Eq(x, 1)": (1, 3), "Eq(x, 0)": (-1, 1)}


def test_switches_that_cancel_leave_no_kink():
    assert gradient(r"\operatorname{ReLU}(x) - \max(x, 0)", wrt="x").partials[0].kinks == ()


def test_a_kink_where_the_loss_is_undefined_has_no_subgradient():
    (kink,) = gradient(r"\frac{\ln z}{\operatorname{ReLU}(z)}", wrt="z").partials[0].kinks
    assert kink.subgradient is None and "no finite value" in kink.note


def test_a_kink_where_the_slope_is_infinite_has_no_subgradient():
    """|√x| turns at x = 0, where √x has an infinite slope; where x < 0 its parts are not
    real, so the steps are compared only where x > 0 (they were reported failed)."""
    partial = gradient(r"\left|\sqrt{x}\right|", wrt="x").partials[0]
    assert partial.verified in ("proved", "checked")
    (kink,) = partial.kinks
    assert kink.subgradient is None and "no finite value" in kink.note


def test_a_failure_inside_sympy_refine_leaves_the_subgradient_unrefined():
    """SymPy's refine raises IndexError on this kink's region (found by the property test)."""
    cases = (
        r"\begin{cases} \sin(\max(x, \sin x)) & x^3 > 0 \\ "
        r"x^3 \sin(\max(x, \sin x)) & \text{otherwise} \end{cases}"
    )
    assert gradient(cases, wrt="x").partials[0].formula is not None


CASES_PROVED = [
    ("seed-001", r"\max(\Delta + s_c - s, 0)", "s"),
    ("abs", r"|m_x(w) - t|", "w"),
    ("relu-and-abs", r"\operatorname{ReLU}(x) + |y - x|", "x"),
    ("min", r"\min(x^2, 1)", "x"),
]


@pytest.mark.parametrize(
    "latex,wrt", [c[1:] for c in CASES_PROVED], ids=[c[0] for c in CASES_PROVED]
)
def test_every_region_value_of_the_cases_form_is_proved(latex, wrt):
    partial = gradient(latex, wrt=wrt, form="cases").partials[0]
    assert partial.cases and all(c.verified == "proved" for c in partial.cases)


def _broken(entry, positive_value):
    """``entry`` with a switch that gives ``positive_value(e)`` on the positive side."""
    import dataclasses

    from rules.registry import Switch

    switch = entry.switch
    value = lambda e, positive: positive_value(e) if positive else switch.value(e, False)  # noqa: E731
    return dataclasses.replace(entry, switch=Switch(switch.argument, value, switch.at_kink))


BROKEN = [
    # a wrong switch semantic gives a wrong region value: the proof must catch it
    ("sign", sympy.sign, r"|x - 1|", "x", lambda e: -sympy.S.One),
    ("heaviside", sympy.Heaviside, r"\max(x, 0)", "x", lambda e: sympy.S.Half),
    ("max", sympy.Max, r"x \max(x, y)", "x", lambda e: e.args[1]),
]


@pytest.mark.parametrize(
    "head,latex,wrt,wrong", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN]
)
def test_a_wrong_region_value_is_reported_failed_not_shown_as_proved(
    monkeypatch, head, latex, wrt, wrong
):
    from rules import registry

    monkeypatch.setitem(registry.ENTRIES, head, _broken(registry.ENTRIES[head], wrong))
    d = gradient(latex, wrt=wrt, form="cases")
    partial = d.partials[0]
    assert any(c.verified == "failed" for c in partial.cases)
    assert partial.verified == "failed"
    assert "FAILED" in d.text() and "region values FAILED verification" in d.text()
    assert '"verified": "failed"' in d.to_json()


@pytest.mark.parametrize("latex", [r"|\log x|", r"|\sqrt{x} - 1|", r"|\arcsin x|"])
def test_regions_where_the_loss_is_not_real_everywhere(latex):
    """A region's condition that is not real at a random point is no point of the region."""
    partial = gradient(latex, form="cases").partials[0]
    assert partial.cases and all(c.verified in ("proved", "checked") for c in partial.cases)


def test_a_region_far_from_zero_is_still_verified():
    cases = r"\begin{cases} \sin x & x < \pi \\ 0 & \text{otherwise} \end{cases}"
    partial = gradient(cases, form="cases").partials[0]
    assert [c.verified for c in partial.cases] == ["proved", "proved"]


SUBGRADIENTS = [
    # (loss, variable, the other symbols' values): at each kink the interval of subgradients
    # must span the derivative's one-sided limits, sampled across the kink
    ("abs-shifted", r"|x - 2|", "x", {}),
    ("pinball", r"\max(0.9 (y - f), -0.1 (y - f))", "f", {"y": 0.3}),
    ("max-2x-minus-x", r"\max(2x, -x)", "x", {}),
    ("max-au-bu", r"\max(a u, b u)", "u", {"a": 2.0, "b": -1.0}),
    ("pinball-symbolic-tau", r"\max(\tau (y - f), (\tau - 1)(y - f))", "f", {"tau": 0.7, "y": 1}),
    ("hinge", r"\max(0, 1 - y w)", "w", {"y": 1.5}),
    ("relu-shifted", r"\operatorname{ReLU}(3w - 1)", "w", {}),
    ("seed-001", r"\max(\Delta + s_c - s, 0)", "s", {"Delta": 1.0, "s_c": 0.5}),
    ("relu-plus-max", r"\operatorname{ReLU}(x) + \max(x, 0)", "x", {}),
    ("min-three", r"\min(x, 2 - x, 3)", "x", {}),
    ("abs-log", r"|\log x|", "x", {}),
    ("abs-exp-minus-one", r"|e^x - 1|", "x", {}),
    ("max-cube", r"\max(x^3, 1)", "x", {}),
]


@pytest.mark.parametrize(
    "latex,var,fixed", [c[1:] for c in SUBGRADIENTS], ids=[c[0] for c in SUBGRADIENTS]
)
def test_subgradients_span_the_one_sided_derivatives(latex, var, fixed, tmp_path):
    from derive.pictures import plot

    picture = plot(latex, var, str(tmp_path / "kinks.png"), fixed)
    assert picture.kinks
    for kink in picture.kinks:
        low, high = sorted((kink.left, kink.right))
        assert kink.subgradient is not None
        assert kink.subgradient == pytest.approx((low, high), abs=1e-6)


@pytest.mark.parametrize(
    "latex,point,subgradient,value",
    [
        (r"\max(x, 2x, 3x, 4x)", 0, (1, 4), sympy.Rational(5, 2)),  # once 5: outside
        (r"\min(x, 2x, 3x, 4x)", 0, (1, 4), sympy.Rational(5, 2)),
        (r"\max(x, 2x, 3x)", 0, (1, 3), 2),  # once reported as no kink at all
        (r"\max(0, x, 2x)", 0, (0, 2), 1),
        (r"\max(x, -x, 3x, 0)", 0, (-1, 3), sympy.Rational(3, 4)),
    ],
    ids=["four-way-max", "four-way-min", "three-way-max", "three-way-with-zero", "with-a-zero"],
)
def test_a_tie_of_more_than_two_gives_the_convex_hull_of_their_slopes(
    latex, point, subgradient, value
):
    """Where k > 2 arguments of a max tie, the subgradients run from the least to the
    largest of their slopes, and the formula gives the mean of the k slopes: a subgradient
    (each switch H(0) = 1/2 alone would give k/2 times the mean)."""
    kinks = gradient(latex, wrt="x").partials[0].kinks
    at_point = [k for k in kinks if k.condition == sympy.Eq(x, point)]
    assert len(at_point) == 1
    (kink,) = at_point
    assert kink.subgradient == tuple(sympy.Integer(v) for v in subgradient)
    assert kink.convention == value
    assert "not one of them" not in kink.note


@pytest.mark.parametrize(
    "latex,tie,shares",
    [
        (r"\max(x, y, z)", {"x": 1, "y": 1, "z": 1}, {"x": 1 / 3, "y": 1 / 3, "z": 1 / 3}),
        (r"\max(x, y, z)", {"x": 1, "y": 1, "z": 0}, {"x": 0.5, "y": 0.5, "z": 0}),
        (r"\min(x, y, z, w)", {"x": 0, "y": 0, "z": 0, "w": 0}, dict.fromkeys("xyzw", 0.25)),
        (
            r"\max(0, 1 + a - c, 1 + b - c)",
            {"a": 0, "b": 0, "c": 1},
            {"a": 1 / 3, "b": 1 / 3, "c": -2 / 3},
        ),
    ],
    ids=["three-tie", "two-of-three", "four-tie-min", "multiclass-hinge-at-zero"],
)
def test_the_gradient_at_a_tie_is_an_equal_share_in_the_derivation_and_the_module(
    latex, tie, shares
):
    """At a tie of k arguments of a max (min), each gets 1/k of the gradient: the
    derivation's formula and the generated module alike (the switches over their sum)."""
    derivation = gradient(latex)
    symbols = {str(p.var): p.var for p in derivation.partials}
    point = {symbols[name]: value for name, value in tie.items()}
    for partial in derivation.partials:
        assert float(partial.result.xreplace(point)) == pytest.approx(shares[str(partial.var)])
    namespace: dict = {}
    exec(compile(derivation.code(), "<module>", "exec"), namespace)  # noqa: S102
    values = namespace["gradient"](**{name: float(v) for name, v in tie.items()})
    assert [float(v) for v in values] == pytest.approx(
        [shares[str(p.var)] for p in derivation.partials]
    )


def test_a_tie_below_the_max_is_no_kink():
    """max(x, 2x, 5): x and 2x tie at x = 0, below 5, where the slope is 0 on both sides;
    the kink is where 2x reaches 5 (once reported the other way round)."""
    kinks = gradient(r"\max(x, 2x, 5)", wrt="x").partials[0].kinks
    assert [(k.condition, k.subgradient) for k in kinks] == [
        (sympy.Eq(2 * x, 5), (sympy.Integer(0), sympy.Integer(2)))
    ]
