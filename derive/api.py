"""The Python API: ``derive.gradient(latex, wrt=...)`` and friends."""

from __future__ import annotations

from collections.abc import Iterable

import sympy

from derive.deadline import attempt
from derive.engine import derivative_steps
from derive.errors import DeriveError, ParseError
from derive.nonsmooth import FORMS, analyse_kinks, cases_of, in_form
from derive.parse import ParsedLoss, parse_loss, parse_name
from derive.steps import PROVED, Derivation, Partial
from derive.verify import Budget, reference_derivative, status, verify_steps
from rules.registry import UnknownHead

MAX_DEFAULT_VARIABLES = 16


def gradient(
    latex: str,
    wrt: str | Iterable[str] | None = None,
    form: str | None = None,
    functions: Iterable[str] = (),
    log_base: str = "e",
) -> Derivation:
    """Derive each partial derivative of the loss ``latex`` step by step, and prove each step.

    ``wrt``: a variable or a list of them, as LaTeX (``s_c``, ``\\Delta``) or identifiers
    (``Delta``); by default every free symbol, sorted. ``form``: ``sign``, ``heaviside`` or
    ``cases`` for the answer's switches. ``functions``: more names to read as functions
    (``g(w x)``). ``log_base``: ``"e"`` (``\\log`` is natural, the default) or ``"10"``.

    Raises ``derive.ParseError`` for LaTeX it cannot read, ``derive.DeriveError`` for other
    bad input (a ``wrt`` not in the loss, an unknown form).
    """
    loss = parse_loss(latex, tuple(functions), log_base)
    return derivation_of(loss, wrt, form, {"log_base": log_base, "functions": tuple(functions)})


def derivation_of(loss: ParsedLoss, wrt=None, form: str | None = None, options=None) -> Derivation:
    """The derivation of a loss already read (or built from a SymPy expression with
    ``ParsedLoss(source, expr, spellings)``)."""
    if form is not None and form not in FORMS:
        raise DeriveError(f"form must be one of {', '.join(FORMS)}, not {form!r}")
    variables = resolve_variables(loss, wrt)
    budget = Budget()
    partials = tuple(
        derive_partial(loss.expr, var, form, budget, loss.fractions) for var in variables
    )
    return Derivation(
        source=loss.source,
        expr=loss.expr,
        spellings=loss.spellings,
        partials=partials,
        readings=loss.readings,
        name=loss.name,
        form=form,
        options=options or {},
    )


def resolve_variables(loss: ParsedLoss, wrt) -> list[sympy.Symbol]:
    """The symbols to differentiate by: those named in ``wrt`` (in order), or all of them."""
    if wrt is None or (not isinstance(wrt, str) and not list(wrt)):
        if not loss.symbols:
            raise DeriveError("the loss has no variables: its derivative is 0 everywhere")
        if len(loss.symbols) > MAX_DEFAULT_VARIABLES:
            raise DeriveError(
                f"the loss has {len(loss.symbols)} symbols; name the ones to differentiate by "
                f"with --wrt (without it derive takes at most {MAX_DEFAULT_VARIABLES})"
            )
        return loss.symbols
    names = [wrt] if isinstance(wrt, str) else list(wrt)
    variables: list[sympy.Symbol] = []
    for name in names:
        try:
            symbol = parse_name(name, loss)
        except ParseError as error:
            raise DeriveError(f"--wrt {name}: {error.message}") from None
        if symbol not in variables:
            variables.append(symbol)
    return variables


def derive_partial(
    expr: sympy.Expr, var: sympy.Symbol, form: str | None, budget: Budget, fractions=frozenset()
) -> Partial:
    """One variable's derivative: steps, verification, kinks and the requested form."""
    try:
        step, found = derivative_steps(expr, var, fractions)
    except UnknownHead as error:
        raise DeriveError(str(error)) from None
    step = verify_steps(step, budget)
    derived = step.result
    kinks = analyse_kinks(found, derived, var, expr, budget)
    cases = ()
    reference = reference_derivative(expr, var)
    simpler = presentable(derived, budget)
    if simpler is not derived and status(simpler, reference, budget) != PROVED:
        simpler = derived  # show a simplification only when SymPy proves it
    result = in_form(simpler, form)
    verified = status(result, reference, budget)
    if form == "cases":
        cases = cases_of(derived) or ()
        if len(cases) == 1 and cases[0][0] == sympy.true:
            cases = ()  # no switches: one formula holds everywhere
        if cases:
            result = sympy.Piecewise(*((value, where) for where, value in cases), (derived, True))
    return Partial(var, step, result, kinks, cases, verified, formula=simpler)


_SIMPLE = 4  # operations; a result this small is left as it is
_KEEP_AS_DERIVED = (sympy.sign, sympy.Heaviside, sympy.Piecewise, sympy.Max, sympy.Min, sympy.Abs)


def presentable(result: sympy.Expr, budget: Budget) -> sympy.Expr:
    """``result`` simplified when that makes it shorter: x(2b + 2wx − 2y)/2 becomes
    x(b + wx − y). Results with switches are left as derived, so that sign(m(w) − t) keeps
    the orientation the user wrote."""
    if result.has(*_KEEP_AS_DERIVED) or sympy.count_ops(result) <= _SIMPLE:
        return result
    simpler = attempt(lambda: sympy.simplify(result), result, budget.next_slice())
    new_functions = _functions(simpler) - _functions(result)
    if new_functions or sympy.count_ops(simpler) >= sympy.count_ops(result):
        return result  # not shorter, or written with functions the loss does not use
    return simpler


def _functions(expr: sympy.Expr) -> set[type]:
    return {type(f) for f in expr.atoms(sympy.Function)}
