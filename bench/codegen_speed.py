"""Generated NumPy gradients against hand-written ones at n = 10⁶ (issue 3's target: a median
ratio of interleaved runs at most 1.1). Also times JAX `jit(grad)` and PyTorch autograd on
the CPU when they are installed (they compute the loss too: that is how they get gradients).

    python bench/codegen_speed.py [--n 1000000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import derive


def hand_abs(w, t, x):
    return np.sign(w * x - t) * x


def hand_margin(s, s_c, Delta):
    active = np.heaviside(Delta + s_c - s, 0.5)
    return -active, active


def sigmoid(u):
    e = np.exp(-np.abs(u))  # never overflows
    return np.where(u >= 0, 1, e) / (1 + e)


def hand_logistic(w, b, x, y):
    slope = -y * sigmoid(-y * (w * x + b))
    return slope * x, slope


CASES = {
    "seed 000, |w x - t|": (r"|w x - t|", ["w"], hand_abs),
    "seed 001, max margin": (r"\max(\Delta + s_c - s, 0)", ["s", "s_c"], hand_margin),
    "logistic loss": (r"\log(1 + e^{-y(w x + b)})", ["w", "b"], hand_logistic),
}


def seconds(function, arguments) -> float:
    started = time.perf_counter()
    function(**arguments)
    return time.perf_counter() - started


def numpy_ratios(n: int, rounds: int) -> None:
    rng = np.random.default_rng(0)
    for name, (latex, wrt, hand) in CASES.items():
        module = derive.gradient(latex, wrt=wrt).compile()
        arguments = {p: rng.normal(size=n) for p in module.PARAMETERS}
        produced, expected = module.gradient(**arguments), hand(**arguments)
        np.testing.assert_allclose(produced, expected, rtol=1e-12)
        ratios, generated, handwritten = [], [], []
        for k in range(rounds):  # interleaved, alternating which goes first
            pair = [(module.gradient, generated), (hand, handwritten)]
            for function, times in pair if k % 2 == 0 else pair[::-1]:
                times.append(seconds(function, arguments))
            ratios.append(generated[-1] / handwritten[-1])
        print(
            f"{name:<22} generated {statistics.median(generated) * 1e3:7.2f} ms   "
            f"hand-written {statistics.median(handwritten) * 1e3:7.2f} ms   "
            f"median ratio {statistics.median(ratios):.3f}"
        )


def jax_times(n: int, rounds: int) -> None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        print("JAX: not installed")
        return
    jax.config.update("jax_enable_x64", True)  # float64, like the NumPy code
    rng = np.random.default_rng(0)

    def abs_loss(w, t, x):
        return jnp.sum(jnp.abs(w * x - t))

    def margin_loss(s, s_c, Delta):
        return jnp.sum(jnp.maximum(Delta + s_c - s, 0))

    def logistic_loss(w, b, x, y):
        return jnp.sum(jnp.logaddexp(0, -y * (w * x + b)))

    losses = {
        "seed 000, |w x - t|": (abs_loss, (0,), 3),
        "seed 001, max margin": (margin_loss, (0, 1), 3),
        "logistic loss": (logistic_loss, (0, 1), 4),
    }
    for name, (loss, argnums, arity) in losses.items():
        gradient = jax.jit(jax.grad(loss, argnums=argnums))
        arguments = [jnp.asarray(rng.normal(size=n)) for _ in range(arity)]
        first = jax.block_until_ready(gradient(*arguments))  # compile
        assert np.asarray(first[0]).dtype == np.float64 and np.asarray(first[0]).shape == (n,)
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            jax.block_until_ready(gradient(*arguments))
            times.append(time.perf_counter() - started)
        print(f"JAX jit(grad), float64  {name:<22} {statistics.median(times) * 1e3:7.2f} ms")


def torch_times(n: int, rounds: int) -> None:
    try:
        import torch
    except ImportError:
        print("PyTorch: not installed")
        return
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)

    def run(loss, arity, wrt):
        tensors = [torch.tensor(rng.normal(size=n)) for _ in range(arity)]
        times = []
        for _ in range(rounds):
            leaves = [t.clone().requires_grad_(k in wrt) for k, t in enumerate(tensors)]
            started = time.perf_counter()
            loss(*leaves).sum().backward()
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    cases = {
        "seed 000, |w x - t|": (lambda w, t, x: torch.abs(w * x - t), 3, {0}),
        "seed 001, max margin": (lambda s, s_c, d: torch.clamp(d + s_c - s, min=0), 3, {0, 1}),
        "logistic loss": (
            lambda w, b, x, y: torch.nn.functional.softplus(-y * (w * x + b)),
            4,
            {0, 1},
        ),
    }
    for name, (loss, arity, wrt) in cases.items():
        print(f"PyTorch autograd {name:<22} {run(loss, arity, wrt) * 1e3:7.2f} ms (1 thread)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=30)
    options = parser.parse_args()
    numpy_ratios(options.n, options.rounds)
    jax_times(options.n, options.rounds)
    torch_times(options.n, options.rounds)


if __name__ == "__main__":
    main()
