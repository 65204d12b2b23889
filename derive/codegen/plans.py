"""The statements a backend other than NumPy prints (``plan``): the same as the NumPy
module's, chosen as ``module.module_source`` chooses them."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from derive import printing
from derive.codegen import module as numpy_module
from derive.codegen import reverse
from derive.codegen.documentation import module_doc
from derive.codegen.parameters import (
    RESERVED,
    Parameter,
    atom_of,
    imported_names,
    parameters,
    to_parameters,
)
from derive.codegen.statements import Statement, body
from derive.errors import DeriveError
from derive.model import Derivation

CHEAP_GRADIENT = numpy_module.CHEAP_GRADIENT


@dataclass(frozen=True)
class Plan:
    """What a backend prints: the parameters, the statements of ``loss`` (the last one named
    ``value``) and of ``gradient``, the gradient's outputs in WRT order, those that lack
    some parameter (``narrow``), whether a cases expression is evaluated (``guarded``), and
    the module's docstring."""

    params: list[Parameter]
    wrt: tuple[str, ...]
    loss: list[Statement]
    gradient: list[Statement]
    outputs: list[str]
    narrow: frozenset[str]
    guarded: bool
    doc: str
    loss_text: str


def plan(d: Derivation, derivative, printer, reserved: set[str]) -> Plan:
    """The statements of ``loss`` and ``gradient``, chosen as the NumPy module chooses them
    (``module.module_source``): reverse mode with definitions or a long product, else each
    partial derivative as one formula, unless that costs far more than the loss and reverse
    mode cut at each smooth function costs less. ``printer`` decides where long lines are
    split; ``reserved``: names the backend uses itself, which no temporary takes."""
    params = parameters(d)
    as_code = to_parameters(params)
    taken = {p.name for p in params} | RESERVED | imported_names([d.expr]) | reserved
    name = numpy_module.loss_name(d)
    by_atom = {p.atom: p.name for p in params}
    wrt = tuple(by_atom.get(atom_of(p.var), str(p.var)) for p in d.partials)
    variables = [p.var for p in d.partials]
    loss_code = as_code(d.expr)
    loss = body([Statement("value", loss_code)], set(taken), printer)
    backpropagation = numpy_module.backpropagation
    chosen = None
    if derivative and (d.loss.definitions or reverse.applies(d.expr, variables)):
        chosen = backpropagation(d, as_code, set(taken), name, wrt, printer, derivative=derivative)
    if chosen is None:
        chosen = numpy_module.formula_gradient(d, as_code, set(taken), name, wrt, printer)
        if derivative and _cost(chosen[0]) > CHEAP_GRADIENT * max(_cost(loss), 1):
            other = backpropagation(
                d, as_code, set(taken), name, wrt, printer, cut=True, derivative=derivative
            )
            if other is not None and _cost(other[0]) < _cost(chosen[0]):
                chosen = other
    statements, outputs, _ = chosen
    reached = numpy_module.parameters_reached(statements, params)
    everything = {p.name for p in params}
    narrow = frozenset(o.name for o in outputs if reached[o.name] != everything)
    exprs = [d.expr, *(p.formula for p in d.partials)]
    return Plan(
        params=params,
        wrt=wrt,
        loss=loss,
        gradient=statements,
        outputs=[o.name for o in outputs],
        narrow=narrow,
        guarded=any(e.has(sympy.Piecewise) for e in exprs),
        doc=module_doc(d, params, name),
        loss_text=printing.text(d.expr, d.spellings),
    )


def _cost(statements: list[Statement]) -> int:
    """The operations of the statements, as SymPy counts them."""
    return sum(sympy.count_ops(s.expr) for s in statements)


def unsupported(printer, backend: str, why: str = "") -> None:
    """Raise DeriveError when ``printer`` met a function it cannot write for the backend."""
    if printer.missing:
        raise DeriveError(
            f"--backend {backend} cannot write {', '.join(sorted(printer.missing))}{why}: "
            "use --backend numpy"
        )
