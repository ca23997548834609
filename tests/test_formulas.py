"""``symconv.formula`` and ``Model.latex`` (issue 14 item 1): exact strings for the seed, every
kind of target (an element in every spelling, a whole tensor, ``general:``), errors in one line,
and garbage targets and widths refused with a SpecError."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symconv
from symconv.cli import main
from symconv.errors import SpecError
from symconv.formulas import width_chars

W11 = (r"\frac{\partial C}{\partial w^{1}_{1}} = i^{1}_{1} \delta^{1}_{1} + i^{1}_{2} \delta^{1}_{2} + "
       r"i^{1}_{4} \delta^{1}_{3} + i^{1}_{5} \delta^{1}_{4}" "\n")


@pytest.fixture(scope="module")
def m():
    return symconv.load(symconv.example("seed"))


@pytest.mark.parametrize("target", ["dC/dw_1^1", "∂C/∂w^1_1", r"\frac{\partial C}{\partial w_1^1}",
                                    r"\dfrac{\partial C}{\partial w^{1}_{1}}", "w1_1", " w_1^1 ",
                                    "∂C/∂w₁¹", "w₁¹"])
def test_every_spelling_of_an_element_target(m, target):
    assert symconv.formula(m, target) == W11


def test_seed_formulas_exactly(m):
    assert symconv.formula(m, "w1_1", form="named", fmt="text") == (
        "dC/dw1_1 = 2*(o2_1 - y_1)*(i1_1*w2_1 + i1_2*w2_2 + i1_4*w2_3 + i1_5*w2_4)\n")
    assert symconv.formula(m, "w1_1", form="named") == (
        r"\frac{\partial C}{\partial w^{1}_{1}} = 2 \left(o^{2}_{1} - y_{1}\right) \left(i^{1}_{1} w^{2}_{1} + "
        r"i^{1}_{2} w^{2}_{2} + i^{1}_{4} w^{2}_{3} + i^{1}_{5} w^{2}_{4}\right)" "\n")
    assert symconv.formula(m, "w^1") == r"\frac{\partial C}{\partial w^{1}} = \tilde{i^{1}} \star \hat{\delta^{1}}" "\n"
    assert symconv.formula(m, "general:w^1") == (
        r"\frac{\partial C}{\partial w^{1}_{(r,c,m,n)}} = \sum_{p=1}^{2}\sum_{q=1}^{2} \delta^{1}_{(r,p,q)} \, "
        r"i^{1}_{(c,p+m-1,q+n-1)}" "\n")
    assert symconv.formula(m, "general:delta^1") == (
        "\\begin{aligned}\n\\delta^{1}_{(c,u,v)} &= \\frac{\\partial C}{\\partial o^{1}_{(c,u,v)}} \\\\\n"
        "&= \\sum_{r=1}^{1}\\sum_{m=1}^{2}\\sum_{n=1}^{2} \\delta^{2}_{(r,u-m+1,v-n+1)} \\, w^{2}_{(r,c,m,n)}\n"
        "\\end{aligned}\n")


def test_long_leaf_form_breaks_into_aligned_rows_that_fit(m):
    from symconv.latex import visible_len

    f = symconv.formula(m, "dC/di_5^1", form="leaf")
    assert f.startswith("\\begin{aligned}\n\\frac{\\partial C}{\\partial i^{1}_{5}} &= 2 \\left(")
    assert f.endswith("\\end{aligned}\n")
    assert len(f.rows) == 5 and all(visible_len(r) <= width_chars("345pt") for r in f.rows)
    narrow = symconv.formula(m, "dC/di_5^1", form="leaf", width=30)
    assert len(narrow.rows) > len(f.rows)
    wide = symconv.formula(m, "dC/di_5^1", form="leaf", width=10000)
    assert len(wide.rows) == 1 and "aligned" not in wide


def test_formula_is_a_str_that_displays_itself(m):
    f = m.formula("dC/dw_1^1")
    assert isinstance(f, str) and f == W11
    assert f._repr_latex_() == "$$\n" + W11.rstrip("\n") + "\n$$"
    assert f._repr_markdown_() == "$$\n" + W11.rstrip("\n") + "\n$$\n"
    assert str(f.expr) == "delta1_1*i1_1 + delta1_2*i1_2 + delta1_3*i1_4 + delta1_4*i1_5"


def test_model_latex_prints_in_the_document_notation(m):
    import sympy

    assert m.latex(m.gradient("w1_1")) == (
        r"2 \left(o^{2}_{1} - y_{1}\right) \left(i^{1}_{1} w^{2}_{1} + i^{1}_{2} w^{2}_{2} + "
        r"i^{1}_{4} w^{2}_{3} + i^{1}_{5} w^{2}_{4}\right)")
    assert m.latex("w1_1") == "w^{1}_{1}" and m.latex(m.symbol("i_5^1") ** 2) == r"\left(i^{1}_{5}\right)^{2}"
    assert sympy.latex(m.symbol("i1_1")) != m.latex("i1_1")  # sympy alone prints i_{1 1}
    with pytest.raises(SpecError, match="^expr: must be a sympy expression"):
        m.latex(object())


def test_grid_notation_tensor_targets():
    g = symconv.load("examples/seed_grid.toml")
    assert symconv.formula(g, "W^{(1)}") == (
        r"\frac{\partial C}{\partial W^{(1)}} = \tilde{x^{(0)}} \star \hat{\delta^{(1)}}" "\n")
    assert symconv.formula(g, "dC/dW^(1)") == symconv.formula(g, "W^{(1)}")


@pytest.mark.parametrize("kwargs, needle", [
    ({"target": "dC/dv_1"}, "target: "),
    ({"target": "general:v^9"}, "target: 'v^9' names no tensor"),
    ({"target": "w^1", "form": "pretty"}, "form: must be one of closed, sum, named, leaf"),
    ({"target": "w^1", "fmt": "html"}, "format: must be one of tex, md, text"),
    ({"target": "w^1", "width": "12furlongs"}, "width: must be a number of characters"),
    ({"target": "w^1", "width": 3}, "width: must be between 10 and 10000"),
    ({"target": "", }, "target: give the gradient to print"),
    ({"target": None}, "target: give the gradient to print"),
])
def test_bad_arguments_are_one_line_spec_errors(m, kwargs, needle):
    with pytest.raises(SpecError) as info:
        symconv.formula(m, **kwargs)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_cli_width_and_tensor_targets(capsys):
    assert main(["formula", "--example", "seed", "w^1"]) == 0
    assert capsys.readouterr().out == r"\frac{\partial C}{\partial w^{1}} = \tilde{i^{1}} \star \hat{\delta^{1}}" "\n"
    assert main(["formula", "--example", "seed", "dC/di_5^1", "--form", "leaf", "--width", "30"]) == 0
    assert capsys.readouterr().out.count("\\\\\n") > 4
    assert main(["formula", "--example", "seed", "w^1", "--width", "wide"]) == 2
    assert "--width: must be a number of characters" in capsys.readouterr().err


@settings(max_examples=150, deadline=None)
@given(target=st.text(alphabet="dCw_^{}()\\/∂12 ,general:frac", max_size=30),
       width=st.one_of(st.integers(-5, 200), st.text(max_size=6), st.none()))
def test_garbage_targets_and_widths_give_a_formula_or_a_spec_error(m, target, width):
    try:
        out = symconv.formula(m, target, width=width)
    except SpecError as exc:
        assert "\n" not in str(exc)
    else:
        assert out.endswith("\n")


def test_readme_examples_run_and_print_exactly_what_they_show():
    import doctest
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```pycon\n(.*?)```", readme, re.S)
    assert blocks and any("symconv.formula" in b for b in blocks) and any("m.latex(" in b for b in blocks)
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for k, block in enumerate(blocks):
        runner.run(parser.get_doctest(block, {}, f"README.md pycon block {k + 1}", "README.md", 0))
    assert runner.summarize(verbose=False).failed == 0


def test_model_check_returns_a_verdict_that_displays_itself(m):
    right = m.check(r"\frac{\partial C}{\partial w_1^1} = \delta_1^1 i_1^1 + \delta_2^1 i_2^1 + \delta_3^1 i_4^1 + \delta_4^1 i_5^1")
    assert right and right.ok and right.verdict.ok and repr(right) == "<symconv verdict: RIGHT>"
    assert right._repr_markdown_().startswith("**RIGHT**: the claim\n\n$$\n")
    wrong = m.check(r"\frac{\partial C}{\partial w_1^1} = 0")
    assert not wrong and wrong._repr_latex_().startswith("$$\n\\text{WRONG: }\\quad \\frac{\\partial C}")
    with pytest.raises(SpecError):
        m.check(r"\frac{\partial C}{\partial w_1^1} = (")
