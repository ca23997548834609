"""``add``: the element-wise sum of two or more tensors of one shape (a residual connection,
``inputs = ["c2", "input"]``), then an optional activation.

Forward: ``z = x_1 + x_2 + …`` element by element, ``o = f(z)``. Each summand's partial is 1, so
the gradient of every input is the layer's δ itself (He et al., *Deep Residual Learning*, 2016:
the identity shortcut passes the gradient unchanged); a tensor that is also read elsewhere (the
block's input) gets the sum of both paths. Shapes: every input and the output ``(C, H, W)``,
``(C, L)`` or ``(n,)``, one example's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import sympy

from ..activations import ACTIVATION_KEYS, Activation, parse_activation
from ..errors import SpecError
from ..identities import ClosedForm
from ..ops import Term
from ..tensors import SymbolTable
from .base import (
    Context, Formulas, LayerKind, LayerNet, PrintContext, activated_outputs, example_index, example_shape,
    general_index, linear_then_activation,
)


@dataclass(frozen=True)
class Add:
    """The element-wise sum of the layer's inputs, then ``activation``."""

    activation: Activation = Activation()
    type: str = "add"


class AddKind(LayerKind):
    """The ``add`` layer kind."""

    type = "add"
    keys = ("type",) + ACTIVATION_KEYS
    min_inputs = 2
    max_inputs = None

    def parse(self, table: Mapping[str, Any], where: str) -> Add:
        return Add(activation=parse_activation(table, where))

    def output_shape(self, spec: Add, in_shape, where):
        return tuple(in_shape)

    def output_shape_of(self, spec: Add, in_shapes, where, batch: int = 0):
        first = tuple(in_shapes[0])
        for p, shape in enumerate(in_shapes[1:], start=2):
            if tuple(shape) != first:
                raise SpecError(f"{where}.inputs", f"add needs inputs of one shape; input 1 is "
                                f"{'x'.join(map(str, first))}, input {p} is {'x'.join(map(str, shape))}")
        return first

    def estimate_of(self, spec: Add, in_shapes, out_shape, batch: int = 0) -> int:
        """One term per summand of every output element."""
        return max(batch, 1) * math.prod(out_shape) * len(in_shapes)

    def build(self, spec: Add, position: int, sources, table: SymbolTable, where: str, batch: int = 0) -> LayerNet:
        shape = self.output_shape_of(spec, tuple(example_shape(t, batch) for t in sources), where)
        return activated_outputs(table, position, spec, sources[0], shape, None, None, None, batch, tuple(sources))

    def example_definitions(self, layer: LayerNet, ctx: Context):
        one = sympy.S.One
        terms = [[Term(one, None, src.symbols[k]) for src in layer.sources] for k in range(len(layer.carrier))]
        return linear_then_activation(layer, terms, [None] * len(terms), "add")

    def example_closed_forms(self, layer: LayerNet, ctx: Context) -> list[ClosedForm]:
        """``∂C/∂x_p = δ`` for every input ``p``."""
        values = tuple(((d, None),) for d in layer.delta.symbols)
        return [ClosedForm("add_input", "input", values, source=p) for p in range(len(layer.sources))]

    def summary(self, layer: LayerNet) -> dict:
        return super().summary(layer) | dict(activation=layer.spec.activation.kind)

    def closed_parts(self, layer: LayerNet, kind: str, pc: PrintContext, source: int = 0) -> tuple[str, str]:
        if kind == "add_input":
            role, at = pc.source(layer, source)
            return pc.grad(pc.tensor(layer, role, at)), pc.tensor(layer, "delta", layer.index)
        return super().closed_parts(layer, kind, pc, source)

    def formulas(self, layer: LayerNet, pc: PrintContext, source: int = 0) -> Formulas:
        idx = general_index(example_shape(layer.out, layer.batch))
        carrier_role = "pre_activation" if layer.pre is not None else "activation"
        z = pc.el(layer, carrier_role, layer.index, idx)
        summands = " + ".join(pc.el(layer, *pc.source(layer, p), idx) for p in range(len(layer.sources)))
        x = pc.el(layer, *pc.source(layer, source), idx)
        d = pc.el(layer, "delta", layer.index, idx)
        return Formulas(forward=f"{z} = {summands}", input=f"{pc.grad(x)} = {d}", input_rhs=d,
                        input_index=example_index(layer, pc, idx))


KIND = AddKind()
