"""Time limits that hold in any thread: one deadline per request, bounded attempts at SymPy.

A request (``derive.gradient``, a command) runs ``within(seconds)``: a deadline on the wall
clock that the steps check between them (``check()``) and that caps every ``attempt``. An
attempt runs SymPy work that may not finish (simplify, solve, refine) for a slice of its own
thread's CPU time (``time.thread_time``), so that what it finds does not depend on what else
the machine is doing: a proof found on an idle machine is found under load, and the same
input gives the same derivation and the same module (only the request's deadline can cut it
short). It is watched by a trace function of its own thread (``sys.settrace``, called at
each Python call): once the attempt's time is up, its next call raises ``TimeUp`` (a
generator's next line; never inside a generator being closed, a finalizer or a garbage
collector callback, where Python would print the exception as "ignored" and switch the
trace function off, so that the attempt ran on unwatched). No
signals and no other thread take part, so nothing can land after the attempt has ended, and
it works in any thread, a notebook's or a web server's alike.

``TimeUp`` is a ``BaseException``: ``except Exception`` clauses cannot swallow it (and SymPy
has no bare ``except:`` outside its tests).
"""

from __future__ import annotations

import gc
import inspect
import math
import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar

_DEADLINE: ContextVar[float] = ContextVar("derive_deadline", default=math.inf)
# When searches (``attempt(..., early=True)``: SymPy trying to prove or simplify) stop, on the
# wall clock: a quarter of the request's time before its deadline, so that on a loaded
# machine, where their slices of CPU time take longer, the request still finishes with what
# they found (a step checked rather than proved) instead of giving up.
_SEARCHES_END: ContextVar[float] = ContextVar("derive_searches_end", default=math.inf)
# The enclosing attempt's end: (this thread's CPU time, the wall clock).
_ATTEMPT_END: ContextVar[tuple] = ContextVar("derive_attempt_end", default=(math.inf, math.inf))
RESERVE = 0.25  # of a request's time, kept for the work after the searches


def cpu_seconds() -> float:
    """This thread's CPU time: the clock of an attempt's slice and of a proof budget."""
    return time.thread_time()


_RESUMABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


def _unheard(frame) -> bool:
    """Whether an exception raised in ``frame`` would be lost: Python prints it as "ignored"
    and switches the trace function off when it escapes a finalizer (``__del__``), a garbage
    collector callback (as Hypothesis installs), a weak reference's callback or a generator
    being closed."""
    if isinstance(sys.exc_info()[1], GeneratorExit):
        return True
    callbacks = {
        getattr(getattr(callback, "__func__", callback), "__code__", None)
        for callback in gc.callbacks
    }
    while frame is not None:
        code = frame.f_code
        if code.co_name == "__del__" or code in callbacks or code.co_filename.endswith(_WEAKREF):
            return True
        frame = frame.f_back
    return False


# The standard library's weak references call back when an object dies, wherever the
# program then is (a WeakSet or WeakValueDictionary forgetting it, weakref.finalize).
_WEAKREF = ("weakref.py", "_weakrefset.py")


class TimeUp(BaseException):
    """A time limit passed."""


@contextmanager
def within(seconds: float):
    """Run the block with a deadline ``seconds`` from now (never later than an enclosing
    one); ``check()`` and ``attempt`` respect it."""
    now = time.monotonic()
    end = min(_DEADLINE.get(), now + seconds)
    token = _DEADLINE.set(end)
    searches = _SEARCHES_END.set(min(_SEARCHES_END.get(), now + (1 - RESERVE) * seconds))
    try:
        yield
    finally:
        _SEARCHES_END.reset(searches)
        _DEADLINE.reset(token)


def remaining() -> float:
    """Seconds left before the deadline (infinite outside ``within``)."""
    return _DEADLINE.get() - time.monotonic()


def check() -> None:
    """Raise TimeUp when the deadline has passed: called between the steps of a request."""
    if remaining() <= 0:
        raise TimeUp


def attempt(work, fallback, seconds: float | None = None, early: bool = False):
    """``work()``, or ``fallback`` when it runs out of ``seconds`` of this thread's CPU time
    (never beyond the request's deadline, nor an enclosing attempt's slice; with ``early``,
    a search whose failure only weakens a verdict, never beyond a quarter of the request's
    time before its deadline) or fails inside SymPy.

    SymPy's simplifiers, solvers, refine and numeric evaluation raise assorted errors on
    unusual input (IndexError, KeyError, ValueError, "not comparable", …). For derive that
    means only that this attempt found no answer: a proof not found, a point not evaluated.
    A spent slice (``seconds`` ≤ 0) skips the work; it never means "no limit". When the
    request's own deadline has passed, TimeUp goes on up: the request is over.
    """
    check()
    limit = min(math.inf if seconds is None else seconds, remaining())
    wall_end = _SEARCHES_END.get() if early else _DEADLINE.get()
    if limit <= 0 or time.monotonic() >= wall_end:
        return fallback
    try:
        return _watched(work, limit, wall_end)
    except TimeUp:
        check()
        return fallback
    except Exception:  # noqa: BLE001 - see the docstring
        return fallback


def watched(work):
    """``work()``, interrupted with TimeUp at its first Python call after the request's
    deadline, not only where it calls ``check()``: for work that is not a search but may be
    long (printing a large expression). Its errors go on up."""
    check()
    return _watched(work, remaining(), _DEADLINE.get())


def _watched(work, limit: float, wall_end: float):
    """``work()`` under a trace function that raises TimeUp in the first call it makes after
    ``limit`` seconds of this thread's CPU time or at ``wall_end`` on the wall clock (or an
    enclosing attempt's end)."""
    outer_cpu, outer_wall = _ATTEMPT_END.get()
    cpu_end, deadline = min(outer_cpu, cpu_seconds() + limit), min(outer_wall, wall_end)
    token = _ATTEMPT_END.set((cpu_end, deadline))
    outer = sys.gettrace()
    # A thread's CPU time never runs ahead of the wall clock: until ``look`` the slice cannot
    # be spent, and only the cheap clock is read at each call (the CPU clock is a system call).
    look = [min(deadline, time.monotonic() + (cpu_end - cpu_seconds()))]

    def spent() -> bool:
        now = time.monotonic()
        if now <= look[0]:
            return False
        left = cpu_end - cpu_seconds()
        if now >= deadline or left <= 0:
            return True
        look[0] = min(deadline, now + left)
        return False

    # A generator's frame is entered again each time it resumes, and also when it is closed
    # as it is collected, where an exception is "ignored" and printed on stderr: so a
    # generator raises at its next line instead, and nothing raises while one is closing.
    closing: list = []

    def watch(frame, event, arg):
        if closing or not spent() or _unheard(frame):
            return None  # no line events: only calls are watched
        if frame.f_code.co_flags & _RESUMABLE:
            return resumed
        raise TimeUp  # in the call the work was about to make

    def resumed(frame, event, arg):
        if event == "exception" and issubclass(arg[0], GeneratorExit):
            closing.append(frame)
            return finishing
        if event == "line":
            raise TimeUp
        return resumed

    def finishing(frame, event, arg):
        if event == "return":
            closing.remove(frame)
        return finishing

    if not (math.isinf(cpu_end) and math.isinf(deadline)):
        sys.settrace(watch)  # this frame is not traced: only the calls work() makes are
    try:
        return work()
    finally:
        sys.settrace(outer)  # first, before another Python call could meet the watcher
        _ATTEMPT_END.reset(token)
