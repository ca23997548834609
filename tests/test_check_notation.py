r"""Verdict documents (issue 13 item 2): ``symconv check``'s md and tex documents are written with
the derivations' own macros (``templates/macros.{md,tex}.j2``: display math in fitted rows, the
Notation table) and carry the same Notation section as a derivation of the network
(:func:`symconv.render.network_notation`); every control sequence and decorated symbol in a
verdict document's math is defined there (the test of ``tests/test_notation_defined.py``)."""

from __future__ import annotations

import re

import pytest

import symconv
from symconv.check import check_claim, render_report, render_verdict
from symconv.commands.formula import formula

from .test_katex import math_fragments
from .test_notation_defined import STANDARD, tokens


def notation_rows(md: str) -> list[str]:
    """The symbol cells of the Notation section (numbered as in a derivation, or not)."""
    start = re.search(r"^## (\d+\. )?Notation$", md, re.M)
    assert start, "no Notation section"
    end = md.find("\n## ", start.end())
    section = md[start.end():end if end > 0 else None]
    return [line.split("|")[1].strip().strip("$") for line in section.splitlines() if line.startswith("| $")]


def claims_of(model, name: str) -> list[str]:
    """A right claim per form as ``formula`` prints it (ReLU steps, routes, batch-norm names …)
    and a wrong one (a factor 2), for the first weight and the first input (the wrong ones only
    where the leaf forms a wrong verdict needs are quick: not for the ResNet block and the U-Net)."""
    weight = next(s for s in model.gradients.by_wrt if model.network.table.info[s].role == "weight")
    inp = next(s for s in model.gradients.by_wrt if model.network.table.info[s].role == "input")
    out = []
    for s in (weight, inp):
        for form in ("closed", "sum"):
            out.append(formula(model, s.name, form, "tex"))
        if name in SLOW_LEAVES:
            continue
        right = formula(model, s.name, "sum", "text")
        lhs, rhs = right.split(" = ", 1)
        out.append(f"{lhs} = 2*({rhs.strip()})")
    return out


SLOW_LEAVES = {"resnet_block", "unet_step"}


EXAMPLES = ["seed", "seed_grid", "lenet_small", "resnet_block", "unet_step", "signal_1d"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_symbol_of_a_verdict_document_is_defined_in_its_notation_section(name):
    model = symconv.load(f"examples/{name}.toml")
    verdicts = [check_claim(model, c) for c in claims_of(model, name)]
    assert any(v.ok for v in verdicts) and (name in SLOW_LEAVES or any(not v.ok for v in verdicts))
    for md in [render_verdict(verdicts[0], "md"), render_verdict(verdicts[-1], "md"), render_report(verdicts, "md")]:
        defined = set().union(*(tokens(sym) for sym in notation_rows(md)))
        used = set().union(*(tokens(f) for f in math_fragments(md)))
        assert used - defined - STANDARD == set(), name


def test_the_notation_section_is_the_derivations(tmp_path):
    model = symconv.load("example:lenet_small")
    derivation = model.render("md")
    verdict = render_verdict(check_claim(model, formula(model, "w1_1", "sum", "tex")), "md")
    assert notation_rows(verdict) == notation_rows(derivation)
    section = verdict[verdict.index("## Notation"):]
    heading = re.search(r"^## \d+\. Notation$", derivation, re.M)
    assert section.split("\n", 2)[2] == derivation[derivation.index("Every symbol the formulas use"):
                                                    derivation.index("\n## ", heading.end()) + 1]
    tex = render_verdict(check_claim(model, formula(model, "w1_1", "sum", "tex")), "tex")
    assert r"\section*{Notation}" in tex and r"\usepackage{array}" in tex
    table = model.render("tex")
    start = table.index(r"\begin{longtable}{>{$}l<{$}")
    assert table[start:table.index(r"\end{longtable}", start)] in tex


def test_long_expressions_are_broken_into_rows_as_in_derivations():
    model = symconv.load("example:lenet_small")
    s = next(s for s in model.gradients.by_wrt if model.network.table.info[s].role == "input")
    md = render_verdict(check_claim(model, formula(model, s.name, "sum", "tex")), "md")
    assert r"\begin{aligned}" in md and r"&\quad" in md
    assert all(len(block) < 1000 for block in re.findall(r"\$\$(.*?)\$\$", md, re.S))


def test_the_cost_letter_of_the_notation_is_used():
    model = symconv.load({"input": {"shape": [1, 2, 2]}, "layers": [{"type": "conv2d", "kernel_size": 2}],
                          "notation": {"cost": "L"}})
    v = check_claim(model, r"\frac{\partial L}{\partial w_1^1} = \delta_1^1 i_1^1")
    for fmt in ("md", "tex", "text"):
        text = render_verdict(v, fmt)
        assert r"\frac{\partial L}{\partial w^{1}_{1}}" in text and r"\partial C" not in text, fmt
