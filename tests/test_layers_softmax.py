"""``softmax`` (over the features of each example): PyTorch oracle over drawn networks, the
closed form ``o ⊙ (∂C/∂o − (oᵀ ∂C/∂o) 1)`` certified element by element, printed formulas, and
garbage in its table."""

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
from tests.test_layers_torch import ACTIVATIONS, net


@st.composite
def softmax_networks(draw):
    """conv → [flatten → dense] → softmax, on a feature map or a vector; batched or not."""
    batch = draw(st.sampled_from([0, 1, 2]))
    c, h, w = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 3))
    layers = [{"type": "conv2d", "kernel_size": 1, "out_channels": draw(st.integers(1, 2)),
               "activation": draw(st.sampled_from(ACTIVATIONS)), "bias": draw(st.booleans())}]
    if draw(st.booleans()):
        layers += [{"type": "flatten"}, {"type": "dense", "out_features": draw(st.integers(1, 4)),
                                         "bias": draw(st.booleans())}]
    layers.append({"type": "softmax"})
    spec = net(([batch] if batch else []) + [c, h, w], *layers, cost=draw(st.sampled_from(["sse", "half_sse", "mse"])))
    spec["cost"]["reduction"] = draw(st.sampled_from(["sum", "mean"]))
    return spec


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(softmax_networks(), st.integers(0, 10_000))
def test_softmax_equals_torch(spec, seed):
    assert compare(symconv.load(spec), seed=seed) > 0


def test_softmax_partials_and_closed_form_are_exact():
    model = symconv.load(net((3, 1, 1), {"type": "flatten"}, {"type": "softmax"}))
    layer = model.network.layers[1]
    x, o = layer.inputs.symbols, layer.out.symbols
    d0 = model.forward.definition(o[0])
    assert d0.expr == sympy.exp(x[0]) / sum(sympy.exp(v) for v in x)
    for xj, partial in d0.partials:  # the stated Jacobian equals sympy.diff of the definition
        exact = sympy.diff(d0.expr, xj).subs({ok: dk.expr for ok, dk in ((s, model.forward.definition(s)) for s in o)})
        stated = partial.subs({s: model.forward.definition(s).expr for s in o})
        assert sympy.simplify(exact - stated) == 0
    d = derive(model.gradients)
    assert not d.certificate_failures and d.independent
    assert d.input_proof.closed_kind == "softmax_input" and d.input_proof.all_closed_certified is True
    # ∂C/∂x_1 = o_1 (∂C/∂o_1 − Σ_k o_k ∂C/∂o_k), written in the named form
    up = layer.adjoint.symbols
    terms = model.gradients[x[0]].terms
    chain = sympy.Add(*[t.upstream * t.partial for t in terms])
    assert sympy.expand(chain - o[0] * (up[0] - sum(ok * uk for ok, uk in zip(o, up)))) == 0
    text = model.render("md")
    assert (r"\frac{\partial C}{\partial i^{1}} = o^{2} \odot \left(\frac{\partial C}{\partial o^{2}} - "
            r"\left((o^{2})^{\top} \frac{\partial C}{\partial o^{2}}\right) \mathbf{1}\right)") in text
    assert r"o^{2}_{c} &= \frac{\exp i^{1}_{c}}{\sum_{c'} \exp i^{1}_{c'}}" in text


def test_a_wrong_softmax_closed_form_is_caught():
    """Drop the diagonal term o_j ∂C/∂o_j: the certificate fails at every element."""
    from symconv.derivation import _certify_closed_all, upstream_symbols
    from symconv.identities import ClosedForm
    from symconv.layers import Context, kind_of
    from symconv.verify import symbol_numbers

    model = symconv.load(net((3, 1, 1), {"type": "softmax"}))
    layer = model.network.layers[0]
    good = kind_of(layer).closed_forms(layer, Context())[0]
    bad_form = ClosedForm("softmax_input", "input", tuple(v[1:] for v in good.values))
    ups = upstream_symbols([layer])
    numbers = symbol_numbers(model.network.table.info)
    assert _certify_closed_all(model.gradients, model.network.input, good, ups, [0], numbers, {})[0] == []
    assert _certify_closed_all(model.gradients, model.network.input, bad_form, ups, [0], numbers, {})[0] == [0, 1, 2]


def test_softmax_batch_is_per_example():
    model = symconv.load(net((2, 2, 1, 1), {"type": "softmax"}))
    layer = model.network.layers[0]
    first = model.forward.definition(layer.out.symbols[0])
    assert {s for s, _ in first.partials} == set(layer.inputs.symbols[:2])


def test_softmax_takes_no_settings():
    with pytest.raises(SpecError) as err:
        symconv.load(net((2, 1, 1), {"type": "softmax", "dim": 1})).network
    assert err.value.field == "layers[1].dim" and "unknown key" in str(err.value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["dim", "inputs", "name", "activation"]), value=_garbage)
def test_garbage_in_a_softmax_table_exits_2_and_writes_nothing(key, value, tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp("fuzz")
    derive_spec_lines(folder, ["[input]", "shape = [2, 1, 1]", "[[layers]]", 'type = "softmax"', f"{key} = {_toml(value)}"],
                      capsys)
