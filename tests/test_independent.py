"""The independent certificate (symconv.independent): forward mode against the chain-rule sums.

Correct networks of every layer kind, activation and cost pass; a gradient planted wrong by one
chain-rule term, in a leaf or an intermediate, fails and is located; the certificate reaches the
derivation, its failures and the JSON.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings

import symconv
from symconv.derivation import derive
from symconv.errors import SpecError
from symconv.gradients import ChainTerm, Gradient
from symconv.independent import Located, certify_gradients
from tests.test_layers_torch import ACTIVATIONS, COSTS, networks

TWO_CONV_16 = {"title": "two conv layers 16x16", "input": {"shape": [1, 16, 16]},
               "layers": [{"kernel_size": 3}, {"kernel_size": 3}], "cost": {"type": "half_sse"}}


def planted(model, name: str, terms=None):
    """The model's gradients with ∂C/∂``name`` replaced: by ``terms``, or by its chain-rule sum
    without its last term (one gradient off by one term)."""
    grads = model.gradients
    s = model.symbol(name)
    by_wrt = dict(grads.by_wrt)
    by_wrt[s] = Gradient(s, tuple(terms) if terms is not None else grads[s].terms[:-1])
    return dataclasses.replace(grads, by_wrt=by_wrt, _memo={}, _sizes={})


def every_kind(act: str, cost: str) -> dict:
    """A network with every layer kind: conv (bias, padding), max pool, conv, average pool,
    flatten, dense."""
    return {"title": "every kind", "input": {"shape": [2, 6, 6]}, "cost": {"type": cost}, "layers": [
        {"type": "conv2d", "out_channels": 2, "kernel_size": 3, "padding": 1, "bias": True, "activation": act},
        {"type": "max_pool2d", "kernel_size": 2, "ties": "split" if act == "relu" else "first"},
        {"type": "conv2d", "out_channels": 2, "kernel_size": 1, "padding": 1, "activation": act},
        {"type": "avg_pool2d", "kernel_size": 2},
        {"type": "flatten"},
        {"type": "dense", "out_features": 3, "bias": True, "activation": "sigmoid" if cost == "bce" else act},
    ]}


def test_seed_certificate_states_method_points_bound_and_coverage(seed):
    c = seed.certificate
    d = c.as_dict()
    assert d.pop("statement").endswith(
        "which vanishes at all 2 points with probability at most (7/2^64)^2 <= 1.5e-37 (Schwartz-Zippel).")
    assert d.pop("method").startswith("forward-mode differentiation of the forward definitions (dual numbers)")
    assert d == {
        "passed": True, "regime": "polynomial", "arithmetic": "exact rational", "points": 2,
        "sample_set": "integers in [-2^63, 2^63)", "sample_size": 2 ** 64, "degree": 7, "bound": 1.5e-37,
        "bound_formula": "(7/2^64)^2", "tolerance": None,
        "covers": [
            {"role": "input", "layer": 0, "shape": [1, 3, 3], "entries": 9},
            {"role": "weight", "layer": 1, "shape": [1, 1, 2, 2], "entries": 4},
            {"role": "activation", "layer": 1, "shape": [1, 2, 2], "entries": 4},
            {"role": "weight", "layer": 2, "shape": [1, 1, 2, 2], "entries": 4},
            {"role": "activation", "layer": 2, "shape": [1, 1, 1], "entries": 1},
        ],
        "entries": 22, "conventions": [], "located": [], "more": False, "reason": "",
    }


def test_degree_and_points_follow_the_network():
    # conv → conv → conv with identity and sse: C has degree 8, the difference at most 9
    spec = {"title": "t", "input": {"shape": [1, 5, 5]}, "layers": [{"kernel_size": 2}] * 3, "cost": {"type": "sse"}}
    c = symconv.load(spec).certificate
    assert (c.passed, c.degree, c.points, c.bound_formula, c.bound) == (True, 9, 2, "(9/2^64)^2", 2.4e-37)


def test_transcendental_network_states_its_tolerance():
    c = symconv.load(symconv.example("lenet_small")).certificate
    assert (c.passed, c.regime, c.points, c.bound, c.sample_set) == (
        True, "transcendental", 2, None, "dyadic rationals m/2^30 in [-1, 1)")
    assert c.tolerance == "|difference| <= 1e-40 * (1 + sum |direction * gradient|)"
    assert c.arithmetic.startswith("fixed point, 180 fraction bits")
    assert c.conventions == ("one-hot targets: the targets of each example are drawn with sum 1 (the last is 1 minus "
                             "the sum of the others), where the gradients are claimed to hold",
                             "layer 1: the activation's derivative at its kink z = 0 is 0",
                             "layer 2: at tied maxima the derivative follows the first maximum (row-major)")
    assert [(t.role, t.layer, t.entries) for t in c.covers] == [
        ("input", 0, 36), ("weight", 1, 18), ("bias", 1, 2), ("pre_activation", 1, 32), ("activation", 1, 32),
        ("activation", 2, 8), ("weight", 4, 24), ("bias", 4, 3), ("activation", 4, 3)]
    assert c.entries == 158


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("cost", COSTS)
def test_every_layer_kind_activation_and_cost_passes(act, cost):
    c = symconv.load(every_kind(act, cost)).certificate
    assert c.passed, (c.reason, c.located)
    transcendental = act in ("sigmoid", "tanh", "f") or cost in ("cross_entropy", "bce")
    assert c.regime == ("transcendental" if transcendental else "piecewise polynomial")  # max pooling


@pytest.mark.parametrize("layer, convention", [
    ({"type": "conv2d", "kernel_size": 1, "padding": 2, "activation": "relu", "derivative_at_zero": "1/2"},
     "layer 1: the activation's derivative at its kink z = 0 is 1/2"),
    ({"type": "conv2d", "kernel_size": 1, "padding": 2, "activation": "leaky_relu", "negative_slope": "1/5",
      "derivative_at_zero": "1/3"}, "layer 1: the activation's derivative at its kink z = 0 is 1/3"),
])
def test_kinks_met_at_every_point_follow_the_stated_convention(layer, convention):
    # a 2×2 input, kernel 1, padding 2: 32 of the 36 pre-activations read only padding, z = 0
    m = symconv.load({"title": "t", "input": {"shape": [1, 2, 2]}, "layers": [layer], "cost": {"type": "sse"}})
    zeros = [d.target for d in m.forward.definitions if d.rule == "conv2d" and d.expr == 0]
    assert len(zeros) == 32  # of 36 outputs
    c = m.certificate
    assert (c.passed, c.regime, c.conventions) == (True, "piecewise polynomial", (convention,))


def test_a_backward_pass_with_another_kink_convention_is_caught():
    # ReLU'(0) = 0 in the spec, but ∂C/∂z at a structural zero uses H(0) = 1
    m = symconv.load({"title": "t", "input": {"shape": [1, 2, 2]}, "cost": {"type": "sse"},
                      "layers": [{"type": "conv2d", "kernel_size": 1, "padding": 2, "activation": "relu"}]})
    z = m.symbol("z1_1")
    (t,) = m.gradients[z].terms
    wrong = planted(m, "z1_1", [t._replace(partial=sympy.Heaviside(z, 1))])
    c = certify_gradients(wrong)
    assert not c.passed
    assert [(e.name, e.role, e.layer, e.index) for e in c.located] == [("z1_1", "pre_activation", 1, (0, 0, 0))]


def test_a_weight_gradient_off_by_one_term_is_caught_and_located():
    m = symconv.load(TWO_CONV_16)
    c = certify_gradients(planted(m, "w1_5"))
    assert (c.passed, c.reason, c.more) == (False, "the two sides differ at random point 1", False)
    assert c.located == (Located("w1_5", "w^{1}_{5}", "weight", 1, (0, 0, 1, 1),
                                 "3.18437300096115e+96", "3.19603415295645e+96"),)


def test_an_intermediate_gradient_off_by_one_term_is_caught_and_only_it_is_located():
    # o^1_100's error spreads to every gradient upstream of it; only the root is reported
    m = symconv.load(TWO_CONV_16)
    c = certify_gradients(planted(m, "o1_100"))
    assert [(e.name, e.role, e.index) for e in c.located] == [("o1_100", "activation", (0, 7, 1))]


def test_two_wrong_entries_are_both_located_last_first():
    m = symconv.load(TWO_CONV_16)
    grads = planted(m, "w2_1")
    m.__dict__["gradients"] = grads
    c = certify_gradients(planted(m, "i1_40"))
    assert [e.name for e in c.located] == ["w2_1", "i1_40"]


def test_a_wrong_partial_is_caught():
    m = symconv.load(TWO_CONV_16)
    t0, t1 = m.gradients[m.symbol("i1_17")].terms[:2]
    terms = (t0._replace(partial=t1.partial),) + m.gradients[m.symbol("i1_17")].terms[1:]
    c = certify_gradients(planted(m, "i1_17", terms))
    assert [e.name for e in c.located] == ["i1_17"]


def test_an_upstream_factor_that_names_no_later_sum_is_reported():
    m = symconv.load(symconv.example("seed"))
    o = m.symbol("o2_1")
    (t,) = m.gradients[o].terms
    wrong = planted(m, "o2_1", [ChainTerm(t.via, m.symbol("w1_1"), t.partial)])
    c = certify_gradients(wrong)
    assert not c.passed
    assert c.reason == "the chain-rule sum of o2_1 uses an upstream factor that no later sum names"
    assert [e.name for e in c.located] == ["o2_1"]


@pytest.mark.slow
def test_lenet5_gradient_off_by_one_term_is_caught_and_located():
    m = symconv.load(symconv.example("lenet5"))
    c = certify_gradients(planted(m, "w3_100"))
    assert (c.passed, c.regime) == (False, "transcendental")
    assert [(e.name, e.role, e.layer) for e in c.located] == [("w3_100", "weight", 3)]


def test_failure_reaches_the_derivation_and_the_json(tmp_path):
    m = symconv.load(symconv.example("seed"))
    m.__dict__["gradients"] = planted(m, "w1_1")
    d = derive(m)
    assert d.independent is m.certificate and not d.independent.passed
    assert d.certificate_failures[-1].startswith(
        "independent certificate: the two sides differ at random point 1; the gradient by w1_1 is wrong")
    doc = json.loads(m.render("json"))
    (cert,) = doc["certificates"]
    assert (cert["name"], cert["passed"], [e["name"] for e in cert["located"]]) == ("independent", False, ["w1_1"])


def test_json_lists_the_certificate_of_a_passing_network(seed):
    doc = json.loads(seed.render("json"))
    assert [(c["name"], c["passed"], c["entries"], c["bound"]) for c in doc["certificates"]] == [
        ("independent", True, 22, 1.5e-37)]


def test_deterministic():
    a = symconv.load(symconv.example("lenet_small")).certificate
    b = symconv.load(symconv.example("lenet_small")).certificate
    assert a == b


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=networks())
def test_random_networks_pass(spec):
    model = symconv.load(spec)
    try:
        model.network
    except SpecError:
        assume(False)
    c = model.certificate
    assert c.passed, (c.reason, c.located)
