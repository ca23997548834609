"""Graph forms (named layers, ``inputs``, ``add``, ``concat``) and batches (``[N, C, H, W]``,
``reduction``): spec errors, the sum-of-paths and batch closed forms, and garbage in the new keys.

The oracle comparisons of these forms against PyTorch are in tests/test_layers_torch.py.
"""

from __future__ import annotations

import json

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symconv
from symconv.derivation import derive
from symconv.errors import SpecError

from tests.garbage import derive_spec_lines, garbage as _garbage, toml_value as _toml

RESIDUAL = {
    "input": {"shape": [1, 3, 3]},
    "layers": [
        {"type": "conv2d", "name": "c1", "kernel_size": 3, "padding": 1, "activation": "relu"},
        {"type": "conv2d", "kernel_size": 3, "padding": 1},
        {"type": "add", "inputs": ["layer2", "input"], "activation": "relu"},
    ],
}
RESIDUAL["layers"][1]["name"] = "layer2"


def _spec(**changes):
    spec = json.loads(json.dumps(RESIDUAL))
    spec.update(changes)
    return spec


def _layers(*layers, shape=(1, 3, 3), **top):
    return {"input": {"shape": list(shape)}, "layers": list(layers), **top}


CONV = {"type": "conv2d", "kernel_size": 1}

BAD = [
    (_layers(dict(CONV, name="1x")), "layers[1].name", "a letter"),
    (_layers(dict(CONV, name=3)), "layers[1].name", "a letter"),
    (_layers(dict(CONV, name="input")), "layers[1].name", "the network input"),
    (_layers(dict(CONV, name="a"), dict(CONV, name="a")), "layers[2].name", "layers[1]"),
    (_layers(dict(CONV, inputs=["nope"])), "layers[1].inputs[0]", "names no earlier layer"),
    (_layers(dict(CONV, inputs="input")), None, None),  # a single name is accepted
    (_layers(dict(CONV, inputs=[])), "layers[1].inputs", "list of layer names"),
    (_layers(dict(CONV, inputs=[1])), "layers[1].inputs[0]", "a string"),
    (_layers(dict(CONV, inputs=["input", "input"])), "layers[1].inputs[1]", "read twice"),
    (_layers(dict(CONV, name="a"), dict(CONV, inputs=["a", "input"])), "layers[2].inputs", "exactly 1"),
    (_layers(dict(CONV, name="a"), {"type": "add", "inputs": ["a"]}), "layers[2].inputs", "at least 2"),
    (_layers(dict(CONV, name="a"), {"type": "add"}), "layers[2].inputs", "at least 2"),
    (_layers(dict(CONV, name="a"), dict(CONV, inputs=["a"]), dict(CONV, inputs=["a"])), "layers[2]",
     "read by no later layer"),
    (_layers(dict(CONV, name="a", kernel_size=2), {"type": "add", "inputs": ["a", "input"]}),
     "layers[2].inputs", "one shape"),
    (_layers(dict(CONV, name="a", kernel_size=2), {"type": "concat", "inputs": ["a", "input"]}),
     "layers[2].inputs", "equal spatial size"),
    (_layers(dict(CONV, name="a"), dict(CONV, inputs=["a"], later=1)), "layers[2].later", "unknown key"),
    (_layers(CONV, shape=(2, 1, 3)), None, None),  # [C, H, W] = (2, 1, 3): not a batch
    (_layers(CONV, shape=(2, 1, 3, 3, 3)), "input.shape", "[batch, channels, height, width]"),
    (_layers(CONV, shape=(0, 1, 3, 3)), "input.shape[0]", ">= 1"),
    (_layers(CONV, cost={"type": "sse", "reduction": "max"}), "cost.reduction", "sum, mean"),
    (_layers(CONV, cost={"type": "sse", "reduction": 1}), "cost.reduction", "sum, mean"),
    (_layers(CONV, {"type": "flatten"}, {"type": "dense", "out_features": 1}, shape=(2, 1, 3, 3),
             cost={"type": "cross_entropy"}), "cost.type", "at least 2 outputs"),
]


@pytest.mark.parametrize("spec, field, words", BAD, ids=[f"{b[1]}:{b[2]}" for b in BAD])
def test_bad_graph_and_batch_specs_name_the_key(spec, field, words):
    if field is None:
        symconv.load(spec).network
        return
    with pytest.raises(SpecError) as err:
        symconv.load(spec).network
    assert err.value.field == field
    text = str(err.value)
    assert words in text and "\n" not in text and text.startswith(field)


def test_graph_is_read_into_positions():
    spec = symconv.load(RESIDUAL).spec
    assert spec.graph == ((0,), (1,), (2, 0))
    assert spec.names == ("c1", "layer2", None)
    net = symconv.load(RESIDUAL).network
    assert net.layers[2].reads == (2, 0)
    assert [t.role for t in net.layers[2].sources] == ["activation", "input"]


def test_skip_connection_gradient_is_the_sum_of_the_two_paths():
    """∂C/∂x = (path through conv 1) + (path through add): one chain term per reader element."""
    model = symconv.load(RESIDUAL)
    net = model.network
    d = derive(model.gradients)
    assert not d.certificate_failures
    assert d.input_proof.closed_kind == "paths"
    assert d.input_proof.readers == ((1, 0), (3, 1))
    assert d.input_proof.all_closed_certified is True
    x = net.input.at(0, 1, 1)
    terms = model.gradients[x].terms
    add_terms = [t for t in terms if t.via in net.layers[2].carrier.symbols]
    assert len(terms) == 9 + 1 and len(add_terms) == 1 and add_terms[0].partial == 1
    # the sum's second path is δ of the add layer at the same position
    assert add_terms[0].upstream == net.layers[2].delta.at(0, 1, 1)


def test_sum_of_paths_is_printed_with_both_readers():
    text = symconv.load(RESIDUAL).render("md")
    assert (r"\frac{\partial C}{\partial i^{1}} = \operatorname{crop}\left(\sum_{r} \hat{\delta^{1}} "
            r"\mathbin{\star_{\mathrm{full}}} \operatorname{rot180}\left(w^{1}_{d}\right)\right) + \delta^{3}") in text
    assert "the terms are the paths through layers 1 and 3, in that order" in text
    assert "reads layer 2, the input" in text


def test_a_wrong_path_is_reported():
    """The sum-of-paths certificate is not vacuous: drop the add path from the closed form."""
    from symconv.derivation import _certify_closed_all, paths_form, upstream_symbols
    from symconv.layers import Context, kind_of
    from symconv.verify import symbol_numbers

    model = symconv.load(RESIDUAL)
    net = model.network
    readers, _ = net.readers()
    reading = readers[("input", 0, (1, 3, 3))]
    forms_of = {layer.index: kind_of(layer).closed_forms(layer, Context()) for layer in net.layers}
    good = paths_form(forms_of, reading)
    only_conv = paths_form(forms_of, reading[:1])
    ups = upstream_symbols([r for r, _ in reading])
    numbers = symbol_numbers(net.table.info)
    assert _certify_closed_all(model.gradients, net.input, good, ups, [0], numbers, {})[0] == []
    bad, certs, _ = _certify_closed_all(model.gradients, net.input, only_conv, ups, [0], numbers, {})
    assert bad == list(range(9)) and not certs[0]


def test_concat_gradient_is_the_input_channels_of_the_output_gradient():
    spec = _layers({"type": "conv2d", "name": "a", "kernel_size": 1, "out_channels": 2},
                   {"type": "concat", "inputs": ["input", "a"]}, {"type": "conv2d", "kernel_size": 1})
    model = symconv.load(spec)
    net = model.network
    cat = net.layers[1]
    assert cat.out.shape == (3, 3, 3)
    a = net.layers[0].out
    # ∂C/∂a[c] = ∂C/∂cat[1 + c]: one term, through the copy
    g = model.gradients[a.at(1, 2, 0)]
    assert [(t.via, t.upstream, t.partial) for t in g.terms] == [
        (cat.out.at(2, 2, 0), cat.adjoint.at(2, 2, 0), 1)]
    d = derive(model.gradients)
    assert not d.certificate_failures
    text = model.render("md")
    assert r"\left.\frac{\partial C}{\partial o^{2}}\right|_{c=2,\dots,3}" in text


# ----------------------------------------------------------------------------- batches

BATCHED = _layers({"type": "conv2d", "kernel_size": 2, "out_channels": 2, "bias": True},
                  shape=(2, 1, 3, 3), cost={"type": "half_sse", "reduction": "mean"})


def test_batched_tensors_have_the_batch_axis_and_parameters_none():
    net = symconv.load(BATCHED).network
    assert net.input.shape == (2, 1, 3, 3)
    assert net.layers[0].out.shape == (2, 2, 2, 2)
    assert net.layers[0].weight.shape == (2, 1, 2, 2) and net.layers[0].bias.shape == (2,)
    assert net.targets.shape == (2, 8)
    info = net.table.info
    assert info[net.input.at(1, 0, 2, 1)].index == (1, 0, 2, 1)
    assert info[net.targets.at(1, 3)].index == (1, 3)


def test_batch_weight_gradient_is_the_sum_over_examples():
    model = symconv.load(BATCHED)
    net = model.network
    layer = net.layers[0]
    w = layer.weight.at(1, 0, 0, 1)
    terms = model.gradients[w].terms
    # one product per output the weight touches, in every example: 2 examples x 2 x 2 positions
    assert len(terms) == 8
    assert {net.table.info[t.upstream].index[0] for t in terms} == {0, 1}
    d = derive(model.gradients)
    assert not d.certificate_failures
    weight_proof = d.layers[0].tensors[0]
    assert weight_proof.closed_kind == "conv_weight" and weight_proof.all_closed_certified
    text = model.render("md")
    assert r"\frac{\partial C}{\partial w^{1}} = \sum_{s=1}^{2} \tilde{i^{1}}[s] \star \hat{\delta^{1}}[s]" in text
    assert r"\frac{\partial C}{\partial b^{1}_{r}} = \sum_{s,p,q} \delta^{1}_{s,r,p,q}" in text  # no tensor letter as an index
    assert "2x1x3x3 (batch x channels x height x width)" in text


def test_mean_reduction_divides_by_the_batch():
    total = symconv.load(dict(BATCHED, cost={"type": "half_sse", "reduction": "sum"}))
    mean = symconv.load(BATCHED)
    o = mean.network.output.symbols[0]
    assert mean.gradients.named(mean.network.layers[0].delta.symbols[0]) == (o - mean.network.targets.symbols[0]) / 2
    assert sympy.expand(total.cost("named") - 2 * mean.cost("named")) == 0


def test_mse_mean_is_over_the_batch_and_the_elements():
    model = symconv.load(dict(BATCHED, cost={"type": "mse", "reduction": "mean"}))
    o, y = model.network.output.symbols[0], model.network.targets.symbols[0]
    assert model.forward.cost.partials[0] == (o, sympy.Rational(2, 16) * (o - y))


def test_unbatched_and_batch_of_one_differ_only_by_the_axis():
    one = symconv.load(dict(BATCHED, input={"shape": [1, 1, 3, 3]}))
    plain = symconv.load(dict(BATCHED, input={"shape": [1, 3, 3]}))
    assert one.network.input.shape == (1, 1, 3, 3) and plain.network.input.shape == (1, 3, 3)
    for a, b in zip(one.network.table.info.values(), plain.network.table.info.values()):
        assert a.name == b.name and a.role == b.role
    w1, w2 = one.network.layers[0].weight.symbols[0], plain.network.layers[0].weight.symbols[0]
    assert one.gradients.leaf(w1) == plain.gradients.leaf(w2)


def test_batched_json_indices_start_with_the_example():
    doc = json.loads(symconv.load(BATCHED).render("json"))
    by_role = {}
    for s in doc["symbols"]:
        by_role.setdefault(s["role"], []).append(s["index"])
    assert by_role["input"][-1] == [1, 0, 2, 2]
    assert by_role["target"][-1] == [1, 7]
    assert by_role["weight"][-1] == [1, 0, 1, 1]
    assert by_role["bias"] == [[0], [1]]


# ----------------------------------------------------------------------------- garbage in the new keys

@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.one_of(st.none(), _garbage), inputs=st.one_of(st.none(), _garbage),
       reduction=st.one_of(st.none(), _garbage), shape=st.one_of(st.none(), _garbage),
       kind=st.sampled_from(["add", "concat", "conv2d"]))
def test_garbage_in_the_new_keys_exits_2_and_writes_nothing(name, inputs, reduction, shape, kind, tmp_path_factory,
                                                           capsys):
    folder = tmp_path_factory.mktemp("fuzz")
    lines = [f"[input]\nshape = {_toml(shape if shape is not None else [2, 1, 3, 3])}", "[cost]", 'type = "sse"']
    if reduction is not None:
        lines.append(f"reduction = {_toml(reduction)}")
    lines += ['[[layers]]', 'type = "conv2d"', 'name = "c1"', "kernel_size = 1"]
    lines += ['[[layers]]', f'type = "{kind}"']
    if name is not None:
        lines.append(f"name = {_toml(name)}")
    if inputs is not None:
        lines.append(f"inputs = {_toml(inputs)}")
    derive_spec_lines(folder, lines, capsys)
