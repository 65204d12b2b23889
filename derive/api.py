"""The Python API: ``derive.gradient(latex, wrt=...)`` and the ``Derivation`` it returns.

One derivation reads the loss, then for each variable: the step tree from the engine (each
sub-expression derived once, shared between the partial derivatives), every step proved once
by one prover, the kinks analysed, the result simplified when SymPy proves the simpler form
equal, and written in the requested form, each rewrite proved, the cases form's region values
included.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable

import sympy

from derive import printing
from derive.chain import Chain
from derive.deadline import watched
from derive.engine import Differentiator, derivative
from derive.errors import DeriveError, ParseError
from derive.guard import guarded
from derive.model import FAILED, PROVED, UNVERIFIED, Case, Loss, Partial, Reading
from derive.model import Derivation as DerivationData
from derive.proof.domain import real_domain
from derive.proof.equality import real_somewhere
from derive.proof.forms import FORMS, cases_of, in_form
from derive.proof.kinks import analyse_kinks
from derive.proof.matrix_steps import table_matrix_form, with_matrix_steps
from derive.proof.prover import Budget, Prover, weakest
from derive.proof.simpler import in_names, simplified
from derive.read import parse_loss as read_loss
from derive.read import parse_name
from derive.sharing import remembered
from rules.registry import UnknownHead

MAX_DEFAULT_VARIABLES = 16


class Derivation(DerivationData):
    """A loss and its partial derivatives, each derived step by step and verified.

    Print it with ``.text()``, ``.latex()``, ``.markdown()``, ``.html()`` or ``.to_json()``;
    ``.code()`` and ``.compile()`` give the NumPy module; in Jupyter it shows itself as HTML,
    Markdown or LaTeX.
    """

    # Each format is written within a deadline too (``timeout=``, default 10 s): a chain
    # of hundreds of definitions has hundreds of lines of hundreds of terms.

    def text(self, timeout: float | None = None) -> str:
        from derive.emit import text

        return _written(text.render)(self, timeout=timeout)

    def latex(self, standalone: bool = False, timeout: float | None = None) -> str:
        from derive.emit import latex

        return _written(latex.render)(self, standalone=standalone, timeout=timeout)

    def markdown(self, timeout: float | None = None) -> str:
        from derive.emit import markdown

        return _written(markdown.render)(self, timeout=timeout)

    def html(self, timeout: float | None = None) -> str:
        from derive.emit import html

        return _written(html.render)(self, timeout=timeout)

    def to_json(self, timeout: float | None = None) -> str:
        from derive.emit import json

        return _written(json.render)(self, timeout=timeout)

    def to_dict(self, timeout: float | None = None) -> dict:
        from derive.emit import json

        return _written(json.as_dict)(self, timeout=timeout)

    def code(self, timeout: float | None = None, backend: str = "numpy") -> str:
        """A Python module computing the loss and this gradient: with NumPy (``backend=
        "numpy"``), in one fused parallel loop compiled by numba (``"numba"``), or with any
        library of the Python array API standard (``"array-api"``)."""
        from derive.codegen import backends

        if backend not in backends.BACKENDS:
            raise DeriveError(f"unknown backend {backend!r}: one of {', '.join(backends.BACKENDS)}")
        return guarded(backends.module_source)(self, derivative, backend, timeout=timeout)

    def compile(self, timeout: float | None = None, backend: str = "numpy"):
        """The module of ``code()``, loaded from that source: ``.loss``, ``.gradient``. (A
        numba module loaded from a string has no file to cache its kernels beside: they are
        compiled on the first call in each process.)"""
        from derive.codegen import backends

        backends.require(backend)
        return backends.compile_module(self.code(timeout, backend=backend), backend)

    # Jupyter shows the richest of these (HTML, then Markdown, then LaTeX), IPython in a
    # terminal the text. One that cannot be written in time is left out, not a traceback.

    def _repr_html_(self) -> str | None:
        from derive.emit import html

        return _shown(_written(html.render), self, standalone=False)

    def _repr_markdown_(self) -> str | None:
        return _shown(self.markdown)

    def _repr_latex_(self) -> str | None:
        from derive.emit import latex

        return _shown(_written(latex.render_for_notebook), self)

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(_shown(self.text) or f"<derive.Derivation of {self.source!r}>")

    def __str__(self) -> str:
        return self.text()


def _shown(write, *args, **options) -> str | None:
    """What ``write`` writes, or None (no such display) when it refuses (a DeriveError)."""
    try:
        return write(*args, **options)
    except DeriveError:
        return None


def _written(render):
    """``render`` as a guarded call (``timeout=``), interrupted at the deadline even inside
    the printing of one large expression."""

    def write(derivation, **options):
        return watched(lambda: render(derivation, **options))

    return guarded(write)


@guarded
def gradient(
    latex: str,
    wrt: str | Iterable[str] | None = None,
    form: str | None = None,
    functions: Iterable[str] = (),
    log_base: str = "e",
    where: str | Iterable[str] | None = (),
    shapes: dict | None = None,
) -> Derivation:
    """Derive each partial derivative of the loss ``latex`` step by step, and prove each step.

    ``wrt``: a variable or a list of them, as LaTeX (``s_c``, ``\\Delta``) or identifiers
    (``Delta``); by default every free symbol, sorted. ``form``: ``sign``, ``heaviside`` or
    ``cases`` for the answer's switches. ``functions``: more names to read as functions
    (``g(w x)``). ``log_base``: ``"e"`` (``\\log`` is natural, the default) or ``"10"``.
    ``where``: definitions the loss uses (``s = \\sigma(w x + b)``, ``m_x(w) = w x``); the
    derivation then goes through them as backpropagation does. ``latex`` may itself be
    several definitions, one per line, the last (or the one named L, J or \\ell) the loss.
    ``shapes``: vectors and matrices by name (``{"X": "n,d", "w": "d"}``): ``w^\\top x`` and
    ``\\|X w - y\\|^2`` are then read as such, and derived as sums over their elements; a
    derivative by a vector w is by its element w_k.

    Raises ``derive.ParseError`` for LaTeX it cannot read, ``derive.DeriveError`` for other
    bad input (a ``wrt`` not in the loss, an unknown form), and a ``DeriveError`` too when
    the derivation takes longer than ``timeout`` seconds (default 10).
    """
    where = (where,) if isinstance(where, str) else tuple(where or ())
    options = {"log_base": log_base, "functions": tuple(functions), "where": where}
    if shapes:
        options["shapes"] = dict(shapes)

    def make() -> Derivation:
        loss = parse_loss(latex, tuple(functions), log_base, where, shapes)
        return derivation_of(loss, wrt, form, options)

    wrt_key = (wrt,) if wrt is None or isinstance(wrt, str) else tuple(wrt)
    shapes_key = tuple(sorted((shapes or {}).items()))
    key = (latex, wrt_key, form, tuple(functions), log_base, where, shapes_key)
    return remembered(key, make)


@guarded
def parse_loss(
    latex: str,
    functions: Iterable[str] = (),
    log_base: str = "e",
    where: Iterable[str] = (),
    shapes: dict | None = None,
) -> Loss:
    """Read ``latex`` into a ``Loss`` (see ``derive.read.parse_loss``); the other sides of an
    ``=`` chain (``L = A = B``) are proved equal to the loss, which a note says, or refused
    when they differ: a chain whose sides differ is a typo in the notes."""
    # Watched: SymPy evaluates as it builds, and building H(e^{p(w)} − Δ) with p a large
    # polynomial, say, takes it many seconds between two of the reader's steps.
    loss = watched(lambda: read_loss(latex, tuple(functions), log_base, tuple(where), shapes))
    if not loss.restated:
        return loss
    prover = Prover(Budget())
    notes = []
    for side in loss.restated:
        verdict = prover.equal(side, loss.expr, loss.expr)
        shown = printing.text(loss.expr, loss.spellings), printing.text(side, loss.spellings)
        if verdict == FAILED:
            raise DeriveError(
                f"the sides of the '=' chain differ: {shown[0]} and {shown[1]}; "
                "is one of them a typo?"
            )
        how = "proved equal" if verdict == PROVED else "equal at random points (not proved)"
        math = (
            f"{printing.latex(loss.expr, loss.spellings)} = {printing.latex(side, loss.spellings)}"
        )
        notes.append(Reading(math, f"are the sides of the '=' chain, {how}", " = ".join(shown)))
    return dataclasses.replace(loss, readings=(*loss.readings, *notes))


def derivation_of(
    loss: Loss, wrt=None, form: str | None = None, options=None, differentiator=None
) -> Derivation:
    """The derivation of a loss already read (or built from a SymPy expression with
    ``Loss(source, expr, spellings)``); ``differentiator`` shares derived steps with the
    caller."""
    if form is not None and form not in FORMS:
        raise DeriveError(f"form must be one of {', '.join(FORMS)}, not {form!r}")
    variables = resolve_variables(loss, wrt)
    taken = {s.name for s in loss.expr.free_symbols} | {d.name.name for d in loss.definitions}
    differentiator = differentiator or Differentiator(taken, loss.fractions)
    prover = Prover(Budget())
    chain = Chain(loss, loss.loss_symbol, differentiator, prover) if loss.definitions else None
    notes: list[Reading] = []
    partials = tuple(
        derive_partial(loss, var, form, differentiator, prover, chain, notes) for var in variables
    )
    if loss.in_matrices is not None:
        partials = with_matrix_steps(partials, loss, prover)
    if notes:
        loss = dataclasses.replace(loss, readings=(*loss.readings, *notes))
    return Derivation(loss, partials, form, options or {}, real_domain(loss.expr))


def resolve_variables(loss: Loss, wrt) -> list[sympy.Symbol]:
    """The symbols to differentiate by: those named in ``wrt`` (in order), or all of them."""
    if wrt is None or (not isinstance(wrt, str) and not list(wrt)):
        if not loss.symbols and loss.expr.atoms(sympy.Indexed):
            elements = sorted(loss.expr.atoms(sympy.Indexed), key=lambda e: e.base.label.name)
            labels = sorted({e.base.label.name for e in elements})
            arrays = [loss.spellings.get(a, a) for a in labels]
            first = "k" if len(elements[0].indices) == 1 else "{kl}"
            raise DeriveError(
                f"the loss's variables are elements of arrays ({', '.join(arrays)}); name one "
                f"with --wrt, as {arrays[0]}_{first} (or {arrays[0]} for all of its elements)"
            )
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
        _not_an_intermediate(name, loss)
        try:
            symbol = parse_name(name, loss)
        except ParseError as error:
            raise DeriveError(f"--wrt {name}: {error.message}") from None
        if symbol not in variables:
            variables.append(symbol)
    return variables


def _not_an_intermediate(name: str, loss: Loss) -> None:
    """Refuse ``--wrt`` of a defined name: the chain differentiates by the inputs."""
    for definition in loss.definitions:
        spelled = loss.spellings.get(definition.name.name, definition.name.name)
        if name.strip() in (definition.name.name, spelled):
            inputs = ", ".join(loss.spellings.get(s.name, s.name) for s in loss.symbols)
            raise DeriveError(
                f"--wrt {name}: {spelled} is defined ({definition.source}); derive "
                f"differentiates by the inputs it depends on: {inputs}"
            )


def derive_partial(
    loss: Loss,
    var: sympy.Symbol,
    form: str | None,
    differentiator: Differentiator,
    prover: Prover,
    chain: Chain | None = None,
    notes: list[Reading] | None = None,
) -> Partial:
    """One variable's derivative: steps, their proofs, kinks, and the requested form; every
    expression shown is proved equal to SymPy's own derivative (or marked as not). With a
    chain of definitions the steps go through it, and the result is in the inputs. A note
    goes to ``notes`` when the result is too large to simplify whole."""
    try:
        if chain is not None:
            step, found = chain.partial(var)
        else:
            derived = differentiator.derive(loss.expr, var)
            step, found = prover.verify(derived.step), list(derived.kinks)
    except UnknownHead as error:
        raise DeriveError(str(error)) from None
    except (ValueError, TypeError):  # SymPy's H of a value that is not real, say
        if not real_somewhere(loss.expr):
            raise _never_real(loss) from None
        raise
    if not real_somewhere(loss.expr) and prover.reference(loss.expr, var) is None:
        raise _never_real(loss)
    formula, named, verdict, whole = step.result, None, step.verified, None
    if chain is not None:
        named = in_names(step.result, loss, prover)
        formula = chain.inputs(named)
        # The steps prove the result (the locals by SymPy, the chain by the chain rule);
        # it is compared with SymPy's own derivative of the whole loss besides.
        whole = prover.equal(formula, prover.reference(loss.expr, var), loss.expr)
        verdict = weakest(verdict, FAILED if whole == FAILED else PROVED)
    kinks = analyse_kinks(found, formula, var, loss.expr, prover.budget)
    reference = functools.partial(prover.reference, loss.expr, var)
    simpler, verdict, whole_too_large = simplified(formula, verdict, reference, loss.expr, prover)
    if whole_too_large and notes is not None:
        notes.append(_as_derived(var, loss))
    result = in_form(simpler, form)
    if result != simpler:
        verdict = weakest(verdict, prover.equal(result, simpler, loss.expr))
    cases = _cases(formula, var, loss, prover) if form == "cases" else ()
    if cases:
        result = sympy.Piecewise(*((c.value, c.where) for c in cases), (formula, True))
        verdict = weakest(verdict, *(c.verified for c in cases))
    compared = None if chain is None else whole
    matrix, matrix_verdict = None, UNVERIFIED
    if loss.in_matrices is None:  # else backpropagation in matrix form gives it, or this
        matrix, matrix_verdict = table_matrix_form(simpler, var, loss, prover)
    return Partial(
        var, step, result, kinks, cases, verdict, simpler, named, compared, matrix, matrix_verdict
    )


def _never_real(loss: Loss) -> DeriveError:
    return DeriveError(
        f"{printing.text(loss.expr, loss.spellings)} has no real value at any point tried "
        "(a logarithm of a negative number, say): derive differentiates real functions"
    )


def _as_derived(var, loss: Loss) -> Reading:
    """The note on a result shown as derived, too large for SymPy's simplify."""
    spelled = loss.spellings.get(var.name, var.name)
    text = (
        "is shown as derived, not simplified whole: too large for SymPy's simplify in the "
        "time (its small terms are tidied one by one, each proved equal)"
    )
    return Reading(rf"\partial/\partial {spelled}", text, f"∂/∂{printing.latex_to_text(spelled)}")


def _cases(formula, var, loss: Loss, prover: Prover) -> tuple[Case, ...]:
    """The formula region by region, each region's value proved against SymPy's derivative."""
    rows = cases_of(formula) or ()
    if len(rows) == 1 and rows[0][0] == sympy.true:
        return ()  # no switches: one formula holds everywhere
    return tuple(Case(where, value, prover.case(value, where, loss.expr, var))
                 for where, value in rows)  # fmt: skip
