"""Proofs: each step proved (or checked) once, kinks and subgradients, the answer's forms,
the gradient checker for generated code, and the deadlines that bound SymPy's work.

``equality`` decides whether two expressions are equal (symbolically, else at random points);
``prover`` verifies step trees, simplifications and the cases form with a memo and a budget;
``kinks`` finds where a derivative is not defined and the subgradients there; ``forms``
writes the answer with sign, H or cases; ``gradient_check`` compares code with central
differences; ``deadline`` bounds the time of any SymPy attempt.
"""
