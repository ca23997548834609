"""Every layer setting equals PyTorch autograd (float64, relative 1e-10) at random values.

The oracle (tests/oracle.py) rebuilds each network in PyTorch from the spec and reads ∂C/∂s for
every input, weight, bias, pre-activation and activation element; symconv's named gradients are
evaluated at the same doubles (40 significant digits). The generic activation ``f`` is compared
with f = sin, f' = cos substituted on both sides.
"""

from __future__ import annotations

import itertools

import pytest
import sympy
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symconv
from symconv.errors import SpecError
from tests.oracle import compare, random_values, symconv_gradients, torch_gradients

ACTIVATIONS = ["identity", "relu", "leaky_relu", "sigmoid", "tanh", "f"]
COSTS = ["sse", "half_sse", "mse", "cross_entropy", "bce"]


def net(shape, *layers, cost="sse", convention="cross-correlation"):
    return {"input": {"shape": list(shape)}, "layers": list(layers), "cost": {"type": cost},
            "convention": convention}


def conv(**kw):
    return {"type": "conv2d", **kw}


# ----------------------------------------------------------------------------- one conv layer

CONV_GRID = [
    # (input shape, conv settings)
    ((1, 4, 4), dict(kernel_size=1)),
    ((1, 4, 5), dict(kernel_size=[1, 3])),
    ((2, 5, 4), dict(kernel_size=[3, 2], out_channels=3)),
    ((3, 6, 6), dict(kernel_size=4, out_channels=2, bias=True)),
    ((1, 7, 7), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 8, 8), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 7, 6), dict(kernel_size=[2, 3], stride=[3, 2], out_channels=2)),
    ((1, 5, 5), dict(kernel_size=2, stride=3)),
    ((1, 4, 4), dict(kernel_size=2, padding=[1, 2])),
    ((2, 4, 5), dict(kernel_size=[3, 2], padding=[[0, 2], [1, 0]], out_channels=2, bias=True)),
    ((1, 4, 4), dict(kernel_size=3, padding="valid")),
    ((1, 4, 4), dict(kernel_size=2, padding="same")),
    ((1, 5, 4), dict(kernel_size=[4, 3], padding="same", out_channels=2)),
    ((2, 5, 5), dict(kernel_size=2, padding="same", dilation=2, out_channels=2)),
    ((1, 3, 4), dict(kernel_size=[2, 3], padding="full")),
    ((1, 3, 3), dict(kernel_size=2, padding="full", dilation=2, stride=2)),
    ((1, 6, 6), dict(kernel_size=2, dilation=2)),
    ((1, 7, 6), dict(kernel_size=3, dilation=[2, 1], stride=[1, 2])),
    ((2, 5, 5), dict(kernel_size=2, groups=2, out_channels=2)),              # depthwise
    ((2, 5, 5), dict(kernel_size=2, groups=2, out_channels=4, bias=True)),   # depth multiplier 2
    ((3, 4, 4), dict(kernel_size=2, groups=3, out_channels=3, padding=1)),
    ((1, 1, 1), dict(kernel_size=3, padding=1)),   # corner weights read only padding: zero gradient
]


@pytest.mark.parametrize("convention", ["cross-correlation", "convolution"])
@pytest.mark.parametrize("shape, settings_", CONV_GRID, ids=[str(k) for k in range(len(CONV_GRID))])
def test_single_conv_layer(shape, settings_, convention):
    model = symconv.load(net(shape, conv(**settings_), convention=convention))
    assert compare(model, seed=len(str(settings_))) > 0


def test_zero_gradient_keeps_the_kernel_shape():
    model = symconv.load(net((1, 1, 1), conv(kernel_size=3, padding=1)))
    w = model.network.layers[0].weight
    arr = model.gradients.array(w, "leaf")
    assert arr.shape == (1, 1, 3, 3)
    assert arr[0, 0, 0, 0] == 0 and arr[0, 0, 1, 1] != 0
    assert model.gradients[w.at(0, 0, 0, 0)].terms == ()


# ----------------------------------------------------------------------------- activations x costs

@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("cost", COSTS)
def test_activation_and_cost(activation, cost):
    """conv (activation) → conv (activation, or sigmoid for bce); every pairing of the two tables."""
    last = "sigmoid" if cost == "bce" else activation
    spec = net((2, 4, 4),
               conv(kernel_size=2, out_channels=2, bias=True, activation=activation),
               conv(kernel_size=2, out_channels=2, bias=True, activation=last), cost=cost)
    compare(symconv.load(spec), seed=hash((activation, cost)) % 1000)


@pytest.mark.parametrize("slope, at_zero", [("1/100", None), (0.2, None), ("3/10", "1/2")])
def test_leaky_relu_settings(slope, at_zero):
    layer = conv(kernel_size=2, activation="leaky_relu", negative_slope=slope)
    if at_zero is not None:
        layer["derivative_at_zero"] = at_zero
    compare(symconv.load(net((1, 4, 4), layer, conv(kernel_size=2))), seed=3)


# ----------------------------------------------------------------------------- pooling, dense

POOL_NETS = [
    net((1, 4, 4), {"type": "max_pool2d", "kernel_size": 2}),
    net((2, 5, 5), {"type": "max_pool2d", "kernel_size": 3, "stride": 2, "padding": 1}),
    net((1, 5, 4), {"type": "max_pool2d", "kernel_size": [2, 3], "stride": [1, 2]}),
    net((1, 5, 5), {"type": "max_pool2d", "kernel_size": 2, "padding": [[1, 0], [0, 1]]}),
    net((1, 4, 4), {"type": "avg_pool2d", "kernel_size": 2}),
    net((2, 5, 5), {"type": "avg_pool2d", "kernel_size": 3, "stride": 2, "padding": 1}),
    net((1, 5, 4), {"type": "avg_pool2d", "kernel_size": [3, 2], "stride": [2, 1], "padding": [1, 0]}),
    net((1, 5, 5), {"type": "avg_pool2d", "kernel_size": 2, "padding": [[0, 1], [1, 1]]}),
    net((1, 6, 6), conv(kernel_size=3, out_channels=2, activation="relu", bias=True),
        {"type": "max_pool2d", "kernel_size": 2}, {"type": "flatten"},
        {"type": "dense", "out_features": 3, "bias": True}, cost="cross_entropy"),
    net((2, 5, 5), conv(kernel_size=2, out_channels=2, activation="tanh"),
        {"type": "avg_pool2d", "kernel_size": 2, "stride": 1}, {"type": "flatten"},
        {"type": "dense", "out_features": 2, "activation": "sigmoid", "bias": True}, cost="bce"),
    net((1, 3, 3), {"type": "flatten"}, {"type": "dense", "out_features": 4, "activation": "relu"},
        {"type": "dense", "out_features": 2, "bias": True}, cost="mse"),
    net((1, 4, 4), conv(kernel_size=2), {"type": "flatten"}, {"type": "flatten"},
        {"type": "dense", "out_features": 1, "activation": "f"}, cost="half_sse"),
    net((1, 6, 6), {"type": "max_pool2d", "kernel_size": 2}, conv(kernel_size=2, activation="leaky_relu"),
        {"type": "avg_pool2d", "kernel_size": 2, "stride": 1}, cost="sse"),
]


@pytest.mark.parametrize("spec", POOL_NETS, ids=[str(k) for k in range(len(POOL_NETS))])
def test_pooling_flatten_dense(spec):
    compare(symconv.load(spec), seed=7)


def test_lenet_small_example():
    compare(symconv.load(symconv.spec.example("lenet_small")), seed=11)


def test_two_channel_stride2_example():
    compare(symconv.load(symconv.spec.example("two_channel_stride2")), seed=12)


# ----------------------------------------------------------------------------- max-pool ties

def _tie_model(ties):
    return symconv.load(net((1, 2, 4), {"type": "max_pool2d", "kernel_size": 2, "ties": ties},
                            cost="half_sse"))


def _tie_values(model):
    x = [3, 5, 1, 1,
         5, 2, 1, 1]   # window 1: maxima at (0,1) and (1,0); window 2: all four tied
    vals = dict(zip(model.network.input.symbols, map(sympy.Integer, x)))
    vals.update(zip(model.network.targets.symbols, [sympy.Integer(4), sympy.Integer(-1)]))
    return x, vals


def test_max_pool_ties_first_is_torch():
    model = _tie_model("first")
    x, vals = _tie_values(model)
    values = {s: float(v) for s, v in vals.items()}
    ours = symconv_gradients(model, values)
    theirs = torch_gradients(model, values)
    names = [s.name for s in model.network.input.symbols]
    assert [ours[n] for n in names] == [theirs[n] for n in names] == [0, 1, 2, 0, 0, 0, 0, 0]


def test_max_pool_ties_split_weights_sum_to_one():
    model = _tie_model("split")
    _, vals = _tie_values(model)
    for d in model.forward.definitions[:-1]:
        vals[d.target] = d.expr.xreplace(vals)
        weights = [p.xreplace(vals) for _, p in d.partials]
        assert sum(weights) == 1
    got = [model.gradients.named(s).xreplace(vals) for s in model.network.input.symbols]
    h, q = sympy.Rational(1, 2), sympy.Rational(1, 2)
    assert got == [0, h, q, q, h, 0, q, q]


# ----------------------------------------------------------------------------- hypothesis

@st.composite
def networks(draw, max_side: int = 6):
    """Random valid networks: 1–3 window layers, optionally flatten → dense; every setting."""
    c = c_in = draw(st.integers(1, 3))
    h, w = draw(st.integers(2, max_side)), draw(st.integers(2, max_side))
    pair = st.tuples(st.integers(1, 4), st.integers(1, 4)).map(list)
    layers = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["conv2d", "conv2d", "conv2d", "max_pool2d", "avg_pool2d"]))
        if kind == "conv2d":
            groups = draw(st.sampled_from([g for g in (1, 2, 3) if c % g == 0]))
            out = groups * draw(st.integers(1, max(1, 3 // groups)))
            stride = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 3)).map(list)))
            pad_choices = [0, 1, [1, 0], [[0, 1], [2, 1]], "valid", "full"]
            if stride == 1:
                pad_choices.append("same")
            layer = conv(out_channels=out, kernel_size=draw(st.one_of(st.integers(1, 4), pair)),
                         stride=stride, groups=groups, padding=draw(st.sampled_from(pad_choices)),
                         dilation=draw(st.sampled_from([1, 2, [1, 2]])), bias=draw(st.booleans()),
                         activation=draw(st.sampled_from(ACTIVATIONS)))
            c = out
        else:
            k = draw(st.integers(1, 3))
            layer = {"type": kind, "kernel_size": k, "stride": draw(st.integers(1, 3)),
                     "padding": draw(st.integers(0, k // 2))}
        layers.append(layer)
    if draw(st.booleans()):
        layers.append({"type": "flatten"})
        layers.append({"type": "dense", "out_features": draw(st.integers(1, 3)),
                       "bias": draw(st.booleans()), "activation": draw(st.sampled_from(ACTIVATIONS))})
    cost = draw(st.sampled_from(COSTS))
    if cost == "bce":  # outputs must lie in (0, 1)
        if layers[-1]["type"] in ("conv2d", "dense"):
            layers[-1]["activation"] = "sigmoid"
        else:
            layers.append(conv(kernel_size=1, activation="sigmoid"))
    convention = draw(st.sampled_from(["cross-correlation", "convolution"]))
    return net((c_in, h, w), *layers, cost=cost, convention=convention)


def _buildable(spec):
    try:
        model = symconv.load(spec)
        model.network
    except SpecError:
        return None  # kernel larger than the padded input: a correct refusal, tested elsewhere
    return model


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(networks(), st.integers(0, 10_000))
def test_random_networks_equal_torch(spec, seed):
    model = _buildable(spec)
    assume(model is not None)
    assume(len(model.network.table.info) <= 1500)
    compare(model, seed=seed)


@pytest.mark.parametrize("name", ["two_channel_stride2", "lenet_small"])
def test_example_files_match_builtin_examples(name):
    from pathlib import Path

    from symconv.spec import example, load_spec

    path = Path(__file__).resolve().parent.parent / "examples" / f"{name}.toml"
    from_file, builtin = load_spec(path), example(name)
    assert from_file.name == builtin.name == name
    assert from_file == builtin


# ----------------------------------------------------------------------------- kinks, notation, unread rows

@pytest.mark.parametrize("slope", ["1/100", "1/5"])
def test_leaky_relu_at_exactly_zero_matches_torch(slope):
    """LeakyReLU'(0) defaults to negative_slope, as F.leaky_relu's backward."""
    spec = net((1, 1, 2), conv(kernel_size=[1, 2], activation="leaky_relu", negative_slope=slope),
               cost="half_sse")
    model = symconv.load(spec)
    values = dict(zip(model.network.input.symbols, [1.0, 1.0]))
    values.update(zip(model.network.layers[0].weight.symbols, [0.5, -0.5]))  # z = 0 exactly
    values[model.network.targets.symbols[0]] = 1.0
    ours, theirs = symconv_gradients(model, values), torch_gradients(model, values)
    assert ours == theirs
    assert ours["w1_1"] == -float(sympy.Rational(slope))


@pytest.mark.parametrize("style", ["grid", "grid0"])
def test_grid_notations_equal_torch(style):
    spec = dict(symconv.spec.EXAMPLES["lenet_small"], notation={"style": style})
    assert compare(symconv.load(spec), seed=5) == 159


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 9), st.integers(1, 4), st.integers(1, 3), st.integers(0, 2), st.integers(0, 2),
       st.integers(1, 2))
def test_unread_rows_have_zero_gradient(size, k, s, top, bottom, d):
    """shapes.unread counts exactly the trailing input rows no window reads."""
    from symconv.shapes import unread

    spec = net((1, size, 1), conv(kernel_size=[k, 1], stride=[s, 1], dilation=[d, 1],
                                  padding=[[top, bottom], [0, 0]]))
    try:
        model = symconv.load(spec)
        model.network
    except SpecError:
        assume(False)
    u = unread(size, k, s, (top, bottom), d)
    rows = model.network.input.symbols
    assert all(model.gradients[r].terms == () for r in rows[size - u:])
    if 0 < u < size:  # the row just before them is the last one read
        assert model.gradients[rows[size - u - 1]].terms != ()


# ----------------------------------------------------------------------------- graphs and batches

@st.composite
def graph_networks(draw):
    """Residual blocks (conv → [conv] → add with the block's input), concatenations (a conv
    branch joined to what it read) and chains, unbatched or on a batch of 1–3, with a drawn cost
    and reduction; sometimes ending in flatten → dense."""
    c = draw(st.integers(1, 2))
    h, w = draw(st.integers(2, 4)), draw(st.integers(2, 4))
    batch = draw(st.sampled_from([0, 0, 1, 2, 3]))
    layers, names = [], ["input"]
    channels = c
    for k in range(draw(st.integers(1, 2))):
        form = draw(st.sampled_from(["residual", "concat", "chain"]))
        src = names[-1]
        act = draw(st.sampled_from(ACTIVATIONS))
        if form == "residual":
            mid = draw(st.integers(1, 2))
            layers.append(conv(kernel_size=draw(st.sampled_from([1, 3])), padding="same", out_channels=mid,
                               activation=act, bias=draw(st.booleans()), name=f"r{k}a",
                               **({"inputs": [src]} if src != names[-1] else {})))
            layers.append(conv(kernel_size=1, out_channels=channels, name=f"r{k}b"))
            layers.append({"type": "add", "inputs": [f"r{k}b", src], "name": f"r{k}",
                           "activation": draw(st.sampled_from(ACTIVATIONS))})
            names.append(f"r{k}")
        elif form == "concat":
            out = draw(st.integers(1, 2))
            layers.append(conv(kernel_size=draw(st.sampled_from([1, 3])), padding="same", out_channels=out,
                               activation=act, name=f"c{k}a"))
            order = draw(st.sampled_from([[f"c{k}a", src], [src, f"c{k}a"]]))
            layers.append({"type": "concat", "inputs": order, "name": f"c{k}"})
            channels += out
            names.append(f"c{k}")
        else:
            layers.append(conv(kernel_size=1, out_channels=channels, activation=act, name=f"p{k}"))
            names.append(f"p{k}")
    cost = draw(st.sampled_from(COSTS))
    if draw(st.booleans()) or cost in ("cross_entropy", "bce"):
        layers.append({"type": "flatten"})
        layers.append({"type": "dense", "out_features": draw(st.integers(2, 3)), "bias": draw(st.booleans()),
                       "activation": "sigmoid" if cost == "bce" else "identity"})
    shape = ([batch] if batch else []) + [c, h, w]
    return net(shape, *layers, cost=cost, convention=draw(st.sampled_from(["cross-correlation", "convolution"]))) | {
        "cost": {"type": cost, "reduction": draw(st.sampled_from(["sum", "mean"]))}}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(graph_networks(), st.integers(0, 10_000))
def test_graphs_and_batches_equal_torch(spec, seed):
    model = _buildable(spec)
    assume(model is not None)
    assume(len(model.network.table.info) <= 1500)
    compare(model, seed=seed)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("cost", COSTS)
def test_batched_costs_equal_torch(cost, reduction):
    spec = net((3, 2, 3, 3), conv(kernel_size=2, out_channels=2, bias=True, activation="tanh"),
               {"type": "flatten"}, {"type": "dense", "out_features": 2,
                                     "activation": "sigmoid" if cost == "bce" else "identity"})
    spec["cost"] = {"type": cost, "reduction": reduction}
    compare(symconv.load(spec), seed=17)
