"""A time limit for SymPy work that may not finish (simplify on an unlucky expression)."""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager


class TimeUp(Exception):
    """The time limit passed."""


@contextmanager
def time_limit(seconds: float):
    """Raise TimeUp in the block after ``seconds``. Only in the main thread of a Unix process
    (elsewhere the block runs without a limit); limits do not nest: an inner one replaces the
    outer while it runs."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable or seconds <= 0:
        yield
        return

    def expire(signum, frame):
        raise TimeUp

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
