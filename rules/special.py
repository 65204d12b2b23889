"""Special functions: the error function and the cardinal sine.

Each rule gives the outer derivative f'(u); the engine multiplies by du/dx (the chain rule).
"""

from __future__ import annotations

from sympy import cos, erf, exp, pi, sin, sinc, sqrt

from rules.registry import derivative

ERF_HELPER = '''
_ERF = np.vectorize(math.erf, otypes=[float])


def _erf(u):
    """erf(u), elementwise: the standard library's math.erf, exact to double precision."""
    return _ERF(u)
'''


@derivative(
    erf,
    name="error function",
    names=("erf",),
    numpy="_erf",
    numpy_helper=ERF_HELPER,
)
def error_function(u):
    """d/du erf u = 2/√π · e^(−u²)"""
    return 2 / sqrt(pi) * exp(-(u**2))


@derivative(
    sinc,
    name="cardinal sine",
    names=("sinc",),
    numpy=lambda p, e: f"np.sinc({p(e.args[0] / pi)})",
)
def cardinal_sine(u):
    """d/du sinc u = cos u / u − sin u / u², for u ≠ 0 (sinc u = sin u / u; the limit at 0 is 0)"""
    return cos(u) / u - sin(u) / u**2
