"""The backends of ``derive code`` besides NumPy: ``numba`` (one fused, parallel loop per
function) and ``array-api`` (any array library that follows the Python array API standard).

Both print the same statements as the NumPy module: the loss and each partial derivative
from the derivation, in their stable forms, shared subexpressions named, reverse mode where
the NumPy module takes it. ``plans.plan`` chooses those statements; ``numba_backend`` prints them
as scalars inside a loop, ``array_api_backend`` as calls of the namespace ``xp``. Both take
elementwise losses only: a sum over data (which NumPy writes with einsum) is refused.
"""

from __future__ import annotations

import importlib.util

from derive.codegen import array_api_backend, numba_backend
from derive.codegen import module as numpy_module
from derive.codegen.arrays import has_arrays
from derive.errors import DeriveError
from derive.model import Derivation

BACKENDS = ("numpy", "numba", "array-api")
# backend -> (the module it imports, the extra that installs it)
NEEDS = {"numba": ("numba", "numba"), "array-api": ("array_api_compat", "array-api")}


def refuse(d: Derivation, backend: str) -> None:
    """A backend that only writes elementwise losses refuses a sum over data."""
    if has_arrays(d.expr):
        raise DeriveError(
            f"--backend {backend} writes elementwise losses only (numbers or "
            "arrays broadcast together); this loss sums over data (x_i): use --backend numpy, "
            "which writes it with einsum"
        )


def require(backend: str) -> None:
    """Raise DeriveError, with the install line, when the backend's library is missing."""
    if backend in NEEDS:
        name, extra = NEEDS[backend]
        if importlib.util.find_spec(name) is None:
            raise DeriveError(
                f"--backend {backend} needs {name}, which is not installed: "
                f"pip install 'derive[{extra}]'"
            )


def module_source(d: Derivation, derivative, backend: str) -> str:
    """The module's source code for ``backend`` (``numba`` or ``array-api``)."""
    if backend == "numpy":
        return numpy_module.module_source(d, derivative)
    refuse(d, backend)
    if backend == "numba":
        return numba_backend.module_source(d, derivative)
    if backend == "array-api":
        return array_api_backend.module_source(d, derivative)
    raise DeriveError(f"unknown backend {backend!r}: one of {', '.join(BACKENDS)}")


def compile_module(source: str, backend: str = "numpy", name: str = "derive_generated"):
    """The module ``source`` defines, loaded from that source (the backend's library must be
    installed: DeriveError with the install line if not)."""
    require(backend)
    return numpy_module.compile_module(source, name)
