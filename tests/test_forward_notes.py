"""The forward pass and the network section say everything a reader needs (issue 11 item 5): a
flatten layer appears in the forward pass with how it names its input's elements, and the
elements no later layer reads are listed at network level (their gradient and δ are 0)."""

from __future__ import annotations

from pathlib import Path

import pytest

import symconv

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "examples").glob("*.toml"))


@pytest.mark.parametrize("path", [p for p in SPECS if 'type = "flatten"' in p.read_text()], ids=lambda p: p.stem)
def test_every_flatten_layer_of_the_examples_is_in_the_forward_pass(path):
    model = symconv.load(path)
    if len(model.network.table.info) > 5000:
        pytest.skip("large network: rendered by the bench")
    md = model.render("md")
    forward = md[md.index("Forward pass"):md.index("Error terms")]
    for layer in model.network.layers:
        assert f"### Layer {layer.index} ({layer.spec.type})" in forward


def test_flatten_names_its_input_elements():
    spec = {"input": {"shape": [2, 2, 2]}, "layers": [{"type": "flatten"}, {"type": "dense", "out_features": 2}]}
    md = symconv.load(spec).render("md")
    assert ("### Layer 1 (flatten)\n\nReshapes $i^{1}$ (2x2x2) into a vector of 8 elements in row-major order, "
            "defining no new symbols: element $k$ of the vector is $i^{1}_{k}$") in md
    grid = symconv.load(dict(spec, notation={"style": "grid"})).render("md")
    assert r"element $4c+2u+v-6$ of the vector is $x^{(0)}_{c,u,v}$" in grid
    grid0 = symconv.load(dict(spec, notation={"style": "grid0"})).render("md")
    assert r"element $4c+2u+v$ of the vector is $x^{(0)}_{c,u,v}$" in grid0


def test_outputs_no_later_layer_reads_are_listed_with_a_zero_delta():
    spec = {"input": {"shape": [1, 4, 4]},
            "layers": [{"type": "conv2d", "kernel_size": 2, "activation": "relu"}, {"type": "max_pool2d", "kernel_size": 2},
                       {"type": "conv2d", "kernel_size": 1}]}
    model = symconv.load(spec)
    md = model.render("md")
    assert ("- output of layer 1: $o^{1}_{3}, o^{1}_{6}, o^{1}_{7}, o^{1}_{8}, o^{1}_{9}$ (5 of 9); "
            "their error terms (in $\\delta^{1}$) are 0 too") in md
    for k in (2, 5, 6, 7, 8):  # 0-based: exactly 0, as the note says
        assert model.gradients.named(model.network.layers[0].out.symbols[k]) == 0
        assert model.gradients.named(model.network.layers[0].delta.symbols[k]) == 0
    assert "Elements no later layer reads" not in symconv.load(symconv.example("seed")).render("md")


def test_skipped_inputs_are_listed_and_elided():
    spec = {"input": {"shape": [1, 5, 5]}, "layers": [{"type": "conv2d", "kernel_size": 2, "stride": 2}]}
    md = symconv.load(spec).render("md")
    assert r"- input: $i^{1}_{5}, i^{1}_{10}, \ldots, i^{1}_{25}$ (9 of 25)" in md
