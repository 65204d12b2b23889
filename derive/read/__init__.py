"""Reading LaTeX as people write it: a loss, a claimed derivative, a variable's name.

``tokens`` (text → tokens and groups), ``names``, ``expressions``, ``functions``,
``cases``, ``claims`` and ``bridge`` (to latex2sympy2_extended) are the reader's concerns,
composed in ``reader``. Each reading decision is recorded as a note in the ``Loss``.
"""

from derive.read.reader import parse_claim, parse_loss, parse_name

__all__ = ["parse_claim", "parse_loss", "parse_name"]
