"""The generated module against central differences: ``derive code --check``.

Unknown functions get concrete stand-ins (sin, cos, exp, arctan), so that m_x(w) and m_x'(w)
have values that belong together; the loss becomes a function of its variables, and the
shipped checker (``derive.proof.gradient_check.check_gradient``) compares.
"""

from __future__ import annotations

import dataclasses

import sympy
from sympy.core.function import AppliedUndef

from derive.arraycheck import check_array_module
from derive.codegen import compile_module, module_source, parameters
from derive.engine import derivative
from derive.model import Derivation
from derive.proof.gradient_check import STAND_INS, check_gradient
from rules.registry import elementary_form, entry_for


def stand_ins_for(exprs) -> dict:
    """A concrete function (sin, cos, exp, arctan, in turn) for each unknown function in
    ``exprs``, the same whichever expression it appears in."""
    undefined = sorted({f.func for e in exprs for f in e.atoms(AppliedUndef)}, key=str)
    return {f: STAND_INS[k % len(STAND_INS)] for k, f in enumerate(undefined)}


def concrete(expr: sympy.Expr, stand_ins: dict) -> sympy.Expr:
    """``expr`` with each unknown function replaced by a stand-in, derivatives worked out."""
    for function, stand_in in stand_ins.items():
        applied = expr.atoms(function)
        if not applied:
            continue
        arity = len(next(iter(applied)).args)
        args = sympy.symbols(f"a1:{arity + 1}", real=True)
        body = stand_in(sum((k + 1) * a for k, a in enumerate(args)) / len(args))
        expr = expr.replace(function, sympy.Lambda(args, body))
    return expr.doit()


def switching_gaps(expr: sympy.Expr) -> list[sympy.Expr]:
    """Expressions that are 0 where ``expr`` switches, as each function's entry says: the
    arguments of |u|, sign, H, ReLU and arccot, the differences of max and min arguments, the
    sides of cases conditions; and each factor it divides by, and what tan, cot, sec, csc,
    coth and csch divide by, where it has a pole (1/(abcd)² is even in d: a stencil across
    d = 0 sees two equal values and a slope of 0). Finite differences are unreliable next to
    these, smooth join or not."""
    gaps = []
    for node in sympy.preorder_traversal(expr):
        entry = entry_for(node) if isinstance(node, sympy.Basic) else None
        if entry is not None and entry.kinks is not None:
            gaps += [spec.where for spec in entry.kinks(node)]
        if isinstance(node, sympy.Pow) and node.exp.is_negative:
            gaps += [f.as_base_exp()[0] for f in sympy.Mul.make_args(node.base) if f.free_symbols]
        if isinstance(node, tuple(POLES)):
            gaps.append(POLES[type(node)](node.args[0]))
    return [g for g in gaps if not any(s.is_integer for s in g.free_symbols)]  # i in a Σᵢ


# Where the functions that divide have their poles: 0 at each of them.
POLES = {
    sympy.tan: sympy.cos,
    sympy.sec: sympy.cos,
    sympy.cot: sympy.sin,
    sympy.csc: sympy.sin,
    sympy.coth: lambda u: u,
    sympy.csch: lambda u: u,
}


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

    module = module or compile_module(module_source(d, derivative))
    if d.expr.has(sympy.Indexed):  # data arrays; a sum of numbers is checked as any loss
        return check_array_module(d, module, seed, rtol, ranges)
    params = parameters(d)
    stand_ins = stand_ins_for([p.atom for p in params])
    variables = sorted(
        {s for p in params for s in p.atom.free_symbols} | {p.var for p in d.partials},
        key=lambda s: s.name,
    )

    def numeric_function(expr):
        elementary = elementary_form(concrete(expr, stand_ins))
        return sympy.lambdify(variables, elementary, "numpy", dummify=True)

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
    box = {v.name: (ranges or {}).get(v.name, (-2.0, 2.0)) for v in variables}
    wrt = [p.var.name for p in d.partials]
    with np.errstate(all="ignore"):  # points outside the loss's domain are left out, not warned
        points, drawn = _in_domain(loss, box, n, rng)
        found = check_gradient(loss, gradient, points, wrt, rtol=rtol, switches=switches)
    if drawn > n:
        in_domain = len(next(iter(points.values()), ()))
        note = f" ({drawn} points drawn for {in_domain} in the loss's domain)"
        found = dataclasses.replace(found, message=found.message + note)
    return found


ROUNDS = 20  # batches of points drawn to find enough where the loss is defined


def _in_domain(loss, box: dict, n: int, rng) -> tuple[dict, int]:
    """Up to ``n`` random points of ``box`` (name → (low, high)) where the loss is finite and
    real (σ > 0 for log σ), drawn batch by batch; and how many points were drawn."""
    import numpy as np

    kept: dict[str, list] = {name: [] for name in box}
    found = drawn = 0
    for _ in range(ROUNDS):
        batch = {name: rng.uniform(low, high, n) for name, (low, high) in box.items()}
        drawn += n
        finite = np.broadcast_to(np.isfinite(np.asarray(loss(**batch), dtype=float)), (n,))
        for name, values in batch.items():
            kept[name].append(values[finite])
        found += int(np.count_nonzero(finite))
        if found >= n:
            break
    return {name: np.concatenate(parts)[:n] for name, parts in kept.items()}, drawn
