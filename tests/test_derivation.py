"""The derivation's closed-form certificates catch a wrong closed form, shown or not.

The closed forms (each layer kind's, symconv.layers) are certified element by element against the chain rule;
every element that is not shown is certified in one batched proof. These tests break one element
of a closed form and check that exactly that element is reported, on both paths (the batched
monomial proof and its element-by-element fallback)."""

from __future__ import annotations

import dataclasses

import pytest

import symconv
import symconv.derivation as derivation
from symconv.derivation import derive, shown_indices
from symconv.layers.conv2d import Conv2dKind

REAL_CLOSED_FORMS = Conv2dKind.closed_forms


def _broken(kind: str, position: int, change):
    """The conv kind's closed_forms with the products of ``kind`` at flat ``position`` replaced
    by ``change(products)``."""

    def closed_forms(self, layer, ctx):
        forms = REAL_CLOSED_FORMS(self, layer, ctx)
        out = []
        for f in forms:
            if f.kind == kind and layer.index == 1:
                values = list(f.values)
                values[position] = tuple(change(values[position]))
                f = dataclasses.replace(f, values=tuple(values))
            out.append(f)
        return out

    return closed_forms


def _weight_positions():
    model = symconv.load(symconv.example("two_channel_stride2"))
    weight = model.network.layers[0].weight
    shown = shown_indices(weight.shape)
    hidden = next(k for k in range(len(weight)) if k not in shown)
    return model, weight, shown[0], hidden


CHANGES = {
    "a product dropped": lambda ps: ps[:-1],
    "a product doubled": lambda ps: ps + ps[:1],
    "a factor swapped": lambda ps: ((ps[0][1], ps[0][1]),) + tuple(ps[1:]),
}


@pytest.mark.parametrize("batched", [True, False], ids=["batched", "element-wise"])
@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
@pytest.mark.parametrize("where", ["shown", "hidden"])
def test_a_wrong_closed_form_element_is_reported(monkeypatch, where, change, batched):
    model, weight, shown, hidden = _weight_positions()
    position = shown if where == "shown" else hidden
    monkeypatch.setattr(Conv2dKind, "closed_forms", _broken("conv_weight", position, CHANGES[change]))
    if not batched:
        monkeypatch.setattr(derivation, "products_differ_at", lambda *a, **k: None)
    d = derive(model)
    assert len(d.certificate_failures) == 1
    assert d.certificate_failures[0].startswith(f"closed form conv_weight at {weight.symbols[position]}")
    proof = d.layers[0].tensors[0]
    if where == "hidden":
        assert proof.all_closed_certified is False
        assert all(e.closed[2].equal for e in proof.elements)
    else:
        assert proof.all_closed_certified is True  # every element not shown is still right
        bad = [e for e in proof.elements if not e.closed[2].equal]
        assert [e.wrt for e in bad] == [weight.symbols[position]]


def test_a_product_moved_between_elements_is_reported_at_both():
    model, weight, _, hidden = _weight_positions()
    shown = shown_indices(weight.shape)
    other = next(k for k in range(hidden + 1, len(weight)) if k not in shown)

    def moved(self, layer, ctx):
        forms = REAL_CLOSED_FORMS(self, layer, ctx)
        for k, f in enumerate(forms):
            if f.kind == "conv_weight" and layer.index == 1:
                values = list(f.values)
                values[other] = values[other] + values[hidden][-1:]
                values[hidden] = values[hidden][:-1]
                forms[k] = dataclasses.replace(f, values=tuple(values))
        return forms

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Conv2dKind, "closed_forms", moved)
        d = derive(model)
    assert sorted(d.certificate_failures) == sorted(
        f"closed form conv_weight at {weight.symbols[k]}" for k in (hidden, other)
    )


@pytest.mark.parametrize("name", ["seed", "two_channel_stride2", "lenet_small"])
def test_batched_and_element_wise_certificates_agree_on_the_examples(monkeypatch, name):
    batched = derive(symconv.load(symconv.example(name)))
    monkeypatch.setattr(derivation, "products_differ_at", lambda *a, **k: None)
    one_by_one = derive(symconv.load(symconv.example(name)))
    assert batched.certificate_failures == one_by_one.certificate_failures == ()
    assert batched.certificate_count == one_by_one.certificate_count
    count = {"seed": 42, "two_channel_stride2": 114, "lenet_small": 91}[name]
    assert batched.certificate_count == count


# ----------------------------------------------------------------------------- every setting certifies

from hypothesis import HealthCheck, assume, given, settings  # noqa: E402

from tests.test_layers_torch import CONV_GRID, _buildable, conv, net, networks  # noqa: E402


def _closed_tensors(d):
    tensors = [t for layer in d.layers for t in layer.tensors] + [d.input_proof]
    return [t for t in tensors if t.closed_kind is not None]


@pytest.mark.parametrize("convention", ["cross-correlation", "convolution"])
@pytest.mark.parametrize("shape, settings_", CONV_GRID, ids=[str(k) for k in range(len(CONV_GRID))])
def test_closed_forms_hold_for_every_conv_setting(shape, settings_, convention, monkeypatch):
    model = symconv.load(net(shape, conv(**settings_), convention=convention))
    monkeypatch.setattr(derivation, "_expanded_cost", lambda model: (None, None))  # closed forms only
    d = derive(model)
    assert d.certificate_failures == ()
    closed = _closed_tensors(d)
    layer = model.network.layers[0]
    expected = {"conv_weight", "conv_input"} | ({"bias"} if layer.bias is not None else set())
    assert {t.closed_kind for t in closed} == expected
    assert all(t.all_closed_certified for t in closed)
    assert all(e.closed[2].equal for t in closed for e in t.elements)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(networks(max_side=5))
def test_random_networks_certify(spec):
    model = _buildable(spec)
    assume(model is not None)
    assume(len(model.network.table.info) <= 600)
    # closed-form certificates only: sympy.diff of the expanded cost (slow for sigmoid, tanh,
    # cross-entropy) is compared in tests/test_certify_diff.py
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(derivation, "_expanded_cost", lambda model: (None, None))
        d = derive(model)
    assert d.certificate_failures == ()
    assert all(t.all_closed_certified for t in _closed_tensors(d))


def test_named_size_estimates_the_substituted_form():
    import sympy

    model = symconv.load(symconv.example("seed"))
    g = model.gradients
    for name in ("w1_1", "i1_5", "o1_2", "w2_3"):
        s = model.symbol(name)
        nodes = sum(1 for _ in sympy.preorder_traversal(g.named(s)))
        assert nodes - 2 <= g.named_size(s) <= nodes


def test_few_terms_reaching_many_outputs_are_not_substituted_for_display():
    """A conv weight has 4 chain-rule terms, but through a 300-output dense layer its substituted
    form has thousands of nodes: the document shows the sum of products instead (factor_terms
    over it took minutes at 2000 outputs)."""
    spec = {"input": {"shape": [1, 3, 3]}, "cost": {"type": "sse"},
            "layers": [{"kernel_size": 2}, {"kernel_size": 2}, {"type": "flatten"},
                       {"type": "dense", "out_features": 300}]}
    model = symconv.load(spec)
    d = derive(model)
    first = d.layers[0].tensors[0]
    assert first.role == "weight"
    assert all(len(e.terms) == 4 and e.named is None for e in first.elements)
    assert model.gradients.named_size(first.elements[0].wrt) > derivation.DISPLAY_SIZE_LIMIT
    assert d.certificate_failures == ()
    small = derive(symconv.load(symconv.example("seed")))
    assert all(e.named is not None for layer in small.layers for t in layer.tensors for e in t.elements)
