"""derive: step-by-step, proved derivations of the gradients of loss functions written in LaTeX."""

__version__ = "0.1.0"
