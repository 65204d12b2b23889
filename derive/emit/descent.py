"""A gradient-descent run as text or JSON: the argument for −∇f, the iterates, the verdict."""

from __future__ import annotations

import json as _json

import sympy

from derive import printing


def argument(run, math) -> list[str]:
    """Why −∇f is a descent direction, derived for this loss."""
    names = ", ".join(run.variables)
    one_number = len(run.variables) == 1 and not isinstance(run.final.point[names], list)
    gradient_norm = f"(df/d{names})²" if one_number else "‖∇f‖²"
    return [
        "Why step against the gradient: along the direction −∇f the loss changes at the rate",
        f"    ∇f·(−∇f) = −{gradient_norm} = {math(run.rate)},",
        "which is negative wherever ∇f ≠ 0. So a small enough step "
        f"{names} ← {names} − η∇f lowers the loss (η = {run.learning_rate:g} here).",
    ]


def shown_number(value: float | list) -> str:
    """A number as 6 significant digits; a vector or matrix as its first elements."""
    if isinstance(value, list):
        flat = [float(v) for v in _flat(value)]
        cells = [f"{v:.4g}" for v in flat[:3]] + (["…"] if len(flat) > 3 else [])
        return "[" + ", ".join(cells) + "]"
    return f"{value:.6g}"


def _flat(value):
    for item in value:
        if isinstance(item, list):
            yield from _flat(item)
        else:
            yield item


def _data(value) -> str:
    """A value the run was given: a number, a short vector in full, else its shape."""
    value = _listed(value)
    if not isinstance(value, list):
        return f"{value:g}"
    if value and isinstance(value[0], list):
        return f"a {len(value)}×{len(value[0])} matrix"
    if len(value) > 6:
        return f"a vector of {len(value)} numbers"
    return "[" + ", ".join(f"{v:g}" for v in value) + "]"


def _listed(value):
    return value.tolist() if hasattr(value, "tolist") else value


def table(run, rows: int) -> list[str]:
    """The iterates; a long run shows its first and last rows."""
    names = run.variables
    header = ["step", *names, "loss", "‖∇f‖"]
    body = [
        [str(it.step), *(shown_number(it.point[n]) for n in names), shown_number(it.loss),
         shown_number(it.gradient_norm)]
        for it in run.iterates
    ]  # fmt: skip
    if len(body) > rows:
        head, tail = rows * 2 // 3, rows - rows * 2 // 3
        body = body[:head] + [["…"] * len(header)] + body[-tail:]
    widths = [max(len(row[k]) for row in [header, *body]) for k in range(len(header))]
    return ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True))
            for row in [header, *body]]  # fmt: skip


def text(run, rows: int = 16) -> str:
    """The run for a terminal."""
    d = run.derivation

    def math(expr) -> str:
        return printing.text(expr, d.spellings, len(d.expr.free_symbols) > 1)

    fixed = ", ".join(
        f"{printing.latex_to_text(d.spellings.get(n, n))} = {_data(v)}"
        for n, v in run.fixed.items()
    )
    out = [f"Loss: {math(d.expr)}" + (f"   with {fixed}" if fixed else "")]
    out += ["", *argument(run, math), "", *table(run, rows), ""]
    out.append(run.message[:1].upper() + run.message[1:] + ".")
    return "\n".join(out) + "\n"


def json(run) -> str:
    """The run as JSON."""
    d = run.derivation
    data = {
        "input": d.source,
        "fixed": {n: _listed(v) for n, v in run.fixed.items()},
        "learning_rate": run.learning_rate,
        "descent_rate": {"sympy": str(run.rate), "latex": sympy.latex(run.rate)},
        "iterates": [
            {"step": it.step, "point": it.point, "loss": it.loss, "gradient_norm": it.gradient_norm}
            for it in run.iterates
        ],
        "verdict": run.verdict,
        "message": run.message,
    }
    return _json.dumps(data, indent=2, allow_nan=True) + "\n"
