"""What every format shows, decided once: the lines of each derivation, their labels, and the
sentences about kinks and verification. The formats only typeset it.

A derivation is shown as an equation chain, one line per depth of the step tree: each line
works out every derivative still pending in the line before (as derivative-calculator
websites and lecture notes do), named by the rules it used.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from derive.deadline import check
from derive.emit.sentence import Sentence, with_formulas
from derive.model import CHECKED, FAILED, PROVED, UNVERIFIED, Derivation, Kink, Partial, Step
from rules.matrices import GradientOf
from rules.ties import off_the_ties

_RANK = {PROVED: 0, CHECKED: 1, UNVERIFIED: 2, FAILED: 3}


@dataclass(frozen=True)
class Label:
    """What a line used: a rule, or the chain rule with its outer step (d/du f(u) = f'(u))."""

    rule: str
    outer: Step | None = None


@dataclass(frozen=True)
class Line:
    """``= expr``, reached by applying ``labels``; ``verified`` is the weakest of their steps."""

    expr: sympy.Expr
    labels: tuple[Label, ...]
    verified: str


def is_leaf(step: Step) -> bool:
    """A step that needs no line of its own: constants, the variable, f'(x) itself."""
    return step.rule.trivial or step.rewrite == step.pending


def weakest(statuses) -> str:
    """The least certain of several verdicts (failed < checked < proved)."""
    statuses = [s for s in statuses if s in _RANK]
    return max(statuses, key=_RANK.get) if statuses else PROVED


def chain_lines(root: Step, final: sympy.Expr | None = None, form: str | None = None) -> list[Line]:
    """The equation chain from d(expr)/d(var) to the result; ``final``, when given and
    different, is the result simplified or written in ``form``, as one more line."""
    lines: list[Line] = []
    current = root.pending
    frontier = [root]
    while frontier:
        check()  # a long chain is typeset within the request's deadline too
        frontier = list({id(step): step for step in frontier}.values())  # shared steps once
        replacements, labels, statuses, following = {}, [], [], []
        for step in frontier:
            if is_leaf(step):
                continue
            replacements[sympy.Derivative(step.expr, step.var)] = step.rewrite
            outer = next((s for s in step.substeps if s.outer), None)
            label = Label(step.rule.name, outer)
            if label not in labels:
                labels.append(label)
            statuses.append(step.verified)
            if outer is not None:
                statuses.append(outer.verified)
            for sub in step.substeps:
                if sub.outer:
                    continue
                if is_leaf(sub) and not sub.rule.trivial:
                    if Label(sub.rule.name) not in labels:
                        labels.append(Label(sub.rule.name))
                    statuses.append(sub.verified)
                else:
                    following.append(sub)
        if not replacements:
            break
        current = current.xreplace(replacements)
        lines.append(Line(current, tuple(labels), weakest(statuses)))
        frontier = following
    if not lines or lines[-1].expr != root.result:
        lines.append(Line(root.result, (Label("collect terms"),), PROVED))
    if final is not None and final != lines[-1].expr:
        label = f"written with {'H' if form == 'heaviside' else form}" if form else "simplify"
        lines.append(Line(final, (Label(label),), PROVED))
    return lines


def partial_lines(partial: Partial, form: str | None) -> list[Line]:
    """The chain of one partial derivative, ending at the result as shown. Through
    definitions: the result in the intermediates' names, then in the inputs."""
    final = None if partial.cases else partial.result
    if partial.in_intermediates is None:
        lines = chain_lines(partial.step, final, form)
    else:
        lines = chain_lines(partial.step, partial.in_intermediates)
        for k, line in enumerate(lines):
            if line.labels == (Label("collect terms"),) and line.expr == partial.step.result:
                lines[k] = Line(line.expr, (Label("in the intermediates' names"),), line.verified)
        if partial.formula is not None and partial.formula != lines[-1].expr:
            label = Label("definitions put in: in the inputs")
            lines.append(Line(partial.formula, (label,), partial.step.verified))
        if final is not None and final != lines[-1].expr:
            label = Label(f"written with {'H' if form == 'heaviside' else form}")
            lines.append(Line(final, (label,), PROVED))
    if final is not None and lines[-1].expr is final:
        lines[-1] = Line(final, lines[-1].labels, partial.verified)
    return lines


def uses_partial(derivation: Derivation) -> bool:
    """∂ when the loss has several variables, d when it has one."""
    return len(derivation.expr.free_symbols) > 1


def verification_summary(partial: Partial) -> str:
    """One sentence on how the steps and the result were verified, and a second on the
    cases form's region values when one was not proved."""
    return _steps_summary(partial) + _cases_summary(partial)


def _steps_summary(partial: Partial) -> str:
    steps = partial.steps
    counts = {status: sum(1 for s in steps if s.verified == status) for status in _RANK}
    n = len(steps)
    verdict = partial.compared or _result_verdict(partial)
    final = {
        PROVED: "the result equals SymPy's own derivative",
        CHECKED: "the result agrees with SymPy's own derivative at random points "
        "(SymPy could not decide symbolically)",
        UNVERIFIED: "the result could not be compared with SymPy's own derivative",
        FAILED: "THE RESULT DISAGREES WITH SYMPY'S OWN DERIVATIVE",
    }[verdict]
    if verdict != FAILED and off_the_ties(partial.result) != partial.result:
        final += (
            " wherever fewer than three arguments of a max or min tie (where more tie, SymPy's "
            "is not a subgradient; derive's gives each of them an equal share)"
        )
    if n == 1 and counts[PROVED]:
        return f"The step is proved by SymPy; {final}."
    if counts[FAILED]:
        return f"{counts[FAILED]} of {n} steps FAILED verification; {final}."
    if counts[CHECKED]:
        return (
            f"{counts[PROVED]} of {n} steps proved, {counts[CHECKED]} checked numerically "
            f"at random points; {final}."
        )
    if any(s.rule.family == "chain" for s in steps):
        return (
            f"All {n} steps proved: each local derivative by SymPy, the chain by the chain "
            f"rule; {final}."
        )
    return f"All {n} steps proved by SymPy; {final}."


def _result_verdict(partial: Partial) -> str:
    """The verdict on the formula itself; the cases form's values are summarised apart (the
    formula there is the one derived, whose verdict is its first step's)."""
    return partial.step.verified if partial.cases else partial.verified


def _cases_summary(partial: Partial) -> str:
    counts = {status: sum(1 for c in partial.cases if c.verified == status) for status in _RANK}
    n = len(partial.cases)
    parts = []
    if counts[FAILED]:
        parts.append(f"{counts[FAILED]} of {n} region values FAILED verification")
    if counts[CHECKED]:
        parts.append(
            f"{counts[CHECKED]} of {n} region values checked numerically at random points "
            "of their region, not proved"
        )
    if counts[UNVERIFIED]:
        parts.append(
            f"{counts[UNVERIFIED]} of {n} region values could not be verified (no random "
            "point fell in their region)"
        )
    return "".join(f" {part[0].upper()}{part[1:]}." for part in parts)


def status_mark(status: str) -> str:
    """A short word for a line's verdict; empty when proved."""
    marks = {
        PROVED: "",
        CHECKED: "checked numerically",
        FAILED: "FAILED",
        UNVERIFIED: "not verified",
    }
    return marks.get(status, status)


def reals_sentence(d: Derivation) -> Sentence:
    """Every symbol is real; and where the loss is real when that is not everywhere (|√x|
    is real only where x ≥ 0: its derivatives are taken there)."""
    if not d.domain:
        return Sentence(("every symbol is real",))
    parts: list = ["every symbol is real; the loss is real only where "]
    for k, condition in enumerate(d.domain):
        parts += [", " if 0 < k < len(d.domain) - 1 else " and " if k else "", condition]
    parts.append(", and its derivatives are taken there")
    return Sentence(tuple(p for p in parts if p != ""))


def kink_sentence(kink: Kink) -> Sentence:
    """What to say about one kink."""
    if kink.kind == "jump":
        return Sentence(
            ("Not differentiable where ", kink.condition, ": the function jumps there.")
        )
    if kink.kind == "join":
        return Sentence(("Where ", kink.condition, f": {kink.note}."))
    parts: list = ["Not differentiable where ", kink.condition]
    if kink.subgradient is None:
        parts.append(f" ({kink.note})." if kink.note else ".")
        return Sentence(tuple(parts))
    low, high = kink.subgradient
    if low.is_number and high.is_number and low.is_extended_real and high.is_extended_real:
        parts += ["; there the subgradients fill ", sympy.Interval(low, high)]
    else:
        parts += ["; there the subgradients are the values between ", low, " and ", high]
    if kink.note:
        parts.append(f" ({kink.note})")
    if kink.convention is not None:
        parts += [
            "; the formula gives ",
            kink.convention,
            " there (by the convention ",
            *with_formulas(kink.convention_text),
            ")",
        ]
    parts.append(".")
    return Sentence(tuple(parts))


def heading(derivation: Derivation, partial: Partial) -> sympy.Expr:
    """The left-hand side of the chain: d(loss)/d(var) as a pending derivative (∂L/∂w
    through definitions)."""
    if derivation.loss.definitions:
        return sympy.Derivative(derivation.loss.loss_symbol, partial.var)
    return sympy.Derivative(derivation.expr, partial.var)


def upstream_gradients(derivation: Derivation, partial: Partial) -> list[tuple]:
    """The upstream gradients of a chain, from the loss down (∂J/∂s = −H(Δ + s_c − s)): each
    intermediate's ∂L/∂c that the chain multiplies into a local gradient, as
    (∂L/∂c, its value in the intermediates' names)."""
    if not derivation.loss.definitions:
        return []
    loss_symbol = derivation.loss.loss_symbol
    rows, seen = [], set()
    for step in partial.steps:
        if step.expr == loss_symbol and step.var != partial.var and step.var not in seen:
            seen.add(step.var)
            rows.append((sympy.Derivative(loss_symbol, step.var), step.result))
    return rows


def upstream_sentence(derivation: Derivation, partial: Partial) -> Sentence | None:
    """ "Upstream gradients (backpropagation): ∂L/∂a = …, ∂L/∂z = …", or None."""
    rows = upstream_gradients(derivation, partial)
    if not rows:
        return None
    parts: list = ["Upstream gradients (backpropagation, from the loss down): "]
    for k, (derivative, value) in enumerate(rows):
        parts += ["; " if k else "", derivative, " = ", value]
    parts.append(".")
    return Sentence(tuple(p for p in parts if p != ""))


def matrix_sentence(partial: Partial) -> Sentence | None:
    """ "In matrix form (the shape of w): 2Xᵀ(Xw − y)." for a derivative by an element, or
    None. A function of a vector in it applies to each element."""
    if partial.matrix is None and not partial.matrix_steps:
        return None
    var = partial.var
    rows, cols = (var.indices[0], 1) if len(var.indices) == 1 else var.indices
    name = sympy.MatrixSymbol(var.base.label.name, rows, cols)
    matrix, verdict = partial.matrix, partial.matrix_verified
    if partial.matrix_steps:  # the backpropagation's own result, in the definitions' names
        matrix, verdict = partial.matrix_steps[-1].gradient, partial.matrix_steps_verified
    how = "" if verdict == PROVED else " (checked numerically)"
    functions = (
        " (a function of a vector applies to each element)"
        if matrix.has(ElementwiseApplyFunction)
        else ""
    )
    return Sentence(("In matrix form, in the shape of ", name, ": ", matrix, f"{how}{functions}."))


def matrix_step_sentences(derivation: Derivation, partial: Partial) -> list[Sentence]:
    """Backpropagation in matrix form: a heading, then ∂L/∂(node) = its gradient (rule) from
    the loss down, each gradient in the shape of its node; [] when there is none."""
    if not partial.matrix_steps:
        return []
    loss = derivation.loss.loss_symbol
    how = "proved" if partial.matrix_steps_verified == PROVED else "checked"
    found = [
        Sentence(
            (
                "Backpropagation in matrix form (steps checked at small sizes; result "
                f"{how} equal to the index form):",
            )
        )
    ]
    for step in partial.matrix_steps:
        checked = "" if step.verified in (CHECKED, PROVED) else ", not checked"
        found.append(
            Sentence(
                (GradientOf(loss, step.node), " = ", step.gradient, f" ({step.rule}{checked})")
            )
        )
    return found


def after_result(derivation: Derivation, partial: Partial) -> list[Sentence]:
    """The sentences after a partial derivative's result: the upstream gradients, the
    backpropagation in matrix form and the result in matrix form, those there are."""
    found = [upstream_sentence(derivation, partial)]
    found += matrix_step_sentences(derivation, partial)
    found.append(matrix_sentence(partial))
    return [s for s in found if s is not None]


def definitions_sentence(derivation: Derivation) -> Sentence:
    """``L`` = ``(a − y)²``, where ``z`` = ``w x + b``, ``a`` = ``σ(z)``: the loss in the
    names of its intermediates, and each definition (only with definitions)."""
    *defined, (loss_symbol, top) = definitions(derivation)
    parts: list = [loss_symbol, " = ", top, ", where "]
    for k, (name, expr) in enumerate(defined):
        parts += [", " if k else "", name, " = ", expr]
    return Sentence(tuple(p for p in parts if p != ""))


def definitions(derivation: Derivation) -> list[tuple[sympy.Expr, sympy.Expr]]:
    """The loss's definitions as (name, meaning), each using only those before it, then
    the loss itself in their names (L = …); empty without definitions."""
    loss = derivation.loss
    if not loss.definitions:
        return []
    rows = [(d.name, d.expr) for d in loss.definitions]
    return [*rows, (loss.loss_symbol, loss.top)]
