"""The differentiation rules of derive, one module per family, in one registry.

``rules.registry`` holds the table; ``arithmetic`` (constants, sums, products, quotients,
powers), ``elementary`` (exp, log, trigonometric, hyperbolic), ``functions`` (undefined
functions), ``neural`` (sigmoid, softplus) and ``nonsmooth`` (abs, sign, Heaviside, max, min,
ReLU, cases) register into it.
"""
