"""Proofs: each step proved (or checked) once, kinks and subgradients, the answer's forms,
and the gradient checker for generated code.

``equality`` decides whether two expressions are equal (symbolically, else at random points);
``prover`` verifies step trees, simplifications and the cases form with a memo and a budget,
each step by its rule's identity at the rule's own size where it can (``local``);
``simpler`` simplifies the result shown, whole when it is small, term by term when not;
``kinks`` finds where a derivative is not defined and the subgradients there; ``forms``
writes the answer with sign, H or cases; ``equations`` writes and solves kink surfaces;
``gradient_check`` compares code with central differences. Every SymPy attempt that may not
finish runs under ``derive.deadline``.
"""
