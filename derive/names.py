"""Python identifiers for the names people write in LaTeX, and the sets they must avoid.

One identifier per symbol serves SymPy, JSON and generated code alike: ``\\hat{y}`` is
``y_hat``, ``w_{12}`` is ``w_12``, ``\\lambda`` is ``lambda_``. Every identifier is valid
Python, not a keyword, and reads back with ``sympy.sympify`` as a plain symbol.
"""

from __future__ import annotations

import keyword
import re
from functools import cache

ACCENT_SUFFIX = {
    "hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
    "widetilde": "tilde", "vec": "vec", "dot": "dot", "ddot": "ddot", "check": "check",
    "breve": "breve", "acute": "acute", "grave": "grave", "mathring": "ring",
}  # fmt: skip
FONT_SUFFIX = {
    "mathbf": "bold", "boldsymbol": "bold", "bm": "bold", "textbf": "bold", "mathcal": "cal",
    "mathbb": "bb", "mathfrak": "frak", "mathsf": "sf", "mathtt": "tt",
}  # fmt: skip


@cache
def _sympy_names() -> frozenset[str]:
    import sympy

    return frozenset(sympy.__all__) | {"lambda"}


def is_safe(identifier: str) -> bool:
    """Whether ``identifier`` is valid Python and reads back from ``sympify`` as a symbol."""
    return (
        identifier.isidentifier()
        and not keyword.iskeyword(identifier)
        and not keyword.issoftkeyword(identifier)
        and identifier not in _sympy_names()
    )


def make_safe(identifier: str) -> str:
    """``identifier`` itself when safe, else with underscores appended until it is."""
    identifier = re.sub(r"\W", "_", identifier) or "x"
    if identifier[0].isdigit():
        identifier = "x" + identifier
    while not is_safe(identifier):
        identifier += "_"
    return identifier


def subscript_identifier(latex: str) -> str:
    """The identifier part for a subscript's LaTeX: ``12`` → ``12``, ``i,j`` → ``i_j``,
    ``\\text{true}`` → ``true``, ``\\theta`` → ``theta``."""
    text = re.sub(r"\\(?:text|textrm|mathrm|mathit|mathbf|operatorname|mbox)\b", "", latex)
    text = re.sub(r"\\([A-Za-z]+)", r"_\1_", text)
    text = re.sub(r"[^A-Za-z0-9]+", "_", text)
    return text.strip("_")
