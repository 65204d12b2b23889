"""Time limits that hold in any thread: one deadline per request, bounded attempts at SymPy.

A request (``derive.gradient``, a command) runs ``within(seconds)``: a deadline that the steps
check between them (``check()``) and that caps every ``attempt``. An attempt runs SymPy work
that may not finish (simplify, solve, refine) watched by a trace function of its own thread
(``sys.settrace``, called at each Python call): once the attempt's time is up, its next call
raises ``TimeUp``. No signals and no other thread take part, so nothing can land after the
attempt has ended, and it works in any thread, a notebook's or a web server's alike.

``TimeUp`` is a ``BaseException``: ``except Exception`` clauses cannot swallow it (and SymPy
has no bare ``except:`` outside its tests).
"""

from __future__ import annotations

import math
import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar

_DEADLINE: ContextVar[float] = ContextVar("derive_deadline", default=math.inf)
_ATTEMPT_END: ContextVar[float] = ContextVar("derive_attempt_end", default=math.inf)


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


def attempt(work, fallback, seconds: float | None = None):
    """``work()``, or ``fallback`` when it runs out of ``seconds`` (never beyond the request's
    deadline, nor an enclosing attempt's) or fails inside SymPy.

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
    end = min(_ATTEMPT_END.get(), time.monotonic() + limit)
    token = _ATTEMPT_END.set(end)
    outer = sys.gettrace()

    def watch(frame, event, arg):
        if time.monotonic() > end:
            raise TimeUp  # in the call the work was about to make
        return None  # no line events: only calls are watched

    if not math.isinf(end):
        sys.settrace(watch)  # this frame is not traced: only the calls work() makes are
    try:
        result = work()
    except BaseException as error:
        sys.settrace(outer)  # first, before another Python call could meet the watcher
        _ATTEMPT_END.reset(token)
        if isinstance(error, TimeUp):
            check()
            return fallback
        if isinstance(error, Exception):  # noqa: BLE001 - see the docstring
            return fallback
        raise
    sys.settrace(outer)
    _ATTEMPT_END.reset(token)
    return result
