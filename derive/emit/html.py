"""HTML that needs no JavaScript: the mathematics as MathML, which browsers lay out natively.

``render(d)`` is a fragment, ``<section class="derivation">``, to embed in a page or in a
notebook (``_repr_html_``), its few essential styles inline; ``render(d, standalone=True)`` a
whole page with its CSS inlined. The MathML is written by ``derive.emit.mathml`` from the
LaTeX of ``derive.emit.latex``; each formula keeps that LaTeX as an annotation.
"""

from __future__ import annotations

import html

import sympy

from derive.emit import latex, layout
from derive.emit.mathml import chain, mathml
from derive.model import Derivation

# The width a chain may take with its rules beside, in points of a 10 pt TeX page: the
# page's 58 rem of text at 18 px (a notebook's output is about as wide in its own em).
ROOM = 500.0


def boxed(math_element: str) -> str:
    """A display formula in its own box, which scrolls sideways when too wide."""
    return f'<div class="display" style="overflow-x:auto;overflow-y:hidden">{math_element}</div>'


def _kinks_note(d: Derivation) -> str:
    kinks = any(p.kinks for p in d.partials) or any(
        p.result.has(sympy.sign, sympy.Heaviside) for p in d.partials
    )
    if not kinks:
        return ""
    sign, half, relu = (
        mathml(tex)
        for tex in (
            r"\operatorname{sign}(0) = 0",
            r"H(0) = \tfrac{1}{2}",
            r"\operatorname{ReLU}'(0) = 0",
        )
    )
    return (
        f"<li>at a kink: {sign}; {half} (a tie in max or min splits the gradient equally); "
        f"{relu}</li>"
    )


def fragment(d: Derivation) -> str:
    """The derivation as ``<section class="derivation">``, all its styles inline."""

    def math(expr) -> str:
        return mathml(latex.math(d, expr))

    name = f"{d.name} = " if d.name and not d.loss.definitions else ""
    loss = mathml(name + latex.math(d, d.expr))
    if d.loss.definitions:
        loss = layout.definitions_sentence(d).render(math, html.escape)
    out = [
        '<section class="derivation">',
        f'<p class="loss"><strong>Loss</strong> {loss}</p>',
        '<ul class="reading">',
    ]
    for reading in d.readings:
        out.append(f"<li>{mathml(reading.math)} {html.escape(reading.text)}</li>")
    out.append(f"<li>{layout.reals_sentence(d).render(math, html.escape)}</li>")
    out += [_kinks_note(d), "</ul>"]
    for p in d.partials:
        out.append('<section class="partial">')
        out.append(boxed(chain(latex.aligned_rows(d, p), ROOM)))
        out.append('<p class="result"><strong>Result</strong></p>')
        out.append(boxed(mathml(latex.result_equation(d, p), display=True)))
        for extra in layout.after_result(d, p):
            out.append(f"<p>{extra.render(math, html.escape)}</p>")
        for kink in p.kinks:
            out.append(f"<p>{layout.kink_sentence(kink).render(math, html.escape)}</p>")
        summary = html.escape(layout.verification_summary(p))
        out += [f'<p class="verified">{summary}</p>', "</section>"]
    out += [source_details(d.source), "</section>"]
    return "\n".join(line for line in out if line) + "\n"


def source_details(source: str) -> str:
    """The LaTeX read, folded away (``<details>`` opens without JavaScript)."""
    escaped = html.escape(source.strip())
    return f'<details class="source"><summary>LaTeX input</summary><pre>{escaped}</pre></details>'


CSS = """
body { font-family: "Latin Modern Roman", "STIX Two Text", Georgia, "Times New Roman", serif;
  font-size: 18px; line-height: 1.5; color: #1b1b1b; background: #fdfdfb;
  max-width: 58rem; margin: 2.5rem auto; padding: 0 1.25rem; }
h1 { font-size: 1.35rem; font-weight: normal; border-bottom: 1px solid #ddd;
  padding-bottom: 0.4rem; overflow-wrap: anywhere; }
h1 code { font-size: 0.9em; }
math { font-family: "Latin Modern Math", "STIX Two Math", "Cambria Math", math; }
.derivation .reading { color: #444; font-size: 0.95em; padding-left: 1.2em; }
.derivation .partial { border-top: 1px solid #e4e4e4; margin-top: 1.5rem; padding-top: 0.5rem; }
.derivation .display { margin: 0.6rem 0; padding: 0.2rem 0; }
.derivation .result { margin-bottom: 0; }
.derivation .verified { color: #2d6a2d; font-size: 0.95em; }
.derivation details.source { margin-top: 2rem; color: #555; font-size: 0.9em; }
.derivation pre { background: #f3f3f0; padding: 0.6rem; overflow-x: auto; }
"""


def page(body: str, source: str) -> str:
    """A whole HTML page around ``body``, titled by the loss ``source``."""
    lines = [" ".join(line.split()) for line in source.splitlines()]
    lines = [line for line in lines if line and not line.startswith("%")] or [source.strip()]
    title = html.escape("; ".join(lines))
    short = "; ".join(lines)
    short = html.escape(short if len(short) <= 80 else short[:79] + "…")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>derive: {title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"<h1>derive: <code>{short}</code></h1>\n{body}</body>\n</html>\n"
    )


def render(d: Derivation, standalone: bool = False) -> str:
    """The derivation as an HTML fragment, or (``standalone``) a whole page."""
    body = fragment(d)
    return page(body, d.source) if standalone else body
