"""The parser: a table of (LaTeX, expected SymPy), and a table of inputs that must fail clearly."""

from __future__ import annotations

import pytest
import sympy
from sympy import Abs, E, Function, Heaviside, Max, Min, Piecewise, Rational, exp, log, pi, sqrt

from derive.errors import ParseError
from derive.proof.equality import evaluated
from derive.read import parse_loss, parse_name
from rules.neural import sigmoid, softplus
from rules.nonsmooth import relu


def _norm_squared(name: str) -> sympy.Expr:
    """Σᵢ₌₁ᵈ vᵢ², the squared norm of a vector v of length d."""
    i, d = sympy.Symbol("i", integer=True), sympy.Symbol("d", integer=True, positive=True)
    return sympy.Sum(sympy.IndexedBase(name, real=True)[i] ** 2, (i, 1, d))


def S(name: str) -> sympy.Symbol:
    return sympy.Symbol(name, real=True)


def F(name: str):
    return Function(name, real=True)


a, b, c, s, t, u, w, x, y, z = (S(n) for n in "abcstuwxyz")
s_c, Delta, delta, lam, y_hat = S("s_c"), S("Delta"), S("delta"), S("lambda_"), S("y_hat")

VALID = [
    # absolute values, in every spelling
    ("abs-bars", r"|x|", Abs(x)),
    ("abs-seed", r"|m_x(w) - t|", Abs(F("m_x")(w) - t)),
    ("abs-left-right", r"\left| u \right|", Abs(u)),
    ("abs-lvert", r"\lvert u \rvert", Abs(u)),
    ("abs-left-lvert", r"\left\lvert u \right\rvert", Abs(u)),
    ("abs-vert", r"\vert u \vert", Abs(u)),
    ("abs-nested", r"|a - |b||", Abs(a - Abs(b))),
    ("abs-double", r"||x||", Abs(Abs(x))),
    ("abs-product", r"|a||b|", Abs(a) * Abs(b)),
    ("abs-squared", r"|x|^2", x**2),
    ("abs-operatorname", r"\operatorname{abs}(x - 1)", Abs(x - 1)),
    ("norm-of-scalar", r"\|w\|^2", w**2),
    # max and min
    ("max-seed", r"\max(\Delta + s_c - s, 0)", Max(Delta + s_c - s, 0)),
    ("max-three", r"\max(a, b, c)", Max(a, b, c)),
    ("max-nested", r"\max(a, \max(b, c))", Max(a, b, c)),
    ("max-operatorname", r"\operatorname{max}(a, b)", Max(a, b)),
    ("max-mathrm", r"\mathrm{max}(a, b)", Max(a, b)),
    ("max-left-right", r"\max\left(0, 1 - y x\right)", Max(0, 1 - x * y)),
    ("min-two", r"\min(a, b)", Min(a, b)),
    ("min-operatorname", r"\operatorname{min}(x, 1)", Min(x, 1)),
    # fractions, powers, roots, products
    ("frac", r"\frac{a}{b}", a / b),
    ("dfrac", r"\dfrac{a}{b}", a / b),
    ("tfrac", r"\tfrac{a}{b}", a / b),
    ("frac-digits", r"\frac12 x", x / 2),
    ("frac-nested", r"\frac{1}{1 + \frac{1}{x}}", 1 / (1 + 1 / x)),
    ("power", r"x^2", x**2),
    ("power-braced", r"x^{10}", x**10),
    ("power-negative", r"x^{-1}", 1 / x),
    ("power-negative-unbraced", r"x^-1", 1 / x),
    ("power-one-digit", r"x^23", 3 * x**2),
    ("power-symbolic", r"x^y", x**y),
    ("power-of-power", r"(x^2)^3", x**6),
    ("sqrt", r"\sqrt{x}", sqrt(x)),
    ("sqrt-index", r"\sqrt[3]{x}", x ** Rational(1, 3)),
    ("cdot", r"a \cdot b", a * b),
    ("times", r"a \times b", a * b),
    ("star", r"a * b", a * b),
    ("implicit", r"a b", a * b),
    ("implicit-letters", r"xy", x * y),
    ("implicit-number", r"2x", 2 * x),
    ("division-slash", r"a / b", a / b),
    ("decimal", r"0.5 x", x / 2),
    ("leading-minus", r"-x^2", -(x**2)),
    ("double-minus", r"--x", x),
    ("unary-after-cdot", r"2 \cdot -x", -2 * x),
    ("brackets", r"[a + b]^2", (a + b) ** 2),
    ("braces-group", r"{a + b} c", (a + b) * c),
    # logarithms and exponentials
    ("log-natural", r"\log x", log(x)),
    ("log-parens", r"\log(1 + x)", log(1 + x)),
    ("ln", r"\ln x", log(x)),
    ("log-base-2", r"\log_2 x", log(x) / log(2)),
    ("log-base-10-parens", r"\log_{10}(x)", log(x) / log(10)),
    ("log-base-symbol", r"\log_b(x)", log(x) / log(b)),
    ("log-squared", r"\log^2(x)", log(x) ** 2),
    ("exp", r"\exp(x)", exp(x)),
    ("exp-unbraced", r"\exp x", exp(x)),
    ("e-power", r"e^{x}", exp(x)),
    ("e-power-unbraced", r"e^x", exp(x)),
    ("mathrm-e", r"\mathrm{e}^{-x}", exp(-x)),
    ("e-alone", r"e", E),
    ("logistic", r"\log(1 + e^{-y(w x + b)})", log(1 + exp(-y * (w * x + b)))),
    # trigonometric and hyperbolic
    ("sin", r"\sin x", sympy.sin(x)),
    ("sin-parens", r"\sin(x)", sympy.sin(x)),
    ("sin-squared", r"\sin^2(x)", sympy.sin(x) ** 2),
    ("sin-inverse", r"\sin^{-1}(x)", sympy.asin(x)),
    ("cos", r"\cos(2x)", sympy.cos(2 * x)),
    ("tan", r"\tan x", sympy.tan(x)),
    ("arcsin", r"\arcsin x", sympy.asin(x)),
    ("arctan", r"\arctan(x)", sympy.atan(x)),
    ("sinh", r"\sinh(x)", sympy.sinh(x)),
    ("tanh", r"\tanh x", sympy.tanh(x)),
    ("coth", r"\coth(x)", sympy.coth(x)),
    ("arsinh", r"\operatorname{arsinh}(x)", sympy.asinh(x)),
    ("pi", r"\pi x", pi * x),
    # neural-network functions
    ("sigma", r"\sigma(z)", sigmoid(z)),
    ("sigmoid", r"\operatorname{sigmoid}(z)", sigmoid(z)),
    ("sigmoid-mathrm", r"\mathrm{sigmoid}(w x + b)", sigmoid(w * x + b)),
    ("relu", r"\operatorname{ReLU}(x)", relu(x)),
    ("relu-lower", r"\mathrm{relu}(x - 1)", relu(x - 1)),
    ("softplus", r"\operatorname{softplus}(x)", softplus(x)),
    ("sgn", r"\operatorname{sgn}(x)", sympy.sign(x)),
    ("sign", r"\operatorname{sign}(x)", sympy.sign(x)),
    ("heaviside", r"\operatorname{Heaviside}(x)", Heaviside(x)),
    ("sigma-symbol", r"\sigma^2", S("sigma") ** 2),
    # names
    ("greek-cases-apart", r"\Delta + \delta", Delta + delta),
    ("greek-keyword", r"\lambda w^2", lam * w**2),
    ("greek-sympy-name", r"\beta x", S("beta_") * x),
    ("hat", r"\hat{y}", y_hat),
    ("hat-unbraced", r"\hat y", y_hat),
    ("bar", r"\bar{x}", S("x_bar")),
    ("tilde", r"\tilde{x}", S("x_tilde")),
    ("prime", r"x'", S("x_prime")),
    ("subscript", r"s_c", s_c),
    ("subscript-braced", r"w_{12}", S("w_12")),
    ("subscript-greek", r"\theta_1", S("theta_1")),
    ("subscript-text", r"y_{\text{true}}", S("y_true")),
    ("subscript-pair", r"x_{i,j}", S("x_i_j")),
    ("hat-subscript", r"\hat{y}_i", S("y_hat_i")),
    ("superscript-index", r"w^{(1)} x", S("w_1") * x),
    ("mathit-word", r"\mathit{loss}", S("loss")),
    ("mathbf", r"\|\mathbf{w}\|^2", _norm_squared("w_bold")),  # a vector of length d
    ("boldsymbol-greek", r"\|\boldsymbol{\theta}\|^2", _norm_squared("theta_bold")),
    ("unicode-greek", "Δ + s_c − s", Delta + s_c - s),
    # applied functions
    ("function-seed", r"m_x(w)", F("m_x")(w)),
    ("function-m", r"m(w)", F("m")(w)),
    ("function-f", r"f(x)", F("f")(x)),
    ("function-f-expression", r"f(w x + b)", F("f")(w * x + b)),
    ("function-two-args", r"f(x, y)", F("f")(x, y)),
    ("function-nested", r"f(x, g(y, z))", F("f")(x, F("g")(y, z))),
    ("function-prime", r"m_x'(w)", sympy.Derivative(F("m_x")(w), w)),
    ("product-not-function", r"y(w x + b)", y * (w * x + b)),
    ("product-number-arg", r"t(1 - y)", t * (1 - y)),
    # cases
    (
        "cases-huber",
        r"\begin{cases} \frac{1}{2}x^2 & |x| \le \delta \\ "
        r"\delta(|x| - \frac{1}{2}\delta) & \text{otherwise} \end{cases}",
        Piecewise((x**2 / 2, Abs(x) <= delta), (delta * (Abs(x) - delta / 2), True)),
    ),
    (
        "cases-if-words",
        r"\begin{cases} x & \text{if } x > 0, \\ 0 & \text{else} \end{cases}",
        Piecewise((x, x > 0), (0, True)),
    ),
    (
        "cases-chained-condition",
        r"\begin{cases} 1 & 0 < x < 1 \\ 0 & \text{otherwise} \end{cases}",
        Piecewise((1, (x > 0) & (x < 1)), (0, True)),
    ),
    (
        "cases-and",
        r"\begin{cases} x & x > 0 \land y > 0 \\ 0 & \text{otherwise} \end{cases}",
        Piecewise((x, (x > 0) & (y > 0)), (0, True)),
    ),
    # whole inputs
    ("definition", r"J = \max(0, 1 - y \hat{y})", Max(0, 1 - y * y_hat)),
    ("definition-with-argument", r"L(w) = (w x - t)^2", (w * x - t) ** 2),
    ("dollars", r"$x^2$", x**2),
    ("spacing-commands", r"x \, + \; y \quad", x + y),
    ("big-delimiters", r"\big( x + 1 \big)^2", (x + 1) ** 2),
    ("huge-exponent", r"x^{10^{10}}", x ** (10**10)),
    ("huge-power", r"(x+1)^{100000}", (x + 1) ** 100000),
    # what documentation writes (issue 8): each of these was misread or refused before
    (
        "huber-line-break-with-spacing",
        r"\begin{cases} \frac12 x^2 & |x| \le \delta \\[4pt] "
        r"\delta(|x| - \frac12\delta) & \text{otherwise} \end{cases}",
        Piecewise((x**2 / 2, Abs(x) <= delta), (delta * (Abs(x) - delta / 2), True)),
    ),
    ("greek-word", r"0.5 (x_n - y_n)^2 / beta", (S("x_n") - S("y_n")) ** 2 / (2 * S("beta_"))),
    ("greek-word-lambda", r"lambda w^2", lam * w**2),
    ("letters-digits", r"x1 - x2", S("x_1") - S("x_2")),
    ("letters-digits-long", r"w12 x", S("w_12") * x),
    (
        "word-is-a-product",
        r"\max(0, -y (x1 - x2) + margin)",
        Max(0, -y * (S("x_1") - S("x_2")) + sympy.Mul(*(S(c) for c in "margin"))),
    ),
    ("e-in-a-word-is-a-letter", r"rate", sympy.Mul(*(S(c) for c in "rate"))),
    ("e-ending-a-word-with-a-power", r"xe^{-x}", x * exp(-x)),
    ("e-power-parenthesised", r"e^{(x+y)}", exp(x + y)),
    ("sigmoid-written-out", r"\frac{1}{1+e^{(-w x)}}", 1 / (1 + exp(-w * x))),
    ("index-superscript-letter", r"x^{(i)}", S("x_i")),
    ("sin-inverse-unbraced", r"\sin^{-1} a", sympy.asin(a)),
    ("trailing-comma", r"(x - y)^2,", (x - y) ** 2),
    ("trailing-full-stop", r"(x - y)^2.", (x - y) ** 2),
    ("max-braces", r"\max\{0, 1 - x\}", Max(0, 1 - x)),
    ("max-brackets", r"\max[0, 1 - x]", Max(0, 1 - x)),
    ("max-left-brackets-squared", r"\max\left[0, 1 - x\right]^2", Max(0, 1 - x) ** 2),
    ("max-without-backslash", r"max(0, 1 - x)", Max(0, 1 - x)),
    ("exp-without-backslash", r"exp(-x)", exp(-x)),
    ("relu-without-backslash", r"relu(x)", relu(x)),
    ("text-punctuation", r"x^2 \text{,}", x**2),
    ("mleft-mright", r"\mleft( x + 1 \mright)^2", (x + 1) ** 2),
    ("thinspace", r"x \thinspace y \hspace{1em} z", x * y * z),
    ("displaystyle", r"\displaystyle \frac{x}{2}", x / 2),
    ("superscript-before-subscript", r"x^2_i", S("x_i") ** 2),
    ("sigma-squared-i", r"\sigma^2_i", S("sigma_i") ** 2),
    ("prime-before-subscript", r"x'_1 - x_1'", sympy.S.Zero),
    ("sympy-braced-asin", r"\operatorname{asin}{\left(x \right)}", sympy.asin(x)),
    ("sympy-braced-coth", r"\coth{\left(x \right)}", sympy.coth(x)),
    ("acot-by-name", r"\operatorname{acot}(x)", sympy.acot(x)),
    ("asech-inverse", r"\operatorname{sech}^{-1}(x)", sympy.asech(x)),
    (
        "cases-not-equal",
        r"\begin{cases} x & x \not= 0 \\ 0 & \text{otherwise} \end{cases}",
        Piecewise((x, sympy.Ne(x, 0)), (0, True)),
    ),
    (
        "cases-braced-if",
        r"\begin{cases} x & {\text{if}} x > 0 \\ 0 & {\text{otherwise}} \end{cases}",
        Piecewise((x, x > 0), (0, True)),
    ),
    (
        "cases-if-colon",
        r"\begin{cases} x & \text{if: } x > 0 \\ 0 & \text{otherwise.} \end{cases}",
        Piecewise((x, x > 0), (0, True)),
    ),
    ("equals-chain", r"L = x^2 = x x", x**2),
    ("word-named-loss", r"loss(w) = |w - t|", Abs(w - t)),
]


@pytest.mark.parametrize("latex,expected", [v[1:] for v in VALID], ids=[v[0] for v in VALID])
def test_reads(latex, expected):
    assert evaluated(parse_loss(latex).expr) == evaluated(expected)


def test_the_table_is_large_enough():
    assert len(VALID) >= 80


NOTED = [
    # (input, a phrase of the reading note the user is shown)
    ("greek-word", r"beta x", "beta is the Greek letter \\beta"),
    ("word-product", r"margin - x", "margin is read as the product of m, a, r, g, i, n"),
    ("word-spelling-hint", r"wx + b", "write \\text{wx} for one name"),
    ("letters-digits", r"x1", "x1 is read as one name with the subscript 1"),
    ("bare-function", r"max(0, x)", "max(…) is the function max"),
    ("sin-inverse", r"\sin^{-1}(x)", "is the inverse function arcsin, not 1/sin"),
    ("e-at-the-end", r"xe^{-x}", "the final e, raised to a power, is Euler's number"),
]


@pytest.mark.parametrize("latex,phrase", [n[1:] for n in NOTED], ids=[n[0] for n in NOTED])
def test_every_reading_of_ambiguous_notation_is_noted(latex, phrase):
    notes = [str(r) for r in parse_loss(latex).readings]
    assert any(phrase in note for note in notes), notes


def test_symbols_are_real():
    loss = parse_loss(r"|m_x(w) - t| + \hat{y}")
    assert all(symbol.is_real for symbol in loss.expr.free_symbols)
    assert loss.expr.atoms(sympy.core.function.AppliedUndef).pop().is_real


def test_abs_keeps_the_orientation_written():
    assert str(parse_loss(r"|m_x(w) - t|").expr) == "Abs(-t + m_x(w))"


@pytest.mark.parametrize(
    "latex,name,spelling",
    [
        (r"\hat{y}", "y_hat", r"\hat{y}"),
        (r"\Delta", "Delta", r"\Delta"),
        (r"w_{12}", "w_12", "w_{12}"),
        (r"\lambda", "lambda_", r"\lambda"),
        (r"s_c", "s_c", "s_c"),
    ],
    ids=["hat", "Delta", "w12", "lambda", "s_c"],
)
def test_spellings_are_kept(latex, name, spelling):
    assert parse_loss(latex).spellings[name] == spelling


@pytest.mark.parametrize(
    "latex,reading",
    [
        (r"y(w x + b)", "is read as a product"),
        (r"m_x(w)", "is an unknown function of w"),
        (r"\log x", "natural logarithm"),
        (r"\sigma(z)", "logistic sigmoid"),
    ],
    ids=["product", "function", "log", "sigmoid"],
)
def test_readings_say_what_was_read(latex, reading):
    assert any(reading in str(r) for r in parse_loss(latex).readings)


def test_declared_functions_are_functions():
    assert parse_loss(r"y(w x + b)", functions=["y"]).expr == F("y")(w * x + b)


def test_log_base_10_option():
    assert parse_loss(r"\log x", log_base="10").expr == log(x) / log(10)


def test_definition_keeps_its_name():
    assert parse_loss(r"J = \max(0, 1 - s)").name == "J"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("s_c", "s_c"),
        (r"\Delta", "Delta"),
        ("Delta", "Delta"),
        (r"\hat{y}", "y_hat"),
        ("y_hat", "y_hat"),
    ],
    ids=["latex-subscript", "latex-greek", "identifier", "latex-hat", "identifier-hat"],
)
def test_names_for_wrt(text, expected):
    loss = parse_loss(r"\max(\Delta + s_c - s, 0) + \hat{y}")
    assert parse_name(text, loss).name == expected


def test_unknown_name_for_wrt_lists_the_symbols():
    with pytest.raises(ParseError, match=r"not a symbol of the loss; its symbols are x"):
        parse_name("z", parse_loss("x^2"))


MALFORMED = [
    ("empty", "", "the loss is empty", 0),
    ("blank", "   ", "the loss is empty", 0),
    ("unclosed-paren", r"\max(x", "'(' is never closed", 4),
    ("stray-close", r"x)", "')' closes nothing", 1),
    ("mismatch", r"(x]", "expected ')' to close the '(' at column 1", 2),
    ("unclosed-brace", r"\frac{1}{x", "'{' is never closed", 8),
    ("unknown-command", r"x + \foo(x)", r"unknown command \foo", 4),
    ("unknown-operatorname", r"\operatorname{foo}(x)", r"unknown function \operatorname{foo}", 0),
    ("trailing-plus", r"x +", "'+' needs a term after it", 2),
    ("caret-without-exponent", r"x^", "needs an exponent", 1),
    ("empty-fraction", r"\frac{1}{}", "the braces are empty", 8),
    ("sqrt-alone", r"\sqrt", r"\sqrt needs an argument", 0),
    ("empty-max", r"\max()", "an empty expression here", 5),
    ("two-numbers", r"3 4", "two numbers in a row", 2),
    ("cdot-first", r"\cdot x", r"'\cdot' needs something on its left", 0),
    ("equals-empty-side", r"x = ", "'=' needs an expression on each side", 2),
    ("comma", r"x, y", "',' outside the arguments of a function", 1),
    ("index-outside-its-sum", r"\sum_i x_i - y_i", "uses the index i outside the sum", 13),
    ("transpose", r"W^\top x", "transposes a vector or a matrix; declare its shape", 1),
    ("division-by-zero", r"\frac{1}{0}", "division by zero", 0),
    ("tower", r"2^{2^{2^{2^{2^2}}}}", "digits", 0),
    ("factorial", r"x!", "factorials are not supported", 1),
    ("stray-character", r"x ? y", "unexpected character '?'", 2),
    ("lone-dot", r"x . y", "a '.' that is not part of a number", 2),
    ("other-environment", r"\begin{matrix} 1 \end{matrix}", "only the cases environment", 0),
    (
        "cases-without-condition",
        r"\begin{cases} 1 \\ 0 & x > 0 \end{cases}",
        "row 1 of the cases needs a condition",
        0,
    ),
    ("accent-without-name", r"\hat{}", "needs a name", 4),
    ("subscript-alone", r"_1", "a subscript needs a name before it", 0),
    ("too-deep", "(" * 100 + "x" + ")" * 100, "nest more than 60 levels", 60),
    ("too-long", "x+" * 3000 + "x", "derive reads at most 5000", 5000),
    ("condition-as-loss", r"\left(x\right) \le 1", r"'\le' in an expression", 15),
    ("invisible-delimiter", r"\left. x \right|", "invisible delimiter", 0),
    # no reading is safe (issue 8): refused, saying what to write instead
    ("derivative-operator", r"\frac{d}{dx} x^2", "a derivative operator in the loss", 0),
    ("derivative-fraction", r"\frac{d f(x)}{dx}", "a derivative operator in the loss", 0),
    ("transpose-T", r"A^T x", "transposes a vector or a matrix", 1),
    ("transpose-braced", r"(a + b)^{T} x", "transposes a vector or a matrix", 7),
    ("expectation", r"\mathbb{E}[x^2]", "an expectation", 0),
    ("expectation-plain", r"E[(x - y)^2]", "an expectation", 0),
    ("indexing", r"x[i] + 1", "indexes an array; write x_i", 0),
    ("ellipsis", r"x_1 + \dots + x_n", "an ellipsis", 6),
    ("sec-inverse-unbraced", r"\sec^{-1} x", r"write \sec^{-1}(…) with parentheses", 0),
]


@pytest.mark.parametrize(
    "latex,message,column", [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_refuses_with_a_clear_message(latex, message, column):
    with pytest.raises(ParseError) as caught:
        parse_loss(latex)
    assert message in caught.value.message
    assert caught.value.column == column


def test_the_malformed_table_is_large_enough():
    assert len(MALFORMED) >= 15


def test_caret_points_at_the_column():
    with pytest.raises(ParseError) as caught:
        parse_loss(r"x + \foo")
    drawing = caught.value.caret().splitlines()
    assert drawing[1].index(r"\foo") == drawing[2].index("^")


def test_nothing_typed_reaches_eval(monkeypatch):
    """The parser never hands user text to eval, exec, sympify or parse_expr."""
    import builtins

    import sympy.parsing.sympy_parser as sympy_parser

    def refuse(*args, **kwargs):
        raise AssertionError("user text reached an evaluator")

    monkeypatch.setattr(builtins, "eval", refuse)
    monkeypatch.setattr(builtins, "exec", refuse)
    monkeypatch.setattr(sympy_parser, "parse_expr", refuse)
    monkeypatch.setattr(sympy, "sympify", refuse)
    loss = parse_loss(r"\mathit{exec} + \mathit{import} x + \frac{x^2}{2} + \sin(y) + \log_2 z")
    assert {s.name for s in loss.expr.free_symbols} == {"exec", "import_", "x", "y", "z"}


def test_a_greek_word_is_spelled_as_the_letter():
    loss = parse_loss("beta x^2")
    assert loss.spellings["beta_"] == r"\beta"
