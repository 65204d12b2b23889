"""Counting the operations of a generated function on its syntax tree: every arithmetic
operator, comparison and call, save the calls that only shape arrays. The cheap-gradient
principle is stated in these: the gradient's operations are a few times the loss's."""

from __future__ import annotations

import ast

SHAPING = {"asarray", "broadcast_to", "broadcast_shapes", "shape", "errstate"}


def operations(source: str, function: str) -> int:
    """The operations in the body of ``def function`` in ``source``."""
    tree = ast.parse(source)
    (definition,) = (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    count = 0
    for node in ast.walk(definition):
        if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
            continue  # -1 is a number, not an operation
        if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp)):
            count += 1
        elif isinstance(node, ast.Call):
            callee = node.func
            name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
            count += name not in SHAPING
    return count


def ratio(source: str) -> tuple[int, int]:
    """(the loss's operations, the gradient's operations) of a generated module."""
    return operations(source, "loss"), operations(source, "gradient")
