"""How wide a piece of LaTeX mathematics comes out, in points of a 10 pt document: an
estimate, close to what TeX makes of the LaTeX that derive prints, and on the wide side, so
that the lines broken by it fit the page (tests/test_latex_fits.py measures it against
pdflatex).

Widths are in ems of the current style: a letter is about half an em, a binary operator
carries medium spaces on both sides, a fraction is as wide as the wider of its parts, and
scripts, and the parts of a fraction in text style, are set at 70 % (50 % below that).
"""

from __future__ import annotations

import re

POINTS_PER_EM = 10.0
TOKEN = re.compile(r"\\[A-Za-z]+\*?|\\.|[{}^_&]|\s+|.", re.DOTALL)

_BINARY = 0.78 + 2 * 4 / 18  # + − with medium spaces
_RELATION = 0.78 + 2 * 5 / 18  # = < ≤ with thick spaces
_GLYPHS = {"(": 0.39, ")": 0.39, "[": 0.28, "]": 0.28, ",": 0.45, ".": 0.28, ";": 0.45,
           ":": 0.28, "'": 0.3, "|": 0.28, "!": 0.28, "/": 0.5, "+": _BINARY, "-": _BINARY,
           "*": 0.5, "=": _RELATION, "<": _RELATION, ">": _RELATION, "~": 0.33}  # fmt: skip
_SPACES = {r"\quad": 1.0, r"\qquad": 2.0, r"\,": 0.17, r"\;": 0.28, r"\:": 0.22,
           r"\!": -0.17, "\\ ": 0.33, r"\enspace": 0.5}  # fmt: skip
_COMMANDS = {
    r"\partial": 0.6, r"\infty": 1.0, r"\nabla": 0.83, r"\top": 0.78, r"\ell": 0.42,
    r"\cdot": 0.28 + 2 * 4 / 18, r"\times": _BINARY, r"\odot": _BINARY, r"\circ": _BINARY,
    r"\pm": _BINARY, r"\leq": _RELATION, r"\geq": _RELATION, r"\neq": _RELATION,
    r"\le": _RELATION, r"\ge": _RELATION, r"\in": _RELATION, r"\approx": _RELATION,
    r"\to": 1.56, r"\mapsto": 1.56, r"\equiv": _RELATION, r"\|": 0.5, r"\{": 0.5,
    r"\}": 0.5, r"\%": 0.83, r"\ldots": 1.3, r"\cdots": 1.3, r"\dots": 1.3,
    r"\langle": 0.39, r"\rangle": 0.39, r"\lvert": 0.28, r"\rvert": 0.28,
    r"\lVert": 0.5, r"\rVert": 0.5, r"\prime": 0.3, r"\emptyset": 0.5,
}  # fmt: skip
_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta",
          "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma",
          "tau", "upsilon", "phi", "varphi", "chi", "psi", "omega"}  # fmt: skip
_NAMED = {"log", "ln", "exp", "sin", "cos", "tan", "sinh", "cosh", "tanh", "max", "min",
          "arg", "det", "lim", "sup", "inf", "sec", "csc", "cot", "arcsin", "arccos",
          "arctan", "Pr", "deg", "dim", "ker", "gcd"}  # fmt: skip
_LARGE = {r"\sum": (1.44, 1.05), r"\prod": (1.28, 0.95)}  # (display, text)
_ACCENTS = {r"\hat", r"\bar", r"\tilde", r"\vec", r"\dot", r"\ddot", r"\overline",
            r"\widehat", r"\widetilde", r"\check", r"\breve"}  # fmt: skip
_FONTS = {r"\mathbf": 1.15, r"\boldsymbol": 1.15, r"\mathrm": 1.0, r"\mathit": 1.0,
          r"\mathcal": 1.3, r"\mathbb": 1.3, r"\mathsf": 1.0, r"\mathtt": 1.0}  # fmt: skip
_TEXT = {r"\text", r"\textrm", r"\textit", r"\textbf", r"\mbox", r"\operatorname",
         r"\mathrm", r"\textnormal"}  # fmt: skip
_DELIMITERS = {"(": 0.55, ")": 0.55, "[": 0.45, "]": 0.45, "|": 0.3, r"\|": 0.55,
               r"\{": 0.6, r"\}": 0.6, ".": 0.0, r"\langle": 0.45, r"\rangle": 0.45,
               r"\lvert": 0.3, r"\rvert": 0.3, r"\lVert": 0.55, r"\rVert": 0.55}  # fmt: skip
_SIZED = {r"\bigl", r"\bigr", r"\Bigl", r"\Bigr", r"\big", r"\Big", r"\biggl", r"\biggr"}
_IGNORED = {r"\displaystyle", r"\textstyle", r"\limits", r"\nolimits", r"\left.", r"\right.",
            r"\phantom", r"\vphantom", r"\small", r"\footnotesize", r"\scriptsize"}  # fmt: skip
_SMALLER = {0: 1, 1: 2, 2: 3, 3: 3}  # display, text, script, scriptscript
_SCALE = {0: 1.0, 1: 1.0, 2: 0.7, 3: 0.5}


_NARROW, _WIDE = set("iljtfr.,;:'!|() "), set("mwMW")


def _text_width(text: str) -> float:
    """Roman text, in ems: narrow letters, wide ones, capitals, and the rest."""
    return sum(
        0.3 if c in _NARROW else 0.85 if c in _WIDE else 0.72 if c.isupper() else 0.52 for c in text
    )


def points(latex: str, display: bool = True) -> float:
    """The width of ``latex`` (mathematics) in points, in display style or text style."""
    tokens = [t for t in TOKEN.findall(latex) if not t.isspace()]
    return _Measure(tokens).row(0 if display else 1) * POINTS_PER_EM


class _Measure:
    """A one-pass reader of the token list; each method returns a width in ems of the
    document's size (a script's width already scaled down)."""

    def __init__(self, tokens: list[str]):
        self.tokens = tokens
        self.at = 0

    def _next(self) -> str | None:
        if self.at >= len(self.tokens):
            return None
        self.at += 1
        return self.tokens[self.at - 1]

    def row(self, style: int, stop: set[str] = frozenset({"}"})) -> float:
        """Tokens up to ``stop`` (not consumed past it), laid side by side."""
        width = 0.0
        while self.at < len(self.tokens) and self.tokens[self.at] not in stop:
            width += self.atom(style)
        return width

    def group(self, style: int) -> float:
        """A ``{…}`` argument, or a single token standing for one."""
        if self.at < len(self.tokens) and self.tokens[self.at] == "{":
            self.at += 1
            width = self.row(style)
            self._next()  # the closing brace
            return width
        return self.atom(style) if self.at < len(self.tokens) else 0.0

    def _raw_group(self) -> str:
        """A ``{…}`` argument as text (for \\text and \\operatorname)."""
        if self.at >= len(self.tokens) or self.tokens[self.at] != "{":
            return self._next() or ""
        depth, pieces = 0, []
        while self.at < len(self.tokens):
            token = self._next()
            depth += {"{": 1, "}": -1}.get(token, 0)
            if depth == 0:
                break
            if depth > 1 or token != "{":
                pieces.append(token)
        return "".join(pieces)

    def atom(self, style: int) -> float:
        scale = _SCALE[style]
        token = self._next()
        if token in ("^", "_"):
            return self._scripts(token, style)
        if token == "{":
            width = self.row(style)
            self._next()
            return width
        if token in ("}", "&"):
            return 0.0
        if len(token) == 1:
            return scale * self._glyph(token)
        return self._command(token, style)

    def _glyph(self, char: str) -> float:
        if char in _GLYPHS:
            return _GLYPHS[char]
        if char.isdigit():
            return 0.5
        if char.isupper():
            return 0.78
        return 0.57 if char.isalpha() else 0.8  # unknown characters as wide ones

    def _scripts(self, first: str, style: int) -> float:
        """``^{a}_{b}``: stacked, as wide as the wider."""
        smaller = _SMALLER[style]
        widths = [self.group(smaller)]
        if self.at < len(self.tokens) and self.tokens[self.at] in ("^", "_"):
            if self.tokens[self.at] != first:
                self._next()
                widths.append(self.group(smaller))
        return max(widths) + 0.06 * _SCALE[smaller]

    def _command(self, name: str, style: int) -> float:
        scale = _SCALE[style]
        if name in ("\\frac", "\\dfrac", "\\tfrac", "\\cfrac"):
            inner = {"\\dfrac": 1, "\\tfrac": 2}.get(name, _SMALLER[style])
            inner = 1 if style == 0 and name != "\\tfrac" else inner
            parts = [self.group(inner) for _ in range(2)]
            return max(parts) + 0.24 * scale
        if name in ("\\left", "\\right"):
            return scale * _DELIMITERS.get(self._next() or ".", 0.45)
        if name in _SIZED:
            return scale * _DELIMITERS.get(self._next() or ".", 0.45) * 1.2
        if name in _TEXT:
            text = re.sub(r"\\[A-Za-z]+|[{}$]", "", self._raw_group())
            return scale * (_text_width(text) + (0.17 if name == "\\operatorname" else 0))
        if name in _FONTS:
            return _FONTS[name] * self.group(style)
        if name in _ACCENTS or name in (r"\phantom", r"\hphantom"):
            return self.group(style)
        if name == r"\vphantom":
            self.group(style)
            return 0.0
        if name == r"\sqrt":
            return self.group(style) + 0.85 * scale
        if name == r"\begin":
            return self._environment(self._raw_group(), style)
        if name in _LARGE:
            return self._large(name, style)
        if name in _SPACES:
            return scale * _SPACES[name]
        if name in _COMMANDS:
            return scale * _COMMANDS[name]
        if name[1:] in _GREEK:
            return scale * 0.6
        if name[1:].capitalize() == name[1:] and name[1:].lower() in _GREEK:
            return scale * 0.75
        if name[1:] in _NAMED:
            return scale * (0.5 * len(name[1:]) + 0.17)
        if name in _IGNORED:
            return 0.0
        return scale * 0.8  # a command not known here: as wide as a capital

    def _large(self, name: str, style: int) -> float:
        """∑ with its limits, above and below in display style, beside it otherwise."""
        display, text = _LARGE[name]
        symbol = (display if style == 0 else text) * _SCALE[style]
        limits = 0.0
        while self.at < len(self.tokens) and self.tokens[self.at] in ("^", "_"):
            self._next()
            smaller = _SMALLER[style]
            limit = self.group(smaller)
            limits = max(limits, limit) if style == 0 else limits + limit
        return (max(symbol, limits) if style == 0 else symbol + limits) + 0.17 * _SCALE[style]

    def _environment(self, kind: str, style: int) -> float:
        """cases, aligned, matrices: the widest cell of each column, side by side."""
        inner = 1 if kind in ("cases", "matrix", "pmatrix", "bmatrix") else style
        columns: list[float] = []
        column, row = 0, 0.0
        while self.at < len(self.tokens):
            token = self.tokens[self.at]
            if token == r"\end":
                self._next()
                self._raw_group()
                break
            if token in ("&", r"\\"):
                self._next()
                columns += [0.0] * (column + 1 - len(columns))
                columns[column] = max(columns[column], row)
                column, row = (column + 1, 0.0) if token == "&" else (0, 0.0)
                continue
            row += self.atom(inner)
        columns += [0.0] * (column + 1 - len(columns))
        columns[column] = max(columns[column], row)
        gaps = {"cases": 1.0, "aligned": 0.0}.get(kind, 1.0) * (len(columns) - 1)
        fences = {"cases": 0.9, "pmatrix": 0.9, "bmatrix": 0.7}.get(kind, 0.0)
        return sum(columns) + gaps + fences
