"""`derive code --backend numba` against careful hand-written NumPy and JAX (issue 13).

For each benchmark loss: the gradient from the numba module (after a warm-up call that
compiles it), an independent hand-written NumPy gradient (written from the mathematics:
boolean masks, in-place updates of fresh temporaries, stable sigmoid and softplus), and, when
JAX is installed, `jax.jit(jax.vmap(jax.grad(f)))` of the scalar loss on the CPU, in float64.
Rounds are interleaved (the order rotates each round); the table shows medians with the
interquartile range, and the ratios against hand NumPy per round. For |w x - t| it also times
the memory-bandwidth bound in the same rounds: `np.copyto` reading and writing as many bytes as
the kernel (32 an element: w, t, x read, dL/dw written), on one core or a slice on each core,
whichever is faster in the round.

    python bench/backends_speed.py [--n 1000000 1000] [--rounds 21]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import itertools
import os
import statistics
import time

import numpy as np

import derive

# ---- hand-written NumPy gradients, from the mathematics -------------------------------------


def sigmoid(z):
    """σ(z) = 1/(1 + e^(−z)): e^(−|z|) never overflows; masks pick the numerator."""
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    top = np.where(z >= 0, 1.0, e)
    e += 1.0
    top /= e
    return top


def softplus(z):
    """log(1 + e^z) = max(z, 0) + log1p(e^(−|z|))."""
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)
    np.log1p(e, out=e)
    e += np.maximum(z, 0)
    return e


def hand_abs(w, t, x):  # d/dw |w x − t| = sign(w x − t)·x
    a = w * x
    a -= t
    np.sign(a, out=a)
    a *= x
    return a


def hand_margin(s, s_c, Delta):  # d/ds, d/ds_c max(Δ + s_c − s, 0) = −H, H; H(0) = 1/2
    h = Delta + s_c
    h -= s
    np.sign(h, out=h)
    h *= 0.5
    h += 0.5
    return -h, h


def hand_logistic(w, b, x, y):  # log(1 + e^(−z)), z = y(wx + b): dL/dz = −σ(−z)
    z = w * x
    z += b
    z *= y
    g = sigmoid(-z)
    g *= y
    np.negative(g, out=g)  # dL/db
    return g * x, g


def hand_huber(w, delta, x, y):  # r = wx − y: r·x inside |r| ≤ δ, δ·sign(r)·x outside
    r = w * x
    r -= y
    g = np.sign(r)
    g *= delta
    inside = np.abs(r) <= delta
    np.copyto(g, r, where=inside)
    g *= x
    return g


def hand_softplus(w, t, x):  # d/dw log(1 + e^(wx − t)) = σ(wx − t)·x
    z = w * x
    z -= t
    g = sigmoid(z)
    g *= x
    return g


def hand_focal(w, x):  # L = −(1 − σ)² log σ, z = wx: dL/dz = q²(2σ log σ − q), q = 1 − σ
    z = w * x
    s = sigmoid(z)
    q = sigmoid(-z)
    log_s = softplus(-z)
    log_s *= -2.0
    log_s *= s
    log_s -= q
    q *= q
    log_s *= q
    log_s *= x
    return log_s


def hand_bce(w, b, x, y):  # −y log σ(z) − (1 − y) log(1 − σ(z)): dL/dz = σ(z) − y
    z = w * x
    z += b
    g = sigmoid(z)
    g -= y
    return g * x, g


def hand_relu_net(w_1, b_1, v_1, w_2, b_2, v_2, x, y):  # (v₁h₁ + v₂h₂ − y)², h = ReLU(a)
    a_1 = w_1 * x
    a_1 += b_1
    a_2 = w_2 * x
    a_2 += b_2
    h_1 = np.maximum(a_1, 0)
    h_2 = np.maximum(a_2, 0)
    r = v_1 * h_1
    r += v_2 * h_2
    r -= y
    r *= 2.0  # dL/dr
    d_1 = r * v_1
    d_1 *= a_1 > 0  # ReLU'(0) = 0
    d_2 = r * v_2
    d_2 *= a_2 > 0
    h_1 *= r
    return d_1 * x, d_1, h_1, d_2 * x


def hand_square(x):
    return 2.0 * x


CASES = {  # name: (LaTeX, --wrt, --where, hand gradient, JAX loss of scalars)
    "|w x - t|": (r"|w x - t|", ["w"], (), hand_abs, lambda j: lambda w, t, x: j.abs(w * x - t)),
    "max margin": (
        r"\max(\Delta + s_c - s, 0)", ["s", "s_c"], (), hand_margin,
        lambda j: lambda s, s_c, D: j.maximum(D + s_c - s, 0.0),
    ),
    "logistic": (
        r"\log(1 + e^{-y(w x + b)})", ["w", "b"], (), hand_logistic,
        lambda j: lambda w, b, x, y: j.logaddexp(0.0, -y * (w * x + b)),
    ),
    "Huber (cases)": (
        r"\begin{cases} \frac{(y - w x)^2}{2} & |y - w x| \le \delta \\"
        r" \delta (|y - w x| - \frac{\delta}{2}) & \text{otherwise} \end{cases}",
        ["w"], (), hand_huber,
        lambda j: lambda w, d, x, y: j.where(
            j.abs(y - w * x) <= d, (y - w * x) ** 2 / 2, d * (j.abs(y - w * x) - d / 2)
        ),
    ),
    "softplus": (
        r"\log(1 + e^{w x - t})", ["w"], (), hand_softplus,
        lambda j: lambda w, t, x: j.logaddexp(0.0, w * x - t),
    ),
    "focal-like": (
        r"-(1 - \sigma(w x))^2 \log \sigma(w x)", ["w"], (), hand_focal,
        lambda j: lambda w, x: -((1 - _jax_sigmoid(j, w * x)) ** 2)
        * -j.logaddexp(0.0, -w * x),
    ),
    "BCE of sigmoid": (
        r"-y \log \sigma(w x + b) - (1 - y) \log(1 - \sigma(w x + b))", ["w", "b"], (),
        hand_bce,
        lambda j: lambda w, b, x, y: y * j.logaddexp(0.0, -(w * x + b))
        + (1 - y) * j.logaddexp(0.0, w * x + b),
    ),
    "2-unit ReLU net": (
        r"(v_1 h_1 + v_2 h_2 - y)^2", ["w_1", "b_1", "v_1", "w_2"],
        (r"h_1 = \operatorname{ReLU}(w_1 x + b_1)", r"h_2 = \operatorname{ReLU}(w_2 x + b_2)"),
        hand_relu_net,
        lambda j: lambda w_1, b_1, v_1, w_2, b_2, v_2, x, y: (
            v_1 * j.maximum(w_1 * x + b_1, 0.0) + v_2 * j.maximum(w_2 * x + b_2, 0.0) - y
        ) ** 2,
    ),
    "x^2": (r"x^2", ["x"], (), hand_square, lambda j: lambda x: x**2),
}  # fmt: skip


def _jax_sigmoid(j, z):
    return 1 / (1 + j.exp(-z))


def _jax():
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)  # float64, like NumPy
    return jax, jnp


def jax_gradient(jax, jnp, loss, parameters, wrt):
    argnums = tuple(parameters.index(w) for w in wrt)
    compiled = jax.jit(jax.vmap(jax.grad(loss(jnp), argnums=argnums)))

    def gradient(*arrays):
        return jax.block_until_ready(compiled(*arrays))

    return gradient


# ---- timing ---------------------------------------------------------------------------------


def _sample(function, args, repeats: int) -> float:
    started = time.perf_counter()
    for _ in range(repeats):
        function(*args)
    return (time.perf_counter() - started) / repeats


def quartiles(values) -> tuple[float, float, float]:
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[1], q[0], q[2]


BOUND_CASE = "|w x - t|"  # read w, t and x, write dL/dw: 32 bytes an element
POOL = concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1)


def copy_on_every_core(target, source) -> None:
    """np.copyto in one slice per core, each in a thread (np.copyto releases the GIL): the
    memory bandwidth the kernel's threads have between them."""
    cores = POOL._max_workers
    edges = np.linspace(0, len(source), cores + 1).astype(int)
    pieces = [
        POOL.submit(np.copyto, target[a:b], source[a:b]) for a, b in itertools.pairwise(edges)
    ]
    for piece in pieces:
        piece.result()


def bench(n: int, rounds: int, jax_pair) -> list[dict]:
    rng = np.random.default_rng(0)
    repeats = max(1, 100_000 // n)
    rows = []
    for name, (latex, wrt, where, hand, jax_loss) in CASES.items():
        module = derive.gradient(latex, wrt=wrt, where=list(where) or None).compile(backend="numba")
        arrays = [rng.normal(size=n) for _ in module.PARAMETERS]
        contenders = {"numba": (module.gradient, arrays), "hand": (hand, arrays)}
        if jax_pair is not None:
            jax, jnp = jax_pair
            on_device = [jnp.asarray(a) for a in arrays]
            gradient = jax_gradient(jax, jnp, jax_loss, list(module.PARAMETERS), wrt)
            contenders["jax"] = (gradient, on_device)
        expected = hand(*arrays)
        checked = dict(contenders)
        if name == BOUND_CASE and n >= 100_000:  # as many bytes as the kernel moves
            target, source = np.empty(2 * n), np.ones(2 * n)
            contenders["copy"] = (copy_on_every_core, [target, source])
            contenders["copy on one core"] = (np.copyto, [target, source])
        for label, (function, args) in checked.items():  # warm-up (compiles) and check
            got = function(*args)
            got = got if isinstance(got, tuple) else (got,)
            want = expected if isinstance(expected, tuple) else (expected,)
            for g, e in zip(got, want, strict=True):
                np.testing.assert_allclose(np.asarray(g), e, rtol=1e-9, atol=1e-12, err_msg=label)
        times = {label: [] for label in contenders}
        labels = list(contenders)
        for k in range(rounds):
            order = labels[k % len(labels) :] + labels[: k % len(labels)]
            for label in order:
                function, args = contenders[label]
                times[label].append(_sample(function, args, repeats))
        rows.append({"name": name, "n": n, "times": times})
    return rows


def _ms(values) -> str:
    median, low, high = quartiles(values)
    return f"{median * 1e3:8.3f} [{low * 1e3:.3f}–{high * 1e3:.3f}]"


def _ratio(top, bottom) -> str:
    ratios = [a / b for a, b in zip(top, bottom, strict=True)]
    median, low, high = quartiles(ratios)
    return f"{median:5.2f} [{low:.2f}–{high:.2f}]"


def report(rows: list[dict]) -> None:
    has_jax = "jax" in rows[0]["times"]
    head = f"{'loss':<17} {'n':>8}  {'hand NumPy ms':<26}{'numba ms':<26}"
    head += f"{'JAX ms':<26}" if has_jax else ""
    head += "numba/hand         " + ("jax/hand           numba/jax" if has_jax else "")
    print(head)
    for row in rows:
        t = row["times"]
        line = f"{row['name']:<17} {row['n']:>8}  {_ms(t['hand']):<26}{_ms(t['numba']):<26}"
        if has_jax:
            line += f"{_ms(t['jax']):<26}"
        line += f"{_ratio(t['numba'], t['hand']):<19}"
        if has_jax:
            line += f"{_ratio(t['jax'], t['hand']):<19}{_ratio(t['numba'], t['jax'])}"
        print(line)
    for row in rows:
        if row["name"] == BOUND_CASE and "copy" in row["times"]:
            times = zip(row["times"]["copy"], row["times"]["copy on one core"], strict=True)
            copy = [min(pair) for pair in times]  # the faster of the two in each round
            bandwidth = 32 * row["n"] / statistics.median(copy)
            print(
                f"{BOUND_CASE} at n = {row['n']}: the memory-bandwidth bound, np.copyto of as "
                f"many bytes (2n read, 2n written: {bandwidth / 1e9:.1f} GB/s; on one core or "
                "a slice on each, the faster) takes "
                f"{_ms(copy).strip()} ms; numba/bound {_ratio(row['times']['numba'], copy)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1_000_000, 1_000])
    parser.add_argument("--rounds", type=int, default=21)
    options = parser.parse_args()
    import numba

    jax_pair = _jax()
    rows = []
    for n in options.n:
        rows += bench(n, options.rounds, jax_pair)
    print(
        f"numba {numba.__version__} ({numba.threading_layer()} threading, "
        f"{numba.get_num_threads()} threads), NumPy {np.__version__}, JAX "
        f"{jax_pair[0].__version__ if jax_pair else 'not installed'}; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    report(rows)


if __name__ == "__main__":
    main()
