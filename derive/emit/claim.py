"""The verdict on a claimed derivative, as text, LaTeX, Markdown, HTML or JSON."""

from __future__ import annotations

import html as _html
import json as _json

import sympy

from derive import printing
from derive.emit import latex as latex_emit
from derive.emit import latex_lines, layout

VERDICTS = {
    "proved": "Proved: the claim equals the derivative wherever the loss is differentiable.",
    "holds in part": "The claim holds in part.",
    "refuted": "Refuted: the claim is not the derivative.",
    "undecided": "Not decided: SymPy could not show that the claim equals the derivative.",
}


def _ordered(regions):
    """Where it holds first, then undecided, then where it fails."""
    rank = {True: 0, None: 1, False: 2}
    return sorted(regions, key=lambda r: rank[r.holds])


def _lines(result, math, prose=str) -> list[str]:
    """The verdict's sentences, mathematics typeset by ``math``, words escaped by ``prose``."""
    partial = result.partial
    out = [prose(VERDICTS[result.verdict])]
    split = len(result.regions) > 1
    regions = _ordered(result.regions) if split or result.verdict != "proved" else []
    for region in regions:
        where = f"where {math(region.where)}" if split else "everywhere"
        if region.holds:
            out.append(f"holds {where}")
        elif region.holds is None:
            agree = f"agrees at {region.agreeing_points} random points but is not proved"
            out.append(f"not decided {where}: {prose(agree)}")
        else:
            there = f"there the derivative is {math(region.derivative)}, not {math(region.claim)}"
            out.append(f"fails {where}: {there}")
    example = result.counterexample
    if example is not None:
        values = ", ".join(
            math(sympy.Eq(atom, value, evaluate=False)) for atom, value in example.values.items()
        )
        out.append(
            f"{prose('Counterexample:')} {values}: {prose('the claim gives')} "
            f"{math(example.claimed)}, {prose('the derivative is')} {math(example.true)}."
        )
    for kink in partial.kinks:
        out.append(
            f"{prose('At')} {math(kink.condition)} "
            + prose("the loss is not differentiable; the comparison leaves it out.")
        )
    return out


def text(result) -> str:
    """The verdict for a terminal."""
    d, partial = result.derivation, result.partial
    use_partial = layout.uses_partial(d)

    def math(expr) -> str:
        return printing.text(expr, d.spellings, use_partial)

    lhs = math(sympy.Derivative(d.expr, partial.var))
    out = [
        f"Loss: {math(d.expr)}",
        f"Claim: {lhs} = {math(result.claim)}",
        f"Derivative: {lhs} = {math(partial.formula)}",
        f"  ({layout.verification_summary(partial)} derive grad shows the steps.)",
        "",
    ]
    first, *rest = _lines(result, math)
    out += [first, *(f"  {line}" for line in rest)]
    return "\n".join(out) + "\n"


def latex(result, standalone: bool = False) -> str:
    """The verdict as LaTeX for notes: the claim and the derivative displayed, the verdict,
    then where it holds or fails, a counterexample and the kinks as a list (``standalone``:
    a whole document, with a title)."""
    d, partial = result.derivation, result.partial
    width = latex_lines.PAGE_WIDTH if standalone else latex_lines.SNIPPET_WIDTH

    def math(expr) -> str:
        return f"${latex_emit.math(d, expr)}$"

    lhs = latex_emit.left_side(d, partial)
    verdict, *details = _lines(result, math, latex_emit.prose)
    comment = (
        f"% checked by derive: d/d{partial.var.name} of {_one_line(d.source)}"
        f" = {_one_line(result.claim_source)}\n"
    )
    body = [
        *([r"\section*{A claimed derivative, checked}"] if standalone else []),
        r"\noindent\textbf{Claim:}",
        latex_emit.displayed(f"{lhs} = {latex_emit.math(d, result.claim)}", width),
        r"\textbf{Derivative:}",
        latex_emit.displayed(f"{lhs} = {latex_emit.math(d, partial.formula)}", width),
        rf"\textbf{{Verdict:}} {verdict}",
    ]
    if details:
        items = [rf"\item {line[:1].upper()}{line[1:]}" for line in details]
        body += [r"\begin{itemize}", *items, r"\end{itemize}"]
    text_ = comment + latex_emit.stretchy("\n".join(body).rstrip() + "\n")
    return latex_emit.document(text_) if standalone else text_


def markdown(result) -> str:
    """The verdict as Markdown."""
    d, partial = result.derivation, result.partial

    def math(expr) -> str:
        return f"${latex_emit.math(d, expr)}$"

    lhs = latex_emit.left_side(d, partial)
    out = [
        f"**Claim** ${lhs} = {latex_emit.math(d, result.claim)}$",
        "",
        f"**Derivative** ${lhs} = {latex_emit.math(d, partial.formula)}$",
        "",
    ]
    out += [f"- {line}" for line in _lines(result, math, lambda s: s.replace("*", r"\*"))]
    return "\n".join(out) + "\n"


def html(result, standalone: bool = False) -> str:
    """The verdict as HTML, its mathematics MathML (``standalone``: a whole page)."""
    from derive.emit import html as html_emit  # latex2mathml loads in 0.1 s: only when asked
    from derive.emit.mathml import mathml

    d, partial = result.derivation, result.partial

    def math(expr) -> str:
        return mathml(latex_emit.math(d, expr))

    lhs = latex_emit.left_side(d, partial)
    first, *rest = _lines(result, math, _html.escape)
    summary = _html.escape(layout.verification_summary(partial) + " derive grad shows the steps.")
    body = [
        '<section class="derivation claim">',
        "<p><strong>Claim</strong></p>",
        html_emit.boxed(mathml(f"{lhs} = {latex_emit.math(d, result.claim)}", display=True)),
        "<p><strong>Derivative</strong></p>",
        html_emit.boxed(mathml(f"{lhs} = {latex_emit.math(d, partial.formula)}", display=True)),
        f'<p class="verdict"><strong>{first}</strong></p>',
        *(["<ul>", *(f"<li>{line}</li>" for line in rest), "</ul>"] if rest else []),
        f'<p class="verified">{summary}</p>',
        html_emit.source_details(d.source),
        "</section>",
    ]
    text = "\n".join(body) + "\n"
    return html_emit.page(text, d.source) if standalone else text


def _one_line(latex: str) -> str:
    """LaTeX on one line, its % comments dropped, fit for a LaTeX comment."""
    return " ".join(line.split("%")[0].strip() for line in latex.splitlines()).strip()


def _name(atom, d) -> str:
    return printing.text(atom, d.spellings)


def json(result) -> str:
    """The verdict as JSON."""
    d, partial = result.derivation, result.partial
    example = result.counterexample
    data = {
        "input": d.source,
        "wrt": partial.var.name,
        "claim": {"input": result.claim_source, "sympy": str(result.claim)},
        "derivative": {"sympy": str(partial.formula), "latex": latex_emit.math(d, partial.formula)},
        "verdict": result.verdict,
        "regions": [
            {
                "where": str(r.where),
                "holds": r.holds,
                "derivative": str(r.derivative),
                "claim": str(r.claim),
                "agreeing_points": r.agreeing_points,
            }
            for r in result.regions
        ],
        "counterexample": None
        if example is None
        else {
            "values": {_name(a, d): str(v) for a, v in example.values.items()},
            "claimed": str(example.claimed),
            "true": str(example.true),
        },
        "nondifferentiable": [str(k.condition) for k in partial.kinks],
    }
    return _json.dumps(data, indent=2, ensure_ascii=False) + "\n"
