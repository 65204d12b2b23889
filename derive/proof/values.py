"""Values at points: an expression with numbers put in for its symbols, worked out from the
leaves up, refused as soon as a part is too large for any comparison to mean anything.

Why from the leaves up: SymPy works out exp of a number with a hundred million binary digits
(e^(2.5^(1.25^100))) in one call into C that no deadline can interrupt. Put the point in
with ``xreplace`` and that call happens inside SymPy's own evaluation; here each part is
checked before its parent is built, and the point is given up instead.
"""

from __future__ import annotations

import math

import sympy

MAX_BINARY_EXPONENT = 2**16  # |value| ≥ 2^65536 ≈ 10^19728: no comparison means anything
MAGNITUDE_DIGITS = 15  # enough to tell how large a part with no point value in it is


class Astronomical(Exception):
    """A part of the expression at the point is beyond 2^±65536."""


def astronomical(value: sympy.Basic) -> bool:
    """Whether the number ``value`` (or its real or imaginary part) is beyond 2^±65536 (or,
    as a fraction, has more binary digits than that): SymPy works x^(E − 1) and x^E/x out
    differently when E ≈ 10^43, at 120 digits as at 30."""
    for part in _number_parts(value):
        if isinstance(part, sympy.Float):
            if part != 0:
                _, _, exponent, bits = part._mpf_
                if abs(exponent + bits) > MAX_BINARY_EXPONENT:
                    return True
        elif isinstance(part, sympy.Rational):
            if max(int(part.p).bit_length(), int(part.q).bit_length()) > MAX_BINARY_EXPONENT:
                return True
    return False


def _number_parts(value: sympy.Basic) -> list[sympy.Basic]:
    """The numbers ``value`` is made of, two levels down: 1.5 + 2.0·i gives 1.5 and 2.0."""
    if value.is_Number:
        return [value]
    return [
        part for arg in value.args for part in (arg, *arg.args) if isinstance(part, sympy.Number)
    ]


def _log2_size(number: sympy.Basic) -> float | None:
    """About log₂|number| for a rational or float (None for other numbers, and for 0)."""
    if isinstance(number, sympy.Float) and number != 0:
        _, mantissa, exponent, bits = number._mpf_
        return exponent + math.log2(mantissa)
    if isinstance(number, sympy.Rational) and number != 0:
        p, q = abs(int(number.p)), int(number.q)
        return _log2_int(p) - _log2_int(q)
    return None


def _log2_int(n: int) -> float:
    shift = max(n.bit_length() - 60, 0)
    return shift + math.log2(n >> shift)


def astronomical_power(base: sympy.Basic, exponent: sympy.Basic) -> bool:
    """Whether base^exponent, both numbers, is beyond 2^±65536: |exponent·log₂|base|| is."""
    size, power = _log2_size(base), _log2_size(exponent)
    if size is None or power is None or size == 0:
        return False
    return power + math.log2(abs(size)) > math.log2(MAX_BINARY_EXPONENT)


def substituted(expr: sympy.Basic, point: dict, digits: int | None = 30) -> sympy.Basic | None:
    """``expr`` with ``point``'s values for its symbols (or for its derivatives and values
    of unknown functions: the outermost part found in ``point`` is replaced), each part
    holding one of them worked out to ``digits`` digits as it is built (with ``digits``
    None, kept exact, as are the parts with no value of the point in them: SymPy's own
    evaluation sees those later); None as soon as a part is astronomical."""
    memo: dict = {}

    def walk(node: sympy.Basic) -> tuple[sympy.Basic, bool, bool]:
        """(value, whether it is a number, whether a point value is in it)."""
        if node in point:
            return point[node], True, True
        if node in memo:
            return memo[node]
        if not node.args or isinstance(node, (sympy.Derivative, sympy.Subs)):
            found = node.xreplace(point)
            result = found, bool(getattr(found, "is_number", False)), found is not node
        else:
            parts = [walk(arg) for arg in node.args]
            args = tuple(value for value, _, _ in parts)
            if isinstance(node, sympy.Pow) and astronomical_power(*args):
                raise Astronomical  # before SymPy builds 3^4909093465 exactly, in C
            value = node.func(*args) if args != node.args else node
            numeric = all(is_number for _, is_number, _ in parts)
            placed = any(has_point for _, _, has_point in parts)
            if numeric and isinstance(value, sympy.Expr) and not value.is_Number:
                if placed and digits is not None:
                    value = value.evalf(digits)
                elif astronomical(value.evalf(MAGNITUDE_DIGITS)):  # e^(e^(e^(e^5))) as written
                    raise Astronomical
            result = value, numeric, placed
        if result[1] and astronomical(result[0]):
            raise Astronomical
        memo[node] = result
        return result

    try:
        return walk(expr)[0]
    except Astronomical:
        return None
