"""Derivations that scale (issue 13, item 4): each case answered within the API's default
deadline (10 s), every step proved or checked; the target is under 5 s each.

For each case, in a fresh process (no memo of an earlier case): the derivation by w
(`derive.gradient`, the default timeout), its verdict and steps, the generated code
(`.code()`, with a long timeout, so that its time is measured even past the default), and,
as the reference, SymPy's own `diff` of the same loss (derive's functions written in
SymPy's) in the same process: the ratio is derive's time over SymPy's. Wall-clock and CPU
seconds both: on a loaded machine the CPU seconds are the ones to compare.

    python bench/scaling.py [--cases sigma16 residuals200 ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def nested_sigmoid(depth: int) -> str:
    """σ(σ(…σ(w x + b_0) + b_1 …) + b_{depth−1})."""
    inner = "w x + b_{0}"
    for k in range(1, depth):
        inner = rf"\sigma({inner}) + b_{{{k}}}"
    return rf"\sigma({inner})"


def squared_residuals(n: int) -> str:
    """(w x_1 − y_1)² + … + (w x_n − y_n)²."""
    return " + ".join(f"(w x_{{{i}}} - y_{{{i}}})^2" for i in range(1, n + 1))


def maximum_of_slopes(n: int) -> str:
    """max(a_1 w, …, a_n w): every tie at w = 0."""
    return r"\max(" + ", ".join(f"a_{{{i}}} w" for i in range(1, n + 1)) + ")"


def maximum_of_lines(n: int) -> str:
    """max(w, 2w − 1, 3w − 3, …): tangents of a convex function, the k-th and the next
    tying at w = k."""
    lines = ["w"] + [f"{k} w - {k * (k - 1) // 2}" for k in range(2, n + 1)]
    return r"\max(" + ", ".join(lines) + ")"


def product_of_factors(n: int) -> str:
    """(w + 1)(w + 2)…(w + n)."""
    return "".join(f"(w + {k})" for k in range(1, n + 1))


CASES = {
    "sigma16": nested_sigmoid(16),
    "residuals200": squared_residuals(200),
    "max12": maximum_of_slopes(12),
    "max12-lines": maximum_of_lines(12),
    "product200": product_of_factors(200),
}


def measure(name: str, code_timeout: float) -> dict:
    """One case, in this process."""
    import sympy

    import derive
    from derive.errors import DeriveError
    from rules.registry import elementary_form

    derive.gradient("x^2", wrt="x")  # imports and SymPy's caches warm, as in a session
    latex = CASES[name]
    row: dict = {"case": name}
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        d = derive.gradient(latex, wrt="w")
    except DeriveError as error:
        row.update(refused=str(error)[:120], seconds=time.perf_counter() - wall)
        return row
    row.update(seconds=time.perf_counter() - wall, cpu=time.process_time() - cpu)
    partial = d.partials[0]
    steps = [s.verified for s in partial.steps]
    row.update(verdict=partial.verified, steps=len(steps))
    row.update({v: steps.count(v) for v in ("proved", "checked", "failed") if v in steps})
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        d.code(timeout=code_timeout)
        row.update(code=time.perf_counter() - wall, code_cpu=time.process_time() - cpu)
    except DeriveError:
        row.update(code=f"over {code_timeout:g} s")
    w = sympy.Symbol("w", real=True)
    expr = elementary_form(d.loss.expr)
    wall, cpu = time.perf_counter(), time.process_time()
    sympy.diff(expr, w)
    row.update(sympy=time.perf_counter() - wall, sympy_cpu=time.process_time() - cpu)
    return row


def _seconds(value) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value or "-")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--code-timeout", type=float, default=300.0)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a case in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.code_timeout)))
        return
    header = ("case", "derive s", "cpu s", "verdict", "steps", "code s", "SymPy diff s", "ratio")
    print(f"{header[0]:<13}" + "".join(f"{h:>13}" for h in header[1:]))
    for name in args.cases:
        done = subprocess.run(
            [sys.executable, __file__, "--one", name, "--code-timeout", str(args.code_timeout)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            print(f"{name:<13} failed: {done.stderr.strip().splitlines()[-1:]}", flush=True)
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        if "refused" in row:
            print(f"{name:<13} REFUSED after {row['seconds']:.2f} s: {row['refused']}", flush=True)
            continue
        steps = f"{row.get('proved', 0)}p/{row.get('checked', 0)}c/{row.get('failed', 0)}f"
        ratio = row["cpu"] / max(row["sympy_cpu"], 1e-9)
        cells = (_seconds(row["seconds"]), _seconds(row["cpu"]), row["verdict"], steps,
                 _seconds(row.get("code")), _seconds(row["sympy"]), f"{ratio:.1f}")  # fmt: skip
        print(f"{name:<13}" + "".join(f"{c:>13}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
