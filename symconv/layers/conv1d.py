"""``conv1d``: 1-D cross-correlation (or true convolution) of a signal ``(C, L)``, with channels,
groups, stride, padding, dilation, bias and an activation (PyTorch ``conv1d``).

Forward, 0-based::

    z[o, i] = b[o] + Σ_c Σ_m W[o, c, m] · ã[g·C_g + c, s·i + d·m],   a = f(z)

A signal of length L is a feature map of height 1, and a kernel of size k one of height 1: the
1-D layer *is* the 2-D one on ``(C, 1, L)`` with the kernel ``(1, k)``, stride ``(1, s)``,
padding ``((0, 0), (before, after))`` and dilation ``(1, d)``. So this kind states only what
differs (its spec fields, its shapes, its printed index formulas with one spatial index) and
computes its definitions, closed forms and mistaken forms with :mod:`.conv2d`'s on a height-1
view of the layer (the same symbols). The closed forms are therefore conv2d's read along one
axis (Goodfellow, Bengio & Courville, *Deep Learning*, §9.5; Dumoulin & Visin 2016):

* weight: ``∂C/∂W[o, c, m] = (ã ⋆ δ̂[o])[d·m]``;
* input: ``∂C/∂a[c] = crop(Σ_o δ̂[o] ⋆_full rot180(W_d[o, c]))`` (δ̂: δ with ``s − 1`` zeros
  between entries; ``W_d``: the kernel dilated by ``d``);
* bias: ``∂C/∂b[o] = Σ_i δ[o, i]``.

The kernel is indexed ``[c_out, c_in/groups, k]`` (PyTorch's layout).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from ..activations import ACTIVATION_KEYS, Activation
from ..fields import whole
from ..shapes import Padding, output_shape, parse_padding_1d, resolve_padding
from ..tensors import SymbolTable, SymTensor
from .base import Context, LayerNet, PrintContext, activated_outputs, bias_parts, example_shape, signal
from .conv2d import Conv2d, Conv2dKind, channel_fields, check_groups, refuse_same_with_stride


@dataclass(frozen=True)
class Conv1d:
    """A 1-D cross-correlation layer (or true convolution under ``convention = "convolution"``).

    Shapes: input ``(C_in, L)``, kernel ``(out_channels, C_in/groups, k)``, bias
    ``(out_channels,)``, output ``(out_channels, L_out)``. ``padding`` keeps the height axis
    unpadded: its width amounts are ``(before, after)``.
    """

    out_channels: int = 1
    kernel_size: int = 2
    stride: int = 1
    padding: Padding = Padding()
    dilation: int = 1
    groups: int = 1
    bias: bool = False
    activation: Activation = Activation()
    type: str = "conv1d"

    def as_2d(self) -> Conv2d:
        """The same layer as a 2-D convolution of a height-1 feature map."""
        return Conv2d(out_channels=self.out_channels, kernel_size=(1, self.kernel_size), stride=(1, self.stride),
                      padding=self.padding, dilation=(1, self.dilation), groups=self.groups, bias=self.bias,
                      activation=self.activation)


def _tall(t: SymTensor | None, at: int) -> SymTensor | None:
    """``t`` with an axis of size 1 inserted before axis ``at`` (the same symbols)."""
    if t is None:
        return None
    return SymTensor(t.role, t.layer, t.shape[:at] + (1,) + t.shape[at:], t.symbols)


def view_2d(layer: LayerNet) -> LayerNet:
    """A (per-example, unbatched) conv1d layer as the conv2d layer of a height-1 map: signals
    ``(C, L)`` → ``(C, 1, L)``, the kernel ``(O, C_g, k)`` → ``(O, C_g, 1, k)``."""
    fmap = lambda t: _tall(t, 1)  # noqa: E731
    return replace(
        layer, spec=layer.spec.as_2d(), inputs=fmap(layer.inputs), out=fmap(layer.out), pre=fmap(layer.pre),
        delta=fmap(layer.delta), adjoint=fmap(layer.adjoint), sources=tuple(fmap(t) for t in layer.sources),
        weight=_tall(layer.weight, 2),
    )


class Conv1dKind(Conv2dKind):
    """The ``conv1d`` layer kind (see the module docstring): conv2d's rules on a height-1 view."""

    type = "conv1d"
    spatial = 1
    keys = ("type", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias") + ACTIVATION_KEYS

    def parse(self, table: Mapping[str, Any], where: str) -> Conv1d:
        stride = whole(table.get("stride", 1), f"{where}.stride")
        padding = parse_padding_1d(table.get("padding", 0), f"{where}.padding")
        refuse_same_with_stride(padding, (stride,), where)
        return Conv1d(
            kernel_size=whole(table.get("kernel_size", 2), f"{where}.kernel_size"),
            stride=stride,
            padding=padding,
            dilation=whole(table.get("dilation", 1), f"{where}.dilation"),
            **channel_fields(table, where),
        )

    def output_shape(self, spec: Conv1d, in_shape, where):
        c_in, length = signal(in_shape, spec.type, where)
        check_groups(c_in, spec.groups, where)
        pad = _pad(spec)[1]
        return (spec.out_channels,) + output_shape((length,), (spec.kernel_size,), (spec.stride,), (pad,),
                                                   (spec.dilation,), where)

    def estimate(self, spec: Conv1d, in_shape, out_shape) -> int:
        return super().estimate(spec.as_2d(), (in_shape[0], 1, in_shape[1]), (out_shape[0], 1, out_shape[1]))

    def parameters(self, spec: Conv1d, in_shape, out_shape) -> int:
        """The kernel ``(C_out, C_in/groups, k)`` and the bias: conv2d's count of the 1-row view."""
        return super().parameters(spec.as_2d(), (in_shape[0], 1, in_shape[1]), (out_shape[0], 1, out_shape[1]))

    def build(self, spec: Conv1d, position: int, sources, table: SymbolTable, where: str, batch: int = 0) -> LayerNet:
        inputs = sources[0]
        in_shape = example_shape(inputs, batch)
        shape = self.output_shape(spec, in_shape, where)
        weight = table.new_tensor("weight", position, (spec.out_channels, in_shape[0] // spec.groups, spec.kernel_size))
        bias = table.new_tensor("bias", position, (spec.out_channels,)) if spec.bias else None
        return activated_outputs(table, position, spec, inputs, shape, weight, bias, _pad(spec), batch)

    def example_definitions(self, layer: LayerNet, ctx: Context):
        return super().example_definitions(view_2d(layer), ctx)

    def example_closed_forms(self, layer: LayerNet, ctx: Context):
        """conv2d's weight, input and bias closed forms of the height-1 view (flat order is kept)."""
        return super().example_closed_forms(view_2d(layer), ctx)

    def example_mistaken_partials(self, layer: LayerNet, mode: str, ctx: Context):
        return super().example_mistaken_partials(view_2d(layer), mode, ctx)

    def summary(self, layer: LayerNet) -> dict:
        spec = layer.spec
        return super(Conv2dKind, self).summary(layer) | dict(
            kernel=spec.kernel_size, stride=spec.stride, padding=layer.pad[1], dilation=spec.dilation,
            groups=spec.groups, bias=spec.bias, activation=spec.activation.kind)

    def geometry(self, layer: LayerNet):
        spec = layer.spec
        return (spec.kernel_size,), (spec.stride,), (spec.dilation,), (layer.pad[1],)

    def closed_parts(self, layer: LayerNet, kind: str, pc: PrintContext, source: int = 0) -> tuple[str, str]:
        if kind == "bias":
            return bias_parts(layer, pc, pc.pos[:1])
        return super().closed_parts(layer, kind, pc, source)


def _pad(spec: Conv1d):
    """The resolved padding of the height-1 view: ``((0, 0), (before, after))``."""
    return resolve_padding(spec.padding, (1, spec.kernel_size), (1, spec.dilation))


KIND = Conv1dKind()
