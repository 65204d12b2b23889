"""A NumPy module computing the loss and its gradient, from a Derivation.

The module's shape is fixed by ``../shared/INTERFACE.md``: ``PARAMETERS``, ``WRT``,
``SYMBOLS``, ``loss(*PARAMETERS)`` and ``gradient(*PARAMETERS)``, importing only NumPy.
The code reads like a careful person wrote it: shared subexpressions become named
temporaries, one statement per line, each partial derivative with its formula beside it;
sigmoid, softplus and log(1 + e^z) are written so that they neither overflow nor warn.

An unknown function such as m_x(w) becomes two parameters, its value ``m_x`` and its
derivative ``dm_x_dw``: the gradient is the upstream value times the local derivative.
"""

from __future__ import annotations

import functools

import sympy

from derive import notation as names
from derive import printing
from derive.codegen import arrays, matrices, operations, reverse
from derive.codegen.documentation import longer_than, module_doc
from derive.codegen.functions import function_lines
from derive.codegen.numpy_printer import NumPyCode
from derive.codegen.parameters import (
    RESERVED,
    Parameter,
    atom_of,
    helpers,
    imported_names,
    parameters,
    to_parameters,
)
from derive.codegen.stable import CLIPPED_HELPER, FAST_HELPERS, LOGSUMEXP_HELPER, clipped, logsumexp
from derive.codegen.statements import Statement, body, in_place, short_lines
from derive.codegen.text import docstring, listing, one_line
from derive.deadline import check
from derive.model import Derivation

CHEAP_GRADIENT = 4  # the gradient's operations at most this many times the loss's
LONGEST_COMMENT = 60  # nodes of a formula shown beside the statement computing it


def loss_name(d: Derivation) -> str:
    """The loss's name in code: J for ``J = …``, else L."""
    if d.name and names.latex_to_text(d.name).isidentifier():
        return names.make_safe(names.latex_to_text(d.name))
    return "L"


def module_source(d: Derivation, derivative=None) -> str:
    """The module's source code. ``derivative(expr, var)`` (``engine.derivative``) lets it
    write reverse mode, each local derivative by the rules; without it every partial
    derivative is one formula, as derived."""
    params = parameters(d)
    as_code = to_parameters(params)
    over_arrays = arrays.has_arrays(d.expr)
    taken = {p.name for p in params} | RESERVED | imported_names([d.expr])
    name = loss_name(d)
    by_atom = {p.atom: p.name for p in params}
    wrt = tuple(by_atom.get(atom_of(p.var), str(p.var)) for p in d.partials)
    chosen = in_matrices = formulas = None
    if over_arrays and derivative is not None and matrices.applies(d):
        claimed = set(taken)
        outputs = [_claimed(f"d{name}_d{var}", claimed) for var in wrt]
        pieces = _fresh_pieces(claimed)
        in_matrices = matrices.matrix_functions(
            d, params, as_code, derivative, pieces, name, outputs
        )
    printer = NumPyCode()
    if over_arrays and in_matrices is None:
        in_code = as_code(d.expr)
        printer = arrays.ArrayCode(arrays.lengths(in_code), arrays.length_checks(in_code))
    variables = [p.var for p in d.partials]
    loss_code = as_code(d.expr)
    written = functools.partial(_functions, d, params, loss_code, printer)
    reverse_mode = functools.partial(backpropagation, d, as_code, derivative=derivative)
    if over_arrays:
        derivative = None  # each partial one formula: its sums are not cut into pieces
    if in_matrices is not None:
        functions, printed = in_matrices
    elif derivative and (d.loss.definitions or reverse.applies(d.expr, variables)):
        chosen = reverse_mode(set(taken), name, wrt, printer)
    if in_matrices is not None:
        pass
    elif chosen is not None:
        functions = written(*chosen)
    else:
        chosen = formulas = formula_gradient(d, as_code, set(taken), name, wrt, printer)
        functions = written(*chosen)
        loss_ops, gradient_ops = operations.ratio("\n".join(functions)) if derivative else (1, 0)
        if gradient_ops > CHEAP_GRADIENT * max(loss_ops, 1):  # σ(σ(σ(…))): try reverse mode
            other = reverse_mode(set(taken), name, wrt, printer, cut=True)
            if other is not None:
                cheaper = written(*other)
                if operations.ratio("\n".join(cheaper))[1] < gradient_ops:
                    chosen, functions, formulas = other, cheaper, None
    if in_matrices is None:
        printed = [loss_code, *(s.expr for s in chosen[0])]
    if formulas and type(printer) is NumPyCode:  # NumPy: steps in place (statements)
        functions = written(*chosen, fast=True)
    found = [FAST_HELPERS.get(h, h) for h in helpers(printed) if _calls(functions, h)]
    if isinstance(printer, arrays.ArrayCode) and printer.checks:
        found.append(arrays.AGREE)
    if any(e.has(logsumexp) for e in printed):
        found.append(LOGSUMEXP_HELPER)
    if _calls(functions, CLIPPED_HELPER):
        found.append(CLIPPED_HELPER)
    for helper in reversed(found):
        functions = [*helper.strip("\n").splitlines(), "", "", *functions]
    imports = [f"import {m}" for m in ("math", "numpy as np") if _uses(functions, m)]
    lines = [
        docstring(module_doc(d, params, name)),
        "",
        *([*imports, ""] if imports else []),
        *listing(
            "PARAMETERS = (", [repr(p.name) for p in params], ",)" if len(params) == 1 else ")"
        ),
        *listing("WRT = (", [repr(w) for w in wrt], ",)" if len(wrt) == 1 else ")"),
        *listing("SYMBOLS = {", [f"{p.name!r}: {p.latex!r}" for p in params], "}"),
        "",
        "",
        *functions,
    ]
    return "\n".join(lines) + "\n"


def formula_gradient(d: Derivation, as_code, taken: set[str], loss_name: str, wrt, printer):
    """Each partial derivative as one formula, shared subexpressions named: the statements,
    the outputs and the names they take."""
    forward, named = _intermediates(d, as_code, taken)
    outputs = _formula_outputs(d, as_code, taken, loss_name, wrt, forward, named)
    return _gradient_body(forward, outputs, taken, printer), outputs, taken


def _functions(
    d: Derivation, params, loss_code, printer, statements, outputs, taken, fast=False
) -> list[str]:
    """The lines of ``loss`` and ``gradient``; ``fast``: computed in place (``in_place``)."""
    reaches = parameters_reached(statements, params)
    narrow = [o for o in outputs if reaches[o.name] != {p.name for p in params}]
    checks = ()
    if isinstance(printer, arrays.ArrayCode):
        narrow = []  # a sum over the data is not elementwise in the data
        checks = tuple(("_agree(", [repr(n), *lengths], ")") for n, lengths in printer.checks)
    preamble = checks
    if narrow:  # a partial that lacks some parameter is broadcast to the gradient's shape
        shapes = [f"np.shape({p.name})" for p in params]
        preamble = (("shape = np.broadcast_shapes(", shapes, ")"),)
    returns = [f"np.broadcast_to({o.name}, shape)" if o in narrow else o.name for o in outputs]
    guarded = any(e.has(sympy.Piecewise) for e in [d.expr, *(p.formula for p in d.partials)])
    how = "over the data" if isinstance(printer, arrays.ArrayCode) else "elementwise"
    loss_doc = f"The loss, {how}: {printing.text(d.expr, d.spellings)}"
    gradient_doc = f"The partial derivatives {', '.join(o.name for o in outputs)}, {how}."
    loss_body, loss_guarded = body([Statement("value", loss_code)], taken, printer), guarded
    if fast:  # NumPy: steps in arrays of the function's own
        names = [p.name for p in params]
        loss_body, over = in_place(loss_body, names, ["value"], taken, printer)
        loss_guarded |= over
        guarded = any(_where_cases(s.expr) for s in statements)  # a clipped one needs none
        statements, over = in_place(statements, names, [o.name for o in outputs], taken, printer)
        guarded |= over
    return [
        *function_lines(
            "loss", params, loss_doc, loss_body, ["value"], printer, checks, loss_guarded,
        ),
        "",
        "",
        *function_lines(
            "gradient", params, gradient_doc, statements, returns, printer, preamble, guarded,
        ),
    ]  # fmt: skip


def _comment(d: Derivation, loss_name: str, var: sympy.Symbol, formula=None) -> str:
    """``∂L/∂w = formula``, the formula left out when it would not fit on a few lines."""
    lhs = f"∂{loss_name}/∂{printing.text(var, d.spellings)}"
    if formula is None or longer_than(formula, LONGEST_COMMENT):
        return lhs
    return one_line(f"{lhs} = {printing.text(formula, d.spellings)}")


def _formula_outputs(d: Derivation, as_code, taken, loss_name, wrt, forward, named):
    """Each partial derivative as one formula (in the intermediates' names where safe)."""
    outputs = []
    for p, var in zip(d.partials, wrt, strict=True):
        check()
        formula = p.formula
        if forward and _in_names(p, named):  # x·(s − y): each intermediate computed once
            formula = p.in_intermediates.xreplace(named)
        shown = p.in_intermediates if formula is not p.formula else formula
        output = _claimed(f"d{loss_name}_d{var}", taken)  # never a parameter's name
        outputs.append(Statement(output, as_code(formula), _comment(d, loss_name, p.var, shown)))
    return outputs


def backpropagation(
    d: Derivation, as_code, taken, loss_name, wrt, printer, cut=False, derivative=None
):
    """Reverse mode (``reverse``): the forward pass computes each piece once (each definition,
    or the links of a long product), the backward pass each piece's adjoint in reverse order,
    one statement each, and each partial derivative is the adjoint its variable receives;
    ``cut``: also at each application of a smooth function (σ, tanh, …), for a deep nest.
    The statements, the outputs and the names they take; None when an adjoint would divide
    by a piece where the partial derivatives do not (then each is computed as one formula)."""
    variables = [p.var for p in d.partials]
    if d.loss.definitions:
        statements, named = _intermediates(d, as_code, taken)
        forward = [
            reverse.Piece(named[definition.name], definition.expr.xreplace(named))
            for definition in d.loss.definitions
        ]
        loss = d.loss.top.xreplace(named)
        spelled = {named[df.name]: printing.text(df.name, d.spellings) for df in d.loss.definitions}
    else:
        heads = reverse.NESTED_HEADS if cut else ()
        forward, loss = reverse.pieces(d.expr, variables, _fresh_pieces(taken), heads)
        statements = [Statement(p.symbol.name, as_code(p.expr)) for p in forward]
        spelled = {p.symbol: p.symbol.name for p in forward}

    def adjoint_symbol(piece: sympy.Symbol) -> sympy.Symbol:
        return sympy.Symbol(_claimed(f"d{loss_name}_d{piece.name}", taken), real=True)

    try:
        divisors = reverse.denominators([d.expr, *(p.formula for p in d.partials)])
        adjoints, partials = reverse.backward(
            forward, loss, variables, adjoint_symbol, derivative, divisors
        )
    except reverse.Unstable:
        return None
    spelled |= {v: printing.text(v, d.spellings) for v in variables}
    backward = [
        Statement(a.symbol.name, as_code(a.expr), _chain_comment(a, loss_name, spelled))
        for a in adjoints
    ]
    outputs = []
    for p, var in zip(d.partials, wrt, strict=True):
        output = _claimed(f"d{loss_name}_d{var}", taken)
        shown = p.in_intermediates if d.loss.definitions else p.formula
        if shown is None or longer_than(shown, LONGEST_COMMENT):
            comment = _chain_comment(partials[p.var], loss_name, spelled)
        else:
            comment = _comment(d, loss_name, p.var, shown)
        outputs.append(Statement(output, as_code(partials[p.var].expr), comment))
    needed = set().union(*(s.expr.free_symbols for s in [*backward, *outputs]))
    kept = {p.symbol.name for p in reverse.used_pieces(forward, needed)}
    statements = [s for s in statements if s.name in kept]
    names = taken | {"shape"}
    forward_lines = short_lines(statements, names, printer)
    adjoints_named = [sympy.Symbol(s.name, real=True) for s in backward]
    names |= {s.name for s in forward_lines}
    backward_lines = body([*backward, *outputs], names, printer, ignore=adjoints_named)
    return forward_lines + backward_lines, outputs, taken


def _fresh_pieces(taken: set[str]):
    """t1, t2, …: names for the pieces of a long product, none already taken."""
    k = 1
    while True:
        if f"t{k}" not in taken:
            taken.add(f"t{k}")
            yield sympy.Symbol(f"t{k}", real=True)
        k += 1


def _chain_comment(adjoint: reverse.Adjoint, loss_name: str, spelled: dict) -> str:
    """``∂L/∂z = ∂L/∂a·∂a/∂z``: the chain rule the adjoint came from."""
    of = spelled[adjoint.of]
    terms = [
        f"∂{loss_name}/∂{of}" if user is None
        else f"∂{loss_name}/∂{spelled[user]}·∂{spelled[user]}/∂{of}"
        for user in adjoint.users
    ]  # fmt: skip
    return one_line(f"∂{loss_name}/∂{of} = {' + '.join(terms)}" if adjoint.users != (None,)
                    else f"∂{loss_name}/∂{of}")  # fmt: skip


def parameters_reached(statements: list[Statement], params: list[Parameter]) -> dict:
    """The parameters each statement's value depends on, through the statements before it."""
    names = {p.name for p in params}
    reached: dict[str, set[str]] = {}
    for statement in statements:
        found: set[str] = set()
        for symbol in statement.expr.free_symbols:
            found |= reached.get(symbol.name, {symbol.name} & names)
        reached[statement.name] = found
    return reached


def _intermediates(d: Derivation, as_code, taken: set[str]):
    """With definitions: a statement per intermediate (``s = sigmoid(b + w*x)``), in order,
    and each intermediate's symbol in code; none without."""
    statements, named = [], {}
    for definition in d.loss.definitions:
        code = _claimed(names.make_safe(definition.name.name), taken)
        named[definition.name] = sympy.Symbol(code, real=True)
        spelled = printing.text(definition.name, d.spellings)
        comment = one_line(f"{spelled} = {printing.text(definition.expr, d.spellings)}")
        statements.append(Statement(code, as_code(definition.expr.xreplace(named)), comment))
    return statements, named


def _in_names(partial, named: dict) -> bool:
    """Whether the derivative in the intermediates' names is safe to compute from them: no
    intermediate divides (∂L/∂s = −y/s + … is 0/0 where σ saturates; x·(s − y) is not)."""
    expr = partial.in_intermediates
    if expr is None or expr.has(sympy.Derivative, sympy.Subs):
        return False
    return not any(
        p.exp.is_negative and p.base.free_symbols & named.keys() for p in expr.atoms(sympy.Pow)
    )


def _gradient_body(forward, outputs, taken: set[str], printer) -> list[Statement]:
    """The intermediates first, then the derivatives; shared subexpressions are named in
    each part on its own (a temporary of the second may use an intermediate)."""
    needed = set().union(*(o.expr.free_symbols for o in outputs))
    kept = []
    for statement in reversed(forward):  # only the intermediates a derivative uses
        if sympy.Symbol(statement.name, real=True) in needed:
            kept.insert(0, statement)
            needed |= statement.expr.free_symbols
    first = body(kept, taken | {"shape"}, printer) if kept else []
    return first + body(outputs, taken | {"shape"} | {s.name for s in first}, printer)


def _where_cases(expr) -> bool:
    """Whether ``expr`` has a cases expression printed with ``np.where``, which evaluates
    every branch (the unused ones may divide by 0): all but those ``clipped`` takes."""
    return any(clipped(p) is None for p in expr.atoms(sympy.Piecewise))


def _calls(lines: list[str], helper: str) -> bool:
    """Whether ``lines`` call the helper function defined in ``helper``."""
    name = helper.split("def ", 1)[1].split("(", 1)[0]
    return any(f"{name}(" in line for line in lines)


def _uses(lines: list[str], module: str) -> bool:
    prefix = module.split()[-1] + "."
    return any(prefix in line for line in lines)


def _claimed(name: str, taken: set[str]) -> str:
    """``name``, with underscores appended until no other name of the module has it; the
    name is then taken."""
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def compile_module(source: str, name: str = "derive_generated"):
    """The module that ``source`` defines, loaded from that source."""
    import types

    module = types.ModuleType(name)
    module.__file__ = f"<{name}>"
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # derive's own output
    return module
