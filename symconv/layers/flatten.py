"""``flatten``: reshape a feature map ``(C, H, W)`` to a vector ``(C·H·W,)`` in row-major order
(each example's own, in a batch).

No new symbols and no definitions: the vector's elements are the feature map's own symbols,
so the gradient with respect to them is the previous layer's output gradient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..tensors import SymbolTable, SymTensor
from .base import LayerKind, LayerNet, example_shape


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

    def build(self, spec, position: int, sources, table: SymbolTable, where: str, batch: int = 0) -> LayerNet:
        inputs = sources[0]
        shape = ((batch,) if batch else ()) + self.output_shape(spec, example_shape(inputs, batch), where)
        flat = SymTensor(inputs.role, inputs.layer, shape, inputs.symbols)
        return LayerNet(position, spec, inputs, flat, batch=batch)


KIND = FlattenKind()
