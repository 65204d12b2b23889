"""JSON as ``../shared/INTERFACE.md`` fixes it, with a few more fields beside the contract's."""

from __future__ import annotations

import json as _json

import sympy
from sympy.core.function import AppliedUndef

from derive.emit import latex, layout
from derive.model import Derivation, Partial, Step
from rules.registry import plain_form


def _sympy(expr) -> str:
    """``expr`` as a string of SymPy's own functions, readable with ``sympy.sympify``."""
    return str(plain_form(expr))


def _step(d: Derivation, step: Step) -> dict:
    partial = False if step.outer else None  # the outer function of a chain rule: d/du
    lhs = latex.math(d, sympy.Derivative(step.expr, step.var), partial=partial)
    equation = f"{lhs} = {latex.math(d, step.rewrite, partial=partial)}"
    if step.rewrite != step.result:
        equation += f" = {latex.math(d, step.result, partial=partial)}"
    return {"rule": step.rule.name, "latex": equation, "verified": step.verified}


def _kink(k) -> dict:
    return {
        "where": _sympy(k.condition),
        "kind": k.kind,
        "subgradient": None if k.subgradient is None else [_sympy(e) for e in k.subgradient],
        "value_by_convention": None if k.convention is None else _sympy(k.convention),
    }


def _partial(d: Derivation, p: Partial) -> dict:
    chain = {}
    if p.in_intermediates is not None:
        chain = {
            "intermediates": {
                "sympy": _sympy(p.in_intermediates),
                "latex": latex.math(d, p.in_intermediates),
            },
            "upstream": {
                derivative.variables[0].name: _sympy(value)
                for derivative, value in layout.upstream_gradients(d, p)
            },
        }
    return {
        **chain,
        "sympy": _sympy(p.result),
        "latex": latex.math(d, p.result),
        "steps": [_step(d, s) for s in p.steps],
        "nondifferentiable": [_sympy(k.condition) for k in p.kinks],
        "verified": p.verified,
        **(
            {
                "matrix": {
                    "sympy": _sympy(p.matrix),
                    "latex": latex.math(d, p.matrix),
                    "verified": p.matrix_verified,
                }
            }
            if p.matrix is not None
            else {}
        ),  # fmt: skip
        **(
            {
                "matrix_steps": [
                    {
                        "node": latex.math(d, s.node),
                        "gradient": latex.math(d, s.gradient),
                        "sympy": _sympy(s.gradient),
                        "rule": s.rule,
                        "verified": s.verified or "unverified",
                    }
                    for s in p.matrix_steps
                ]
            }
            if p.matrix_steps
            else {}
        ),  # fmt: skip
        "kinks": [_kink(k) for k in p.kinks],
        "cases": [
            {"where": _sympy(c.where), "value": _sympy(c.value), "verified": c.verified}
            for c in p.cases
        ],
    }


def as_dict(d: Derivation) -> dict:
    """The derivation as JSON-ready data: the contract's keys first, then derive's extras."""
    functions = sorted({f.func.__name__ for f in d.expr.atoms(AppliedUndef)})
    arrays = {b.label.name for b in d.expr.atoms(sympy.IndexedBase)}
    names = {s.name for s in d.expr.free_symbols if isinstance(s, sympy.Symbol)} - arrays
    names |= set(functions)
    log = "natural" if d.options.get("log_base", "e") == "e" else "base 10"
    sources = [x.source for x in d.loss.definitions] + [d.source]
    definitions = [
        {"name": n.name, "sympy": _sympy(e), "latex": latex.math(d, e), "source": source}
        for (n, e), source in zip(layout.definitions(d), sources, strict=False)
    ]
    names |= {row["name"] for row in definitions}
    return {
        "input": d.source,
        "expression": _sympy(d.expr),
        **({"definitions": definitions} if definitions else {}),
        "symbols": {name: d.spellings.get(name, name) for name in sorted(names)},
        **({"arrays": {a: d.spellings.get(a, a) for a in sorted(arrays)}} if arrays else {}),
        "gradient": {str(p.var): _partial(d, p) for p in d.partials},
        "functions": functions,
        "real_where": [_sympy(c) for c in d.domain],
        "notes": [str(r) for r in d.readings],
        "readings": [f"{r.math} {r.text}" for r in d.readings],
        "conventions": {"sign(0)": "0", "Heaviside(0)": "1/2", "ReLU'(0)": "0", "log": log},
    }


def render(d: Derivation) -> str:
    """The derivation as a JSON document."""
    return _json.dumps(as_dict(d), indent=2, ensure_ascii=False) + "\n"
