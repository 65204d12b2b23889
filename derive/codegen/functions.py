"""One generated function: its ``def``, docstring, statements and return."""

from __future__ import annotations

from derive.codegen.numpy_printer import NumPyCode
from derive.codegen.parameters import Parameter
from derive.codegen.statements import Statement
from derive.codegen.text import commented, docstring, listing


def as_arrays(params: list[Parameter]) -> list[str]:
    """The first statements: every argument as a float array, so that plain Python numbers
    overflow to inf as arrays do (1e200**2 raises OverflowError for a float). One line
    each: unpacking a generator costs twice as much, which shows at n = 10³."""
    return [f"    {p.name} = np.asarray({p.name}, dtype=float)" for p in params]


def function_lines(
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
    lines = [f"def {name}({', '.join(p.name for p in params)}):", docstring(doc, "    ")]
    lines += as_arrays(params)
    indent = "    "
    if guarded:  # np.where evaluates every branch of a cases expression, the unused ones too
        lines.append('    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):')
        indent = "        "
    for start, items, end in preamble:
        lines += listing(start, items, end, indent)
    for statement in body:
        expr = statement.expr
        code = f"{statement.name} = {expr if isinstance(expr, str) else printer.doprint(expr)}"
        lines += commented(indent, code, statement.comment)
    if len(returns) == 1:
        lines.append(f"{indent}return {returns[0]}")
    else:
        lines += listing("return (", returns, ")", indent)
    return lines
