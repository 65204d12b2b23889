"""The rule table, as printed by ``derive rules``."""

from __future__ import annotations

import json

from rules.registry import all_rules


def render(format_: str = "text") -> str:
    """Every rule with its statement: text, LaTeX (a tabular), Markdown or JSON."""
    table = all_rules()
    if format_ == "json":
        rows = [
            {"rule": r.name, "family": r.family, "latex": r.formula, "statement": r.statement}
            for r in table
        ]
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    if format_ == "markdown":
        lines = ["| rule | family | statement |", "|---|---|---|"]
        lines += [f"| {r.name} | {r.family} | ${r.formula}$ |" for r in table]
        return "\n".join(lines) + "\n"
    if format_ == "latex":
        lines = [r"\begin{tabular}{ll}", r"\textbf{rule} & \textbf{statement} \\ \hline"]
        lines += [rf"{r.name} & ${r.formula}$ \\" for r in table]
        lines.append(r"\end{tabular}")
        return "\n".join(lines) + "\n"
    width = max(len(r.name) for r in table) + 2
    lines = []
    for r in table:
        lines.append(f"{r.name.ljust(width)}{r.formula}")
        lines.append(f"{'':{width}}{r.statement}")
    return "\n".join(lines) + "\n"
