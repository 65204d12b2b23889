"""Fuzz derive in-process: random and mutated losses (tests/latex_grammar.py), each derived
through the API under its deadline, and sorted into

* accepted: derived and written (text, LaTeX, JSON), and every partial derivative agrees with
  SymPy's own at random points;
* refused: a DeriveError with a message (bad input, or "gave up" within the deadline);
* crashed: any other exception, or a DeriveError that says it is a bug;
* over-time: the call ran past its deadline by more than a second of its own CPU time (on
  a loaded machine the wall clock's overrun counts at the share of the CPU the call got, so
  that waiting for a core is not taken for derive ignoring its deadline);
* wrong: a partial derivative disagrees with SymPy's own derivative at a point.

    python bench/fuzz.py --count 100000 [--seed 1] [--timeout 10] [--workers 2] [--journal F]

With ``--journal F`` each result is recorded as it comes; running the same command again
resumes where the last run stopped (only with the same seed, count, timeout and code), so a
campaign longer than a working session is still one campaign.

Exit status 1 when anything crashed, ran over time or was wrong.
"""

from __future__ import annotations

import argparse
import ast
import collections
import hashlib
import json
import multiprocessing
import queue
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

FINDINGS = ("crashed", "over-time", "wrong")
SLACK = 1.0  # seconds a call may take beyond its deadline before it counts as over time


def overran(wall: float, cpu: float, timeout: float) -> bool:
    """Whether a call that took ``wall`` seconds, ``cpu`` of them on a core, ran more than
    SLACK past its deadline: its overrun on the wall clock, at the share of the CPU it got
    over the call (all of it on an idle machine, a quarter with four processes a core)."""
    share = min(1.0, cpu / wall) if wall > 0 else 1.0
    return (wall - timeout) * share > SLACK


def classify(latex: str, timeout: float) -> tuple[str, str, float]:
    """(category, detail, seconds) for one input."""
    import sympy

    import derive
    from derive.deadline import TimeUp, within
    from derive.proof.equality import numerically_equal, reference_derivative

    started, cpu_started = time.monotonic(), time.thread_time()
    seconds = cpu = None
    try:
        with within(timeout):  # one deadline for reading, deriving and writing, as a command
            derivation = derive.gradient(latex)
            derivation.text(), derivation.latex(), derivation.to_json()
        seconds, cpu = time.monotonic() - started, time.thread_time() - cpu_started
        category, detail = "accepted", ""
        with within(timeout):  # the cross-check is the fuzzer's work, not timed as derive's
            for partial in derivation.partials:
                try:
                    reference = reference_derivative(derivation.expr, partial.var)
                except (TypeError, ValueError) as error:  # SymPy cannot build it (a non-real
                    detail = f"unchecked: no reference ({error})"[:160]  # branch): not derive's
                    continue
                agree = numerically_equal(partial.formula, reference, domain=derivation.expr)
                if agree is False:
                    category = "wrong"
                    detail = f"d/d{partial.var}: {partial.formula} vs {reference}"
                    detail += f" (derive said {partial.verified})"
    except derive.DeriveError as error:
        message = str(error)
        category = "crashed" if "this is a bug" in message else "refused"
        detail = message[:160]
    except TimeUp:
        category, detail = "refused", f"gave up after {timeout:g} s"
    except BaseException as error:  # noqa: BLE001 - the point of a fuzzer
        category, detail = "crashed", f"{type(error).__name__}: {str(error)[:160]}"
    finally:
        sympy.core.cache.clear_cache()  # memory stays flat over a long campaign
    if seconds is None:  # refused or crashed: the call ended here
        seconds, cpu = time.monotonic() - started, time.thread_time() - cpu_started
    if overran(seconds, cpu, timeout):
        was = f"{seconds:.1f} s ({cpu:.1f} s of CPU); was {category}: {detail}"
        category, detail = "over-time", was
    return category, detail, seconds


def _job(task: tuple[int, str, float]) -> tuple[int, str, str, str, float]:
    index, latex, timeout = task
    return (index, latex, *classify(latex, timeout))


HUNG = 60.0  # seconds past its deadline after which an input's worker is killed


def _worker(inbox, outbox) -> None:
    for task in iter(inbox.get, None):
        outbox.put(_job(task))


def results(tasks: list, workers: int):
    """Each task's result as it comes, from ``workers`` processes. A worker still on one
    input HUNG seconds past its deadline is stopped from outside (work in C, a huge power
    say, holds the interpreter where no deadline reaches) and the input counted over time."""
    pending = list(reversed(tasks))
    outbox = multiprocessing.Queue()
    inboxes: dict = {}
    current: dict = {}  # each worker's input and when it began

    def feed(process) -> None:
        if pending:
            task = pending.pop()
            inboxes[process].put(task)
            current[process] = (task, time.monotonic())
        else:
            inboxes[process].put(None)
            current.pop(process, None)

    def start() -> None:
        inbox = multiprocessing.Queue()
        process = multiprocessing.Process(target=_worker, args=(inbox, outbox), daemon=True)
        process.start()
        inboxes[process] = inbox
        feed(process)

    for _ in range(max(1, min(workers, len(tasks)))):
        start()
    while current:
        try:
            result = outbox.get(timeout=1.0)
        except queue.Empty:
            result = None
        if result is not None:
            owner = next((p for p, (task, _) in current.items() if task[0] == result[0]), None)
            if owner is not None:  # else the input of a worker already stopped
                yield result
                feed(owner)
            continue
        for process, (task, began) in list(current.items()):
            spent = time.monotonic() - began
            if spent > task[2] + HUNG:
                process.kill()
                process.join()
                del current[process], inboxes[process]
                yield (*task[:2], "over-time", f"hung: stopped after {spent:.0f} s", spent)
                start()
    for process in inboxes:
        process.join(timeout=10)


# What ``classify`` never loads (tests/test_fuzz.py checks it): the generated code, the
# other commands and writers. Left out of the fingerprint, so that work on them does not
# orphan a campaign's journal; whatever derives, proves and writes text, LaTeX and JSON is in.
NOT_RUN = (
    "derive/codegen/", "derive/notes/", "derive/claims.py", "derive/descent.py",
    "derive/pictures.py", "derive/notebooks.py", "derive/jupyter.py", "derive/codecheck.py",
    "derive/arraycheck.py", "derive/values.py", "derive/mathtext.py",
    "derive/deferred_tensors.py", "derive/proof/gradient_check.py", "derive/emit/claim.py",
    "derive/emit/descent.py", "derive/emit/html.py", "derive/emit/markdown.py",
    "derive/emit/mathml.py", "derive/emit/rules.py",
)  # fmt: skip


def code_fingerprint() -> str:
    """A hash of the code under test (derive/ but NOT_RUN, rules/) and of the fuzzer and its
    grammar: a journal is resumed only by the code that began it. Each module counts by its
    syntax tree without docstrings (comments are not in it), so that a corrected docstring or
    comment does not orphan a campaign of hours; a change to what runs does."""
    root = Path(__file__).parent.parent
    digest = hashlib.sha256()
    for path in sorted(
        [
            *root.glob("derive/**/*.py"),
            *root.glob("rules/**/*.py"),
            *(root / name for name in ("bench/fuzz.py", "tests/latex_grammar.py")),
        ]
    ):
        name = path.relative_to(root).as_posix()
        if not name.startswith(NOT_RUN):
            digest.update(name.encode() + b"\0" + _code_of(path).encode() + b"\0")
    return digest.hexdigest()[:16]


def _code_of(path: Path) -> str:
    """The module at ``path`` as its syntax tree, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and _is_docstring(body[0]):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def _is_docstring(statement: ast.stmt) -> bool:
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def open_journal(path: Path, header: dict) -> tuple[dict[int, tuple], object]:
    """The results a journal already holds (index -> (latex, category, detail, seconds)) and
    the journal open for appending; a journal of another campaign or other code is refused."""
    done: dict[int, tuple] = {}
    if path.exists() and path.stat().st_size:
        lines = path.read_text(encoding="utf-8").splitlines()
        found = json.loads(lines[0])
        if found != header:
            sys.exit(
                f"{path} holds another campaign or was written by other code:\n"
                f"  journal {found}\n  now     {header}"
            )
        for line in lines[1:]:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # the last line of a run that was killed
                continue
            done[row["i"]] = (row["latex"], row["category"], row["detail"], row["seconds"])
        journal = path.open("a", encoding="utf-8")
        if not path.read_bytes().endswith(b"\n"):
            journal.write("\n")  # the killed run's half line stays a line of its own
    else:
        journal = path.open("w", encoding="utf-8")
        journal.write(json.dumps(header) + "\n")
    return done, journal


def main() -> None:
    from tests.latex_grammar import random_input

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--examples", type=int, default=5, help="inputs shown per category")
    parser.add_argument(
        "--journal",
        type=Path,
        help="record each result here (JSON lines); run again with the same file to resume",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    inputs = [random_input(rng) for _ in range(args.count)]
    done: dict[int, tuple] = {}
    journal = None
    if args.journal:
        header = {
            "seed": args.seed,
            "count": args.count,
            "timeout": args.timeout,
            "code": code_fingerprint(),
        }
        done, journal = open_journal(args.journal, header)
        if done:
            print(
                f"  resuming: {len(done)} of {args.count} already in {args.journal}",
                file=sys.stderr,
                flush=True,
            )
    tasks = [(i, latex, args.timeout) for i, latex in enumerate(inputs) if i not in done]
    counts: collections.Counter = collections.Counter()
    examples: dict[str, list] = collections.defaultdict(list)
    slowest = 0.0

    def record(latex: str, category: str, detail: str, seconds: float) -> None:
        nonlocal slowest
        counts[category] += 1
        slowest = max(slowest, seconds)
        if len(examples[category]) < args.examples:
            examples[category].append((latex, detail))

    for latex, category, detail, seconds in done.values():
        record(latex, category, detail, seconds)
    started = time.monotonic()
    found = results(tasks, args.workers)
    for n, (index, latex, category, detail, seconds) in enumerate(found, start=1):
        record(latex, category, detail, seconds)
        if journal:
            row = {
                "i": index,
                "latex": latex,
                "category": category,
                "detail": detail,
                "seconds": round(seconds, 3),
            }
            journal.write(json.dumps(row) + "\n")
            journal.flush()
        if category in FINDINGS:  # shown at once: a long campaign is read while it runs
            print(f"{category}: {latex!r}\n    {detail}", file=sys.stderr, flush=True)
        if n % 1000 == 0:
            spent = time.monotonic() - started
            total = n + len(done)
            print(
                f"  {total} inputs ({n} in {spent:.0f} s), {dict(counts)}",
                file=sys.stderr,
                flush=True,
            )
    elapsed = time.monotonic() - started
    resumed = f", {len(done)} of them from {args.journal}" if done else ""
    print(
        f"{args.count} inputs (seed {args.seed}{resumed}); {len(tasks)} run in {elapsed:.0f} s,"
        f" slowest {slowest:.1f} s"
    )
    for category in ("accepted", "refused", "crashed", "over-time", "wrong"):
        print(f"  {category:10s} {counts[category]:7d}")
    for category in FINDINGS:
        for latex, detail in examples[category]:
            print(f"{category}: {latex!r}\n    {detail}")
    sys.exit(1 if counts["crashed"] or counts["over-time"] or counts["wrong"] else 0)


if __name__ == "__main__":
    main()
