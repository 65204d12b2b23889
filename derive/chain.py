"""Backpropagation through definitions, step by step: upstream gradient times local gradient.

For a loss L written with intermediates (``z = w x + b``, ``a = σ(z)``, ``L = (a − y)²``), the
derivative by an input x is the multivariate chain rule, summed over the intermediates c
that use x directly:

    ∂L/∂x = Σ_c ∂L/∂c · ∂c/∂x        (∂L/∂c upstream, ∂c/∂x local)

with ∂L/∂c worked out the same way, down from the loss. Each local derivative ∂c/∂x is the
derivative of c's definition with the other intermediates held fixed: derived step by step
by the engine once (and shared between the inputs), and proved against SymPy like any step.
An upstream gradient is then proved by the chain rule from its proved factors; the whole
result, in the inputs, is compared with SymPy's own derivative of the loss as well.
"""

from __future__ import annotations

import dataclasses

import sympy

from derive import printing
from derive.deadline import check
from derive.engine import Differentiator, FoundKink
from derive.model import Definition, Loss, Step
from derive.proof.prover import Prover, weakest
from rules.registry import Rule, depends


def backpropagation(expr, var):
    """∂L/∂x = Σ_c ∂L/∂c · ∂c/∂x over the intermediates c that use x: the upstream gradient
    ∂L/∂c times the local gradient ∂c/∂x"""
    raise NotImplementedError("the chain is assembled by derive.chain")


def _definition(expr, var):
    """∂c/∂x = ∂/∂x (the definition of c), the other intermediates held fixed"""
    raise NotImplementedError("the chain is assembled by derive.chain")


BACKPROPAGATION = Rule("chain rule (upstream times local)", backpropagation,
                       " ".join(backpropagation.__doc__.split()), family="chain")  # fmt: skip


def definition_rule(name: str) -> Rule:
    """The rule that puts in the definition of ``name`` (plain text)."""
    return Rule(f"definition of {name}", _definition, " ".join(_definition.__doc__.split()),
                family="chain")  # fmt: skip


@dataclasses.dataclass
class Chain:
    """The chain of one loss: its definitions, the loss symbol L, and each local derivative
    (definition or loss, variable) derived and proved once, shared between the inputs."""

    loss: Loss
    loss_symbol: sympy.Symbol
    differentiator: Differentiator
    prover: Prover

    def __post_init__(self):
        self.nodes: dict[sympy.Symbol, Definition] = self.loss.intermediates
        self.locals: dict[tuple, tuple[Step, tuple[FoundKink, ...]]] = {}
        self.upstream: dict[sympy.Symbol, tuple[Step, tuple[FoundKink, ...]]] = {}

    def partial(self, var: sympy.Symbol) -> tuple[Step, list[FoundKink]]:
        """The step tree of ∂L/∂var through the chain (its result in the intermediates'
        names), and the kinks met, in the inputs' terms."""
        step, kinks = self._gradient(var)
        return step, [self._in_inputs(kink) for kink in kinks]

    def _gradient(self, target: sympy.Symbol) -> tuple[Step, tuple[FoundKink, ...]]:
        """∂L/∂target: the loss's own local derivative, plus each user's upstream × local;
        the same for every input, so worked out once."""
        if target in self.upstream:
            return self.upstream[target]
        check()
        top = self.loss.top
        users = [c for c in self.nodes if depends(self.nodes[c].expr, target)]
        factors, rewrite, result, kinks = [], [], [], []
        if depends(top, target):
            direct, found = self._local(top, target)
            if not users:  # ∂L/∂target is the loss's own local gradient
                step = self._named(self.loss_symbol, target, direct)
                self.upstream[target] = (step, found)
                return step, found
            factors.append(direct)
            rewrite.append(direct.pending)
            result.append(direct.result)
            kinks += found
        for user in users:
            (upstream, above), (local, found) = self._gradient(user), self._definition(user, target)
            factors += [upstream, local]
            rewrite.append(sympy.Mul(upstream.pending, local.pending, evaluate=False))
            result.append(upstream.result * local.result)
            kinks += [*above, *found]
        # Proved by the chain rule when its factors are: each local derivative proved
        # against SymPy, each upstream gradient likewise in turn. The whole result is
        # compared with SymPy's derivative of the loss in the inputs as well.
        verdict = weakest(*(f.verified for f in factors))
        step = Step(BACKPROPAGATION, self.loss_symbol, target, sympy.Add(*rewrite),
                    sympy.Add(*result), tuple(factors), verdict)  # fmt: skip
        self.upstream[target] = (step, tuple(kinks))
        return self.upstream[target]

    def _local(self, expr: sympy.Expr, target: sympy.Symbol) -> tuple[Step, tuple]:
        """∂expr/∂target with the other names held fixed, derived and proved once."""
        key = (expr, target)
        if key not in self.locals:
            derived = self.differentiator.derive(expr, target)
            self.locals[key] = (self.prover.verify(derived.step), derived.kinks)
        return self.locals[key]

    def _definition(self, name: sympy.Symbol, target: sympy.Symbol) -> tuple[Step, tuple]:
        """∂name/∂target = ∂/∂target (name's definition): the local gradient."""
        local, kinks = self._local(self.nodes[name].expr, target)
        return self._named(name, target, local), kinks

    def _named(self, name: sympy.Symbol, target: sympy.Symbol, local: Step) -> Step:
        """∂name/∂target = ∂/∂target (its definition) = the local derivative, written in
        the intermediates' names where their definitions occur in it (σ(z) as a)."""
        spelled = printing.latex_to_text(self.loss.spellings.get(name.name, name.name))
        named = _in_names(local.result, {d.expr: d.name for d in self.loss.definitions})
        return Step(definition_rule(spelled), name, target, local.pending, named, (local,),
                    local.verified)  # fmt: skip

    def _in_inputs(self, kink: FoundKink) -> FoundKink:
        """A kink of a local derivative, said in the inputs' terms."""
        spec = kink.spec
        choices = tuple((self.inputs(a), self.inputs(v)) for a, v in spec.choices)
        equation = spec.equation and tuple(self.inputs(e) for e in spec.equation)
        spec = dataclasses.replace(spec, where=self.inputs(spec.where), choices=choices,
                                   equation=equation)  # fmt: skip
        return FoundKink(spec, self.inputs(kink.source), self.inputs(kink.region))

    def inputs(self, expr):
        """``expr`` with every intermediate put in, down to the inputs."""
        for definition in reversed(self.loss.definitions):
            name, value = definition.name, definition.expr
            if any(name in d.variables for d in expr.atoms(sympy.Derivative)):
                expr = expr.subs(name, value)  # h'(z) at z = wx + b: a Subs, not d/d(wx + b)
            else:
                expr = expr.xreplace({name: value})
        return expr


def _in_names(expr: sympy.Basic, names: dict) -> sympy.Basic:
    """``expr`` with each intermediate's definition written as its name (σ(z) as a), but not
    inside a derivative: f'(x) for z = f(x) stays f'(x) (d z/dx of a plain symbol is 0)."""
    if expr in names:
        return names[expr]
    if not expr.args or isinstance(expr, (sympy.Derivative, sympy.Subs)):
        return expr
    args = tuple(_in_names(a, names) for a in expr.args)
    return expr if args == expr.args else expr.func(*args)
