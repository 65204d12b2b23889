"""``derive code --backend array-api``: the NumPy module's statements written against the
Python array API standard, so that one gradient runs on NumPy, PyTorch, CuPy, JAX and Dask
arrays (``xp = array_api_compat.array_namespace(*arrays)``).

Only the standard's functions are called (``xp.exp``, ``xp.log1p``, ``xp.sign``,
``xp.where``, ``xp.maximum``, ``xp.logaddexp``, …); numbers that are not arrays stay Python
floats (``math.sqrt(math.pi)``), mixed with arrays only where the standard allows it (an
operator, or one argument of an elementwise function). The kinks follow the NumPy module's
conventions exactly: H(u) with H(0) = 1/2 is ``0.5*xp.sign(u) + 0.5``, ReLU is
``xp.maximum(u, 0.0)``, a max of two ties at H(0) = 1/2 as in NumPy's code.
"""

from __future__ import annotations

import sympy
from sympy.printing.pycode import PythonCodePrinter

from derive.codegen import plans
from derive.codegen.parameters import parameters
from derive.codegen.statements import Statement
from derive.codegen.text import WIDTH, commented, docstring, listing
from derive.model import Derivation
from derive.printing.functions import positive_first
from rules.neural import sigmoid, softplus
from rules.nonsmooth import numbers_last, relu

# math.<name> (as SymPy's printer writes a function) -> the standard's name for it
STANDARD = {
    name: name
    for name in (
        "exp", "log", "log1p", "expm1", "log2", "log10", "sqrt", "sin", "cos", "tan",
        "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
        "floor", "ceil", "hypot",
    )
}  # fmt: skip
CONSTANTS = {"e", "pi", "inf", "nan"}

HELPERS = {
    "_sigmoid": '''
def _sigmoid(xp, u):
    """σ(u) = 1 / (1 + e^(−u)) without overflow: e^(−|u|) never exceeds 1."""
    e = xp.exp(-xp.abs(u))
    return xp.where(u >= 0, 1.0, e) / (1.0 + e)
''',
    "_sinc": '''
def _sinc(xp, x):
    """sin(πx)/(πx), 1 at 0, as np.sinc."""
    y = math.pi * xp.where(x == 0, 1.0e-20, x)
    return xp.sin(y) / y
''',
}

ARRAYS = '''
def _arrays(*args):
    """The namespace of the arguments' arrays (NumPy's, through array_api_compat, for numbers
    alone), and every argument as an array of it: of the arrays' floating dtype (float32
    stays float32), else float64, on the first array's device."""
    arrays = [a for a in args if not isinstance(a, (int, float))]
    if arrays:
        xp = array_api_compat.array_namespace(*arrays)
    else:  # numbers alone: NumPy's, imported only here (torch tensors need no NumPy)
        import array_api_compat.numpy as xp
    floating = [a.dtype for a in arrays if xp.isdtype(a.dtype, "real floating")]
    dtype = xp.result_type(*floating) if floating else xp.float64
    device = array_api_compat.device(arrays[0]) if arrays else None
    return xp, [xp.asarray(a, dtype=dtype, device=device) for a in args]
'''

QUIET = '''
@contextlib.contextmanager
def _quiet():
    """xp.where computes both branches of a case: one unused may warn (log of a negative)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
'''

ANY_LIBRARY = (
    "Every function takes arrays of any library that follows the Python array API standard\n"
    "(NumPy, PyTorch, CuPy, JAX, Dask: through array_api_compat) or numbers, and broadcasts;\n"
    "the result is an array of the same library (a lazy one for Dask)."
)


class ArrayAPICode(PythonCodePrinter):
    """SymPy to code over the namespace ``xp``: the standard's functions only, numbers as
    Python floats (``math``), and NumPy's convention at each kink."""

    def __init__(self, namespace: str = "xp"):
        super().__init__({"fully_qualified_modules": True, "inline": True})
        self.xp = namespace
        self.helpers: set[str] = set()
        self.missing: set[str] = set()
        self.numbers = PythonCodePrinter({"fully_qualified_modules": True, "inline": True})
        self.uses_math = False
        self.math_taken = False

    def _as_ordered_terms(self, expr, order=None):
        return positive_first(super()._as_ordered_terms(expr, order=order))

    def _print(self, expr, **kwargs):
        if isinstance(expr, sympy.Expr) and expr.is_number and not expr.is_Rational:
            if expr.has(sympy.zoo, sympy.nan):
                return f"{self.xp}.nan"
            printed = self.numbers.doprint(expr)  # a Python float: math.sqrt(math.pi)
            if "math." in printed and self.math_taken:  # a parameter is called math
                return repr(float(expr))
            self.uses_math |= "math." in printed
            return printed if expr.is_Atom else f"({printed})"
        return super()._print(expr, **kwargs)

    def _module_format(self, fqn, register=True):
        module, _, name = fqn.rpartition(".")
        if module == "math" and name in STANDARD:
            return f"{self.xp}.{STANDARD[name]}"
        if module == "math" and name in CONSTANTS:
            return f"{self.xp}.{name}"
        self.missing.add(name)
        return fqn

    def _call(self, name: str, *args) -> str:
        printed = (a if isinstance(a, str) else self._print(a) for a in args)
        return f"{self.xp}.{name}({', '.join(printed)})"

    def _helper(self, name: str, *args) -> str:
        self.helpers.add(name)
        return f"{name}({', '.join([self.xp, *(self._print(a) for a in args)])})"

    def _print_Function(self, expr):
        if isinstance(expr, sigmoid):
            return self._helper("_sigmoid", expr.args[0])
        if isinstance(expr, softplus):
            return self._call("logaddexp", "0.0", expr.args[0])
        if isinstance(expr, relu):
            return self._call("maximum", expr.args[0], "0.0")
        if isinstance(expr, sympy.sinc):
            return self._helper("_sinc", expr.args[0] / sympy.pi)
        return super()._print_Function(expr)

    def _print_Abs(self, expr):
        return self._call("abs", expr.args[0])

    def _print_sign(self, expr):
        return self._call("sign", expr.args[0])

    def _print_Heaviside(self, expr):
        u, at_zero = expr.args
        step = f"0.5*{self._call('sign', u)} + 0.5"  # exact: 0, 1/2, 1 (NaN for NaN)
        if at_zero == sympy.S.Half:
            return f"({step})"
        return f"{self.xp}.where({self._print(u)} == 0, {float(at_zero)!r}, {step})"

    def _print_Max(self, expr):
        return self._nested("maximum", numbers_last(expr.args))

    def _print_Min(self, expr):
        return self._nested("minimum", numbers_last(expr.args))

    def _nested(self, name: str, args) -> str:
        if len(args) == 1:
            return self._print(args[0])
        return self._call(name, args[0], self._nested(name, args[1:]))

    def _print_Piecewise(self, expr):
        *branches, (last, condition) = expr.args
        printed = self._print(last) if condition == sympy.true else f"{self.xp}.nan"
        numeric = condition != sympy.true or last.is_number
        if condition != sympy.true:
            branches.append((last, condition))
        for value, where in reversed(branches):
            shown = self._print(value)
            if numeric and value.is_number:  # xp.where takes one number at most
                like = sorted(where.free_symbols, key=str)[0]
                shown = f"{self.xp}.full_like({self._print(like)}, {shown})"
            printed = f"{self.xp}.where({self._print(where)}, {shown}, {printed})"
            numeric = False
        return printed

    def _print_Relational(self, expr):
        return f"({self._print(expr.lhs)} {expr.rel_op} {self._print(expr.rhs)})"

    def _print_And(self, expr):
        return " & ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Or(self, expr):
        return " | ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Not(self, expr):
        return f"~({self._print(expr.args[0])})"

    def _print_not_supported(self, expr):
        self.missing.add(type(expr).__name__)
        return super()._print_not_supported(expr)


def module_source(d: Derivation, derivative) -> str:
    """The array API module's source (elementwise losses; see this module's docstring)."""
    names = {p.name for p in parameters(d)}
    xp = next(n for n in ("xp", "xp_", "xp__", "namespace") if n not in names)
    printer = ArrayAPICode(xp)
    printer.math_taken = "math" in names
    plan = plans.plan(d, derivative, printer, {xp})
    public = [p.name for p in plan.params]
    first = public[0] if public else None
    indent = "        " if plan.guarded else "    "  # inside `with _quiet():`, or not
    loss_lines = _body(plan.loss, printer, first, indent)
    gradient_lines = _body(plan.gradient, printer, first, indent)
    plans.unsupported(printer, "array-api", " (not in the array API standard)")
    returns = [f"{xp}.broadcast_to({o}, shape)" if o in plan.narrow else o for o in plan.outputs]
    preamble = []
    if plan.narrow:
        preamble = listing("shape = " + f"{xp}.broadcast_arrays(", public, ")[0].shape", "    ")
    arguments = _arguments(xp, public)
    loss_doc = f"The loss, elementwise: {plan.loss_text}"
    gradient_doc = f"The partial derivatives {', '.join(plan.outputs)}, elementwise."
    lines = [
        *_head(plan, printer),
        *_function("loss", public, loss_doc, arguments, [], loss_lines, ["value"], plan.guarded),
        "",
        "",
        *_function("gradient", public, gradient_doc, arguments, preamble, gradient_lines,
                   returns, plan.guarded),
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


def _arguments(xp: str, public: list[str]) -> str:
    """``xp, (w, x) = _arrays(w, x)``, on two lines when one is too long."""
    names = ", ".join(public)
    line = f"    {xp}, ({names}{',' if len(public) == 1 else ''}) = _arrays({names})"
    if len(line) <= WIDTH:
        return line
    return f"    {xp}, arrays = _arrays({names})\n    {names} = arrays"  # several: no comma


def _body(statements: list[Statement], printer: ArrayAPICode, first: str | None, indent: str):
    """``name = code  # comment`` for each statement; a number becomes an array like the
    first parameter (``xp.full_like``), so that it broadcasts and has a shape."""
    lines = []
    for statement in statements:
        code = printer.doprint(statement.expr)
        if statement.expr.is_number and first is not None:
            code = f"{printer.xp}.full_like({first}, {code})"
        lines += commented(indent, f"{statement.name} = {code}", statement.comment)
    return lines


def _function(name, public, doc, arguments, preamble, body, returns, guarded) -> list[str]:
    lines = [f"def {name}({', '.join(public)}):", docstring(doc, "    "), arguments, *preamble]
    indent = "    "
    if guarded:
        lines.append("    with _quiet():")
        indent = "        "
    lines += body
    if len(returns) == 1:
        return [*lines, f"{indent}return {returns[0]}"]
    return [*lines, *listing("return (", returns, ")", indent)]


def _head(plan: plans.Plan, printer: ArrayAPICode) -> list[str]:
    """The docstring, imports, constants and helpers."""
    doc = plan.doc.replace("Every function takes NumPy arrays or numbers, and broadcasts.",
                           ANY_LIBRARY)  # fmt: skip
    helpers = sorted(printer.helpers)
    uses_math = printer.uses_math or "_sinc" in helpers
    imports = [*(["import contextlib"] if plan.guarded else []),
               *(["import math"] if uses_math else []),
               *(["import warnings"] if plan.guarded else [])]  # fmt: skip
    lines = [
        docstring(doc),
        "",
        *imports,
        *([""] if imports else []),
        "import array_api_compat",
        "",
    ]
    lines += listing("PARAMETERS = (", [repr(p.name) for p in plan.params],
                     ",)" if len(plan.params) == 1 else ")")  # fmt: skip
    lines += listing("WRT = (", [repr(w) for w in plan.wrt], ",)" if len(plan.wrt) == 1 else ")")
    lines += listing("SYMBOLS = {", [f"{p.name!r}: {p.latex!r}" for p in plan.params], "}")
    blocks = [ARRAYS, *(HELPERS[h] for h in helpers), *([QUIET] if plan.guarded else [])]
    for block in blocks:
        lines += ["", "", *block.strip("\n").split("\n")]
    return [*lines, "", ""]
