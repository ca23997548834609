"""From a spec to a network: every layer's shapes and symbolic tensors, validated.

Shapes are 0-based internally and given as ``(C, H, W)`` for feature maps,
``(C_out, C_in/groups, kh, kw)`` for kernels, ``(C_out,)`` for biases, ``(n,)`` for vectors.
A shape error raises :class:`~symconv.errors.SpecError` naming the layer's key.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import SpecError
from .gcpause import gc_paused
from .notation import Namer
from .shapes import Pad2, output_shape, resolve_padding
from .spec import Conv2d, Dense, Flatten, Layer, Pool2d, Spec
from .tensors import SymbolTable, SymTensor


@dataclass(frozen=True)
class LayerNet:
    """One layer with its tensors.

    ``inputs`` is the tensor the layer reads (the previous ``out``); ``pre`` the pre-activation
    ``z`` (None when the activation is the identity, or for pooling/flatten, whose output is
    ``out`` itself); ``out`` the layer output ``o`` (activation); ``delta`` the tensor of
    δ = ∂C/∂z symbols (conv and dense layers; of ``out`` when ``pre`` is None); ``adjoint``
    the ∂C/∂o symbols of a layer whose ``out`` is not the δ carrier.
    """

    index: int
    spec: Layer
    inputs: SymTensor
    out: SymTensor
    weight: SymTensor | None = None
    bias: SymTensor | None = None
    pre: SymTensor | None = None
    delta: SymTensor | None = None
    adjoint: SymTensor | None = None
    pad: Pad2 | None = None


@dataclass(frozen=True)
class Network:
    """The whole network: input ``(C, H, W)``, layers, targets ``(n,)`` and cost symbol."""

    spec: Spec
    table: SymbolTable
    input: SymTensor
    layers: tuple[LayerNet, ...]
    targets: SymTensor
    cost: object  # sympy.Symbol

    @property
    def output(self) -> SymTensor:
        return self.layers[-1].out


@gc_paused
def build_network(spec: Spec) -> Network:
    """Create all symbols and check every layer's shapes.

    Raises :class:`SpecError` for: a kernel larger than the padded input, input channels not
    divisible by ``groups``, a dense layer reading a feature map (flatten first), pooling or
    convolution after flatten, and colliding symbol names.
    """
    table = SymbolTable(Namer(spec.notation))
    x = table.new_tensor("input", 0, spec.input_shape)
    current = x
    layers: list[LayerNet] = []
    for position, layer in enumerate(spec.layers, start=1):
        where = f"layers[{position}]"
        if isinstance(layer, Conv2d | Pool2d) and len(current.shape) != 3:
            raise SpecError(f"{where}.type", f"{layer.type} needs a (C, H, W) feature map, but it follows flatten/dense")
        if isinstance(layer, Conv2d):
            c_in, h, w = current.shape
            if c_in % layer.groups:
                raise SpecError(
                    f"{where}.groups",
                    f"input channels ({c_in}) must be divisible by groups ({layer.groups})",
                )
            pad = resolve_padding(layer.padding, layer.kernel_size, layer.dilation)
            out_hw = output_shape((h, w), layer.kernel_size, layer.stride, pad, layer.dilation, where)
            shape = (layer.out_channels,) + out_hw
            weight = table.new_tensor(
                "weight", position, (layer.out_channels, c_in // layer.groups) + layer.kernel_size
            )
            bias = table.new_tensor("bias", position, (layer.out_channels,)) if layer.bias else None
            layers.append(_with_outputs(table, position, layer, current, shape, weight, bias, pad))
        elif isinstance(layer, Pool2d):
            c_in, h, w = current.shape
            pad = layer.padding.amounts
            out_hw = output_shape((h, w), layer.kernel_size, layer.stride, pad, (1, 1), where)
            shape = (c_in,) + out_hw
            out = table.new_tensor("activation", position, shape)
            adjoint = table.new_tensor("adjoint", position, shape)
            layers.append(LayerNet(position, layer, current, out, adjoint=adjoint, pad=pad))
        elif isinstance(layer, Flatten):
            flat = SymTensor(current.role, current.layer, (len(current),), current.symbols)
            layers.append(LayerNet(position, layer, current, flat))
        elif isinstance(layer, Dense):
            if len(current.shape) != 1:
                raise SpecError(f"{where}.type", "a dense layer needs a vector; add a flatten layer before it")
            shape = (layer.out_features,)
            weight = table.new_tensor("weight", position, (layer.out_features, current.shape[0]))
            bias = table.new_tensor("bias", position, shape) if layer.bias else None
            layers.append(_with_outputs(table, position, layer, current, shape, weight, bias, None))
        current = layers[-1].out
    if isinstance(spec.layers[-1], Flatten) and len(spec.layers) == 1:
        raise SpecError("layers", "a network of only flatten has no parameters; add a conv2d or dense layer")
    if spec.cost.type == "cross_entropy" and len(current) < 2:
        raise SpecError(
            "cost.type",
            "cross_entropy needs at least 2 outputs (the softmax of one output is 1, so every "
            "gradient would be 0); use bce for a single output",
        )
    targets = table.new_tensor("target", None, (len(current),))
    cost = table.scalar("cost")
    return Network(spec, table, x, tuple(layers), targets, cost)


def _with_outputs(table, position, layer, current, shape, weight, bias, pad) -> LayerNet:
    if layer.activation.kind == "identity":
        out = table.new_tensor("activation", position, shape)
        delta = table.new_tensor("delta", position, shape)
        return LayerNet(position, layer, current, out, weight, bias, None, delta, None, pad)
    pre = table.new_tensor("pre_activation", position, shape)
    out = table.new_tensor("activation", position, shape)
    delta = table.new_tensor("delta", position, shape)
    adjoint = table.new_tensor("adjoint", position, shape)
    return LayerNet(position, layer, current, out, weight, bias, pre, delta, adjoint, pad)
