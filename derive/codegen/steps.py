"""Expressions written as NumPy steps in place, one step a line (``Steps``).

NumPy makes a new array for every operation. A careful person computes a chain of them in
one array instead (``np.exp(u, out=u)``): fewer arrays, fewer passes over memory. ``Steps``
writes an expression so, in arrays the function made itself (never an argument). Two rules
keep that right for every input:

* a step writes into an array only when its other operand depends on no parameter the array
  does not: its shape then fits the array's, whatever the arguments' shapes; or, for an
  operand that is a parameter or a named array, when its shape is () or the array's, as
  the step checks where it runs (``u = np.subtract(u, y, out=u) if y.shape in ((),
  u.shape) else u - y``);
* an array is written into only after ``np.asarray``: where every argument is a number,
  NumPy's results are numbers, which ``out=`` cannot take.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy

from derive import printing
from derive.codegen.numpy_printer import NumPyCode
from derive.codegen.stable import clipped, heaviside_form, softplus_form
from derive.printing.functions import positive_first
from derive.substitution import replaced
from rules.neural import sigmoid, softplus
from rules.nonsmooth import Heaviside, numbers_last, relu


@dataclass
class Value:
    """``expr`` over parameters, numbers and named arrays; the parameters it depends on;
    ``buffer``: the name of an array of the function's own that may be overwritten."""

    expr: sympy.Expr
    leaves: frozenset
    buffer: str | None = None
    made_from: sympy.Expr | None = None


OPERATIONS = {"multiply": sympy.Mul, "divide": lambda a, b: a / b, "add": sympy.Add,
              "subtract": lambda a, b: a - b}  # fmt: skip
_half = lambda expr: isinstance(expr, Heaviside) and expr.args[1] == sympy.S.Half  # noqa: E731


class Steps:
    """Lines ``(name, code)`` computing values in place (``value``); ``guarded``: a step may
    overflow on purpose (σ(u) = 1/(1 + e^(−u)) is 1/inf = 0 for u < −709)."""

    def __init__(self, printer: NumPyCode, params, names):
        self.printer, self.names = printer, names
        self.leaves = {p: frozenset({p}) for p in params}
        self.lines: list[tuple[str, str]] = []
        self.arrays: set[str] = set()  # arrays written into (np.asarray'd)
        self.created: dict[str, int] = {}  # array -> the line that made it
        self.reusable: set[str] = set()  # named values whose arrays may be overwritten
        self.meaning: dict[str, sympy.Expr] = {}  # array -> what it holds now
        self.notes: dict[int, str] = {}  # line -> its comment: what it computes
        self.guarded = False

    def leaves_of(self, expr) -> frozenset:
        return frozenset().union(*(self.leaves.get(s.name, {s.name}) for s in expr.free_symbols))

    def value(self, expr: sympy.Expr) -> Value:
        if expr.is_Symbol:
            buffer = expr.name if expr.name in self.reusable else None
            return Value(expr, self.leaves_of(expr), buffer)
        if not isinstance(expr, sympy.Expr) or not expr.free_symbols:
            return Value(expr, self.leaves_of(expr))
        if isinstance(expr, sigmoid):
            self.guarded = True
            return self.value(1 / (1 + sympy.exp(-expr.args[0])))
        if isinstance(expr, softplus):
            return self._softplus(expr.args[0])
        if isinstance(expr, relu):
            return self.value(sympy.Max(expr.args[0], 0))
        if isinstance(expr, Heaviside) and heaviside_form(expr) is not None:
            return self.value(heaviside_form(expr))
        if isinstance(expr, sympy.Piecewise) and clipped(expr) is not None:
            return self._clipped(expr, *clipped(expr))
        if isinstance(expr, sympy.Mul):
            return self._product(expr)
        if isinstance(expr, sympy.Add):
            return self._sum(expr)
        if isinstance(expr, sympy.Pow) and expr.exp.is_Number:
            return self._power(expr.base, expr.exp)
        if isinstance(expr, (sympy.Max, sympy.Min)):
            return self._extremum(expr)
        if isinstance(expr, sympy.Function) and len(expr.args) == 1:
            return self._unary(expr)
        return Value(expr, self.leaves_of(expr))

    def _sum(self, expr) -> Value:
        """Σ terms; a sum of switches Σ cᵢ·H(uᵢ) as (Σ cᵢ·sign(uᵢ) + Σ cᵢ)/2."""
        halves = [(c, h) for c, h in (t.as_coeff_Mul() for t in expr.args) if _half(h)]
        terms, extra = list(expr.args), []
        if len(halves) > 1:
            terms = [t for t in terms if all(t != c * h for c, h in halves)]
            inner = sum(c * sympy.sign(h.args[0]) for c, h in halves) + sum(c for c, _ in halves)
            extra = [self.value(sympy.Mul(sympy.S.Half, inner, evaluate=False))]
        plus = [t for t in positive_first(terms) if not t.could_extract_minus_sign()]
        minus = [-t for t in terms if t.could_extract_minus_sign()]
        plus, minus = [self.value(t) for t in plus] + extra, [self.value(t) for t in minus]
        return self._fold("add", plus, minus)

    def own(self, value: Value) -> Value:
        """``value`` in an array of the function's own (a parameter or a number as it is)."""
        if value.buffer or value.expr.is_Atom:
            return value
        name = next(self.names).name
        self.line(name, self.printer.doprint(value.expr), value.expr)
        self.created[name], self.leaves[name] = len(self.lines) - 1, value.leaves
        return Value(sympy.Symbol(name, real=True), value.leaves, name, value.expr)

    def line(self, name: str, code: str, meaning: sympy.Expr, note=False) -> None:
        """``name = code``, which makes ``name`` hold ``meaning`` (in the arrays' names); a
        step in place (``note``) says what it computes, when that is short."""
        arrays = {sympy.Symbol(n, real=True): m for n, m in self.meaning.items()}
        self.meaning[name] = meaning = replaced(meaning, arrays)
        if note and len(printing.text(meaning, {})) <= 48:
            self.notes[len(self.lines)] = printing.text(meaning, {})
        self.lines.append((name, code))

    def writable(self, buffer: str) -> None:
        """``buffer`` made an array before a step writes into it: its line wrapped in
        ``np.asarray`` (where every argument is a number, NumPy's result is a number)."""
        if buffer not in self.arrays:
            name, code = self.lines[self.created[buffer]]
            self.lines[self.created[buffer]] = (name, f"np.asarray({code})")
            self.arrays.add(buffer)

    def into(self, buffer: str, call: str, meaning: sympy.Expr) -> None:
        """A step writing into ``buffer`` (``np.{call}, out=buffer)``)."""
        self.writable(buffer)
        self.line(buffer, f"np.{call}, out={buffer})", meaning, note=True)

    def _unary(self, expr) -> Value:
        value = self.value(expr.args[0])
        call = self.printer.doprint(expr.func(sympy.Symbol("ARG_")))
        ufunc = call[3:-6] if call.startswith("np.") and call.endswith("(ARG_)") else ""
        if isinstance(expr, sympy.sign) and value.buffer:  # np.sign in place is a slow loop
            self.line(value.buffer, f"np.sign({value.buffer})", sympy.sign(value.expr), True)
            self.arrays.discard(value.buffer)
            self.created[value.buffer] = len(self.lines) - 1
            return value
        if not isinstance(getattr(np, ufunc, None), np.ufunc) or ufunc == "sign":
            return Value(expr.func(value.expr), value.leaves)
        if value.expr.is_Atom and not value.buffer:
            return Value(expr.func(value.expr), value.leaves)
        value = self.own(value)
        self.into(value.buffer, f"{ufunc}({value.buffer}", expr.func(value.expr))
        return value

    def _softplus(self, u) -> Value:
        """max(u, 0) + log(1 + e^(−|u|)) (``softplus_form``), u computed once."""
        value = self.own(self.value(u))
        if value.buffer is None:
            return self.value(softplus_form(value.expr))
        top = self.own(Value(sympy.Max(value.expr, 0), value.leaves))
        self.reusable.add(value.buffer)
        rest = self.value(softplus_form(value.expr) - sympy.Max(value.expr, 0))
        return self._fold("add", [rest, top], [])

    def _clipped(self, cases, r, bound, factor) -> Value:
        """factor·sign(r)·min(|r|, bound) (``clipped``): for a factor ±1, factor·r in an
        array of its own, then the helper ``_clipped`` (two passes where the bound is a
        number ≥ 0); else sign(r) first, then r's array."""
        if r.is_Symbol and self.free_after(r, cases):
            self.reusable.add(r.name)
        if factor in (1, -1):
            value = self.own(self.value(factor * r))
            if value.buffer is not None:
                return self._clip(value, bound)
        value = self.own(self.value(r))
        sign = self.own(Value(sympy.sign(value.expr), value.leaves))
        self.reusable |= {value.buffer, sign.buffer} - {None}
        least = self.value(sympy.Min(sympy.Abs(value.expr), bound))
        return self.value(factor * sign.expr * least.expr)

    def _clip(self, value: Value, bound) -> Value:
        """``_clipped(r, bound)`` written into r's array (or, with an array of bounds, a new
        array named as r's)."""
        buffer = value.buffer
        self.writable(buffer)
        meaning = sympy.sign(value.expr) * sympy.Min(sympy.Abs(value.expr), bound)
        self.line(buffer, f"_clipped({buffer}, {self.printer.doprint(bound)})", meaning, True)
        self.leaves[buffer] = value.leaves | self.leaves_of(bound)
        return Value(value.expr, self.leaves[buffer], buffer, value.made_from)

    def free_after(self, symbol, expr) -> bool:
        """Whether ``symbol``'s array is used nowhere but in ``expr`` (the statements say)."""
        return False

    def _power(self, base, exponent) -> Value:
        value = self.value(base)
        if value.expr.is_Atom and not value.buffer or exponent < -1 and not exponent.is_Integer:
            return Value(value.expr**exponent, value.leaves)
        value = self.own(value)
        b, B, size = value.buffer, value.expr, abs(exponent)
        if size != 1:
            calls = {2: f"square({b}", sympy.S.Half: f"sqrt({b}"}
            self.into(b, calls.get(size, f"power({b}, {self.printer.doprint(size)}"), B**size)
        if exponent.is_negative:
            self.into(b, f"reciprocal({b}", B**exponent)
        return value

    def _extremum(self, expr) -> Value:
        *rest, last = numbers_last(expr.args)
        values = [self.value(expr.func(*rest, evaluate=False) if rest[1:] else rest[0])]
        values.append(self.value(last))
        owned = [v for v in values if v.buffer and all(o.leaves <= v.leaves for o in values)]
        if not owned:
            return Value(expr.func(*(v.expr for v in values), evaluate=False), self.leaves_of(expr))
        acc, other = owned[0], values[1] if owned[0] is values[0] else values[0]
        ufunc = "maximum" if isinstance(expr, sympy.Max) else "minimum"
        meaning = expr.func(acc.expr, other.expr, evaluate=False)
        self.into(acc.buffer, f"{ufunc}({acc.buffer}, {self.printer.doprint(other.expr)}", meaning)
        return acc

    def _product(self, expr) -> Value:
        coeff, factors = expr.as_coeff_mul()
        top, below = [], []
        for factor in factors:
            if _half(factor):
                coeff, factor = coeff / 2, sympy.Add(sympy.sign(factor.args[0], evaluate=False), 1)
            base, power = factor.as_base_exp()
            if isinstance(base, sigmoid) and power.is_Integer:
                self.guarded = True
                base, power = 1 + sympy.exp(-base.args[0]), -power
            if power.is_Number and power < 0:
                below.append(self.value(base**-power))
            else:
                top.append(self.value(base**power))
        return self._fold("multiply", top, below, coeff)

    def _fold(self, kind: str, direct: list, inverse: list, coeff=sympy.S.One) -> Value:
        """Σ direct − Σ inverse (``kind`` add) or coeff·Π direct / Π inverse, in place."""
        everything = direct + inverse
        leaves = frozenset().union(*(v.leaves for v in everything))
        buffers = [v for v in everything if v.buffer]
        if not any(v.leaves >= leaves for v in buffers) and (kind == "add" or coeff != 1 or
                                                          len(everything) > 2):  # fmt: skip
            buffers = self._fresh(everything, leaves) or buffers
        if not buffers:  # one expression: NumPy reuses its temporaries
            if kind == "add":
                rebuilt = sympy.Add(*(v.expr for v in direct)) - sympy.Add(
                    *(v.expr for v in inverse)
                )
            else:
                rebuilt = (
                    coeff
                    * sympy.Mul(*(v.expr for v in direct))
                    / sympy.Mul(*(v.expr for v in inverse))
                )
            return Value(rebuilt, leaves)
        if buffers[0].made_from is not None:  # made by _fresh: it stands for its expression
            direct = [buffers[0] if v.expr == buffers[0].made_from else v for v in direct]
            inverse = [buffers[0] if v.expr == buffers[0].made_from else v for v in inverse]
        forward, backward = ("add", "subtract") if kind == "add" else ("multiply", "divide")
        acc = max(buffers, key=lambda v: (len(v.leaves), v.buffer in self.arrays))
        if any(v is acc for v in inverse):  # (the direct ones not in arrays) ∘ acc, into acc
            inverse = [v for v in inverse if v is not acc]
            rest = [v for v in direct if not v.buffer]
            direct = [v for v in direct if v.buffer]
            first = (sympy.Add if kind == "add" else sympy.Mul)(*(v.expr for v in rest))
            if kind == "multiply":
                first, coeff = coeff * first, sympy.S.One
            if first == 0 or first == 1 and kind == "multiply":
                call = "negative" if kind == "add" else "reciprocal"
                self.into(
                    acc.buffer, f"{call}({acc.buffer}", -acc.expr if kind == "add" else 1 / acc.expr
                )
            else:
                acc = self._combine(acc, backward, Value(first, self.leaves_of(first)), True)
        else:
            direct = [v for v in direct if v is not acc]
        for v in sorted(direct, key=lambda v: not v.leaves <= acc.leaves):
            acc = self._combine(acc, forward, v)
        for v in inverse:
            acc = self._combine(acc, backward, v)
        if coeff == -1:
            self.into(acc.buffer, f"negative({acc.buffer}", -acc.expr)
        elif coeff != 1:
            acc = self._combine(acc, "multiply", Value(coeff, frozenset()))
        return acc

    def _fresh(self, values, leaves) -> list[Value]:
        """A call among ``values`` (a new array: np.sign, np.where, …) that all the others
        fit in, in an array of its own that they go into; none without such a call."""
        for v in values:
            call = not isinstance(v.expr, (sympy.Add, sympy.Mul, sympy.Pow, sympy.Atom))
            if call and v.leaves >= leaves:
                return [self.own(v)]
        return []

    def _combine(self, acc: Value, ufunc: str, other: Value, reverse=False) -> Value:
        """acc ∘ other (other ∘ acc when ``reverse``), into acc's array when other fits."""
        b = acc.buffer
        code = self.printer.doprint(other.expr)
        if other.expr.is_Number:  # a float: NumPy converts a Python int at every call
            code = repr(float(other.expr))
        operation = OPERATIONS[ufunc]
        rebuilt = operation(other.expr, acc.expr) if reverse else operation(acc.expr, other.expr)
        call = f"{ufunc}({code}, {b}" if reverse else f"{ufunc}({b}, {code}"
        if other.leaves <= acc.leaves:
            self.into(b, call, rebuilt)
            return acc
        if other.expr.is_Symbol:  # into acc's array when the arguments' shapes let it
            self.writable(b)
            written = self.printer.doprint(rebuilt)
            check = f"if {code}.shape in ((), {b}.shape) else {written}"
            self.line(b, f"np.{call}, out={b}) {check}", rebuilt, True)
            self.leaves[b] = acc.leaves | other.leaves
            return Value(acc.expr, acc.leaves | other.leaves, b)
        self.line(b, self.printer.doprint(rebuilt), rebuilt)  # a new array, of more shape
        self.arrays.discard(b)
        self.created[b], self.leaves[b] = len(self.lines) - 1, acc.leaves | other.leaves
        return Value(acc.expr, acc.leaves | other.leaves, b)
