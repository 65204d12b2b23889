r"""LaTeX as MathML, for pages that browsers lay out without JavaScript (``derive.emit.html``).

The LaTeX of ``derive.emit.latex`` is converted by ``latex2mathml``, which needs help with a
few constructs, each fixed here before or after the conversion (the LaTeX itself is kept in
an ``<annotation encoding="application/x-tex">`` of each formula, for copying and tools):

- ``aligned`` is not supported (its ``&`` and ``\\`` come out as text): ``chain`` splits it
  into rows and cells, converts each cell alone and lays them out as an ``mtable``;
- ``\text{…}`` keeps the escapes of ``latex.prose`` (``\&``, ``\%``, ``\textbackslash{}``) as
  literal text and ends at an escaped brace: each text is taken out before the conversion
  and put back, unescaped, into its ``mtext`` after it;
- characters come out as references (``&#x02202;``), which an XML writer would escape again:
  they are made characters;
- ``\operatorname{ReLU}``, ``\max`` and ``\min`` become ``<mo>``, spaced by browsers as binary
  operators (``max (a, b)``): made ``<mi>``, as ``\log`` is; and as in TeX, a thin space
  between such a name and what it applies to, unless that is in parentheses (``log s``);
- ``\left( … \right)`` becomes a stretchy fence, which Chromium draws with wide side bearings
  even around a single letter (``H ( x )``): a fence stays stretchy only around something
  tall (a fraction, a sum with limits, a table, a root);
- a minus or plus after a relation or an opening (``= −H``, ``[−1, 0]``) is unary in TeX,
  binary in MathML's position-based rule (``= − H``): it is marked prefix;
- a prime as a superscript (``f'`` is ``f^{\prime}``) is drawn tiny and high by Chromium,
  since U+2032 is already a superscript glyph: it follows its base instead (``f′``);
- ``mathvariant="bold"`` (``\mathbf{1}``) is not drawn by Chromium, which draws only Unicode's
  mathematical alphanumerics: letters and digits are mapped to those; capital Greek letters
  are upright, as in TeX;
- ``columnalign`` (the cases' left-aligned columns) is not in MathML Core: given as a style;
- named spaces (``\!`` as ``negativethinmathspace``) are not in MathML Core: given in em.
"""

from __future__ import annotations

import html
import math
import re
import xml.etree.ElementTree as ET

from latex2mathml.converter import convert_to_element

from derive.emit.texwidth import points

NAMESPACE = "http://www.w3.org/1998/Math/MathML"
_TEXT = re.compile(r"\\text\s*\{")
_UNESCAPE = [  # latex.prose's escapes, undone (longest first)
    (r"\textbackslash{}", "\\"), (r"\textasciitilde{}", "~"), (r"\textasciicircum{}", "^"),
    ("-{}-", "--"), (r"\&", "&"), (r"\%", "%"), (r"\$", "$"), (r"\#", "#"), (r"\_", "_"),
    (r"\{", "{"), (r"\}", "}"),
]  # fmt: skip
_PLACEHOLDER = "derivetext{}"
_NAMED_SPACES = {
    "negativethinmathspace": "-0.1667em", "negativemediummathspace": "-0.2222em",
    "negativethickmathspace": "-0.2778em", "thinmathspace": "0.1667em",
    "mediummathspace": "0.2222em", "thickmathspace": "0.2778em",
}  # fmt: skip
# Unicode's mathematical alphanumerics: (capital A, small a, digit 0) in each style.
_ALPHANUMERICS = {
    "bold": (0x1D400, 0x1D41A, 0x1D7CE),
    "italic": (0x1D434, 0x1D44E, None),
    "bold-italic": (0x1D468, 0x1D482, None),
    "double-struck": (None, None, 0x1D7D8),
}
_HOLES = {"italic": {"h": "\u210e"}}  # letters Unicode has elsewhere
_TALL = {"mfrac", "munderover", "munder", "mtable", "msqrt", "mroot"}
_PRIMES = set("′″‴")
_SIGNS = set("−+±∓")
_CLOSING = set(")]}|‖⟩′")
_THIN = "0.1667em"


def _take_texts(tex: str) -> tuple[str, list[str]]:
    """``tex`` with each ``\\text{…}`` a placeholder, and the texts, unescaped."""
    out, texts, last = [], [], 0
    for found in _TEXT.finditer(tex):
        if found.start() < last:
            continue
        depth, k = 1, found.end()
        while k < len(tex) and depth:
            if tex[k] == "\\":
                k += 2
                continue
            depth += {"{": 1, "}": -1}.get(tex[k], 0)
            k += 1
        content = tex[found.end() : k - 1]
        for escaped, plain in _UNESCAPE:
            content = content.replace(escaped, plain)
        out.append(tex[last : found.start()] + r"\text{" + _PLACEHOLDER.format(len(texts)) + "}")
        texts.append(content)
        last = k
    out.append(tex[last:])
    return "".join(out), texts


def _styled(text: str, variant: str) -> str:
    """``text`` in Unicode's mathematical letters and digits of ``variant``."""
    capital, small, digit = _ALPHANUMERICS[variant]
    holes = _HOLES.get(variant, {})

    def one(ch: str) -> str:
        if ch in holes:
            return holes[ch]
        for start, first, count in ((capital, "A", 26), (small, "a", 26), (digit, "0", 10)):
            if start is not None and 0 <= ord(ch) - ord(first) < count:
                return chr(start + ord(ch) - ord(first))
        return ch

    return "".join(one(ch) for ch in text)


def _repair_tokens(root: ET.Element, texts: list[str]) -> None:
    """The fixes of single elements: characters, texts, names, spaces, letters."""
    for element in root.iter():
        if element.text:
            element.text = html.unescape(element.text)
        text = element.text or ""
        if element.tag == "mtext":
            for k, content in enumerate(texts):
                text = text.replace(_PLACEHOLDER.format(k), content.replace(" ", "\xa0"))
            element.text = text
        elif element.tag == "mo" and text.isalpha():
            element.tag = "mi"
        elif element.tag == "mi" and len(text) == 1 and "\u0391" <= text <= "\u03a9":
            element.set("mathvariant", "normal")
        elif element.tag == "mtd" and element.get("columnalign") and not element.get("style"):
            element.set("style", "text-align:" + element.get("columnalign"))
        elif element.tag == "mspace" and element.get("width") in _NAMED_SPACES:
            element.set("width", _NAMED_SPACES[element.get("width")])
        variant = element.get("mathvariant")
        if variant in _ALPHANUMERICS and text:
            element.text = _styled(text, variant)
            del element.attrib["mathvariant"]


def _unprime(element: ET.Element) -> None:
    """``msup(f, ′)`` as ``mrow(f, ′)``; ``msubsup(m, x, ′)`` as ``mrow(msub(m, x), ′)``."""
    if element.tag not in ("msup", "msubsup") or len(element) not in (2, 3):
        return
    script = element[-1]
    while script.tag == "mrow" and len(script) == 1:
        script = script[0]
    if len(script) or not script.text or set(script.text) - _PRIMES:
        return
    prime = ET.Element("mo")
    prime.text = script.text
    base = list(element)[:-1]
    if element.tag == "msubsup":
        base = [ET.Element("msub")]
        base[0].extend(list(element)[:2])
    element.tag = "mrow"
    element[:] = [*base, prime]


def _first_leaf(element: ET.Element) -> ET.Element:
    while element.tag == "mrow" and len(element):
        element = element[0]
    return element


def _is_fence(element: ET.Element) -> bool:
    return element.tag == "mo" and element.get("fence") == "true"


def _unstretch(element: ET.Element) -> None:
    """A ``\\left( … \\right)`` around nothing tall drawn as ordinary parentheses."""
    if element.tag != "mrow" or len(element) < 2:
        return
    if not (_is_fence(element[0]) and _is_fence(element[-1])):
        return
    if any(inner.tag in _TALL for child in element[1:-1] for inner in child.iter()):
        return
    for fence in (element[0], element[-1]):
        fence.set("stretchy", "false")


def _is_name(element: ET.Element) -> bool:
    """A function's name (``log``, ``sign``), with its scripts or prime (``ReLU′``):
    latex2mathml spells every other identifier one letter to an ``mi``."""
    primed = element.tag == "mrow" and len(element) == 2 and element[1].tag == "mo"
    if element.tag in ("msup", "msub", "msubsup") or (primed and element[1].text in _PRIMES):
        element = element[0]
    text = element.text or ""
    return element.tag == "mi" and len(text) > 1 and text.isalpha()


def _opens(element: ET.Element) -> bool:
    """Whether a sign after ``element`` is unary: after a relation, an operator, an opening
    fence or punctuation, as TeX has it."""
    if element.tag != "mo":
        return False
    form = element.get("form")
    return form == "prefix" or (form != "postfix" and element.text not in _CLOSING)


def _space() -> ET.Element:
    return ET.Element("mspace", width=_THIN)


def _respace(parent: ET.Element) -> None:
    """Unary signs, and thin spaces around function names, among ``parent``'s children."""
    children = list(parent)
    spaced: list[ET.Element] = []
    for k, child in enumerate(children):
        before = children[k - 1] if k else None
        after = children[k + 1] if k + 1 < len(children) else None
        if child.tag == "mo" and child.text in _SIGNS and before is not None and _opens(before):
            child.set("form", "prefix")
        name = _is_name(child)
        if name and before is not None and before.tag not in ("mo", "mspace"):
            spaced.append(_space())
        spaced.append(child)
        if name and after is not None and _first_leaf(after).tag not in ("mo", "mspace"):
            spaced.append(_space())
    parent[:] = spaced


def _repair(root: ET.Element, texts: list[str]) -> None:
    """The fixes after the conversion (see the module's docstring)."""
    _repair_tokens(root, texts)
    for element in list(root.iter()):
        _unprime(element)
    for element in list(root.iter()):
        _unstretch(element)
    for element in list(root.iter()):
        if element.tag in ("math", "mrow", "mtd", "mstyle", "msqrt"):
            _respace(element)


def converted(tex: str, display: bool = False) -> ET.Element:
    """``tex`` as a ``<math>`` element, repaired; LaTeX that latex2mathml cannot read (none
    that derive prints, as far as the tests know) shown as itself in an ``<merror>``."""
    placeheld, texts = _take_texts(tex)
    try:
        root = convert_to_element(placeheld, display="block" if display else "inline")
    except Exception:  # latex2mathml's own errors, and its IndexError on some input
        root = ET.Element("math", xmlns=NAMESPACE, display="block" if display else "inline")
        ET.SubElement(ET.SubElement(root, "merror"), "mtext").text = tex
        return root
    _repair(root, texts)
    return root


def annotated(root: ET.Element, tex: str) -> str:
    """``<math>`` with its content in ``<semantics>``, the LaTeX beside it, as a string."""
    semantics = ET.Element("semantics")
    content = ET.SubElement(semantics, "mrow")
    content.extend(list(root))
    root[:] = [semantics]
    annotation = ET.SubElement(semantics, "annotation", encoding="application/x-tex")
    annotation.text = tex
    return ET.tostring(root, encoding="unicode", short_empty_elements=True)


def mathml(tex: str, display: bool = False) -> str:
    """LaTeX as a ``<math>`` element (``display``: a block of its own)."""
    return annotated(converted(tex, display), tex)


def _cells(row: str) -> list[str]:
    """A row of ``aligned`` split at its ``&``, none inside braces or an environment."""
    cells, depth, start, k = [], 0, 0, 0
    while k < len(row):
        if row.startswith(r"\begin{", k) or row.startswith(r"\end{", k):
            depth += 1 if row.startswith(r"\begin{", k) else -1
        if row[k] == "\\":
            k += 2
            continue
        if row[k] in "{}":
            depth += 1 if row[k] == "{" else -1
        elif row[k] == "&" and depth == 0:
            cells.append(row[start:k])
            start = k + 1
        k += 1
    return [*cells, row[start:]]


_CELL = "padding:0.3em 0;text-align:"
_RULE = "padding:0.3em 0 0.3em 2.5em;text-align:left;font-size:85%;opacity:0.75"
_UNDER = "padding:0 0 0.5em 1em;text-align:left;font-size:85%;opacity:0.75"
_INDENT = 20.0  # points: the steps' indent under a left side on a row of its own
_GAP = 21.0  # points: the rules' padding, 2.5 em at 85 %


def _cell(tr: ET.Element, tex: str, style: str, **attributes: str) -> None:
    td = ET.SubElement(tr, "mtd", style=style, **attributes)
    if tex.strip():
        ET.SubElement(td, "mstyle", displaystyle="true").extend(converted(tex, True))


def chain(rows: list[str], room: float = math.inf) -> str:
    """The rows of an ``aligned`` chain (``lhs &= rhs && rule``) as one display ``<math>``, a
    table in display style (its styles inline, so that it shows so wherever the HTML is put):
    the sides aligned at the equals sign and each row's rule in a third column when that fits
    ``room`` (points of a 10 pt TeX page, as ``texwidth`` estimates them); else the left side
    on a row of its own above the steps, and each rule beside its step or, when that does not
    fit either, under it."""
    split = [[*_cells(row), "", ""] for row in rows]
    table = ET.Element("mtable", displaystyle="true")
    lhs = split[0][0] if split else ""
    steps = max((points(cells[1]) for cells in split), default=0.0)
    rules = [next((cell for cell in cells[2:] if cell.strip()), "") for cells in split]
    rule = 0.85 * max((points(r) for r in rules), default=0.0)
    if points(lhs) + steps + _GAP + rule <= room:
        for (left, right, *_), label in zip(split, rules, strict=True):
            tr = ET.SubElement(table, "mtr")
            _cell(tr, left, _CELL + "right", columnalign="right")
            _cell(tr, right, _CELL + "left", columnalign="left")
            _cell(tr, label, _RULE, columnalign="left", attrib={"class": "rule"})
    else:
        beside = _INDENT + steps + _GAP + rule <= room
        _cell(ET.SubElement(table, "mtr"), lhs, _CELL + "left", columnspan="3" if beside else "2")
        for (_, right, *_), label in zip(split, rules, strict=True):
            tr = ET.SubElement(table, "mtr")
            _cell(tr, "", f"padding:0;width:{_INDENT / 10}em")
            _cell(tr, right, _CELL + "left", columnalign="left")
            if beside:
                _cell(tr, label, _RULE, columnalign="left", attrib={"class": "rule"})
            elif label.strip():
                under = ET.SubElement(table, "mtr")
                _cell(under, "", "padding:0")
                _cell(under, label, _UNDER, columnalign="left", attrib={"class": "rule"})
    root = ET.Element("math", xmlns=NAMESPACE, display="block")
    root.append(table)
    return annotated(root, r"\begin{aligned}" + " \\\\\n".join(rows) + r"\end{aligned}")
