"""Derivations shared by the blocks of one note: inside ``with shared_derivations():``,
``derive.gradient`` called twice with the same loss and options derives it once (a note's
``grad`` and ``code`` blocks on one loss, say). Outside, nothing is remembered."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Hashable, Iterator

_SHARED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("shared", default=None)


@contextlib.contextmanager
def shared_derivations() -> Iterator[None]:
    """Remember each derivation made inside the block, for the rest of the block."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def remembered(key: Hashable, make: Callable):
    """``make()``, or what it gave before for ``key`` inside ``shared_derivations``."""
    shared = _SHARED.get()
    if shared is None:
        return make()
    if key not in shared:
        shared[key] = make()
    return shared[key]
