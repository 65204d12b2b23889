"""Long equations broken over lines, so that a derivation fits the page: the LaTeX that the
printer made is cut before the ``+`` and ``−`` of its outermost sum, and where one term is
still too wide, inside its widest pair of ``\\left( … \\right)``, which become ``\\Bigl(`` and
``\\Bigr)`` (a ``\\left``/``\\right`` pair cannot span two lines). What will not break (one
huge fraction) is scaled down to the width, which needs graphicx.

Widths come from ``texwidth.points``, an estimate; lines are filled to ``SLACK`` of the room
so that the estimate's error does not make a line overfull.
"""

from __future__ import annotations

import itertools

from derive.emit.texwidth import TOKEN, points

SNIPPET_WIDTH = 345.0  # \textwidth of LaTeX's article class at 10 pt: a note's page
PAGE_WIDTH = 481.0  # A4 with 2 cm margins: the standalone document's page
SLACK = 0.9
_UNARY_AFTER = {None, "{", "(", "[", "^", "_", "=", ",", "&", "+", "-", r"\left", r"\bigl",
                r"\Bigl", r"\cdot", r"\times", r"\quad", r"\qquad", r"\leq", r"\geq"}  # fmt: skip
_NOT_A_FACTOR = {"^", "_", "'", "!", "+", "-", "=", ",", ";", "&", "}", r"\right", r"\cdot",
                 r"\times", r"\quad", r"\\"}  # fmt: skip
_OPENING = {r"\left", r"\begin"}
_CLOSING = {r"\right", r"\end"}


def _tokens(latex: str) -> list[str]:
    return TOKEN.findall(latex)


def _depths(tokens: list[str]) -> list[int]:
    """The nesting depth (braces, ``\\left``…``\\right``, environments) before each token."""
    depths, depth = [], 0
    for token in tokens:
        if token in ("}",) or token in _CLOSING:
            depth -= 1
        depths.append(depth)
        if token == "{" or token in _OPENING:
            depth += 1
    return depths


def terms(latex: str) -> list[str]:
    """``latex`` cut before each ``+`` or ``−`` of its outermost sum (a sign after an
    operator or an opening is a term's own, and stays)."""
    tokens = _tokens(latex)
    depths = _depths(tokens)
    pieces, start, previous = [], 0, None
    for k, token in enumerate(tokens):
        if token.isspace():
            continue
        if token in ("+", "-") and depths[k] == 0 and previous not in _UNARY_AFTER:
            pieces.append("".join(tokens[start:k]).strip())
            start = k
        previous = token
    pieces.append("".join(tokens[start:]).strip())
    return [piece for piece in pieces if piece]


def broken(latex: str, width: float) -> list[str]:
    r"""``latex`` as lines of at most ``width`` points (estimated) where it can be broken;
    the lines after the first start with their sign, or a ``\cdot`` between two factors."""
    lines: list[str] = []
    for text, prefix in _pieces(latex, width * SLACK):
        if lines and points(f"{lines[-1]} {text}") <= width * SLACK:
            lines[-1] = f"{lines[-1]} {text}"
        else:
            lines.append(f"{prefix}{text}" if lines else text)
    return lines or [latex]


def _pieces(latex: str, room: float) -> list[tuple[str, str]]:
    """``latex`` in the smallest pieces that a line may end after, each with what it starts
    with when it starts a line: its terms; a term too wide, its factors; a factor too wide,
    the inside of its widest parentheses."""
    found = []
    for term in terms(latex):
        if points(term) <= room:
            found.append((term, ""))
            continue
        factors = _factors(term)
        if len(factors) > 1:
            for k, factor in enumerate(factors):
                inner = _pieces(factor, room) if points(factor) > room else [(factor, "")]
                found += [
                    (text, r"\cdot " if k and not j else p) for j, (text, p) in enumerate(inner)
                ]
            continue
        found += _inside(term, room)
    return found


def _inside(term: str, room: float) -> list[tuple[str, str]]:
    r"""A term too wide for a line, in pieces inside its widest ``\left( … \right)`` that
    holds a sum (which become ``\bigl(`` and ``\bigr)``); the term whole when it has none."""
    group = _widest_group(term)
    if group is None:
        return [(term, "")]
    before, left, inside, right, after = group
    size = r"\Bigl" if r"\frac" in inside or r"\sum" in inside else r"\bigl"
    inner = _pieces(inside, room)
    if len(inner) < 2:
        return [(term, "")]
    first, last = inner[0][0], inner[-1][0]
    inner[0] = (f"{before}{size}{left} {first}", inner[0][1])
    attached, rest = (after, "") if after.lstrip()[:1] in ("^", "_", "'", "") else ("", after)
    inner[-1] = (f"{last} {size[:-1]}r{right}{attached}", inner[-1][1])
    return inner + (_pieces(rest, room) if rest.strip() else [])


def _factors(term: str) -> list[str]:
    """``term`` cut after each of its outermost closing ``\right)`` that a factor follows
    (not a power, nor an operator)."""
    tokens = _tokens(term)
    depths = _depths(tokens)
    cuts, previous = [], []
    for k, token in enumerate(tokens):
        if token.isspace():
            continue
        closed = previous[-2:-1] == [r"\right"] and depths[k] == 0
        if closed and token not in _NOT_A_FACTOR:
            cuts.append(k)
        previous.append(token)
    bounds = [0, *cuts, len(tokens)]
    return ["".join(tokens[i:j]).strip() for i, j in itertools.pairwise(bounds)]


def _widest_group(term: str) -> tuple[str, str, str, str, str] | None:
    """The widest outermost ``\\left X … \\right Y`` of ``term`` whose inside is a sum, as
    (before, X, inside, Y, after); braces that only wrap it (``\\log{\\left(…\\right)}``)
    are dropped, so that each piece keeps its braces balanced."""
    tokens = _tokens(term)
    depths = _depths(tokens)
    best, best_width = None, 0.0
    for k, token in enumerate(tokens):
        if token != r"\left" or depths[k] > 1:
            continue
        end = next(j for j in range(k + 1, len(tokens)) if _closes(tokens, depths, j, k))
        before, after = k, end + 2  # the pair is tokens[before:after]
        if depths[k] == 1:  # only when braces wrap exactly this pair
            before, after = _skip_spaces(tokens, k - 1, -1), _skip_spaces(tokens, end + 2, 1)
            if not (0 <= before and after < len(tokens)):
                continue
            if (tokens[before], tokens[after]) != ("{", "}"):
                continue
            after += 1
        inside = "".join(tokens[k + 2 : end]).strip()
        if len(terms(inside)) < 2 or points(inside) <= best_width:
            continue
        best_width = points(inside)
        best = (
            "".join(tokens[:before]),
            tokens[k + 1],
            inside,
            tokens[end + 1],
            "".join(tokens[after:]),
        )
    return best


def _closes(tokens: list[str], depths: list[int], j: int, k: int) -> bool:
    """Whether ``tokens[j]`` is the ``\\right`` of the ``\\left`` at ``k``."""
    return tokens[j] == r"\right" and depths[j] == depths[k]


def _skip_spaces(tokens: list[str], k: int, step: int) -> int:
    """The first index from ``k`` (going by ``step``) that is not a space."""
    while 0 <= k < len(tokens) and tokens[k].isspace():
        k += step
    return k


def scaled_to(latex: str, width: float) -> str:
    """``latex`` as it is when it fits ``width``, else scaled down to it (graphicx)."""
    wide = points(latex)
    if wide <= width:
        return latex
    factor = max(0.3, int(width / wide * 20) / 20)
    return rf"\scalebox{{{factor:.2f}}}{{$\displaystyle {latex}$}}"
