"""Titles and labels for pictures, in matplotlib's mathtext.

The loss is printed by the project's LaTeX printer in the input's spellings, rewritten into
the subset of TeX that mathtext reads (``translate``) and checked with matplotlib's own
parser (``readable``); a line it cannot read is drawn as plain text instead. A title too
wide for the figure is shortened, the middle terms of a sum first (a + b + ⋯ + z), then every
part below a depth (⋯), so no picture is lost for its title. Matplotlib is imported only
when a title is checked.
"""

from __future__ import annotations

import functools
import itertools
import math
import re

import numpy as np
import sympy

from derive import printing
from derive.emit import layout

TITLE_SIZE = 12  # points

# Our LaTeX (derive.printing.latex) → matplotlib mathtext, which reads a subset of TeX:
# * commands mathtext lacks become ones that print alike (_RENAMED); a star is dropped
#   (\operatorname*{…}); \text{…} becomes \mathrm{…}, its spaces kept (older matplotlib
#   has no \text);
# * a cases environment goes on one line: "{ a  for y = 1,   b  otherwise";
# * |…| and ‖…‖ lose \left and \right (mathtext sizes those bars too short), and a function
#   name sits against its \left( (mathtext puts a space after \max and \operatorname);
# * a bare $ is escaped.
_RENAMED = {
    "tfrac": "frac", "dfrac": "frac", "textrm": "mathrm", "textit": "mathit", "textbf": "mathbf",
    "textsf": "mathsf", "texttt": "mathtt", "lVert": "Vert", "rVert": "Vert",
    "displaystyle": "", "limits": "", "nolimits": "", "middle": "",
}  # fmt: skip
_BARS = {r"\left|": "|", r"\right|": "|", r"\left\|": r"\Vert ", r"\right\|": r"\Vert "}
_COMMAND = re.compile(r"\\([A-Za-z]+)\*?")
_TEXT = re.compile(r"\\text\{([^{}]*)\}")
_CASES = re.compile(r"\\begin\{cases\}((?:(?!\\begin\{cases\}).)*?)\\end\{cases\}", re.S)
_OPERATOR = re.compile(
    r"(\\(?:max|min|log|ln|exp|sinh|cosh|tanh|sin|cos|tan|arcsin|arccos|arctan|sup|inf|det|arg)"
    r"\{?|\\operatorname\{[^{}]*\})\\left\("
)


def translate(latex: str) -> str:
    """``latex`` as printed by ``derive.printing.latex``, rewritten for matplotlib's mathtext
    (to go between ``$``s)."""
    text = re.sub(r"(?<!\\)\$", r"\\$", latex)
    count = 1
    while count:  # the innermost cases first
        text, count = _CASES.subn(_cases_on_one_line, text)
    text = _TEXT.sub(lambda m: r"\mathrm{" + m.group(1).replace(" ", r"\ ") + "}", text)
    for bar, plain in _BARS.items():
        text = text.replace(bar, plain)
    text = _OPERATOR.sub(r"\1\\!\\left(", text)
    renamed = {name: "\\" + new if new else "" for name, new in _RENAMED.items()}
    return _COMMAND.sub(lambda m: renamed.get(m.group(1), "\\" + m.group(1)), text)


def _cases_on_one_line(match) -> str:
    rows = [re.split(r"(?<!\\)&", row) for row in match.group(1).split(r"\\") if row.strip()]
    return (
        r"\left\{" + r",\quad ".join(r"\;\;".join(p.strip() for p in r) for r in rows) + r"\right."
    )


@functools.cache
def _parser():
    from matplotlib.mathtext import MathTextParser

    return MathTextParser("path")


def readable(text: str) -> bool:
    """Whether matplotlib's mathtext parser reads every line of ``text`` (plain text with
    ``$…$`` in it)."""
    try:
        for line in text.split("\n"):
            _parser().parse(line)
    except ValueError:
        return False
    return True


def either(math_text: str, plain: str) -> str:
    """``math_text`` when mathtext reads it, else ``plain`` (its ``$`` escaped)."""
    return math_text if readable(math_text) else plain.replace("$", r"\$")


def number(value: float, in_math: bool = False) -> str:
    """``value`` briefly (%g): in mathtext 1e-05 is 10^{-5}; in plain text − is a minus."""
    text = f"{float(value) + 0.0:g}"  # + 0.0: -0.0 is 0
    if not in_math:
        return text.replace("-", "−")
    if "e" in text and math.isfinite(value):
        mantissa, exponent = text.split("e")
        power = f"10^{{{int(exponent)}}}"
        return {"1": power, "-1": "-" + power}.get(mantissa, rf"{mantissa} \times {power}")
    return text


def _fitting(figure, candidates, size: float = TITLE_SIZE) -> str:
    """The first of ``candidates`` (the fullest first) whose every line fits the figure's
    width at ``size`` points; else the last."""
    renderer, limit = figure.canvas.get_renderer(), figure.bbox.width * 0.96
    text = ""
    for text in candidates:
        probe = figure.text(0, 0, text, fontsize=size)
        width = probe.get_window_extent(renderer).width
        probe.remove()
        if width <= limit:
            return text
    return text


def title(figure, derivation, variables, fixed: dict, summary: str = "") -> str:
    """Give ``figure`` its title and return it: the loss as a function of ``variables``
    (``L(w) = …``; its definitions on the next line), then the ``fixed`` values and the
    ``summary`` of a run, each line shortened or wrapped to fit the figure's width."""
    spell = derivation.spellings
    lines = [_fitting(figure, _loss_lines(derivation, variables))]
    rows = layout.definitions(derivation)[:-1]
    if rows:
        items = [
            (
                f"${translate(f'{printing.latex(n, spell)} = {printing.latex(e, spell)}')}$",
                f"{printing.text(n, spell)} = {printing.text(e, spell)}",
            )
            for n, e in rows
        ]
        lines.append(_fitting(figure, _wrapped(items, "where ")))
    values = _wrapped([_value(name, value, spell) for name, value in fixed.items()])
    if summary:
        values = [
            *(v + ";   " + summary for v in values[:1]),
            *(v + "\n" + summary for v in values),
        ]
    if values or summary:
        lines.append(_fitting(figure, values or [summary]))
    text = "\n".join(lines)
    figure.suptitle(text, fontsize=TITLE_SIZE)
    return text


def loss_name(derivation) -> str:
    """The loss's name as LaTeX: as written (J = …), else L, or another name where the loss
    has a symbol L."""
    taken = set(derivation.spellings.values())
    names = ("L", r"\mathcal{L}", r"\ell", "J", "f", r"\mathcal{J}")
    return derivation.name or next((n for n in names if n not in taken), "L")


def _loss_lines(derivation, variables):
    """``L(w) = …`` in mathtext, then shorter forms of it; in plain text, cut shorter and
    shorter, where mathtext cannot read it."""
    loss, spell = derivation.loss, derivation.spellings
    expr = loss.top if loss.definitions else loss.expr if loss.in_matrices is None else (
        loss.in_matrices)  # fmt: skip
    name, names = loss_name(derivation), [spell.get(v, v) for v in variables]
    head = f"{name}({', '.join(names)}) = "
    forms = (f"${translate(head + body)}$" for body in _shorter(expr, spell))
    first = next(forms)
    if readable(first):
        return itertools.chain([first], forms)
    shown = ", ".join(printing.latex_to_text(n) for n in names)
    text = f"{printing.latex_to_text(name)}({shown}) = {printing.text(expr, spell)}"
    text = text.replace("$", r"\$")
    return [text] + [text[:n].rstrip() + " …" for n in range(len(text) - 4, 12, -4)]


def _shorter(expr, spellings):
    """``expr`` as LaTeX, then shorter: the middle terms of a sum left out (a + b + ⋯ + z),
    then each part below a depth as ⋯."""
    printed = printing.latex(expr, spellings)
    yield printed
    terms = _terms(printed)
    for keep in range(len(terms) - 2, 0, -1):
        yield " ".join([*terms[:keep], r"+ \cdots", terms[-1]])
    for depth in range(_depth(expr) - 1, 0, -1):
        dots: dict[str, str] = {}
        try:
            terms = _terms(printing.latex(_elided(expr, depth, dots), {**spellings, **dots}))
        except Exception:  # a shorter form that SymPy cannot build is not offered
            continue
        yield " ".join([terms[0], r"+ \cdots", terms[-1]] if len(terms) > 3 else terms)
    yield r"\cdots"


def _terms(latex: str) -> list[str]:
    """The terms of a sum printed as LaTeX, each after the first with its sign: a, + b, - c."""
    terms, depth, start, k = [], 0, 0, 0
    while k < len(latex):
        for word, change in ((r"\left", 1), (r"\right", -1), ("{", 1), ("}", -1)):
            if latex.startswith(word, k):
                depth, k = depth + change, k + len(word) - 1
                break
        else:
            if latex[k] == "\\":
                k += 1  # an escaped character: \{, \|
            elif depth == 0 and latex.startswith((" + ", " - "), k):
                terms.append(latex[start:k])
                start = k + 1
        k += 1
    return [*terms, latex[start:]]


def _depth(expr) -> int:
    return 1 + max((_depth(a) for a in expr.args), default=-1)


def _elided(expr, depth: int, dots: dict):
    """``expr`` with each part ``depth`` levels down replaced by a symbol spelled \\cdots (one
    for all such terms of a sum or factors of a product)."""
    if not expr.args or isinstance(expr, sympy.Indexed):
        return expr
    if depth == 0:
        dots[name := f"elided{len(dots)}"] = r"\cdots"
        return sympy.Symbol(name, real=True)
    if isinstance(expr, sympy.Sum):
        return sympy.Sum(_elided(expr.function, depth - 1, dots), *expr.limits)
    if not isinstance(expr, (sympy.Add, sympy.Mul, sympy.Pow, sympy.Function)):
        return expr
    args = [_elided(a, depth - 1, dots) for a in expr.args]
    if isinstance(expr, (sympy.Add, sympy.Mul)):
        elided = [a for a in args if getattr(a, "name", None) in dots]
        args = [a for a in args if a not in elided] + elided[:1]
    return expr.func(*args)


def _value(name: str, value, spell) -> tuple[str, str]:
    """A fixed value as (mathtext, plain text): a number, a short vector, else its shape."""
    spelled, array = translate(spell.get(name, name)), np.asarray(value, dtype=float)
    shown = printing.latex_to_text(spell.get(name, name))
    if array.ndim == 0:
        return f"${spelled} = {number(float(array), True)}$", f"{shown} = {number(float(array))}"
    if array.ndim == 1 and array.size <= 6:
        return (f"${spelled} = [{', '.join(number(v, True) for v in array)}]$",
                f"{shown} = [{', '.join(number(v) for v in array)}]")  # fmt: skip
    dimensions = r" \times ".join(map(str, array.shape))
    return (rf"${spelled} \in \mathbb{{R}}^{{{dimensions}}}$",
            f"{shown}: {'×'.join(map(str, array.shape))} numbers")  # fmt: skip


def _wrapped(items: list[tuple[str, str]], start: str = "") -> list[str]:
    """``items`` (mathtext, plain) joined with commas on one line, then over more and more
    lines (none without items); all in plain text when mathtext cannot read one of them."""
    chosen = [m for m, _ in items] if readable(", ".join(m for m, _ in items)) else [
        p.replace("$", r"\$") for _, p in items]  # fmt: skip
    return [start + "\n".join(", ".join(chosen[k : k + n]) for k in range(0, len(chosen), n))
            for n in range(len(chosen), 0, -1)]  # fmt: skip
