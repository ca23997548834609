"""``upsample_nearest2d``: nearest-neighbour upsampling by an integer ``scale_factor`` (PyTorch
``F.interpolate(x, scale_factor=s, mode="nearest")``).

Forward, 0-based: ``o[c, i, j] = x[c, ⌊i/s_h⌋, ⌊j/s_w⌋]`` with output ``(C, s_h·H, s_w·W)``: each
input element is copied to an ``s_h × s_w`` block. Every copy has partial 1, so the gradient of
an input element is the sum of the output gradient over its block (the transpose of the copy;
Odena, Dumoulin & Olah, *Deconvolution and Checkerboard Artifacts*, 2016, on resize-convolution)::

    ∂C/∂x[c, u, v] = Σ_{a < s_h} Σ_{b < s_w} ∂C/∂o[c, s_h·u + a, s_w·v + b]

Shapes: input ``(C, H, W)``, output ``(C, s_h·H, s_w·W)``, one example's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import sympy

from ..identities import ClosedForm
from ..fields import pair
from ..indices import range_sum
from ..ops import Term, multilinear
from .base import (
    Context, Formulas, LayerKind, LayerNet, PrintContext, example_index, feature_map,
)


@dataclass(frozen=True)
class UpsampleNearest2d:
    """Nearest-neighbour upsampling by ``scale_factor`` ``(s_h, s_w)`` (integers)."""

    scale_factor: tuple[int, int] = (2, 2)
    type: str = "upsample_nearest2d"


class UpsampleNearest2dKind(LayerKind):
    """The ``upsample_nearest2d`` layer kind."""

    type = "upsample_nearest2d"
    keys = ("type", "scale_factor")
    spatial = 2

    def parse(self, table: Mapping[str, Any], where: str) -> UpsampleNearest2d:
        return UpsampleNearest2d(scale_factor=pair(table.get("scale_factor", 2), f"{where}.scale_factor"))

    def output_shape(self, spec: UpsampleNearest2d, in_shape, where):
        c, h, w = feature_map(in_shape, spec.type, where)
        return (c, h * spec.scale_factor[0], w * spec.scale_factor[1])

    def estimate(self, spec, in_shape, out_shape) -> int:
        """One term per output element (each copies one input element)."""
        c, oh, ow = out_shape
        return c * oh * ow

    def example_definitions(self, layer: LayerNet, ctx: Context):
        sh, sw = layer.spec.scale_factor
        c, oh, ow = layer.out.shape
        one = sympy.S.One
        return [multilinear(layer.out.at(ch, i, j), [Term(one, None, layer.inputs.at(ch, i // sh, j // sw))],
                            None, "upsample")
                for ch in range(c) for i in range(oh) for j in range(ow)]

    def example_closed_forms(self, layer: LayerNet, ctx: Context) -> list[ClosedForm]:
        """``∂C/∂x[c, u, v] = Σ_{a,b} ∂C/∂o[c, s_h·u + a, s_w·v + b]``."""
        sh, sw = layer.spec.scale_factor
        c, h, w = layer.inputs.shape
        values = tuple(tuple((layer.adjoint.at(ch, sh * u + a, sw * v + b), None)
                             for a in range(sh) for b in range(sw))
                       for ch in range(c) for u in range(h) for v in range(w))
        return [ClosedForm("upsample_input", "input", values)]

    def summary(self, layer: LayerNet) -> dict:
        return super().summary(layer) | {"scale factor": layer.spec.scale_factor}

    def _block(self, layer: LayerNet, pc: PrintContext) -> tuple[str, str, str]:
        """The output gradient over input (u, v)'s block, and the two sums over it."""
        b = pc.base
        sh, sw = layer.spec.scale_factor
        row = f"{sh}u+m" if b == 0 else f"{sh}(u-1)+m"
        col = f"{sw}v+n" if b == 0 else f"{sw}(v-1)+n"
        if sh == 1:
            row = "u"
        if sw == 1:
            col = "v"
        up = pc.grad(pc.el(layer, "activation", layer.index, ["c", row, col]))
        sums = (range_sum("m", sh, b) if sh > 1 else "") + (range_sum("n", sw, b) if sw > 1 else "")
        return up, sums, f"{row}, {col}"

    def closed_parts(self, layer: LayerNet, kind: str, pc: PrintContext, source: int = 0) -> tuple[str, str]:
        if kind == "upsample_input":
            role, at = pc.source(layer)
            up, sums, _ = self._block(layer, pc)
            return pc.grad(pc.el(layer, role, at, ["c", "u", "v"])), f"{sums} {up}".strip()
        return super().closed_parts(layer, kind, pc, source)

    def formulas(self, layer: LayerNet, pc: PrintContext, source: int = 0) -> Formulas:
        b = pc.base
        sh, sw = layer.spec.scale_factor
        pi, pj = pc.pos
        role, at = pc.source(layer)

        def src(var, s):
            if s == 1:
                return var
            return rf"\lfloor {var}/{s} \rfloor" if b == 0 else rf"\lfloor ({var}-1)/{s} \rfloor+1"

        o = pc.el(layer, "activation", layer.index, ["c", pi, pj])
        x = pc.el(layer, role, at, ["c", src(pi, sh), src(pj, sw)])
        xin = pc.el(layer, role, at, ["c", "u", "v"])
        up, sums, _ = self._block(layer, pc)
        rhs = f"{sums} {up}".strip()
        return Formulas(forward=f"{o} = {x}", input=f"{pc.grad(xin)} = {rhs}", input_rhs=rhs,
                        input_index=example_index(layer, pc, ("c", "u", "v")),
                        note=f"the sums run over the {sh}x{sw} block of outputs that copy the element.")


KIND = UpsampleNearest2dKind()
