"""Generated code: a Python module computing the loss and its gradient, from a Derivation.

``module`` writes the module's source (``module_source``) and loads it (``compile_module``);
``parameters`` decides its interface (and the helpers and imports it needs); ``statements``
its lines (shared subexpressions, short lines); ``text`` keeps prose printable and lines
short; ``numpy_printer`` prints expressions as NumPy, each function as its vocabulary entry
says, and ``steps`` writes them as steps in arrays of the function's own; ``stable``
rewrites formulas into forms that neither overflow nor lose digits.
"""

from derive.codegen.module import compile_module, module_source
from derive.codegen.parameters import parameters

__all__ = ["compile_module", "module_source", "parameters"]
