"""The vocabulary: every rule and every function derive knows, registered in one table.

A **rule** is a small function whose docstring is its formula. It comes in two shapes:

* ``@derivative(head, ...)``: ``f'(u)`` of a function of one argument, like JAX's ``defjvp``:
  ``def sine(u): '''d/du sin u = cos u'''; return cos(u)``. The engine applies the chain rule.
* ``@rule(head, ...)``: ``(expr, var) -> Outer | Expansion`` for anything else (sums,
  products, powers, max): ``Outer`` gives f'(u) of one inner expression, ``Expansion`` the
  parts to differentiate and how their derivatives combine.

Both decorators take the rest of what derive knows about the head, kept in its **entry**:
how the reader spells it (``names``, ``letters``, ``arity``, ``inverse_of``), where it is
not differentiable (``kinks``) and how it switches (``switch``), the convention at its kink,
how the printers name it (``text``, ``latex``, ``numpy`` and a ``numpy_helper``), how to
rewrite it in SymPy's own functions (``elementary``) and in the other forms (``forms``).
The LaTeX formula each rule shows is computed from the rule itself (``formula``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sympy

from derive.errors import DeriveError

T = sympy.Dummy("t", real=True)  # the parameter of a subgradient: the slope chosen at a kink


@dataclass(frozen=True)
class Outer:
    """f(u): the inner expression u and the outer derivative f'(u)."""

    inner: sympy.Expr
    derivative: sympy.Expr


@dataclass(frozen=True)
class Expansion:
    """A combination: the parts to differentiate and how their derivatives combine."""

    parts: tuple[sympy.Expr, ...]
    combine: Callable[[Sequence[sympy.Expr]], sympy.Expr]
    regions: tuple[sympy.Basic, ...] | None = None  # where each part applies (Piecewise)


@dataclass(frozen=True)
class KinkSpec:
    """Where a function's derivative switches: ``where`` = 0.

    At the kink each switching atom of the derivative takes a value in terms of ``T`` with
    ``low ≤ T ≤ high`` (``choices``); every such value is a subgradient. A ``jump`` has none.
    """

    where: sympy.Expr
    kind: str = "kink"
    choices: tuple[tuple[sympy.Expr, sympy.Expr], ...] = ()
    low: sympy.Expr = sympy.S.Zero
    high: sympy.Expr = sympy.S.One
    equation: tuple[sympy.Expr, sympy.Expr] | None = None  # (lhs, rhs) as the user would write it


@dataclass(frozen=True)
class Switch:
    """How a non-smooth function switches: the sign of ``argument(e)`` decides;
    ``value(e, positive)`` is the function on either side; ``at_kink(e)``, for a step
    (sign, H), the value it takes at the kink by convention."""

    argument: Callable[[sympy.Expr], sympy.Expr | None]
    value: Callable[[sympy.Expr, bool], sympy.Expr]
    at_kink: Callable[[sympy.Expr], sympy.Expr] | None = None


@dataclass(frozen=True)
class Rule:
    """A row of the rule table: ``apply(expr, var)`` gives an ``Outer`` or an ``Expansion``.

    ``specimen()`` returns an (expression, variable) the rule applies to, from which its
    formula is computed; a ``trivial`` rule (a constant, the variable) needs no line of its
    own in a derivation.
    """

    name: str
    apply: Callable
    statement: str
    heads: tuple[type, ...] = ()
    when: Callable | None = None
    family: str = ""
    priority: int = 0
    specimen: Callable[[], tuple[sympy.Expr, sympy.Symbol]] | None = None
    trivial: bool = False

    def __repr__(self) -> str:
        return f"Rule({self.name!r})"


@dataclass(frozen=True)
class Entry:
    """What derive knows about one function (a SymPy head), in one place."""

    head: type
    rules: tuple[Rule, ...] = ()
    names: tuple[str, ...] = ()  # words read as this function: \sin, \operatorname{sin}
    commands: tuple[str, ...] = ()  # of those, the ones LaTeX has as commands (\sin)
    letters: tuple[str, ...] = ()  # Greek letters read as it when applied: \sigma(u)
    arity: int | None = 1  # None: any number of arguments (max, min)
    inverse_of: type | None = None  # \sin^{-1} is arcsin
    make: Callable | None = None  # how the reader builds it (keeping orientation: |m - t|)
    reading: tuple[str, str, str] | None = None  # a note on the reading: (math, text, plain)
    kinks: Callable[[sympy.Expr], list[KinkSpec]] | None = None
    switch: Switch | None = None
    convention: str = ""  # the convention at its kink, as a sentence
    text: str | Callable | None = None  # printed name, or (print, expr) -> str
    latex: str | Callable | None = None
    numpy: str | Callable | None = None
    numpy_helper: str = ""  # source of a helper the generated module defines
    elementary: Callable | None = None  # f(u) in SymPy's own functions (derive's own heads)
    plain: Callable | None = None  # the same as JSON's SymPy strings write it (else elementary)
    forms: dict = field(default_factory=dict)  # form -> rewrite of an applied function

    def build(self, *args) -> sympy.Expr:
        """The function applied to ``args``, as the reader writes it."""
        return (self.make or self.head)(*args)


class OwnFunction(sympy.Function):
    """A real function of one real argument that SymPy lacks (sigmoid, softplus, ReLU): its
    derivative, its elementary form and its numeric value all come from its entry."""

    nargs = 1

    def _eval_is_real(self):
        return self.args[0].is_real

    def fdiff(self, argindex=1):
        (derivative_rule,) = ENTRIES[type(self)].rules
        return derivative_rule.apply(self, None).derivative

    def elementary(self) -> sympy.Expr:
        """The same function written with SymPy's own functions."""
        return ENTRIES[type(self)].elementary(*self.args)

    def _eval_evalf(self, prec):
        return self.elementary()._eval_evalf(prec)

    def _eval_rewrite_as_exp(self, *args, **kwargs):
        return self.elementary()

    def _eval_rewrite_as_Piecewise(self, *args, **kwargs):
        return self.elementary()


RULES: list[Rule] = []
ENTRIES: dict[type, Entry] = {}
_ENTRY_FIELDS = {f for f in Entry.__dataclass_fields__} - {"head", "rules"}


class UnknownHead(DeriveError):
    """An expression whose head no rule differentiates."""


def _family(function) -> str:
    return function.__module__.rsplit(".", 1)[-1]


def _statement(function) -> str:
    return " ".join((function.__doc__ or "").split())


def _enter(heads, new_rule: Rule, fields: dict) -> None:
    unknown = set(fields) - _ENTRY_FIELDS
    if unknown:
        raise TypeError(f"unknown entry fields: {', '.join(sorted(unknown))}")
    RULES.append(new_rule)
    for head in heads:
        entry = ENTRIES.get(head, Entry(head))
        changes = dict(fields, rules=(*entry.rules, new_rule))
        ENTRIES[head] = Entry(head, **{**_fields_of(entry), **changes})


def _fields_of(entry: Entry) -> dict:
    return {name: getattr(entry, name) for name in _ENTRY_FIELDS | {"rules"}}


def derivative(head: type, *, name: str, **entry_fields):
    """Register the decorated ``f'(u)`` as the derivative of the function ``head`` of one
    argument; ``entry_fields`` fill in the rest of its entry."""

    def register(function):
        def apply(expr, var):
            u = expr.args[0]  # H(u) also carries its value at 0
            return Outer(u, function(u))

        def specimen():
            u = sympy.Symbol("u", real=True)
            return head(u), u

        new_rule = Rule(name, apply, _statement(function), (head,), family=_family(function),
                        specimen=specimen)  # fmt: skip
        _enter((head,), new_rule, entry_fields)
        return function

    return register


def rule(*heads: type, name: str, specimen=None, when=None, priority=0, trivial=False, **fields):
    """Register the decorated ``(expr, var) -> Outer | Expansion`` as the rule for ``heads``
    (or, with no heads, for any expression that ``when(expr, var)`` accepts). Among rules for
    one head, those with a higher ``priority`` are tried first, then table order."""

    def register(function):
        statement = _statement(function)
        new_rule = Rule(name, function, statement, heads, when, _family(function), priority,
                        specimen, trivial)  # fmt: skip
        _enter(heads, new_rule, fields)
        return function

    return register


def chain_rule(expr, var):
    """d/dx f(u) = f'(u) · du/dx: applied by the engine to every rule that gives f'(u)"""
    raise NotImplementedError("the engine applies the chain rule")


def _chain_specimen():
    x = sympy.Symbol("x", real=True)
    inner = sympy.Function("u", real=True)(x)
    return sympy.Function("f", real=True)(inner), x


CHAIN_RULE = Rule("chain rule", chain_rule, _statement(chain_rule), family="engine",
                  specimen=_chain_specimen)  # fmt: skip


def depends(expr: sympy.Basic, var: sympy.Expr) -> bool:
    """Whether ``expr`` depends on ``var``; on an element ``w[k]`` of an array, whenever it
    holds any element of w (``w[i]`` is ``w[k]`` where i = k)."""
    if isinstance(var, sympy.Indexed):
        return expr.has(var.base)
    return var in expr.free_symbols if expr.is_Atom else expr.has(var)


def find_rule(expr: sympy.Expr, var: sympy.Symbol) -> Rule:
    """The rule that differentiates ``expr`` with respect to ``var``."""
    for candidate in RULES:
        if not candidate.heads and candidate.when(expr, var):
            return candidate
    for head in type(expr).__mro__:
        entry = ENTRIES.get(head)
        if entry is None:
            continue
        for candidate in sorted(entry.rules, key=lambda r: -r.priority):
            if candidate.when is None or candidate.when(expr, var):
                return candidate
    raise UnknownHead(f"derive has no rule for {type(expr).__name__} (in {expr})")


def rule_named(name: str) -> Rule:
    """The rule called ``name``."""
    return next(r for r in all_rules() if r.name == name)


def all_rules() -> list[Rule]:
    """Every rule, in table order, the chain rule first."""
    return [CHAIN_RULE, *RULES]


def entry_for(expr_or_head) -> Entry | None:
    """The entry of an expression's head (or of a head), searching its classes."""
    head = expr_or_head if isinstance(expr_or_head, type) else type(expr_or_head)
    for cls in head.__mro__:
        if cls in ENTRIES:
            return ENTRIES[cls]
    return None


def entries() -> list[Entry]:
    """Every entry, in table order."""
    return list(ENTRIES.values())


def heads_with(predicate: Callable[[Entry], bool]) -> tuple[type, ...]:
    """The heads whose entries satisfy ``predicate`` (``lambda e: e.kinks is not None``)."""
    return tuple(e.head for e in ENTRIES.values() if predicate(e))


def applied(expr: sympy.Basic, predicate: Callable[[Entry], bool]) -> set:
    """The sub-expressions of ``expr`` whose heads' entries satisfy ``predicate``."""
    heads = heads_with(predicate)
    return expr.atoms(*heads) if heads else set()


def formula(rule_: Rule) -> tuple[sympy.Expr, sympy.Symbol, sympy.Expr]:
    """The rule's formula as (its specimen, the variable, what the rule gives for d/dx of
    the specimen), computed by applying the rule: the formula shown is the one the code uses."""
    expr, var = rule_.specimen()
    if rule_ is CHAIN_RULE:
        return expr, var, sympy.diff(expr, var)
    answer = rule_.apply(expr, var)
    if isinstance(answer, Outer):
        inner = sympy.S.One if answer.inner == var else sympy.Derivative(answer.inner, var)
        return expr, var, answer.derivative * inner
    parts = [sympy.Derivative(p, var).doit() for p in answer.parts]
    return expr, var, answer.combine(parts)


@functools.lru_cache(maxsize=512)  # the proofs ask for the whole loss's form once a variable
def elementary_form(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with derive's own functions (sigmoid, softplus, ReLU) rewritten in SymPy's."""
    found = applied(expr, lambda e: e.elementary is not None)
    if not found:
        return expr
    replacements = {f: entry_for(f).elementary(*f.args) for f in found}
    return elementary_form(expr.xreplace(replacements))


def plain_form(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` in SymPy's own functions as a reader of derive's JSON expects them:
    sigmoid as 1/(1 + exp(−u)), softplus as log(1 + exp(u)), ReLU as Max(0, u)."""
    found = applied(expr, lambda e: e.elementary is not None)
    if not found:
        return expr
    replacements = {}
    for f in found:
        entry = entry_for(f)
        replacements[f] = (entry.plain or entry.elementary)(*f.args)
    return plain_form(expr.xreplace(replacements))


def sympy_namespace() -> dict[str, type]:
    """derive's own SymPy functions by name: ``locals`` for ``sympy.sympify``."""
    return {head.__name__: head for head in heads_with(lambda e: e.elementary is not None)}


def in_form(expr: sympy.Expr, form: str) -> sympy.Expr:
    """``expr`` with every function that has a rewrite for ``form`` rewritten."""
    found = applied(expr, lambda e: form in e.forms)
    replacements = {a: entry_for(a).forms[form](a) for a in found}
    replacements = {a: r for a, r in replacements.items() if r is not None}
    return expr.xreplace(replacements) if replacements else expr


def by_name(word: str) -> Entry | None:
    """The entry the reader applies for ``word`` (``sin``, ``relu``; any case)."""
    word = word.strip().lower()
    return next((e for e in ENTRIES.values() if word in e.names), None)


def by_letter(letter: str) -> Entry | None:
    """The entry a Greek letter applied with parentheses stands for (``sigma``: sigmoid)."""
    return next((e for e in ENTRIES.values() if letter in e.letters), None)


def inverse_of(head: type) -> Entry | None:
    """The entry of the inverse of ``head`` (``sin`` → arcsin), for ``\\sin^{-1}``."""
    return next((e for e in ENTRIES.values() if e.inverse_of is head), None)


def commands() -> set[str]:
    """The LaTeX commands that name functions (``sin``, ``max``, ``log``)."""
    return {c for e in ENTRIES.values() for c in e.commands}
