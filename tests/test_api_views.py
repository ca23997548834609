"""The Python API writes what the command line writes: show, templates and values pass through."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symconv
from symconv.cli import main
from symconv.errors import SpecError


def cli_md(tmp_path, capsys, *options) -> str:
    status = main(["derive", "--example", "two_channel_stride2", "--out", str(tmp_path), "--format", "md", *options])
    _, err = capsys.readouterr()
    assert status == 0, err
    return (tmp_path / "two_channel_stride2.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def model():
    return symconv.load(symconv.example("two_channel_stride2"))


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
    a = model.view_options(values=by_name)["values"]
    assert a.value == model.view_options(values=by_symbol)["values"].value
    assert a.grad == model.view_options(values=by_rational)["values"].grad
    # the numeric view is the exact gradient at the point
    w = model.symbol("W1_0_0_0_0")
    point = {s: sympy.Integer(v) for s, v in zip(leaves, [k % 5 - 2 for k in range(len(leaves))])}
    assert a.grad[w] == model.gradient(w, form="leaf").xreplace(point)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"show": ["nope_1"]}, "show"),
        ({"show": [3]}, "show"),
        ({"values": "x"}, "values"),
        ({"values": True}, "values"),
        ({"values": {"x0_0_0_0": 1}}, "values"),  # every leaf needs a value
        ({"values": {"nope": 1}}, "values"),
        ({"templates": "/no/such/folder"}, "templates"),
    ],
)
def test_bad_view_options_are_one_line_errors_naming_the_field(model, kwargs, field):
    with pytest.raises(SpecError) as info:
        model.render("md", **kwargs)
    assert info.value.field == field
    assert "\n" not in str(info.value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(show=st.one_of(st.text(max_size=12), st.lists(st.one_of(st.text(max_size=8), st.integers())), st.none()),
       values=st.one_of(st.none(), st.integers(-3, 3), st.text(max_size=5), st.floats(),
                        st.dictionaries(st.text(max_size=6), st.one_of(st.integers(), st.text(max_size=4), st.floats()),
                                        max_size=3)),
       templates=st.one_of(st.text(max_size=10), st.lists(st.text(max_size=6), max_size=2)))
def test_garbage_view_options_raise_spec_error_or_work(model, show, values, templates):
    try:
        model.view_options(show=show if show is not None else (), templates=templates, values=values)
    except SpecError as exc:
        assert "\n" not in str(exc)
