"""Seconds for `derive grad` on bad and hostile input: each must end (exit 2, or an answer)
within 5 s. Whole processes, as a user meets them.

    python bench/hostile_inputs.py
"""

from __future__ import annotations

import subprocess
import time

from startup import derive_command

INPUTS = {
    "malformed \\max(x": r"\max(x",
    "unknown command \\foo": r"\foo(x)",
    "empty string": "",
    "--wrt not in the loss": None,
    "10,000 nested parentheses": "(" * 10000 + "x" + ")" * 10000,
    "x^{10^{10}}": r"x^{10^{10}}",
    "(x+1)^{100000}": r"(x+1)^{100000}",
    "300 nested \\left(": r"\left(" * 300 + "x" + r"\right)" * 300,
    "60 nested \\sqrt": r"\sqrt{" * 60 + "x" + "}" * 60,
    "a 200-term sum (400 symbols)": " + ".join(f"w_{{{i}}} x_{{{i}}}^2" for i in range(200)),
    "2^{2^{2^{2^{2^2}}}}": r"2^{2^{2^{2^{2^2}}}}",
}


def main() -> None:
    derive = derive_command()
    worst = 0.0
    for name, latex in INPUTS.items():
        args = ["grad", "x^2", "--wrt", "z"] if latex is None else ["grad", latex]
        started = time.perf_counter()
        run = subprocess.run(derive + args, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        worst = max(worst, elapsed)
        traceback = " TRACEBACK" if "Traceback" in run.stderr else ""
        print(f"{name:<28} exit {run.returncode}  {elapsed:5.2f} s{traceback}")
    print(f"slowest: {worst:.2f} s (limit 5 s)")


if __name__ == "__main__":
    main()
