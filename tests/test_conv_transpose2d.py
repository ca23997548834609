"""``conv_transpose2d``: spec errors, shapes, exact values, certified closed forms, printed index
formulas, JSON kernel index, garbage in its keys through the CLI, and PyTorch ``conv_transpose2d``
autograd (float64) over a grid and over hypothesis-drawn networks (U-Net-like: conv, pool,
transposed conv, concat) (tests/oracle.py)."""

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
from tests.test_conv1d import _write
from tests.garbage import derive_spec_lines, garbage as _garbage, toml_value as _toml

ACTIVATIONS = ["identity", "relu", "sigmoid", "tanh", "f"]
COSTS = ["sse", "half_sse", "mse", "cross_entropy"]


def net(shape, *layers, cost="sse", convention="cross-correlation", **top):
    return {"input": {"shape": list(shape)}, "layers": list(layers), "cost": {"type": cost},
            "convention": convention, **top}


def up(**kw):
    return {"type": "conv_transpose2d", **kw}


BAD = [
    (net((1, 2, 2), up(kernel_size=[2, 2, 2])), "layers[1].kernel_size", "list of 2 integers"),
    (net((1, 2, 2), up(stride=0)), "layers[1].stride", ">= 1"),
    (net((1, 2, 2), up(padding="same")), "layers[1].padding", "integer"),
    (net((1, 2, 2), up(padding=-1)), "layers[1].padding", ">= 0"),
    (net((1, 2, 2), up(output_padding=1)), "layers[1].output_padding", "smaller than the stride or the dilation"),
    (net((1, 2, 2), up(output_padding=[0, 2], stride=2)), "layers[1].output_padding", "got 2 with stride 2"),
    (net((1, 2, 2), up(output_padding="1")), "layers[1].output_padding", "integer"),
    (net((1, 2, 2), up(out_channels=3, groups=2)), "layers[1].groups", "out_channels (3)"),
    (net((3, 2, 2), up(out_channels=2, groups=2)), "layers[1].groups", "input channels (3)"),
    (net((1, 2, 2), up(kernel_size=1, padding=1)), "layers[1].padding", "leaves no output height (0)"),
    (net((1, 4), up()), "input.shape", "[channels, height, width]"),
    (net((1, 2, 2), up(), {"type": "flatten"}, up()), "layers[3].type", "(C, H, W) feature map"),
    (net((1, 2, 2), up(outpadding=1)), "layers[1].outpadding", "unknown key"),
]


@pytest.mark.parametrize("spec, field, words", BAD, ids=[f"{b[1]}:{b[2]}" for b in BAD])
def test_bad_conv_transpose2d_specs_name_the_key(spec, field, words):
    with pytest.raises(SpecError) as err:
        symconv.load(spec).network
    assert err.value.field == field
    text = str(err.value)
    assert words in text and "\n" not in text and text.startswith(field)


def test_shapes_follow_pytorch():
    model = symconv.load(net((2, 3, 4), up(out_channels=4, kernel_size=[3, 2], stride=[2, 3], padding=[1, 0],
                                            output_padding=[1, 2], dilation=[1, 2], groups=2, bias=True)))
    layer = model.network.layers[0]
    assert layer.weight.shape == (2, 2, 3, 2)  # [c_in, c_out/groups, kh, kw]
    # (3−1)·2 − 2 + 2 + 1 + 1 = 6;  (4−1)·3 − 0 + 2 + 2 + 1 = 14
    assert layer.out.shape == (4, 6, 14) and layer.bias.shape == (4,)


def test_one_example_by_hand():
    """Stride 2, kernel 1×2: every input element writes its own two outputs, x_j·w_0, x_j·w_1;
    stride 1, kernel 1×2: neighbours overlap, z_1 = x_0 w_1 + x_1 w_0."""
    model = symconv.load(net((1, 1, 2), up(kernel_size=[1, 2], stride=[1, 2])))
    layer = model.network.layers[0]
    x, w = layer.inputs.symbols, layer.weight.symbols
    z = [x[0] * w[0], x[0] * w[1], x[1] * w[0], x[1] * w[1]]
    assert [model.forward.definition(s).expr for s in layer.out.symbols] == z
    overlap = symconv.load(net((1, 1, 2), up(kernel_size=[1, 2])))
    lo = overlap.network.layers[0]
    x, w = lo.inputs.symbols, lo.weight.symbols
    assert [overlap.forward.definition(s).expr for s in lo.out.symbols] == [x[0] * w[0], x[0] * w[1] + x[1] * w[0],
                                                                           x[1] * w[1]]
    y = overlap.network.targets.symbols
    cost = sum((zi - yi) ** 2 for zi, yi in zip([x[0] * w[0], x[0] * w[1] + x[1] * w[0], x[1] * w[1]], y))
    for s in (*w, *x):
        assert sympy.expand(overlap.gradients.leaf(s) - sympy.diff(cost, s)) == 0, s


def test_closed_forms_are_certified_and_printed():
    model = symconv.load(net((1, 2, 2), up(kernel_size=3, stride=2, padding=1, bias=True), notation={"style": "grid"}))
    d = derive(model)
    assert not d.certificate_failures
    md = model.render("md")
    assert (r"a^{(1)}_{o,i,j} &= b^{(1)}_{o} + \sum_{c=1}^{1}\sum_{m=1}^{3}\sum_{n=1}^{3} W^{(1)}_{c,o,m,n} \, "
            r"x^{(0)}_{c,\frac{i-m+1}{2}+1,\frac{j-n+1}{2}+1}") in md
    assert (r"\frac{\partial C}{\partial W^{(1)}_{c,o,m,n}} = \sum_{u=1}^{2}\sum_{v=1}^{2} "
            r"\delta^{(1)}_{o,2u+m-3,2v+n-3} \, x^{(0)}_{c,u,v}") in md
    assert (r"\frac{\partial C}{\partial x^{(0)}_{c,u,v}} = \sum_{o=1}^{1}\sum_{m=1}^{3}\sum_{n=1}^{3} "
            r"\delta^{(1)}_{o,2u+m-3,2v+n-3} \, W^{(1)}_{c,o,m,n}") in md
    assert r"\frac{\partial C}{\partial x^{(0)}} = \sum_{o} \tilde{\delta^{(1)}} \star_{s} W^{(1)}" in md
    assert r"\frac{\partial C}{\partial W^{(1)}} = \tilde{\delta^{(1)}} \star \hat{x^{(0)}}" in md
    assert "| $W^{(l)}_{c,o,m,n}$ | kernel of a transposed convolution layer l" in md
    assert r"| $A \star_{s} K$ |" in md


def test_a_wrong_closed_form_fails_its_certificate():
    """The certificate can fail: the input closed form with the kernel's two channel axes
    exchanged (conv2d's layout, the usual mix-up) differs from the chain rule."""
    from dataclasses import replace

    from symconv.layers import conv_transpose2d as ct

    model = symconv.load(net((2, 2, 2), up(out_channels=2, kernel_size=2)))
    layer = model.network.layers[0]
    forms = ct.KIND.closed_forms(layer, symconv.layers.Context())
    w = layer.weight
    swap = {w.at(c, o, m, n): w.at(o, c, m, n) for c in range(2) for o in range(2) for m in range(2) for n in range(2)}
    bad = replace(forms[1], values=tuple(tuple((a, swap.get(b, b)) for a, b in ps) for ps in forms[1].values))
    grads = model.gradients
    exact = [sympy.expand(grads.leaf(s)) for s in layer.inputs.symbols]
    deltas = {d: grads.leaf(d) for d in layer.delta.symbols}
    good = [sympy.expand(forms[1].expr(k).xreplace(deltas)) for k in range(len(exact))]
    wrong = [sympy.expand(bad.expr(k).xreplace(deltas)) for k in range(len(exact))]
    assert good == exact and wrong != exact


def test_json_kernel_index_is_pytorch_layout(tmp_path):
    assert main(["derive", _write(tmp_path, net((2, 2, 2, 2), up(out_channels=4, kernel_size=[2, 3], groups=2))),
                 "--out", str(tmp_path / "out"), "--format", "json"]) == 0
    data = json.loads((tmp_path / "out" / "spec.json").read_text())
    by_role = {}
    for sym in data["symbols"]:
        by_role.setdefault(sym["role"], []).append(sym["index"])
    assert by_role["weight"][-1] == [1, 1, 1, 2]  # [c_in, c_out/groups, kh, kw]
    assert by_role["input"][-1] == [1, 1, 1, 1]  # [n, c, h, w]


KEYS = ["kernel_size", "stride", "padding", "output_padding", "dilation", "groups", "out_channels", "bias"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.dictionaries(st.sampled_from(KEYS), _garbage, min_size=1, max_size=3),
       shape=st.one_of(st.none(), _garbage))
def test_garbage_in_conv_transpose2d_keys_exits_2_and_writes_nothing(values, shape, tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp("fuzzT")
    lines = [f"[input]\nshape = {_toml(shape if shape is not None else [1, 2, 2])}", "[cost]", 'type = "sse"',
             "[[layers]]", 'type = "conv_transpose2d"'] + [f"{k} = {_toml(v)}" for k, v in values.items()]
    derive_spec_lines(folder, lines, capsys)


GRID = [
    ((1, 2, 2), dict(kernel_size=2)),
    ((1, 2, 3), dict(kernel_size=[2, 3], stride=2, bias=True)),
    ((2, 3, 2), dict(kernel_size=3, stride=2, padding=1, output_padding=1, out_channels=2, bias=True)),
    ((2, 2, 3), dict(kernel_size=[2, 3], stride=[2, 1], dilation=[1, 2], groups=2, out_channels=4, activation="relu")),
    ((1, 3, 3), dict(kernel_size=3, padding=[2, 1], dilation=2, output_padding=[1, 0])),
    ((2, 1, 2, 2), dict(kernel_size=2, stride=2, bias=True, activation="tanh")),
]


@pytest.mark.parametrize("convention", ["cross-correlation", "convolution"])
@pytest.mark.parametrize("shape, settings_", GRID, ids=[str(k) for k in range(len(GRID))])
def test_single_conv_transpose2d_equals_torch(shape, settings_, convention):
    model = symconv.load(net(shape, up(**settings_), convention=convention))
    assert compare(model, seed=len(str(settings_))) > 0


@st.composite
def networks(draw):
    """Random valid networks around a transposed convolution: maybe a conv (and pool) before it,
    every setting of the transposed layer, maybe a concat with an earlier map of its size
    (U-Net skip) or a dense head; batched or not."""
    c = c_in = draw(st.integers(1, 2))
    h, w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    layers = []
    if draw(st.booleans()):
        layers.append({"type": "conv2d", "name": "pre", "out_channels": draw(st.integers(1, 2)), "kernel_size": 1,
                       "activation": draw(st.sampled_from(ACTIVATIONS))})
        c = layers[-1]["out_channels"]
    groups = draw(st.sampled_from([g for g in (1, 2) if c % g == 0]))
    stride = [draw(st.integers(1, 3)), draw(st.integers(1, 3))]
    dilation = [draw(st.integers(1, 2)), draw(st.integers(1, 2))]
    extra = [draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation)]
    layers.append(up(name="up", out_channels=groups * draw(st.integers(1, 2)), kernel_size=[draw(st.integers(1, 3)),
                     draw(st.integers(1, 3))], stride=stride, padding=[draw(st.integers(0, 1)), draw(st.integers(0, 1))],
                     output_padding=extra, dilation=dilation, groups=groups, bias=draw(st.booleans()),
                     activation=draw(st.sampled_from(ACTIVATIONS))))
    tail = draw(st.sampled_from(["none", "conv", "dense"]))
    if tail == "conv":
        layers.append({"type": "conv2d", "kernel_size": 1, "out_channels": 1, "bias": draw(st.booleans())})
    elif tail == "dense":
        layers += [{"type": "flatten"}, {"type": "dense", "out_features": 2}]
    batch = draw(st.sampled_from([0, 0, 2]))
    shape = ((batch,) if batch else ()) + (c_in, h, w)
    return net(shape, *layers, cost=draw(st.sampled_from(COSTS)),
               convention=draw(st.sampled_from(["cross-correlation", "convolution"])))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(spec=networks(), seed=st.integers(0, 10**6))
def test_drawn_transposed_networks_equal_torch(spec, seed):
    try:
        model = symconv.load(spec)
        model.network
    except SpecError as exc:
        assert exc.field.endswith(".padding") or "cost" in exc.field  # padding leaves no output; 1 output
        return
    assert compare(model, seed=seed) > 0


def test_unet_step_equals_torch():
    """conv → max pool → transposed conv → concat with the conv's map (skip) → conv."""
    spec = net((1, 4, 4),
               {"type": "conv2d", "name": "down", "out_channels": 2, "kernel_size": 3, "padding": 1,
                "activation": "relu"},
               {"type": "max_pool2d", "kernel_size": 2},
               up(name="up", out_channels=1, kernel_size=2, stride=2, bias=True),
               {"type": "concat", "inputs": ["up", "down"]},
               {"type": "conv2d", "kernel_size": 1})
    assert compare(symconv.load(spec), seed=3) > 0


def test_grouped_formulas_name_the_group_of_each_channel():
    """Groups: the forward reads input channel c of output channel o's group and the kernel's
    column within it; the gradients read δ at o within the group of input channel c."""
    model = symconv.load(net((2, 2, 2), up(out_channels=4, groups=2, kernel_size=2, stride=2),
                             notation={"style": "grid"}))
    md = model.render("md")
    assert (r"W^{(1)}_{c+1\lfloor(o-1)/2\rfloor,o-2\lfloor(o-1)/2\rfloor,m,n} \, "
            r"x^{(0)}_{c+1\lfloor(o-1)/2\rfloor,\frac{i-m}{2}+1,\frac{j-n}{2}+1}") in md
    assert (r"\frac{\partial C}{\partial x^{(0)}_{c,u,v}} = \sum_{o=1}^{2}\sum_{m=1}^{2}\sum_{n=1}^{2} "
            r"\delta^{(1)}_{o+2\lfloor(c-1)/1\rfloor,2u+m-2,2v+n-2} \, W^{(1)}_{c,o,m,n}") in md
    assert "o counts the output channels within the group of input channel c" in md
