"""The vocabulary of derive: every function and rule it knows, one entry each, one registry.

``rules.registry`` holds the table and the lookups; each family registers into it when this
package is imported, in the order of a calculus table: ``arithmetic`` (constants, sums,
products, quotients, powers), ``exponential`` (exp, logarithms), ``trigonometric`` and
``hyperbolic`` (and their inverses), ``special`` (erf, sinc), ``neural`` (sigmoid, softplus),
``nonsmooth`` (abs, sign, Heaviside, ReLU, max, min, cases) and ``undefined`` (unknown
functions such as m_x(w)) and ``sums`` (Σ over an index, elements of arrays).
"""

# isort: off
from rules import arithmetic  # noqa: F401  (each family registers its rules on import)
from rules import exponential  # noqa: F401
from rules import trigonometric  # noqa: F401
from rules import hyperbolic  # noqa: F401
from rules import special  # noqa: F401
from rules import neural  # noqa: F401
from rules import nonsmooth  # noqa: F401
from rules import undefined  # noqa: F401
from rules import sums  # noqa: F401
# isort: on
