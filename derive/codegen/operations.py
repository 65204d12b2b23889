"""Counting the operations of a generated function on its syntax tree: every arithmetic
operator, comparison and call, save the calls that only shape arrays. The cheap-gradient
principle is stated in these: the gradient's operations are a few times the loss's."""

from __future__ import annotations

import ast

SHAPING = {"asarray", "broadcast_to", "broadcast_shapes", "shape", "errstate"}


def operations(source: str, function: str) -> int:
    """The operations in the body of ``def function`` in ``source``. A switch written in
    place, H(u) = (1 + sign u)/2 as ``h = np.sign(u)`` and then ``h`` shifted and scaled by
    numbers, is one operation, as ``np.heaviside`` was."""
    tree = ast.parse(source)
    (definition,) = (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    return _count(definition) - sum(1 for _ in _switch_steps(definition))


def _count(node: ast.AST) -> int:
    """The operations under ``node``. Of a step chosen where it runs by the shapes of its
    arrays (``np.subtract(u, y, out=u) if y.shape in ((), u.shape) else u - y``) only one
    branch is taken, and the shapes compared are no arithmetic: it counts as its dearer
    branch."""
    if isinstance(node, ast.IfExp) and _compares_shapes(node.test):
        return max(_count(node.body), _count(node.orelse))
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        return 0  # -1 is a number, not an operation
    own = 0
    if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp)):
        own = 1
    elif isinstance(node, ast.Call):
        callee = node.func
        name = callee.attr if isinstance(callee, ast.Attribute) else getattr(callee, "id", "")
        own = name not in SHAPING
    return own + sum(_count(child) for child in ast.iter_child_nodes(node))


def _compares_shapes(test: ast.AST) -> bool:
    return isinstance(test, ast.Compare) and all(
        isinstance(n, ast.Attribute) and n.attr == "shape"
        for n in ast.walk(test)
        if isinstance(n, ast.Attribute)
    )


def ratio(source: str) -> tuple[int, int]:
    """(the loss's operations, the gradient's operations) of a generated module."""
    return operations(source, "loss"), operations(source, "gradient")


def _switch_steps(definition: ast.FunctionDef):
    """The steps ``h = np.add(h, 1.0, out=h)`` and ``h = np.multiply(h, 0.5, out=h)`` that
    follow ``h = np.sign(…)``: each is a call, counted once, which the switch's count takes
    back."""
    signs: set[str] = set()
    for node in ast.walk(definition):
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
            continue
        target, call = node.targets[0], node.value
        name = target.id if isinstance(target, ast.Name) else ""
        if _callee(call) == "asarray" and call.args and isinstance(call.args[0], ast.Call):
            call = call.args[0]  # h = np.asarray(np.sign(u)): an array to write into
        callee = _callee(call)
        if callee == "sign":
            signs.add(name)
        elif callee in ("add", "multiply") and name in signs and _by_a_number(call, name):
            yield node
        else:
            signs.discard(name)


def _callee(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else ""


def _by_a_number(call: ast.Call, name: str) -> bool:
    """``np.f(name, <number>, out=name)``."""
    first, second = (call.args + [None, None])[:2]
    number = isinstance(second, ast.Constant) or (
        isinstance(second, ast.UnaryOp) and isinstance(second.operand, ast.Constant)
    )
    return isinstance(first, ast.Name) and first.id == name and number
