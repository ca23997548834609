"""``flatten``: reshape a feature map ``(C, H, W)`` to a vector ``(C·H·W,)`` in row-major order.

No new symbols and no definitions: the vector's elements are the feature map's own symbols,
so the gradient with respect to them is the previous layer's output gradient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..tensors import SymbolTable, SymTensor
from .base import LayerKind, LayerNet


@dataclass(frozen=True)
class Flatten:
    """Reshape ``(C, H, W)`` to ``(C·H·W,)`` in row-major order; no new symbols."""

    type: str = "flatten"


class FlattenKind(LayerKind):
    """The ``flatten`` layer kind."""

    type = "flatten"
    keys = ("type",)
    reshape_only = True

    def parse(self, table, where) -> Flatten:
        return Flatten()

    def output_shape(self, spec, in_shape, where):
        return (math.prod(in_shape),)

    def build(self, spec, position: int, inputs: SymTensor, table: SymbolTable, where: str) -> LayerNet:
        flat = SymTensor(inputs.role, inputs.layer, (len(inputs),), inputs.symbols)
        return LayerNet(position, spec, inputs, flat)


KIND = FlattenKind()
