"""Backpropagation rules for matrix expressions: given G = ∂L/∂P for a node P, the gradient
∂L/∂C of each child C, in C's shape (the layout convention: the gradient of a scalar by an
n × d matrix is n × d). One small function per node type, in a registry, as autograd's
``defvjp``; ``derive.proof.matrix_steps`` walks the loss with them.

A 1 × 1 node (uᵀv) carries its gradient as a number g. Each rule's docstring is its formula.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct
from sympy.matrices.expressions.matexpr import MatrixElement

from derive.errors import DeriveError


class NormSquared(sympy.Function):
    """‖v‖² = vᵀv of a vector v, kept whole while the loss is read in matrix form."""

    nargs = 1
    is_real = True

    @classmethod
    def eval(cls, v):
        if isinstance(v, sympy.MatrixBase):  # written out: the sum of the squares
            return sum((e**2 for e in v), sympy.S.Zero)
        return None


class OneNorm(sympy.Function):
    """‖v‖₁ = Σᵢ |vᵢ| of a vector v, kept whole while the loss is read in matrix form."""

    nargs = 1
    is_real = True

    @classmethod
    def eval(cls, v):
        if isinstance(v, sympy.MatrixBase):
            return sum((abs(e) for e in v), sympy.S.Zero)
        return None


class Softmax(sympy.MatrixExpr):
    """softmax(z) = e^z / Σₖ e^{zₖ} of a vector z, kept whole while the loss is read in
    matrix form."""

    @property
    def arg(self):
        return self.args[0]

    @property
    def shape(self):
        return self.arg.shape

    def _entry(self, i, j, **kwargs):
        return sympy.exp(self.arg[i, 0]) / _sum_of_exponentials(self.arg)

    def doit(self, **hints):
        z = self.arg.doit(**hints) if hints.get("deep", True) else self.arg
        if isinstance(z, sympy.MatrixBase):  # written out at a small size
            return sympy.ImmutableMatrix([[type(self)(z)._entry(i, 0)] for i in range(z.rows)])
        return type(self)(z)

    def _sympystr(self, printer):
        return f"softmax({printer._print(self.arg)})"

    def _latex(self, printer):
        return rf"\operatorname{{softmax}}\left({printer._print(self.arg)}\right)"


class LogSoftmax(Softmax):
    """log softmax(z) = z − log Σₖ e^{zₖ}, elementwise, of a vector z (the log of a softmax,
    kept whole: its gradient needs no division by a probability that may underflow)."""

    def _entry(self, i, j, **kwargs):
        return self.arg[i, 0] - sympy.log(_sum_of_exponentials(self.arg))

    def _sympystr(self, printer):
        return f"log softmax({printer._print(self.arg)})"

    def _latex(self, printer):
        return rf"\log \operatorname{{softmax}}\left({printer._print(self.arg)}\right)"


def _sum_of_exponentials(z) -> sympy.Expr:
    """Σₖ e^{zₖ} of a vector z: written out at a whole-number length."""
    n = sympy.sympify(z.shape[0])
    if n.is_Integer:
        return sympy.Add(*(sympy.exp(z[k, 0]) for k in range(int(n))))
    k = sympy.Dummy("k", integer=True)
    return sympy.Sum(sympy.exp(z[k, 0]), (k, 0, n - 1))


class GradientOf(sympy.Expr):
    """∂L/∂(P) for a matrix expression P, as a step prints it (SymPy's Derivative takes only
    symbols)."""

    def _sympystr(self, printer):
        loss, node = self.args
        shown = printer._print(node)
        shown = shown if isinstance(node, (sympy.MatrixSymbol, sympy.Symbol)) else f"({shown})"
        return f"∂{printer._print(loss)}/∂{shown}"

    def _latex(self, printer):
        loss, node = self.args
        shown = printer._print(node)
        if not isinstance(node, (sympy.MatrixSymbol, sympy.Symbol)):
            shown = rf"\left({shown}\right)"
        return rf"\frac{{\partial {printer._print(loss)}}}{{\partial {shown}}}"


class NotMatrixRule(DeriveError):
    """No matrix rule applies to a node (a scalar factor that depends on the variable)."""


@dataclass(frozen=True)
class MatrixRule:
    name: str
    children: Callable  # (node, G) -> [(child, ∂L/∂child)]


MATRIX_RULES: dict[type, MatrixRule] = {}


def matrix_rule(head: type, name: str):
    """Register ``function(node, G)`` as the rule for nodes of type ``head``."""

    def register(function):
        MATRIX_RULES[head] = MatrixRule(name, function)
        return function

    return register


def is_matrix(expr) -> bool:
    return isinstance(expr, sympy.MatrixExpr)


def _product(*factors) -> sympy.Expr:
    """The product of numbers and matrices, the numbers in front; 1 × 1 gradients are numbers."""
    numbers = sympy.Mul(*(f for f in factors if not is_matrix(f)))
    matrices = [f for f in factors if is_matrix(f)]
    if not matrices:
        return numbers
    if numbers == 1 and len(matrices) == 1:
        return matrices[0]
    return sympy.MatMul(numbers, *matrices).doit(deep=False)  # 2·Xᵀ·(Xw − y), kept whole


def scaled(number: sympy.Expr, matrix: sympy.Expr) -> sympy.Expr:
    """number·matrix as written, 2(Xw − y), not distributed into −2y + 2Xw."""
    return matrix if number == 1 else sympy.MatMul(number, matrix, evaluate=False)


def _constant(number: sympy.Expr) -> sympy.Expr:
    if number.has(sympy.MatrixSymbol):
        raise NotMatrixRule(f"a number that depends on a matrix multiplies a matrix: {number}")
    return number


@matrix_rule(sympy.MatAdd, "sum")
def sum_rule(node, G):
    """∂L/∂A = ∂L/∂B = G for P = A + B"""
    return [(term, G) for term in node.args]


@matrix_rule(sympy.MatMul, "matrix product")
def product_rule(node, G):
    """∂L/∂A = c·G·Bᵀ and ∂L/∂B = c·Aᵀ·G for P = c·A·B (more factors alike)"""
    c = _constant(sympy.Mul(*(a for a in node.args if not is_matrix(a))))
    factors = [a for a in node.args if is_matrix(a)]
    found = []
    for k, factor in enumerate(factors):
        left = [f.T for f in reversed(factors[:k])]
        right = [f.T for f in reversed(factors[k + 1 :])]
        found.append((factor, _product(c, *left, G, *right)))
    return found


@matrix_rule(sympy.Transpose, "transpose")
def transpose_rule(node, G):
    """∂L/∂A = Gᵀ for P = Aᵀ"""
    return [(node.arg, transposed(G))]


def transposed(G: sympy.Expr) -> sympy.Expr:
    """Gᵀ, the numbers in it left alone: SymPy's transpose writes out (wᵀx)₁₁ as a sum."""
    if not is_matrix(G):
        return G
    if isinstance(G, sympy.MatAdd):
        return sympy.MatAdd(*(transposed(t) for t in G.args))
    if isinstance(G, sympy.MatMul):
        numbers = [a for a in G.args if not is_matrix(a)]
        matrices = [transposed(a) for a in reversed(G.args) if is_matrix(a)]
        return _product(*numbers, *matrices)
    return sympy.Transpose(G).doit(deep=False)


@matrix_rule(HadamardProduct, "Hadamard product")
def hadamard_rule(node, G):
    """∂L/∂A = G ∘ B and ∂L/∂B = G ∘ A for P = A ∘ B"""
    found = []
    for k, factor in enumerate(node.args):
        others = [*node.args[:k], *node.args[k + 1 :]]
        found.append((factor, HadamardProduct(G, *others).doit(deep=False)))
    return found


@matrix_rule(HadamardPower, "elementwise power")
def hadamard_power_rule(node, G):
    """∂L/∂A = p·G ∘ A^∘(p−1) for P = A^∘p"""
    base, p = node.args
    slope = HadamardProduct(G, HadamardPower(base, p - 1)).doit(deep=False)
    return [(base, scaled(_constant(p), slope))]


def elementwise_rule(derivative: Callable):
    """∂L/∂A = G ∘ f′(A) for P = f(A) applied to each element; ``derivative(expr, t)`` is
    the scalar derivative (derive's rules, with their conventions at kinks)."""

    def rule(node, G):
        t = sympy.Dummy("t", real=True)
        slope = sympy.Lambda(t, derivative(node.function(t), t))
        return [(node.expr, HadamardProduct(G, node.expr.applyfunc(slope)).doit(deep=False))]

    return rule


ELEMENTWISE = "elementwise function"


@matrix_rule(MatrixElement, "a 1-by-1 product is a number")
def element_rule(node, g):
    """∂L/∂P = g for the number P₁₁ of a 1 × 1 product P"""
    return [(node.parent, g)]


@matrix_rule(sympy.Trace, "trace")
def trace_rule(node, g):
    """∂L/∂A = g·I for tr(A)"""
    return [(node.arg, scaled(g, sympy.Identity(node.arg.rows)))]


@matrix_rule(NormSquared, "squared norm")
def norm_squared_rule(node, g):
    """∂L/∂v = 2g·v for ‖v‖² = vᵀv"""
    return [(node.args[0], scaled(2 * g, node.args[0]))]


@matrix_rule(OneNorm, "1-norm")
def one_norm_rule(node, g):
    """∂L/∂v = g·sign(v) for ‖v‖₁ (sign(0) = 0)"""
    return [(node.args[0], scaled(g, node.args[0].applyfunc(sympy.sign)))]


@matrix_rule(Softmax, "softmax")
def softmax_rule(node, G):
    """∂L/∂z = p ∘ G − p·(pᵀG) for p = softmax(z)"""
    return [(node.arg, sympy.MatAdd(HadamardProduct(node, G), -sympy.MatMul(node, node.T, G)))]


@matrix_rule(LogSoftmax, "log-softmax")
def log_softmax_rule(node, G):
    """∂L/∂z = G − softmax(z)·(𝟏ᵀG) for log softmax(z)"""
    ones = sympy.OneMatrix(1, node.arg.shape[0])
    return [(node.arg, sympy.MatAdd(G, -sympy.MatMul(Softmax(node.arg), ones, G)))]


LEAVES = (MatrixElement, sympy.Trace, NormSquared, OneNorm)  # numbers made of matrices


def specimens() -> list[tuple[str, str, sympy.Expr, list]]:
    """(name, statement, node, [(child, ∂L/∂child)]) for each matrix rule, the node's own
    gradient G (g for a number): the rule table shows what the rule itself computes."""
    n, m, d = sympy.symbols("n m d", integer=True, positive=True)
    A, B = sympy.MatrixSymbol("A", n, d), sympy.MatrixSymbol("B", n, d)
    C = sympy.MatrixSymbol("B", d, m)
    u, v = sympy.MatrixSymbol("u", n, 1), sympy.MatrixSymbol("v", n, 1)
    S = sympy.MatrixSymbol("A", n, n)
    G, Gm = sympy.MatrixSymbol("G", n, d), sympy.MatrixSymbol("G", n, m)
    g, p = sympy.Symbol("g", real=True), sympy.Symbol("p", real=True)
    f = sympy.Function("f", real=True)
    t = sympy.Dummy("t", real=True)
    nodes = {
        sympy.MatAdd: (sympy.MatAdd(A, B), G),
        sympy.MatMul: (sympy.MatMul(A, C), Gm),
        sympy.Transpose: (sympy.Transpose(sympy.MatrixSymbol("A", d, n)), G),
        HadamardProduct: (HadamardProduct(A, B), G),
        HadamardPower: (HadamardPower(A, p), G),
        MatrixElement: (MatrixElement(u.T * v, 0, 0), g),
        sympy.Trace: (sympy.Trace(S), g),
        NormSquared: (NormSquared(u), g),
        OneNorm: (OneNorm(u), g),
        Softmax: (Softmax(u), sympy.MatrixSymbol("G", n, 1)),
        LogSoftmax: (LogSoftmax(u), sympy.MatrixSymbol("G", n, 1)),
    }
    found = []
    for head, rule in MATRIX_RULES.items():
        node, gradient = nodes[head]
        statement = " ".join((rule.children.__doc__ or "").split())
        found.append((rule.name, statement, node, rule.children(node, gradient)))
    elementwise = elementwise_rule(lambda expr, var: sympy.diff(expr, var))
    node = A.applyfunc(sympy.Lambda(t, f(t)))
    statement = "∂L/∂A = G ∘ f′(A) for P = f(A), f applied to each element"
    found.append((ELEMENTWISE, statement, node, elementwise(node, G)))
    return found
