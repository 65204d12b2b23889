"""``derive code --backend numba``: the NumPy module's statements as scalars, inside one
fused, parallel loop per function.

``loss`` and ``gradient`` broadcast their arguments (``_flat``: float arrays of one shape,
flattened, views where they can be), allocate their outputs, and call a kernel compiled by
``numba.njit(parallel=True, cache=..., fastmath=False, error_model="numpy")``: a
``numba.prange`` loop that computes the statements element by element (``math.exp``,
``math.log1p``, …) and writes each result once. No temporary array is made, so the data is
read once. ``error_model="numpy"`` makes 1/0 inf, as NumPy, not ZeroDivisionError.

The kinks follow NumPy's conventions exactly, in scalar helpers: ``_sign`` (sign(0) = 0,
NaN for NaN, as ``np.sign``), ``_heaviside`` (``np.heaviside``), ``_maximum``/``_minimum``
(NaN propagates, as ``np.maximum``), ``_sigmoid`` and ``_softplus`` in the same stable
forms as NumPy's (``np.logaddexp(0, u)``, branch for branch).
"""

from __future__ import annotations

import sympy
from sympy.codegen.cfunctions import log1p
from sympy.printing.pycode import PythonCodePrinter

from derive.codegen import plans
from derive.codegen.parameters import parameters
from derive.codegen.statements import Statement
from derive.codegen.text import commented, docstring, listing
from derive.model import Derivation
from derive.printing.functions import positive_first
from rules.neural import sigmoid, softplus
from rules.nonsmooth import Heaviside, relu

INDEX_NAMES = ("i", "j", "index")
# Names the kernels use besides their arguments: an argument of the same name is renamed
# inside the kernel (the public functions keep every parameter's name).
KERNEL_NAMES = {"numba", "math", "out", "np", "os"}

HELPERS = {
    "_sign": '''
@numba.njit(cache=_CACHE)
def _sign(u):
    """sign(u) as np.sign: sign(0) = 0; NaN for NaN."""
    return 1.0 if u > 0 else -1.0 if u < 0 else 0.0 if u == 0 else u
''',
    "_heaviside": '''
@numba.njit(cache=_CACHE)
def _heaviside(u, at_zero):
    """H(u) as np.heaviside(u, at_zero): 0 below 0, 1 above, at_zero at 0; NaN for NaN."""
    return 1.0 if u > 0 else 0.0 if u < 0 else at_zero if u == 0 else u
''',
    "_maximum": '''
@numba.njit(cache=_CACHE)
def _maximum(a, b):
    """max(a, b) as np.maximum: NaN if either is NaN."""
    return a if a >= b or a != a else b
''',
    "_minimum": '''
@numba.njit(cache=_CACHE)
def _minimum(a, b):
    """min(a, b) as np.minimum: NaN if either is NaN."""
    return a if a <= b or a != a else b
''',
    "_sigmoid": '''
@numba.njit(cache=_CACHE)
def _sigmoid(u):
    """σ(u) = 1 / (1 + e^(−u)) without overflow: e^(−|u|) never exceeds 1."""
    e = math.exp(-abs(u))
    return (1.0 if u >= 0 else e) / (1.0 + e)
''',
    "_softplus": '''
@numba.njit(cache=_CACHE)
def _softplus(u):
    """log(1 + e^u) = max(u, 0) + log(1 + e^(−|u|)), as np.logaddexp(0, u): e^(−|u|) never
    overflows, and no branch depends on the data."""
    return _maximum(u, 0.0) + _log1p(math.exp(-abs(u)))
''',
    "_log1p": '''
@numba.njit(cache=_CACHE)
def _log1p(x):
    """log(1 + x) as math.log1p, from math.log (four times faster): y = 1 + x is rounded,
    and log(1 + x) = log(y) + log(1 + (x − (y − 1))/y) corrects it to the last digit."""
    y = 1.0 + x
    if 0.0 < y < math.inf:
        return math.log(y) - ((y - 1.0) - x) / y
    return math.log1p(x)
''',
    "_sinc": '''
@numba.njit(cache=_CACHE)
def _sinc(x):
    """sin(πx)/(πx), 1 at 0, as np.sinc."""
    y = math.pi * (1.0e-20 if x == 0 else x)
    return math.sin(y) / y
''',
}

RUN = '''
def _run(kernel, arrays, out):
    """kernel(*arrays, out) on every thread numba has, or on one for fewer than _THREADED
    elements (starting the threads would cost more than the work)."""
    if out.shape[-1] >= _THREADED:
        return kernel(*arrays, out)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return kernel(*arrays, out)
    finally:
        numba.set_num_threads(threads)
'''

FLAT = '''
def _flat(*args):
    """The arguments as float arrays broadcast to one shape, and flattened (views where they
    can be: a number becomes a stride-0 view, not a copy); and that shape."""
    arrays = [np.asarray(a, dtype=float) for a in args]
    shape = arrays[0].shape if arrays else ()
    if any(a.shape != shape for a in arrays):
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        arrays = [np.broadcast_to(a, shape) for a in arrays]
    return shape, [a.reshape(-1) for a in arrays]
'''

CACHE = """
# OpenMP threads that spin while they wait for work take the cores from whatever runs between
# two calls, and from each other on a busy machine: unless told otherwise, they sleep.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# numba keeps the compiled kernels beside this file (cache=True); a module loaded from a
# string has no file to keep them beside, and compiles them again in each process.
_CACHE = os.path.isfile(globals().get("__file__") or "")
_THREADED = 65536  # elements from which a kernel runs on every thread numba has
"""

NOTE = (
    "numba computes each function in one fused, parallel loop, compiled on the first call\n"
    "for each layout of the arguments and cached beside this file."
)
KERNEL = '@numba.njit(parallel=True, cache=_CACHE, fastmath=False, error_model="numpy")'


class ScalarCode(PythonCodePrinter):
    """SymPy to scalar Python for numba: a parameter ``w`` is the element ``w[i]``, each
    function a ``math`` call or a helper that keeps NumPy's convention at its kink."""

    def _as_ordered_terms(self, expr, order=None):
        return positive_first(super()._as_ordered_terms(expr, order=order))

    def __init__(self, arrays: dict[str, str], index: str):
        super().__init__({"fully_qualified_modules": True, "inline": True})
        self.arrays = arrays  # parameter name -> its name in the kernel
        self.index = index
        self.helpers: set[str] = set()
        self.missing: set[str] = set()

    def _print_Symbol(self, expr):
        if expr.name in self.arrays:
            return f"{self.arrays[expr.name]}[{self.index}]"
        return expr.name

    def _helper(self, name: str, *args) -> str:
        self.helpers.add(name)
        return f"{name}({', '.join(a if isinstance(a, str) else self._print(a) for a in args)})"

    def _print_Function(self, expr):
        printed = self._own(expr)
        if printed is not None:
            return printed
        return super()._print_Function(expr)

    def _own(self, expr) -> str | None:
        """derive's own functions, and those whose convention NumPy's code fixes."""
        if isinstance(expr, sympy.sign):
            return self._helper("_sign", expr.args[0])
        if isinstance(expr, Heaviside):
            return self._helper("_heaviside", expr.args[0], repr(float(expr.args[1])))
        if isinstance(expr, relu):
            return self._helper("_maximum", expr.args[0], "0.0")
        if isinstance(expr, sigmoid):
            return self._helper("_sigmoid", expr.args[0])
        if isinstance(expr, softplus):
            self.helpers |= {"_maximum", "_log1p"}
            return self._helper("_softplus", expr.args[0])
        if isinstance(expr, log1p):
            return self._helper("_log1p", expr.args[0])
        if isinstance(expr, sympy.sinc):
            return self._helper("_sinc", expr.args[0] / sympy.pi)
        return None

    _print_sign = _print_Heaviside = _print_log1p = _print_sinc = _print_Function

    def _print_Max(self, expr):
        return self._nested("_maximum", expr.args)

    def _print_Min(self, expr):
        return self._nested("_minimum", expr.args)

    def _nested(self, helper: str, args) -> str:
        """np.maximum(a, np.maximum(b, c)), as NumPy's code nests it (numbers last)."""
        from rules.nonsmooth import numbers_last

        args = numbers_last(args)
        if len(args) == 1:
            return repr(float(args[0])) if args[0].is_Integer else self._print(args[0])
        return self._helper(helper, args[0], self._nested(helper, args[1:]))

    def _print_Piecewise(self, expr):
        *branches, (last, condition) = expr.args
        printed = self._print(last) if condition == sympy.true else "math.nan"
        if condition != sympy.true:
            branches.append((last, condition))
        for value, where in reversed(branches):
            printed = f"{self._print(value)} if {self._print(where)} else {printed}"
        return f"({printed})"

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_ComplexInfinity(self, expr):
        return "math.nan"

    def _print_not_supported(self, expr):
        self.missing.add(type(expr).__name__)
        return super()._print_not_supported(expr)


def module_source(d: Derivation, derivative) -> str:
    """The numba module's source (elementwise losses; see this module's docstring)."""
    names = {p.name for p in parameters(d)}
    index = next(n for n in (*INDEX_NAMES, "i_") if n not in names)
    renamed = {n: _fresh(n, names | KERNEL_NAMES) for n in names & (KERNEL_NAMES | {index})}
    arrays = {n: renamed.get(n, n) for n in names}
    printer = ScalarCode(arrays, index)
    reserved = KERNEL_NAMES | {index, *renamed.values()}
    plan = plans.plan(d, derivative, printer, reserved)
    kernel_args = [arrays[p.name] for p in plan.params]
    public = [p.name for p in plan.params]
    loss_kernel = _kernel("_loss", kernel_args, index, plan.loss, {"value": "out[{i}]"}, printer)
    slots = {name: f"out[{k}, {{i}}]" for k, name in enumerate(plan.outputs)}
    gradient_kernel = _kernel("_gradient", kernel_args, index, plan.gradient, slots, printer)
    plans.unsupported(printer, "numba")
    k = len(plan.outputs)
    results = [f"out[{j}]" for j in range(k)]
    returns = results[0] if k == 1 else None
    loss_doc, gradient_doc = _docs(plan)
    lines = [
        *_head(plan, printer),
        *gradient_kernel,
        "",
        "",
        *loss_kernel,
        "",
        "",
        f"def loss({', '.join(public)}):",
        docstring(loss_doc, "    "),
        f"    shape, arrays = _flat({', '.join(public)})",
        "    out = np.empty(shape)",
        "    _run(_loss, arrays, out.reshape(-1))",
        "    return out[()]",
        "",
        "",
        f"def gradient({', '.join(public)}):",
        docstring(gradient_doc, "    "),
        f"    shape, arrays = _flat({', '.join(public)})",
        f"    out = np.empty(({k}, *shape))",
        f"    _run(_gradient, arrays, out.reshape({k}, -1))",
        *([f"    return {returns}"] if returns else listing("return (", results, ")", "    ")),
    ]
    return "\n".join(lines) + "\n"


def _fresh(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "_"
    return name


def _docs(plan: plans.Plan) -> tuple[str, str]:
    return (
        f"The loss, elementwise: {plan.loss_text}",
        f"The partial derivatives {', '.join(plan.outputs)}, elementwise.",
    )


def _head(plan: plans.Plan, printer: ScalarCode) -> list[str]:
    """The docstring, imports, constants and helpers."""
    doc = plan.doc.replace(
        "Every function takes NumPy arrays or numbers, and broadcasts.",
        "Every function takes NumPy arrays or numbers, and broadcasts.\n" + NOTE,
    )
    lines = [
        docstring(doc),
        "",
        "import math",
        "import os",
        "",
        "import numba",
        "import numpy as np",
        "",
    ]
    lines += listing(
        "PARAMETERS = (",
        [repr(p.name) for p in plan.params],
        ",)" if len(plan.params) == 1 else ")",
    )
    lines += listing("WRT = (", [repr(w) for w in plan.wrt], ",)" if len(plan.wrt) == 1 else ")")
    lines += listing("SYMBOLS = {", [f"{p.name!r}: {p.latex!r}" for p in plan.params], "}")
    lines += CACHE.rstrip("\n").split("\n")
    for name in sorted(printer.helpers):
        lines += ["", "", *HELPERS[name].strip("\n").split("\n")]
    lines += ["", "", *FLAT.strip("\n").split("\n"), "", "", *RUN.strip("\n").split("\n"), "", ""]
    return lines


def _kernel(name, args, index, statements: list[Statement], slots: dict, printer) -> list[str]:
    """``@numba.njit(parallel=True, …) def name(*args, out)``: one prange loop computing the
    statements for element ``index``; an output used by no later statement is written to its
    slot directly."""
    lines = [
        KERNEL,
        f"def {name}({', '.join([*args, 'out'])}):",
        f"    for {index} in numba.prange(out.shape[-1]):",
    ]
    for k, statement in enumerate(statements):
        later = {str(s) for later in statements[k + 1 :] for s in later.expr.free_symbols}
        code = printer.doprint(statement.expr)
        slot = slots.get(statement.name)
        if slot is not None and statement.name not in later:
            target = slot.format(i=index)
            slot = None
        else:
            target = statement.name
        lines += commented("        ", f"{target} = {code}", statement.comment)
        if slot is not None:
            lines.append(f"        {slot.format(i=index)} = {statement.name}")
    return lines
