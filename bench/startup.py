"""Whole-process time of `derive grad` against a bare `python -c "import sympy"`, same run.

Issue 13's target: `derive grad` on each seed at most 1.3x the bare SymPy import, and
`derive --help` under 0.2 s. Runs are interleaved so that both see the same machine load;
the median of the per-round ratios is reported with its interquartile range.

    python bench/startup.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = {
    "seed 000 |m_x(w) - t|": ["grad", "|m_x(w) - t|", "--wrt", "w"],
    "seed 001 max, cases": [
        "grad",
        r"\max(\Delta + s_c - s, 0)",
        "--wrt",
        "s",
        "--wrt",
        "s_c",
        "--form",
        "cases",
    ],
    "seed 002 x^2": ["grad", "x^2"],
}


def derive_command() -> list[str]:
    beside = Path(sys.executable).parent / "derive"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("derive")
    if found:
        return [found]
    return [sys.executable, "-c", "from cli import run; run()"]


# Every process as a user's: with its modules' bytecode cached (a variable that stops Python
# writing it, as set on some machines, would make each run compile derive again: 0.1 s).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - started


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, q2, q3 = statistics.quantiles(values, n=4)
    return q1, q2, q3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    baseline_command = [sys.executable, "-c", "import sympy"]
    derive = derive_command()
    # SymPy's first sum imports sympy.tensor.tensor and sympy.combinatorics (Add.flatten
    # does, lazily): every program that computes with SymPy pays that; a bare import does not
    first_sum = [sys.executable, "-c", "import sympy; sympy.Symbol('x') + 1"]
    commands = {
        **{f"derive {name}": derive + args for name, args in COMMANDS.items()},
        "derive --help": [*derive, "--help"],
        "python: import sympy; x + 1": first_sum,
    }
    baseline: list[float] = []
    timings: dict[str, list[float]] = {name: [] for name in commands}
    ratios: dict[str, list[float]] = {name: [] for name in commands}
    for command in [baseline_command, *commands.values()]:
        seconds(command)  # warm the file cache and write the bytecode
    for _ in range(rounds):
        reference = seconds(baseline_command)
        baseline.append(reference)
        for name, command in commands.items():
            timings[name].append(seconds(command))
            ratios[name].append(timings[name][-1] / reference)
    reference = statistics.median(baseline)
    print(f"python: import sympy                median {reference:.3f} s, {rounds} rounds")
    for name in commands:
        low, mid, high = quartiles(ratios[name])
        median = statistics.median(timings[name])
        print(f"{name:<34} median {median:.3f} s   ratio {mid:.2f}x (IQR {low:.2f}-{high:.2f})")


if __name__ == "__main__":
    main()
