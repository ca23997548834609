"""``batch_norm2d`` / ``batch_norm1d`` in training mode: PyTorch oracle (the written-out graph,
itself checked against ``F.batch_norm(training=True)``) over drawn configurations, the exact
rational ε and the symbolic one, γ/β/μ/σ/x̂ in the notation, legend and JSON, the compact input
form of Ioffe & Szegedy certified at every element (and a wrong one caught), the size estimate,
and one-line spec errors with garbage in the new keys through the CLI."""

from __future__ import annotations

import json

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symconv
from symconv.derivation import derive
from symconv.errors import SpecError
from symconv.size import estimate_terms
from tests.oracle import compare
from tests.garbage import derive_spec_lines, garbage as _garbage, toml_value as _toml
from tests.test_layers_torch import ACTIVATIONS, net


def _spec(shape, *layers, cost="sse", reduction="sum", **top):
    spec = net(shape, *layers, cost=cost)
    spec["cost"]["reduction"] = reduction
    spec.update(top)
    return spec


@st.composite
def bn_networks(draw):
    """[conv] → batch_norm2d (affine or not, ε exact or symbolic, an activation) [→ flatten →
    dense → batch_norm1d], on a batch of 1–3 (or unbatched), every reduction."""
    batch = draw(st.sampled_from([0, 1, 2, 3]))
    c, h, w = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    layers = []
    if draw(st.booleans()):
        layers.append({"type": "conv2d", "kernel_size": 1, "out_channels": draw(st.integers(1, 2)),
                       "bias": draw(st.booleans())})
    eps = draw(st.sampled_from([1e-5, "1/10", 0.5, "symbolic"]))
    layers.append({"type": "batch_norm2d", "eps": eps, "affine": draw(st.booleans()),
                   "activation": draw(st.sampled_from(ACTIVATIONS))})
    if batch >= 2 and draw(st.booleans()):
        layers += [{"type": "flatten"}, {"type": "dense", "out_features": draw(st.integers(1, 2))},
                   {"type": "batch_norm1d", "affine": draw(st.booleans()),
                    "activation": draw(st.sampled_from(["identity", "tanh"]))}]
    shape = ([batch] if batch else []) + [c, h, w]
    return _spec(shape, *layers, cost=draw(st.sampled_from(["sse", "half_sse", "mse"])),
                 reduction=draw(st.sampled_from(["sum", "mean"])))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(bn_networks(), st.integers(0, 10_000))
def test_batch_norm_equals_torch(spec, seed):
    try:
        model = symconv.load(spec)
        model.network
    except SpecError:
        assume(False)  # one value per channel: refused (tested below)
    assert compare(model, seed=seed) > 0


RESNET_LIKE = _spec([2, 1, 2, 2], {"type": "conv2d", "kernel_size": 1, "out_channels": 2},
                    {"type": "batch_norm2d", "activation": "relu"})


def test_definitions_are_exact_with_a_rational_eps():
    model = symconv.load(RESNET_LIKE)
    layer = model.network.layers[1]
    (mu, _), (var, _), (sigma, _), (xhat, _) = layer.intermediates
    assert mu.shape == sigma.shape == (2,) and xhat.shape == (2, 2, 2, 2)
    assert layer.weight.role == "gamma" and layer.bias.role == "beta" and layer.weight.shape == (2,)
    x = layer.inputs
    chan0 = [x.at(n, 0, u, v) for n in range(2) for u in range(2) for v in range(2)]
    fw = model.forward
    assert fw.definition(mu.symbols[0]).expr == sympy.Add(*chan0) / 8
    assert fw.definition(var.symbols[0]).expr == sympy.Add(*[(v - mu.symbols[0]) ** 2 for v in chan0]) / 8
    expected = sympy.sqrt(var.symbols[0] + sympy.Rational(1, 100000))
    assert fw.definition(sigma.symbols[0]).expr == expected
    assert fw.definition(xhat.at(1, 0, 1, 0)).expr == (x.at(1, 0, 1, 0) - mu.symbols[0]) / sigma.symbols[0]
    # every stated local partial is sympy.diff of its definition
    for d in fw.definitions:
        if d.rule in ("batch_mean", "batch_variance", "batch_std", "normalize", "batch_norm"):
            for s, p in d.partials:
                stated = p.xreplace({d.target: d.expr})
                assert sympy.simplify(sympy.diff(d.expr, s) - stated) == 0, (d.target, s)
    # the variance reads x only: its partial through the mean is 0 once the mean is the mean
    v_def = fw.definition(var.symbols[0])
    through_mean = sympy.diff(v_def.expr, mu.symbols[0]).subs(mu.symbols[0], sympy.Add(*chan0) / 8)
    assert sympy.expand(through_mean) == 0 and mu.symbols[0] not in dict(v_def.partials)


def test_closed_forms_are_certified_and_printed():
    model = symconv.load(RESNET_LIKE)
    d = derive(model.gradients)
    assert not d.certificate_failures and d.independent
    proofs = {t.role: t for t in d.layers[1].tensors}
    assert proofs["gamma"].closed_kind == "bn_gamma" and proofs["gamma"].all_closed_certified
    assert proofs["beta"].closed_kind == "bn_beta" and proofs["beta"].all_closed_certified
    assert proofs["activation"].closed_kind == "bn_input" and proofs["activation"].all_closed_certified
    cert = proofs["activation"].elements[0].closed[2]
    assert cert.method == "random-rational" and "mu and x-hat from their definitions" in cert.detail
    text = model.render("md")
    assert (r"\frac{\partial C}{\partial o^{1}[s]} = \frac{\gamma^{2}}{8 \, \sigma^{2}} (8 \, \delta^{2}[s] - "
            r"\sum \delta^{2}[s] - \hat{x}^{2}[s] \sum \delta^{2}[s] \, \hat{x}^{2}[s])") in text
    assert (r"&= \frac{\gamma^{2}_{c}}{8 \, \sigma^{2}_{c}} "
            r"\left(8 \, \delta^{2}_{(s,c,u,v)} - \sum_{s',u',v'} \delta^{2}_{(s',c,u',v')} - \hat{x}^{2}_{(s,c,u,v)} "
            r"\sum_{s',u',v'} \delta^{2}_{(s',c,u',v')} \, \hat{x}^{2}_{(s',c,u',v')}\right)") in text
    assert r"\frac{\partial C}{\partial \gamma^{2}_{c}} = \sum_{s,u,v} \delta^{2}_{(s,c,u,v)} \, \hat{x}^{2}_{(s,c,u,v)}" in text
    assert r"\mathrm{var}^{2}_{c} &= \frac{1}{8} \sum_{s,u,v} \left(o^{1}_{(s,c,u,v)} - \mu^{2}_{c}\right)^{2}" in text
    assert r"\sigma^{2}_{c} &= \sqrt{\mathrm{var}^{2}_{c} + \frac{1}{100000}}" in text
    for row in (r"$\gamma^{l}_{k}$", r"$\beta^{l}_{k}$", r"$\mu^{l}_{k}$", r"$\sigma^{l}_{k}$", r"$\hat{x}^{l}_{k}$",
                r"$\mathrm{var}^{l}_{k}$"):
        assert row in text


def test_a_wrong_compact_form_is_caught():
    """The paper's form without the x̂·Σ(δ·x̂) term fails at every element."""
    from dataclasses import replace

    from symconv.derivation import _certify_closed_all, upstream_symbols
    from symconv.layers import Context, kind_of
    from symconv.layers.batch_norm import _InputCertifier
    from symconv.verify import symbol_numbers

    model = symconv.load(_spec([2, 1, 1, 2], {"type": "batch_norm2d"}))
    layer = model.network.layers[0]
    good = [f for f in kind_of(layer).closed_forms(layer, Context()) if f.kind == "bn_input"][0]
    xhat, delta = layer.intermediates[3][0], layer.delta
    wrong_values = tuple(v[:5] for v in good.values)  # the x̂·Σ(δ·x̂) products dropped
    wrong = replace(good, values=wrong_values)
    wrong = replace(wrong, certify=_InputCertifier(layer, wrong, 4))
    ups = upstream_symbols([layer])
    numbers = symbol_numbers(model.network.table.info)
    x = model.network.input
    assert _certify_closed_all(model.gradients, x, good, ups, [0], numbers, {})[0] == []
    bad, certs, _ = _certify_closed_all(model.gradients, x, wrong, ups, [0], numbers, {})
    assert bad == [0, 1, 2, 3] and not certs[0]


def test_symbolic_eps_and_no_affine():
    model = symconv.load(_spec([2, 1, 1, 2], {"type": "batch_norm2d", "eps": "symbolic", "affine": False},
                               notation={"style": "grid"}))
    layer = model.network.layers[0]
    assert layer.weight is None and layer.bias is None and len(layer.intermediates) == 3
    eps = layer.constants[0]
    assert model.network.table.info[eps].role == "epsilon"
    sigma = layer.intermediates[2][0].symbols[0]
    assert eps in model.forward.definition(sigma).expr.free_symbols
    d = derive(model.gradients)
    assert not d.certificate_failures and d.independent
    text = model.render("md")
    assert r"+ \epsilon}" in text and r"| $\epsilon$ |" in text
    assert r"\frac{\partial C}{\partial x^{(0)}_{s,c,u,v}} = \frac{1}{4 \, \sigma^{(1)}_{c}}" in text


def test_json_lists_gamma_beta_and_the_intermediates():
    doc = json.loads(symconv.load(RESNET_LIKE).render("json"))
    by_role: dict = {}
    for s in doc["symbols"]:
        by_role.setdefault(s["role"], []).append(s["index"])
    assert by_role["gamma"] == [[0], [1]] and by_role["beta"] == [[0], [1]]
    assert by_role["mean"] == by_role["variance"] == by_role["std"] == [[0], [1]]
    assert by_role["normalized"][-1] == [1, 1, 1, 1]


def test_batch_norm1d_after_dense():
    model = symconv.load(_spec([3, 1, 2, 1], {"type": "flatten"}, {"type": "dense", "out_features": 2},
                               {"type": "batch_norm1d", "activation": "sigmoid"}))
    layer = model.network.layers[2]
    assert layer.intermediates[3][0].shape == (3, 2)
    assert compare(model, seed=4) > 0
    d = derive(model.gradients)
    assert not d.certificate_failures


def test_the_estimate_bounds_the_chain_rule_terms():
    for spec in (RESNET_LIKE, _spec([3, 2, 2, 1], {"type": "batch_norm2d", "affine": False})):
        model = symconv.load(spec)
        terms = sum(len(g.terms) for g in model.gradients.by_wrt.values()) - len(model.network.output)
        estimate = estimate_terms(model.spec)
        assert terms <= estimate <= 3 * terms, (terms, estimate)


BAD = [
    (_spec([2, 1, 2, 2], {"type": "batch_norm2d", "eps": 0}), "layers[1].eps", "positive"),
    (_spec([2, 1, 2, 2], {"type": "batch_norm2d", "eps": -1e-5}), "layers[1].eps", "positive"),
    (_spec([2, 1, 2, 2], {"type": "batch_norm2d", "eps": "tiny"}), "layers[1].eps", "number"),
    (_spec([2, 1, 2, 2], {"type": "batch_norm2d", "eps": True}), "layers[1].eps", "number"),
    (_spec([2, 1, 2, 2], {"type": "batch_norm2d", "affine": "yes"}), "layers[1].affine", "true or false"),
    (_spec([2, 1, 2, 2], {"type": "batch_norm2d", "momentum": 0.1}), "layers[1].momentum", "unknown key"),
    (_spec([1, 1, 1], {"type": "batch_norm2d"}), "layers[1].type", "more than 1 value per channel"),
    (_spec([1, 2, 1, 1], {"type": "flatten"}, {"type": "batch_norm1d"}), "layers[2].type",
     "more than 1 value per channel"),
    (_spec([2, 1, 2, 2], {"type": "flatten"}, {"type": "batch_norm2d"}), "layers[2].type", "use batch_norm1d"),
    (_spec([2, 1, 2, 2], {"type": "batch_norm1d"}), "layers[1].type", "use batch_norm2d"),
]


@pytest.mark.parametrize("spec, field, words", BAD, ids=[f"{b[1]}:{b[2]}" for b in BAD])
def test_bad_specs_name_the_key(spec, field, words):
    with pytest.raises(SpecError) as err:
        symconv.load(spec).network
    text = str(err.value)
    assert err.value.field == field and words in text and "\n" not in text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(eps=st.one_of(st.none(), _garbage, st.sampled_from(["symbolic", "1/0", "1e-400", "-0.0"])),
       affine=st.one_of(st.none(), _garbage), kind=st.sampled_from(["batch_norm2d", "batch_norm1d"]))
def test_garbage_in_the_new_keys_exits_2_and_writes_nothing(eps, affine, kind, tmp_path_factory, capsys):
    folder = tmp_path_factory.mktemp("fuzz")
    lines = ["[input]", "shape = [2, 1, 2, 1]", "[[layers]]"]
    if kind == "batch_norm1d":
        lines += ['type = "flatten"', "[[layers]]"]
    lines.append(f'type = "{kind}"')
    if eps is not None:
        lines.append(f"eps = {_toml(eps)}")
    if affine is not None:
        lines.append(f"affine = {_toml(affine)}")
    derive_spec_lines(folder, lines, capsys)
