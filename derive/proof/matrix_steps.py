"""Backpropagation in matrix form: a loss read with vectors and matrices (``Loss.in_matrices``)
walked from the top, each node's gradient ∂L/∂P in P's shape found from its parent's by a rule
of ``rules.matrices``: ∂/∂w ‖Xw − y‖² goes through ∂L/∂(Xw − y) = 2(Xw − y), ∂L/∂(Xw) (sum)
and ∂L/∂w = Xᵀ·2(Xw − y) (matrix product).

Each step is checked where it stands: with H a matrix of symbols in place of the parent's
gradient and the child C made a matrix of symbols, ∂/∂C Σ H ∘ P(C) must equal the rule's
∂L/∂C, written out at small sizes (2, 3, 4 for the dimensions) and compared exactly by SymPy.
``with_matrix_steps`` gives each partial by an element (w_k) the steps that reach w, when
their result's element equals the partial (else the result in matrix form by the table of
``matrix_form``).
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

import sympy
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.matexpr import MatrixElement

from derive.deadline import attempt
from derive.engine import derivative
from derive.errors import DeriveError
from derive.model import CHECKED, FAILED, UNVERIFIED, Loss, Partial
from derive.proof.explicit import array_shapes
from derive.proof.matrix_form import element_of, matrix_form
from derive.proof.prover import Prover
from rules.matrices import (
    ELEMENTWISE,
    LEAVES,
    MATRIX_RULES,
    MatrixRule,
    NotMatrixRule,
    elementwise_rule,
    is_matrix,
)

PATHS = "sum over the paths"  # a variable reached more than once: its gradients added
STEP_SECONDS = 5.0  # the check of one step written out; past it the step is left unchecked


@dataclass(frozen=True)
class MatrixStep:
    """∂L/∂``node`` = ``gradient`` by ``rule`` (from the gradient of the node above)."""

    node: sympy.Expr
    gradient: sympy.Expr
    rule: str
    verified: str


@dataclass(frozen=True)
class MatrixDerivation:
    """The steps from the loss down, and the gradient of each variable (every path summed)."""

    steps: tuple[MatrixStep, ...]
    gradients: dict  # MatrixSymbol -> its gradient, in its shape


def _rules(derivative) -> dict[type, MatrixRule]:
    rules = dict(MATRIX_RULES)
    rules[ElementwiseApplyFunction] = MatrixRule(ELEMENTWISE, elementwise_rule(derivative))
    return rules


def backpropagate(loss: sympy.Expr, variables, derivative) -> MatrixDerivation:
    """The matrix-form derivation of ``loss`` (a number made of matrix expressions) by the
    matrix symbols ``variables``; ``derivative(expr, t)`` differentiates numbers. Raises
    NotMatrixRule where no rule applies."""
    rules = _rules(derivative)
    variables = set(variables)
    steps: list[MatrixStep] = []
    totals: dict = {}

    def visit(node, gradient, parent=None, rule=None, position=0):
        if parent is not None:
            verdict = _checked(parent, position, rule)
            steps.append(MatrixStep(node, gradient, rule.name, verdict))
        if node in variables:
            totals.setdefault(node, []).append(gradient)
            return
        if not node.has(*variables):
            return
        found = rules.get(type(node))
        if found is None:
            raise NotMatrixRule(f"no matrix rule for {type(node).__name__}")
        for position, (child, child_gradient) in enumerate(found.children(node, gradient)):
            if child.has(*variables):
                visit(child, child_gradient, node, found, position)

    for leaf, g in _leaf_gradients(loss, derivative):
        visit(leaf, g)
    gradients = {}
    for var, parts in totals.items():
        gradients[var] = parts[0] if len(parts) == 1 else sympy.MatAdd(*parts)
        if len(parts) > 1:
            steps.append(MatrixStep(var, gradients[var], PATHS, ""))
    return MatrixDerivation(tuple(steps), gradients)


def _leaf_gradients(loss: sympy.Expr, derivative) -> list[tuple[sympy.Expr, sympy.Expr]]:
    """Each number made of matrices in the loss (uᵀv, tr A, ‖v‖²) with ∂L/∂ of it, by the
    rules for numbers: the loss with those numbers as symbols is an ordinary function."""
    leaves = sorted(
        {e for e in sympy.preorder_traversal(loss) if isinstance(e, LEAVES)}, key=sympy.srepr
    )
    if not leaves:
        raise NotMatrixRule("the loss has no matrix expression")
    names = {leaf: sympy.Dummy(f"m{k}", real=True) for k, leaf in enumerate(leaves)}
    scalar = loss.xreplace(names)
    if scalar.has(sympy.MatrixSymbol, sympy.MatrixExpr):
        raise NotMatrixRule("a matrix inside a number the rules cannot name")
    back = {v: k for k, v in names.items()}
    return [(leaf, derivative(scalar, names[leaf]).xreplace(back)) for leaf in leaves]


def _checked(parent, position: int, rule: MatrixRule) -> str:
    """CHECKED when the rule's gradient of the parent's child at ``position`` agrees with
    ∂/∂C Σ H ∘ P(C) written out at small sizes, FAILED when not; "" (unverified) when it
    could not be decided."""
    return attempt(lambda: _written_out_check(parent, position, rule), "", STEP_SECONDS)


def _written_out_check(parent, position: int, rule: MatrixRule) -> str:
    scalar_parent = not is_matrix(parent) or parent.shape == (1, 1)
    H = sympy.Symbol("h_", real=True) if scalar_parent else sympy.MatrixSymbol("H_", *parent.shape)
    children = [c for c, _ in rule.children(parent, H)]
    C = sympy.MatrixSymbol("C_", *children[position].shape)
    P = _with_argument(parent, children, C, position)
    if P is None:
        return ""
    concrete = {d: sympy.Integer(v) for d, v in _small_sizes(parent).items()}
    claim = rule.children(P, H)[position][1]
    P, claim = P.xreplace(concrete), claim.xreplace(concrete)
    symbols = {
        m: sympy.ImmutableMatrix(
            *m.shape, lambda i, j, m=m: sympy.Symbol(f"{m.name}{i}_{j}", real=True)
        )
        for m in (P.atoms(sympy.MatrixSymbol) | claim.atoms(sympy.MatrixSymbol))
    }
    C_ = symbols[C.xreplace(concrete)]
    value = _explicit(P, symbols)
    if scalar_parent:
        total = (value[0, 0] if isinstance(value, sympy.MatrixBase) else value) * H
    else:
        weights = symbols[H.xreplace(concrete)]
        total = sum((a * b for a, b in zip(weights, value, strict=True)), sympy.S.Zero)
    by_element = sympy.Matrix(*C_.shape, lambda i, j: sympy.diff(total, C_[i, j]))
    return CHECKED if _equal_at_random_points(by_element, _explicit(claim, symbols)) else FAILED


def _with_argument(parent, children: list, C, position: int):
    """The parent with its child at ``position`` of ``children`` (and only there) made the
    symbol C."""
    args, child = list(parent.args), children[position]
    matching = [k for k, a in enumerate(args) if a == child]
    earlier = sum(1 for c in children[:position] if c == child)
    if earlier >= len(matching):
        return None
    args[matching[earlier]] = C
    return parent.func(*args)


def _explicit(expr, symbols: dict):
    """``expr`` with each matrix symbol a matrix of symbols, worked out (a number stays one)."""
    value = expr.xreplace(symbols).doit()
    if isinstance(value, sympy.MatrixExpr):
        value = value.as_explicit()
    return value


def _small_sizes(expr) -> dict:
    """Each dimension symbol a different small size (2, 3, 4, …): a transposed product of
    the wrong shape fails rather than passing on square matrices."""
    dims = sorted(
        {
            s
            for m in expr.atoms(sympy.MatrixSymbol)
            for d in m.shape
            for s in sympy.sympify(d).free_symbols
        },
        key=str,
    )
    return {d: 2 + k for k, d in enumerate(dims)}


def _equal_at_random_points(a, b, points: int = 3) -> bool:
    """Whether two explicit matrices (or numbers) agree at random rational points."""
    a, b = sympy.Matrix([a]) if not isinstance(a, sympy.MatrixBase) else a, b
    b = sympy.Matrix([b]) if not isinstance(b, sympy.MatrixBase) else b
    if a.shape != b.shape:
        return False
    symbols = sorted((a.free_symbols | b.free_symbols), key=str)
    rng = random.Random(7)
    for _ in range(points):
        point = {s: sympy.Rational(rng.randint(-9, 9), rng.randint(1, 5)) for s in symbols}
        for x, y in zip(a.xreplace(point), b.xreplace(point), strict=True):
            gap = sympy.N(x.doit() - y.doit(), 30)
            if not gap.is_number or abs(gap) > 1e-20:
                return False
    return True


def matrix_derivation(loss, variables, derivative) -> MatrixDerivation | None:
    """``backpropagate``, or None where no rule applies or the work cannot finish."""
    try:
        return backpropagate(loss, variables, derivative)
    except (DeriveError, TypeError, ValueError, AttributeError, NotImplementedError):
        return None


MATRIX_SECONDS = 10.0  # backpropagation in matrix form and the check of its steps


def with_matrix_steps(partials: tuple, loss: Loss, prover: Prover) -> tuple:
    """Each partial by an element of a vector or matrix (w_k) with the backpropagation in
    matrix form that reaches it, when its gradient's element equals the partial derivative
    (proved or checked); the others as they are."""
    arrays = {m.name: m for m in loss.in_matrices.atoms(sympy.MatrixSymbol)}
    wanted = [
        arrays[p.var.base.label.name]
        for p in partials
        if isinstance(p.var, sympy.Indexed) and p.var.base.label.name in arrays
    ]
    found = None
    if wanted:
        found = attempt(
            lambda: matrix_derivation(loss.in_matrices, wanted, derivative), None, MATRIX_SECONDS
        )
    done = []
    for p in partials:
        matrix = arrays.get(p.var.base.label.name) if isinstance(p.var, sympy.Indexed) else None
        gradient = None if found is None else found.gradients.get(matrix)
        if gradient is None or p.formula is None:
            done.append(_with_matrix_form(p, loss, prover))
            continue
        element = attempt(lambda g=gradient, v=p.var: element_of(g, v), None)
        verdict = FAILED if element is None else prover.equal(element, p.formula, loss.expr)
        if verdict == FAILED or any(s.verified == FAILED for s in found.steps):
            done.append(_with_matrix_form(p, loss, prover))  # the index form stands alone
            continue
        steps = tuple(
            _named(dataclasses.replace(s, verified=verdict) if s.rule == PATHS else s, loss)
            for s in found.steps
            if s.node.has(matrix)
        )  # the paths' sum holds when the result equals the derivative by the element
        done.append(
            dataclasses.replace(
                p,
                matrix=gradient,
                matrix_verified=verdict,
                matrix_steps=steps,
                matrix_steps_verified=verdict,
            )
        )
    return tuple(done)


def _with_matrix_form(p: Partial, loss: Loss, prover: Prover) -> Partial:
    """The partial with its result in matrix form by the table (``matrix_form``)."""
    if p.formula is None:
        return p
    matrix, verdict = table_matrix_form(p.formula, p.var, loss, prover)
    return dataclasses.replace(p, matrix=matrix, matrix_verified=verdict)


def _named(step, loss: Loss):
    """A step with each defined number in its name (∂J/∂s, not ∂J/∂(uᵀσ(Wx + b)))."""
    if not loss.matrix_names:
        return step
    names = dict(loss.matrix_names)
    names.update({v.parent: n for v, n in loss.matrix_names if isinstance(v, MatrixElement)})
    return dataclasses.replace(
        step, node=step.node.xreplace(names), gradient=step.gradient.xreplace(names)
    )


def table_matrix_form(formula, var, loss: Loss, prover: Prover):
    """The derivative by an element (w_k) as a matrix expression, when one is found and it
    agrees with the formula (proved or checked); else (None, UNVERIFIED)."""
    if not isinstance(var, sympy.Indexed):
        return None, UNVERIFIED
    shapes = {base.name: dims for base, dims in array_shapes(loss.expr).items()}
    matrix = attempt(lambda: matrix_form(formula, var, shapes), None)  # by structure: quick
    if matrix is None:
        return None, UNVERIFIED
    element = attempt(lambda: element_of(matrix, var), None)
    verdict = FAILED if element is None else prover.equal(element, formula, loss.expr)
    return (None, UNVERIFIED) if verdict == FAILED else (matrix, verdict)


__all__ = ["MatrixDerivation", "MatrixStep", "matrix_derivation", "with_matrix_steps"]
