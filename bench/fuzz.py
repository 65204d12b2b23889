"""Fuzz derive in-process: random and mutated losses (tests/latex_grammar.py), each derived
through the API under its deadline, and sorted into

* accepted: derived, and every partial derivative agrees with SymPy's own at random points;
* refused: a DeriveError with a message (bad input, or "gave up" within the deadline);
* crashed: any other exception, or a DeriveError that says it is a bug;
* over-time: the call took longer than its deadline and a second of slack;
* wrong: a partial derivative disagrees with SymPy's own derivative at a point.

    python bench/fuzz.py --count 100000 [--seed 1] [--timeout 10] [--workers 2]

Exit status 1 when anything crashed, ran over time or was wrong.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

FINDINGS = ("crashed", "over-time", "wrong")
SLACK = 1.0  # seconds a call may take beyond its deadline before it counts as over time


def classify(latex: str, timeout: float) -> tuple[str, str, float]:
    """(category, detail, seconds) for one input."""
    import sympy

    import derive
    from derive.deadline import within
    from derive.proof.equality import numerically_equal, reference_derivative

    started = time.monotonic()
    seconds = None
    try:
        derivation = derive.gradient(latex, timeout=timeout)
        seconds = time.monotonic() - started
        category, detail = "accepted", ""
        with within(timeout):  # the cross-check is the fuzzer's work, not timed as derive's
            for partial in derivation.partials:
                reference = reference_derivative(derivation.expr, partial.var)
                agree = numerically_equal(partial.formula, reference, domain=derivation.expr)
                if agree is False:
                    category = "wrong"
                    detail = f"d/d{partial.var}: {partial.formula} vs {reference}"
                    detail += f" (derive said {partial.verified})"
    except derive.DeriveError as error:
        message = str(error)
        category = "crashed" if "this is a bug" in message else "refused"
        detail = message[:160]
    except BaseException as error:  # noqa: BLE001 - the point of a fuzzer
        category, detail = "crashed", f"{type(error).__name__}: {str(error)[:160]}"
    finally:
        sympy.core.cache.clear_cache()  # memory stays flat over a long campaign
    if seconds is None:  # refused or crashed: the call ended here
        seconds = time.monotonic() - started
    if seconds > timeout + SLACK:
        category, detail = "over-time", f"{seconds:.1f} s; was {category}: {detail}"
    return category, detail, seconds


def _job(task: tuple[str, float]) -> tuple[str, str, str, float]:
    latex, timeout = task
    return (latex, *classify(latex, timeout))


def main() -> None:
    from tests.latex_grammar import random_input

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--examples", type=int, default=5, help="inputs shown per category")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tasks = [(random_input(rng), args.timeout) for _ in range(args.count)]
    counts: collections.Counter = collections.Counter()
    examples: dict[str, list] = collections.defaultdict(list)
    slowest = 0.0
    started = time.monotonic()
    with multiprocessing.Pool(args.workers, maxtasksperchild=2000) as pool:
        for n, (latex, category, detail, seconds) in enumerate(
            pool.imap_unordered(_job, tasks, chunksize=20), start=1
        ):
            counts[category] += 1
            slowest = max(slowest, seconds)
            if len(examples[category]) < args.examples:
                examples[category].append((latex, detail))
            if category in FINDINGS:  # shown at once: a long campaign is read while it runs
                print(f"{category}: {latex!r}\n    {detail}", file=sys.stderr, flush=True)
            if n % 1000 == 0:
                spent = time.monotonic() - started
                print(f"  {n} inputs in {spent:.0f} s, {dict(counts)}", file=sys.stderr, flush=True)
    elapsed = time.monotonic() - started
    print(f"{args.count} inputs (seed {args.seed}) in {elapsed:.0f} s, slowest {slowest:.1f} s")
    for category in ("accepted", "refused", "crashed", "over-time", "wrong"):
        print(f"  {category:10s} {counts[category]:7d}")
    for category in FINDINGS:
        for latex, detail in examples[category]:
            print(f"{category}: {latex!r}\n    {detail}")
    sys.exit(1 if counts["crashed"] or counts["over-time"] or counts["wrong"] else 0)


if __name__ == "__main__":
    main()
