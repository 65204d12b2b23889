"""A standalone HTML page; MathJax typesets the LaTeX of ``derive.emit.latex``."""

from __future__ import annotations

import html

from derive.emit import latex, layout
from derive.model import Derivation

_MATHJAX = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"


def _inline(tex: str) -> str:
    return html.escape(r"\(" + tex + r"\)")


def _display(tex: str) -> str:
    return html.escape(r"\[" + tex + r"\]")


def render(d: Derivation) -> str:
    """The derivation as an HTML page."""

    def math(expr) -> str:
        return _inline(latex.math(d, expr))

    loss = math(d.expr)
    if d.loss.definitions:
        loss = layout.definitions_sentence(d).render(math, html.escape)
    body = [f"<p><strong>Loss</strong> {loss}</p>", "<ul>"]
    for reading in d.readings:
        body.append(f"<li>{_inline(reading.math)} {html.escape(reading.text)}</li>")
    reals = layout.reals_sentence(d).render(math, html.escape)
    body.append(f"<li>{reals}</li></ul>")
    for p in d.partials:
        rows = " \\\\\n".join(latex.aligned_rows(d, p))
        chain = _display(r"\begin{aligned}" + rows + r"\end{aligned}")
        body.append('<section class="partial">')
        body.append(f"<div>{chain}</div>")
        body.append(f"<div>{_display(latex.result_equation(d, p))}</div>")
        for extra in layout.after_result(d, p):
            body.append(f"<p>{extra.render(math, html.escape)}</p>")
        for kink in p.kinks:
            body.append(f"<p>{layout.kink_sentence(kink).render(math, html.escape)}</p>")
        body.append(f"<p><em>{html.escape(layout.verification_summary(p))}</em></p>")
        body.append("</section>")
    title = html.escape(d.source.strip())
    head = (
        f'<meta charset="utf-8"><title>derive: {title}</title>\n'
        f'<script src="{_MATHJAX}" async></script>\n'
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}</style>"
    )
    return (
        f"<!DOCTYPE html>\n<html><head>{head}</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
