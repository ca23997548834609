"""``global_avg_pool2d`` and ``upsample_nearest2d``: PyTorch oracle over drawn configurations,
exact closed forms certified element by element, printed formulas, and spec errors (one line,
naming the key; garbage in ``scale_factor`` through the CLI exits 2 and writes nothing)."""

from __future__ import annotations

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symconv
from symconv.derivation import derive
from symconv.errors import SpecError
from tests.oracle import compare
from tests.garbage import derive_spec_lines, garbage as _garbage, toml_value as _toml
from tests.test_layers_torch import ACTIVATIONS, COSTS, net


def _spec(shape, *layers, cost="sse", reduction="sum"):
    spec = net(shape, *layers, cost=cost)
    spec["cost"]["reduction"] = reduction
    return spec


@st.composite
def pooled_networks(draw):
    """conv → [upsample] → conv → global average pool → flatten → dense, batched or not."""
    batch = draw(st.sampled_from([0, 1, 2]))
    c, h, w = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    layers = []
    if draw(st.booleans()):
        layers.append({"type": "conv2d", "kernel_size": 1, "out_channels": draw(st.integers(1, 2)),
                       "activation": draw(st.sampled_from(ACTIVATIONS)), "bias": draw(st.booleans())})
    scale = draw(st.one_of(st.integers(1, 3), st.tuples(st.integers(1, 3), st.integers(1, 2)).map(list)))
    layers.append({"type": "upsample_nearest2d", "scale_factor": scale})
    layers.append({"type": "conv2d", "kernel_size": 1, "out_channels": draw(st.integers(1, 2)),
                   "activation": draw(st.sampled_from(ACTIVATIONS))})
    if draw(st.booleans()):
        layers.append({"type": "global_avg_pool2d"})
        cost = draw(st.sampled_from(COSTS))
        layers += [{"type": "flatten"}, {"type": "dense", "out_features": 2,
                                         "activation": "sigmoid" if cost == "bce" else "identity"}]
    else:
        cost = draw(st.sampled_from(["sse", "half_sse", "mse"]))
    shape = ([batch] if batch else []) + [c, h, w]
    return _spec(shape, *layers, cost=cost, reduction=draw(st.sampled_from(["sum", "mean"])))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pooled_networks(), st.integers(0, 10_000))
def test_global_pool_and_upsample_equal_torch(spec, seed):
    model = symconv.load(spec)
    assert compare(model, seed=seed) > 0


@pytest.mark.parametrize("shape", [(2, 3, 2), (2, 2, 3, 2)])
def test_global_average_closed_form_is_exact(shape):
    model = symconv.load(_spec(shape, {"type": "global_avg_pool2d"}))
    net_ = model.network
    layer = net_.layers[0]
    assert layer.out.shape == ((2,) if len(shape) == 4 else ()) + (2, 1, 1)
    x = net_.input.symbols[-1]  # last channel of the last example
    g = model.gradients.named(x)
    o, y = net_.output.symbols[-1], net_.targets.symbols[-1]
    assert sympy.simplify(g - sympy.Rational(1, 6) * 2 * (o - y)) == 0
    d = derive(model.gradients)
    assert not d.certificate_failures
    assert d.input_proof.closed_kind == "global_avg_input" and d.input_proof.all_closed_certified is True
    text = model.render("md")
    assert r"o^{1}_{(c,1,1)} &= \frac{1}{6} \sum_{u=1}^{3}\sum_{v=1}^{2} i^{1}_{(c,u,v)}".replace(
        "(c", "(s,c" if len(shape) == 4 else "(c") in text


def test_upsample_closed_form_sums_the_block():
    model = symconv.load(_spec((1, 2, 2), {"type": "upsample_nearest2d", "scale_factor": [2, 3]}))
    net_ = model.network
    layer = net_.layers[0]
    assert layer.out.shape == (1, 4, 6)
    # input (0, 1, 1) is copied to rows 2..3, columns 3..5
    g = model.gradients[net_.input.at(0, 1, 1)]
    assert sorted((t.via for t in g.terms), key=str) == sorted(
        (layer.out.at(0, r, c) for r in (2, 3) for c in (3, 4, 5)), key=str)
    d = derive(model.gradients)
    assert not d.certificate_failures
    assert d.input_proof.closed_kind == "upsample_input" and d.input_proof.all_closed_certified is True
    text = model.render("md")
    assert r"o^{1}_{(c,p,q)} &= i^{1}_{(c,\lfloor (p-1)/2 \rfloor+1,\lfloor (q-1)/3 \rfloor+1)}" in text
    assert (r"\frac{\partial C}{\partial i^{1}_{(c,u,v)}} = \sum_{m=1}^{2}\sum_{n=1}^{3} "
            r"\frac{\partial C}{\partial o^{1}_{(c,2(u-1)+m,3(v-1)+n)}}") in text
    grid0 = symconv.load(dict(_spec((1, 2, 2), {"type": "upsample_nearest2d", "scale_factor": [2, 1]}),
                              notation={"style": "grid0"})).render("md")
    assert r"a^{(1)}_{c,i,j} &= x^{(0)}_{c,\lfloor i/2 \rfloor,j}" in grid0
    assert r"\frac{\partial C}{\partial x^{(0)}_{c,u,v}} = \sum_{m=0}^{1} \frac{\partial C}{\partial a^{(1)}_{c,2u+m,v}}" in grid0


def test_a_wrong_upsample_block_is_caught():
    """The certificate is not vacuous: shift the block by one column."""
    from symconv.derivation import _certify_closed_all, upstream_symbols
    from symconv.identities import ClosedForm
    from symconv.layers import Context, kind_of
    from symconv.verify import symbol_numbers

    model = symconv.load(_spec((1, 2, 2), {"type": "upsample_nearest2d"}))
    layer = model.network.layers[0]
    good = kind_of(layer).closed_forms(layer, Context())[0]
    shifted = ClosedForm("upsample_input", "input", good.values[1:] + good.values[:1])
    numbers = symbol_numbers(model.network.table.info)
    ups = upstream_symbols([layer])
    assert _certify_closed_all(model.gradients, model.network.input, good, ups, [0], numbers, {})[0] == []
    bad, _, _ = _certify_closed_all(model.gradients, model.network.input, shifted, ups, [0], numbers, {})
    assert bad == [0, 1, 2, 3]


BAD = [
    ({"type": "upsample_nearest2d", "scale_factor": 0}, "layers[1].scale_factor", ">= 1"),
    ({"type": "upsample_nearest2d", "scale_factor": 1.5}, "layers[1].scale_factor", "integer"),
    ({"type": "upsample_nearest2d", "scale_factor": [2, 2, 2]}, "layers[1].scale_factor", "list of 2"),
    ({"type": "upsample_nearest2d", "mode": "bilinear"}, "layers[1].mode", "unknown key"),
    ({"type": "global_avg_pool2d", "kernel_size": 2}, "layers[1].kernel_size", "unknown key"),
]


@pytest.mark.parametrize("layer, field, words", BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_bad_specs_name_the_key(layer, field, words):
    with pytest.raises(SpecError) as err:
        symconv.load(_spec((1, 2, 2), layer)).network
    assert err.value.field == field and words in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("kind", ["global_avg_pool2d", "upsample_nearest2d"])
def test_a_vector_input_is_refused(kind):
    spec = _spec((1, 2, 2), {"type": "flatten"}, {"type": kind})
    with pytest.raises(SpecError) as err:
        symconv.load(spec).network
    assert err.value.field == "layers[2].type" and "(C, H, W) feature map" in str(err.value)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scale=_garbage)
def test_garbage_scale_factor_exits_2_and_writes_nothing(scale, tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp("fuzz")
    derive_spec_lines(folder, ["[input]", "shape = [1, 2, 2]", "[[layers]]", 'type = "upsample_nearest2d"',
                               f"scale_factor = {_toml(scale)}", "[[layers]]", 'type = "global_avg_pool2d"'], capsys)
