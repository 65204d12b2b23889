"""Time limits for SymPy work that may not finish (simplify on an unlucky expression)."""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager

RETRY = 0.01  # seconds between alarms once a limit has passed


class TimeUp(Exception):
    """A time limit passed."""


def _usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float):
    """Raise TimeUp in the block after ``seconds``.

    Limits nest: an inner limit never outlasts the outer one, and when the inner block ends
    the outer limit's clock carries on. Works in the main thread of a Unix process; elsewhere
    the block runs without a limit.
    """
    if not _usable() or seconds <= 0:
        yield
        return
    outer_left = signal.getitimer(signal.ITIMER_REAL)[0]
    outer_handler = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()

    def expire(signum, frame):
        # If this exception lands where Python swallows it (a garbage-collector callback),
        # the alarm rings again shortly, until the block has really ended.
        signal.setitimer(signal.ITIMER_REAL, RETRY)
        raise TimeUp

    signal.signal(signal.SIGALRM, expire)
    limit = min(seconds, outer_left) if outer_left > 0 else seconds
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer_handler)
        if outer_left > 0:
            left = outer_left - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001))


def attempt(work, fallback, seconds: float | None = None):
    """``work()``, or ``fallback`` when it runs out of ``seconds`` or fails inside SymPy.

    SymPy's simplifiers, solvers, refine and numeric evaluation raise assorted errors on
    unusual input (IndexError, KeyError, ValueError, "not comparable", …). For derive that
    means only that this attempt found no answer: a proof not found, a point not evaluated.
    """
    if seconds is not None and seconds <= 0:
        return fallback  # a spent budget skips the work; it never means "no limit"
    try:
        if seconds is None:
            return work()
        with time_limit(seconds):
            return work()
    except Exception:  # noqa: BLE001 - see the docstring; TimeUp and RecursionError included
        return fallback
