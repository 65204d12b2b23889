"""The API's guard: every public call answers or refuses within its time, with a DeriveError.

``@guarded`` gives a function a ``timeout`` keyword (seconds; by default 10, or what is left of
the caller's deadline when one guarded call makes another) and runs it within that deadline,
in whatever thread it is called from. What goes wrong inside becomes a
``DeriveError`` that names the input: the deadline passing, nesting too deep for Python,
memory running out, or an unexpected error inside SymPy (a bug, said as such). Never a
traceback from SymPy's depths.
"""

from __future__ import annotations

import functools
import math

from derive.deadline import TimeUp, remaining, within
from derive.errors import DeriveError

DEFAULT_TIMEOUT = 10.0


def out_of_time(subject, timeout: float) -> DeriveError:
    """The error for a request about ``subject`` (LaTeX, or a loss) that ran out of time."""
    return DeriveError(
        f"gave up on {_subject((subject,) if subject is not None else ())} after {timeout:g} s: "
        "too large to derive in time (a longer timeout may help)"
    )


def _subject(args) -> str:
    """The input a call was about, for a message: its LaTeX, shortened."""
    if not args:
        return "the input"
    value = getattr(args[0], "source", args[0])
    text = repr(value) if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def guarded(function):
    """``function`` with a ``timeout`` keyword and every failure turned into a DeriveError."""

    @functools.wraps(function)
    def call(*args, timeout: float | None = None, **kwargs):
        inherited = timeout is None and not math.isinf(remaining())
        if timeout is None:
            timeout = max(remaining(), 0.0) if inherited else DEFAULT_TIMEOUT
        elif not (isinstance(timeout, (int, float)) and timeout > 0):
            raise DeriveError(f"the timeout must be a positive number of seconds, not {timeout}")
        try:
            with within(timeout):
                return function(*args, **kwargs)
        except DeriveError:
            raise
        except TimeUp:
            if inherited:
                raise  # the caller's deadline: the caller says how long it gave
            raise out_of_time(args[0] if args else None, timeout) from None
        except RecursionError:
            raise DeriveError(f"{_subject(args)} is nested too deeply") from None
        except MemoryError:
            raise DeriveError(f"{_subject(args)} is too large: out of memory") from None
        except TypeError as error:
            if not str(error).startswith(_NOT_REAL):
                raise _bug(args, error) from error
            raise DeriveError(
                f"gave up on {_subject(args)}: SymPy took {str(error)[len(_NOT_REAL) :]} for a "
                "value that is not real and could not compare it (SymPy's checks of such a "
                "constant can disagree with each other); write the constant as a number"
            ) from None
        except Exception as error:  # noqa: BLE001 - a bug inside derive or SymPy: said so
            raise _bug(args, error) from error

    return call


# SymPy's assumptions about a constant such as log(erf(10)) (erf(10) is 1 − 2·10⁻⁴⁵) depend on
# the order in which it checks them, which it shuffles at random: one order finds the value
# real, another not, and building an expression then raises this.
_NOT_REAL = "Invalid comparison of non-real "


def _bug(args, error: Exception) -> DeriveError:
    return DeriveError(
        f"derive failed on {_subject(args)}: {type(error).__name__}: {error} "
        "(this is a bug in derive; please report it with the input)"
    )
