r"""The mistake catalogue knows the transposed convolution (issue 13): the kernel's orientation,
the convention, the stride's zero insertion and the padding's crop, in its input and its weight
gradients, each diagnosed by the layer's own placement rule
(:meth:`symconv.layers.conv_transpose2d.ConvTranspose2dKind.example_mistaken_partials`).

Network ``ct``: a 1×2×2 input, ``conv_transpose2d`` with a 2×2 kernel, stride 2 (output 4×4,
flat 1-based row-major δ_1 … δ_16). Exact: ∂C/∂x[i, j] = Σ_{m,n} δ[2i+m, 2j+n] W[m, n] and
∂C/∂W[m, n] = Σ_{i,j} δ[2i+m, 2j+n] x[i, j] (0-based). Network ``ctp``: kernel 3, stride 2,
padding 1 (output 3×3): ∂C/∂x[i, j] = Σ δ[2i+m−1, 2j+n−1] W[m, n].
"""

import pytest
import sympy

import symconv
from symconv.check import check_claim, conv_partials, mistaken_forms
from symconv.claims import to_leaf


@pytest.fixture(scope="module")
def ct():
    return symconv.load({"input": {"shape": [1, 2, 2]}, "layers": [
        {"type": "conv_transpose2d", "kernel_size": 2, "stride": 2}]})


@pytest.fixture(scope="module")
def ctp():
    return symconv.load({"input": {"shape": [1, 2, 2]}, "layers": [
        {"type": "conv_transpose2d", "kernel_size": 3, "stride": 2, "padding": 1}]})


RIGHT = [
    ("ct", r"\partial C/\partial i_1^1 = \delta_1^1 w_1^1 + \delta_2^1 w_2^1 + \delta_5^1 w_3^1 + \delta_6^1 w_4^1"),
    ("ct", r"\partial C/\partial i_4^1 = \delta_{11}^1 w_1^1 + \delta_{12}^1 w_2^1 + \delta_{15}^1 w_3^1 + \delta_{16}^1 w_4^1"),
    ("ct", r"\partial C/\partial w_1^1 = \delta_1^1 i_1^1 + \delta_3^1 i_2^1 + \delta_9^1 i_3^1 + \delta_{11}^1 i_4^1"),
    ("ctp", r"\partial C/\partial i_1^1 = \delta_1^1 w_5^1 + \delta_2^1 w_6^1 + \delta_4^1 w_8^1 + \delta_5^1 w_9^1"),
]

MISTAKES = [
    # input gradient with the kernel turned by 180 degrees (conv2d's rule carried over)
    ("ct", r"\partial C/\partial i_1^1 = \delta_1^1 w_4^1 + \delta_2^1 w_3^1 + \delta_5^1 w_2^1 + \delta_6^1 w_1^1",
     "kernel_not_rotated", "kernel not rotated by 180 degrees in layer 1"),
    ("ct", r"\partial C/\partial i_1^1 = \delta_1^1 w_4^1 + \delta_2^1 w_3^1 + \delta_5^1 w_2^1 + \delta_6^1 w_1^1",
     "convention_swapped", "the backward formulas of convolution applied to this forward pass"),
    # input gradient reading δ at i + m instead of 2i + m
    ("ct", r"\partial C/\partial i_4^1 = \delta_6^1 w_1^1 + \delta_7^1 w_2^1 + \delta_{10}^1 w_3^1 + \delta_{11}^1 w_4^1",
     "stride_zeros_missing", "stride zeros missing ($\\delta$ not dilated by the stride) in layer 1"),
    # weight gradient without the input's zero insertion
    ("ct", r"\partial C/\partial w_1^1 = \delta_1^1 i_1^1 + \delta_2^1 i_2^1 + \delta_5^1 i_3^1 + \delta_6^1 i_4^1",
     "stride_zeros_missing", "stride zeros missing ($\\delta$ not dilated by the stride) in layer 1"),
    # weight gradient with the kernel index of the other convention
    ("ct", r"\partial C/\partial w_1^1 = \delta_6^1 i_1^1 + \delta_8^1 i_2^1 + \delta_{14}^1 i_3^1 + \delta_{16}^1 i_4^1",
     "convention_swapped", "the backward formulas of convolution applied to this forward pass"),
    # input gradient read in uncropped output coordinates
    ("ctp", r"\partial C/\partial i_1^1 = \sum_{k=1}^{9} \delta_k^1 w_k^1",
     "padding_not_cropped", "padding not cropped in layer 1"),
]


@pytest.mark.parametrize("which,claim", RIGHT)
def test_right_transposed_claims_are_accepted(request, which, claim):
    assert check_claim(request.getfixturevalue(which), claim).ok


@pytest.mark.parametrize("which,claim,kind,label", MISTAKES, ids=[f"{c[2]}-{k}" for k, c in enumerate(MISTAKES)])
def test_each_transposed_mistake_is_diagnosed(request, which, claim, kind, label):
    model = request.getfixturevalue(which)
    v = check_claim(model, claim)
    assert not v.ok
    step = v.steps[0]
    assert (kind, label) in {(d.kind, d.label) for d in step.diagnoses}
    for d in step.diagnoses:  # proven: the claim equals each reported form exactly
        assert sympy.expand(to_leaf(model, step.side.expr) - to_leaf(model, d.form)) == 0


def test_the_unrotated_input_gradient_is_not_the_stride_mistake(ct):
    v = check_claim(ct, MISTAKES[0][1])
    assert {d.kind for d in v.steps[0].diagnoses} == {"kernel_not_rotated", "convention_swapped"}


@pytest.mark.parametrize("spec", [
    {"input": {"shape": [1, 2, 2]}, "layers": [{"type": "conv_transpose2d", "kernel_size": 3, "stride": 2, "padding": 1},
                                               {"type": "conv2d", "kernel_size": 2}]},
    {"input": {"shape": [2, 2, 2]}, "layers": [{"type": "conv_transpose2d", "out_channels": 2, "kernel_size": 2,
                                                "stride": 2, "bias": True, "groups": 2}]},
    {"convention": "convolution", "input": {"shape": [1, 2, 2]}, "layers": [
        {"type": "conv_transpose2d", "kernel_size": [2, 3], "stride": [2, 1], "padding": 1, "dilation": [1, 2]}]},
])
def test_true_placement_reproduces_the_forward_partials(spec):
    model = symconv.load(spec)
    for layer in model.network.layers:
        for target, got in conv_partials(model, layer, "true").items():
            assert set(got) == set(model.forward.definition(target).partials)


def test_every_transposed_placement_mistake_changes_some_gradient(ct, ctp):
    kinds = set()
    for model in (ct, ctp):
        for s in model.gradients.by_wrt:
            if model.network.table.info[s].role in ("input", "weight"):
                kinds |= {f.kind for f in mistaken_forms(model, s)}
    assert {"kernel_not_rotated", "stride_zeros_missing", "padding_not_cropped", "convention_swapped"} <= kinds
