"""Gradient code in matrix form: backpropagation as a person writes it in NumPy.

The loss read in matrix form (``Loss.in_matrices``: ‖Xw − y‖², uᵀσ(Wx + b)) is computed
forward once, each matrix expression one statement (``t1 = X @ w - y``); then backward, each
node's gradient from its parent's by the rules of ``rules.matrices`` (the rules whose steps
the derivation showed and checked), one statement each (``dL_dw = 2 * X.mT @ t1``). No
element is computed twice and every product is a BLAS ``@``.

Inside the functions a vector is a column (``w[..., None]``) and a number has two trailing
axes of length 1, so that ``@`` and ``.mT`` act on the last two axes while data sets stacked
along leading axes broadcast, each giving its own gradient.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.matexpr import MatrixElement

from derive import printing
from derive.codegen.arrays import AGREE
from derive.codegen.functions import function_lines
from derive.codegen.matrix_printer import MatrixPrinter
from derive.codegen.numpy_printer import NumPyCode
from derive.codegen.statements import Statement
from derive.model import CHECKED, PROVED, Derivation
from rules.matrices import (
    ELEMENTWISE,
    LEAVES,
    MATRIX_RULES,
    MatrixRule,
    NormSquared,
    OneNorm,
    elementwise_rule,
)


@dataclass(frozen=True)
class MatrixCode:
    """The statements of ``loss`` and ``gradient`` (code already written), what each
    returns, and the scalar expressions they print (for the helpers they need)."""

    loss: list[Statement]
    gradient: list[Statement]
    loss_return: str
    gradient_returns: list[str]
    printed: list[sympy.Expr]
    helpers: tuple[str, ...] = ()  # the source of the helper functions they call


def applies(d: Derivation) -> bool:
    """Whether every partial derivative came with backpropagation in matrix form whose
    result was proved or checked equal to it."""
    return (
        d.loss.in_matrices is not None
        and bool(d.partials)
        and all(p.matrix_steps and p.matrix_steps_verified in (PROVED, CHECKED) for p in d.partials)
    )


def matrix_functions(d, params, as_code, derivative, fresh, loss_name, outputs):
    """The lines of ``loss`` and ``gradient`` written in matrix form, each opened by the
    checks that the arrays agree on every length, and the expressions they print (for the
    helpers they call); None where the matrix rules do not cover the loss."""
    printer = NumPyCode()
    found = matrix_code(d, params, as_code, printer, derivative, fresh, loss_name, outputs)
    if found is None:
        return None
    checks = _length_checks(d.loss.in_matrices, {p.atom.name: p.name for p in params})
    guarded = any(e.has(sympy.Piecewise) for e in found.printed)
    loss_doc = f"The loss, in matrix form: {printing.text(d.loss.in_matrices, d.spellings)}"
    gradient_doc = (
        f"The partial derivatives {', '.join(outputs)}, by backpropagation in matrix form."
    )
    functions = [
        *function_lines("loss", params, loss_doc, found.loss, [found.loss_return], printer,
                        checks, guarded),
        "",
        "",
        *function_lines("gradient", params, gradient_doc, found.gradient,
                        found.gradient_returns, printer, checks, guarded),
    ]  # fmt: skip
    for helper in (*found.helpers, *((AGREE,) if checks else ())):
        functions = [*helper.strip("\n").splitlines(), "", "", *functions]
    return functions, found.printed


def _length_checks(loss, code_name: dict) -> tuple:
    """``_agree('d', W.shape[-1], x.shape[-1])`` for each length two arguments share, as
    the arguments come (a vector (…, d), a matrix (…, rows, columns))."""
    axes: dict = {}
    for name in code_name:
        matrix = next((m for m in loss.atoms(sympy.MatrixSymbol) if m.name == name), None)
        if matrix is None:
            continue
        rows, columns = matrix.shape
        found = [(rows, -1)] if columns == 1 else [(rows, -2), (columns, -1)]
        for length, axis in found:
            if not sympy.sympify(length).is_Integer:
                axes.setdefault(str(length), []).append(f"{code_name[name]}.shape[{axis}]")
    return tuple(("_agree(", [repr(n), *found], ")") for n, found in sorted(axes.items())
                 if len(found) > 1)  # fmt: skip


def matrix_code(
    d: Derivation, params, as_code, printer, derivative, fresh, loss_name, output_names
):
    """The functions' statements in matrix form, or None where the loss has a part the
    matrix rules do not cover. ``fresh`` yields temporaries' names, ``output_names`` are the
    gradients' names in ``WRT`` order."""
    loss = d.loss.in_matrices
    code_name = {p.atom.name: p.name for p in params}
    found = {m.name: m for m in loss.atoms(sympy.MatrixSymbol)}
    if not set(found) <= set(code_name):
        return None
    matrices = {n: found[n] for n in code_name if n in found}  # in the order of PARAMETERS
    variables = [matrices.get(p.var.base.label.name) for p in d.partials if p.var.is_Indexed]
    if len(variables) != len(d.partials) or None in variables:
        return None
    writer = _Writer(code_name, as_code, printer, matrices)
    try:
        return writer.write(d, loss, variables, derivative, fresh, loss_name, output_names)
    except (KeyError, NotImplementedError):
        return None


class _Writer(MatrixPrinter):
    """The forward statements, each matrix expression once, and the backward ones."""

    def write(self, d, loss, variables, derivative, fresh, loss_name, output_names):
        leaves = sorted(
            {e for e in sympy.preorder_traversal(loss) if isinstance(e, LEAVES)}, key=sympy.srepr
        )
        order, named = [], {}
        self.terms = _terms_of_one_sum(loss)
        for leaf in leaves:  # the 1-by-1 product P of a number P₁₁ is computed as that number
            top = leaf.args[0]
            for node in top.args if isinstance(leaf, MatrixElement) else (top,):
                self._name_nodes(node, named, order, fresh)
        forward = [self._entry(m) for m in self.matrices.values() if m.shape[1] == 1]
        numbers = [s for s in loss.free_symbols if not isinstance(s, sympy.MatrixSymbol)]
        forward += [self._entry_number(s) for s in sorted(numbers, key=str)]
        for node in order:
            rebuilt = _rebuilt(node, named)
            forward.append(Statement(named[node].name, self.code(rebuilt), self._shown(node, d)))
        values = {leaf: sympy.Symbol(next(fresh).name, real=True) for leaf in leaves}
        for leaf in leaves:
            code = self._leaf_code(
                _rebuilt(leaf, named)
                if not isinstance(leaf, MatrixElement)
                else leaf.func(_rebuilt(leaf.args[0], named), 0, 0)
            )
            forward.append(Statement(values[leaf].name, code, self._shown(leaf, d)))
        scalar = loss.xreplace(values)
        if scalar.has(sympy.MatrixExpr):
            raise NotImplementedError("a matrix inside a number")
        forward.append(Statement("value", self.scalar(scalar)))
        backward = self._backward(
            d, scalar, leaves, values, named, order, variables, derivative, loss_name
        )
        gradients = []
        for var, output in zip(variables, output_names, strict=True):
            total = backward.totals.get(var)
            if total is None:
                code = f"np.zeros_like({self.code_name[var.name]})"
            else:
                code = self.code(sympy.MatAdd(*total) if len(total) > 1 else total[0])
            shown = printing.text(sympy.Symbol(var.name), d.spellings)
            gradients.append(Statement(output, code, f"∂{loss_name}/∂{shown}"))
        returns = [f"{g.name}[..., 0]" if v.shape[1] == 1 else g.name
                   for g, v in zip(gradients, variables, strict=True)]  # fmt: skip
        gradient_statements = forward[:-1] + backward.statements + gradients
        return MatrixCode(
            live(forward, ["value"]),
            live(gradient_statements, returns),
            "value[..., 0, 0]",
            returns,
            self.printed,
            tuple(sorted(self.helpers)),
        )

    def _name_nodes(self, node, named, order, fresh) -> None:
        """Post-order: each composite matrix expression once, children first."""
        if not isinstance(node, sympy.MatrixExpr) or node in named:
            return
        if isinstance(node, (sympy.MatrixSymbol, sympy.Identity, sympy.OneMatrix)):
            return
        for child in node.args:
            self._name_nodes(child, named, order, fresh)
        if _symbol_as_written(node) or node in self.terms:
            return  # uᵀ, −y, and a term of one sum (X·w in X·w − y): written where used
        named[node] = sympy.MatrixSymbol(next(fresh).name, *node.shape)
        order.append(node)

    def _backward(self, d, scalar, leaves, values, named, order, variables, derivative, loss_name):
        rules = dict(MATRIX_RULES)
        rules[ElementwiseApplyFunction] = MatrixRule(ELEMENTWISE, elementwise_rule(derivative))
        original = {v: k for k, v in named.items()}
        incoming: dict = {}
        statements: list[Statement] = []

        def spread(node, gradient) -> None:
            rebuilt = _rebuilt(node, named)
            for child, child_gradient in rules[type(node)].children(rebuilt, gradient):
                if node in named:  # softmax(z) in its own gradient: by its name
                    child_gradient = child_gradient.xreplace({rebuilt: named[node]})
                child = original.get(child, child)
                if not child.has(*variables):
                    continue
                if child in named or isinstance(child, sympy.MatrixSymbol):
                    incoming.setdefault(child, []).append(child_gradient)
                else:  # an unnamed node (uᵀ): on at once
                    spread(child, child_gradient)

        for leaf in leaves:
            g = derivative(scalar, values[leaf])
            if g == 0 or not leaf.has(*variables):
                continue
            if g.is_number:  # ∂L/∂‖v‖² = 1: no name for a number
                spread(leaf.parent if isinstance(leaf, MatrixElement) else leaf, g)
                continue
            name = sympy.Symbol(f"d{loss_name}_d{values[leaf].name}", real=True)
            shown = f"∂{loss_name}/∂({printing.text(leaf, d.spellings)})"
            statements.append(Statement(name.name, self.scalar(g), shown))
            spread(leaf.parent if isinstance(leaf, MatrixElement) else leaf, name)
        for node in reversed(order):
            parts = incoming.get(node)
            if not parts:
                continue
            total = sympy.MatAdd(*parts) if len(parts) > 1 else parts[0]
            if isinstance(total, (sympy.Symbol, sympy.MatrixSymbol)) or _identity(total):
                spread(node, total)  # the parent's gradient as it is (g·I): no new name
                continue
            name = f"d{loss_name}_d{named[node].name}"
            shown = f"∂{loss_name}/∂({printing.text(node, d.spellings)})"
            statements.append(Statement(name, self.code(total), shown))
            gradient = (
                sympy.MatrixSymbol(name, *node.shape)
                if isinstance(total, sympy.MatrixExpr)
                else sympy.Symbol(name, real=True)
            )
            spread(node, gradient)
        return _Backward(statements, {v: incoming[v] for v in variables if v in incoming})

    def _entry(self, matrix: sympy.MatrixSymbol) -> Statement:
        name = self.code_name[matrix.name]
        if matrix.shape[1] == 1:
            return Statement(name, f"{name}[..., None]", "a column")
        return Statement(name, name)

    def _entry_number(self, symbol: sympy.Symbol) -> Statement:
        name = self.code_name[symbol.name]
        return Statement(name, f"{name}[..., None, None]")

    def _leaf_code(self, leaf) -> str:
        """A number made of matrices, kept with two axes of length 1."""
        if isinstance(leaf, MatrixElement):
            return self.code(leaf.args[0])
        if isinstance(leaf, sympy.Trace):
            return f"np.trace({self.code(leaf.arg)}, axis1=-2, axis2=-1)[..., None, None]"
        if isinstance(leaf, NormSquared):
            return f"np.sum({self._atom(leaf.args[0])}**2, axis=(-2, -1), keepdims=True)"
        if isinstance(leaf, OneNorm):
            return f"np.sum(np.abs({self.code(leaf.args[0])}), axis=(-2, -1), keepdims=True)"
        raise NotImplementedError(type(leaf).__name__)

    def _shown(self, node, d) -> str:
        return printing.text(node, d.spellings)


@dataclass(frozen=True)
class _Backward:
    statements: list[Statement]
    totals: dict


def _identity(G) -> bool:
    """g·I, the gradient of a trace: products with it are left out rather than computed."""
    if isinstance(G, sympy.MatMul):
        factors = [a for a in G.args if isinstance(a, sympy.MatrixExpr)]
        return len(factors) == 1 and isinstance(factors[0], sympy.Identity)
    return isinstance(G, sympy.Identity)


def _symbol_as_written(node) -> bool:
    """uᵀ, −y, 2w: a matrix symbol transposed or scaled, written out where it is used."""
    if isinstance(node, sympy.Transpose):
        return isinstance(node.arg, sympy.MatrixSymbol)
    if isinstance(node, sympy.MatMul):
        factors = [a for a in node.args if isinstance(a, sympy.MatrixExpr)]
        return len(factors) == 1 and isinstance(factors[0], sympy.MatrixSymbol)
    return False


def _terms_of_one_sum(loss) -> set:
    """The matrix expressions that occur once in ``loss``, as a term of a sum: the sum rule
    passes its gradient to them without their values, so they need no name of their own."""
    seen: dict = {}
    for node in sympy.preorder_traversal(loss):
        for child in node.args:
            if isinstance(child, sympy.MatrixExpr):
                seen.setdefault(child, []).append(node)
    return {
        child
        for child, parents in seen.items()
        if len(parents) == 1 and isinstance(parents[0], sympy.MatAdd)
    }


def live(statements: list[Statement], returns: list[str]) -> list[Statement]:
    """The statements that the returned values need, in order (dead code dropped)."""
    needed = set(re.findall(r"[A-Za-z_]\w*", " ".join(returns)))
    kept = []
    for statement in reversed(statements):
        if statement.name in needed:
            kept.append(statement)
            expr = statement.expr if isinstance(statement.expr, str) else str(statement.expr)
            needed |= set(re.findall(r"[A-Za-z_]\w*", expr))
    return kept[::-1]


def _rebuilt(node, named):
    """``node`` with each named child by its name."""
    if not node.args:
        return node
    args = [named.get(a, a) for a in node.args]
    if all(a is b for a, b in zip(args, node.args, strict=True)):
        return node
    return node.func(*args)
