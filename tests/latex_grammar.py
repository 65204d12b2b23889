"""Random LaTeX losses: grown from a small grammar of the notation derive reads, or mutated from
real ones (the documentation corpus, SymPy's parser table, the examples). The inputs of the
fuzzer (``bench/fuzz.py``) and of a bounded property test (``tests/test_fuzz.py``)."""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path

ROOT = Path(__file__).parent.parent

NAMES = [
    "x", "y", "w", "b", "t", "z", r"\theta", r"\Delta", "s_c", r"\hat{y}", "x_1", "w_{12}",
    r"\lambda", r"\sigma", "m_x(w)", "f(x)", "g(w, x)", "x'", r"\bar{x}", "beta", "x1", "wx",
    r"\mathbf{w}", r"\text{lr}", "e", r"\pi", "x_i", "y_i", "w_i",
    r"\mathbf{w}^\top \mathbf{x}", r"\|\mathbf{w}\|^2", r"\|\mathbf{w} - \mathbf{x}\|_1",
    r"\langle \mathbf{w}, \mathbf{x} \rangle", r"\|\mathbf{w} \odot \mathbf{x}\|^2",
    r"\mathbf{x}^\top \log \operatorname{softmax}(\mathbf{w})",
    r"w^\top x", r"\theta^T x_i", r"\langle w, x^{(i)} \rangle", r"x_i^\top w",
]  # fmt: skip
NUMBERS = ["0", "1", "2", "3", "0.5", "10", r"\frac12", "-1", "100", "1.5"]
UNARY = [
    r"\sin({})", r"\cos({})", r"\tan({})", r"\exp({})", r"\log({})", r"\ln {}", r"\log_2({})",
    r"\sigma({})", r"\operatorname{{ReLU}}({})", r"\operatorname{{softplus}}({})", r"|{}|",
    r"\left|{}\right|", r"\sqrt{{{}}}", r"\tanh({})", r"\arctan({})", r"\operatorname{{erf}}({})",
    r"\operatorname{{sgn}}({})", "({})^2", "({})^{{-1}}", r"\log(1 + e^{{{}}})", r"[{}]_+",
    r"\sin^{{-1}}({})", r"\cosh({})", r"-{}", r"e^{{{}}}", r"\operatorname{{sinc}}({})",
    r"\sum_i ({})", r"\frac{{1}}{{N}} \sum_{{i=1}}^{{N}} ({})", r"\sum_{{j=0}}^{{n-1}} x_j {}",
    r"\|{} \mathbf{{w}} - \mathbf{{x}}\|^2", r"\mathbf{{w}}^\top \sigma({} \mathbf{{x}})",
    r"\frac{{1}}{{N}}\sum_i ({} - y_i w^\top x_i)^2",
    r"\sum_{{i=1}}^{{n}} \max(0, {} - \mathbf{{w}}^\top \mathbf{{x}}_i)",
]  # fmt: skip
BINARY = [
    "{} + {}", "{} - {}", "{} {}", r"{} \cdot {}", r"\frac{{{}}}{{{}}}", "({})^{{{}}}",
    r"\max({}, {})", r"\min({}, {})", r"\mathbf{{1}}[{} > {}]",
    r"\begin{{cases}} {} & x > 0 \\ {} & \text{{otherwise}} \end{{cases}}",
    r"\max\{{0, {} - {}\}}", r"\max({}, {}, 0)",
]  # fmt: skip
NOISE = [
    "\\", "{", "}", "(", ")", "[", "]", "|", "^", "_", "&", r"\\", r"\frac", r"\sqrt", ",", ".",
    "'", "=", "<", r"\le", "-", "+", "2", "x", r"\alpha", r"\sum", r"\left(", r"\right)", "²",
    "%", "\n", "\x00", "é", r"\begin{cases}", r"\end{cases}", r"\text{if}", "^{(i)}", "^T",
    r"\operatorname{foo}", "e^{", " ", "0^{", "9" * 30,
]  # fmt: skip


def expression(rng: random.Random, depth: int) -> str:
    """A random loss in the notation derive reads, ``depth`` operations deep at most."""
    if depth <= 0 or rng.random() < 0.15:
        return rng.choice(NAMES if rng.random() < 0.75 else NUMBERS)
    if rng.random() < 0.45:
        return rng.choice(UNARY).format(expression(rng, depth - 1))
    left, right = expression(rng, depth - 1), expression(rng, rng.randint(0, depth - 1))
    return rng.choice(BINARY).format(left, right)


@cache
def corpus() -> tuple[str, ...]:
    """Real LaTeX to mutate: the documentation corpus, SymPy's table, the examples."""
    data = ROOT / "tests" / "data"
    texts = [row["latex"] for row in json.loads((data / "corpus.json").read_text())["losses"]]
    pairs = json.loads((data / "sympy_latex_pairs.json").read_text())["pairs"]
    texts += [pair["latex"] for pair in pairs]
    texts += [path.read_text() for path in sorted((ROOT / "examples").glob("*.tex"))]
    return tuple(texts)


def mutated(rng: random.Random, text: str) -> str:
    """``text`` with a few random edits: a piece deleted, duplicated, swapped or cut off, or
    noise put in."""
    for _ in range(rng.randint(1, 3)):
        if not text:
            text = rng.choice(NOISE)
            continue
        i = rng.randrange(len(text))
        j = min(len(text), i + rng.randint(1, 6))
        edit = rng.randrange(5)
        if edit == 0:
            text = text[:i] + text[j:]
        elif edit == 1:
            text = text[:j] + text[i:j] + text[j:]
        elif edit == 2:
            text = text[:i] + rng.choice(NOISE) + text[i:]
        elif edit == 3 and j - i >= 2:
            text = text[:i] + text[i:j][::-1] + text[j:]
        else:
            text = text[:j]
    return text


def chain(rng: random.Random) -> str:
    """A loss written as definitions, one per line: each z_k uses the next, the last line is
    the loss (sometimes an aligned block, sometimes with a line mutated)."""
    n = rng.randint(1, 3)
    lines = []
    for k in range(n):
        rhs = expression(rng, rng.randint(1, 3))
        if k + 1 < n:
            rhs = f"{rhs} + z_{{{k + 1}}}" if rng.random() < 0.5 else f"z_{{{k + 1}}} ({rhs})"
        lines.append(f"z_{{{k}}} = {rhs}")
    lines.append(f"L = {expression(rng, 2)} + z_{{0}}")
    rng.shuffle(lines)
    if rng.random() < 0.3:
        return (
            "\\begin{aligned} "
            + " \\\\ ".join(line.replace("=", "&=", 1) for line in lines)
            + " \\end{aligned}"
        )
    text = "\n".join(lines)
    return mutated(rng, text) if rng.random() < 0.2 else text


def random_input(rng: random.Random) -> str:
    """A grown loss, a grown loss mutated, a real one mutated, or a chain of definitions."""
    choice = rng.random()
    if choice < 0.45:
        return expression(rng, rng.randint(1, 5))
    if choice < 0.6:
        return mutated(rng, expression(rng, rng.randint(1, 4)))
    if choice < 0.9:
        return mutated(rng, rng.choice(corpus()))
    return chain(rng)
