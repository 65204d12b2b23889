"""The fuzzer, bounded: random and mutated losses are answered or refused with a message,
never a crash, and every answer agrees with SymPy's own derivative. ``bench/fuzz.py`` runs
the same inputs by the hundred thousand."""

from __future__ import annotations

import time

import pytest
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


FOUND = [
    # (id, input): each crashed in a campaign of bench/fuzz.py (seed 100 unless said)
    # "wrong" (derive's own check said FAILED): x^(E - 1) against x^E/x at E = cosh(100) gave
    # values near 10^(10^73) that differed by a factor x at 30, 60 and 120 digits alike
    (
        "astronomical-power",
        r"(\max\{0, w^\top x - w^\top x + y_i \cdot 1 - s_c\})^{\max(x_i^\top w, "
        r"\cosh(\max\{0, 100 - w_{12}\}))}",
    ),
    ("indicator-never-real", r"\left|\mathbf{1}[\frac{\sqrt{\ln -1}}{t} > y - 1.5]\right|"),
    ("value-not-split", r"\log(1 + e^{\log_2(\arctan(\ln \log_2(\text{lr})))})"),
    # SymPy's own derivative (the fuzzer's cross-check) fails on ReLU of a non-real branch
    (
        "reference-not-real",
        r"\operatorname{ReLU}(\ln \begin{cases} x1 & x > 0 \\ \tan(100) & \text{otherwise}"
        r" \end{cases})",
    ),
    # an exponent that is nan (cos of log 0) was compared with 1 (seed 7, sums in the grammar)
    ("nan-exponent", r"\max(w, 0) + e^{\cos(\log_2(0))}"),
    # x both the array of x_j and a number: a substitution for x reached the array (seed 8)
    (
        "array-and-number",
        r"\sum_{j=0}^{n-1} x_j \max\{0, \begin{cases} 2 & x > 0 \\ s_c & \text{otherwise}"
        r" \end{cases} - x\}",
    ),
    # the log of a vector inside a function reached SymPy's matrix arithmetic (seed 10)
    ("log-of-a-vector", r"\tan(wx) + \operatorname{sgn}(\log(\mathbf{w}))"),
    # a sum inside exp came back from SymPy's simplify as a product, which the check's
    # written-out oracle did not expand: counted wrong (seed 10)
    (
        "product-from-a-sum",
        r"\begin{aligned} L &= \cos(x') \exp(\|\mathbf{w}\|^2) + z_{0} \\ z_{1} &= x' \\"
        r" z_{0} &= z_{1} (-\log_2(\sigma)) \end{aligned}",
    ),
    # a sum whose terms are vectors reached SymPy (seed 10)
    (
        "sum-of-vectors",
        r"\sum_{j=0}^{n-1} x_j \max(\min(\operatorname{erf}(1.5), x_1), \min(\exp(\mathbf{w}), 1))",
    ),
    # the derivative h'(z) of an unknown function at a defined z was rebuilt as d/d(wx + b)
    # (the campaign at 719ca7d, a mutation of examples/tanh_unit.tex)
    ("derivative-at-a-definition", "z = w x + b\na = nh(z)\nL = (a - y)^2"),
    # \ln w without parentheses built SymPy's log of a vector (the campaign at 719ca7d)
    (
        "unbracketed-log-of-a-vector",
        r"\begin{aligned} L &= \max\{0, \sum_{j=0}^{n-1} x_j b - \max\{0, \bar{x} - -1\}\}"
        r" + z_{0} \\ z_{0} &= \log(\ln \mathbf{w}) \end{aligned}",
    ),
    # SymPy's LaTeX printer asked whether min(x₁/x̄ + x̄, −σ(b)) is constant by putting 0 in it
    (
        "printer-nan-at-zero",
        r"\max\{0, \exp(\min(\frac{x_1}{\bar{x}} + \bar{x}, -\sigma(b))) - "
        r"\sigma(\left|\log_2(\frac{b}{beta})\right|)\}",
    ),
    # max of a vector and a value that is not real, each element built without a guard
    # (the campaign at a98bf5d, 3 crashes in 26,600 inputs, all in reading)
    (
        "max-of-a-vector-and-a-complex-value",
        r"\sin(\min(-\max(\max\{0, b - \lambda\}, \tanh(\mathbf{w})), \log(-1) + \tan(10)))",
    ),
    # √(Σᵢ −1) compared in a max once the bound N became a whole number
    (
        "bound-made-whole-in-a-max",
        r"\begin{cases} \tanh(\max(\sqrt{\sum_i (-1)}, \mathbf{1}[w_{12} > y] + \pi, 0)) & x > 0"
        r" \\ \lambda & \text{otherwise} \end{cases}",
    ),
    # latex2sympy2_extended's error for an empty fragment (\mathbf{} in a norm) had no column
    ("empty-fragment", r"\log(-\max\{0,+ 10 - \|\mathbf{}\|^2\} \cdot \text{lr})"),
    # SymPy's solve answered a kink's equation with tuples (the campaign at 628c319)
    (
        "solutions-as-tuples",
        r"\min(\sqrt{\min(0, x_1)}, \operatorname{ReLU}(\max(\operatorname{sinc}(-\pi),"
        r" \operatorname{erf}(x_1 + beta))))",
    ),
    # a power of a vector (a MatPow) reached the index form (the campaign at 628c319)
    ("power-of-a-vector", r"(\|(\mathbf{w})^{wx} \mathbf{w} - \mathbf{x}\|^2)^{\bar{x}}"),
    # max(…)^(e¹⁰⁰ − 1) against SymPy's max(…)^(e¹⁰⁰)/max(…) at 30 digits: counted wrong, but
    # the exponent's last digit was worth 10¹³ in the power (the campaign at a98bf5d)
    (
        "huge-exponent-precision",
        r"\begin{aligned} z_{0} &= \tan(s_c) - \text{lr} w_i + (3)^{\text{lr}} \\ L &="
        r" (\max(\sigma, \mathbf{w}^\top \mathbf{x}, 0))^{e^{100}} + z_{0} \end{aligned}",
    ),
    # 1·(a vector holding a sum) made SymPy work the sum out, and its Gosper step raised
    # TypeError (the campaign at 97b54b9, input 1359): a term after no sign is not multiplied
    (
        "sum-worked-out-by-a-sign",
        r"\cosh(\mathbf{w}^\top \sigma(\|\begin{cases} \frac12 & x > 0 \\ \mathbf{x}^\top"
        r" \log \operatorname{softmax}(\mathbf{w}) & \text{otherwise} \end{cases} \mathbf{w}"
        r" - \mathbf{x}\|^2 \mathbf{x}))",
    ),
    # simplify's powsimp met log((3/2)^((3/2)^(x̄ + 100))) and multiplied the exponents into
    # a whole number of billions of digits, in C: the deadline could not stop it (the hunt at
    # 677cd10, seed 400, input 6874)
    (
        "tower-of-powers-of-a-fraction",
        "z_{0} = \\frac{\\|\\mathbf{w} \\odot \\mathbf{x}\\|^2}{100} + z_{1}\n"
        "L = (1.5)^{100 + \\bar{x}} + z_{0}\nz_{2} = \\min(10, 2) - \\sin(0.5)\n"
        "z_{1} = z_{2} (\\max\\{0, \\pi - \\theta^T x_i\\})",
    ),
    # over time (40 s against 10): a point put into e^(max(2, x₁)^(β^100)) made SymPy work out
    # exp of a number with 10^8 binary digits, in one C call (the campaign at 1d1602f)
    (
        "exp-of-an-astronomical-power",
        r"\max(\log(1 + e^{(\max(2, x1))^{(beta)^{100}}}), \mathbf{1}[w_{12} - s_c > \max(x,"
        r" x_1)])",
    ),
    # a power of a vector (√w) in a norm reached the index form (the campaign at 628c319)
    (
        "power-of-a-vector",
        r"\max(\left|\log_2(0)\right|, \lambda, 0)"
        r" \cos(\|\sqrt{\mathbf{w}} \mathbf{w} - \mathbf{x}\|^2)",
    ),
]


@pytest.mark.parametrize("latex", [f[1] for f in FOUND], ids=[f[0] for f in FOUND])
def test_inputs_the_campaign_found_are_answered_or_refused(latex):
    category, detail, _ = classify(latex, timeout=20)
    assert category in ("accepted", "refused"), (latex, category, detail)


def _stuck_on_the_second(task):
    index, latex, _ = task
    if index == 1:
        time.sleep(60)  # as work in C that no deadline reaches
    return (index, latex, "accepted", "", 0.0)


def test_a_worker_stuck_past_its_deadline_is_stopped_and_the_input_counted_over_time(
    monkeypatch,
):
    from bench import fuzz

    monkeypatch.setattr(fuzz, "_job", _stuck_on_the_second)
    monkeypatch.setattr(fuzz, "HUNG", 0.5)
    tasks = [(k, f"x_{k}", 0.1) for k in range(4)]
    found = {index: (category, detail) for index, _, category, detail, _ in fuzz.results(tasks, 2)}
    assert sorted(found) == [0, 1, 2, 3]
    assert found[1][0] == "over-time" and found[1][1].startswith("hung: stopped after")
    assert all(found[k][0] == "accepted" for k in (0, 2, 3))


@pytest.mark.parametrize(
    "wall,cpu,timeout,over",
    [
        (10.5, 10.4, 10, False),  # stopped at its deadline on an idle machine
        (12.5, 12.4, 10, True),  # ran 2.5 s of its own work past it
        (30.0, 7.5, 10, True),  # 20 s past it with a quarter of a core: 5 s of work
        (13.0, 3.3, 10, False),  # 3 s past it with a quarter of a core: waiting, not work
        (71.0, 17.0, 10, True),  # the campaign's "hung 71 s" at a quarter core still counts
        (0.0, 0.0, 10, False),
    ],
    ids=["idle-on-time", "idle-over", "loaded-over", "loaded-waiting", "loaded-hung", "instant"],
)
def test_an_overrun_counts_in_the_cpu_time_the_call_got(wall, cpu, timeout, over):
    from bench.fuzz import overran

    assert overran(wall, cpu, timeout) is over


UNSEEN_INPUTS = [
    r"\max(0, 1 - y(w x + b))",
    r"\frac{1}{N}\sum_i (w x_i - y_i)^2",
    r"\sigma(w x) + |x|^3 + \min(x, y, 2)",
    r"\begin{cases} x^2 & x > 0 \\ 0 & \text{otherwise} \end{cases}",
    r"\|W x + b\|^2",
    r"f(x^2, y) + g'(x)",
    "z = w x + b\nL = \\log(1 + e^{-y z})",
    r"\log_2(x) + \operatorname{ReLU}(x - 1)",
    r"x^{",
]


def test_the_fuzzer_never_loads_the_code_it_leaves_out_of_its_fingerprint():
    """A journal's fingerprint leaves out the modules in NOT_RUN, so that work on them does
    not orphan a campaign: the fuzzer must never run them."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from bench.fuzz import NOT_RUN, classify\n"
        f"for latex in {UNSEEN_INPUTS!r}:\n"
        "    classify(latex, 10)\n"
        "names = [p.removesuffix('.py').rstrip('/').replace('/', '.') for p in NOT_RUN]\n"
        "print([m for m in sys.modules if any(m == n or m.startswith(n + '.') for n in names)])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "edited,kept",
    [
        ('def f(x):\n    """Twice x, corrected."""\n    return 2 * x\n', True),
        ('def f(x):\n    """Twice x."""\n    return 2 * x  # doubled\n', True),
        ('def f(x):\n    """Twice x."""\n    return x + x\n', False),
        ('def f(x):\n    """Twice x."""\n    return 2 * x\n\n\nLIMIT = 3\n', False),
    ],
    ids=["docstring", "comment", "statement", "new-name"],
)
def test_a_campaign_outlives_a_corrected_docstring_but_not_a_change_in_code(tmp_path, edited, kept):
    from bench.fuzz import _code_of

    module = tmp_path / "module.py"
    module.write_text('def f(x):\n    """Twice x."""\n    return 2 * x\n', encoding="utf-8")
    before = _code_of(module)
    module.write_text(edited, encoding="utf-8")
    assert (_code_of(module) == before) is kept
