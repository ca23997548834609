"""Certificates: every leaf gradient equals ``sympy.diff`` of the fully expanded leaf cost.

Applies where the expanded cost has at most 2000 terms. How equality is decided:

* polynomial networks (identity or generic ``f`` activations, average pooling, sse/half_sse/mse):
  ``expand(ours − sympy.diff(C, θ)) == 0`` exactly (f' stays a symbolic function on both sides);
* piecewise-linear pieces (relu, leaky_relu, max pooling): exact evaluation at random rational
  points at which no pre-activation is 0 and no pooling window has a tie. symconv uses
  ReLU'(0) = h (default 0, as torch.relu) where sympy uses Heaviside(0) = ½, and a tie rule for
  max pooling, so the two may differ only at such points, which are excluded (reference case C11);
* transcendental pieces (sigmoid, tanh, cross_entropy, bce): evaluation at random rational
  points in (−1, 1) to 60 significant digits, agreeing to 1e-45 relative; a generic ``f`` in such
  a network is made concrete as f = sin, f' = cos on both sides first.
"""

from __future__ import annotations

import random

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings

import symconv
from symconv.errors import SpecError
from tests.oracle import concrete, substitute
from tests.test_layers_torch import ACTIVATIONS, COSTS, conv, net, networks

MAX_TERMS = 2000
POLY_ACTS = {"identity", "f"}
PIECEWISE_ACTS = {"relu", "leaky_relu"}


def leaf_symbols(model):
    n = model.network
    out = list(n.input.symbols)
    for layer in n.layers:
        for t in (layer.weight, layer.bias):
            if t is not None:
                out.extend(t.symbols)
    return out


def kind_of(spec) -> str:
    acts = {getattr(layer, "activation", None) and layer.activation.kind for layer in spec.layers} - {None}
    pools = {layer.type for layer in spec.layers if layer.type.endswith("pool2d")}
    if acts & {"sigmoid", "tanh"} or spec.cost.type in ("cross_entropy", "bce"):
        return "numeric"
    if "f" in acts and (acts & PIECEWISE_ACTS or "max_pool2d" in pools):
        return "numeric"  # kinks of f(rational) cannot be decided exactly: f = sin, 60 digits
    if acts & PIECEWISE_ACTS or "max_pool2d" in pools:
        return "pointwise"
    return "expand"


def expanded_terms(expr) -> int:
    return len(sympy.Add.make_args(sympy.expand(expr)))


def random_point(model, rng, kind):
    """Random rationals for every leaf at which no relu/leaky_relu input is 0 and no max-pool
    window ties (kinks, where symconv's stated convention and sympy's Heaviside(0) = ½ differ)."""
    net = model.network
    for _ in range(50):
        vals = {}
        for s in leaf_symbols(model) + list(net.targets.symbols):
            vals[s] = sympy.Rational(rng.randint(-24, 24), rng.randint(13, 29))
        if model.spec.cost.type == "bce":
            for s in net.targets.symbols:
                vals[s] = sympy.Rational(rng.randint(1, 98), 99)
        if kind == "expand":
            return vals
        fwd = dict(vals)  # no kinks, also when a transcendental cost follows a relu or max
        ok = True
        for d in model.forward.definitions[:-1]:
            # a value that is identically constant (a window over padding only) is not a kink:
            # its derivative w.r.t. every leaf is 0 whatever rule applies
            varying = [s for s, _ in d.partials if not model.forward.leaf(s).is_number]
            if d.rule in ("relu", "leaky_relu") and varying and _num(d.partials[0][0], fwd) == 0:
                ok = False
            if d.rule == "max_pool2d" and len(d.partials) > 1:
                window = [_num(s, fwd) for s, _ in d.partials]
                top = max(window)
                tied = [s for s, v in zip((s for s, _ in d.partials), window) if v == top]
                # tied copies of one same function (e.g. windows over padding + the same bias)
                # have one derivative, so only ties between different functions are kinks
                if len({model.forward.leaf(s) for s in tied}) > 1 and any(s in varying for s in tied):
                    ok = False
            fwd[d.target] = concrete(d.expr.xreplace(fwd))
        if ok:
            return vals
    raise AssertionError("no point without kinks found")


def _num(expr, fwd):
    """A forward value: exact when rational, else (f = sin present) to 40 digits, 0 below 1e-30."""
    v = expr.xreplace(fwd)
    if v.is_Rational:
        return v
    v = v.evalf(40)
    return sympy.Integer(0) if abs(v) < 1e-30 else v


def certify(model, points: int = 2, seed: int = 0) -> int:
    """Assert ours == sympy.diff for every leaf; returns the number of gradients certified."""
    cost = model.cost("leaf")
    terms = expanded_terms(cost)
    if terms > MAX_TERMS:
        pytest.skip(f"cost has {terms} terms > {MAX_TERMS}")
    kind = kind_of(model.spec)
    rng = random.Random(seed)
    pts = [random_point(model, rng, kind) for _ in range(points)] if kind != "expand" else []
    count = 0
    memos: dict = {}
    for s in leaf_symbols(model):
        ours = model.gradient(s, form="leaf", factor=False)
        theirs = sympy.diff(cost, s)
        if kind == "expand":
            assert sympy.expand(ours - theirs) == 0, s
        for vals in pts:
            if kind == "pointwise":  # exact; with a generic f, f(rational) stays symbolic
                a, b = ours.xreplace(vals), theirs.xreplace(vals)
                assert not a.has(sympy.Heaviside, sympy.Piecewise, sympy.Max), a
                assert sympy.expand(a - b) == 0, (s, a, b)
            else:
                memo = memos.setdefault(id(vals), {})
                a, b = high_precision(ours, vals, memo), high_precision(theirs, vals, memo)
                assert a.is_number and a.is_real and b.is_number and b.is_real, (s, a, b)
                assert abs(a - b) <= sympy.Float("1e-45", 60) * (1 + abs(a)), (s, a, b)
        count += 1
    return count


def high_precision(expr, vals, memo):
    """``expr`` at rational ``vals`` to 60 significant digits (f = sin, f' = cos if present).

    Leaves become 60-digit Floats and every sub-expression is evaluated once (``memo``).
    """
    floats = {k: sympy.Float(v, 60) for k, v in vals.items()}
    return substitute(concrete(expr), floats, memo).evalf(60)


CASES = [
    net((1, 3, 3), conv(kernel_size=2), conv(kernel_size=2)),                      # the seed
    net((2, 4, 4), conv(kernel_size=[2, 3], out_channels=2, bias=True, padding=[[0, 1], [1, 0]])),
    net((1, 5, 5), conv(kernel_size=3, stride=2, padding=1, dilation=1, bias=True), cost="mse"),
    net((2, 4, 4), conv(kernel_size=2, groups=2, out_channels=2, dilation=2, padding="same")),
    net((1, 3, 3), conv(kernel_size=2, padding="full", stride=2), convention="convolution"),
    net((1, 4, 4), conv(kernel_size=2, activation="f"), conv(kernel_size=2, activation="f"),
        cost="half_sse"),
    net((1, 4, 4), {"type": "avg_pool2d", "kernel_size": 2, "stride": 1, "padding": 1},
        conv(kernel_size=2)),
    net((1, 4, 4), conv(kernel_size=2, activation="relu", bias=True), conv(kernel_size=2)),
    net((1, 3, 4), conv(kernel_size=2, activation="leaky_relu", negative_slope=0.2),
        {"type": "max_pool2d", "kernel_size": [2, 3], "stride": 1}),
    net((1, 5, 5), {"type": "max_pool2d", "kernel_size": 3, "stride": 2, "padding": 1},
        {"type": "flatten"}, {"type": "dense", "out_features": 2, "bias": True}),
    net((1, 3, 3), conv(kernel_size=2, activation="tanh"), {"type": "flatten"},
        {"type": "dense", "out_features": 2, "activation": "sigmoid"}, cost="bce"),
    net((1, 3, 3), conv(kernel_size=2, activation="sigmoid", bias=True), {"type": "flatten"},
        {"type": "dense", "out_features": 3, "bias": True}, cost="cross_entropy"),
]


@pytest.mark.slow
@pytest.mark.parametrize("spec", CASES, ids=[str(k) for k in range(len(CASES))])
def test_certified_against_sympy_diff(spec):
    assert certify(symconv.load(spec)) > 0


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("cost", COSTS)
def test_every_activation_and_cost_certified(activation, cost):
    last = "sigmoid" if cost == "bce" else activation
    spec = net((1, 3, 3), conv(kernel_size=2, activation=activation, bias=True),
               conv(kernel_size=[1, 2], out_channels=2, activation=last), cost=cost)
    assert certify(symconv.load(spec), points=1) > 0


def test_kinks_are_excluded_and_would_differ():
    """At z = 0 exactly, symconv's ReLU'(0) = 0 and sympy.diff's Heaviside(0) = ½ differ."""
    model = symconv.load(net((1, 1, 2), conv(kernel_size=[1, 2], activation="relu"), cost="half_sse"))
    i1, i2 = model.network.input.symbols
    w1, w2 = model.network.layers[0].weight.symbols
    (y,) = model.network.targets.symbols
    at_kink = {i1: 1, i2: 1, w1: 1, w2: -1, y: 1}
    ours = model.gradient(w1, form="leaf").xreplace(at_kink)
    theirs = sympy.diff(model.cost("leaf"), w1).xreplace(at_kink)
    assert (ours, theirs) == (0, sympy.Rational(-1, 2))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(networks(max_side=4))
def test_random_networks_certified(spec):
    try:
        model = symconv.load(spec)
        model.network
    except SpecError:
        assume(False)
    assume(len(model.network.table.info) <= 60)
    cost = model.cost("leaf")
    assume(sympy.count_ops(cost) <= 1500)
    assume(expanded_terms(cost) <= MAX_TERMS)
    certify(model, points=1)


@pytest.mark.parametrize("kind", COSTS)
def test_cost_partials_equal_sympy_diff(kind):
    from symconv.costs import cost_definition

    o = sympy.symbols("o1:5")
    y = sympy.symbols("y1:5")
    d = cost_definition(kind, sympy.Symbol("C"), o, y)
    for (sym, partial), ok in zip(d.partials, o):
        assert sym == ok
        diff = sympy.diff(d.expr, ok)
        if kind == "cross_entropy":
            assert sympy.simplify(partial - diff) == 0
        else:
            assert partial == diff  # identical expressions, not only equal
