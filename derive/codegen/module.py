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

import re
import textwrap
from dataclasses import dataclass

import sympy
from sympy.core.function import AppliedUndef

from derive import notation as names
from derive import printing
from derive.codegen.numpy_printer import NumPyCode
from derive.codegen.stable import stabilised
from derive.deadline import attempt, check
from derive.model import Derivation
from derive.version import __version__
from rules.registry import entry_for

RESERVED = {"np", "loss", "gradient", "shape", "PARAMETERS", "WRT", "SYMBOLS"}
TEMPORARY_NAMES = ("u", "v", "z", "p", "q", "r", "a", "c", "k", "m", "n", "g", "h")
CSE_SECONDS = 3.0
WIDTH = 88  # longest line; longer expressions are split into temporaries
CONVENTION = (
    "At a kink the code follows the deep-learning convention: sign(0) = 0;\n"
    "Heaviside(0) = 1/2, so a tie in max(a, b) or min(a, b) splits the gradient equally;\n"
    "ReLU'(0) = 0."
)


@dataclass(frozen=True)
class Parameter:
    """An argument of ``loss`` and ``gradient``: a symbol, or the value of an unknown function
    (or of one of its derivatives) at the point."""

    name: str
    latex: str
    atom: sympy.Expr
    meaning: str = ""


def _derivative_name(atom: sympy.Expr) -> str:
    if isinstance(atom, sympy.Subs):
        derivative = atom.args[0]
        function = derivative.expr
        index = function.args.index(atom.args[1][0]) + 1
        order = sum(n for _, n in derivative.variable_count)
        return f"d{order if order > 1 else ''}{function.func.__name__}_d{index}"
    order = sum(n for _, n in atom.variable_count)
    wrt = "".join(f"{v.name}{n if n > 1 else ''}" for v, n in atom.variable_count)
    return f"d{order if order > 1 else ''}{atom.expr.func.__name__}_d{wrt}"


def _unknowns(expr: sympy.Expr) -> set:
    """The values of unknown functions and of their derivatives in ``expr``; the function
    inside a derivative, f(ξ) in Subs(f'(ξ), ξ, u), is not one of them."""
    found, stack = set(), [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, (sympy.Derivative, sympy.Subs, AppliedUndef)):
            found.add(node)
        else:
            stack.extend(node.args)
    return found


def parameters(d: Derivation) -> list[Parameter]:
    """The arguments, in order: the variables of WRT, the other symbols (sorted), then the
    values of unknown functions and of their derivatives."""
    exprs = [d.expr, *(p.formula for p in d.partials)]
    taken: set[str] = RESERVED | _imported_names(exprs)
    found: list[Parameter] = []

    def add(ident: str, latex: str, atom, meaning: str = "") -> None:
        name = names.make_safe(ident)
        while name in taken:
            name += "_"
        taken.add(name)
        found.append(Parameter(name, latex, atom, meaning))

    found_atoms = set().union(*(_unknowns(e) for e in exprs))
    derivatives = sorted((a for a in found_atoms if not isinstance(a, AppliedUndef)), key=str)
    functions = sorted((a for a in found_atoms if isinstance(a, AppliedUndef)), key=str)
    opaque = {a: sympy.Dummy() for a in derivatives + functions}  # w inside m_x(w) is no argument
    symbols = {
        s for e in exprs for s in e.xreplace(opaque).free_symbols if not isinstance(s, sympy.Dummy)
    }
    wrt = [p.var for p in d.partials if p.var in symbols]
    for symbol in wrt + sorted(symbols - set(wrt), key=lambda s: s.name):
        add(symbol.name, d.spellings.get(symbol.name, symbol.name), symbol)
    for function in functions:
        latex = _plain_latex(function, d)
        add(function.func.__name__, latex, function, f"the value of {latex}")
    for derivative in derivatives:
        latex = _plain_latex(derivative, d)
        add(_derivative_name(derivative), latex, derivative, f"the value of {latex}")
    return found


def _plain_latex(expr: sympy.Expr, d: Derivation) -> str:
    """LaTeX without sizing commands: m_x(w), m_x'(w)."""
    latex = printing.latex(expr, d.spellings)
    return latex.replace(r"\left(", "(").replace(r"\right)", ")")


@dataclass(frozen=True)
class Statement:
    """``name = expr``, with an optional comment."""

    name: str
    expr: sympy.Expr
    comment: str = ""


def _temporaries(taken: set[str]):
    for name in TEMPORARY_NAMES:
        if name not in taken:
            yield sympy.Symbol(name, real=True)
    k = 1
    while True:
        for name in TEMPORARY_NAMES:
            if f"{name}{k}" not in taken:
                yield sympy.Symbol(f"{name}{k}", real=True)
        k += 1


def _body(outputs: list[Statement], taken: set[str], printer: NumPyCode) -> list[Statement]:
    """Statements computing ``outputs``: shared subexpressions first, as temporaries, and
    lines kept within WIDTH by naming large pieces."""
    names_used = set(taken) | {s.name for s in outputs}
    symbols = _temporaries(names_used)
    exprs = [s.expr for s in outputs]
    replacements, reduced = attempt(  # without shared temporaries when CSE takes too long
        lambda: sympy.cse(exprs, symbols=symbols, order="none"), ([], exprs), CSE_SECONDS
    )
    replacements, reduced = _values_only(replacements, reduced)
    statements = [Statement(str(sym), expr) for sym, expr in replacements]
    statements += [Statement(s.name, e, s.comment) for s, e in zip(outputs, reduced, strict=True)]
    short: list[Statement] = []
    for statement in statements:
        short.extend(_split(statement, symbols, printer))
    return short


def _values_only(replacements, reduced):
    """Put back the temporaries that are not values (a branch of a cases expression)."""
    kept, inline = [], {}
    for symbol, expr in replacements:
        expr = expr.xreplace(inline)
        if isinstance(expr, sympy.functions.elementary.piecewise.ExprCondPair):
            inline[symbol] = expr
        else:
            kept.append((symbol, expr))
    return kept, [e.xreplace(inline) for e in reduced]


def _split(statement: Statement, symbols, printer: NumPyCode) -> list[Statement]:
    """``statement`` as several, when its line would be longer than WIDTH."""
    check()  # long sums are split piece by piece: the request's deadline still holds
    line = f"    {statement.name} = {printer.doprint(statement.expr)}"
    if len(line) <= WIDTH or statement.expr.is_Atom:
        return [statement]
    pieces = [  # only values become temporaries, not the branches of cases
        a
        for a in sympy.preorder_traversal(statement.expr)
        if a is not statement.expr and isinstance(a, sympy.Expr) and not a.is_Atom
    ]
    for piece in sorted(pieces, key=lambda a: len(printer.doprint(a)), reverse=True):
        if len(printer.doprint(piece)) <= WIDTH - 12:
            temporary = next(symbols)
            rest = Statement(
                statement.name, statement.expr.xreplace({piece: temporary}), statement.comment
            )
            return _split(Statement(str(temporary), piece), symbols, printer) + _split(
                rest, symbols, printer
            )
    return [statement]  # an atom longer than a line (a huge number): left as it is


def _listing(start: str, items: list[str], end: str, indent: str = "") -> list[str]:
    """``start item, item end`` on one line when it fits in WIDTH, else one item a line."""
    line = f"{indent}{start}{', '.join(items)}{end}"
    if len(line) <= WIDTH:
        return [line]
    return [f"{indent}{start}", *(f"{indent}    {item}," for item in items), f"{indent}{end}"]


def _wrapped(text: str, width: int) -> list[str]:
    """``text``'s lines, each at most ``width`` long where spaces allow."""
    lines = []
    for line in text.splitlines() or [""]:
        indent = line[: len(line) - len(line.lstrip())]
        pieces = textwrap.wrap(
            line,
            width,
            subsequent_indent=indent + "    ",
            break_long_words=False,
            break_on_hyphens=False,
        ) or [""]
        lines.extend(pieces)
    return lines


def _docstring(text: str, indent: str = "") -> str:
    """A raw docstring that stays one string literal whatever ``text`` holds."""
    text = "\n".join(_wrapped(text, WIDTH - len(indent) - 4))
    safe = text.replace('"', "'").replace("\r", "")
    if safe.endswith("\\"):
        safe += " "  # a raw string cannot end in a backslash
    lines = safe.splitlines() or [""]
    body = ("\n" + indent).join(line.rstrip() for line in lines)
    closing = f"\n{indent}" if len(lines) > 1 else ""
    return f'{indent}r"""{body}{closing}"""'


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _function(
    name: str,
    params: list[Parameter],
    doc: str,
    body: list[Statement],
    returns: list[str],
    printer: NumPyCode,
    preamble: tuple = (),
    guarded: bool = False,
) -> list[str]:
    """A ``def`` with its docstring, statements and return."""
    lines = [f"def {name}({', '.join(p.name for p in params)}):", _docstring(doc, "    ")]
    indent = "    "
    if guarded:  # np.where evaluates every branch of a cases expression, the unused ones too
        lines.append('    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):')
        indent = "        "
    for start, items, end in preamble:
        lines += _listing(start, items, end, indent)
    for statement in body:
        code = f"{indent}{statement.name} = {printer.doprint(statement.expr)}"
        if statement.comment and len(code) + len(statement.comment) + 4 <= WIDTH:
            code += f"  # {statement.comment}"
        elif statement.comment:
            lines.append(f"{indent}# {statement.comment}")
        lines.append(code)
    if len(returns) == 1:
        lines.append(f"{indent}return {returns[0]}")
    else:
        lines += _listing("return (", returns, ")", indent)
    return lines


def _to_parameters(params: list[Parameter]):
    """A function rewriting an expression in the parameters' symbols (derivatives first,
    since m_x'(w) contains m_x(w)), then into its stable form."""
    symbols = {p.atom: sympy.Symbol(p.name, real=True) for p in params}
    order = sorted(symbols, key=lambda a: not isinstance(a, (sympy.Derivative, sympy.Subs)))

    def rewrite(expr: sympy.Expr) -> sympy.Expr:
        for atom in order:
            expr = expr.xreplace({atom: symbols[atom]})
        return stabilised(expr)

    return rewrite


def loss_name(d: Derivation) -> str:
    """The loss's name in code: J for ``J = …``, else L."""
    if d.name and names.latex_to_text(d.name).isidentifier():
        return names.make_safe(names.latex_to_text(d.name))
    return "L"


def module_source(d: Derivation) -> str:
    """The module's source code."""
    params = parameters(d)
    as_code = _to_parameters(params)
    printer = NumPyCode()
    taken = {p.name for p in params} | RESERVED | _imported_names([d.expr])
    name = loss_name(d)
    by_atom = {p.atom: p.name for p in params}
    wrt = tuple(by_atom.get(p.var, p.var.name) for p in d.partials)
    outputs = []
    for p, var in zip(d.partials, wrt, strict=True):
        check()
        formula = printing.text(p.formula, d.spellings)
        comment = f"∂{name}/∂{printing.text(p.var, d.spellings)} = {formula}"
        outputs.append(Statement(f"d{name}_d{var}", as_code(p.formula), _one_line(comment)))
    narrow = [o for o in outputs if not _covers(o.expr, params)]
    preamble = ()
    if narrow:  # a partial that lacks some parameter is broadcast to the gradient's shape
        shapes = [f"np.shape({p.name})" for p in params]
        preamble = (("shape = np.broadcast_shapes(", shapes, ")"),)
    returns = [f"np.broadcast_to({o.name}, shape)" if o in narrow else o.name for o in outputs]
    guarded = any(e.has(sympy.Piecewise) for e in [d.expr, *(p.formula for p in d.partials)])
    loss_code = as_code(d.expr)
    loss_doc = f"The loss, elementwise: {printing.text(d.expr, d.spellings)}"
    gradient_doc = f"The partial derivatives {', '.join(o.name for o in outputs)}, elementwise."
    functions = [
        *_function(
            "loss", params, loss_doc,
            _body([Statement("value", loss_code)], taken, printer), ["value"], printer,
            guarded=guarded,
        ),
        "",
        "",
        *_function(
            "gradient", params, gradient_doc, _body(outputs, taken | {"shape"}, printer),
            returns, printer, preamble, guarded,
        ),
    ]  # fmt: skip
    for helper in reversed(_helpers([loss_code, *(o.expr for o in outputs)])):
        functions = [*helper.strip("\n").splitlines(), "", "", *functions]
    imports = [f"import {m}" for m in ("math", "numpy as np") if _uses(functions, m)]
    lines = [
        _docstring(_module_doc(d, params, name)),
        "",
        *([*imports, ""] if imports else []),
        *_listing(
            "PARAMETERS = (", [repr(p.name) for p in params], ",)" if len(params) == 1 else ")"
        ),
        *_listing("WRT = (", [repr(w) for w in wrt], ",)" if len(wrt) == 1 else ")"),
        *_listing("SYMBOLS = {", [f"{p.name!r}: {p.latex!r}" for p in params], "}"),
        "",
        "",
        *functions,
    ]
    return "\n".join(lines) + "\n"


def _imported_names(exprs) -> set[str]:
    """``math`` when a helper the expressions need uses it (erf): a parameter must not hide it."""
    return {"math"} if any("math." in helper for helper in _helpers(exprs)) else set()


def _helpers(exprs) -> list[str]:
    """The helper functions (``_sigmoid``) the printed expressions call, once each, in order."""
    found: list[str] = []
    for expr in exprs:
        for node in sympy.preorder_traversal(expr):
            entry = entry_for(node)
            if entry is not None and entry.numpy_helper and entry.numpy_helper not in found:
                found.append(entry.numpy_helper)
    return found


def _uses(lines: list[str], module: str) -> bool:
    prefix = module.split()[-1] + "."
    return any(prefix in line for line in lines)


def _covers(expr: sympy.Expr, params: list[Parameter]) -> bool:
    """Whether ``expr`` has every parameter the loss needs, so that it already broadcasts."""
    needed = {sympy.Symbol(p.name, real=True) for p in params}
    return needed <= expr.free_symbols


def _without_comments(latex: str) -> str:
    """LaTeX with its ``%`` comments removed."""
    return re.sub(r"(?<!\\)%[^\n]*", "", latex)


def _module_doc(d: Derivation, params: list[Parameter], loss_name: str) -> str:
    lines = [
        f"Loss and gradient generated by derive {__version__} from",
        "",
        f"    {_one_line(_without_comments(d.source))}",
        "",
        "Partial derivatives (LaTeX):",
        "",
    ]
    for p in d.partials:
        lhs = rf"\frac{{\partial {loss_name}}}{{\partial {printing.latex(p.var, d.spellings)}}}"
        lines.append(f"    {lhs} = {_one_line(printing.latex(p.formula, d.spellings))}")
    lines += ["", "Parameters:", ""]
    width = max(len(p.name) for p in params) if params else 0
    for p in params:
        lines.append(f"    {p.name.ljust(width)}  {p.meaning or p.latex}")
    lines += ["", CONVENTION, "Every function takes NumPy arrays or numbers, and broadcasts."]
    return "\n".join(lines)


def compile_module(source: str, name: str = "derive_generated"):
    """The module that ``source`` defines, loaded from that source."""
    import types

    module = types.ModuleType(name)
    module.__file__ = f"<{name}>"
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # derive's own output
    return module
