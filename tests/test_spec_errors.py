"""Bad specs give one-line SpecErrors naming the key; garbage never raises anything else."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symconv
from symconv.errors import SpecError
from symconv.spec import load_spec, spec_from_dict

BASE = {
    "input": {"shape": [1, 5, 5]},
    "layers": [{"type": "conv2d", "out_channels": 2, "kernel_size": 2}],
    "cost": {"type": "sse"},
}


def with_layer(**changes):
    spec = copy.deepcopy(BASE)
    spec["layers"][0].update(changes)
    return spec


def build(spec):
    """Validate and build every stage that can reject a spec (spec, shapes, symbols)."""
    model = symconv.load(spec)
    model.network
    return model


BAD = [
    # (spec, field, words the message must contain)
    (with_layer(kernel_size=6), "layers[1].kernel_size", "larger than the padded input"),
    (with_layer(kernel_size=3, dilation=3), "layers[1].kernel_size", "larger than the padded input"),
    (with_layer(kernel_size=0), "layers[1].kernel_size", ">= 1"),
    (with_layer(kernel_size=[2, -1]), "layers[1].kernel_size[1]", ">= 1"),
    (with_layer(stride=0), "layers[1].stride", ">= 1"),
    (with_layer(dilation=0), "layers[1].dilation", ">= 1"),
    (with_layer(out_channels=0), "layers[1].out_channels", ">= 1"),
    (with_layer(padding=-1), "layers[1].padding", ">= 0"),
    (with_layer(padding=[[1, 2], [3]]), "layers[1].padding[1]", "[before, after]"),
    (with_layer(padding="half"), "layers[1].padding", "valid, same, full"),
    (with_layer(padding="same", stride=2), "layers[1].padding", "stride"),
    (with_layer(out_channels=3, groups=2), "layers[1].groups", "divisible"),
    (with_layer(groups=2), "layers[1].groups", "input channels (1)"),
    (with_layer(activation="gelu"), "layers[1].activation", "relu"),
    (with_layer(activation="relu", negative_slope=0.1), "layers[1].negative_slope", "leaky_relu"),
    (with_layer(derivative_at_zero=0.5), "layers[1].derivative_at_zero", "relu"),
    (with_layer(activation="relu", derivative_at_zero="half"), "layers[1].derivative_at_zero", "number"),
    (with_layer(bias=1), "layers[1].bias", "true or false"),
    (with_layer(kernel=2), "layers[1].kernel", "unknown key"),
    (with_layer(type="conv3d"), "layers[1].type", "conv2d"),
    ({**BASE, "cost": {"type": "hinge"}}, "cost.type", "sse"),
    ({**BASE, "convention": "flipped"}, "convention", "cross-correlation"),
    ({**BASE, "input": {"shape": [1, 0, 5]}}, "input.shape[1]", ">= 1"),
    ({**BASE, "input": {"shape": [5, 5]}}, "input.shape", "channels"),
    ({"layers": BASE["layers"]}, "input", "missing"),
    ({**BASE, "layers": []}, "layers", "empty"),
    ({**BASE, "layers": [{"type": "dense", "out_features": 2}]}, "layers[1].type", "flatten"),
    ({**BASE, "layers": [{"type": "flatten"}, {"type": "conv2d"}]}, "layers[2].type", "flatten"),
    ({**BASE, "layers": [{"type": "flatten"}, {"type": "dense", "out_features": 0}]},
     "layers[2].out_features", ">= 1"),
    ({**BASE, "layers": [{"type": "max_pool2d", "kernel_size": 2, "padding": 2}]},
     "layers[1].padding", "half the kernel"),
    ({**BASE, "layers": [{"type": "max_pool2d", "kernel_size": 6}]}, "layers[1].kernel_size", "larger"),
    ({**BASE, "layers": [{"type": "avg_pool2d", "ties": "split"}]}, "layers[1].ties", "max_pool2d"),
    ({**BASE, "layers": [{"type": "max_pool2d", "ties": "last"}]}, "layers[1].ties", "first"),
    ({**BASE, "layers": [{"type": "max_pool2d", "padding": "same"}]}, "layers[1].padding", "integer"),
    ({**BASE, "layers": [{"type": "flatten"}]}, "layers", "flatten"),
    ({**BASE, "layers": [{"type": "conv2d", "kernel_size": 2}, {"type": "conv2d", "kernel_size": 5}]},
     "layers[2].kernel_size", "larger"),
    ({**BASE, "extra": 1}, "extra", "unknown key"),
    ({**BASE, "notation": {"weight": "i"}}, "notation.weight", "collides"),
]


@pytest.mark.parametrize("spec, field, words", BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_bad_spec_names_the_key(spec, field, words):
    with pytest.raises(SpecError) as err:
        build(spec)
    assert err.value.field == field
    text = str(err.value)
    assert words in text
    assert "\n" not in text and text.startswith(field)


def test_top_level_not_a_table():
    for garbage in ([1, 2], "text", None, 3):
        with pytest.raises(SpecError) as err:
            spec_from_dict(garbage)
        assert str(err.value) and "\n" not in str(err.value)


def test_spec_errors_map_to_exit_status_2():
    with pytest.raises(SpecError) as err:
        build(with_layer(kernel_size=9))
    assert err.value.exit_status == 2


def test_load_spec_file_errors(tmp_path):
    with pytest.raises(SpecError):
        load_spec(tmp_path / "missing.toml")
    (tmp_path / "bad.toml").write_text("input = [")
    with pytest.raises(SpecError) as err:
        load_spec(tmp_path / "bad.toml")
    assert "\n" not in str(err.value)
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(SpecError):
        load_spec(tmp_path / "bin.toml")


# ----------------------------------------------------------------------------- garbage

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 9), st.integers(), st.floats(allow_nan=True),
    st.text(max_size=6),
    st.sampled_from(["same", "full", "valid", "relu", "f", "conv2d", "dense", "flatten",
                     "max_pool2d", "avg_pool2d", "sse", "bce", "1/2", "1/0", "nan", "-1"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)), max_leaves=8)
layer_keys = st.sampled_from([
    "type", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
    "activation", "negative_slope", "derivative_at_zero", "ties", "out_features", "bogus"])
small = st.one_of(st.integers(0, 4), st.lists(st.integers(-1, 3), max_size=3),
                  st.lists(st.lists(st.integers(-1, 3), max_size=3), max_size=3))
layer = st.dictionaries(layer_keys, st.one_of(small, values), max_size=6)
near_valid = st.fixed_dictionaries(
    {"input": st.one_of(st.fixed_dictionaries({"shape": st.lists(st.integers(-1, 5), max_size=4)}), values),
     "layers": st.one_of(st.lists(layer, max_size=3), values)},
    optional={"cost": st.one_of(st.fixed_dictionaries({"type": values}), values),
              "convention": values, "title": values, "notation": values},
)
garbage = st.one_of(values, near_valid, st.dictionaries(st.text(max_size=8), values, max_size=4))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(garbage)
def test_garbage_dicts_only_raise_spec_error(data):
    try:
        spec = spec_from_dict(data)
    except SpecError as exc:
        assert "\n" not in str(exc)
        return
    try:
        model = symconv.load(spec)
        if len(model.network.table.info) < 400:
            model.gradients
    except SpecError as exc:
        assert "\n" not in str(exc)


toml_text = st.one_of(
    st.text(max_size=60),
    st.lists(st.sampled_from([
        "[input]", "shape = [1, 3, 3]", "shape = [0, 3]", "[[layers]]", 'type = "conv2d"',
        'type = "dense"', 'type = "flatten"', "kernel_size = 2", "kernel_size = [2, 9]",
        'padding = "same"', "stride = 2", "padding = [[1, 0], [0, 1]]", "[cost]", 'type = "bce"',
        'activation = "relu"', "derivative_at_zero = 0.5", "groups = 0", "out_features = 3",
        "title = 3", 'convention = "convolution"', "x = ", "]]", "bias = true", "= 1",
    ]), max_size=14).map("\n".join),
)


@settings(max_examples=300, deadline=None)
@given(toml_text)
def test_garbage_toml_only_raises_spec_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("toml") / "spec.toml"
    path.write_text(text, encoding="utf-8")
    try:
        spec = load_spec(path)
        symconv.load(spec).network
    except SpecError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize("data, field", [
    ({"\n": None}, "'\\n'"),
    ({**BASE, "bad\nkey": 1}, "'bad\\nkey'"),
    ({**BASE, "layers": [{"type": "conv2d", "x\ry": 1}]}, "layers[1].'x\\ry'"),
    ({**BASE, "title": "two\nlines"}, "title"),
])
def test_messages_stay_on_one_line_whatever_the_key(data, field):
    with pytest.raises(SpecError) as err:
        spec_from_dict(data)
    assert err.value.field == field
    assert "\n" not in str(err.value) and "\r" not in str(err.value)


def test_long_values_are_shortened():
    with pytest.raises(SpecError) as err:
        spec_from_dict(with_layer(stride="x" * 10_000))
    assert len(str(err.value)) < 200
