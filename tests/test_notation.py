"""Notation: letters from the spec, escaping, names printed from metadata, names users type."""

from __future__ import annotations

import pytest

from symconv.api import Model
from symconv.errors import SpecError
from symconv.notation import Namer, escape_latex_math, escape_latex_text, letter_latex, normalize_typed
from symconv.spec import Notation, spec_from_dict

from .weird import weird_spec


@pytest.mark.parametrize("letter, latex", [
    ("x_in", r"\mathrm{x\_in}"), ("my_weight_1", r"\mathrm{my\_weight\_1}"), ("loss%", r"\mathrm{loss\%}"),
    ("a&b", r"\mathrm{a\&b}"), ("conv#1", r"\mathrm{conv\#1}"), ("delta", r"\delta"), ("W", "W"),
    ("pre act", r"\mathrm{pre\ act}"), ("t~^\\", r"\mathrm{t\sim{}\hat{}\backslash{}}"),
])
def test_letters_print_escaped_in_math(letter, latex):
    assert letter_latex(letter) == latex


def test_text_and_math_escapes_differ_where_latex_needs_it():
    assert escape_latex_text("a&b_1 ~^\\") == r"a\&b\_1 \textasciitilde{}\textasciicircum{}\textbackslash{}"
    assert escape_latex_text("a|b <c>") == r"a\textbar{}b \textless{}c\textgreater{}"
    assert escape_latex_math("a&b_1 ~^\\") == r"a\&b\_1\ \sim{}\hat{}\backslash{}"


def test_symbols_print_from_metadata_in_each_style():
    seed = Namer(Notation("seed"))
    grid = Namer(Notation("grid"))
    grid0 = Namer(Notation("grid0"))
    assert seed.info("weight", 2, (0, 0, 1, 0), 2).latex == "w^{2}_{3}"
    assert seed.info("input", 0, (0, 1, 1), 4).latex == "i^{1}_{5}"
    assert grid.info("weight", 2, (0, 0, 1, 0), 2).latex == "W^{(2)}_{1,1,2,1}"
    assert grid0.info("input", 0, (0, 1, 1), 4).latex == "x^{(0)}_{0,1,1}"
    assert grid.element_latex("weight", 1, ["o", "c", "m", "n"]) == "W^{(1)}_{o,c,m,n}"
    assert seed.element_latex("weight", 1, ["o", "c", "m", "n"]) == "w^{1}_{(o,c,m,n)}"


def test_typed_names_resolve_in_any_order_with_or_without_braces():
    m = Model(spec_from_dict(weird_spec("seed"), name="w"))
    want = m.symbol("my_weight_11_1")
    for typed in ["my_weight_11_1", "my_weight_1^1_1", "my_weight_1_1^1", "my_weight_1^{1}_{1}"]:
        assert m.symbol(typed, "--show") is want
    g = Model(spec_from_dict({"input": {"shape": [1, 3, 3]}, "layers": [{}], "notation": {"style": "grid"}}))
    w = g.symbol("W1_1_1_2_1")
    for typed in ["W^{(1)}_{1,1,2,1}", "W_{1,1,2,1}^{(1)}", "W^(1)_1,1,2,1", "W^1_{1, 1, 2, 1}", "W1_1_1_2_1"]:
        assert g.symbol(typed, "--show") is w
    assert normalize_typed("W^{(1)}_{1, 1}") == "W^(1)_1,1"


def test_colliding_letters_are_refused():
    with pytest.raises(SpecError, match="notation.weight: letter 'x' collides with notation.input"):
        Model(spec_from_dict({"input": {"shape": [1, 2, 2]}, "layers": [{}],
                              "notation": {"input": "x", "weight": "x"}})).network


def test_weird_letters_reach_the_document():
    from symconv.outputs import render_all

    m = Model(spec_from_dict(weird_spec("grid"), name="w"))
    md = render_all(m, ["md"])["md"].decode()
    # the title is escaped for Markdown (test_render: it then parses as literal text)
    assert md.startswith(r"# Weird: x\_in my\_weight\_1 loss% a\&b conv\#1 delta {braces} \$5 \~^\\ a\|b \<c\>" + "\n")
    rows = [line for line in md.splitlines() if line.startswith("| $")]
    assert r"| $\mathrm{t\sim{}\hat{}\backslash{}\vert{}}_{k}$ | target |" in rows
    legend = [line for line in rows if " by $" not in line]  # (the certificates table has 5 columns)
    assert legend and all(line.count("|") in (3, 4) for line in legend)  # a | in a letter never cuts a table
    assert all(line.count("|") == 6 for line in rows if " by $" in line)
    assert r"\mathrm{t\sim{}\hat{}\backslash{}\vert{}}_{1}" in md
    assert r"\frac{\partial \mathrm{loss\%}}{\partial \mathrm{my\_weight\_1}^{(1)}_{1,1,1,1}}" in md
    assert r"\mathrm{conv\#1}^{(1)}_{1}" in md
