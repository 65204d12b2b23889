"""Markdown with ``$$`` blocks that render on GitHub and in Jupyter."""

from __future__ import annotations

from derive.emit import latex, layout
from derive.model import Derivation


def _escape(text: str) -> str:
    return text.replace("*", r"\*").replace("_", r"\_")


def render(d: Derivation) -> str:
    """The derivation as Markdown: inline ``$…$`` in prose, an ``aligned`` block per partial."""
    name = f"{d.name} = " if d.name else ""
    out = [f"**Loss** ${name}{latex.math(d, d.expr)}$", ""]
    if d.loss.definitions:
        math = layout.definitions_sentence(d).render_inline(lambda e: latex.math(d, e), _escape)
        out = [f"**Loss** {math}", ""]
    for reading in d.readings:
        out.append(f"- ${reading.math}$ {_escape(reading.text)}")
    reals = layout.reals_sentence(d)
    out.append("- " + reals.render_inline(lambda e: latex.math(d, e), _escape))
    if any(p.kinks for p in d.partials):
        out.append(
            r"- at a kink: $\operatorname{sign}(0) = 0$, $H(0) = \tfrac{1}{2}$ (a tie in max or "
            r"min splits the gradient equally), $\operatorname{ReLU}'(0) = 0$"
        )
    for p in d.partials:
        out += ["", f"#### ${latex.left_side(d, p)}$", "", "$$", r"\begin{aligned}"]
        out.append(" \\\\\n".join(latex.aligned_rows(d, p)))
        out += [r"\end{aligned}", "$$", ""]
        out += ["$$", latex.result_equation(d, p), "$$", ""]
        for extra in layout.after_result(d, p):
            out.append(extra.render_inline(lambda e: latex.math(d, e), _escape) + "\n")
        for kink in p.kinks:
            sentence = layout.kink_sentence(kink)
            out.append(sentence.render_inline(lambda e: latex.math(d, e), _escape) + "\n")
        out.append(f"*{layout.verification_summary(p)}*")
    return "\n".join(out) + "\n"
