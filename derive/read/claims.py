"""Reading a claimed derivative in the loss's own notation: Leibniz fractions
(``\\frac{d m_x}{dw}``, ``\\frac{\\partial J}{\\partial s_c}`` for the loss's name J,
``\\frac{d}{dx} u``) are read as derivatives left unevaluated; the engine works them out."""

from __future__ import annotations

import sympy

from derive.read.groups import is_braced
from derive.read.names import same_spelling
from derive.read.tokens import Token


def is_d(items: list) -> bool:
    """Whether ``items`` start with the d of a derivative: d, \\partial or \\mathrm{d}."""
    if not items or not isinstance(items[0], Token):
        return False
    first = items[0]
    return (
        first.kind == "letter"
        and first.text == "d"
        or first.kind == "command"
        and first.text == r"\partial"
        or first.kind == "font"
        and first.arg.strip() == "d"
    )


class ClaimReading:
    """Derivatives written in a claim (a mixin of the reader)."""

    def leibniz(self, items: list, k: int):
        """In a claim, ``\\frac{d f}{d x}`` and ``\\frac{\\partial J}{\\partial s}`` are
        derivatives, and ``\\frac{d}{dx} u`` differentiates the rest of the term. Returns
        (value, next index), or None for an ordinary fraction. In a loss they are refused."""
        if k + 2 >= len(items):
            return None
        top, bottom = items[k + 1], items[k + 2]
        if not (is_braced(top) and is_braced(bottom)):
            return None
        if not (is_d(top.items[:1]) and is_d(bottom.items[:1]) and len(bottom.items) > 1):
            return None
        if self.context is None:
            self.fail(
                "a derivative operator in the loss: derive computes the derivatives; write the "
                "loss itself and name the variable with --wrt",
                items[k],
                end=bottom.end,
            )
        name, used = self.name(bottom.items, 1)
        if used != len(bottom.items):
            self.fail("write the variable alone below the line, as in \\frac{d f}{d x}", bottom)
        var = self.symbol(name)
        if len(top.items) == 1:  # d/dx applied to what follows
            if k + 3 >= len(items):
                self.fail("\\frac{d}{dx} needs something after it", items[k])
            return sympy.Derivative(self.term(items[k + 3 :]), var), len(items)
        return sympy.Derivative(self.derivand(top.items[1:]), var), k + 3

    def derivand(self, items: list) -> sympy.Expr:
        """What ``d`` applies to in ``\\frac{d f}{d x}``: an unknown function of the loss
        (``m_x`` is m_x(w)), the loss itself by its name (J), or an expression."""
        loss, functions = self.context
        if items and self._is_name_start(items[0]):
            name, used = self.name(items, 0)
            if used == len(items):
                if name.ident in functions:
                    return functions[name.ident]
                if loss.name is not None and same_spelling(name.latex, loss.name):
                    return loss.expr
        return self.expression(items, items[0].col, items[-1].end)
