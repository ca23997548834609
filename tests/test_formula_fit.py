"""LaTeX that fits (issue 14 item 2): ``formula --format tex`` breaks long results into
``aligned`` rows that fit the width; each example's longest formula (over every gradient target
and form, every whole tensor and every ``general:`` target) compiled in a standard ``article``
on A4 paper gives no overfull box. Needs latexmk (skipped without it, except under CI=true)."""

from __future__ import annotations

from pathlib import Path

import pytest

import symconv
from symconv.formulas import _tensors
from symconv.pdf import build_pdf

from .conftest import require_tool
from .example_outputs import EXAMPLE_OUTPUTS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [stem for _, stem, _ in EXAMPLE_OUTPUTS]
SMALL = 300  # examples with fewer gradient symbols also try the named form; leaf forms below 120


def _load(stem):
    path = ROOT / "examples" / f"{stem}.toml"
    return symconv.load(path if path.exists() else symconv.example(stem))


def longest_formula(m) -> tuple[str, str, str]:
    """``(text, target, form)`` of the longest tex formula of ``m``."""
    symbols = list(m.gradients.by_wrt)
    forms = ["closed", "sum"] + (["named"] if len(symbols) < SMALL else []) + (["leaf"] if len(symbols) < 120 else [])
    if len(symbols) >= SMALL:  # the elements with the most chain-rule terms, one per tensor role and layer
        best: dict = {}
        for s in symbols:
            info = m.network.table.info[s]
            key = (info.role, info.layer)
            if key not in best or len(m.gradients[s].terms) > len(m.gradients[best[key]].terms):
                best[key] = s
        symbols = list(best.values())
    candidates = [(symconv.formula(m, s.name, form=f), s.name, f) for s in symbols for f in forms]
    for name in _tensors(m):
        for target in (name, "general:" + name):
            try:
                candidates.append((symconv.formula(m, target), target, "closed"))
            except symconv.SpecError:
                pass
    return max(candidates, key=lambda c: len(c[0]))


@pytest.fixture(scope="module")
def longest():
    return {stem: longest_formula(_load(stem)) for stem in EXAMPLES}


def test_longest_formulas_are_broken_into_rows(longest):
    for stem, (text, target, form) in longest.items():
        if len(text) > 200:
            assert text.startswith("\\begin{aligned}\n") and text.endswith("\\end{aligned}\n"), (stem, target, form)


def test_longest_formula_of_every_example_fits_an_a4_article(longest):
    require_tool("latexmk")
    body = "\n".join(f"% {stem}: {target} ({form})\n\\[\n{text}\\]\n" for stem, (text, target, form) in longest.items())
    # the standard article's A4 text column (345pt); the page is made tall (the most TeX allows)
    tex = ("\\documentclass[a4paper]{article}\n\\usepackage{amsmath}\n\\usepackage{amssymb}\n"
           "\\setlength{\\textheight}{15000pt}\\setlength{\\pdfpageheight}{15500pt}\n"
           "\\begin{document}\n\\typeout{textwidth=\\the\\textwidth}\n" + body + "\\end{document}\n")
    result = build_pdf(tex, jobname="fit")
    assert result.errors == ()
    # width is what the rows promise; a display taller than any page (an ``aligned`` block cannot
    # break across pages) reports an overfull \vbox, which is about height, not fit
    wide = [line for line in result.overfull if line.startswith("Overfull \\hbox")]
    assert wide == [], "\n".join(wide)
    assert "textwidth=345.0pt" in result.log  # the A4 article column
