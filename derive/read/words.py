"""Runs of letters and the order of scripts, read as machine-learning notes mean them.

LaTeX reads ``beta`` as b·e·t·a; people who type it mean β. Before a term is read, each run of
adjacent letters is decided, and the decision is noted for the user:

* a run that spells a Greek letter (``beta``, ``delta``, ``lambda``) is that letter;
* a run that names a function of the vocabulary, applied to arguments (``max(0, 1 - x)``,
  ``exp(x)``, ``relu(z)``), is that function;
* any other run is a product of one-letter symbols (``wx`` is w·x, ``margin`` is m·a·r·g·i·n),
  said in a note with the spelling that gives one name (``\\text{margin}``); an ``e`` in such
  a run is a letter, not Euler's number, unless it ends the run and carries a power
  (``xe^{-x}`` is x·exp(−x)).

Scripts written in the other order are put in LaTeX's: ``x^2_i`` is (x_i)², ``x'_1`` is x_1'.
"""

from __future__ import annotations

from derive.notation import GREEK
from derive.read.groups import Group, is_op
from derive.read.tokens import Token
from rules.registry import by_name


def _letter_run(items: list, k: int) -> list[Token]:
    """The letters adjacent to each other from ``items[k]`` on (no space between)."""
    run = []
    while k < len(items):
        item = items[k]
        if not (isinstance(item, Token) and item.kind == "letter"):
            break
        if run and item.col != run[-1].end:
            break
        run.append(item)
        k += 1
    return run


def _applied(items: list, k: int) -> bool:
    """Whether a bracket holding arguments stands at ``items[k]``."""
    if k >= len(items) or not isinstance(items[k], Group):
        return False
    group = items[k]
    return group.kind in ("(", "[") or group.kind == "{" and group.explicit


def _is_script(items: list, k: int, op: str) -> bool:
    return k + 1 < len(items) and is_op(items[k], op)


def reordered_scripts(items: list) -> list:
    """``x^2_i`` as ``x_i^2`` and ``x'_1`` as ``x_1'``: the subscript first, as names need."""
    items = list(items)
    k = 1
    while k < len(items):
        if _is_script(items, k, "^") and _is_script(items, k + 2, "_"):
            items[k : k + 4] = [items[k + 2], items[k + 3], items[k], items[k + 1]]
            k += 4
        elif is_op(items[k], "'"):
            primes = k
            while primes < len(items) and is_op(items[primes], "'"):
                primes += 1  # y''_1: all the primes move after the subscript
            if _is_script(items, primes, "_"):
                items[k : primes + 2] = [*items[primes : primes + 2], *items[k:primes]]
                k = primes + 2
            else:
                k = primes
        else:
            k += 1
    return items


class WordReading:
    """Runs of letters (a mixin of the reader)."""

    def words(self, items: list) -> list:
        """``items`` with each run of two or more adjacent letters decided (see the module)."""
        out: list = []
        k = 0
        while k < len(items):
            run = _letter_run(items, k)
            if len(run) < 2:
                out.append(items[k])
                k += 1
                continue
            if run[0].text == "T" and k > 0 and is_op(items[k - 1], "^"):  # w^Tx: wᵀx
                out.append(items[k])
                k += 1
                continue
            word, col, end = "".join(t.text for t in run), run[0].col, run[-1].end
            after = k + len(run)
            if word in GREEK:
                out.append(Token("command", "\\" + word, col, end))
                self.note(rf"\mathrm{{{word}}}", f"is the Greek letter \\{word}", word)
            elif by_name(word) is not None and _applied(items, after):
                out.append(Token("font", r"\operatorname", col, end, word))
                self.note(rf"\mathrm{{{word}}}(\ldots)", f"is the function {word}", f"{word}(…)")
            else:
                out += self._product(run, items, after, word)
            k = after
        return out

    def _product(self, run: list[Token], items: list, after: int, word: str) -> list[Token]:
        """The letters of ``run`` as one-letter symbols, marked as letters of a word."""
        power_follows = after < len(items) and is_op(items[after], "^")
        letters = []
        for n, token in enumerate(run):
            euler = token.text == "e" and n == len(run) - 1 and power_follows
            marked = Token("letter", token.text, token.col, token.end, "word")
            letters.append(token if euler else marked)
        euler = run[-1].text == "e" and letters[-1] is run[-1]
        euler = "; the final e, raised to a power, is Euler's number" if euler else ""
        self.note(
            rf"\mathrm{{{word}}}",
            f"is read as the product of {', '.join(word)}{euler}; "
            f"write \\text{{{word}}} for one name",
            word,
        )
        return letters
