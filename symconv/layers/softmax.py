"""``softmax``: the softmax over the features of each example (every element of its tensor, in
row-major order; PyTorch ``F.softmax(x.reshape(N, -1), dim=1)`` reshaped back).

Forward, for the elements ``k`` of one example: ``o_k = exp(x_k) / Σ_j exp(x_j)``. Local
partials (the softmax Jacobian; Bishop, *Pattern Recognition and Machine Learning*, 2006,
eq. 4.106), written in the outputs themselves::

    ∂o_k/∂x_j = o_k (1[k = j] − o_j)

so every output reads every input of its example, and the input gradient has the closed form
(the Jacobian-vector product ``diag(o) − o oᵀ`` applied to ``∂C/∂o``)::

    ∂C/∂x_j = o_j · (∂C/∂o_j − Σ_k o_k ∂C/∂o_k)

Shapes: input and output of one example alike, ``(C, H, W)``, ``(C, L)`` or ``(n,)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import sympy

from ..identities import ClosedForm
from ..ops import Definition
from .base import (
    Context, Formulas, LayerKind, LayerNet, PrintContext, example_index, example_shape, general_index,
)


@dataclass(frozen=True)
class Softmax:
    """The softmax over every element of one example."""

    type: str = "softmax"


class SoftmaxKind(LayerKind):
    """The ``softmax`` layer kind."""

    type = "softmax"
    keys = ("type",)

    def parse(self, table: Mapping[str, Any], where: str) -> Softmax:
        return Softmax()

    def output_shape(self, spec, in_shape, where):
        return tuple(in_shape)

    def estimate(self, spec, in_shape, out_shape) -> int:
        """Every output reads every input of its example: n² terms for n features."""
        n = math.prod(in_shape)
        return n * n

    def example_definitions(self, layer: LayerNet, ctx: Context) -> list[Definition]:
        xs, os_ = layer.inputs.symbols, layer.out.symbols
        total = sympy.Add(*[sympy.exp(x) for x in xs])
        defs = []
        for k, (o, x) in enumerate(zip(os_, xs)):
            partials = tuple((xj, o * (1 - o) if j == k else -o * os_[j]) for j, xj in enumerate(xs))
            defs.append(Definition(o, sympy.exp(x) / total, partials, "softmax"))
        return defs

    def example_closed_forms(self, layer: LayerNet, ctx: Context) -> list[ClosedForm]:
        """``∂C/∂x_j = o_j ∂C/∂o_j − Σ_k o_j o_k ∂C/∂o_k``."""
        os_, ups = layer.out.symbols, layer.adjoint.symbols
        values = tuple(((o, up),) + tuple((-o * ok, uk) for ok, uk in zip(os_, ups))
                       for o, up in zip(os_, ups))
        return [ClosedForm("softmax_input", "input", values)]

    def closed_parts(self, layer: LayerNet, kind: str, pc: PrintContext, source: int = 0) -> tuple[str, str]:
        if kind == "softmax_input":
            role, at = pc.source(layer)
            o = pc.tensor(layer, "activation", layer.index)
            up = pc.grad(o)
            return (pc.grad(pc.tensor(layer, role, at)),
                    rf"{o} \odot \left({up} - \left(({o})^{{\top}} {up}\right) \mathbf{{1}}\right)")
        return super().closed_parts(layer, kind, pc, source)

    def formulas(self, layer: LayerNet, pc: PrintContext, source: int = 0) -> Formulas:
        idx = general_index(example_shape(layer.out, layer.batch))
        other = tuple(v + "'" for v in idx)
        role, at = pc.source(layer)
        li = layer.index
        o, x = pc.el(layer, "activation", li, idx), pc.el(layer, role, at, idx)
        o2, x2 = pc.el(layer, "activation", li, other), pc.el(layer, role, at, other)
        over = rf"\sum_{{{','.join(other)}}}"
        rhs = rf"{o} \left({pc.grad(o)} - {over} {o2} \, {pc.grad(o2)}\right)"
        return Formulas(
            forward=rf"{o} = \frac{{\exp {x}}}{{{over} \exp {x2}}}",
            input=f"{pc.grad(x)} = {rhs}", input_rhs=rhs, input_index=example_index(layer, pc, idx),
            note="the sum runs over every element of the example.",
            forward_note="the sum runs over every element of the example.",
        )


KIND = SoftmaxKind()
