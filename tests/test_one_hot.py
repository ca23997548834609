"""One-hot targets (issue 11 item 5, issue 13 item 3): ``[cost] targets = "one_hot"`` assumes
Σ_k y_k = 1 for each example; δ of the logits of softmax cross-entropy is then p − y
(p = softmax(o)), certified under the substitution y_K = 1 − Σ_{k<K} y_k, against ``sympy.diff``
and against PyTorch autograd (float64) at one-hot targets. Without it the general form stays."""

from __future__ import annotations

import dataclasses
import json

import jsonschema
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symconv
from symconv.check import check_claim, render_text
from symconv.check.verdict import ASSUMED_NOTE
from symconv.costs import one_hot_substitution
from symconv.derivation import derive
from symconv.errors import SpecError
from symconv.gradients import build_gradients
from symconv.independent import certify_gradients
from symconv.jsonout import to_json
from symconv.values import random_values, values_from_mapping
from symconv.verify import certify_equal
from tests.oracle import compare, random_values
from tests.garbage import derive_spec_lines, garbage as _garbage, toml_value as _toml

DENSE = {"input": {"shape": [1, 2, 2]},
         "layers": [{"type": "flatten"}, {"type": "dense", "out_features": 3, "bias": True}],
         "cost": {"type": "cross_entropy", "targets": "one_hot"}}


def _spec(**cost):
    return dict(DENSE, cost={"type": "cross_entropy", **cost})


# ----------------------------------------------------------------------------- the spec key


def test_targets_default_is_any_and_one_hot_is_read():
    assert symconv.load(_spec()).spec.cost.targets == "any"
    assert symconv.load(_spec(targets="any")).spec.cost.targets == "any"
    assert symconv.load(_spec(targets="one_hot")).spec.cost.targets == "one_hot"


@pytest.mark.parametrize("value", ["onehot", "", 1, True, ["one_hot"], "ONE_HOT"])
def test_bad_targets_name_the_field_and_the_values(value):
    with pytest.raises(SpecError) as err:
        symconv.load(_spec(targets=value))
    assert str(err.value).startswith("cost.targets: must be one of any, one_hot")
    assert "\n" not in str(err.value)


def test_one_hot_needs_cross_entropy():
    spec = dict(DENSE, cost={"type": "sse", "targets": "one_hot"})
    with pytest.raises(SpecError) as err:
        symconv.load(spec)
    assert str(err.value).startswith("cost.targets: \"one_hot\"") and "cross_entropy" in str(err.value)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(targets=_garbage, kind=st.sampled_from(["cross_entropy", "sse", "bce"]))
def test_garbage_targets_exit_2_in_one_line_and_write_nothing(targets, kind, tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp("fuzz")
    status, err = derive_spec_lines(folder, [
        "[input]", "shape = [1, 2, 2]", "[[layers]]", 'type = "flatten"', "[[layers]]", 'type = "dense"',
        "out_features = 2", "[cost]", f'type = "{kind}"', f"targets = {_toml(targets)}"], capsys)
    ok = targets == "any" or (targets == "one_hot" and kind == "cross_entropy")
    assert status == (0 if ok else 2), err
    if not ok:
        assert "cost.targets" in err or "not valid TOML" in err, err


# ----------------------------------------------------------------------------- δ = p − y


def test_delta_is_p_minus_y_under_one_hot_and_general_without():
    one_hot, general = symconv.load(_spec(targets="one_hot")), symconv.load(_spec())
    o = one_hot.network.output.symbols
    y = one_hot.network.targets.symbols
    softmax = [sympy.exp(ok) / sympy.Add(*[sympy.exp(oj) for oj in o]) for ok in o]
    for k in range(3):
        got = one_hot.forward.leaf(one_hot.gradients.named(o[k]))
        assert sympy.simplify(got - one_hot.forward.leaf(softmax[k] - y[k])) == 0
        exact = general.forward.leaf(general.gradients.named(o[k]))
        assert sympy.simplify(exact - general.forward.leaf(softmax[k] * sympy.Add(*y) - y[k])) == 0
        # they differ in general, and agree exactly under y_3 = 1 - y_1 - y_2
        assert sympy.simplify(got - exact) != 0
        sub = one_hot_substitution(y)
        assert sympy.simplify((got - exact).xreplace(sub)) == 0


def test_substitution_is_the_last_target_of_each_example():
    ys = sympy.symbols("y_1:7")
    assert one_hot_substitution(ys, 2) == {ys[2]: 1 - ys[0] - ys[1], ys[5]: 1 - ys[3] - ys[4]}


@pytest.mark.parametrize("layers", [
    DENSE["layers"],
    [{"type": "conv2d", "kernel_size": 1, "out_channels": 2, "bias": True},
     {"type": "flatten"}, {"type": "dense", "out_features": 3}],
])
@pytest.mark.parametrize("shape,reduction", [([1, 2, 2], "sum"), ([2, 1, 2, 2], "mean")])
def test_sympy_diff_agrees_only_under_the_assumption(layers, shape, reduction):
    """Every gradient equals sympy.diff of the expanded cost after y_K = 1 − Σ_{k<K} y_k (the
    derivation's own comparison), and the comparison without it fails on the logits."""
    model = symconv.load({"input": {"shape": shape}, "layers": layers,
                          "cost": {"type": "cross_entropy", "targets": "one_hot", "reduction": reduction}})
    d = derive(model)
    assert d.full_cost_terms is not None and d.certificate_count > 0
    assert d.certificate_failures == ()
    o = model.network.output.symbols[0]
    cost = model.forward.leaf(model.forward.cost.expr)
    exact = sympy.diff(model.forward.cost.expr, o)
    ours = model.gradients.named(o)
    assert not certify_equal(model.forward.leaf(ours), model.forward.leaf(exact))
    assert certify_equal(model.forward.assume(model.forward.leaf(ours)),
                         model.forward.assume(model.forward.leaf(exact)))
    assert cost.has(*model.network.targets.symbols)


def test_independent_certificate_draws_targets_summing_to_one():
    model = symconv.load(_spec(targets="one_hot"))
    cert = certify_gradients(model.gradients)
    assert cert.passed
    assert any("one-hot targets" in c for c in cert.conventions)
    # the same p − y gradients at targets drawn freely: the certificate must fail
    free = dataclasses.replace(model.forward, assumed={})
    bad = certify_gradients(build_gradients(free))
    assert not bad.passed and bad.located


# ----------------------------------------------------------------------------- PyTorch oracle


@st.composite
def one_hot_networks(draw):
    batch = draw(st.sampled_from([0, 1, 2]))
    c, h, w = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    layers = [{"type": "conv2d", "kernel_size": 1, "out_channels": draw(st.integers(1, 2)),
               "activation": draw(st.sampled_from(["identity", "relu", "tanh", "sigmoid"])),
               "bias": draw(st.booleans())},
              {"type": "flatten"},
              {"type": "dense", "out_features": draw(st.integers(2, 4)), "bias": draw(st.booleans())}]
    return {"input": {"shape": ([batch] if batch else []) + [c, h, w]}, "layers": layers,
            "cost": {"type": "cross_entropy", "targets": "one_hot",
                     "reduction": draw(st.sampled_from(["sum", "mean"]))}}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_hot_networks(), st.integers(0, 10_000))
def test_one_hot_equals_torch_at_one_hot_targets(spec, seed):
    model = symconv.load(spec)
    values = random_values(model, seed)
    per = len(model.network.targets) // max(model.network.batch, 1)
    ys = [values[y] for y in model.network.targets.symbols]
    for e in range(0, len(ys), per):
        assert sorted(ys[e:e + per]) == [0.0] * (per - 1) + [1.0]
    assert compare(model, seed=seed) > 0


def test_lenet_style_one_hot_equals_torch():
    spec = {"input": {"shape": [1, 4, 4]}, "layers": [
        {"type": "conv2d", "out_channels": 2, "kernel_size": 3, "bias": True, "activation": "relu"},
        {"type": "max_pool2d", "kernel_size": 2}, {"type": "flatten"},
        {"type": "dense", "out_features": 3, "bias": True}],
        "cost": {"type": "cross_entropy", "targets": "one_hot"}}
    for seed in range(3):
        # every gradient compared: i 16, w^1 18, b^1 2, z^1 8, o^1 8, o^2 2, w^4 6, b^4 3, o^4 3, and C
        assert compare(symconv.load(spec), seed=seed) == 16 + 18 + 2 + 8 + 8 + 2 + 6 + 3 + 3 + 1


# ----------------------------------------------------------------------------- JSON and document


def test_json_states_the_assumption_and_validates():
    doc = json.loads(to_json(symconv.load(_spec(targets="one_hot"))))
    assert doc["assumptions"] == [{"name": "one_hot", "expr": "y_1 + y_2 + y_3 - 1",
                                   "latex": "y_{1} + y_{2} + y_{3} = 1", "substitute": "y_3", "by": "-y_1 - y_2 + 1"}]
    jsonschema.validate(doc, symconv.json_schema(), cls=jsonschema.Draft202012Validator)
    assert json.loads(to_json(symconv.load(_spec())))["assumptions"] == []


def test_document_states_the_assumption_only_under_one_hot():
    md = symconv.load(_spec(targets="one_hot")).render("md")
    assert "Assumed: $\\sum_{k} y_{k} = 1$ for each example" in md
    assert "Assumed:" not in symconv.load(_spec()).render("md")


# ----------------------------------------------------------------------------- check


@pytest.mark.parametrize("claim", [
    r"\frac{\partial C}{\partial o_1^2} = p_1 - y_1",
    r"\delta_1^2 = p_1 - y_1",
    r"\frac{\partial C}{\partial o_1^2} = \frac{e^{o_1^2}}{e^{o_1^2} + e^{o_2^2} + e^{o_3^2}} - y_1",
    r"\frac{\partial C}{\partial w_1^2} = (p_1 - y_1) i_1^1",
    r"\frac{\partial C}{\partial b_2^2} = p_2 (y_1 + y_2 + y_3) - y_2",
])
def test_check_accepts_p_minus_y_under_one_hot_saying_so(claim):
    verdict = check_claim(symconv.load(_spec(targets="one_hot")), claim)
    assert verdict.ok
    assert all(ASSUMED_NOTE in s.comparison.note for s in verdict.steps)
    assert "sum to 1 (one-hot targets)" in render_text(verdict)


@pytest.mark.parametrize("claim, label", [
    (r"\delta_1^2 = p_1 - y_1", "p_{1} - y_{1}"),
    (r"\frac{\partial C}{\partial w_1^2} = (p_1 - y_1) i_1^1", r"i^{1}_{1} \left(p_{1} - y_{1}\right)"),
])
def test_check_without_one_hot_says_wrong_but_holds_when_targets_sum_to_1(claim, label):
    verdict = check_claim(symconv.load(_spec()), claim)
    assert not verdict.ok
    step = verdict.steps[0]
    assert [d.kind for d in step.diagnoses] == ["one_hot_assumed"]
    assert ASSUMED_NOTE not in step.comparison.note
    text = render_text(verdict)
    assert "holds when $\\sum_k y_k = 1$" in text and f"proven: the claim equals {label}" in text
    # the counterexample has targets that do not sum to 1
    point = step.comparison.point
    ys = symconv.load(_spec()).network.targets.symbols
    assert sum(point.get(y, 0) for y in ys) != 1


def test_check_under_one_hot_still_finds_a_wrong_claim_with_a_consistent_counterexample():
    model = symconv.load(_spec(targets="one_hot"))
    verdict = check_claim(model, r"\delta_1^2 = p_1 - y_2")
    assert not verdict.ok
    point = verdict.steps[0].comparison.point
    assert sum(point.get(y, 0) for y in model.network.targets.symbols) == 1


# ----------------------------------------------------------------------------- the document


def test_document_names_the_softmax_and_shows_p_minus_y_under_one_hot():
    md = symconv.load(_spec(targets="one_hot")).render("md")
    assert "### Softmax" in md
    assert r"p_{k} &= \frac{e^{o^{2}_{k}}}{\sum_{j} e^{o^{2}_{j}}} \\" in md
    assert r"\delta^{2}_{1} &= p_{1} - y_{1}" in md
    assert "This is the textbook $p_{k} - y_{k}$" in md
    notation = md[md.index("Notation"):md.index("## 3. Network")]
    assert r"| $p_{k}$ | softmax of the last layer's outputs" in notation
    assert r"$p_{k} = \frac{e^{o^{2}_{k}}}{\sum_{j} e^{o^{2}_{j}}}$" in notation


def test_document_without_one_hot_keeps_the_general_form_and_says_why():
    md = symconv.load(_spec()).render("md")
    assert r"\delta^{2}_{1} &= - y_{1} + p_{1} \left(y_{1} + y_{2} + y_{3}\right)" in md
    assert ("The textbook $p_{k} - y_{k}$ holds only when $\\sum_{k} y_{k} = 1$ (one-hot or probability targets); "
            "this spec does not assume it") in md


def test_certificates_table_says_the_comparisons_are_made_where_the_targets_sum_to_1():
    md = symconv.load(_spec(targets="one_hot")).render("md")
    table = md[md.index("Certificates"):]
    assert "after substituting the last target of each example by 1 minus the others" in table
    assert "at targets drawn summing to 1 in each example" in table


def test_probability_letter_moves_aside_for_a_user_letter_and_index_letters_avoid_p():
    model = symconv.load(dict(_spec(), notation={"weight": "p"}))
    assert model.network.table.info[model.network.probabilities.symbols[0]].latex == r"\hat{y}_{1}"
    conv = {"input": {"shape": [1, 3, 3]}, "layers": [{"type": "conv2d", "kernel_size": 2}, {"type": "flatten"},
                                                        {"type": "dense", "out_features": 2}],
            "cost": {"type": "cross_entropy", "targets": "one_hot"}}
    md = symconv.load(conv).render("md")
    assert r"z^{1}_{(r,g,h)}" not in md and r"o^{1}_{(r,g,h)}" in md  # positions g, h: p is the softmax
    sse = dict(conv, cost={"type": "sse"}, layers=conv["layers"][:1])
    assert r"o^{1}_{(r,p,q)}" in symconv.load(sse).render("md")  # unchanged without a softmax


def test_values_honour_one_hot_targets():
    model = symconv.load(_spec(targets="one_hot"))
    ys = model.network.targets.symbols
    drawn = random_values(model, 5)
    assert sum(drawn[y] for y in ys) == 1
    given = {s.name: v for s, v in drawn.items()}
    given["y_1"] = given["y_1"] + 1
    with pytest.raises(SpecError, match=r'^--values: y_1 \+ y_2 \+ y_3 = 2, but \[cost\] targets = "one_hot"'):
        values_from_mapping(model, given)
