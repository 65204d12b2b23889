"""Generated NumPy gradients against careful hand-written ones (issue 13: a median ratio of
at most 1.0 on every loss, at n = 10³ and 10⁶).

Each loss is given as LaTeX and differentiated by derive (`derive.gradient(...).compile()`);
its reference is a `gradient` with the same signature written by hand from the mathematics,
not from derive's output: fresh temporaries updated in place (`out=`, `*=`), boolean masks
and sign tricks for the switches, no `np.heaviside` and no `np.where` on a random mask, the
stable softplus max(a, 0) + log1p(e^(−|a|)). Before timing, both must agree: `np.allclose`
at random points, and exactly at the kinks (sign(0) = 0, Heaviside(0) = 1/2, ReLU'(0) = 0, a
tie in max splits equally) and at the extremes (|z| = 1000: finite, no warning).

Timing: rounds interleave the columns (derive, hand, derive, hand, … in alternating order),
each sample a batch of calls taking about `--sample` seconds; the table gives the median
time of one call and, per loss and size, the median of the per-round ratios derive/hand
with their interquartile range. A column is a function `(case, arguments) -> gradient or
None` in COLUMNS: JAX's `jit(vmap(grad))` is one, shown when JAX is importable.

    python bench/codegen_speed.py [--sizes 1000 1000000] [--rounds 31] [--sample 0.02]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

import derive

# ---------------------------------------------------------------- hand-written references


def hand_abs(w, t, x):
    """∂/∂w |wx − t| = x·sign(wx − t), sign(0) = 0."""
    r = w * x
    r -= t
    g = np.sign(r)  # into a new array: np.sign(r, out=r) takes NumPy's slow scalar loop
    g *= x
    return g


def hand_margin(s, s_c, Delta):
    """∂/∂s, ∂/∂s_c of max(Δ + s_c − s, 0): −H(m), H(m) with m = Δ + s_c − s, H(0) = 1/2."""
    m = s_c - s
    m += Delta
    h = np.sign(m)
    h += 1
    h *= 0.5  # H(m) = (1 + sign m)/2: 1/2 at the tie
    return -h, h


def hand_hinge(w, x, y):
    """∂/∂w max(0, 1 − ywx) = −xy·H(1 − ywx), H(0) = 1/2."""
    xy = x * y
    m = w * xy
    m -= 1  # ywx − 1
    g = np.sign(m)
    g -= 1
    g *= 0.5  # (sign(ywx − 1) − 1)/2 = −H(1 − ywx)
    g *= xy
    return g


def hand_logistic(w, b, x, y):
    """∂/∂w, ∂/∂b of log(1 + e^(−z)), z = y(wx + b): −xy·σ(−z) and −y·σ(−z)."""
    z = w * x
    z += b
    z *= y
    with np.errstate(over="ignore"):  # e^z = inf for z > 709, and then σ(−z) = 1/inf = 0
        np.exp(z, out=z)
    z += 1
    np.divide(y, z, out=z)  # y σ(−z) = y/(1 + e^z)
    np.negative(z, out=z)
    return z * x, z


def hand_huber(delta, y, y_hat):
    """∂/∂ŷ of the Huber loss of r = y − ŷ: ŷ − y clipped to [−δ, δ] (δ > 0)."""
    g = y_hat - y
    np.clip(g, -delta, delta, out=g)
    return g


def hand_softplus(w, x):
    """∂/∂w log(1 + e^(wx)) = x·σ(wx) = x/(1 + e^(−wx))."""
    z = w * x
    np.negative(z, out=z)
    with np.errstate(over="ignore"):
        np.exp(z, out=z)
    z += 1
    np.divide(x, z, out=z)
    return z


def hand_focal(z):
    """∂/∂z of −(1 − p)² log p, p = σ(z): q²(2p log p − q), q = 1 − p = σ(−z), with
    log p = min(z, 0) − log(1 + e^(−|z|)) and log q = −max(z, 0) − log(1 + e^(−|z|))."""
    t = np.abs(z)
    np.negative(t, out=t)
    np.exp(t, out=t)
    np.log1p(t, out=t)  # log(1 + e^(−|z|))
    log_p = np.minimum(z, 0)
    log_p -= t
    q = np.maximum(z, 0)
    q += t
    np.negative(q, out=q)
    np.exp(q, out=q)  # q = σ(−z)
    g = np.exp(log_p)  # p = σ(z)
    g *= log_p
    g *= 2
    g -= q
    g *= q
    g *= q
    return g


def hand_bce(w, b, x, y):
    """∂/∂w, ∂/∂b of −y log σ(z) − (1 − y) log(1 − σ(z)), z = wx + b: x(σ(z) − y), σ(z) − y."""
    s = w * x
    s += b
    np.negative(s, out=s)
    with np.errstate(over="ignore"):
        np.exp(s, out=s)
    s += 1
    np.reciprocal(s, out=s)  # σ(z) = 1/(1 + e^(−z))
    s -= y
    return s * x, s


def hand_relu_net(v_1, v_2, a_1, a_2, c_1, c_2, x, y):
    """The gradient of (v₁ReLU(a₁x + c₁) + v₂ReLU(a₂x + c₂) − y)²/2, ReLU'(0) = 0."""
    h_1 = a_1 * x
    h_1 += c_1
    np.maximum(h_1, 0, out=h_1)  # ReLU(a₁x + c₁), > 0 exactly where a₁x + c₁ > 0
    h_2 = a_2 * x
    h_2 += c_2
    np.maximum(h_2, 0, out=h_2)
    e = v_1 * h_1
    e += v_2 * h_2
    e -= y  # the residual: ∂L/∂(output)
    dc_1 = v_1 * e
    dc_1 *= h_1 > 0
    dc_2 = v_2 * e
    dc_2 *= h_2 > 0
    return e * h_1, e * h_2, dc_1 * x, dc_2 * x, dc_1, dc_2


# ---------------------------------------------------------------- the losses


def normal(rng, n, scale=1.0):
    return rng.normal(scale=scale, size=n)


def labels(rng, n):
    return rng.choice([-1.0, 1.0], size=n)


@dataclass
class Case:
    """A loss: its LaTeX and variables, its hand-written gradient, random arguments, points
    on its kinks and at its extremes (each a dict of arguments), and the loss for JAX."""

    name: str
    latex: str
    wrt: list[str]
    hand: object
    draw: object  # (rng, n) -> arguments
    kinks: list[dict] = field(default_factory=list)
    jax_loss: object = None  # (jnp, *PARAMETERS) -> the loss of one example
    extremes: list[dict] = field(default_factory=list)


A = np.array
CASES = [
    Case("|w x - t|", r"|w x - t|", ["w"], hand_abs,
         lambda rng, n: dict(w=0.7, t=normal(rng, n), x=normal(rng, n)),
         [dict(w=2.0, t=A([6.0, 0.0, -1.0]), x=A([3.0, 0.0, 0.5]))],
         lambda np_, w, t, x: np_.abs(w * x - t)),
    Case("max margin", r"\max(\Delta + s_c - s, 0)", ["s", "s_c"], hand_margin,
         lambda rng, n: dict(s=normal(rng, n), s_c=normal(rng, n), Delta=1.0),
         [dict(s=A([1.5, 2.0, 0.0]), s_c=A([0.5, 0.0, 2.0]), Delta=1.0)],
         lambda np_, s, s_c, Delta: np_.maximum(Delta + s_c - s, 0)),
    Case("hinge", r"\max(0, 1 - y w x)", ["w"], hand_hinge,
         lambda rng, n: dict(w=0.8, x=normal(rng, n), y=labels(rng, n)),
         [dict(w=0.5, x=A([2.0, -2.0, 1.0]), y=A([1.0, -1.0, 1.0]))],
         lambda np_, w, x, y: np_.maximum(0, 1 - y * w * x)),
    Case("logistic", r"\log(1 + e^{-y(w x + b)})", ["w", "b"], hand_logistic,
         lambda rng, n: dict(w=0.9, b=-0.2, x=normal(rng, n, 2.0), y=labels(rng, n)),
         [],
         lambda np_, w, b, x, y: np_.logaddexp(0, -y * (w * x + b)),
         extremes=[dict(w=A([1000.0, -1000.0, 0.0]), b=0.0, x=1.0, y=1.0)]),
    Case("Huber", (
         r"\begin{cases} \frac{1}{2}(y - \hat{y})^2 & |y - \hat{y}| \le \delta \\"
         r" \delta\left(|y - \hat{y}| - \frac{1}{2}\delta\right) & \text{otherwise}"
         r"\end{cases}"), ["\\hat{y}"], hand_huber,
         lambda rng, n: dict(delta=1.0, y=normal(rng, n), y_hat=normal(rng, n)),
         [dict(delta=1.0, y=A([0.0, 1.0, -1.0, 3.0]), y_hat=A([0.0, 0.0, 0.0, 3.0]))],
         lambda np_, delta, y, y_hat: np_.where(np_.abs(y - y_hat) <= delta,
                                                0.5 * (y - y_hat) ** 2,
                                                delta * (np_.abs(y - y_hat) - 0.5 * delta))),
    Case("softplus", r"\log(1 + e^{w x})", ["w"], hand_softplus,
         lambda rng, n: dict(w=1.1, x=normal(rng, n, 2.0)),
         [],
         lambda np_, w, x: np_.logaddexp(0, w * x),
         extremes=[dict(w=A([1000.0, -1000.0, 0.0]), x=1.0)]),
    Case("focal", r"-(1 - \sigma(z))^2 \log \sigma(z)", ["z"], hand_focal,
         lambda rng, n: dict(z=normal(rng, n, 3.0)),
         [],
         lambda np_, z: -((1 - 1 / (1 + np_.exp(-z))) ** 2) * -np_.logaddexp(0, -z),
         extremes=[dict(z=A([1000.0, -1000.0, 0.0, 40.0, -40.0]))]),
    Case("BCE of a sigmoid", r"-y \log(\sigma(w x + b)) - (1 - y)\log(1 - \sigma(w x + b))",
         ["w", "b"], hand_bce,
         lambda rng, n: dict(w=0.9, b=-0.2, x=normal(rng, n, 2.0),
                             y=rng.integers(0, 2, n).astype(float)),
         [],
         lambda np_, w, b, x, y: y * np_.logaddexp(0, -(w * x + b))
         + (1 - y) * np_.logaddexp(0, w * x + b),
         extremes=[dict(w=A([1000.0, -1000.0, 0.0]), b=0.0, x=1.0, y=A([0.0, 1.0, 1.0]))]),
    Case("2-unit ReLU net",
         r"\frac{1}{2}(v_1 \operatorname{ReLU}(a_1 x + c_1)"
         r" + v_2 \operatorname{ReLU}(a_2 x + c_2) - y)^2",
         ["v_1", "v_2", "a_1", "a_2", "c_1", "c_2"], hand_relu_net,
         lambda rng, n: dict(v_1=0.7, v_2=-1.3, a_1=1.5, a_2=-0.5, c_1=0.1, c_2=0.3,
                             x=normal(rng, n), y=normal(rng, n)),
         [dict(v_1=0.7, v_2=-1.3, a_1=1.0, a_2=-0.5, c_1=-1.0, c_2=1.0,
               x=A([1.0, 2.0, 0.0]), y=A([0.5, 0.0, 1.0]))],
         lambda np_, v_1, v_2, a_1, a_2, c_1, c_2, x, y: 0.5 * (
             v_1 * np_.maximum(a_1 * x + c_1, 0) + v_2 * np_.maximum(a_2 * x + c_2, 0) - y
         ) ** 2),
]  # fmt: skip


# ---------------------------------------------------------------- checks and timing


def as_tuple(gradient) -> tuple:
    return gradient if isinstance(gradient, tuple) else (gradient,)


def check(case: Case, module, rng) -> None:
    """derive's gradient and the hand-written one agree: closely at random points and at the
    extremes, exactly at the kinks; neither may warn at a kink or an extreme."""
    arguments = case.draw(rng, 1000)
    produced, expected = as_tuple(module.gradient(**arguments)), as_tuple(case.hand(**arguments))
    for p, e in zip(produced, expected, strict=True):
        if not np.allclose(p, e, rtol=1e-12, atol=1e-300):
            raise AssertionError(f"{case.name}: derive and the hand-written gradient differ")
    for point, exact in [(p, True) for p in case.kinks] + [(p, False) for p in case.extremes]:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            produced, expected = as_tuple(module.gradient(**point)), as_tuple(case.hand(**point))
        for p, e in zip(produced, expected, strict=True):
            p, e = np.broadcast_arrays(p, e)
            if not (np.array_equal(p, e) if exact else np.allclose(p, e, rtol=1e-12, atol=1e-15)):
                raise AssertionError(f"{case.name} at {point}: derive {p}, by hand {e}")


def derive_column(case, module, arguments):
    return module.gradient


def hand_column(case, module, arguments):
    return case.hand


def jax_column(case, module, arguments):
    """JAX's jit(vmap(grad)) of the loss of one example, float64, on the same arguments (as
    JAX arrays); None without JAX."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    names = list(module.PARAMETERS)
    argnums = tuple(names.index(name) for name in module.WRT)
    axes = tuple(0 if np.ndim(arguments[name]) else None for name in names)
    gradient = jax.jit(jax.vmap(jax.grad(lambda *a: case.jax_loss(jnp, *a), argnums), axes))
    values = [jnp.asarray(arguments[name]) for name in names]

    def run(**_):
        return jax.block_until_ready(gradient(*values))

    run()  # compiled before it is timed
    return run


def seconds(function, arguments, calls: int) -> float:
    """The time of one call, over a batch of ``calls``."""
    started = time.perf_counter()
    for _ in range(calls):
        function(**arguments)
    return (time.perf_counter() - started) / calls


@dataclass
class Row:
    """One loss at one size: each column's times of one call, per round."""

    name: str
    n: int
    times: dict[str, list[float]]

    def ratios(self, column: str, reference: str = "hand") -> list[float]:
        return [a / b for a, b in zip(self.times[column], self.times[reference], strict=True)]


def measure(case: Case, module, n: int, rounds: int, sample: float, rng) -> Row:
    """Interleaved rounds: each round times every column once, in alternating order."""
    arguments = case.draw(rng, n)
    functions = {label: make(case, module, arguments) for label, make in COLUMNS.items()}
    functions = {label: f for label, f in functions.items() if f is not None}
    calls = max(1, round(sample / seconds(case.hand, arguments, 3)))
    times: dict[str, list[float]] = {label: [] for label in functions}
    order = list(functions)
    for k in range(rounds):
        for label in order if k % 2 == 0 else order[::-1]:
            times[label].append(seconds(functions[label], arguments, calls))
    return Row(case.name, n, times)


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def table(rows: list[Row]) -> str:
    """One line per loss and size: median milliseconds per call, and the ratios to the
    hand-written gradient (median, and the interquartile range of the per-round ratios)."""
    extra = [label for label in rows[0].times if label not in ("derive", "hand")]
    head = f"{'loss':<18} {'n':>8} {'derive ms':>10} {'hand ms':>10}  {'derive/hand (IQR)':<24}"
    head += "".join(f" {label + '/hand':>14}" for label in extra)
    lines = [head, "-" * len(head)]
    for row in rows:
        q1, q2, q3 = quartiles(row.ratios("derive"))
        line = (
            f"{row.name:<18} {row.n:>8} {statistics.median(row.times['derive']) * 1e3:>10.4f} "
            f"{statistics.median(row.times['hand']) * 1e3:>10.4f}  "
            f"{q2:>6.3f} ({q1:.3f}–{q3:.3f}){'':<4}"
        )
        line += "".join(f" {statistics.median(row.ratios(label)):>14.3f}" for label in extra)
        lines.append(line)
    return "\n".join(lines)


# label -> (case, module, arguments) -> the function to time, or None to leave it out
COLUMNS = {"derive": derive_column, "hand": hand_column, "jax": jax_column}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--sample", type=float, default=0.02, help="seconds per timed batch")
    parser.add_argument("--only", nargs="*", help="losses whose name starts so")
    options = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = []
    for case in CASES:
        if options.only and not any(case.name.startswith(o) for o in options.only):
            continue
        module = derive.gradient(case.latex, wrt=case.wrt).compile()
        check(case, module, rng)
        for n in options.sizes:
            rows.append(measure(case, module, n, options.rounds, options.sample, rng))
    print(table(sorted(rows, key=lambda r: r.n)))


if __name__ == "__main__":
    main()
