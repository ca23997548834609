"""``max_pool2d`` and ``avg_pool2d``: pooling over sliding windows, and the routing of δ.

Both kinds share this module: one window arithmetic (:func:`symconv.shapes.window_index`, no
dilation), one spec (:class:`Pool2d`), two rules.

* Average pooling is linear: ``o = (1/(kh·kw)) Σ window`` (padded zeros count, as PyTorch's
  ``count_include_pad=True``), so each read element's partial is ``1/(kh·kw)`` and
  ``∂C/∂x[c, u, v] = (1/(kh·kw)) Σ_{windows reading x} ∂C/∂o``.
* Max pooling ``o = max(window)`` (padding never wins: PyTorch pads with −∞) routes δ to the
  maximum: ``∂o/∂v_j = MaxRoute(j, rule, v_1, …, v_n)`` (:mod:`symconv.functions`), an exact 0/1
  (or 1/t) indicator. Ties follow a stated rule whose weights sum to 1: ``first`` (default,
  PyTorch) gives all of δ to the first maximum in row-major order; ``split`` shares it equally
  among the t tied maxima.

Shapes: input ``(C, H, W)``, output ``(C, H_out, W_out)``; ``stride`` defaults to the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import sympy

from ..dual import Kinks
from ..errors import SpecError
from ..fields import choice, pair
from ..functions import ROUTE_LATEX, TIE_CODES, MaxRoute
from ..indices import range_sum, window_geometry
from ..ops import Definition, Term, multilinear
from ..shapes import Padding, output_shape, parse_padding, taps
from ..tensors import SymbolTable
from .base import (
    Context, Formulas, LayerKind, LayerNet, PrintContext, example_index, feature_map,
)

TIE_RULES = tuple(TIE_CODES)


@dataclass(frozen=True)
class Pool2d:
    """Max or average pooling over windows; ``stride`` defaults to the kernel size.

    ``ties`` (max pooling): ``"first"`` routes δ to the first maximum in row-major order (PyTorch),
    ``"split"`` shares it equally among tied maxima. Average pooling counts padded zeros
    (PyTorch ``count_include_pad=True``).
    """

    type: str = "max_pool2d"
    kernel_size: tuple[int, int] = (2, 2)
    stride: tuple[int, int] = (2, 2)
    padding: Padding = Padding()
    ties: str = "first"


ROUTE_NAMES = {ties: ROUTE_LATEX[code] for ties, code in TIE_CODES.items()}
"""The printed name of max pooling's routing factor under each tie rule."""


def route_meaning(route: str, ties: str, math: bool = True) -> str:
    """What the routing factor of max pooling is: a sentence with inline math (``math``), or the
    plain-text meaning alone (for the legend, whose text is escaped)."""
    x, o, t = ("$x$", "$o$", "$t$") if math else ("x", "o", "t")
    if ties == "first":
        rule = f"1 when {x} is the first maximum, in row-major order, of the window that {o} pools, else 0"
    else:
        rule = f"1/{t} when {x} is one of the {t} tied maxima of the window that {o} pools, else 0"
    return rf"${route}\left(x \to o\right)$ is {rule}" if math else rule


def windows(layer: LayerNet) -> list[list[sympy.Symbol]]:
    """For each output in row-major ``(c, i, j)`` order, the input symbols its window reads
    (row-major; reads of the padding left out)."""
    spec = layer.spec
    c_in, h, w = layer.inputs.shape
    (top, _), (left, _) = layer.pad
    _, oh, ow = layer.out.shape
    rows = taps(oh, spec.kernel_size[0], spec.stride[0], 1, top, h)
    cols = taps(ow, spec.kernel_size[1], spec.stride[1], 1, left, w)
    return [[layer.inputs.at(c, u, v) for _, u in row for _, v in col]
            for c in range(c_in) for row in rows for col in cols]


class Pool2dKind(LayerKind):
    """``max_pool2d`` (``average=False``) or ``avg_pool2d`` (``average=True``)."""

    keys = ("type", "kernel_size", "stride", "padding", "ties")
    spatial = 2

    def __init__(self, type_name: str, average: bool):
        self.type = type_name
        self.average = average

    def parse(self, table: Mapping[str, Any], where: str) -> Pool2d:
        kernel = pair(table.get("kernel_size", 2), f"{where}.kernel_size")
        padding = parse_padding(table.get("padding", 0), f"{where}.padding")
        if padding.mode != "explicit":
            raise SpecError(f"{where}.padding", "pooling takes integer padding, not a mode word")
        (top, bottom), (left, right) = padding.amounts
        if max(top, bottom) * 2 > kernel[0] or max(left, right) * 2 > kernel[1]:
            raise SpecError(f"{where}.padding", "must be at most half the kernel size (as in PyTorch)")
        if "ties" in table and self.average:
            raise SpecError(f"{where}.ties", "only applies to max_pool2d")
        return Pool2d(
            type=self.type,
            kernel_size=kernel,
            stride=pair(table.get("stride", list(kernel)), f"{where}.stride"),
            padding=padding,
            ties=choice(table.get("ties", "first"), TIE_RULES, f"{where}.ties"),
        )

    def output_shape(self, spec: Pool2d, in_shape, where):
        c_in, h, w = feature_map(in_shape, spec.type, where)
        return (c_in,) + output_shape((h, w), spec.kernel_size, spec.stride, spec.padding.amounts, (1, 1), where)

    def estimate(self, spec: Pool2d, in_shape, out_shape) -> int:
        """One term per window element."""
        c, oh, ow = out_shape
        return c * oh * ow * spec.kernel_size[0] * spec.kernel_size[1]

    def build(self, spec: Pool2d, position: int, sources, table: SymbolTable, where: str, batch: int = 0) -> LayerNet:
        return self.map_layer(spec, position, sources, table, where, batch, pad=spec.padding.amounts)

    def example_definitions(self, layer: LayerNet, ctx: Context) -> list[Definition]:
        spec = layer.spec
        defs = []
        if self.average:
            coeff = sympy.Rational(1, spec.kernel_size[0] * spec.kernel_size[1])
            for o, window in zip(layer.out.symbols, windows(layer)):
                defs.append(multilinear(o, [Term(coeff, None, v) for v in window], None, "average"))
            return defs
        rule = sympy.Integer(TIE_CODES[spec.ties])
        for o, window in zip(layer.out.symbols, windows(layer)):
            if len(window) == 1:
                defs.append(Definition(o, window[0], ((window[0], sympy.Integer(1)),), "max"))
                continue
            partials = tuple((v, MaxRoute(sympy.Integer(k), rule, *window)) for k, v in enumerate(window))
            defs.append(Definition(o, sympy.Max(*window), partials, "max"))
        return defs

    def kinks(self, layer: LayerNet) -> dict:
        """Max pooling: at tied maxima the spec's tie rule, with the window's row-major order."""
        if self.average:
            return {}
        position = {s: k for k, s in enumerate(layer.inputs.symbols)}
        rule = Kinks(ties=layer.spec.ties, order=position.__getitem__)
        return dict.fromkeys(layer.out.symbols, rule)

    def summary(self, layer: LayerNet) -> dict:
        spec = layer.spec
        info = super().summary(layer) | dict(kernel=spec.kernel_size, stride=spec.stride, padding=layer.pad)
        if not self.average:
            info.update(ties=spec.ties)
        return info

    def formulas(self, layer: LayerNet, pc: PrintContext, source: int = 0) -> Formulas:
        b = pc.base
        spec: Pool2d = layer.spec
        li = layer.index
        pi, pj = pc.pos
        in_role, in_layer = pc.source(layer)
        kh, kw = spec.kernel_size
        u, v, ri, rj = window_geometry(spec.kernel_size, spec.stride, (1, 1), layer.pad, b, False, (pi, pj))
        x = pc.el(layer, in_role, in_layer, ["c", u, v])
        o = pc.el(layer, "activation", li, ["c", pi, pj])
        sums = rf"{range_sum('m', kh, b)}{range_sum('n', kw, b)}"
        xin = pc.el(layer, in_role, in_layer, ["c", "u", "v"])
        up = pc.grad(pc.el(layer, "activation", li, ["c", ri, rj]))
        if self.average:
            forward = rf"{o} = \frac{{1}}{{{kh * kw}}} {sums} {x}"
            input_rhs = rf"\frac{{1}}{{{kh * kw}}} {sums} {up}"
            route_note = ""
        else:
            window = rf"{b} \le m \le {kh - 1 + b},\ {b} \le n \le {kw - 1 + b}"
            forward = rf"{o} = \max_{{{window}}} {x}"
            route = ROUTE_NAMES[spec.ties]
            pooled = pc.el(layer, "activation", li, ["c", ri, rj])
            input_rhs = rf"{sums} {up} \, {route}\left({xin} \to {pooled}\right)"
            route_note = f"; {route_meaning(route, spec.ties)}"
        reach = ("only the terms whose output index is an integer in range count" if spec.stride != (1, 1)
                 else "a term whose output index is out of range is 0")
        return Formulas(forward=forward, input=rf"{pc.grad(xin)} = " + input_rhs, input_rhs=input_rhs,
                        input_index=example_index(layer, pc, ("c", "u", "v")), note=reach + route_note + ".")

    def legend(self, layer: LayerNet, pc: PrintContext) -> list[tuple[str, str]]:
        if self.average:
            return []
        route = ROUTE_NAMES[layer.spec.ties]
        return [(rf"{route}\left(x \to o\right)", route_meaning(route, layer.spec.ties, math=False))]


MAX = Pool2dKind("max_pool2d", average=False)
AVG = Pool2dKind("avg_pool2d", average=True)
