"""LaTeX for lecture notes: an ``align*`` per partial derivative, each step's rule beside it,
or, when that is wider than the page, each step on its own lines with its rule as a tag.

``render(d)`` is a snippet for a document that loads amsmath (and graphicx, for an equation
that had to be scaled to fit), sized for the article class's page; ``render(d,
standalone=True)`` a whole document that pdflatex compiles. Markdown and HTML reuse the
rows built here (MathJax and browsers scroll a wide equation instead).
"""

from __future__ import annotations

import sympy

from derive import printing
from derive.deadline import check
from derive.emit import latex_lines, layout
from derive.emit.latex_lines import broken, scaled_to
from derive.emit.texwidth import points
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
        start = left_side(d, p) + " " if k == 0 else ""
        rows.append(rf"{start}&= {math(d, line.expr)} && {_labels(d, line)}")
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


def sentence(d: Derivation, s: layout.Sentence, width: float = latex_lines.SNIPPET_WIDTH) -> str:
    """A sentence with its mathematics inline, or displayed where a piece is too long to
    share a line with words."""

    def wrap(piece: str) -> str:
        if points(piece, display=False) <= width * 0.6:
            return f"${piece}$"
        return "\n" + displayed(piece, width) + "\n"

    return s.render_inline(lambda e: math(d, e), prose, wrap)


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


def partial_block(d: Derivation, p: Partial, width: float) -> list[str]:
    """One partial derivative: its equation chain, cases, sentences and verification."""
    rows = _rules_beside(d, p, width) or _rules_as_tags(d, p, width)
    out = [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"]
    if p.cases:
        out += [r"\[", scaled_to(result_equation(d, p), width), r"\]"]
    for extra in layout.after_result(d, p):
        out.append(sentence(d, extra, width) + "\n")
    for kink in p.kinks:
        out.append(sentence(d, layout.kink_sentence(kink), width) + "\n")
    out.append(prose(layout.verification_summary(p)) + "\n")
    return out


def _labels(d: Derivation, line: layout.Line) -> str:
    """The rules a line used, with how sure its step is when not proved."""
    labels = r";\ ".join(label(d, item) for item in line.labels)
    mark = layout.status_mark(line.verified)
    return labels + (rf" \quad \text{{({prose(mark)})}}" if mark else "")


def _rules_beside(d: Derivation, p: Partial, width: float) -> list[str] | None:
    """The rows with each rule in a column of its own, when that fits ``width``."""
    lines = layout.partial_lines(p, d.form)
    if not lines:
        return aligned_rows(d, p)
    widest = max(points("= " + math(d, line.expr)) for line in lines)
    rules = max(points(_labels(d, line)) for line in lines)
    if points(left_side(d, p)) + widest + 20 + rules > width * latex_lines.SLACK:
        return None
    return aligned_rows(d, p)


def _rules_as_tags(d: Derivation, p: Partial, width: float) -> list[str]:
    """The chain as lines that fit ``width``: ∂L/∂v first (broken if it must be), then each
    step as ``= …``, broken before the + and − of its sums, its rule as a tag at the right
    margin (amsmath moves a tag below a line it does not fit beside)."""
    rows = stacked(left_side(d, p), width)
    for line in layout.partial_lines(p, d.form):
        check()
        labels = _labels(d, line)
        tag = rf"\tag*{{\small {_inline(labels, width * latex_lines.SLACK)}}}"
        first, *more = stacked(math(d, line.expr), width, r"&\quad = ", r"&\qquad\quad ")
        rows += [f"{first} {tag}", *more]
    return rows


def stacked(latex: str, width: float, first: str = "& ", more: str = r"&\qquad ") -> list[str]:
    """Rows of an ``align*`` showing ``latex`` over as many lines as it needs to fit
    ``width``: ``first`` starts the first, ``more`` the others."""
    indent = points(first.replace("&", ""))
    head, *rest = broken(latex, width - indent - 20)
    rows = [f"{first}{scaled_to(head, width - indent)}"]
    return rows + [f"{more}{scaled_to(line, width - indent - 20)}" for line in rest]


def displayed(latex: str, width: float) -> str:
    """``latex`` displayed on its own line, or over several when it is too wide for one."""
    if points(latex) <= width * latex_lines.SLACK:
        return rf"\[ {latex} \]"
    return "\\begin{align*}\n" + " \\\\\n".join(stacked(latex, width)) + "\n\\end{align*}"


def _inline(latex: str, width: float) -> str:
    """``$latex$`` in text style, scaled down when wider than ``width``."""
    if points(latex, display=False) <= width:
        return f"${latex}$"
    factor = max(0.3, int(width / points(latex, display=False) * 20) / 20)
    return rf"\scalebox{{{factor:.2f}}}{{${latex}$}}"


def render(d: Derivation, standalone: bool = False) -> str:
    """The derivation as a LaTeX snippet (amsmath), or a whole document; each fits its page.
    A document has a title, and a heading for each partial derivative; a snippet has a
    heading for each only when there are several."""
    width = latex_lines.PAGE_WIDTH if standalone else latex_lines.SNIPPET_WIDTH
    first, *rest = d.source.strip().splitlines() or [""]
    comments = [  # every line of the input a comment: an @file may hold several, % notes too
        f"% derived by derive {__version__} from: {first}",
        *(f"% {line}" for line in rest),
    ]
    body = []
    if standalone:
        body.append(r"\section*{The derivatives of the loss, step by step}")
    body += _loss_paragraph(d, width)
    for p in d.partials:
        by = f"By ${math(d, p.var)}$"
        if standalone:
            body.append(rf"\subsection*{{{by}}}")
        elif len(d.partials) > 1:
            body.append(rf"\paragraph{{{by}.}}")
        body += partial_block(d, p, width)
    text = "\n".join(comments) + "\n" + stretchy("\n".join(body).rstrip() + "\n")
    return document(text) if standalone else text


def stretchy(body: str) -> str:
    """``body`` in a group whose paragraphs may stretch their spaces further than TeX's
    default, rather than run a line of inline mathematics into the margin."""
    return "\\begingroup\\setlength{\\emergencystretch}{3em}\n" + body + "\\par\\endgroup\n"


def document(body: str) -> str:
    """``body`` as a whole document for pdflatex, on an A4 page with 2 cm margins."""
    return (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{amssymb}\n"
        "\\usepackage{graphicx}\n\\usepackage[a4paper,margin=2cm]{geometry}\n"
        "\\begin{document}\n\\allowdisplaybreaks\n" + body + "\\end{document}\n"
    )


def _loss_paragraph(d: Derivation, width: float) -> list[str]:
    """The loss as read and how it was read: in the sentence, or displayed over lines when
    it is too long for one."""
    readings = " ".join(reading(d)) + "\n"
    if d.loss.definitions or points(math(d, d.expr), display=False) < width * 0.6:
        return [f"Loss: {loss_math(d)}. " + readings]
    name = f"{d.name} = " if d.name else ""
    return ["Loss:", displayed(name + math(d, d.expr), width), readings]


def render_for_notebook(d: Derivation) -> str:
    """One display-math block for Jupyter's ``_repr_latex_``."""
    blocks = []
    for p in d.partials:
        blocks.append(r"\begin{aligned}" + r" \\ ".join(aligned_rows(d, p)) + r"\end{aligned}")
    return "$$" + r" \\[1em] ".join(blocks) + "$$"
