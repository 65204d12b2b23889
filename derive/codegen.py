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
from sympy.printing.numpy import NumPyPrinter

from derive import __version__, names
from derive.emit import printing
from derive.functions import relu, to_elementary
from derive.stable import stabilised
from derive.steps import Derivation

RESERVED = {"np", "loss", "gradient", "shape", "PARAMETERS", "WRT", "SYMBOLS"}
TEMPORARY_NAMES = ("u", "v", "z", "p", "q", "r", "a", "c", "k", "m", "n", "g", "h")
WIDTH = 88  # longest line; longer expressions are split into temporaries
SIGMOID = '''

def _sigmoid(u):
    """σ(u) = 1 / (1 + e^(−u)) without overflow: e^(−|u|) never exceeds 1."""
    e = np.exp(-np.abs(u))
    return np.where(u >= 0, 1, e) / (1 + e)
'''
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
    taken: set[str] = set(RESERVED)
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


class NumPyCode(NumPyPrinter):
    """SymPy to NumPy source, as a person would write it (``np.maximum``, not ``reduce``)."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "inline": True})

    def _as_ordered_terms(self, expr, order=None):
        return printing.positive_first(super()._as_ordered_terms(expr, order=order))

    def _module_format(self, fqn, register=True):
        return super()._module_format(fqn, register).replace("numpy.", "np.")

    def _call(self, function: str, *args) -> str:
        return f"np.{function}({', '.join(self._print(a) for a in args)})"

    def _print_Abs(self, expr):
        return self._call("abs", expr.args[0])

    def _print_sign(self, expr):
        return self._call("sign", expr.args[0])

    def _print_Heaviside(self, expr):
        u, at_zero = expr.args
        return f"np.heaviside({self._print(u)}, {float(at_zero)})"

    def _nested(self, function: str, args) -> str:
        if len(args) == 1:
            return self._print(args[0])
        return f"np.{function}({self._print(args[0])}, {self._nested(function, args[1:])})"

    def _print_Max(self, expr):
        return self._nested("maximum", printing.numbers_last(expr.args))

    def _print_Min(self, expr):
        return self._nested("minimum", printing.numbers_last(expr.args))

    def _print_sigmoid(self, expr):
        return f"_sigmoid({self._print(expr.args[0])})"  # SIGMOID, defined in the module

    def _print_softplus(self, expr):
        return f"np.logaddexp(0, {self._print(expr.args[0])})"

    def _print_relu(self, expr):
        return f"np.maximum({self._print(expr.args[0])}, 0)"

    def _print_Pow(self, expr, rational=False):
        base, exponent = expr.args
        if exponent == -1:
            return f"1 / {self.parenthesize(base, 50)}"
        if exponent == sympy.S.Half:
            return self._call("sqrt", base)
        if exponent == -sympy.S.Half:
            return f"1 / {self._call('sqrt', base)}"
        if exponent.is_Integer and exponent < 0:
            return f"1 / {self.parenthesize(base, 60)}**{-exponent}"
        return f"{self.parenthesize(base, 60)}**{self.parenthesize(exponent, 60)}"

    def _print_Piecewise(self, expr):
        *branches, (last, condition) = expr.args
        otherwise = self._print(last) if condition == sympy.true else "np.nan"
        if condition != sympy.true:
            branches.append((last, condition))
        if len(branches) == 1:
            ((value, where),) = branches
            return f"np.where({self._print(where)}, {self._print(value)}, {otherwise})"
        conditions = ", ".join(self._print(c) for _, c in branches)
        values = ", ".join(self._print(v) for v, _ in branches)
        return f"np.select([{conditions}], [{values}], default={otherwise})"

    def _print_Relational(self, expr):
        return f"({self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)})"

    def _print_And(self, expr):
        return " & ".join(self._print(a) for a in expr.args)

    def _print_Or(self, expr):
        return " | ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Not(self, expr):
        return f"~({self._print(expr.args[0])})"

    def _print_BooleanTrue(self, expr):
        return "True"

    def _print_Exp1(self, expr):
        return "np.e"

    def _print_Pi(self, expr):
        return "np.pi"


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
    replacements, reduced = sympy.cse([s.expr for s in outputs], symbols=symbols, order="none")
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


def _signature(params: list[Parameter]) -> str:
    return ", ".join(p.name for p in params)


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
    taken = {p.name for p in params} | RESERVED
    name = loss_name(d)
    by_atom = {p.atom: p.name for p in params}
    wrt = tuple(by_atom.get(p.var, p.var.name) for p in d.partials)
    outputs = []
    for p, var in zip(d.partials, wrt, strict=True):
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
    loss_doc = f"The loss, elementwise: {printing.text(d.expr, d.spellings)}"
    gradient_doc = f"The partial derivatives {', '.join(o.name for o in outputs)}, elementwise."
    functions = [
        *_function(
            "loss", params, loss_doc,
            _body([Statement("value", as_code(d.expr))], taken, printer), ["value"], printer,
            guarded=guarded,
        ),
        "",
        "",
        *_function(
            "gradient", params, gradient_doc, _body(outputs, taken | {"shape"}, printer),
            returns, printer, preamble, guarded,
        ),
    ]  # fmt: skip
    if any("_sigmoid(" in line for line in functions):
        functions = [*SIGMOID.strip("\n").splitlines(), "", "", *functions]
    uses_numpy = any("np." in line for line in functions)
    lines = [
        _docstring(_module_doc(d, params, name)),
        "",
        *(["import numpy as np", ""] if uses_numpy else []),
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


def _concrete(expr: sympy.Expr, stand_ins: dict) -> sympy.Expr:
    """``expr`` with each unknown function replaced by a stand-in, derivatives worked out."""
    for function, stand_in in stand_ins.items():
        arity = next(iter(expr.atoms(function))).args if expr.atoms(function) else ()
        if not arity:
            continue
        args = sympy.symbols(f"a1:{len(arity) + 1}", real=True)
        body = stand_in(sum((k + 1) * a for k, a in enumerate(args)) / len(args))
        expr = expr.replace(function, sympy.Lambda(args, body))
    return expr.doit()


def switching_gaps(expr: sympy.Expr) -> list[sympy.Expr]:
    """Expressions that are 0 where ``expr`` switches: the arguments of |u|, sign, H, ReLU and
    arccot, the differences of max and min arguments, the sides of cases conditions. Finite
    differences are unreliable next to these, smooth join or not."""
    gaps = []
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, (sympy.Abs, sympy.sign, sympy.Heaviside, sympy.acot, relu)):
            gaps.append(node.args[0])
        elif isinstance(node, (sympy.Max, sympy.Min)):
            gaps += [a - b for i, a in enumerate(node.args) for b in node.args[i + 1 :]]
        elif isinstance(node, sympy.Piecewise):
            for _, condition in node.args:
                gaps += [r.lhs - r.rhs for r in condition.atoms(sympy.core.relational.Relational)]
    return gaps


def _by_name(function, variables):
    """``function`` of the variables in order, called with them by name."""

    def call(**values):
        return function(*(values[v.name] for v in variables))

    return call


def check_module(
    d: Derivation, module=None, n: int = 1000, seed: int = 0, rtol: float = 1e-6, ranges=None
):
    """Check the generated gradient against central differences at ``n`` seeded random points.

    Unknown functions get concrete stand-ins (sin, cos, exp, arctan), so that m_x(w) and
    m_x'(w) have values that belong together; points on or next to a kink are left out.
    ``ranges`` maps a variable's name to the interval its values are drawn from (default
    −2 to 2).
    """
    import numpy as np

    from derive.verify import STAND_INS, check_gradient

    module = module or compile_module(module_source(d))
    params = parameters(d)
    undefined = sorted({f.func for p in params for f in p.atom.atoms(AppliedUndef)}, key=str)
    stand_ins = {f: STAND_INS[k % len(STAND_INS)] for k, f in enumerate(undefined)}
    variables = sorted(
        {s for p in params for s in p.atom.free_symbols} | {p.var for p in d.partials},
        key=lambda s: s.name,
    )

    def numeric_function(expr):
        concrete = to_elementary(_concrete(expr, stand_ins))
        return sympy.lambdify(variables, concrete, "numpy", dummify=True)

    numeric = [numeric_function(p.atom) for p in params]
    gaps = [numeric_function(gap) for gap in switching_gaps(d.expr)]
    switches = [_by_name(gap, variables) for gap in gaps]

    def arguments(values):
        return [f(*(values[v.name] for v in variables)) for f in numeric]

    def loss(**values):
        return module.loss(*arguments(values))

    def gradient(**values):
        return module.gradient(*arguments(values))

    rng = np.random.default_rng(seed)
    ranges = ranges or {}
    points = {v.name: rng.uniform(*ranges.get(v.name, (-2.0, 2.0)), n) for v in variables}
    wrt = [p.var.name for p in d.partials]
    with np.errstate(all="ignore"):  # points outside the loss's domain are left out, not warned
        return check_gradient(loss, gradient, points, wrt, rtol=rtol, switches=switches)
