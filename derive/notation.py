"""Names as people write them in LaTeX, as Python identifiers, and as Unicode text.

One identifier per symbol serves SymPy, JSON and generated code alike: ``\\hat{y}`` is
``y_hat``, ``w_{12}`` is ``w_12``, ``\\lambda`` is ``lambda_``. Every identifier is valid
Python, not a keyword, and reads back with ``sympy.sympify`` as a plain symbol.
"""

from __future__ import annotations

import keyword
import re
from functools import cache

GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
    "vartheta", "iota", "kappa", "varkappa", "lambda", "mu", "nu", "xi", "rho", "varrho",
    "sigma", "varsigma", "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega",
    "Gamma", "Delta", "Theta", "Lambda", "Xi", "Sigma", "Upsilon", "Phi", "Psi", "Omega",
    "ell",
}  # fmt: skip
UNICODE = {
    "−": "-", "–": "-", "·": r"\cdot ", "×": r"\times ", "÷": r"\div ", "≤": r"\le ",
    "≥": r"\ge ", "≠": r"\ne ", "′": "'", "″": "''", "∗": "*",
    "⊙": r"\odot ", "⟨": r"\langle ", "⟩": r"\rangle ",
    "α": r"\alpha ", "β": r"\beta ", "γ": r"\gamma ", "δ": r"\delta ", "ε": r"\epsilon ",
    "ζ": r"\zeta ", "η": r"\eta ", "θ": r"\theta ", "ι": r"\iota ", "κ": r"\kappa ",
    "λ": r"\lambda ", "μ": r"\mu ", "ν": r"\nu ", "ξ": r"\xi ", "π": r"\pi ", "ρ": r"\rho ",
    "σ": r"\sigma ", "τ": r"\tau ", "υ": r"\upsilon ", "φ": r"\phi ", "χ": r"\chi ",
    "ψ": r"\psi ", "ω": r"\omega ", "Γ": r"\Gamma ", "Δ": r"\Delta ", "Θ": r"\Theta ",
    "Λ": r"\Lambda ", "Ξ": r"\Xi ", "Σ": r"\Sigma ", "Φ": r"\Phi ", "Ψ": r"\Psi ",
    "Ω": r"\Omega ",
}  # fmt: skip
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
    identifier = re.sub(r"[^A-Za-z0-9_]", "_", identifier) or "x"  # ASCII: NFKC folds nothing
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


_GREEK_TEXT = {v.strip(): k for k, v in UNICODE.items() if v.strip()[1:] in GREEK}
_GREEK_TEXT[r"\ell"] = "ℓ"
_GREEK_TEXT[r"\varepsilon"] = "ε"
_GREEK_TEXT[r"\varphi"] = "φ"
_GREEK_TEXT[r"\vartheta"] = "ϑ"
_COMBINING = {
    "hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0304",
    "tilde": "\u0303", "widetilde": "\u0303", "vec": "\u20d7", "dot": "\u0307",
    "ddot": "\u0308", "check": "\u030c", "breve": "\u0306", "acute": "\u0301",
    "grave": "\u0300", "mathring": "\u030a",
}  # fmt: skip


_ACCENT = re.compile(
    r"\\(" + "|".join(_COMBINING) + r")\s*"
    r"(?:\{(?P<braced>(?:[^{}]|\{[^{}]*\})*)\}|(?P<bare>\\[A-Za-z]+|[A-Za-z]))"
)
_FONT = re.compile(
    r"\\(?:mathit|mathrm|text|textrm|operatorname|mathbf|boldsymbol|bm|mathsf|mathtt|"
    r"mathcal|mathbb|mathfrak|textbf|textit|mbox)\s*\{([^{}]*)\}"
)
_COMMAND = re.compile(r"\\[A-Za-z]+")


def latex_to_text(latex: str) -> str:
    """A LaTeX name in Unicode for a terminal: ``\\hat{y}`` → ŷ, ``\\Delta`` → Δ,
    ``w_{12}`` → w_12."""

    def accent(match):
        inner = latex_to_text(match.group("braced") or match.group("bare"))
        return inner[:1] + _COMBINING[match.group(1)] + inner[1:]

    text = _ACCENT.sub(accent, latex)
    text = _FONT.sub(r"\1", text)
    text = _COMMAND.sub(lambda m: _GREEK_TEXT.get(m.group(0), m.group(0)[1:]), text)
    return text.replace("{", "").replace("}", "").replace(" ", "")
