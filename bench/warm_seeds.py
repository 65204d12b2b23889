"""Warm API derivation of each seed, every step proved: median milliseconds.

Issue 2's target: under 100 ms median each. "Warm" means the process has already derived
once (imports done, SymPy's caches primed as they would be in a notebook session).

    python bench/warm_seeds.py [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import time

import derive

SEEDS = {
    "seed 000": (r"|m_x(w) - t|", ["w"], None),
    "seed 001": (r"\max(\Delta + s_c - s, 0)", ["s", "s_c"], "cases"),
    "seed 002": (r"x^2", None, None),
}
FRESH = {  # the same losses with a new name in each run ({k})
    "seed 000": (r"|m_x(w_{{{k}}}) - t|", "w_{{{k}}}"),
    "seed 001": (r"\max(\Delta + s_{{c{k}}} - s, 0)", None),
    "seed 002": (r"x_{{{k}}}^2", None),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    for name, (latex, wrt, form) in SEEDS.items():
        derive.gradient(latex, wrt=wrt, form=form)  # warm up
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            derivation = derive.gradient(latex, wrt=wrt, form=form)
            times.append(time.perf_counter() - started)
            proved = all(
                p.verified == "proved" and all(s.verified == "proved" for s in p.steps)
                for p in derivation.partials
            )
            assert proved, f"{name}: a step was not proved"
        fresh = []
        template, fresh_wrt = FRESH[name]
        for k in range(runs):  # a new symbol each run, so SymPy's cache cannot answer
            started = time.perf_counter()
            derive.gradient(
                template.format(k=k), wrt=fresh_wrt and fresh_wrt.format(k=k), form=form
            )
            fresh.append(time.perf_counter() - started)
        median = statistics.median(times) * 1000
        median_fresh = statistics.median(fresh) * 1000
        print(
            f"{name}: median {median:.1f} ms repeated, {median_fresh:.1f} ms with a fresh "
            f"symbol each run ({runs} runs each, all steps proved)"
        )


if __name__ == "__main__":
    main()
