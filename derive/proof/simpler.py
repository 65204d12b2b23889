"""The result as shown: simplified when SymPy proves the simpler form equal, within bounds.

A result of a few hundred operations goes to SymPy's ``simplify`` whole, within a slice of
the proof budget. A larger one (σ nested sixteen deep, the sum of 200 squared residuals, a
product of 200 factors) is not: ``simplify`` on it takes longer than the whole derivation
should, and rarely finds anything shorter. Such a result is shown as derived, which is
correct (every step to it is proved); only each of its terms that is small is tidied on its
own (2x₁(wx₁ − y₁) for x₁(2wx₁ − 2y₁)), each proved equal by expansion: linear work.
"""

from __future__ import annotations

import sympy

from derive.deadline import attempt, check
from derive.model import PROVED
from derive.proof.equality import larger_than, too_large_to_simplify
from derive.proof.prover import Budget, Prover
from rules.registry import heads_with

SIMPLE = 4  # operations; a result this small is left as it is
WHOLE = 250  # nodes; a result larger than this is not simplified whole
TERM = 60  # nodes; a term of a larger result at most this large is tidied on its own


def simplified(formula, verdict: str, reference, domain, prover: Prover):
    """(the formula simplified when SymPy proves the simpler form equal to it, the verdict
    on the simpler form, whether it was too large to simplify whole). The verdict may be
    proved against SymPy's derivative ``reference`` where the formula itself was only
    checked."""
    if larger_than(formula, WHOLE):
        return termwise(formula), verdict, not _left_as_it_is(formula)
    simpler = presentable(formula, prover.budget)
    if simpler is formula or prover.equal(simpler, formula, domain) != PROVED:
        return formula, verdict, False
    if verdict != PROVED and prover.equal(simpler, reference(), domain) == PROVED:
        verdict = PROVED
    return simpler, verdict, False


def in_names(result: sympy.Expr, loss, prover: Prover) -> sympy.Expr:
    """A chain's result in the intermediates' names, its common factors taken out when
    SymPy proves that equal (term by term, when it is too large to simplify whole)."""
    if larger_than(result, WHOLE):
        return termwise(result)
    named = sympy.factor_terms(presentable(result, prover.budget))
    if named != result and prover.equal(named, result, loss.top) != PROVED:
        return result
    return named


def presentable(result: sympy.Expr, budget: Budget) -> sympy.Expr:
    """``result`` simplified when that makes it shorter: x(2b + 2wx − 2y)/2 becomes
    x(b + wx − y). Results with switches are left as derived, so that sign(m(w) − t) keeps
    the orientation the user wrote; results too large to simplify whole, term by term."""
    if _left_as_it_is(result):
        return result
    if larger_than(result, WHOLE):
        return termwise(result)
    if sympy.count_ops(result) <= SIMPLE or too_large_to_simplify(result):
        return result
    simpler = attempt(lambda: sympy.simplify(result), result, budget.next_slice(), early=True)
    return simpler if _better(simpler, result) else result


def termwise(result: sympy.Expr) -> sympy.Expr:
    """Each small term of ``result`` with its common factors taken out, where that is
    shorter and SymPy's expansion shows it equal; the rest as it is."""
    if _left_as_it_is(result):
        return result
    terms = []
    for term in sympy.Add.make_args(result):
        check()
        terms.append(_tidied(term) if not larger_than(term, TERM) else term)
    return sympy.Add(*terms)


def _tidied(term: sympy.Expr) -> sympy.Expr:
    if too_large_to_simplify(term):
        return term
    tidy = attempt(lambda: sympy.factor_terms(term), term, 0.5)
    if tidy == term or not _better(tidy, term):
        return term
    same = attempt(lambda: sympy.expand_mul(tidy - term) == 0, False, 0.5)
    return tidy if same else term


def _left_as_it_is(result: sympy.Expr) -> bool:
    """A result with switches (kept in the orientation the user wrote), or a monomial."""
    return result.has(*heads_with(lambda e: e.kinks is not None)) or _monomial(result)


def _better(simpler: sympy.Expr, result: sympy.Expr) -> bool:
    """Whether ``simpler`` is shorter than ``result`` and written with its functions."""
    if simpler.has(sympy.Product) and not result.has(sympy.Product):
        return False  # exp(Σᵢ wᵢ²) as Πᵢ exp(wᵢ²): not what the loss wrote
    new_functions = _functions(simpler) - _functions(result)
    return not new_functions and sympy.count_ops(simpler) < sympy.count_ops(result)


def _monomial(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is a number times powers of symbols (x₁x₃…x₂₀₀): nothing to simplify."""
    factors = sympy.Mul.make_args(expr)
    return all(f.is_Atom or (f.is_Pow and f.base.is_Symbol and f.exp.is_Number) for f in factors)


def _functions(expr: sympy.Expr) -> set[type]:
    return {type(f) for f in expr.atoms(sympy.Function)}
