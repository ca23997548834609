r"""The claim grammar reads what people and symconv write (issue 13 item 1).

* Round trip: every formula ``symconv formula`` prints (every form, every format) for every
  element of the small examples parses back as a claim naming the same gradient and equal to it;
* Notation people write: ``e^{…}``, ``\exp``, ``\log``, ``\max``, ``\sigma``, ``\tanh``,
  ``f'(z)``, ``H(…)``, routes, ``\sum_k`` with an implicit range (stated in the verdict), an
  index left off a one-element tensor, ``\lfloor``/``\lceil``; ``#``/``%`` comments in claim
  files; ambiguity errors name both readings.
"""

from __future__ import annotations

import pytest

import symconv
from symconv.check import check_claim, compare, render_verdict, to_named
from symconv.claims import parse_claim
from symconv.cli import main
from symconv.commands.formula import FORMATS, FORMS, formula
from symconv.errors import SpecError


def _round_trip(model, s, form, fmt):
    out = formula(model, s.name, form, fmt)
    claim = parse_claim(model, out)
    assert claim.wrt == s, (form, fmt, out[:200])
    truth = model.gradients.leaf(s) if form == "leaf" else model.gradients.named(s)
    got = to_named(model, claim.rhs[0].expr)
    assert compare(got, truth, shrink=False).equal, (form, fmt, out[:300])
    return out


@pytest.mark.slow
@pytest.mark.parametrize("name", ["seed", "two_channel_stride2"])
def test_every_formula_of_every_element_parses_back_in_every_form_and_format(name):
    model = symconv.load(f"example:{name}")
    count = 0
    for s in model.gradients.by_wrt:
        for form in FORMS:
            for fmt in FORMATS:
                _round_trip(model, s, form, fmt)
                count += 1
    assert count == len(model.gradients.by_wrt) * len(FORMS) * len(FORMATS)


def test_lenet_small_round_trip_with_relu_steps_routes_and_softmax():
    model = symconv.load("example:lenet_small")
    seen = ""
    for s in model.gradients.by_wrt:
        for form in ("closed", "sum"):
            for fmt in FORMATS:
                seen += _round_trip(model, s, form, fmt)
    # the printed notation this covers: ReLU's step, max pooling's routes, the cost's softmax p (one-hot: p - y)
    for printed in (r"H\left(", r"\mathrm{route}_{\max}\left(", r"\to", "Heaviside(", "MaxRoute(", "p_{3} - y_{3}",
                    "p_3 - y_3"):
        assert printed in seen, printed


@pytest.fixture(scope="module")
def seed():
    return symconv.load("example:seed")


@pytest.fixture(scope="module")
def activated():
    return symconv.load({"input": {"shape": [1, 3, 3]}, "layers": [
        {"type": "conv2d", "kernel_size": 2, "activation": "f"}]})


@pytest.mark.parametrize("claim", [
    r"\delta^2 = 2(o^2 - y)",  # index left off one-element tensors
    r"\frac{\partial C}{\partial w_1^2} = e^{0} \delta^2 o_1^1",
    r"\frac{\partial C}{\partial w_1^2} = \exp(0) \delta^2 o_1^1 + \log(1) + \ln 1",
    r"\frac{\partial C}{\partial w_1^2} = \max(0, 1) \delta^2 o_1^1",
    r"\frac{\partial C}{\partial w_1^2} = 2\sigma(0) \delta^2 o_1^1 + \tanh(0)",
    r"\frac{\partial C}{\partial w_1^2} = \delta_1^2 o_1^1 \lfloor 3/2 \rfloor \lceil 1/2 \rceil",
    r"∂C/∂w_1^2 = e^{σ(0) - 1/2} δ^2 o_1^1",
    r"dC/dw2_1 = delta2_1*o1_1",
    r"dC/dw2_1 = 2*(o2_1 - y_1)**1*o1_1",
    r"\frac{\partial C}{\partial w_1^2} = \tanh^{2}{\left(0 \right)} + \delta^2 o_1^1",  # sympy's power of a function
])
def test_notation_people_write_is_read(seed, claim):
    assert check_claim(seed, claim).ok


def test_generic_activation_derivative(activated):
    claim = (r"\frac{\partial C}{\partial w_1^1} = 2 \sum_k i_{k + \lfloor (k-1)/2 \rfloor}^1 (o_k^1 - y_k) f'(z_k^1)")
    v = check_claim(activated, claim)
    assert v.ok
    assert v.claim.notes == (r"\sum_k at column 39 read as k = 1..4: every k for which the indexed symbols exist",)


def test_an_implicit_sum_states_its_range_in_the_verdict(seed):
    claim = r"\frac{\partial C}{\partial w_1^1} = \sum_k \delta_k^1 i_{k + \lfloor (k-1)/2 \rfloor}^1"
    v = check_claim(seed, claim)
    assert v.ok
    note = r"\sum_k at column 37 read as k = 1..4: every k for which the indexed symbols exist"
    assert f"read: {note}" in render_verdict(v, "text")
    assert "read as k = 1..4: every k for which the indexed symbols exist" in render_verdict(v, "md")
    wrong = check_claim(seed, r"\frac{\partial C}{\partial w_1^1} = \sum_{k} \delta_k^1 i_k^1")
    assert not wrong.ok and "k = 1..4" in wrong.claim.notes[0]


def test_relu_step_and_route_as_printed():
    model = symconv.load("example:lenet_small")
    text = formula(model, "z1_1", "sum", "tex")
    assert r"H\left(z^{1}_{1}\right)" in text
    assert check_claim(model, text).ok
    route = next(formula(model, s.name, "sum", "tex") for s in model.gradients.by_wrt
                 if r"\mathrm{route}" in formula(model, s.name, "sum", "tex"))
    assert check_claim(model, route).ok


@pytest.mark.parametrize(("claim", "message"), [
    (r"\partial C/\partial w_12^1 = 1",
     "claim: ambiguous subscript '_12' at column 23: it reads as _{12} or as _{1} times 2; write it in braces, _{12}"),
    (r"\partial C/\partial w_1^1 = \sum_{k=1} w_k^1",
     "claim: '\\sum' at column 29 states only one bound; give both, e.g. \\sum_{k=1}^{4}, or neither, "
     "\\sum_k (every k for which the symbols exist)"),
    (r"\partial C/\partial w_1^1 = \sum_k w_{k}^3",
     "claim: '\\sum_k' at column 29: no k gives symbols that exist in this network; state the range, "
     "e.g. \\sum_{k=1}^{4}"),
    (r"\partial C/\partial w_1^1 = i^1",
     "claim: 'i' at column 29 needs a subscript index, e.g. i_1^1 (only a one-element tensor may leave it off)"),
    (r"\partial C/\partial w_1^1 = \lfloor 2", "claim: expected '\\rfloor' to close '\\lfloor' from column 29, "
                                                "found end of claim at column 38"),
])
def test_bad_and_ambiguous_claims_say_what_to_write(seed, claim, message):
    with pytest.raises(SpecError) as err:
        parse_claim(seed, claim)
    assert str(err.value) == message


def test_claim_file_comments(tmp_path, capsys):
    f = tmp_path / "claims.tex"
    f.write_text("# my derivation\n"
                 "\\delta^2 = 2(o^2 - y)   % the output delta\n"
                 "% a LaTeX comment line\n"
                 "\\frac{\\partial C}{\\partial w_1^2} = \\delta^2 o_1^1  # first weight\n", encoding="utf-8")
    assert main(["check", "--example", "seed", "--claim-file", str(f)]) == 0
    out = capsys.readouterr().out
    assert out.count("claim: ") == 2 and "#" not in out and "% the" not in out


def test_formula_accepts_a_frac_target(capsys):
    assert main(["formula", "--example", "seed", r"\frac{\partial C}{\partial w_1^1}"]) == 0
    a = capsys.readouterr().out
    assert main(["formula", "--example", "seed", "dC/dw_1^1"]) == 0
    assert a == capsys.readouterr().out and a.startswith(r"\frac{\partial C}{\partial w^{1}_{1}} = ")
