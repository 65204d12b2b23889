"""Bad and hostile input, as a user meets it (whole processes): each must end with an answer
or a message (exit 0, 1 or 2, never a traceback) within its deadline (10 s by default) and
a second of slack, using at most 1 GB of memory.

    python bench/hostile_inputs.py
"""

from __future__ import annotations

import resource
import subprocess
import time

from startup import derive_command

DEADLINE, SLACK, MEMORY = 10.0, 1.0, 1024**3

COMMANDS = {
    "malformed \\max(x": ["grad", r"\max(x"],
    "unknown command \\foo": ["grad", r"\foo(x)"],
    "empty string": ["grad", ""],
    "--wrt not in the loss": ["grad", "x^2", "--wrt", "z"],
    "10,000 nested parentheses": ["grad", "(" * 10000 + "x" + ")" * 10000],
    "x^{10^{10}}": ["grad", r"x^{10^{10}}"],
    "(x+1)^{100000}": ["grad", r"(x+1)^{100000}"],
    "300 nested \\left(": ["grad", r"\left(" * 300 + "x" + r"\right)" * 300],
    "60 nested \\sqrt": ["grad", r"\sqrt{" * 60 + "x" + "}" * 60],
    "200-term sum, 400 symbols": ["grad", " + ".join(f"w_{{{i}}} x_{{{i}}}^2" for i in range(200))],
    "2^{2^{2^{2^{2^2}}}}": ["grad", r"2^{2^{2^{2^{2^2}}}}"],
    "x² (Unicode)": ["grad", "x²"],
    "never real": ["grad", r"\max(\exp(\log_2(\log(\sigma(w)))), 5)"],
    "min with e - 10": ["grad", r"\min(x, e^{a}, e - 10)"],
    "code 0^{t}": ["code", "0^{t}"],
    "(2x)^{15000}": ["grad", "(2x)^{15000}"],
    "\\sqrt{2}^{40000000000} x": ["grad", r"\sqrt{2}^{40000000000} x"],
    "claim (x+1)^{1000000}": ["check", "x", "--wrt", "x", "--claim", "(x+1)^{1000000}"],
    "\\sigma nested 16 deep": ["grad", r"\sigma(" * 16 + "x" + ")" * 16],
    "code, 20 squared residuals": [
        "code", " + ".join(f"(w x_{{{i}}} - y_{{{i}}})^2" for i in range(20)), "--wrt", "w",
    ],
    "code, 200 squared residuals": [
        "code", " + ".join(f"(w x_{{{i}}} - y_{{{i}}})^2" for i in range(200)), "--wrt", "w",
    ],
    "12-term \\max": ["grad", r"\max(" + ", ".join(f"x_{{{i}}} w" for i in range(12)) + ")"],
    "60 nested |…|": ["grad", "|" * 60 + "x" + "|" * 60],
    "@/dev/zero": ["grad", "@/dev/zero"],
    "-o onto /dev/full": ["grad", "x^2", "-o", "/dev/full"],
    "300 chained definitions": [
        "grad", "a_{1}", "--wrt", "x",
        *(a for i in range(1, 301) for a in ("--where", f"a_{{{i}}} = a_{{{i + 1}}} + x")),
        "--where", "a_{301} = x",
    ],
    "60 definitions, each the square of the next": [
        "grad", "a_{1}", "--wrt", "x",
        *(a for i in range(1, 61) for a in ("--where", f"a_{{{i}}} = a_{{{i + 1}}}^2")),
        "--where", "a_{61} = x",
    ],
    "a function defined by itself": ["grad", "f(x)", "--where", "f(x) = f(x + 1)"],
    "a cycle of definitions": ["grad", "a", "--where", "a = b", "--where", "b = a"],
}  # fmt: skip


def main() -> None:
    derive = derive_command()
    worst_time = worst_memory = 0.0
    failures = 0
    for name, args in COMMANDS.items():
        started = time.perf_counter()
        run = subprocess.run(
            ["prlimit", f"--as={4 * MEMORY}", *derive, *args], capture_output=True, text=True
        )
        elapsed = time.perf_counter() - started
        memory = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        worst_time, worst_memory = max(worst_time, elapsed), max(worst_memory, memory)
        clean = run.returncode in (0, 1, 2) and "Traceback" not in run.stderr
        ok = clean and elapsed <= DEADLINE + SLACK
        failures += not ok
        mark = "" if ok else "  <-- FAIL"
        print(f"{name:<30} exit {run.returncode}  {elapsed:5.2f} s{mark}")
    print(
        f"slowest {worst_time:.2f} s (limit {DEADLINE + SLACK:.0f} s); largest peak memory of a "
        f"child so far {worst_memory / 1024**2:.0f} MB (limit {MEMORY / 1024**2:.0f} MB)"
    )
    raise SystemExit(1 if failures or worst_memory > MEMORY else 0)


if __name__ == "__main__":
    main()
