"""derive: step-by-step, proved derivations of the gradients of loss functions written in LaTeX.

    >>> import derive
    >>> d = derive.gradient("x^2")
    >>> d.result
    2*x

``gradient`` returns a ``Derivation``: ``.result``/``.results``, ``.steps``, ``.partials``,
``.text()``, ``.latex()``, ``.markdown()``, ``.html()``, ``.to_json()``, ``.code()`` and
``.compile()``. ``check`` proves or refutes a claimed derivative, ``descend`` runs gradient
descent with the derived gradient, ``plot`` draws a loss and its derivative.

In Jupyter or IPython, ``%load_ext derive`` gives the ``%%derive`` cell magic and the
``%derive`` line magic (``derive.jupyter``).
"""

from __future__ import annotations

from derive.version import __version__

__all__ = [
    "DeriveError", "Derivation", "ParseError", "check", "descend", "gradient", "parse_loss",
    "plot", "sympy_namespace", "__version__",
]  # fmt: skip
_LAZY = {
    "gradient": ("derive.api", "gradient"),
    "Derivation": ("derive.api", "Derivation"),
    "parse_loss": ("derive.api", "parse_loss"),
    "ParseError": ("derive.errors", "ParseError"),
    "DeriveError": ("derive.errors", "DeriveError"),
    "check": ("derive.claims", "check"),
    "descend": ("derive.descent", "descend"),
    "plot": ("derive.pictures", "plot"),
    "sympy_namespace": ("rules.registry", "sympy_namespace"),
}


def __getattr__(name):
    # Lazy, so that `derive --version` and `derive rules` do not pay for SymPy's import.
    if name not in _LAZY:
        raise AttributeError(f"module 'derive' has no attribute {name!r}")
    import importlib

    module, attribute = _LAZY[name]
    return getattr(importlib.import_module(module), attribute)


def load_ipython_extension(ipython) -> None:
    """``%load_ext derive``: register the ``%derive`` line and ``%%derive`` cell magics.

    IPython is imported here, not by ``import derive``. (Through importlib, as the attributes
    above: ``derive.jupyter`` reads options with the command line's own commands in cli.py,
    which import this package.)"""
    import importlib

    importlib.import_module("derive.jupyter").load_ipython_extension(ipython)
