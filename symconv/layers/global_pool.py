"""``global_avg_pool2d``: the mean of each channel of a feature map (a ResNet's head before its
dense layer; PyTorch ``F.adaptive_avg_pool2d(x, 1)``).

Forward, 0-based: ``o[c, 0, 0] = (1/(H·W)) Σ_u Σ_v x[c, u, v]``. Every element is read once with
partial ``1/(H·W)``, so (Lin, Chen & Yan, *Network in Network*, 2014, §3.2; the linear rule of
average pooling with one window the size of the map)::

    ∂C/∂x[c, u, v] = (1/(H·W)) · ∂C/∂o[c, 0, 0]

Shapes: input ``(C, H, W)``, output ``(C, 1, 1)`` (flatten it for a dense layer), one example's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import sympy

from ..identities import ClosedForm
from ..indices import range_sum
from ..ops import Term, multilinear
from .base import (
    Context, Formulas, LayerKind, LayerNet, PrintContext, example_index, example_shape, feature_map,
)


@dataclass(frozen=True)
class GlobalAvgPool2d:
    """The mean of every channel: ``(C, H, W)`` → ``(C, 1, 1)``."""

    type: str = "global_avg_pool2d"


class GlobalAvgPool2dKind(LayerKind):
    """The ``global_avg_pool2d`` layer kind."""

    type = "global_avg_pool2d"
    keys = ("type",)
    spatial = 2

    def parse(self, table: Mapping[str, Any], where: str) -> GlobalAvgPool2d:
        return GlobalAvgPool2d()

    def output_shape(self, spec, in_shape, where):
        c, _, _ = feature_map(in_shape, spec.type, where)
        return (c, 1, 1)

    def estimate(self, spec, in_shape, out_shape) -> int:
        """One term per input element (each is read once)."""
        c, h, w = in_shape
        return c * h * w

    def example_definitions(self, layer: LayerNet, ctx: Context):
        c, h, w = layer.inputs.shape
        coeff = sympy.Rational(1, h * w)
        return [multilinear(o, [Term(coeff, None, layer.inputs.at(ch, u, v)) for u in range(h) for v in range(w)],
                            None, "average")
                for ch, o in enumerate(layer.out.symbols)]

    def example_closed_forms(self, layer: LayerNet, ctx: Context) -> list[ClosedForm]:
        """``∂C/∂x[c, u, v] = (1/(H·W)) ∂C/∂o[c]``."""
        c, h, w = layer.inputs.shape
        coeff = sympy.Rational(1, h * w)
        values = tuple(((layer.adjoint.symbols[ch], coeff),) for ch in range(c) for _ in range(h * w))
        return [ClosedForm("global_avg_input", "input", values)]

    def closed_parts(self, layer: LayerNet, kind: str, pc: PrintContext, source: int = 0) -> tuple[str, str]:
        if kind == "global_avg_input":
            _, h, w = example_shape(layer.inputs, layer.batch)
            role, at = pc.source(layer)
            up = pc.grad(pc.el(layer, "activation", layer.index, ["c", str(pc.base), str(pc.base)]))
            x = pc.el(layer, role, at, ["c", "u", "v"])
            return pc.grad(x), rf"\frac{{1}}{{{h * w}}} \, {up}"
        return super().closed_parts(layer, kind, pc, source)

    def formulas(self, layer: LayerNet, pc: PrintContext, source: int = 0) -> Formulas:
        b = pc.base
        _, h, w = example_shape(layer.inputs, layer.batch)
        role, at = pc.source(layer)
        o = pc.el(layer, "activation", layer.index, ["c", str(b), str(b)])
        x = pc.el(layer, role, at, ["c", "u", "v"])
        rhs = rf"\frac{{1}}{{{h * w}}} \, {pc.grad(o)}"
        return Formulas(forward=rf"{o} = \frac{{1}}{{{h * w}}} {range_sum('u', h, b)}{range_sum('v', w, b)} {x}",
                        input=rf"{pc.grad(x)} = {rhs}", input_rhs=rhs,
                        input_index=example_index(layer, pc, ("c", "u", "v")),
                        note="every element of a channel gets the same share of that channel's gradient.")


KIND = GlobalAvgPool2dKind()
