"""derive: step-by-step, proved derivations of the gradients of loss functions written in LaTeX.

    >>> import derive
    >>> d = derive.gradient("x^2")
    >>> d.result
    2*x

``gradient`` returns a ``Derivation``: ``.result``/``.results``, ``.steps``, ``.partials``, and
``.text()``, ``.latex()``, ``.markdown()``, ``.html()``, ``.to_json()``.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["DeriveError", "Derivation", "ParseError", "gradient", "parse_loss", "__version__"]


def __getattr__(name):
    # Lazy, so that `derive --version` and `derive rules` do not pay for SymPy's import.
    if name == "gradient":
        from derive.api import gradient

        return gradient
    if name == "Derivation":
        from derive.steps import Derivation

        return Derivation
    if name == "parse_loss":
        from derive.parse import parse_loss

        return parse_loss
    if name in ("ParseError", "DeriveError"):
        from derive import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'derive' has no attribute {name!r}")
