"""Trustworthy under every input: each reproducer of a crash, a runaway or an unclean error is
answered or refused with a message (exit status 2), within its time, never a traceback."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import derive
from cli import main

ROOT = Path(__file__).parent.parent

CRASHES = [
    # (id, command line): each once crashed with a traceback
    ("superscript-two", ["grad", "x²"]),
    ("caret-superscript-two", ["grad", "x^²"]),
    ("never-real", ["grad", r"\max(\exp(\log_2(\log(\sigma(w)))), 5)"]),
    (
        "condition-undefined-at-the-kink",
        ["grad", r"\begin{cases} |y| & \text{if } \log(y) > 0 \\ 0 & \text{otherwise} \end{cases}"],
    ),
    ("min-of-log-relu", ["grad", r"\exp(\min(\log(\operatorname{ReLU}(a)), z))"]),
    ("min-with-a-constant", ["grad", r"\min(x, e^{a}, e - 10)"]),
    ("zero-to-a-power", ["code", "0^{t}"]),
    ("long-number-product", ["grad", "(2x)^{15000}"]),
    ("long-number-root", ["grad", r"\sqrt{2}^{100000} x"]),
    ("long-number-claim", ["check", "x", "--wrt", "x", "--claim", "(x+1)^{1000000}"]),
    ("huge-number-root", ["grad", r"\sqrt{2}^{40000000000} x"]),
    # found by bench/fuzz.py
    ("positive-part-of-log-zero", ["grad", r"[\log(0)]_+"]),
    ("positive-part-of-log-minus-one", ["grad", r"[\max\{0, y - \sigma\} [\log(-1)]_+]_+"]),
    (
        "never-real-heaviside",
        [
            "grad",
            r"\max(-\frac{\sin^{-1}(1.5)}{\max(z, \hat{y})}, \max(e, \lambda), 0) (\exp(y))^{-1}",
        ],
    ),
]


@pytest.mark.parametrize("args", [c[1] for c in CRASHES], ids=[c[0] for c in CRASHES])
def test_no_input_crashes(args):
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1, 2), result.output
    assert "Traceback" not in result.output and "this is a bug" not in result.output


def _run(args, stdin=b"", timeout=60):
    command = [sys.executable, "-c", "import cli; cli.run()", *args]
    return subprocess.run(command, input=stdin, capture_output=True, timeout=timeout, cwd=ROOT)


@pytest.mark.parametrize(
    "args,stdin,message",
    [
        (["grad", "@/dev/zero"], b"", "longer than 5000 characters"),
        (["grad", "-"], b"x + " * 100_000, "longer than 5000 characters"),
        (["grad", "-"], b"x^2 + \xff\xfe", "not UTF-8 text"),
        (["grad", "@/no/such/file.tex"], b"", "cannot read /no/such/file.tex"),
    ],
    ids=["dev-zero", "endless-stdin", "invalid-utf8", "missing-file"],
)
def test_input_is_read_with_its_size_checked(args, stdin, message):
    result = _run(args, stdin)
    assert result.returncode == 2
    assert message in result.stderr.decode() and b"Traceback" not in result.stderr


@pytest.mark.parametrize(
    "target",
    ["/no/such/folder/out.txt", "FOLDER", "/dev/full"],
    ids=["missing-folder", "onto-a-folder", "disk-full"],
)
@pytest.mark.parametrize("command", [["grad", "x^2"], ["code", "x^2"]], ids=["grad", "code"])
def test_an_output_that_cannot_be_written_is_an_error_not_a_traceback(command, target, tmp_path):
    target = str(tmp_path) if target == "FOLDER" else target
    result = _run([*command, "-o", target])
    assert result.returncode == 2
    assert "cannot write" in result.stderr.decode() and b"Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["plot", "descend"])
def test_a_picture_that_cannot_be_written_is_an_error(command):
    args = {
        "plot": ["plot", "|x|", "--wrt", "x", "-o", "/no/such/folder/p.png"],
        "descend": ["descend", "x^2", "--start", "x=1", "--plot", "/no/such/folder/p.png"],
    }[command]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "cannot write" in result.output


ASTRONOMICAL = [
    # (id, command line, exit status, text in the output): each ran past its deadline in C,
    # where no deadline reaches, or took gigabytes
    ("huge-coefficient-in-an-exponent", ["grad", r"3^{x \cdot 10^{9}}"], 0, "Result:"),
    ("huge-fractional-power", ["grad", r"e^{(x+3)^{(1.25)^{100}}}"], 0, "Result:"),
    (
        "claim-where-random-points-are-astronomical",
        ["check", r"e^{(x+3)^{(1.25)^{100}}}", "--wrt", "x", "--claim", "0"],
        1,
        "Counterexample: x = −2",
    ),
]


def _at_most_a_gigabyte():
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))


@pytest.mark.parametrize(
    "args,status,shown", [c[1:] for c in ASTRONOMICAL], ids=[c[0] for c in ASTRONOMICAL]
)
def test_astronomical_numbers_are_not_built(args, status, shown):
    command = [sys.executable, "-c", "import cli; cli.run()", *args]
    started = time.monotonic()
    result = subprocess.run(
        command, capture_output=True, timeout=60, cwd=ROOT, preexec_fn=_at_most_a_gigabyte
    )
    output = result.stdout.decode() + result.stderr.decode()
    assert result.returncode == status and shown in output, output
    assert time.monotonic() - started < 20  # a 10 s deadline, and a loaded machine's slack


def test_the_deadline_holds_in_a_worker_thread():
    from concurrent.futures import ThreadPoolExecutor

    nested = r"\sigma(" * 16 + "x" + ")" * 16

    def derivation():
        started = time.monotonic()
        try:
            derive.gradient(nested, timeout=2)
        except derive.DeriveError:
            pass
        return time.monotonic() - started

    with ThreadPoolExecutor() as pool:
        assert pool.submit(derivation).result() < 6  # 2 s, and the slack of a loaded machine


def test_the_deadline_holds_while_the_loss_is_read():
    """SymPy evaluates as it builds: H(e^{(‖10w − x‖²)^{10}} − Δ) took it 14 s in one step of
    the reader, which ran past its deadline (found by bench/fuzz.py under load)."""
    slow = r"\mathbf{1}[\exp((\|10 \mathbf{w} - \mathbf{x}\|^2)^{10}) > \Delta]"
    started = time.monotonic()
    with pytest.raises(derive.DeriveError, match="gave up"):
        derive.gradient(slow, timeout=1)
    assert time.monotonic() - started < 5  # 1 s, and the slack of a loaded machine


def test_a_large_sum_is_coded_or_refused_within_the_time():
    residuals = " + ".join(f"(w x_{{{i}}} - y_{{{i}}})^2" for i in range(20))
    started = time.monotonic()
    result = CliRunner().invoke(main, ["code", residuals, "--wrt", "w", "--timeout", "5"])
    assert result.exit_code in (0, 2) and time.monotonic() - started < 12


def test_a_command_that_runs_out_of_time_says_the_time_it_was_given():
    """The CLI's clock starts with the command (importing SymPy counts); the message names
    the --timeout given, not what was left of it when the derivation began."""
    # (σ nested 16 deep, the input this used, is derived in less than 0.5 s now)
    product = "".join(f"(w + {k})" for k in range(1, 201))
    result = CliRunner().invoke(main, ["grad", product, "--timeout", "0.5"])
    assert result.exit_code == 2
    assert "after 0.5 s: too large to derive in time" in result.output


@pytest.mark.parametrize("seed", range(8), ids=lambda s: f"assumption-order-{s}")
def test_a_constant_sympy_cannot_decide_is_answered_or_refused_not_a_bug(seed, monkeypatch):
    """SymPy shuffles the order of its assumption checks; under some orders log(erf(10))
    (erf(10) = 1 − 2·10⁻⁴⁵) is found not real and building the derivative raises TypeError
    (found by bench/fuzz.py; orders 3, 5 and 6 do it in one process with SymPy 1.14).
    Either way: an answer or a
    refusal that says why, never "a bug"."""
    import sympy
    import sympy.core.random

    sympy.core.cache.clear_cache()
    state = sympy.core.random._assumptions_rng.getstate()
    sympy.core.random._assumptions_rng.seed(seed)
    loss = (
        r"\operatorname{sinc}(\begin{cases} \log_2(\operatorname{erf}(10)) & x > 0 \\ "
        r"\pi & \text{otherwise} \end{cases}) - \max(\left|\text{lr}\right|, \pi)"
    )
    try:
        derive.gradient(loss)
    except derive.DeriveError as error:
        assert "this is a bug" not in str(error)
        assert "could not compare" in str(error)
    finally:
        sympy.core.random._assumptions_rng.setstate(state)
        sympy.core.cache.clear_cache()


def test_sympy_taking_a_value_for_not_real_is_said_so():
    from derive.guard import guarded

    @guarded
    def comparing(latex):
        raise TypeError("Invalid comparison of non-real log(erf(10))")

    with pytest.raises(derive.DeriveError, match=r"SymPy took log\(erf\(10\)\) for a value"):
        comparing("x")


def test_a_max_of_many_arguments_keeps_its_deadline():
    """Its kinks once rebuilt max(others) for each pair of arguments, each time comparing
    every pair again inside SymPy, where no deadline reaches: 9 s past a 1 s deadline."""
    many = r"\max(" + ", ".join(f"x_{{{i}}} w" for i in range(12)) + ")"
    started = time.monotonic()
    try:
        derive.gradient(many, timeout=1)
    except derive.DeriveError:
        pass
    assert time.monotonic() - started < 4  # 1 s, and the slack of a loaded machine
