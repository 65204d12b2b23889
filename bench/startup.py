"""Whole-process time of `derive grad` against a bare `python -c "import sympy"`, same run.

Issue 2's target: `derive grad '|m_x(w) - t|' --wrt w` at most 2.0x the bare SymPy import.
Runs are interleaved so that both see the same machine load; medians are reported.

    python bench/startup.py [--rounds 15]
"""

from __future__ import annotations

import argparse
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
    return [sys.executable, "-c", "from cli import main; main()"]


def seconds(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    baseline_command = [sys.executable, "-c", "import sympy"]
    derive = derive_command()
    baseline: list[float] = []
    timings: dict[str, list[float]] = {name: [] for name in COMMANDS}
    seconds(baseline_command)  # warm the file cache
    for _ in range(rounds):
        baseline.append(seconds(baseline_command))
        for name, args in COMMANDS.items():
            timings[name].append(seconds(derive + args))
    reference = statistics.median(baseline)
    print(f"python -c 'import sympy'        median {reference:.3f} s over {rounds} runs")
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"derive {name:<25} median {median:.3f} s   ratio {median / reference:.2f}x")


if __name__ == "__main__":
    main()
