"""The product x₁x₂…xₙ differentiated by every xᵢ (issue 10's target: `derive code` with every
--wrt in under 10 s at n = 200, the gradient's operations at most 4× the loss's).

Times the whole command line (`python cli.py code …`, start-up included), and in-process the
derivation (`derive.gradient`) and the code (`.code()`) on their own; counts operations on the
generated module's syntax tree; checks the gradient's values against NumPy's product of the
other factors; and, as the reference, times SymPy's own `diff` of the product by every xᵢ
(what a person doing it "by hand" in SymPy runs).

    python bench/product_gradient.py [--sizes 50 100 200]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import sympy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import derive  # noqa: E402
from derive.codegen import compile_module  # noqa: E402
from derive.codegen.operations import ratio  # noqa: E402


def product(n: int) -> tuple[str, list[str]]:
    names = [f"x_{{{i}}}" for i in range(n)]
    return " ".join(names), names


def command_line_seconds(n: int) -> float:
    latex, names = product(n)
    wrt = [option for name in names for option in ("--wrt", name)]
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "code", latex, *wrt],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"derive code failed at n = {n}: {done.stderr}")
    return seconds


def values_right(source: str, n: int) -> bool:
    module = compile_module(source)
    xs = np.random.default_rng(n).uniform(0.5, 1.5, size=(n, 100))
    produced = module.gradient(*xs)
    return all(
        np.allclose(produced[i], np.prod(np.delete(xs, i, axis=0), axis=0), rtol=1e-12)
        for i in range(n)
    )


def sympy_seconds(n: int) -> float:
    xs = sympy.symbols(f"x0:{n}", real=True)
    loss = sympy.Mul(*xs)
    start = time.perf_counter()
    for x in xs:
        sympy.diff(loss, x)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
    args = parser.parse_args()
    derive.gradient("x y")  # imports and caches warm, as in a session
    print(f"{'n':>4} {'CLI s':>7} {'derive s':>9} {'code s':>7} {'loss ops':>9} "
          f"{'grad ops':>9} {'ratio':>6} {'values':>7} {'SymPy diff s':>13}")  # fmt: skip
    for n in args.sizes:
        latex, names = product(n)
        start = time.perf_counter()
        d = derive.gradient(latex, wrt=names, timeout=600)
        derived = time.perf_counter() - start
        source = d.code(timeout=600)
        coded = time.perf_counter() - start - derived
        loss_ops, gradient_ops = ratio(source)
        cli = command_line_seconds(n)
        ok = "right" if values_right(source, n) else "WRONG"
        print(
            f"{n:>4} {cli:>7.2f} {derived:>9.2f} {coded:>7.2f} {loss_ops:>9} {gradient_ops:>9} "
            f"{gradient_ops / loss_ops:>6.2f} {ok:>7} {sympy_seconds(n):>13.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
