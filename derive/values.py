"""Values for a loss's symbols and arrays, as a descent takes them: numbers, vectors, matrices.

On the command line (``--start``, ``--set``)::

    w=0.5          a number (for a vector or matrix: every element)
    w=1,2,3        a vector
    X=1,2;3,4      a matrix, its rows separated by ';'
    X=@data.csv    a file: rows of numbers separated by commas or spaces, or a .npy array

In the API the same strings, or numbers, lists and NumPy arrays. The lengths that a loss's
sums and vectors leave open (N in Σᵢ₌₁ᴺ, d for wᵀx) are read off the arrays given.
"""

from __future__ import annotations

import math
import os

import numpy as np
import sympy

from derive.errors import DeriveError

MAX_ELEMENTS = 10_000_000  # 80 MB of float64: one array of data
MAX_FILE_BYTES = 200_000_000


def value_from_text(text: str, what: str) -> float | np.ndarray:
    """``"0.5"``, ``"1,2,3"``, ``"1,2;3,4"`` or ``"@path"`` as a number or an array."""
    text = text.strip()
    if text.startswith("@"):
        return _from_file(text[1:], what)
    rows = [row.strip() for row in text.split(";")]
    if len(rows) == 1 and "," not in text:
        return _number(text, what)
    matrix = [[_number(cell, what) for cell in row.split(",")] for row in rows]
    if len({len(row) for row in matrix}) > 1:
        raise DeriveError(f"{what}: the rows have different lengths ({text})")
    array = np.array(matrix[0] if len(matrix) == 1 else matrix, dtype=float)
    return checked_array(array, what)


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise DeriveError(f"{what}: {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise DeriveError(f"{what}: the value must be a finite number, not {text.strip()}")
    return value


def _from_file(path: str, what: str) -> np.ndarray:
    """A .npy array, or rows of numbers separated by commas or white space."""
    try:
        size = os.path.getsize(path)
    except OSError as error:
        raise DeriveError(f"{what}: cannot read {path}: {error.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise DeriveError(f"{what}: {path} is larger than {MAX_FILE_BYTES // 10**6} MB")
    try:
        if path.endswith(".npy"):
            array = np.load(path, allow_pickle=False)
        else:
            with open(path, encoding="utf-8") as file:
                first = file.readline()
            array = np.loadtxt(path, delimiter="," if "," in first else None, ndmin=1)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise DeriveError(f"{what}: {path} is not an array of numbers ({error})") from None
    if array.dtype.kind not in "biuf":
        raise DeriveError(f"{what}: {path} holds {array.dtype}, not numbers")
    return checked_array(np.asarray(array, dtype=float), what)


def as_value(value, what: str) -> float | np.ndarray:
    """A number or an array of numbers from what the API was given (a string as on the
    command line, a number, a list, an array)."""
    if isinstance(value, str):
        return value_from_text(value, what)
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return _number(str(float(value)), what)
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as error:
        raise DeriveError(f"{what}: not a number or an array of numbers ({error})") from None
    return float(array) if array.ndim == 0 else checked_array(array, what)


def checked_array(array: np.ndarray, what: str) -> np.ndarray:
    if array.size > MAX_ELEMENTS:
        raise DeriveError(f"{what}: {array.size} elements; derive takes at most {MAX_ELEMENTS}")
    if array.ndim > 2:
        raise DeriveError(f"{what}: an array with {array.ndim} axes; give a vector or a matrix")
    if array.size == 0:
        raise DeriveError(f"{what}: the array is empty")
    if not np.all(np.isfinite(array)):
        raise DeriveError(f"{what}: the values must be finite numbers")
    return array


def lengths_of(
    shapes: dict[str, tuple], values: dict[str, float | np.ndarray], spell
) -> dict[sympy.Symbol, int]:
    """Each length a loss leaves open (N, d), read off the arrays given: ``shapes`` by name
    (x: (N, d)); a clear error when two arrays disagree or an array has the wrong rank."""
    found: dict[sympy.Symbol, tuple[int, str]] = {}
    for name, shape in sorted(shapes.items()):  # by name: the same message each time
        value = values.get(name)
        if not isinstance(value, np.ndarray):
            continue
        if value.ndim != len(shape):
            kind = "a vector" if len(shape) == 1 else "a matrix"
            axes = "1 axis" if value.ndim == 1 else f"{value.ndim} axes"
            raise DeriveError(f"{spell(name)} is {kind} in this loss; an array with {axes} given")
        for dim, size in zip(shape, value.shape, strict=True):
            if not isinstance(dim, sympy.Symbol):
                if dim.is_number and int(dim) != size:
                    raise DeriveError(f"{spell(name)} has {size} elements along an axis of {dim}")
                continue
            known = found.setdefault(dim, (size, name))
            if known[0] != size:
                raise DeriveError(
                    f"{spell(known[1])} and {spell(name)} disagree on {spell(dim.name)}: "
                    f"{known[0]} and {size}"
                )
    return {dim: size for dim, (size, _) in found.items()}


def filled(shape: tuple, value: float, lengths: dict[sympy.Symbol, int], name: str) -> np.ndarray:
    """A number given for an array (w=0): every element, once its lengths are known."""
    sizes = []
    for dim in shape:
        size = lengths.get(dim) if isinstance(dim, sympy.Symbol) else int(dim)
        if size is None:
            raise DeriveError(
                f"the length {dim} of {name} is not known from the data: give {name} as a list "
                f"of numbers ({name}=0,0,0)"
            )
        sizes.append(size)
    return np.full(sizes, float(value))
