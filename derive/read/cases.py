"""Reading the cases environment: rows of a value and a condition (``\\text{if } x > 0``,
``\\text{otherwise}``); conditions joined by "and", "or" and commas; chains ``0 < x \\le 1``."""

from __future__ import annotations

import sympy

from derive.read.groups import Group, is_op, is_word, strip_punctuation
from derive.read.tokens import Token

RELATIONS = {
    "=": sympy.Eq, "!=": sympy.Ne, "<": sympy.Lt, ">": sympy.Gt, "<=": sympy.Le, ">=": sympy.Ge,
}  # fmt: skip
CONDITION_WORDS = {"if", "for", "when", "where", "whenever"}
OTHERWISE = {"otherwise", "else", "o.w", "ow", "elsewhere", "else if"}


def _unbraced_words(items: list) -> list:
    """``{\\text{if}}`` as ``\\text{if}``: braces around words only group them."""
    out = []
    for item in items:
        words = isinstance(item, Group) and item.kind == "{" and item.items
        if words and all(isinstance(i, Token) and i.kind == "font" for i in item.items):
            out += item.items
        else:
            out.append(item)
    return out


def _indicator(condition) -> sympy.Expr:
    """1 where ``condition`` holds, else 0: the step H(a − b) for a comparison of a and b
    (H(0) = 0 for a strict one, 1 otherwise), cases for anything else."""
    steps = {
        sympy.StrictGreaterThan: (1, 0), sympy.GreaterThan: (1, 1),
        sympy.StrictLessThan: (-1, 0), sympy.LessThan: (-1, 1),
    }  # fmt: skip
    if type(condition) in steps:
        sign, at_zero = steps[type(condition)]
        return sympy.Heaviside(sign * (condition.lhs - condition.rhs), at_zero)
    return sympy.Piecewise((1, condition), (0, True))


class CasesReading:
    """Cases and their conditions (a mixin of the reader)."""

    def cases(self, group: Group) -> sympy.Piecewise:
        """``\\begin{cases} a & \\text{if } x > 0 \\\\ b & \\text{otherwise} \\end{cases}``."""
        rows, row = [], [[]]
        for item in group.items:
            if isinstance(item, Token) and item.kind == "rowsep":
                rows.append(row)
                row = [[]]
            elif is_op(item, "&"):
                row.append([])
            else:
                row[-1].append(item)
        rows.append(row)
        rows = [r for r in rows if any(cell for cell in r)]
        if not rows:
            self.fail("the cases environment is empty", group)
        pieces = []
        for n, cells in enumerate(rows, start=1):
            if len(cells) > 2:
                self.fail(f"row {n} of the cases has more than one '&'", group)
            value_items = strip_punctuation(cells[0])
            if not value_items:
                self.fail(f"row {n} of the cases has no value", group)
            value = self.expression(value_items, value_items[0].col, value_items[-1].end)
            condition_items = cells[1] if len(cells) > 1 else []
            condition = self.condition(condition_items, n, len(rows), group)
            pieces.append((value, condition))
        return sympy.Piecewise(*pieces)

    def indicator(self, items: list, k: int, fragment) -> int:
        """``\\mathbf{1}[u > 0]``, ``\\mathbb{1}\\{…\\}``, ``\\mathbb{1}_{…}``: 1 where the
        condition holds, else 0 (for u > 0, the step H(u) with H(0) = 0)."""
        one = items[k]
        after = items[k + 1] if k + 1 < len(items) else None
        if isinstance(after, Group) and (after.kind == "[" or after.kind == "{" and after.explicit):
            group, next_k = after, k + 2
        elif is_op(after, "_") and k + 2 < len(items) and isinstance(items[k + 2], Group):
            group, next_k = items[k + 2], k + 3
        else:
            return self.ones(items, k, fragment)
        if not group.items:
            self.fail("the indicator needs a condition, as in [u > 0]", group)
        condition = self.condition(group.items, 1, 2, group)
        self.note(
            rf"{self._text(one)}[\ldots]",
            "is the indicator: 1 where the condition holds, else 0",
            "1[…]",
        )
        try:
            indicator = _indicator(condition)
        except (TypeError, ValueError):  # SymPy's H of a value that is never real
            self.fail("the indicator compares a value that is not real", group)
        fragment.add(self.placeholder(indicator), one.col, operand=True)
        return next_k

    def condition(self, items: list, row: int, rows: int, group: Group):
        items = [it for it in _unbraced_words(items) if not is_word(it, CONDITION_WORDS)]
        items = strip_punctuation(items)
        if not items or (len(items) == 1 and is_word(items[0], OTHERWISE)):
            if row == rows:
                return sympy.true
            self.fail(f"row {row} of the cases needs a condition", group)
        conjunction: list = []
        disjunction: list = []
        part: list = []
        for item in items + [None]:
            if item is None or is_op(item, "and", "or", ",") or is_word(item, {"and", "or"}):
                if not part:
                    where = item if item is not None else items[-1]
                    self.fail("a condition is missing here", where)
                conjunction.append(self.relation(part))
                part = []
                if item is not None and (is_op(item, "or") or is_word(item, {"or"})):
                    disjunction.append(sympy.And(*conjunction))
                    conjunction = []
            else:
                part.append(item)
        disjunction.append(sympy.And(*conjunction))
        return sympy.Or(*disjunction)

    def relation(self, items: list):
        """``a < b``, ``|x| \\le \\delta``, ``0 < x \\le 1``."""
        sides, ops, start = [], [], 0
        for k, item in enumerate(items):
            if isinstance(item, Token) and item.kind == "op" and item.text in RELATIONS:
                sides.append(items[start:k])
                ops.append(item)
                start = k + 1
        sides.append(items[start:])
        if not ops:
            self.fail("a condition needs a comparison such as x > 0", items[0])
        values = []
        for side, op in zip(sides, ops + [None], strict=True):
            if not side:
                self.fail("a comparison is missing a side", op or ops[-1])
            values.append(self.expression(side, side[0].col, side[-1].end))
        try:
            return sympy.And(
                *(RELATIONS[op.text](values[j], values[j + 1]) for j, op in enumerate(ops))
            )
        except (TypeError, ValueError) as error:  # a comparison with 1/0, or a complex value
            self.fail(f"this comparison cannot be made: {error}", items[0], end=items[-1].end)
