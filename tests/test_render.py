"""Rendering: what a document shows at any size, in which notation, with which templates."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symconv.api import Model
from symconv.cli import main
from symconv.commands.formula import formula
from symconv.commands.templates import export
from symconv.derivation import corner_indices, derive, shown_indices
from symconv.errors import SpecError
from symconv.latex import elided_rows, split_rows, visible_len
from symconv.outputs import render_all
from symconv.render import math_blocks, render
from symconv.spec import example, spec_from_dict
from symconv.values import evaluate, load_values, random_values
from symconv.views import show_tokens


def six(name="six", **notation):
    """6×6 input, two 2×2 conv layers: 25 outputs per layer-1 weight (more than 16: elided)."""
    data = {"input": {"shape": [1, 6, 6]}, "layers": [{"kernel_size": 2}, {"kernel_size": 2}]}
    if notation:
        data["notation"] = notation
    return Model(spec_from_dict(data, name=name))


def md_of(model, **options) -> str:
    return render_all(model, ["md"], **options)["md"].decode("utf-8")


def section(md: str, heading: str) -> str:
    """The text of one worked element's ``####`` section."""
    start = md.index(f"#### Worked element: ${heading}$")
    ends = [md.find(mark, start + 1) for mark in ("\n#### ", "\n### ", "\n## ", "\n\nThe other elements")]
    ends = [e for e in ends if e > 0]
    return md[start:min(ends) if ends else None]


# ----------------------------------------------------------------------------- which elements

def test_corners_of_a_feature_map_and_a_kernel():
    assert corner_indices((1, 28, 28)) == [0, 27, 756, 783]
    assert corner_indices((2, 3, 3)) == [0, 2, 6, 8, 9, 11, 15, 17]


def test_shown_indices_small_tensors_whole_large_ones_corners_plus_show():
    assert shown_indices((1, 1, 3, 3)) == list(range(9))
    assert shown_indices((1, 5, 5)) == [0, 4, 20, 24]
    assert shown_indices((1, 5, 5), show={7}) == [0, 4, 7, 20, 24]
    assert shown_indices((1, 5, 5), full=True) == list(range(25))


# ----------------------------------------------------------------------------- rows and blocks

def test_split_rows_by_width_with_leading_operators():
    assert split_rows(["a", "-b", "c"], width=3) == ["a", "- b", "+ c"]
    assert split_rows(["a", "-b", "c"], width=20) == ["a - b + c"]
    assert elided_rows(["a", "b"], "z", 10) == [r"a + b + \cdots + z \quad (\text{10 terms})"]


def _reference_rows(terms, widths, per_row, width):
    """split_rows as its docstring says it, slowly: greedy packing at every width from the
    widest term up, the narrowest that needs no more rows than packing at ``width``."""
    from symconv.latex import ROW_SOURCE, join_terms

    def greedy(w_max):
        rows, size, source = [[]], 0, 0
        for t, tw in zip(terms, widths):
            if rows[-1] and (size + tw + 2 > w_max or source + len(t) + 3 > ROW_SOURCE
                             or (per_row is not None and len(rows[-1]) >= per_row)):
                rows, size, source = rows + [[]], 0, 0
            rows[-1].append(t)
            size, source = size + tw + 2, source + len(t) + 3
        return rows

    rows = greedy(width)
    if len(rows) > 1:
        low = max(widths) + 2
        rows = next((greedy(w) for w in range(low, width) if len(greedy(w)) <= len(rows)), greedy(max(low, width)))
    return [join_terms(c) if k == 0 else ("- " + join_terms(c)[1:].lstrip() if c[0].startswith("-")
                                          else "+ " + join_terms(c)) for k, c in enumerate(rows)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(1, 160), st.integers(0, 70)), min_size=1, max_size=30),
       st.sampled_from([None, 1, 2, 3, 5]), st.sampled_from([8, 20, 56, 80]))
def test_split_rows_is_the_narrowest_balanced_packing(drawn, per_row, width):
    terms = [("-" if neg else "") + "x" * n for neg, n, _ in drawn]
    widths = [w for _, _, w in drawn]
    assert split_rows(terms, per_row, width, widths) == _reference_rows(terms, widths, per_row, width)


def test_visible_len_ignores_markup():
    assert visible_len(r"\frac{\partial C}{\partial o^{1}_{1}}") == 6
    assert visible_len(r"\left(o^{2}_{1} - y_{1}\right)") == 8


def test_math_blocks_split_long_equations_under_the_limit():
    rows = [f"a_{{{k}}} + b_{{{k}}} + c_{{{k}}} + d_{{{k}}} + e_{{{k}}}" for k in range(60)]
    blocks = math_blocks([{"lhs": "x", "rows": rows}, {"lhs": "y", "rows": ["1"]}])
    assert len(blocks) > 2
    for block in blocks:
        assert sum(len(line) + 4 for line in block) <= 900
    lines = [line for block in blocks for line in block]
    assert lines[0] == "x &= " + rows[0]
    assert lines[1:60] == [rf"&\quad {r}" for r in rows[1:]]
    assert lines[60] == "y &= 1"
    assert all(block[0].startswith((r"&\quad", "x &=", "y &=")) for block in blocks)


# ----------------------------------------------------------------------------- the seed document

def test_seed_document_exact_lines():
    md = md_of(Model(example("seed")))
    assert r"o^{1}_{1} &= i^{1}_{1} w^{1}_{1} + i^{1}_{2} w^{1}_{2} + i^{1}_{4} w^{1}_{3} + i^{1}_{5} w^{1}_{4} \\" in md
    assert (r"\frac{\partial C}{\partial w^{1}_{(r,c,m,n)}} = \sum_{p=1}^{2}\sum_{q=1}^{2} "
            r"\delta^{1}_{(r,p,q)} \, i^{1}_{(c,p+m-1,q+n-1)}") in md
    # the input gradient pairs δ with the kernel rotated by 180°: the receptive-field table of i_5
    s = section(md, r"\frac{\partial C}{\partial i^{1}_{5}}")
    assert re.findall(r"\| \$(o\^\{1\}_\{\d\})\$ \| \$\\delta\^\{1\}_\{\d\}\$ \| \$(w\^\{1\}_\{\d\})\$ \|", s) == [
        ("o^{1}_{1}", "w^{1}_{4}"), ("o^{1}_{2}", "w^{1}_{3}"), ("o^{1}_{3}", "w^{1}_{2}"), ("o^{1}_{4}", "w^{1}_{1}"),
    ]
    assert "| output it feeds | upstream gradient | weight involved |" in s
    assert r"\cdots +" not in md and r"\quad (\text{" not in md  # nothing elided


def test_same_spec_gives_identical_bytes():
    a = render_all(six(), ["md", "tex"], values=None)
    b = render_all(six(), ["md", "tex"], values=None)
    assert a == b
    m1, m2 = six(), six()
    assert md_of(m1, values=evaluate(m1, random_values(m1, 5))) == md_of(m2, values=evaluate(m2, random_values(m2, 5)))


# ----------------------------------------------------------------------------- size

def test_long_sums_are_elided_with_counts_and_tables_truncated():
    md = md_of(six())
    s = section(md, r"\frac{\partial C}{\partial w^{1}_{1}}")
    assert "one product per output that $w^{1}_{1}$ touches (25 in all)" in s
    assert (r"\frac{\partial C}{\partial w^{1}_{1}} = \delta^{1}_{1} i^{1}_{1} + \delta^{1}_{2} i^{1}_{2} + "
            r"\delta^{1}_{3} i^{1}_{3} + \cdots + \delta^{1}_{25} i^{1}_{29} \quad (\text{25 terms})") in s
    assert s.count("| $o^{1}_") == 8
    assert "| ... | (17 more rows) | |" in s
    assert "(The sums have 25 terms; `--show w1_1` writes them in full.)" in s
    assert "(21 more definitions of this layer are computed but not written.)" in md  # 25 outputs, 4 corners
    assert "32 more elements of this tensor are computed and certified but not shown." in md  # 36 inputs


def test_show_writes_the_full_sum_split_into_rows():
    m = six()
    md = md_of(m, show={m.symbol("w1_1")})
    s = section(md, r"\frac{\partial C}{\partial w^{1}_{1}}")
    assert r"\cdots" not in s and "terms})" not in s
    assert s.count("| $o^{1}_") == 25
    assert r"\delta^{1}_{25} i^{1}_{29}" in s
    sum_block = s[s.index("Sum of products"):]
    assert sum_block.count(r"&\quad +") >= 5  # rows, not one 25-term line


def test_full_writes_every_element():
    m = Model(spec_from_dict({"input": {"shape": [1, 5, 5]}, "layers": [{"kernel_size": 2}]}, name="five"))
    md = render(derive(m, full=True), "md")
    assert "more elements" not in md and r"\cdots +" not in md
    assert md.count("#### Worked element: $") == 4 + 25  # every weight and every input


def test_default_document_size_is_bounded_as_the_input_grows():
    spec = lambda n: spec_from_dict({"input": {"shape": [1, n, n]}, "layers": [{"kernel_size": 3}] * 2}, name="n")
    small, large = md_of(Model(spec(12))), md_of(Model(spec(16)))
    assert len(large) < 1.1 * len(small)
    for md in (small, large):
        assert max(len(b) for b in re.findall(r"\$\$\n(.*?)\n\$\$", md, re.S)) < 1000


# ----------------------------------------------------------------------------- notation and --show

def test_grid_notations_print_structured_indices_in_their_base():
    grid = md_of(six("g", style="grid"))
    grid0 = md_of(six("g0", style="grid0"))
    assert r"#### Worked element: $\frac{\partial C}{\partial W^{(1)}_{1,1,1,1}}$" in grid
    assert r"#### Worked element: $\frac{\partial C}{\partial W^{(1)}_{0,0,0,0}}$" in grid0
    assert r"x^{(0)}_{c,i+m-1,j+n-1}" in grid
    assert r"x^{(0)}_{c,i+m,j+n}" in grid0
    assert "Indices are **0-based**" in grid0


def test_show_tokens_keep_index_lists_together():
    assert show_tokens(["w_1^1,W^{(1)}_{1,1,1,1},w1_2", "i^1_5"]) == ["w_1^1", "W^{(1)}_{1,1,1,1}", "w1_2", "i^1_5"]
    assert show_tokens(["W^(1)_1,1,2,2"]) == ["W^(1)_1,1,2,2"]


def test_show_accepts_typed_and_python_names_and_rejects_unknown(tmp_path, capsys):
    status = main(["derive", "--example", "seed", "--out", str(tmp_path), "--format", "md",
                   "--show", "w_1^1,i^1_5,w1_2,delta^1_2"])
    assert status == 0
    status = main(["derive", "--example", "seed", "--out", str(tmp_path), "--format", "md", "--show", "w_9^1"])
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("symconv: error: --show: unknown symbol 'w_9^1'")


def test_show_in_grid_notation(tmp_path):
    status = main(["derive", "examples/seed_grid.toml", "--out", str(tmp_path), "--format", "md",
                   "--show", "W^{(1)}_{1,1,2,2}", "--show", "x^(0)_1,2,2"])
    assert status == 0


# ----------------------------------------------------------------------------- numeric view

def test_values_file_gives_formula_numbers_and_exact_result(tmp_path):
    m = Model(example("seed"))
    lines = [f'"{n}" = 1' for n in [f"i1_{k}" for k in range(1, 10)] + [f"w2_{k}" for k in range(1, 5)]]
    lines += ['"w^1_1" = 1', '"w_2^1" = "1"', "w1_3 = 1.0", "w1_4 = 1", "y_1 = 0"]
    path = tmp_path / "v.toml"
    path.write_text("\n".join(lines) + "\n")
    view = evaluate(m, load_values(m, path))
    assert view.value[m.symbol("o2_1")] == 16
    assert view.grad[m.symbol("w1_1")] == 128
    md = md_of(m, values=view)
    s = section(md, r"\frac{\partial C}{\partial w^{1}_{1}}")
    assert (r"\frac{\partial C}{\partial w^{1}_{1}} &= 32 \cdot 1 + 32 \cdot 1 + 32 \cdot 1 + 32 \cdot 1 \\"
            "\n" r"&= 128") in s.replace(" &= 128", "&= 128")
    assert r"C &= \left(o^{2}_{1} - y_{1}\right)^{2}" in md


def test_values_missing_leaves_and_unknown_names_are_spec_errors(tmp_path):
    m = Model(example("seed"))
    path = tmp_path / "v.toml"
    path.write_text("i1_1 = 1\n")
    with pytest.raises(SpecError, match=r"--values: missing values for i1_2, i1_3, i1_4, i1_5, i1_6 and 12 more"):
        load_values(m, path)
    path.write_text("o1_1 = 1\n")
    with pytest.raises(SpecError, match="not a leaf"):
        load_values(m, path)
    path.write_text("q_1 = 1\n")
    with pytest.raises(SpecError, match="unknown symbol 'q_1'"):
        load_values(m, path)


def test_random_values_are_seeded_and_exact():
    m = Model(example("seed"))
    a, b, c = random_values(m, 1), random_values(m, 1), random_values(m, 2)
    assert a == b and a != c
    assert all(v.is_Rational for v in a.values())
    view = evaluate(m, a)
    assert view.grad[m.symbol("w1_1")] == m.gradient("w1_1", form="leaf").xreplace(a)


# ----------------------------------------------------------------------------- templates

def test_user_template_extends_a_builtin_and_overrides_a_block(tmp_path):
    (tmp_path / "derivation.md.j2").write_text(
        '{% extends "builtin/derivation.md.j2" %}{% block title %}# Custom title\n{% endblock %}'
    )
    md = md_of(Model(example("seed")), templates=(tmp_path,))
    assert md.startswith("# Custom title\n\nExact gradients")
    (tmp_path / "derivation.md.j2").write_text('{% extends "base.md.j2" %}{% block certificates %}END{% endblock %}')
    assert md_of(Model(example("seed")), templates=(tmp_path,)).endswith("END")


def test_templates_are_strict_about_undefined_names(tmp_path):
    (tmp_path / "derivation.md.j2").write_text("{{ no_such_name }}")
    with pytest.raises(SpecError) as info:
        md_of(Model(example("seed")), templates=(tmp_path,))
    # a one-line error naming the template file and line (jinja2's UndefinedError carries neither)
    assert str(info.value) == (f"{tmp_path / 'derivation.md.j2'}:1: template error: "
                               "'no_such_name' is undefined; fix the template")


def test_tex_templates_use_latex_safe_delimiters(tmp_path):
    (tmp_path / "derivation.tex.j2").write_text(r"\BLOCK{if true}\VAR{title|texescape}{}\BLOCK{endif}")
    m = Model(spec_from_dict({"title": "a&b {x}", "input": {"shape": [1, 2, 2]}, "layers": [{}]}, name="t"))
    assert render_all(m, ["tex"], templates=(tmp_path,))["tex"] == rb"a\&b \{x\}{}"


def test_templates_export_copies_the_builtins(tmp_path, capsys):
    assert main(["templates", "export", str(tmp_path / "t")]) == 0
    names = sorted(p.relative_to(tmp_path / "t").as_posix() for p in (tmp_path / "t").rglob("*") if p.is_file())
    assert names == [
        "base.md.j2", "base.tex.j2", "check.md.j2", "check.tex.j2", "check.txt.j2", "derivation.md.j2", "derivation.tex.j2",
        "figures/figure.svg.j2", "figures/figure.tex.j2",
        "macros.md.j2", "macros.tex.j2", "preamble.tex.j2", "tensor.md.j2", "tensor.tex.j2",
    ]
    assert main(["templates", "export", str(tmp_path / "t")]) == 2
    assert "already exists; remove it or pass --force" in capsys.readouterr().err
    assert len(export(tmp_path / "t", force=True)) == 14
    # an exported figure template is the one derive uses: edited, the SVG changes
    svg = tmp_path / "t" / "figures" / "figure.svg.j2"
    svg.write_text(svg.read_text().replace("#ffd54f", "#00ff00"))
    out = tmp_path / "out"
    assert main(["derive", "--example", "seed", "--format", "md", "--templates", str(tmp_path / "t"), "--out", str(out)]) == 0
    assert "#00ff00" in (out / "seed.figures" / "rf-w1_1.svg").read_text()


# ----------------------------------------------------------------------------- formula

def test_formula_forms_and_formats():
    m = Model(example("seed"))
    assert formula(m, "dC/dw_1^1") == (
        r"\frac{\partial C}{\partial w^{1}_{1}} = i^{1}_{1} \delta^{1}_{1} + i^{1}_{2} \delta^{1}_{2} + "
        r"i^{1}_{4} \delta^{1}_{3} + i^{1}_{5} \delta^{1}_{4}" "\n"
    )
    assert formula(m, "dC/di^1_5", form="sum") == (
        r"\frac{\partial C}{\partial i^{1}_{5}} = \delta^{1}_{1} w^{1}_{4} + \delta^{1}_{2} w^{1}_{3} + "
        r"\delta^{1}_{3} w^{1}_{2} + \delta^{1}_{4} w^{1}_{1}" "\n"
    )
    assert formula(m, "w1_1", form="named", fmt="text") == (
        "dC/dw1_1 = 2*(o2_1 - y_1)*(i1_1*w2_1 + i1_2*w2_2 + i1_4*w2_3 + i1_5*w2_4)\n"
    )
    md = formula(m, "dC/dw_1^1", form="leaf", fmt="md")
    assert md.startswith("$$\n\\begin{aligned}\n\\frac{\\partial C}{\\partial w^{1}_{1}} &= 2 \\left(")
    assert md.endswith("\\end{aligned}\n$$\n")


def test_formula_cli_and_errors(capsys):
    assert main(["formula", "--example", "seed", "dC/dw_1^1", "--form", "sum"]) == 0
    assert capsys.readouterr().out.startswith(r"\frac{\partial C}{\partial w^{1}_{1}} = \delta^{1}_{1} i^{1}_{1}")
    assert main(["formula", "--example", "seed", "dC/dw_1^1", "--form", "pretty"]) == 2
    assert "--form: must be one of closed, sum, named, leaf" in capsys.readouterr().err
    assert main(["formula", "--example", "seed", "dC/dv_1"]) == 2


def test_math_blocks_keep_an_equation_that_fits_in_one_block():
    eq = {"lhs": "x", "rows": ["a" * 250, "b" * 250]}
    blocks = math_blocks([eq, eq, eq])
    assert [len(b) for b in blocks] == [2, 2, 2]
    assert blocks[1] == ["x &= " + "a" * 250, r"&\quad " + "b" * 250]
    assert math_blocks([{"lhs": "d", "rows": ["e", "= f"]}]) == [["d &= e", "&= f"]]


def test_cli_numeric_view_and_templates(tmp_path, capsys):
    values = tmp_path / "v.toml"
    values.write_text("".join(f"{s.name} = 1\n" for s in Model(example("seed")).network.table.info
                              if s.name[0] in "iwy" and "_d" not in s.name).replace("y_1 = 1", "y_1 = 0"))
    out = tmp_path / "out"
    assert main(["derive", "--example", "seed", "--out", str(out), "--format", "md", "--values", str(values)]) == 0
    md = (out / "seed.md").read_text()
    assert "&= 128" in section(md, r"\frac{\partial C}{\partial w^{1}_{1}}")
    assert main(["derive", "--example", "seed", "--out", str(out), "--format", "md", "--random", "4"]) == 0
    assert "With the values substituted:" in (out / "seed.md").read_text()
    assert main(["derive", "--example", "seed", "--out", str(out), "--values", str(values), "--random", "1"]) == 2
    assert "not allowed with argument" in capsys.readouterr().err
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "derivation.md.j2").write_text('{% extends "builtin/derivation.md.j2" %}{% block intro %}\nHi.\n{% endblock %}')
    assert main(["derive", "--example", "seed", "--out", str(out), "--format", "md", "--templates", str(tpl)]) == 0
    assert (out / "seed.md").read_text().startswith("# Seed network\nHi.\n\n## 1. Result")
    assert main(["derive", "--example", "seed", "--out", str(out), "--templates", str(tmp_path / "nope")]) == 2
    assert "--templates:" in capsys.readouterr().err


def test_stride_padding_and_channels_in_the_general_formulas():
    from symconv.spec import load_spec

    md = md_of(Model(load_spec("examples/two_channel_stride2.toml")))
    assert (r"a^{(1)}_{o,i,j} &= b^{(1)}_{o} + \sum_{c=0}^{1}\sum_{m=0}^{2}\sum_{n=0}^{2} W^{(1)}_{o,c,m,n} \, "
            r"x^{(0)}_{c,2i+m-1,2j+n-1}") in md
    assert (r"\frac{\partial C}{\partial x^{(0)}_{c,u,v}} = \sum_{o=0}^{1}\sum_{m=0}^{2}\sum_{n=0}^{2} "
            r"\delta^{(1)}_{o,\frac{u-m+1}{2},\frac{v-n+1}{2}} \, W^{(1)}_{o,c,m,n}") in md
    assert ("Here only the terms whose error-term index ($\\frac{u-m+1}{2}$, $\\frac{v-n+1}{2}$) "
            "is an integer in range count.") in md
    assert md.count("Here a term whose input index falls in the zero padding is 0.") == 2  # forward, weight
    assert r"\frac{\partial C}{\partial b^{(1)}_{o}} = \sum_{i=0}^{2}\sum_{j=0}^{2} \delta^{(1)}_{o,i,j}" in md


@pytest.mark.parametrize("title", ["a*b*c and _x_", "[link](http://x) <b>", "cost $5 | 10% ~off~ #1", "back\\slash `code`"])
def test_markdown_titles_stay_literal(title):
    from markdown_it import MarkdownIt

    m = Model(spec_from_dict({"title": title, "input": {"shape": [1, 2, 2]}, "layers": [{}]}, name="t"))
    first_line = render_all(m, ["md"])["md"].decode("utf-8").splitlines()[0]
    tokens = MarkdownIt("commonmark").enable("table").enable("strikethrough").parse(first_line)
    (inline,) = [t for t in tokens if t.type == "inline"]
    assert [c.type for c in inline.children] == ["text"]  # no emphasis, link, html or code
    assert "".join(c.content for c in inline.children) == title
