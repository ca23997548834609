"""``flatten``: reshape a feature map ``(C, H, W)`` to a vector ``(C·H·W,)`` in row-major order
(each example's own, in a batch).

No new symbols and no definitions: the vector's elements are the feature map's own symbols,
so the gradient with respect to them is the previous layer's output gradient.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy

from ..indices import ix
from ..tensors import SymbolTable, SymTensor
from .base import LayerKind, LayerNet, PrintContext, example_shape


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


    def reshape(self, layer: LayerNet, pc: PrintContext) -> dict:
        """Element ``position`` of the vector is ``element`` of the feature map: the 1-based
        row-major position ``k`` (seed style: the map's own flat index), or, with grid indices
        ``(c, u, v)`` from base b, ``(c − b)·H·W + (u − b)·W + (v − b) + b``."""
        shape = example_shape(layer.inputs, layer.batch)
        role, at = pc.source(layer)
        names = ["c", "u", "v"][:len(shape)] if len(shape) <= 3 else [f"x{k}" for k in range(len(shape))]
        if pc.namer.style == "seed":
            position, element = "k", pc.el(layer, role, at, ["k"])
        else:
            b = pc.base
            variables = sympy.symbols(names)
            flat = sum((v - b) * math.prod(shape[k + 1:]) for k, v in enumerate(variables)) + b
            position, element = ix(flat), pc.el(layer, role, at, names)
        if layer.batch:
            position = f"{pc.example}, {position}"
        return {"source": pc.tensor(layer, role, at), "shape": "x".join(map(str, shape)),
                "size": math.prod(shape), "position": position, "element": element}


KIND = FlattenKind()
