"""The vocabulary of derive: every function and rule it knows, one entry each, one registry.

``rules.registry`` holds the table and the lookups; each family registers into it when this
package is imported: ``arithmetic`` (constants, sums, products, quotients, powers),
``exponential`` (exp, logarithms), ``trigonometric`` and ``hyperbolic`` (and their
inverses), ``special`` (erf, sinc), ``neural`` (sigmoid, softplus), ``nonsmooth`` (abs,
sign, Heaviside, ReLU, max, min, cases) and ``undefined`` (unknown functions such as m_x(w)).
"""

from rules import (  # noqa: F401  (each family registers its rules on import)
    arithmetic,
    exponential,
    hyperbolic,
    neural,
    nonsmooth,
    special,
    trigonometric,
    undefined,
)
