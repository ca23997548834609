"""From a spec to a network: every layer's shapes and symbolic tensors, validated.

Each layer is built by its kind (:mod:`symconv.layers`); shapes are 0-based internally and given
as ``(C, H, W)`` for feature maps, ``(C_out, C_in/groups, kh, kw)`` for kernels, ``(C_out,)``
for biases, ``(n,)`` for vectors. A shape error raises :class:`~symconv.errors.SpecError` naming
the layer's key.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import SpecError
from .gcpause import gc_paused
from .layers import LayerNet, kind_of
from .notation import Namer
from .spec import Spec
from .tensors import SymbolTable, SymTensor

__all__ = ["LayerNet", "Network", "build_network"]


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
    """Create all symbols and check every layer's shapes (each layer by its kind).

    Raises :class:`SpecError` for: a kernel larger than the padded input, input channels not
    divisible by ``groups``, a dense layer reading a feature map (flatten first), pooling or
    convolution after flatten, a network with no parameters, a cross-entropy cost on one output,
    and colliding symbol names.
    """
    table = SymbolTable(Namer(spec.notation))
    x = table.new_tensor("input", 0, spec.input_shape)
    current = x
    layers: list[LayerNet] = []
    for position, layer in enumerate(spec.layers, start=1):
        layers.append(kind_of(layer).build(layer, position, current, table, f"layers[{position}]"))
        current = layers[-1].out
    if all(kind_of(layer).reshape_only for layer in spec.layers):
        only = ", ".join(sorted({layer.type for layer in spec.layers}))
        raise SpecError("layers", f"a network of only {only} has no parameters; add a layer with weights")
    if spec.cost.type == "cross_entropy" and len(current) < 2:
        raise SpecError(
            "cost.type",
            "cross_entropy needs at least 2 outputs (the softmax of one output is 1, so every "
            "gradient would be 0); use bce for a single output",
        )
    targets = table.new_tensor("target", None, (len(current),))
    cost = table.scalar("cost")
    return Network(spec, table, x, tuple(layers), targets, cost)
