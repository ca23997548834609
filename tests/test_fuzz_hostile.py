"""Fuzzing every input surface (issue 16 item 5): specs, claims, value files, template folders and
command-line options, drawn by hypothesis with a per-example deadline. Each draw either is
refused with a one-line SpecError (exit 2) or is accepted; nothing else (no other exception, no
traceback, no hang past the deadline).

The suite runs a few examples of each; the nightly-size run is documented in README.md
("Fuzzing"): ``SYMCONV_FUZZ_EXAMPLES=2000 python -m pytest -q tests/test_fuzz_hostile.py ...``.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symconv
from symconv.cli import main
from symconv.errors import SpecError
from symconv.size import estimate

EXAMPLES = int(os.environ.get("SYMCONV_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=EXAMPLES, deadline=timedelta(seconds=20),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.filter_too_much, HealthCheck.data_too_large])

HOSTILE_NUMBERS = st.one_of(
    st.integers(-3, 10), st.integers(), st.just(5000).map(lambda n: 10**n), st.just(-(10**400)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["1e999999999", "-1e-999999999", "1/0", "0x10", "1_000", "9" * 5000, "nan", "inf", " 3/4 ",
                     "1e3", "1.5e-2", "", "--1", "1/100", "2/", "/3", "١٢٣"]),
)
SCALARS = st.one_of(HOSTILE_NUMBERS, st.text(max_size=12), st.booleans())
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                                             max_size=3), max_leaves=8)
LAYER_TYPES = st.sampled_from(["conv2d", "max_pool2d", "avg_pool2d", "flatten", "dense", "add", "concat", "nope", 3])
LAYER_KEYS = st.sampled_from(["kernel_size", "stride", "padding", "dilation", "out_channels", "groups", "bias",
                              "activation", "negative_slope", "derivative_at_zero", "out_features", "ties", "name",
                              "inputs", "in_channels"])


@st.composite
def specs(draw):
    shape = draw(st.one_of(st.lists(st.integers(0, 12), min_size=1, max_size=4),
                           st.lists(st.sampled_from([1, 2, 3, 3000, 100000, 10**30]), min_size=3, max_size=4),
                           VALUES))
    layers = []
    for _ in range(draw(st.integers(0, 4))):
        table = {"type": draw(LAYER_TYPES)}
        table.update(draw(st.dictionaries(LAYER_KEYS, st.one_of(HOSTILE_NUMBERS, VALUES,
                                                                  st.sampled_from(["relu", "leaky_relu", "tanh"])),
                                          max_size=3)))
        layers.append(table)
    spec = {"input": {"shape": shape}, "layers": layers}
    if draw(st.booleans()):
        spec["cost"] = {"type": draw(st.sampled_from(["sse", "mse", "cross_entropy", "x"]))}
    if draw(st.booleans()):
        spec["notation"] = draw(st.dictionaries(st.sampled_from(["style", "weight", "input", "cost"]),
                                                 st.one_of(st.text(max_size=5), VALUES), max_size=2))
    if draw(st.booleans()):
        spec["title"] = draw(st.one_of(st.text(max_size=20), VALUES))
    return spec


@FUZZ
@given(specs())
def test_drawn_specs_are_refused_in_one_line_or_estimated(spec):
    try:
        model = symconv.load(spec)
        est = estimate(model.spec)
    except SpecError as exc:
        assert "\n" not in str(exc)
        return
    assert est.terms >= 0 and est.symbols > 0


CLAIM_TOKENS = st.sampled_from([
    "w_1^1", "w_2^1", "i_1^1", "o_1^2", "y_1", "\\delta_1^2", "C", "2", "0.5", "9" * 40, "^", "_", "{", "}", "(", ")",
    "+", "-", "*", "/", "=", "\\frac", "\\partial", "\\exp", "\\log", "\\sigma", "\\tanh", "\\max", "\\sum",
    "_{k=1}", "^{4}", "^{64}", "^{10001/2}", "k", ",", " ", "\\cdot", "f", "f'", "\\left(", "\\right)", "|", "é", "\x00",
])


@FUZZ
@given(st.lists(CLAIM_TOKENS, max_size=40).map("".join))
def test_drawn_claims_are_refused_in_one_line_or_read(seed, text):
    from symconv.claims import parse_claim

    try:
        parse_claim(seed, r"\partial C/\partial w_1^1 = " + text)
    except SpecError as exc:
        assert "\n" not in str(exc)


@FUZZ
@given(st.dictionaries(st.sampled_from(["i1_1", "w1_1", "w_1^1", "y_1", "o2_1", "zz", "", "i1_99"]), VALUES,
                       max_size=4))
def test_drawn_value_files_are_refused_in_one_line_or_read(seed, values):
    from symconv.values import values_from_mapping

    try:
        values_from_mapping(seed, values)
    except SpecError as exc:
        assert "\n" not in str(exc)


TEMPLATE_PIECES = st.sampled_from([
    "{{ 1/0 }}", "{{ nope.attr.deeper }}", "{% extends 'builtin/derivation.md.j2' %}", "{% block x %}", "{% endblock %}",
    "{{ oops( }}", "{% for x in range(10**9) %}", "{% endfor %}", "text ", "{{ '%s' % 1 }}", "{# c #}", "{{ [].pop() }}",
    "{% include 'missing.j2' %}", "{{ ''.join }}", "\\input{/etc/passwd}", "{% raw %}", "{{ 2**2**2 }}",
])


@pytest.mark.slow
@settings(FUZZ, max_examples=max(3, EXAMPLES // 5))
@given(st.lists(TEMPLATE_PIECES, min_size=1, max_size=5).map("".join))
def test_drawn_user_templates_render_or_fail_in_one_line(seed, tmp_path_factory, template):
    from symconv.outputs import render_all

    if "range(10**9)" in template and "endfor" in template:
        template = template.replace("range(10**9)", "range(3)")  # a loop of 10**9 steps is trusted code's own choice
    folder = tmp_path_factory.mktemp("templates")
    (folder / "derivation.md.j2").write_text(template, encoding="utf-8")
    try:
        render_all(seed, ["md"], templates=(str(folder),))
    except SpecError as exc:
        assert "\n" not in str(exc)


OPTION_PIECES = st.sampled_from([
    "--out", "", " ", "/proc", "o", "--format", "md", "md,json", "pdf,zz", "--show", "w_1^1", "w_9^9", "--random", "-1",
    "3", "--values", "missing.toml", "--templates", ".", "--full", "--allow-large", "--example", "seed", "nope",
    "--claim-file", "claim", "\\partial C/\\partial w_1^1 = 0", "--form", "leaf", "--notation", "x", "\x00",
])


@settings(FUZZ, max_examples=max(5, EXAMPLES // 2))
@given(st.sampled_from(["derive", "check", "formula", "prove", "templates", "nope"]),
       st.lists(OPTION_PIECES, max_size=6))
def test_drawn_command_lines_exit_in_one_line(tmp_path_factory, monkeypatch, capsys, command, options):
    if command == "prove" or ("pdf,zz" in options and command == "derive"):
        options = [o for o in options if o != "pdf,zz"]
    if command == "derive" and "--format" not in options:
        options = options + ["--format", "md"]
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
    capsys.readouterr()
    status = main([command, *options])
    err = capsys.readouterr().err
    assert status in (0, 1, 2), err
    if status == 2:
        assert err.count("\n") == 1 and err.startswith("symconv: error: "), err
