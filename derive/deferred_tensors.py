"""Keep SymPy's tensor algebra from loading in a command that makes no tensor.

The first sum SymPy builds (``Add.flatten``) imports ``sympy.tensor.tensor``, only to ask
whether a term is a ``TensExpr``; that module imports ``sympy.combinatorics``, which builds
its polyhedra as it loads: 20-50 ms, about a tenth of ``import sympy``, that a bare
``import sympy`` does not pay and no derive command needs. ``defer()`` puts a stand-in
under the module's name: it answers the two names ``Add.flatten`` reads with a class that
has no instances (no object of a program is a tensor before the tensor module exists), and
the first other name loads the real module in the stand-in's place, after which every
import, ``Add.flatten``'s included, gets the real one. The command line calls it; the
library leaves SymPy as it is.
"""

from __future__ import annotations

import importlib
import sys
import types

NAME = "sympy.tensor.tensor"
_READ_BY_ADD = ("TensExpr", "TensAdd")


class NotATensor:
    """A class no object is an instance of: there is no tensor before the real module."""

    def __new__(cls, *args, **kwargs):
        raise TypeError(f"{NAME} was not loaded")


def defer() -> None:
    """Put the stand-in in place, unless the real module is already loaded."""
    if NAME in sys.modules:
        return
    stand_in = types.ModuleType(NAME, __doc__)

    def attribute(name: str):
        if sys.modules.get(NAME) is stand_in:
            if name.startswith("__"):  # the import system asking for __path__, say
                raise AttributeError(name)
            if name in _READ_BY_ADD:
                return NotATensor
            del sys.modules[NAME]
            importlib.import_module(NAME)
        return getattr(sys.modules[NAME], name)

    stand_in.__getattr__ = attribute
    sys.modules[NAME] = stand_in
