"""Plain Unicode for a terminal: the equation chain with each line's rule beside it."""

from __future__ import annotations

import sympy

from derive import printing
from derive.deadline import check
from derive.emit import layout
from derive.model import Derivation, Partial

WIDTH = 64  # where the rule column starts, when the expression fits


def math(d: Derivation, expr: sympy.Basic, partial: bool | None = None) -> str:
    use_partial = layout.uses_partial(d) if partial is None else partial
    return printing.text(expr, d.spellings, use_partial)


def left_side(d: Derivation, p: Partial) -> str:
    if d.name and not d.loss.definitions:
        symbol = "∂" if layout.uses_partial(d) else "d"
        return f"{symbol}{printing.latex_to_text(d.name)}/{symbol}{math(d, p.var)}"
    return math(d, layout.heading(d, p))


def label(d: Derivation, item: layout.Label) -> str:
    if item.outer is None:
        return item.rule
    outer = item.outer
    derivative = math(d, sympy.Derivative(outer.expr, outer.var), partial=False)
    return f"chain rule, {derivative} = {math(d, outer.result)}"


def chain(d: Derivation, p: Partial) -> list[str]:
    out = [left_side(d, p)]
    for line in layout.partial_lines(p, d.form):
        check()  # a long chain is typeset within the request's deadline
        expr = "  = " + math(d, line.expr)
        labels = "; ".join(label(d, item) for item in line.labels)
        mark = layout.status_mark(line.verified)
        if mark:
            labels += f" ({mark})"
        if len(expr) < WIDTH:
            out.append(expr.ljust(WIDTH) + labels)
        else:
            out += [expr, " " * 8 + "by " + labels]
    return out


def result(d: Derivation, p: Partial) -> list[str]:
    if not p.cases:
        return [f"Result: {left_side(d, p)} = {math(d, p.result)}"]
    out = [f"Result: {left_side(d, p)} ="]
    values = [math(d, case.value) for case in p.cases]
    width = max(len(v) for v in values)
    for case, value in zip(p.cases, values, strict=True):
        mark = layout.status_mark(case.verified)
        mark = f"  ({mark})" if mark else ""
        out.append(f"    {value.ljust(width)}  where {math(d, case.where)}{mark}")
    return out


def render(d: Derivation) -> str:
    """The whole derivation as text."""
    name = f"{printing.latex_to_text(d.name)} = " if d.name else ""
    rows = layout.definitions(d)
    if rows:
        *defined, (loss_symbol, top) = rows
        out = [f"Loss: {math(d, loss_symbol)} = {math(d, top)}"]
        out += [f"  {'where' if k == 0 else '     '} {math(d, n)} = {math(d, e)}"
                for k, (n, e) in enumerate(defined)]  # fmt: skip
        out.append(f"  that is, {math(d, loss_symbol)} = {math(d, d.expr)}")
    else:
        out = [f"Loss: {name}{math(d, d.expr)}"]
    for reading in d.readings:
        out.append(f"  {reading}")
    out.append("  " + layout.reals_sentence(d).render(lambda e: math(d, e)))
    if any(p.kinks for p in d.partials):
        out.append(
            "  at a kink: sign(0) = 0; H(0) = 1/2 (a tie in max or min splits the gradient "
            "equally); ReLU'(0) = 0"
        )
    for p in d.partials:
        out.append("")
        out += chain(d, p)
        out.append("")
        out += result(d, p)
        for extra in layout.after_result(d, p):
            out.append(extra.render(lambda e: math(d, e)))
        for kink in p.kinks:
            out.append(layout.kink_sentence(kink).render(lambda e: math(d, e)))
        out.append(layout.verification_summary(p))
    return "\n".join(out) + "\n"
