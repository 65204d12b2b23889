"""HTML without JavaScript: MathML that a browser lays out (checked in headless Chromium, which
is skipped where it is absent unless DERIVE_REQUIRE_CHROMIUM is set, as CI sets it), the
fragment and the page, escaping, and the repairs of latex2mathml's MathML."""

from __future__ import annotations

import functools
import html
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

import derive
from cli import main
from derive.emit import html as html_emit
from derive.emit import mathml

BCE = r"-y \log \sigma(w x + b) - (1 - y) \log(1 - \sigma(w x + b))"
PAGES = [  # (id, the arguments of derive grad)
    ("bce", [BCE, "--wrt", "w"]),
    ("seed-000-where", [r"|m_x(w) - t|", "--where", "m_x(w) = w x", "--wrt", "w"]),
    ("seed-001-cases", [r"\max(\Delta + s_c - s, 0)", "--wrt", "s", "--form", "cases"]),
]
# Beyond the pages: sums, matrices, softmax, definitions, cases written in the loss.
MORE = [
    ("sum", r"\frac{1}{N} \sum_{i=1}^{N} (w x_i + b - y_i)^2", {"wrt": "w"}),
    ("softmax", r"-y^\top \log \operatorname{softmax}(z)",
     {"wrt": "z", "shapes": {"y": "n", "z": "n"}}),
    ("matrix", r"\|X w - y\|_2^2", {"wrt": "w", "shapes": {"X": "n,d", "w": "d", "y": "n"}}),
    ("hadamard", r"\|w \odot x\|_1", {"wrt": "w", "shapes": {"w": "d", "x": "d"}}),
    ("ones", r"\|\mathbf{1} - v\|^2", {"wrt": "v", "shapes": {"v": "d"}}),
    ("relu", r"\operatorname{ReLU}(w x) + \tanh(b)", {}),
    ("chain", r"-y \log s - (1 - y) \log(1 - s)", {"wrt": "w", "where": r"s = \sigma(w x + b)"}),
    ("cases-in-loss",
     r"L = \begin{cases} x^2 & x < 1 \\ 2x - 1 & \text{otherwise} \end{cases}", {}),
]  # fmt: skip
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
]  # fmt: skip


@functools.cache
def _derivation(latex: str, options: str = "{}"):
    return derive.gradient(latex, timeout=120, **json.loads(options))


def _page(args: list[str], *more: str) -> str:
    result = CliRunner().invoke(main, ["grad", *args, "--format", "html", *more])
    assert result.exit_code == 0, result.output
    return result.output


def _maths(text: str) -> list[str]:
    return re.findall(r"<math\b.*?</math>", text, flags=re.DOTALL)


def _shown(math: str) -> str:
    """A ``<math>`` element without its annotation, which holds the LaTeX and is not shown."""
    return re.sub(r"<annotation\b.*?</annotation>", "", math, flags=re.DOTALL)


def _assert_clean_mathml(text: str) -> None:
    """MathML only: no script, every formula well formed, no error, no LaTeX left in it."""
    assert "<script" not in text.lower()
    maths = _maths(text)
    assert maths
    for math in maths:
        ET.fromstring(math)  # well formed
        shown = _shown(math)
        assert "<merror" not in shown and "\\" not in shown, shown
        assert "&amp;#" not in shown, shown  # a character reference escaped twice


# -- the fragment and the page, without a browser ------------------------------------------


def test_the_fragment_is_a_section_with_mathml_and_no_script():
    fragment = _page(PAGES[1][1])
    assert fragment.startswith('<section class="derivation">')
    assert fragment.rstrip().endswith("</section>")
    assert "<!DOCTYPE" not in fragment and "<style" not in fragment
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in fragment
    assert "<mtable" in fragment and 'class="rule"' in fragment
    _assert_clean_mathml(fragment)


def test_the_standalone_page_is_whole_and_has_no_script():
    page = _page(PAGES[1][1], "--standalone")
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page and "<title>derive: |m_x(w) - t|</title>" in page
    assert "<style>" in page and "max-width" in page and "overflow-x:auto" in page
    assert '<section class="derivation">' in page and page.rstrip().endswith("</html>")
    _assert_clean_mathml(page)


def test_the_api_gives_the_fragment_and_the_page():
    d = _derivation("x^2")
    assert d.html() == html_emit.render(d)
    assert html_emit.render(d, standalone=True).startswith("<!DOCTYPE html>")


def test_special_characters_of_the_input_are_escaped():
    source = r"L = \begin{cases} x^2 & x < 1 \\ 2x - 1 & \text{otherwise} \end{cases}"
    page = html_emit.render(_derivation(source), standalone=True)
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert "&amp;" in title and "&lt;" in title and "<" not in title
    assert html.unescape(title) == "derive: " + source
    echoed = re.search(r"<pre>(.*?)</pre>", page, flags=re.DOTALL).group(1)
    assert html.unescape(echoed) == source and "&lt;" in echoed and "& " not in echoed
    assert html_emit.page("<p></p>", "a < b & c").count("a &lt; b &amp; c") == 2


@pytest.mark.parametrize("case", MORE, ids=[m[0] for m in MORE])
def test_every_formula_is_mathml_without_errors_or_latex_left(case):
    _name, source, options = case
    fragment = _derivation(source, json.dumps(options)).html()
    _assert_clean_mathml(fragment)


@pytest.mark.parametrize("case", PAGES, ids=[p[0] for p in PAGES])
def test_the_pages_are_clean_mathml(case):
    _assert_clean_mathml(_page(case[1], "--standalone"))


def test_check_prints_html_too():
    args = ["check", r"|m_x(w) - t|", "--wrt", "w", "--claim", "m_x'(w)", "--format", "html"]
    fragment = CliRunner().invoke(main, args)
    assert fragment.exit_code == 1  # the claim holds only in part
    assert fragment.output.startswith('<section class="derivation claim">')
    assert "The claim holds in part." in fragment.output and "Counterexample" in fragment.output
    _assert_clean_mathml(fragment.output)
    page = CliRunner().invoke(main, [*args, "--standalone"]).output
    assert page.startswith("<!DOCTYPE html>") and fragment.output in page


def test_standalone_goes_with_latex_or_html_only():
    result = CliRunner().invoke(main, ["grad", "x", "--format", "markdown", "--standalone"])
    assert (
        result.exit_code == 2 and "--standalone goes with --format latex or html" in result.output
    )


# -- latex2mathml's MathML, repaired --------------------------------------------------------


def _tree(tex: str) -> ET.Element:
    return ET.fromstring(mathml.mathml(tex))


def _all(tree: ET.Element, tag: str) -> list[ET.Element]:
    return list(tree.iter(f"{{{mathml.NAMESPACE}}}{tag}"))


def _texts(tex: str, tag: str) -> list[str]:
    return [e.text for e in _all(_tree(tex), tag)]


def test_text_keeps_its_characters():
    assert _texts(r"\text{a \& b, 50\% of m\_x -{}- \{c\}}", "mtext") == [
        "a\xa0&\xa0b,\xa050%\xa0of\xa0m_x\xa0--\xa0{c}"
    ]


def test_operator_names_are_identifiers():
    assert _texts(r"\operatorname{ReLU}(x) + \max(a, b)", "mi")[:1] == ["ReLU"]
    assert "max" in _texts(r"\max(a, b)", "mi") and not _texts(r"\max(a, b)", "mo")[0].isalpha()


def test_a_prime_follows_its_base():
    tree = _tree(r"m_x'(w) + f'(x)")
    assert not _all(tree, "msubsup") and not _all(tree, "msup")
    assert [e.text for e in _all(tree, "mo")].count("′") == 2


def test_bold_digits_and_upright_capital_greek():
    assert "𝟏" in _texts(r"\mathbf{1}^\top v", "mn")
    assert [e.get("mathvariant") for e in _all(_tree(r"\Delta"), "mi")] == ["normal"]


def test_a_minus_after_an_equals_sign_is_unary():
    minus = [e for e in _all(_tree("a = -b"), "mo") if e.text == "−"]
    assert minus[0].get("form") == "prefix"
    assert not [e for e in _all(_tree("a - b"), "mo") if e.get("form") == "prefix"]


def test_parentheses_stretch_only_around_something_tall():
    small = [e.get("stretchy") for e in _all(_tree(r"H\left(x\right)"), "mo")]
    tall = [e.get("stretchy") for e in _all(_tree(r"\left(\frac{1}{x}\right)"), "mo")]
    assert small == ["false", "false"] and tall == ["true", "true"]


def test_latex_that_latex2mathml_cannot_read_is_shown_in_an_merror():
    tree = _tree("x^2^3")  # a double superscript: derive never prints one
    assert _all(tree, "merror") and _texts("x^2^3", "mtext") == ["x^2^3"]


def test_the_chain_is_a_table_of_three_columns():
    rows = [r"\frac{d}{dx} x^2 &= 2 x && \text{power rule}", r"&= 2x && \text{simplify}"]
    (table,) = _all(ET.fromstring(mathml.chain(rows)), "mtable")
    assert [len(tr) for tr in table] == [3, 3]
    assert [tr[2].get("class") for tr in table] == ["rule", "rule"]
    assert "".join(table[0][2].itertext()) == "power\xa0rule"


def test_a_chain_too_wide_for_its_room_puts_the_left_side_and_the_rules_on_rows_of_their_own():
    rows = [r"\frac{d}{dx} x^2 &= 2 x && \text{power rule}", r"&= 2x && \text{simplify}"]
    (table,) = _all(ET.fromstring(mathml.chain(rows, room=30.0)), "mtable")
    assert [len(tr) for tr in table] == [1, 2, 2, 2, 2]
    assert table[0][0].get("columnspan") == "2"
    assert [tr[1].get("class") for tr in table[1:]] == [None, "rule", None, "rule"]


# -- in a browser ---------------------------------------------------------------------------


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("DERIVE_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required here (DERIVE_REQUIRE_CHROMIUM is set)")
        pytest.skip("chromium is not installed")
    return found


def _browse(chromium: str, tmp_path, *args: str) -> str:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    run = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=60,  # a hung browser fails the test instead of hanging CI
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


# Injected into a copy of the page (the page itself has no script): the boxes of every
# <math>, and of the fractions and identifiers in them, written into the DOM as JSON.
PROBE = """<script>
const box = (e) => {
  const r = e.getBoundingClientRect();
  return {width: r.width, height: r.height};
};
const found = {
  math: [...document.querySelectorAll("math")].map(
    (m) => ({display: m.getAttribute("display") || "inline", ...box(m)})),
  mfrac: [...document.querySelectorAll("mfrac")].map(box),
  mi: [...document.querySelectorAll("mi")].map(box),
};
const out = document.createElement("pre");
out.id = "derive-probe";
out.textContent = JSON.stringify(found);
document.body.appendChild(out);
</script>"""


@pytest.mark.parametrize("case", PAGES, ids=[p[0] for p in PAGES])
def test_chromium_lays_out_the_mathml(case, tmp_path):
    chromium = _chromium()
    page = _page(case[1], "--standalone")
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", PROBE + "\n</body>"), encoding="utf-8")
    dom = _browse(chromium, tmp_path, "--dump-dom", "--virtual-time-budget=5000", probe.as_uri())
    found = re.search(r'<pre id="derive-probe">(.*?)</pre>', dom, flags=re.DOTALL)
    assert found, dom[-2000:]
    boxes = json.loads(html.unescape(found.group(1)))
    maths = boxes["math"]
    assert len(maths) == len(_maths(page))
    assert all(m["width"] > 0 and m["height"] > 0 for m in maths), maths
    display = [m["height"] for m in maths if m["display"] == "block"]
    inline = [m["height"] for m in maths if m["display"] == "inline"]
    assert display and inline and max(display) > max(inline)
    letter = min(b["height"] for b in boxes["mi"] if b["height"] > 0)
    assert max(b["height"] for b in boxes["mfrac"]) > 2 * letter  # stacked: laid out


@pytest.mark.parametrize("case", PAGES, ids=[p[0] for p in PAGES])
def test_chromium_draws_the_page(case, tmp_path):
    import matplotlib.pyplot as plt

    chromium = _chromium()
    page = tmp_path / "page.html"
    page.write_text(_page(case[1], "--standalone"), encoding="utf-8")
    shot = tmp_path / "page.png"
    _browse(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri())
    pixels = plt.imread(shot)[..., :3]
    ink = (pixels < 0.6).any(axis=-1)
    assert ink.mean() > 0.005, ink.mean()  # not blank
    rows = ink.any(axis=1)
    assert rows.sum() > 200  # text over many lines, not one line of raw LaTeX
