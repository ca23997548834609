"""Every symbol is defined (issue 11, item 3): each control sequence and decorated symbol in the
math of every document in output/ (every network document and the general proofs in
output/general/) is defined in the document's Notation section, and no summation index is a
tensor letter of the document (no letter stands for two things).

Standard mathematics (fractions, sums, brackets, spacing, ``\\log``, ``\\max``, ...) needs no
definition; everything else (decorations such as ``\\tilde``, operators such as ``\\star``,
``\\operatorname{crop}``, named functions such as ``\\mathrm{ReLU}``, Greek tensor letters) does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .test_katex import math_fragments

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = sorted((ROOT / "output").glob("*.md")) + sorted((ROOT / "output" / "general").glob("*.md"))
STANDARD = {
    "begin", "end", "frac", "partial", "sum", "prod", "left", "right", "cdot", "cdots", "ldots", "dots",
    "quad", "qquad", "text", "mathbin", "overset", "bigl", "bigr", "Bigl", "Bigr", "le", "leq", "ge", "geq",
    "ne", "neq", "to", "log", "exp", "max", "min", "approx", "times", "in", "mid", "pm", "infty", "sqrt",
    "lfloor", "rfloor", "lceil", "rceil",
}
TOKEN = re.compile(r"\\(operatorname|mathrm)\{([^{}]*)\}|\\([A-Za-z]+)")


def tokens(latex: str) -> set[str]:
    """Control sequences of printed LaTeX: ``\\name`` as ``name``, ``\\operatorname{crop}`` as
    ``operatorname:crop``, ``\\mathrm{full}`` as ``mathrm:full``."""
    return {f"{m[0]}:{m[1]}" if m[0] else m[2] for m in TOKEN.findall(latex)}


def test_tokens_of_printed_latex():
    assert tokens(r"\tilde{i^{1}} \mathbin{\star_{\mathrm{full}}} \operatorname{crop}\left(x\right)") == {
        "tilde", "mathbin", "star", "mathrm:full", "operatorname:crop", "left", "right"}


def notation_rows(md: str) -> list[str]:
    """The symbol cells of the Notation section's table."""
    start = re.search(r"^## \d+\. Notation$", md, re.M)
    assert start, "no Notation section"
    end = md.find("\n## ", start.end())
    section = md[start.end():end if end > 0 else None]
    return [line.split("|")[1].strip().strip("$") for line in section.splitlines() if line.startswith("| $")]


@pytest.mark.parametrize("path", DOCUMENTS, ids=[str(p.relative_to(ROOT / "output")) for p in DOCUMENTS])
def test_every_control_sequence_is_defined_in_the_notation_section(path):
    md = path.read_text(encoding="utf-8")
    defined = set().union(*(tokens(sym) for sym in notation_rows(md)))
    used = set().union(*(tokens(f) for f in math_fragments(md)))
    assert used - defined - STANDARD == set()


@pytest.mark.parametrize("path", DOCUMENTS, ids=[str(p.relative_to(ROOT / "output")) for p in DOCUMENTS])
def test_no_summation_index_is_a_tensor_letter(path):
    md = path.read_text(encoding="utf-8")
    letters = {re.match(r"(\\[A-Za-z]+|\\mathrm\{[^}]*\}|[A-Za-z])", sym).group(1)
               for sym in notation_rows(md) if re.match(r"(\\[a-z]+|[A-Za-z])[\^_]", sym)}
    assert {"C"} | letters >= {"C"} and len(letters) >= 3, letters
    indices = set()
    for fragment in math_fragments(md):
        indices |= set(re.findall(r"\\sum_\{([A-Za-z])(?:=|\})", fragment))
        indices |= {v for group in re.findall(r"\\sum_\{([A-Za-z](?:,[A-Za-z])+)\}", fragment)
                    for v in group.split(",")}
    assert indices and indices.isdisjoint(letters), indices & letters


def test_the_check_catches_an_undefined_decoration():
    md = "## 1. Notation\n\n| symbol | meaning | definition |\n|---|---|---|\n| $i^{1}_{k}$ | input | |\n\n" \
         "## 2. Result\n\n$$\n\\bar{i^{1}} = 1\n$$\n"
    defined = set().union(*(tokens(sym) for sym in notation_rows(md)))
    assert set().union(*(tokens(f) for f in math_fragments(md))) - defined - STANDARD == {"bar"}
