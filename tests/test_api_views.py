"""The Python API writes what the command line writes: show, templates and values pass through."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symconv
from symconv.cli import main
from symconv import views
from symconv.errors import SpecError


def cli_md(tmp_path, capsys, *options) -> str:
    status = main(["derive", "--example", "two_channel_stride2", "--out", str(tmp_path), "--format", "md", *options])
    _, err = capsys.readouterr()
    assert status == 0, err
    return (tmp_path / "two_channel_stride2.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def model():
    return symconv.load(symconv.example("two_channel_stride2"))


@pytest.mark.slow
def test_show_random_values_and_templates_match_the_command_line(tmp_path, capsys, model):
    folder = tmp_path / "tpl"
    folder.mkdir()
    (folder / "derivation.md.j2").write_text(
        '{% extends "builtin/derivation.md.j2" %}{% block title %}# Custom title\n{% endblock %}', encoding="utf-8")
    api = model.render("md", show=["W^{(1)}_{1,1,2,2}", "x0_1_1_1"], values=7, templates=[folder])
    cli = cli_md(tmp_path / "out", capsys, "--show", "W^{(1)}_{1,1,2,2},x0_1_1_1", "--random", "7",
                 "--templates", str(folder))
    assert api == cli
    assert api.startswith("# Custom title\n")
    assert api != model.render("md")


def test_shown_element_is_written_in_full(model):
    plain = model.derivation()
    shown = model.derivation(show=["W^{(1)}_{0,0,1,1}"])
    w = model.symbol("W1_0_0_1_1")
    assert w not in {e.wrt for t in plain.layers[0].tensors for e in t.elements}
    (element,) = [e for t in shown.layers[0].tensors for e in t.elements if e.wrt == w]
    assert element.written
    assert shown.show == frozenset({w})
    assert model.derivation(show=w).show == model.derivation(show="W1_0_0_1_1").show == frozenset({w})


def test_values_by_python_name_typed_name_or_symbol_give_one_numeric_view(model):
    leaves = [s for s, i in model.network.table.info.items() if i.role in ("input", "weight", "bias", "target")]
    by_name = {s.name: k % 5 - 2 for k, s in enumerate(leaves)}
    by_symbol = {s: Fraction(k % 5 - 2) for k, s in enumerate(leaves)}
    by_rational = {s.name: sympy.Integer(k % 5 - 2) for k, s in enumerate(leaves)}
    by_printed = {model.network.table.info[s].latex: k % 5 - 2 for k, s in enumerate(leaves)}
    a = views.numeric_view(model, by_name)
    assert a.value == views.numeric_view(model, by_symbol).value == views.numeric_view(model, by_printed).value
    assert a.grad == views.numeric_view(model, by_rational).grad
    # the numeric view is the exact gradient at the point
    w = model.symbol("W1_0_0_0_0")
    point = {s: sympy.Integer(k % 5 - 2) for k, s in enumerate(leaves)}
    assert a.grad[w] == model.gradient(w, form="leaf").xreplace(point)


def test_symbols_by_python_or_printed_name(model):
    w = model.symbol("W1_0_0_1_1")
    assert model.symbol("W^{(1)}_{0,0,1,1}") is w and model.symbol("W_{0,0,1,1}^{(1)}") is w
    assert model.gradient("W^{(1)}_{0,0,1,1}") == model.gradient(w)


@pytest.fixture(scope="module")
def seed():
    return symconv.load(symconv.example("seed"))


def _leaf_values(model, **override):
    values = {s.name: 1 for s, i in model.network.table.info.items() if i.role in ("input", "weight", "bias", "target")}
    values.update(override)
    return values


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda m, t: m.render("md", show=1.5), "show"),
        (lambda m, t: m.render("md", show=[["w1_1"]]), "show"),
        (lambda m, t: m.render("md", show=b"w1_1"), "show"),
        (lambda m, t: m.render("md", show=["nope_1"]), "show"),
        (lambda m, t: m.derivation(show=3), "show"),
        (lambda m, t: m.render("md", templates=1.5), "templates"),
        (lambda m, t: m.render("md", templates=b"/tmp"), "templates"),
        (lambda m, t: m.render("md", templates=[None]), "templates"),
        (lambda m, t: m.render("md", templates=""), "templates"),
        (lambda m, t: m.render("md", templates="/no/such/folder"), "templates"),
        (lambda m, t: m.render("md", values="x"), "values"),
        (lambda m, t: m.render("md", values=True), "values"),
        (lambda m, t: m.render("md", values=-7), "values"),
        (lambda m, t: m.render("md", values={"i1_1": 1}), "values"),  # every leaf needs a value
        (lambda m, t: m.render("md", values={"nope": 1}), "values"),
        (lambda m, t: m.render("md", values={3: 1}), "values"),
        (lambda m, t: m.render("md", values=_leaf_values(m, w1_1=10**10000)), "values w1_1"),
        (lambda m, t: m.render("md", values=_leaf_values(m, w1_1=float("nan"))), "values w1_1"),
        (lambda m, t: m.render("md", values=_leaf_values(m, w1_1="1/0")), "values w1_1"),
        (lambda m, t: m.render("md", values={**_leaf_values(m), "w_1^1": 5}), "values"),  # a leaf twice
        (lambda m, t: m.render("md", values={"o2_1": 1}), "values"),  # not a leaf
        (lambda m, t: m.render("md", full="false"), "full"),
        (lambda m, t: m.render("docx"), "format"),
        (lambda m, t: m.write(t, formats=["md", "docx"]), "formats"),
        (lambda m, t: m.write(t, formats=[None]), "formats"),
        (lambda m, t: m.write(t, formats=b"md"), "formats"),
        (lambda m, t: m.write(t, formats=""), "formats"),
        (lambda m, t: m.write(t / "afile", formats="md"), "out"),
        (lambda m, t: m.write(None, formats="md"), "out"),
        (lambda m, t: m.write("", formats="md"), "out"),
        (lambda m, t: m.gradient("y_1"), "wrt"),
        (lambda m, t: m.gradient("C"), "wrt"),
        (lambda m, t: m.gradient(3), "wrt"),
        (lambda m, t: m.gradient("w1_1", form="nope"), "form"),
        (lambda m, t: symconv.load(None), "source"),
        (lambda m, t: m.cost("lef"), "form"),
    ],
)
def test_bad_python_api_input_is_a_one_line_spec_error(seed, tmp_path, call, field):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(SpecError) as info:
        call(seed, tmp_path)
    assert info.value.field == field
    assert "\n" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]  # nothing written


def test_write_takes_a_comma_separated_string_of_formats(seed, tmp_path):
    paths = seed.write(tmp_path, formats="md, json")
    assert [p.name for p in paths] == ["seed.md", "seed.json", "network.svg", "rf-i1_5.svg", "rf-w1_1.svg"]
    assert paths[2].parent == tmp_path / "seed.figures"


def test_a_failing_user_template_is_a_spec_error_naming_its_file(seed, tmp_path):
    (tmp_path / "derivation.md.j2").write_text("{% extends 'builtin/derivation.md.j2' %}{% block title %}{{ nope.x }}{% endblock %}")
    with pytest.raises(SpecError) as info:
        seed.render("md", templates=tmp_path)
    assert info.value.field == f"{tmp_path / 'derivation.md.j2'}:1"


garbage = st.one_of(
    st.none(), st.booleans(), st.integers(-10, 10), st.floats(), st.text(max_size=10), st.binary(max_size=4),
    st.lists(st.one_of(st.text(max_size=8), st.integers(), st.none()), max_size=3),
    st.dictionaries(st.one_of(st.text(max_size=6), st.integers()),
                    st.one_of(st.integers(), st.text(max_size=4), st.floats(), st.none()), max_size=3),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(show=garbage, templates=garbage, values=garbage, full=garbage, fmt=garbage)
def test_garbage_python_api_options_raise_spec_error_or_work(seed, show, templates, values, full, fmt):
    try:
        seed.render(fmt if isinstance(fmt, str) and fmt in ("md", "tex") else "md",
                    full=full, show=show, templates=templates, values=values)
    except SpecError as exc:
        assert "\n" not in str(exc)
    try:
        views.formats(fmt)
        views.out_folder(fmt)
    except SpecError as exc:
        assert "\n" not in str(exc)
