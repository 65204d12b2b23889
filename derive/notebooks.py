"""Jupyter notebooks as lecture notes: ``derive render NOTES.ipynb -o OUT.ipynb`` runs every
cell (its ``%%derive`` cells among them, after ``%load_ext derive``) and keeps what each
shows, the derivations' HTML, Markdown and LaTeX included.

The notebook runs in a kernel of this very Python (so that ``import derive`` finds this
derive), in the notebook's folder, each cell within ``CELL_TIMEOUT`` seconds. The result is
the same bytes each time: no timings are recorded, and a cell without an id is given one
from its position. A cell that raises, or a ``%%derive`` that refuses its input, stops the
rendering with ``NOTES.ipynb:cell N: message`` (N counts every cell from 1), no traceback.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from derive.notes import RenderError

CELL_TIMEOUT = 120  # seconds for one cell
KERNEL = "python3"
_INSTALL = "pip install 'derive[notebook]'"


def render_notebook(text: str, name: str) -> str:
    """The notebook ``text`` (nbformat JSON) executed, as JSON text with every cell's outputs;
    ``name`` (its path) names it in errors and its folder is where the cells run. Raises
    ``RenderError`` for a cell that fails, text that is no notebook, or Jupyter's packages
    missing."""
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
    except ImportError as error:
        raise _missing(name, error) from None
    notebook = _read(text, name, nbformat)
    running = {"cell": 0}

    def started(cell, cell_index: int, **_) -> None:
        running["cell"] = cell_index + 1

    client = NotebookClient(
        notebook,
        km=_kernel_manager(name),
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        record_timing=False,
        allow_errors=False,
        on_cell_start=started,
        resources={"metadata": {"path": str(Path(name).parent)}},
    )
    where = lambda: f"{name}:cell {running['cell']}"  # noqa: E731
    try:  # the kernel's own warnings (on its transport, its start and end) are not for users
        client.execute(cleanup_kc=True, stderr=subprocess.DEVNULL)  # and it is shut down
    except CellExecutionError as error:
        raise RenderError(f"{where()}: {_message(error)}") from None
    except CellTimeoutError:
        raise RenderError(f"{where()}: took longer than {CELL_TIMEOUT} s") from None
    except DeadKernelError:
        raise RenderError(f"{where()}: the kernel died running it") from None
    except (RuntimeError, OSError) as error:  # the kernel could not start
        raise RenderError(f"{name}: the Python kernel did not start: {error}") from None
    return nbformat.writes(notebook) + "\n"


def _message(error) -> str:
    """What went wrong in a cell: a ``%%derive``'s message as it is, an exception as
    ``Name: message``, an error in showing the cell's result as the last line of its
    traceback (the kernel names no exception then)."""
    if error.ename == "UsageError":
        return error.evalue.strip()
    if error.ename not in ("NoneType", ""):
        return f"{error.ename}: {error.evalue}".strip()
    lines = [line for line in _ANSI.sub("", error.traceback).splitlines() if line.strip()]
    last = lines[-1].strip() if lines else "an error"
    return f"showing its result failed: {last}"


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _read(text: str, name: str, nbformat):
    """The notebook in ``text``, every cell with an id (its position, when it had none)."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise RenderError(f"{name}: not a Jupyter notebook (not JSON: {error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise RenderError(f"{name}: not a Jupyter notebook (no list of cells)")
    if (data.get("nbformat"), data.get("nbformat_minor", 0)) >= (4, 5):
        taken = {c.get("id") for c in data["cells"] if isinstance(c, dict)}
        for number, cell in enumerate(data["cells"], start=1):
            if isinstance(cell, dict) and not cell.get("id"):
                cell["id"] = _free_id(f"cell-{number}", taken)
                taken.add(cell["id"])
    try:
        notebook = nbformat.reads(json.dumps(data), as_version=4)
        nbformat.validate(notebook)
    except Exception as error:  # noqa: BLE001 - nbformat's many ways to refuse a notebook
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise RenderError(f"{name}: not a Jupyter notebook: {first}") from None
    return notebook


def _free_id(wanted: str, taken: set) -> str:
    """``wanted``, or ``wanted-2``, ``wanted-3``… when another cell has it."""
    found, count = wanted, 1
    while found in taken:
        count += 1
        found = f"{wanted}-{count}"
    return found


def _missing(name: str, error: ImportError) -> RenderError:
    """What to say when one of Jupyter's packages is not installed."""
    return RenderError(
        f"{name}: rendering a notebook needs Jupyter's packages ({error.name} is missing): "
        f"{_INSTALL}"
    )


def _kernel_manager(name: str):
    """A manager for a kernel run by this Python (``python -m ipykernel_launcher``), whatever
    kernel named ``python3`` Jupyter may know elsewhere on the machine."""
    try:
        from ipykernel.kernelspec import make_ipkernel_cmd
        from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager
    except ImportError as error:
        raise _missing(name, error) from None

    class ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return KernelSpec(
                argv=make_ipkernel_cmd(executable=sys.executable),
                name=kernel_name,
                display_name="Python 3 (ipykernel)",
                language="python",
            )

    return AsyncKernelManager(kernel_name=KERNEL, kernel_spec_manager=ThisPython())
