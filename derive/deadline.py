"""Time limits that hold in any thread: one deadline per request, bounded attempts at SymPy.

A request (``derive.gradient``, a command) runs ``within(seconds)``: a deadline that the steps
check between them (``check()``) and that caps every ``attempt``. An attempt runs SymPy work
that may not finish (simplify, solve, refine) under an interrupter that works in any thread,
a notebook's or a web server's included: when its time is up, a timer thread raises ``TimeUp``
in the attempt's thread (CPython's ``PyThreadState_SetAsyncExc``), again every 10 ms while the
work goes on, and clears any pending one as the attempt ends, so that none lands after it.

``TimeUp`` is a ``BaseException``: SymPy's own ``except Exception`` clauses cannot swallow it.
"""

from __future__ import annotations

import ctypes
import math
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar

RETRY = 0.01  # seconds between interruptions once an attempt's time is up
_DEADLINE: ContextVar[float] = ContextVar("derive_deadline", default=math.inf)


class TimeUp(BaseException):
    """A time limit passed."""


@contextmanager
def within(seconds: float):
    """Run the block with a deadline ``seconds`` from now (never later than an enclosing
    one); ``check()`` and ``attempt`` respect it."""
    end = min(_DEADLINE.get(), time.monotonic() + seconds)
    token = _DEADLINE.set(end)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def remaining() -> float:
    """Seconds left before the deadline (infinite outside ``within``)."""
    return _DEADLINE.get() - time.monotonic()


def check() -> None:
    """Raise TimeUp when the deadline has passed: called between the steps of a request."""
    if remaining() <= 0:
        raise TimeUp


def _raise_in(thread: int, exception) -> None:
    """Raise ``exception`` in the thread ``thread`` at its next bytecode (None: cancel)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), exception)


@contextmanager
def _interrupted_after(seconds: float):
    """Raise TimeUp in this thread after ``seconds``, and every RETRY after that, until the
    block ends; then cancel any TimeUp not yet delivered."""
    thread, lock, inside = threading.get_ident(), threading.Lock(), [True]

    def interrupt():
        with lock:
            if inside[0]:
                _raise_in(thread, ctypes.py_object(TimeUp))
                _start(RETRY)

    def _start(delay: float) -> None:
        timer = threading.Timer(delay, interrupt)
        timer.daemon = True
        timer.start()
        timers.append(timer)

    timers: list[threading.Timer] = []
    _start(seconds)
    try:
        yield
    finally:
        while inside[0]:
            try:  # a TimeUp may land here, before the flag is down: then leave again
                with lock:
                    inside[0] = False
                    _raise_in(thread, None)
            except TimeUp:
                continue
        for timer in timers:
            timer.cancel()


def attempt(work, fallback, seconds: float | None = None):
    """``work()``, or ``fallback`` when it runs out of ``seconds`` (never beyond the request's
    deadline) or fails inside SymPy.

    SymPy's simplifiers, solvers, refine and numeric evaluation raise assorted errors on
    unusual input (IndexError, KeyError, ValueError, "not comparable", …). For derive that
    means only that this attempt found no answer: a proof not found, a point not evaluated.
    A spent slice (``seconds`` ≤ 0) skips the work; it never means "no limit". When the
    request's own deadline has passed, TimeUp goes on up: the request is over.
    """
    check()
    limit = min(math.inf if seconds is None else seconds, remaining())
    if limit <= 0:
        return fallback
    try:
        if math.isinf(limit):
            return work()
        with _interrupted_after(limit):
            return work()
    except TimeUp:
        check()
        return fallback
    except Exception:  # noqa: BLE001 - see the docstring; RecursionError included
        return fallback
