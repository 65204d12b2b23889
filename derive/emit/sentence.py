"""Prose with mathematics in it, for every format: a ``Sentence`` of text and expressions,
and the conventions' formulas (``H(0) = 1/2``) as ``Formula`` parts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sympy

__all__ = ["Formula", "Sentence", "with_formulas"]


@dataclass(frozen=True)
class Formula:
    """A formula that is not a SymPy expression (a convention: ``H(0) = 1/2``), for a
    sentence's mathematics: SymPy's printers call ``_latex`` and ``_sympystr``."""

    plain: str
    latex: str

    def _latex(self, printer) -> str:
        return self.latex

    def _sympystr(self, printer) -> str:
        return self.plain


_CONVENTIONS = {  # the conventions' formulas, as written in rules/, and in LaTeX
    "sign(0) = 0": r"\operatorname{sign}(0) = 0",
    "H(0) = 1/2": r"H(0) = \tfrac{1}{2}",
    "ReLU'(0) = 0": r"\operatorname{ReLU}'(0) = 0",
}
_CONVENTION = re.compile("|".join(re.escape(formula) for formula in _CONVENTIONS))


def with_formulas(text: str) -> list:
    """``text`` as sentence parts, each convention's formula in it a ``Formula``."""
    parts, last = [], 0
    for found in _CONVENTION.finditer(text):
        parts += [text[last : found.start()], Formula(found.group(), _CONVENTIONS[found.group()])]
        last = found.end()
    parts.append(text[last:])
    return [part for part in parts if part != ""]


@dataclass(frozen=True)
class Sentence:
    """Prose with mathematics in it: ``parts`` alternate text and SymPy expressions."""

    parts: tuple

    def render(self, math: Callable[[sympy.Basic], str], prose: Callable[[str], str] = str) -> str:
        return "".join(prose(p) if isinstance(p, str) else math(p) for p in self.parts)

    def render_inline(
        self,
        latex: Callable[[sympy.Basic], str],
        prose: Callable[[str], str],
        wrap: Callable[[str], str] = lambda math: f"${math}$",
    ) -> str:
        """For formats with ``$…$`` mathematics (LaTeX, Markdown): an equation ``a = b`` of
        the sentence in one piece of mathematics, which TeX may break after its ``=``;
        ``wrap`` sets each piece (LaTeX displays one too long for a line)."""
        out, parts, k = [], self.parts, 0
        while k < len(parts):
            if isinstance(parts[k], str):
                out.append(prose(parts[k]))
                k += 1
                continue
            math = latex(parts[k])
            while (
                k + 2 < len(parts) and parts[k + 1] == " = " and not isinstance(parts[k + 2], str)
            ):
                math += " = " + latex(parts[k + 2])
                k += 2
            out.append(wrap(math))
            k += 1
        return "".join(out)
