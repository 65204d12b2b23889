"""A loss with definitions read into one ``Loss``: the chain of named intermediates.

Each definition is read on its own (``derive.read.definitions``); here they are joined: the
names must agree between lines, each application of a defined function becomes an
intermediate of its own, the definitions are ordered so that each uses only those before it
(a cycle is refused, as is a definition the loss does not use), and the loss is given both in
its intermediates (``top``) and in the inputs only (``expr``).
"""

from __future__ import annotations

import dataclasses

import sympy
from sympy.core.function import AppliedUndef

from derive.errors import DeriveError, ParseError
from derive.model import Definition, Loss
from derive.read.definitions import (
    bare_name,
    defined_functions,
    definition_lines,
    is_loss_name,
    read_definition,
    substituted,
)
from derive.read.sums import refuse_name_used_twice

MAX_INTERMEDIATES = 200


def read_chain(source: str, where, functions, log_base: str, read) -> Loss:
    """The loss ``source`` with the definitions ``where`` (and those it writes as lines).
    ``read(text, functions)`` reads one piece of LaTeX into a ``Loss``."""
    lines = definition_lines(source) or []
    functions = (*functions, *defined_functions([line.text for line in lines] + list(where)))
    pieces = [(text, text, 0) for text in where]  # (definition, the text it is in, its column)
    if lines:
        named = [k for k, line in enumerate(lines) if is_loss_name(line.left)]
        if len(named) > 1:
            column = lines[named[1]].start
            raise ParseError("two lines define the loss (L, J or \\ell)", source, column)
        at = named[0] if named else len(lines) - 1
        loss = _within(source, lines[at].column, lambda: read(lines[at].right, functions))
        loss = dataclasses.replace(loss, source=source, name=bare_name(lines[at].left))
        pieces = [(line.text, source, line.start) for k, line in enumerate(lines) if k != at]
        pieces += [(text, text, 0) for text in where]
    else:
        loss = read(source, functions)
    spellings = dict(loss.spellings)
    readings, fractions = list(loss.readings), set(loss.fractions)
    symbols: dict[sympy.Symbol, tuple[sympy.Expr, str]] = {}
    heads: dict[str, tuple[tuple, sympy.Expr, str]] = {}
    for text, whole, column in pieces:
        defined, parameters, right = _within(
            whole, column, lambda text=text: read_definition(text, read, functions)
        )
        _merge(spellings, right.spellings, text)
        readings += right.readings
        fractions |= right.fractions
        key = defined.__name__ if parameters else defined
        if key in symbols or key in heads:
            raise DeriveError(f"{_spelled(defined, spellings)} is defined twice")
        if parameters:
            heads[defined.__name__] = (parameters, right.expr, text.strip())
        else:
            symbols[defined] = (right.expr, text.strip())
    readings = [r for r in dict.fromkeys(readings) if not _about_defined(r, heads, spellings)]
    top, nodes = _applied(loss.expr, symbols, heads, spellings)
    definitions = _ordered(top, nodes, spellings)
    _refuse_elements(symbols, loss.expr, spellings)
    _check_used(definitions, symbols, heads)
    refuse_name_used_twice(substituted(top, definitions), source)
    chain = Loss(
        source,
        substituted(top, definitions),
        spellings,
        tuple(readings),
        loss.name,
        frozenset(fractions),
        definitions=definitions,
        top=top,
    )
    spellings[chain.loss_symbol.name] = loss.name.strip() if loss.name else "L"
    return chain


def _within(whole: str, column: int, work):
    """``work()``, its ParseError pointed at ``column`` onwards in ``whole`` (the input)."""
    try:
        return work()
    except ParseError as error:
        if error.column is None or (column == 0 and whole == error.source):
            raise
        raise ParseError(error.message, whole, error.column + column, error.length) from None


def _about_defined(reading, heads: dict, spellings: dict) -> bool:
    """Whether a reading note calls a defined function unknown (m_x(w) = w x is known)."""
    return "unknown function" in reading.text and any(
        reading.math.startswith(f"{spellings.get(name, name)}(") for name in heads
    )


def _merge(spellings: dict, more: dict, text: str) -> None:
    for name, latex in more.items():
        if spellings.setdefault(name, latex) != latex:
            raise DeriveError(
                f"{spellings[name]} and {latex} are read as the same name {name!r} "
                f"(in {text.strip()}); spell them apart"
            )


def _spelled(name, spellings: dict) -> str:
    ident = getattr(name, "name", None) or getattr(name, "__name__", str(name))
    return spellings.get(ident, ident)


def _applied(expr, symbols: dict, heads: dict, spellings: dict):
    """``expr`` and the definitions' right sides with each application of a defined function
    replaced by an intermediate symbol; the intermediates: symbol -> (expression, source)."""
    nodes = dict(symbols)
    made: dict[sympy.Basic, sympy.Symbol] = {}
    taken = {s.name for s in expr.free_symbols} | {s.name for s in symbols}
    for value, _ in symbols.values():
        taken |= {s.name for s in value.free_symbols}

    def replace(e: sympy.Expr) -> sympy.Expr:
        calls = [a for a in e.atoms(AppliedUndef) if a.func.__name__ in heads]
        return e.xreplace({call: node_of(call) for call in calls}) if calls else e

    def node_of(call) -> sympy.Symbol:
        if call not in made:
            if len(made) >= MAX_INTERMEDIATES:
                raise DeriveError("the definitions are circular: a function defined by itself")
            parameters, body, text = heads[call.func.__name__]
            if len(call.args) != len(parameters):
                raise DeriveError(
                    f"{_spelled(call.func, spellings)} takes {len(parameters)} argument(s), "
                    f"given {len(call.args)} in {call}"
                )
            name = call.func.__name__  # m_x(w) is the intermediate m_x_of_w
            if all(isinstance(a, sympy.Symbol) for a in call.args):
                name = f"{name}_of_{'_'.join(a.name for a in call.args)}"
            base, k = name, 1
            while name in taken:
                name, k = f"{base}_{k}", k + 1
            taken.add(name)
            node = sympy.Symbol(name, real=True)
            made[call] = node
            spellings[name] = _application_latex(call, spellings)
            meaning = body.xreplace(dict(zip(parameters, call.args, strict=True)))
            nodes[node] = (sympy.S.Zero, text)  # a placeholder while its meaning is read
            nodes[node] = (replace(meaning), text)
        return made[call]

    top = replace(expr)
    for symbol, (value, text) in list(symbols.items()):
        nodes[symbol] = (replace(value), text)
    applications = {node: call for call, node in made.items()}
    return top, {s: (*meaning, applications.get(s)) for s, meaning in nodes.items()}


def _application_latex(call, spellings: dict) -> str:
    head = spellings.get(call.func.__name__, call.func.__name__)
    names = {s: spellings.get(s.name, s.name) for s in call.free_symbols}
    arguments = ", ".join(sympy.latex(a, symbol_names=names) for a in call.args)
    return f"{head}({arguments})"


def _ordered(top, nodes: dict, spellings: dict) -> tuple[Definition, ...]:
    """The definitions the loss uses, each after those it uses; a cycle is refused."""
    order: list[Definition] = []
    state: dict[sympy.Symbol, str] = {}

    def visit(symbol, path):
        if state.get(symbol) == "done":
            return
        if state.get(symbol) == "open":
            cycle = path[path.index(symbol) :] + [symbol]
            shown = " → ".join(_spelled(s, spellings) for s in cycle)
            raise DeriveError(f"the definitions are circular: {shown}")
        state[symbol] = "open"
        value, text, application = nodes[symbol]
        for used in sorted(value.free_symbols & nodes.keys(), key=lambda s: s.name):
            visit(used, [*path, symbol])
        state[symbol] = "done"
        order.append(Definition(symbol, value, (), text, application))

    for symbol in sorted(top.free_symbols & nodes.keys(), key=lambda s: s.name):
        visit(symbol, [])
    return tuple(order)


def _refuse_elements(symbols: dict, expr: sympy.Expr, spellings: dict) -> None:
    """``p_i = w x_i + b`` defines the elements of an array the loss sums over: not yet."""
    arrays = {spellings.get(b.label.name, b.label.name) for b in expr.atoms(sympy.IndexedBase)}
    for defined, (_, text) in symbols.items():
        spelled = spellings.get(defined.name, defined.name)
        base = spelled.split("_")[0]
        if "_" in spelled and base in arrays:
            raise DeriveError(
                f"{text} defines each element {spelled} of an array the loss sums over; derive "
                f"does not take such definitions yet: write it into the loss in place of {spelled}"
            )


def _check_used(definitions, symbols: dict, heads: dict) -> None:
    used = {d.source for d in definitions}
    texts = [text for _, text in symbols.values()] + [text for *_, text in heads.values()]
    for text in texts:
        if text not in used:
            raise DeriveError(f"the definition {text} is not used by the loss")
