"""LaTeX for lecture notes: an ``align*`` per partial derivative, each step's rule beside it.

``render(d)`` is a snippet for a document that loads amsmath; ``render(d, standalone=True)``
a whole document that pdflatex compiles. Markdown and HTML reuse the blocks built here.
"""

from __future__ import annotations

import sympy

from derive import printing
from derive.deadline import check
from derive.emit import layout
from derive.model import Derivation, Partial
from derive.version import __version__

_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}  # fmt: skip


def prose(text: str) -> str:
    """Plain text made safe for LaTeX."""
    escaped = "".join(_SPECIAL.get(ch, ch) for ch in text)
    return escaped.replace("--", "-{}-").replace("'", "'")


def math(d: Derivation, expr: sympy.Basic, partial: bool | None = None) -> str:
    """``expr`` as LaTeX in the input's spellings."""
    use_partial = layout.uses_partial(d) if partial is None else partial
    return printing.latex(expr, d.spellings, use_partial)


def left_side(d: Derivation, p: Partial) -> str:
    """∂J/∂s when the loss was named (J = …), else ∂/∂s of the loss."""
    if d.name and not d.loss.definitions:
        symbol = r"\partial" if layout.uses_partial(d) else "d"
        return rf"\frac{{{symbol} {d.name}}}{{{symbol} {math(d, p.var)}}}"
    return math(d, layout.heading(d, p))


def loss_math(d: Derivation) -> str:
    """The loss as read, in ``$…$``: with its name, or in its intermediates' names followed by
    their definitions."""
    if d.loss.definitions:
        return sentence(d, layout.definitions_sentence(d))
    return f"${d.name + ' = ' if d.name else ''}{math(d, d.expr)}$"


def label(d: Derivation, item: layout.Label) -> str:
    """A line's rule as LaTeX: the chain rule shows its outer formula."""
    if item.outer is None:
        return rf"\text{{{prose(item.rule)}}}"
    outer = item.outer
    derivative = math(d, sympy.Derivative(outer.expr, outer.var), partial=False)
    formula = rf"{derivative} = {math(d, outer.result)}"
    return rf"\text{{chain rule, }} {formula}"


def aligned_rows(d: Derivation, p: Partial) -> list[str]:
    """The rows of the equation chain, for ``align*`` or ``aligned``."""
    rows = []
    for k, line in enumerate(layout.partial_lines(p, d.form)):
        check()  # a long chain is typeset within the request's deadline
        labels = "; ".join(label(d, item) for item in line.labels)
        mark = layout.status_mark(line.verified)
        if mark:
            labels += rf" \quad \text{{({prose(mark)})}}"
        start = left_side(d, p) + " " if k == 0 else ""
        rows.append(rf"{start}&= {math(d, line.expr)} && {labels}")
    return rows


def result_equation(d: Derivation, p: Partial) -> str:
    """∂L/∂v = result, with the cases when the cases form was asked for."""
    if p.cases:
        rows = r" \\ ".join(
            rf"{math(d, case.value)} & {math(d, case.where)}{_case_mark(case.verified)}"
            for case in p.cases
        )
        return rf"{left_side(d, p)} = \begin{{cases}} {rows} \end{{cases}}"
    return rf"{left_side(d, p)} = {math(d, p.result)}"


def _case_mark(status: str) -> str:
    mark = layout.status_mark(status)
    return rf" \quad \text{{({prose(mark)})}}" if mark else ""


def sentence(d: Derivation, s: layout.Sentence) -> str:
    return s.render(lambda e: f"${math(d, e)}$", prose)


def reading(d: Derivation) -> list[str]:
    """Sentences on how the input was read, and the conventions."""
    lines = [f"${r.math}$ {prose(r.text)}." for r in d.readings]
    reals = sentence(d, layout.reals_sentence(d))
    lines.append(reals[0].upper() + reals[1:] + ".")
    if _has_kinks(d):
        lines.append(
            r"At a kink derive uses $\operatorname{sign}(0) = 0$, $H(0) = \tfrac{1}{2}$ "
            r"(a tie in $\max$ or $\min$ splits the gradient equally) and "
            r"$\operatorname{ReLU}'(0) = 0$."
        )
    return lines


def _has_kinks(d: Derivation) -> bool:
    return any(p.kinks for p in d.partials) or any(
        p.result.has(sympy.sign, sympy.Heaviside) for p in d.partials
    )


def partial_block(d: Derivation, p: Partial) -> list[str]:
    out = [r"\begin{align*}", " \\\\\n".join(aligned_rows(d, p)), r"\end{align*}"]
    if p.cases:
        out += [r"\[", result_equation(d, p), r"\]"]
    for extra in layout.after_result(d, p):
        out.append(sentence(d, extra) + "\n")
    for kink in p.kinks:
        out.append(sentence(d, layout.kink_sentence(kink)) + "\n")
    out.append(prose(layout.verification_summary(p)) + "\n")
    return out


def render(d: Derivation, standalone: bool = False) -> str:
    """The derivation as a LaTeX snippet (amsmath), or a whole document."""
    first, *rest = d.source.strip().splitlines() or [""]
    body = [  # every line of the input a comment: an @file may hold several, % notes too
        f"% derived by derive {__version__} from: {first}",
        *(f"% {line}" for line in rest),
        f"Loss: {loss_math(d)}. " + " ".join(reading(d)) + "\n",
    ]
    for p in d.partials:
        body += partial_block(d, p)
    text = "\n".join(body).rstrip() + "\n"
    if not standalone:
        return text
    return (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{amssymb}\n"
        "\\usepackage[margin=2cm]{geometry}\n\\begin{document}\n"
        "\\allowdisplaybreaks\n" + text + "\\end{document}\n"
    )


def render_for_notebook(d: Derivation) -> str:
    """One display-math block for Jupyter's ``_repr_latex_``."""
    blocks = []
    for p in d.partials:
        blocks.append(r"\begin{aligned}" + r" \\ ".join(aligned_rows(d, p)) + r"\end{aligned}")
    return "$$" + r" \\[1em] ".join(blocks) + "$$"
