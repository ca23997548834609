"""``concat``: two or more tensors joined along the channel axis (a U-Net skip,
``inputs = ["up", "c1"]``).

Forward: output channels ``C_1 + C_2 + …``; ``o[c_0(p) + c, …] = x_p[c, …]`` with ``c_0(p)`` the
channels of the inputs before ``p`` (``torch.cat(dim=1)``). Each output is a copy of one input
element (partial 1), so ``∂C/∂x_p[c, …] = ∂C/∂o[c_0(p) + c, …]``: the input's own channels of
the output gradient. Shapes: inputs ``(C_p, H, W)`` (or ``(C_p, L)``, or vectors ``(n_p,)``
joined end to end) with equal spatial sizes, one example's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import sympy

from ..errors import SpecError
from ..identities import ClosedForm
from ..ops import Term, multilinear
from ..tensors import SymbolTable
from .base import (
    Context, Formulas, LayerKind, LayerNet, PrintContext, example_index, example_shape, example_tensor,
    general_index,
)


@dataclass(frozen=True)
class Concat:
    """Channel-wise concatenation of the layer's inputs (in ``inputs`` order)."""

    type: str = "concat"


def _offsets(layer: LayerNet) -> list[int]:
    """The first output channel of each input (0-based)."""
    offsets, total = [], 0
    for t in layer.sources:
        offsets.append(total)
        total += example_shape(t, layer.batch)[0]
    return offsets


class ConcatKind(LayerKind):
    """The ``concat`` layer kind."""

    type = "concat"
    keys = ("type",)
    min_inputs = 2
    max_inputs = None

    def parse(self, table: Mapping[str, Any], where: str) -> Concat:
        return Concat()

    def output_shape(self, spec: Concat, in_shape, where):
        return tuple(in_shape)

    def output_shape_of(self, spec: Concat, in_shapes, where, batch: int = 0):
        first = tuple(in_shapes[0])
        for p, shape in enumerate(in_shapes[1:], start=2):
            if len(shape) != len(first) or tuple(shape[1:]) != first[1:]:
                raise SpecError(f"{where}.inputs", "concat joins channels of equal spatial size; input 1 is "
                                f"{'x'.join(map(str, first))}, input {p} is {'x'.join(map(str, shape))}")
        return (sum(s[0] for s in in_shapes),) + first[1:]

    def estimate_of(self, spec: Concat, in_shapes, out_shape, batch: int = 0) -> int:
        """One term per output element."""
        return max(batch, 1) * math.prod(out_shape)

    def build(self, spec: Concat, position: int, sources, table: SymbolTable, where: str, batch: int = 0) -> LayerNet:
        shape = self.output_shape_of(spec, tuple(example_shape(t, batch) for t in sources), where)
        out = example_tensor(table, "activation", position, shape, batch)
        adjoint = example_tensor(table, "adjoint", position, shape, batch)
        return LayerNet(position, spec, sources[0], out, adjoint=adjoint, sources=tuple(sources), batch=batch)

    def example_definitions(self, layer: LayerNet, ctx: Context):
        one = sympy.S.One
        reads = [x for t in layer.sources for x in t.symbols]  # row-major: channels of input 1 first
        return [multilinear(o, [Term(one, None, x)], None, "concat") for o, x in zip(layer.out.symbols, reads)]

    def example_closed_forms(self, layer: LayerNet, ctx: Context) -> list[ClosedForm]:
        """``∂C/∂x_p[c, …] = ∂C/∂o[c_0(p) + c, …]``."""
        forms, start = [], 0
        for p, t in enumerate(layer.sources):
            values = tuple(((g, None),) for g in layer.adjoint.symbols[start:start + len(t)])
            forms.append(ClosedForm("concat_input", "input", values, source=p))
            start += len(t)
        return forms

    def closed_parts(self, layer: LayerNet, kind: str, pc: PrintContext, source: int = 0) -> tuple[str, str]:
        if kind == "concat_input":
            role, at = pc.source(layer, source)
            first = _offsets(layer)[source] + pc.base
            last = first + example_shape(layer.sources[source], layer.batch)[0] - 1
            up = pc.grad(pc.tensor(layer, "activation", layer.index))
            channels = f"c={first}" if first == last else rf"c={first},\dots,{last}"
            return pc.grad(pc.tensor(layer, role, at)), rf"\left.{up}\right|_{{{channels}}}"
        return super().closed_parts(layer, kind, pc, source)

    def formulas(self, layer: LayerNet, pc: PrintContext, source: int = 0) -> Formulas:
        shape = example_shape(layer.out, layer.batch)
        idx = general_index(shape)
        rest = list(idx[1:])

        def shifted(p):
            off = _offsets(layer)[p]
            return [f"c+{off}" if off else "c"] + rest

        forward = r",\quad ".join(
            f"{pc.el(layer, 'activation', layer.index, shifted(p))} = {pc.el(layer, *pc.source(layer, p), idx)}"
            for p in range(len(layer.sources)))
        x = pc.el(layer, *pc.source(layer, source), idx)
        up = pc.grad(pc.el(layer, "activation", layer.index, shifted(source)))
        return Formulas(forward=forward, input=f"{pc.grad(x)} = {up}", input_rhs=up,
                        input_index=example_index(layer, pc, idx),
                        forward_note="c counts the channels of each input from its first.")


KIND = ConcatKind()
