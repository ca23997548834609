"""Reference cases C03, C04, C11, C17, C19, C20, C22 (/work/shared/cases/reference-cases.md).

"L = Σ G⊙Y" is reproduced exactly with the half_sse cost: with targets y = o − g the upstream
gradient ∂C/∂o = o − y is exactly g. All values are exact Rationals; comparisons are ``==``.
"""

from __future__ import annotations

import pytest
import sympy
import torch
import torch.nn.functional as F

import symconv
from symconv.errors import SpecError
from tests.oracle import substitute

R = sympy.Rational


def arange(n, start=0):
    return [start + k for k in range(n)]


def run(spec: dict, leaves: dict, upstream=None, form: str = "named"):
    """Exact forward values and gradients of a one-output-tensor network.

    ``leaves``: {tensor key: flat list}, keys ``"x"`` and ``"w<l>"``/``"b<l>"`` (layer l, 1-based).
    ``upstream``: flat ∂L/∂o of the last layer (default all ones, L = ΣY).
    Returns (model, values, grad) where ``grad(tensor)`` is the exact gradient array.
    """
    model = symconv.load(spec)
    net = model.network
    vals: dict = {}

    def put(tensor, data):
        assert len(data) == len(tensor), (len(data), tensor.shape)
        vals.update({s: sympy.nsimplify(v, rational=True) for s, v in zip(tensor.symbols, data)})

    put(net.input, leaves["x"])
    for layer in net.layers:
        for key, t in ((f"w{layer.index}", layer.weight), (f"b{layer.index}", layer.bias)):
            if t is not None:
                put(t, leaves[key])
    for d in model.forward.definitions[:-1]:
        vals[d.target] = d.expr.xreplace(vals)
    out = net.output.symbols
    g = upstream if upstream is not None else [1] * len(out)
    for o, y, gk in zip(out, net.targets.symbols, g):
        vals[y] = vals[o] - R(gk)
    memo: dict = {}

    def grad(tensor):
        arr = model.gradients.array(tensor, form)
        assert arr.shape == tuple(tensor.shape)
        return [substitute(sympy.sympify(e), vals, memo) for e in sympy.flatten(arr.tolist())]

    return model, vals, grad


def fwd(model, vals):
    return [vals[s] for s in model.network.output.symbols]


def conv_spec(shape, out_channels=1, kernel=2, **extra):
    layer = {"type": "conv2d", "out_channels": out_channels, "kernel_size": kernel, **extra}
    return {"input": {"shape": list(shape)}, "layers": [layer], "cost": {"type": "half_sse"}}


# ----------------------------------------------------------------------------- C03

def test_c03_single_channel():
    model, vals, grad = run(conv_spec((1, 3, 3)), {"x": arange(9), "w1": [0, 1, 2, 3]})
    assert fwd(model, vals) == [19, 25, 37, 43]
    assert grad(model.network.layers[0].weight) == [8, 12, 20, 24]


def test_c03_multi_in_multi_out_channels():
    x2 = arange(9) + arange(9, 1)
    k2 = [0, 1, 2, 3] + [1, 2, 3, 4]
    k3 = k2 + [v + 1 for v in k2] + [v + 2 for v in k2]
    model, vals, grad = run(conv_spec((2, 3, 3), out_channels=3), {"x": x2, "w1": k3})
    assert fwd(model, vals) == [56, 72, 104, 120, 76, 100, 148, 172, 96, 128, 192, 224]
    net = model.network
    assert grad(net.layers[0].weight) == [8, 12, 20, 24, 12, 16, 24, 28] * 3
    assert grad(net.input) == [3, 9, 6, 12, 30, 18, 9, 21, 12] + [6, 15, 9, 18, 42, 24, 12, 27, 15]


def test_c03_multi_in_only():
    model, vals, _ = run(conv_spec((2, 3, 3)), {"x": arange(9) + arange(9, 1), "w1": [0, 1, 2, 3, 1, 2, 3, 4]})
    assert fwd(model, vals) == [56, 72, 104, 120]


# ----------------------------------------------------------------------------- C04

def test_c04_input_gradient_is_full_correlation_with_rot180():
    spec = conv_spec((1, 3, 3), bias=True)
    model, vals, grad = run(spec, {"x": arange(9), "w1": [0, 1, 2, 3], "b1": [0]}, upstream=[1, 2, 3, 4])
    layer = model.network.layers[0]
    assert grad(layer.weight) == [27, 37, 57, 67]
    assert grad(model.network.input) == [0, 1, 2, 2, 10, 10, 6, 17, 12]
    assert grad(model.network.input) != [3, 8, 4, 10, 20, 8, 3, 4, 0]  # the un-flipped mistake
    assert grad(layer.bias) == [10]


def test_c04_symbolic_centre_pixel_pairs_rotated_kernel():
    m = symconv.load(conv_spec((1, 3, 3)))
    S = m.symbol
    expr = m.gradient("i1_5", form="delta", factor=False)
    d = [S(f"delta1_{k}") for k in range(1, 5)]
    w = [S(f"w1_{k}") for k in range(1, 5)]
    assert sympy.expand(expr - (d[0] * w[3] + d[1] * w[2] + d[2] * w[1] + d[3] * w[0])) == 0


def test_c04_convolution_convention_moves_the_flip():
    """Under convention = "convolution" the forward pass flips the kernel, so ∂X is the un-flipped
    full correlation and ∂K is the rotated corr(X, G)."""
    spec = dict(conv_spec((1, 3, 3)), convention="convolution")
    model, vals, grad = run(spec, {"x": arange(9), "w1": [0, 1, 2, 3]}, upstream=[1, 2, 3, 4])
    # forward = corr(X, rot180(K)) = corr(X, [[3,2],[1,0]])
    assert fwd(model, vals) == [3 * 0 + 2 * 1 + 1 * 3 + 0 * 4, 3 * 1 + 2 * 2 + 1 * 4 + 0 * 5,
                                3 * 3 + 2 * 4 + 1 * 6 + 0 * 7, 3 * 4 + 2 * 5 + 1 * 7 + 0 * 8]
    assert grad(model.network.input) == [3, 8, 4, 10, 20, 8, 3, 4, 0]
    assert grad(model.network.layers[0].weight) == [67, 57, 37, 27]
    S = model.symbol
    expr = model.gradient("i1_5", form="delta", factor=False)
    d = [S(f"delta1_{k}") for k in range(1, 5)]
    w = [S(f"w1_{k}") for k in range(1, 5)]
    assert sympy.expand(expr - (d[0] * w[0] + d[1] * w[1] + d[2] * w[2] + d[3] * w[3])) == 0


# ----------------------------------------------------------------------------- C11

# C11 refers to C02's X and W, which the reference file does not contain. These X and W reproduce
# every value C11 states: Z₁₂ = 0 exactly, ∂C/∂A₁₂ = −1, C = 2.5, ∂C/∂W = [[2+h, −2], [−h, 2]].
C11_X = [1, -1, 0, 0, 1, 0, -2, -2, 1]
C11_W = [1, 0, 1, 2]
C11_T = [1, 1, 0, 1]


def _c11(h):
    relu = {"activation": "relu"}
    if h is not None:
        relu["derivative_at_zero"] = str(h)
    spec = conv_spec((1, 3, 3), **relu)
    spec["cost"] = {"type": "half_sse"}
    model = symconv.load(spec)
    net = model.network
    vals = dict(zip(net.input.symbols, map(sympy.Integer, C11_X)))
    vals.update(zip(net.layers[0].weight.symbols, map(sympy.Integer, C11_W)))
    vals.update(zip(net.targets.symbols, map(sympy.Integer, C11_T)))
    for d in model.forward.definitions:
        vals[d.target] = d.expr.xreplace(vals)
    return model, vals


@pytest.mark.parametrize("h, expected", [
    (None, [2, -2, 0, 2]),          # default: h = 0, as torch.relu
    (0, [2, -2, 0, 2]),
    (R(1, 2), [R(5, 2), -2, R(-1, 2), 2]),   # sympy's Heaviside(0) = 1/2
    (1, [3, -2, -1, 2]),            # torch.clamp(min=0)
])
def test_c11_relu_derivative_at_zero(h, expected):
    model, vals = _c11(h)
    net = model.network
    z = net.layers[0].pre.symbols
    assert vals[z[1]] == 0
    assert vals[net.cost] == R(5, 2)
    assert model.gradients.named(net.layers[0].out.symbols[1]).xreplace(vals) == -1
    got = [model.gradients.named(w).xreplace(vals) for w in net.layers[0].weight.symbols]
    assert got == expected


@pytest.mark.parametrize("h, op", [(0, torch.relu), (1, lambda z: torch.clamp(z, min=0))])
def test_c11_matches_the_torch_op_with_the_same_convention(h, op):
    x = torch.tensor(C11_X, dtype=torch.float64).reshape(1, 1, 3, 3)
    w = torch.tensor(C11_W, dtype=torch.float64).reshape(1, 1, 2, 2).requires_grad_(True)
    t = torch.tensor(C11_T, dtype=torch.float64).reshape(1, 1, 2, 2)
    (0.5 * ((op(F.conv2d(x, w)) - t) ** 2).sum()).backward()
    model, vals = _c11(h)
    got = [float(model.gradients.named(s).xreplace(vals)) for s in model.network.layers[0].weight.symbols]
    assert got == w.grad.reshape(-1).tolist()


def test_c11_convention_is_stated():
    from symconv.activations import rule_for
    from symconv.activations import Activation

    assert rule_for(Activation("relu")).convention.startswith("\\mathrm{ReLU}'(0) = 0,")
    assert rule_for(Activation("relu")).convention.endswith("H(0) = 0")
    assert rule_for(Activation("relu", derivative_at_zero="1/2")).convention.startswith("\\mathrm{ReLU}'(0) = \\frac{1}{2},")
    assert "\\frac{1}{100}" in rule_for(Activation("leaky_relu")).convention


# ----------------------------------------------------------------------------- C17

@pytest.mark.parametrize("size, last_row", [(7, [1, 2, 1, 2, 1, 2, 1]), (8, [1, 2, 1, 2, 1, 2, 1, 1])])
def test_c17_input_gradient_shape_comes_from_the_input(size, last_row):
    spec = conv_spec((1, size, size), kernel=3, stride=2, padding=1)
    model, vals, grad = run(spec, {"x": [1] * size * size, "w1": [1] * 9})
    assert model.network.output.shape == (1, 4, 4)
    gx = grad(model.network.input)
    assert len(gx) == size * size
    assert model.gradients.array(model.network.input).shape == (1, size, size)
    assert gx[-size:] == last_row
    rows = [gx[r * size:(r + 1) * size] for r in range(size)]
    assert [row[-1] for row in rows] == last_row  # symmetric: last column too


# ----------------------------------------------------------------------------- C19

def test_c19_stride_that_does_not_divide_the_input():
    spec = conv_spec((1, 5, 5), stride=2)
    model, vals, grad = run(spec, {"x": arange(25), "w1": [1, -1, 2, 0.5]})
    assert fwd(model, vals) == [12, 17, 37, 42]
    assert grad(model.network.layers[0].weight) == [24, 28, 44, 48]
    h = R(1, 2)
    assert grad(model.network.input) == [
        1, -1, 1, -1, 0, 2, h, 2, h, 0, 1, -1, 1, -1, 0, 2, h, 2, h, 0, 0, 0, 0, 0, 0]
    # unread pixels: the gradient is an exact 0 with no chain-rule terms
    last = model.network.input.symbols[-1]
    assert model.gradients[last].terms == ()
    assert model.gradients.array(model.network.input, "leaf")[0, 4, 4] == 0


# ----------------------------------------------------------------------------- C20

def test_c20_same_padding_even_kernel_goes_after():
    from symconv.shapes import resolve_padding

    spec = conv_spec((1, 4, 4), padding="same")
    model, vals, grad = run(spec, {"x": arange(16), "w1": [1, 2, 3, 4]})
    assert model.network.layers[0].pad == ((0, 1), (0, 1))
    assert resolve_padding(model.spec.layers[0].padding, (2, 2), (1, 1)) == ((0, 1), (0, 1))
    assert model.network.output.shape == (1, 4, 4)
    assert fwd(model, vals) == [34, 44, 54, 24, 74, 84, 94, 40, 114, 124, 134, 56, 38, 41, 44, 15]
    assert grad(model.network.input) == [1, 3, 3, 3, 4, 10, 10, 10, 4, 10, 10, 10, 4, 10, 10, 10]
    assert grad(model.network.layers[0].weight) == [120, 96, 114, 90]


def test_c20_same_with_stride_is_refused():
    with pytest.raises(SpecError) as err:
        symconv.load(conv_spec((1, 4, 4), padding="same", stride=2))
    assert err.value.field == "layers[1].padding"
    assert "stride" in str(err.value) and "\n" not in str(err.value)


# ----------------------------------------------------------------------------- C22

def test_c22_one_by_one_kernels_with_channels_and_bias():
    spec = conv_spec((2, 3, 3), out_channels=3, kernel=1, bias=True)
    model, vals, grad = run(spec, {"x": arange(9) + arange(9, 1), "w1": [1, 2, 3, 4, 5, 6],
                                   "b1": [0.5, -1, 2]})
    h = R(1, 2)
    y0 = [2 + h, 5 + h, 8 + h, 11 + h, 14 + h, 17 + h, 20 + h, 23 + h, 26 + h]
    assert fwd(model, vals) == y0 + [3, 10, 17, 24, 31, 38, 45, 52, 59] + [8, 19, 30, 41, 52, 63, 74, 85, 96]
    layer = model.network.layers[0]
    assert grad(layer.weight) == [36, 45] * 3
    assert grad(layer.bias) == [9, 9, 9]
    assert grad(model.network.input) == [9] * 9 + [12] * 9
