"""``conv1d``: spec errors, shapes, exact closed forms, printed index formulas, JSON indices,
garbage in its keys through the CLI, and PyTorch ``conv1d`` autograd (float64) over a grid and
over hypothesis-drawn networks (tests/oracle.py)."""

from __future__ import annotations

import json

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symconv
from symconv.cli import main
from symconv.derivation import derive
from symconv.errors import SpecError
from tests.oracle import compare
from tests.garbage import derive_spec_lines, garbage as _garbage, toml_value as _toml

ACTIVATIONS = ["identity", "relu", "sigmoid", "tanh", "f"]
COSTS = ["sse", "half_sse", "mse", "cross_entropy"]


def net(shape, *layers, cost="sse", convention="cross-correlation", **top):
    return {"input": {"shape": list(shape)}, "layers": list(layers), "cost": {"type": cost},
            "convention": convention, **top}


def c1(**kw):
    return {"type": "conv1d", **kw}


# ----------------------------------------------------------------------------- spec errors

BAD = [
    (net((1, 4), c1(kernel_size=[2])), "layers[1].kernel_size", "integer"),
    (net((1, 4), c1(kernel_size=0)), "layers[1].kernel_size", ">= 1"),
    (net((1, 4), c1(stride=[1, 2])), "layers[1].stride", "integer"),
    (net((1, 4), c1(dilation=True)), "layers[1].dilation", "integer"),
    (net((1, 4), c1(padding=[1, 2, 3])), "layers[1].padding", "[before, after]"),
    (net((1, 4), c1(padding=[1, -1])), "layers[1].padding[1]", ">= 0"),
    (net((1, 4), c1(padding="half")), "layers[1].padding", "valid"),
    (net((1, 4), c1(padding="same", stride=2)), "layers[1].padding", "stride > 1"),
    (net((1, 4), c1(out_channels=3, groups=2)), "layers[1].groups", "out_channels (3)"),
    (net((3, 4), c1(out_channels=2, groups=2)), "layers[1].groups", "input channels (3)"),
    (net((1, 4), c1(kernel_size=5)), "layers[1].kernel_size", "length 5 is larger than the padded input length 4"),
    (net((1, 3), c1(kernel_size=2, dilation=3)), "layers[1].kernel_size", "dilated kernel length 4"),
    (net((1, 1, 4, 4), c1()), "input.shape", "[channels, length]"),
    (net((1, 4), c1(), {"type": "conv2d"}), "layers[2].type", "(C, H, W) feature map, but the input is a 1-D signal"),
    (net((1, 3, 3), {"type": "conv2d", "kernel_size": 1}, c1()), "layers[2].type",
     "(C, L) signal, but the input is a (C, H, W) feature map"),
    (net((1, 4), c1(), {"type": "flatten"}, c1()), "layers[3].type", "(C, L) signal, but it follows flatten"),
    (net((1, 4), c1(kernel=2)), "layers[1].kernel", "unknown key"),
]


@pytest.mark.parametrize("spec, field, words", BAD, ids=[f"{b[1]}:{b[2]}" for b in BAD])
def test_bad_conv1d_specs_name_the_key(spec, field, words):
    with pytest.raises(SpecError) as err:
        symconv.load(spec).network
    assert err.value.field == field
    text = str(err.value)
    assert words in text and "\n" not in text and text.startswith(field)


def test_shapes_and_padding_words():
    model = symconv.load(net((2, 8), c1(out_channels=4, kernel_size=3, stride=2, padding=[1, 2], groups=2, bias=True),
                             c1(kernel_size=2, padding="same", dilation=3), c1(kernel_size=2, padding="full")))
    first, second, third = model.network.layers
    assert first.weight.shape == (4, 1, 3) and first.bias.shape == (4,)
    assert first.out.shape == (4, 5)  # ⌊(8 + 3 − 3)/2⌋ + 1
    assert first.pad == ((0, 0), (1, 2))
    assert second.pad == ((0, 0), (1, 2)) and second.out.shape == (1, 5)  # same: 3 split 1 / 2
    assert third.pad == ((0, 0), (1, 1)) and third.out.shape == (1, 6)
    assert model.network.input.shape == (2, 8)


def test_batched_signal_has_the_batch_axis():
    model = symconv.load(net((3, 1, 5), c1(kernel_size=2)))
    layer = model.network.layers[0]
    assert model.network.input.shape == (3, 1, 5) and layer.out.shape == (3, 1, 4)
    assert layer.weight.shape == (1, 1, 2)


# ----------------------------------------------------------------------------- exact values

def test_one_example_by_hand():
    """z_i = w_0 x_{2i-1} + w_1 x_{2i} + w_2 x_{2i+1} (stride 2, padding 1), C = Σ z²."""
    model = symconv.load(net((1, 5), c1(kernel_size=3, stride=2, padding=1)))
    layer = model.network.layers[0]
    x, w = layer.inputs.symbols, layer.weight.symbols
    z = [w[1] * x[0] + w[2] * x[1],
         w[0] * x[1] + w[1] * x[2] + w[2] * x[3],
         w[0] * x[3] + w[1] * x[4]]
    y = model.network.targets.symbols
    cost = sum((zi - yi) ** 2 for zi, yi in zip(z, y))
    grads = model.gradients
    for s in (*w, *x):
        assert sympy.expand(grads.leaf(s) - sympy.diff(cost, s)) == 0, s


def test_conv1d_equals_conv2d_of_height_one():
    """The 1-D layer gives the gradients of the 2-D layer on a height-1 map (same flat order)."""
    one = symconv.load(net((2, 7), c1(out_channels=2, kernel_size=3, stride=2, padding=[2, 1], dilation=2, bias=True,
                                      activation="tanh")))
    two = symconv.load(net((2, 1, 7), {"type": "conv2d", "out_channels": 2, "kernel_size": [1, 3], "stride": [1, 2],
                                       "padding": [[0, 0], [2, 1]], "dilation": [1, 2], "bias": True,
                                       "activation": "tanh"}))
    rename = dict(zip(two.network.table.info, one.network.table.info))
    assert len(rename) == len(one.network.table.info)
    back = {v: k for k, v in rename.items()}
    checked = 0
    for s1 in one.gradients.by_wrt:
        g2 = two.gradients.leaf(back[s1]).xreplace(rename)
        assert sympy.simplify(one.gradients.leaf(s1) - g2) == 0, s1
        checked += 1
    assert checked > 30


def test_closed_forms_are_certified_and_printed():
    model = symconv.load(net((1, 6), c1(kernel_size=2, stride=2, bias=True), notation={"style": "grid"}))
    d = derive(model)
    assert not d.certificate_failures
    md = model.render("md")
    assert r"a^{(1)}_{o,i} &= b^{(1)}_{o} + \sum_{c=1}^{1}\sum_{m=1}^{2} W^{(1)}_{o,c,m} \, x^{(0)}_{c,2i+m-2}" in md
    assert (r"\frac{\partial C}{\partial W^{(1)}_{o,c,m}} = \sum_{i=1}^{3} \delta^{(1)}_{o,i} \, x^{(0)}_{c,2i+m-2}"
            in md)
    assert r"\frac{\partial C}{\partial b^{(1)}_{o}} = \sum_{i} \delta^{(1)}_{o,i}" in md
    assert r"\frac{\partial C}{\partial x^{(0)}_{c,u}} = \sum_{o=1}^{1}\sum_{m=1}^{2} \delta^{(1)}_{o,\frac{u-m}{2}+1}" in md
    assert "| $x^{(0)}_{c,u}$ | input |" in md and "| $W^{(l)}_{o,c,m}$ | kernel (weight) of layer l |" in md
    assert r"| $\hat{A}$ | A with s - 1 zeros inserted" in md


def test_json_kernel_index_is_pytorch_layout(tmp_path):
    assert main(["derive", _write(tmp_path, net((2, 2, 6), c1(out_channels=2, kernel_size=3, groups=2))),
                 "--out", str(tmp_path / "out"), "--format", "json"]) == 0
    data = json.loads((tmp_path / "out" / "spec.json").read_text())
    by_role = {}
    for sym in data["symbols"]:
        by_role.setdefault(sym["role"], []).append(sym["index"])
    assert by_role["weight"][-1] == [1, 0, 2]  # [c_out, c_in/groups, k]
    assert by_role["input"][-1] == [1, 1, 5]  # [n, c, l]


def _write(folder, spec) -> str:
    lines = [f"[input]\nshape = {_toml(spec['input']['shape'])}", "[cost]", f'type = "{spec["cost"]["type"]}"']
    for layer in spec["layers"]:
        lines.append("[[layers]]")
        lines += [f"{k} = {_toml(v)}" for k, v in layer.items()]
    path = folder / "spec.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


# ----------------------------------------------------------------------------- garbage

KEYS = ["kernel_size", "stride", "padding", "dilation", "groups", "out_channels", "bias"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.dictionaries(st.sampled_from(KEYS), _garbage, min_size=1, max_size=3),
       shape=st.one_of(st.none(), _garbage))
def test_garbage_in_conv1d_keys_exits_2_and_writes_nothing(values, shape, tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp("fuzz1d")
    lines = [f"[input]\nshape = {_toml(shape if shape is not None else [1, 6])}", "[cost]", 'type = "sse"',
             "[[layers]]", 'type = "conv1d"'] + [f"{k} = {_toml(v)}" for k, v in values.items()]
    derive_spec_lines(folder, lines, capsys)


# ----------------------------------------------------------------------------- PyTorch oracle

GRID = [
    ((1, 5), dict(kernel_size=1)),
    ((2, 6), dict(kernel_size=3, out_channels=3, bias=True)),
    ((1, 8), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 7), dict(kernel_size=2, stride=3, padding=[0, 2], out_channels=2)),
    ((1, 6), dict(kernel_size=3, padding="same", dilation=2)),
    ((1, 4), dict(kernel_size=3, padding="full", stride=2)),
    ((2, 6), dict(kernel_size=2, groups=2, out_channels=4, bias=True)),
    ((1, 1), dict(kernel_size=3, padding=1)),
    ((2, 1, 5), dict(kernel_size=2, stride=2, bias=True, activation="relu")),
]


@pytest.mark.parametrize("convention", ["cross-correlation", "convolution"])
@pytest.mark.parametrize("shape, settings_", GRID, ids=[str(k) for k in range(len(GRID))])
def test_single_conv1d_equals_torch(shape, settings_, convention):
    model = symconv.load(net(shape, c1(**settings_), convention=convention))
    assert compare(model, seed=len(str(settings_))) > 0


@st.composite
def networks(draw):
    """Random valid 1-D networks: 1–3 conv1d layers (every setting), maybe a skip (add) or a
    concat, maybe flatten → dense; batched or not."""
    c = c_in = draw(st.integers(1, 3))
    length = draw(st.integers(3, 9))
    layers = []
    for k in range(draw(st.integers(1, 3))):
        groups = draw(st.sampled_from([g for g in (1, 2, 3) if c % g == 0]))
        out = groups * draw(st.integers(1, max(1, 3 // groups)))
        stride = draw(st.integers(1, 3))
        pads = [0, 1, [1, 0], [0, 2], "valid", "full"] + (["same"] if stride == 1 else [])
        layers.append(c1(name=f"c{k}", out_channels=out, kernel_size=draw(st.integers(1, 4)), stride=stride,
                         groups=groups, padding=draw(st.sampled_from(pads)), dilation=draw(st.sampled_from([1, 2])),
                         bias=draw(st.booleans()), activation=draw(st.sampled_from(ACTIVATIONS))))
        c = out
    form = draw(st.sampled_from(["chain", "add", "concat"]))
    if form != "chain" and len(layers) > 1:
        layers.append(c1(name="same", out_channels=c, kernel_size=3, padding="same"))
        layers.append({"type": form, "inputs": ["same", layers[-2]["name"]]})
    if draw(st.booleans()):
        layers.append({"type": "flatten"})
        layers.append({"type": "dense", "out_features": draw(st.integers(2, 3)), "bias": draw(st.booleans())})
    batch = draw(st.sampled_from([0, 0, 2]))
    shape = ((batch,) if batch else ()) + (c_in, length)
    return net(shape, *layers, cost=draw(st.sampled_from(COSTS)),
               convention=draw(st.sampled_from(["cross-correlation", "convolution"])))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(spec=networks(), seed=st.integers(0, 10**6))
def test_drawn_1d_networks_equal_torch(spec, seed):
    try:
        model = symconv.load(spec)
        model.network
    except SpecError as exc:
        assert "kernel_size" in exc.field  # a kernel larger than the padded signal: a correct refusal
        return
    assert compare(model, seed=seed) > 0
