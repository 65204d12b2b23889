"""The command line keeps SymPy's tensor algebra unloaded until something uses it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def _run(code: str) -> str:
    """What ``code`` prints, on standard error where it runs a command (whose output is on
    standard output)."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True
    )
    return (done.stderr or done.stdout).strip()


def test_a_derivation_from_the_command_line_loads_no_tensor_algebra():
    out = _run("""
        import sys
        import cli
        sys.argv = ["derive", "grad", r"\\max(0, 1 - y (w x + b))", "--wrt", "w"]
        try:
            cli.run()
        except SystemExit as exit:
            assert not exit.code, exit.code
        loaded = [m for m in sys.modules if "combinatorics" in m or m.endswith("tensor.tensor")]
        print(sorted(loaded), file=sys.stderr)
    """)
    assert out == "['sympy.tensor.tensor']"  # the stand-in alone


def test_the_command_called_from_python_leaves_sympy_as_it_is():
    """click's test runner calls ``main`` in the test's process: no stand-in there."""
    out = _run("""
        import sys
        from click.testing import CliRunner
        from cli import main
        result = CliRunner().invoke(main, ["grad", "x^2"])
        assert result.exit_code == 0, result.output
        found = sys.modules.get("sympy.tensor.tensor")
        stand_in = found is not None and "__getattr__" in vars(found)
        print("stand-in" if stand_in else "sympy's own", file=sys.stderr)
    """)
    assert out == "sympy's own"


@pytest.mark.parametrize(
    "use",
    [
        "from sympy.tensor.tensor import TensorIndexType, TensorHead, tensor_indices",
        "import sympy.tensor.tensor as t; TensorIndexType, TensorHead, tensor_indices ="
        " t.TensorIndexType, t.TensorHead, t.tensor_indices",
    ],
    ids=["from-import", "module-import"],
)
def test_tensors_work_after_the_stand_in_as_without_it(use):
    """Once asked for anything but the two names a sum reads, the real module takes the
    stand-in's place, and sums of tensors are tensor sums."""
    out = _run(f"""
        import sympy
        from derive.deferred_tensors import defer
        defer()
        x = sympy.Symbol("x")
        assert sympy.diff(x**2 + x + 1, x) == 2 * x + 1
        {use}
        L = TensorIndexType("L")
        i = tensor_indices("i", L)
        A, B = TensorHead("A", [L]), TensorHead("B", [L])
        print(type(A(i) + B(i)).__name__, 2 * A(i) + A(i))
    """)
    assert out == "TensAdd 3*A(i)"


def test_nothing_changes_where_the_real_module_is_loaded_already():
    out = _run("""
        import sys
        import sympy.tensor.tensor as real
        from derive.deferred_tensors import defer
        defer()
        print(sys.modules["sympy.tensor.tensor"] is real)
    """)
    assert out == "True"
