"""``conv2d``: 2-D cross-correlation (or true convolution), with channels, groups, stride, padding,
dilation, bias and an activation — everything symconv knows about this kind of layer.

Forward (deep-learning convention, cross-correlation; Goodfellow, Bengio & Courville, *Deep
Learning*, §9.5, eq. 9.7; PyTorch ``conv2d``), 0-based::

    z[o, i, j] = b[o] + Σ_c Σ_m Σ_n W[o, c, m, n] · ã[g·C_g + c, s·i + d·m, s·j + d·n],   a = f(z)

with ``ã`` the zero-padded input, ``g`` the group of output channel ``o`` and ``C_g`` the input
channels per group; under ``convention = "convolution"`` the kernel is flipped,
``W[o, c, kh − 1 − m, kw − 1 − n]`` (Theano's ``filter_flip``).

Gradients in closed form (§9.5, eqs 9.11–9.13; Dumoulin & Visin, *A guide to convolution
arithmetic for deep learning*, 2016; JAX ``lax.conv_general_dilated`` transpose rules), with δ
``(C_out, H_out, W_out)``:

* weight: ``∂C/∂W[o, c, m, n] = (ã ⋆ δ̂[o])[d·m, d·n]``, the cross-correlation of the zero-padded
  input (channel ``c`` of ``o``'s group) with δ zero-inserted by ``s − 1`` zeros (δ̂), read at the
  dilation's step; under the convolution convention the result is rotated by 180°;
* input: ``∂C/∂a[c] = crop(Σ_o full(δ̂[o], rot180(W_d[o, c])))``, the full cross-correlation of
  δ̂ with the 180°-rotated dilated kernel ``W_d`` (the full convolution of δ̂ with ``W_d``),
  cropped by the padding; rows no window reads get 0. Under the convolution convention the
  forward kernel is already flipped, so the rotation disappears;
* bias: ``∂C/∂b[o] = Σ_{i,j} δ[o, i, j]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import sympy

from ..activations import ACTIVATION_KEYS, Activation, parse_activation
from ..errors import SpecError
from ..fields import flag, pair, whole
from ..identities import OPERATOR_NOTATION, ClosedForm, correlate, grid2, pad2, rot180, zero_insert
from ..indices import range_sum, window_geometry
from ..ops import Term
from ..shapes import Pad2, Padding, output_shape, parse_padding, resolve_padding, taps
from ..tensors import SymbolTable, SymTensor
from .base import (
    Context, Formulas, LayerKind, LayerNet, PrintContext, activated_outputs, activation_rows, bias_parts, example_index as _index,
    example_shape, feature_map, linear_then_activation,
)


@dataclass(frozen=True)
class Conv2d:
    """A 2-D cross-correlation layer (or true convolution under ``convention = "convolution"``).

    Shapes: input ``(C_in, H, W)``, kernel ``(out_channels, C_in/groups, kh, kw)``, bias
    ``(out_channels,)``, output ``(out_channels, H_out, W_out)``.
    """

    out_channels: int = 1
    kernel_size: tuple[int, int] = (2, 2)
    stride: tuple[int, int] = (1, 1)
    padding: Padding = Padding()
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    bias: bool = False
    activation: Activation = Activation()
    type: str = "conv2d"


def conv2d_terms(
    x: Sequence[Sequence[Sequence[sympy.Symbol]]],
    weight_at,
    out_channels: int,
    in_channels: int,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    pad: Pad2,
    dilation: tuple[int, int],
    groups: int,
    flip: bool,
    out_hw: tuple[int, int],
) -> list[list[Term]]:
    """The product terms of every output element of a 2-D cross-correlation (or convolution).

    ``x[c][h][w]``: input feature map ``(C_in, H, W)``; ``weight_at(o, c_local, m, n)``: kernel
    element of shape ``(C_out, C_in/groups, kh, kw)``. Returns, for each output in row-major
    ``(o, i, j)`` order, its terms in ``(c, m, n)`` row-major order; reads of the zero padding
    contribute nothing and are left out. All indices 0-based.
    """
    kh, kw = kernel
    height, width = len(x[0]), len(x[0][0])
    per_group_in = in_channels // groups
    per_group_out = out_channels // groups
    one = sympy.S.One
    new = tuple.__new__  # Term(...) without NamedTuple's Python-level __new__ (one per product)
    # The kernel rows m (columns n) that stay inside the input for output row i (column j),
    # with the input row u (column v) they read; reads of the zero padding are left out.
    rows = taps(out_hw[0], kh, stride[0], dilation[0], pad[0][0], height)
    cols = taps(out_hw[1], kw, stride[1], dilation[1], pad[1][0], width)
    outputs: list[list[Term]] = []
    for o in range(out_channels):
        g = o // per_group_out
        # kernel[cl][m][n]: the weight multiplying tap (m, n) (flipped under "convolution")
        kernel_taps = [[[weight_at(o, cl, kh - 1 - m, kw - 1 - n) if flip else weight_at(o, cl, m, n)
                         for n in range(kw)] for m in range(kh)] for cl in range(per_group_in)]
        channels = [(kernel_taps[cl], x[g * per_group_in + cl]) for cl in range(per_group_in)]
        for row in rows:
            for col in cols:
                outputs.append([new(Term, (one, k[m][n], xc[u][v]))
                                for k, xc in channels for m, u in row for n, v in col])
    return outputs


def channel_fields(table: Mapping[str, Any], where: str) -> dict:
    """The fields every convolution kind reads alike: ``out_channels``, ``groups`` (dividing
    ``out_channels``), ``bias`` and the activation. Raises :class:`SpecError` naming the key."""
    out_channels = whole(table.get("out_channels", 1), f"{where}.out_channels")
    groups = whole(table.get("groups", 1), f"{where}.groups")
    if out_channels % groups:
        raise SpecError(
            f"{where}.groups",
            f"out_channels ({out_channels}) must be divisible by groups ({groups})",
        )
    return dict(out_channels=out_channels, groups=groups, bias=flag(table.get("bias", False), f"{where}.bias"),
                activation=parse_activation(table, where))


def refuse_same_with_stride(padding: Padding, stride: tuple[int, ...], where: str) -> None:
    """``padding = "same"`` with a stride above 1 is refused, as in PyTorch."""
    if padding.mode == "same" and any(v != 1 for v in stride):
        raise SpecError(
            f"{where}.padding",
            "\"same\" is refused with stride > 1 (as in PyTorch); give explicit padding",
        )


def check_groups(channels: int, groups: int, where: str) -> None:
    """The input channels of a grouped convolution must split evenly into the groups."""
    if channels % groups:
        raise SpecError(
            f"{where}.groups",
            f"input channels ({channels}) must be divisible by groups ({groups})",
        )


TILDE, HAT = r"\tilde", r"\hat"  # the zero-padded input, the zero-inserted δ


CLOSED_FORM_NOTATION = tuple(OPERATOR_NOTATION.values())
"""``(symbol, meaning, defining formula)`` of the operations a convolution's closed forms are
written with (:data:`symconv.identities.OPERATOR_NOTATION`, shared with the general proof)."""


def closed_form_legend(pc: PrintContext) -> list[tuple[str, str]]:
    """Legend rows of the operations a convolution's closed forms are written with (shared by
    every convolution kind; the legend keeps each row once)."""
    return [(sym, meaning) for sym, meaning, _ in CLOSED_FORM_NOTATION]


class Conv2dKind(LayerKind):
    """The ``conv2d`` layer kind (see the module docstring for its mathematics)."""

    type = "conv2d"
    spatial = 2
    keys = ("type", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias") + ACTIVATION_KEYS
    weighted = True
    mistake_modes = ("true", "unrotated", "no_stride_zeros", "uncropped")

    def parse(self, table: Mapping[str, Any], where: str) -> Conv2d:
        stride = pair(table.get("stride", 1), f"{where}.stride")
        padding = parse_padding(table.get("padding", 0), f"{where}.padding")
        refuse_same_with_stride(padding, stride, where)
        return Conv2d(
            kernel_size=pair(table.get("kernel_size", 2), f"{where}.kernel_size"),
            stride=stride,
            padding=padding,
            dilation=pair(table.get("dilation", 1), f"{where}.dilation"),
            **channel_fields(table, where),
        )

    def output_shape(self, spec: Conv2d, in_shape, where):
        c_in, h, w = feature_map(in_shape, spec.type, where)
        check_groups(c_in, spec.groups, where)
        pad = resolve_padding(spec.padding, spec.kernel_size, spec.dilation)
        return (spec.out_channels,) + output_shape((h, w), spec.kernel_size, spec.stride, pad, spec.dilation, where)

    def estimate(self, spec: Conv2d, in_shape, out_shape) -> int:
        """Each output reads ``kh·kw·C_in/groups`` weight–input pairs: one term each in the
        weight's and in the input's gradient, plus one in the bias's."""
        _, oh, ow = out_shape
        reads = spec.kernel_size[0] * spec.kernel_size[1] * max(in_shape[0] // spec.groups, 1)
        return spec.out_channels * oh * ow * (2 * reads + int(spec.bias))

    def parameters(self, spec: Conv2d, in_shape, out_shape) -> int:
        """The kernel ``(C_out, C_in/groups, kh, kw)`` and the bias ``(C_out,)``."""
        per_group = max(in_shape[0] // spec.groups, 1)
        return spec.out_channels * (per_group * spec.kernel_size[0] * spec.kernel_size[1] + int(spec.bias))

    def build(self, spec: Conv2d, position: int, sources, table: SymbolTable, where: str, batch: int = 0) -> LayerNet:
        inputs = sources[0]
        in_shape = example_shape(inputs, batch)
        shape = self.output_shape(spec, in_shape, where)
        pad = resolve_padding(spec.padding, spec.kernel_size, spec.dilation)
        c_in = in_shape[0]
        weight = table.new_tensor("weight", position, (spec.out_channels, c_in // spec.groups) + spec.kernel_size)
        bias = table.new_tensor("bias", position, (spec.out_channels,)) if spec.bias else None
        return activated_outputs(table, position, spec, inputs, shape, weight, bias, pad, batch)

    def example_definitions(self, layer: LayerNet, ctx: Context):
        spec = layer.spec
        c_in, h, w = layer.inputs.shape
        grid = [[[layer.inputs.at(c, u, v) for v in range(w)] for u in range(h)] for c in range(c_in)]
        kw_ = layer.weight
        wgrid = [[[[kw_.at(o, c, m, n) for n in range(kw_.shape[3])] for m in range(kw_.shape[2])]
                  for c in range(kw_.shape[1])] for o in range(kw_.shape[0])]
        terms = conv2d_terms(
            grid, lambda o, c, m, n: wgrid[o][c][m][n], spec.out_channels, c_in, spec.kernel_size, spec.stride,
            layer.pad, spec.dilation, spec.groups, ctx.flip, layer.out.shape[1:],
        )
        per_channel = layer.out.shape[1] * layer.out.shape[2]
        biases = [layer.bias.symbols[k // per_channel] if layer.bias else None for k in range(len(terms))]
        return linear_then_activation(layer, terms, biases, self.type)

    def example_closed_forms(self, layer: LayerNet, ctx: Context) -> list[ClosedForm]:
        """Weight, input and (if any) bias closed forms (see the module docstring)."""
        spec: Conv2d = layer.spec
        flip = ctx.flip
        c_in = layer.inputs.shape[0]
        c_out = spec.out_channels
        cg, og = c_in // spec.groups, c_out // spec.groups
        kh, kw = spec.kernel_size
        s, d = spec.stride, spec.dilation
        pad = layer.pad
        deltas = [zero_insert(grid2(layer.delta, o), s) for o in range(c_out)]
        padded = [pad2(grid2(layer.inputs, c), pad) for c in range(c_in)]

        weight = []
        for o in range(c_out):
            g = o // og
            for cl in range(cg):
                grid = correlate(padded[g * cg + cl], deltas[o], (kh, kw), step=d)
                weight.extend(tuple(v) for row in (rot180(grid) if flip else grid) for v in row)

        h, w = layer.inputs.shape[1:]
        ext = (d[0] * (kh - 1) + 1, d[1] * (kw - 1) + 1)
        inputs = [[[[] for _ in range(w)] for _ in range(h)] for _ in range(c_in)]
        for o in range(c_out):
            g = o // og
            full = pad2(deltas[o], ((ext[0] - 1,) * 2, (ext[1] - 1,) * 2))
            read_h = len(deltas[o]) + ext[0] - 1
            read_w = len(deltas[o][0]) + ext[1] - 1
            for cl in range(cg):
                kernel = grid2(layer.weight, o, cl)
                effective = rot180(kernel) if flip else kernel
                back = correlate(full, rot180(zero_insert(effective, d)), (read_h, read_w))
                c = g * cg + cl
                for u in range(h):
                    for v in range(w):
                        pu, pv = u + pad[0][0], v + pad[1][0]
                        if pu < read_h and pv < read_w:
                            inputs[c][u][v].extend(back[pu][pv])
        forms = [
            ClosedForm("conv_weight", "weight", tuple(weight)),
            ClosedForm("conv_input", "input", tuple(tuple(v) for ch in inputs for row in ch for v in row)),
        ]
        if layer.bias is not None:
            forms.append(ClosedForm("bias", "bias", tuple(
                tuple((v, None) for row in grid2(layer.delta, o) for v in row) for o in range(c_out)
            )))
        return forms

    def summary(self, layer: LayerNet) -> dict:
        spec = layer.spec
        return super().summary(layer) | dict(
            kernel=spec.kernel_size, stride=spec.stride, padding=layer.pad, dilation=spec.dilation,
            groups=spec.groups, bias=spec.bias, activation=spec.activation.kind)

    def closed_parts(self, layer: LayerNet, kind: str, pc: PrintContext, source: int = 0) -> tuple[str, str]:
        nm = pc.namer
        in_role, in_layer = pc.source(layer)
        w = nm.tensor_latex("weight", layer.index)
        if kind == "conv_weight":
            core = rf"{pc.tensor(layer, in_role, in_layer, TILDE)} \star {pc.tensor(layer, 'delta', layer.index, HAT)}"
            core = rf"\operatorname{{rot180}}\left({core}\right)" if pc.flip else core
            return pc.grad(w), pc.batch_sum(layer) + core
        if kind == "conv_input":
            kernel = w if pc.flip else rf"\operatorname{{rot180}}\left({w}_{{d}}\right)"
            return (pc.grad(pc.tensor(layer, in_role, in_layer)), rf"\operatorname{{crop}}\left("
                    rf"\sum_{{{pc.channel}}} {pc.tensor(layer, 'delta', layer.index, HAT)} "
                    rf"\mathbin{{\star_{{\mathrm{{full}}}}}} {kernel}\right)")
        if kind == "bias":
            return bias_parts(layer, pc)
        return super().closed_parts(layer, kind, pc, source)

    def legend(self, layer: LayerNet, pc: PrintContext) -> list[tuple[str, str]]:
        return closed_form_legend(pc)

    def notation(self, layer: LayerNet, pc: PrintContext) -> list[tuple[str, str, str]]:
        """The closed forms' operations with their defining index formulas
        (:data:`CLOSED_FORM_NOTATION`), then the activation's."""
        r = pc.channel
        channels = (rf"\sum_{{{r}}}", f"sum over the layer's output channels {r}",
                    rf"\sum_{{{r}}} X_{{{r}}} = X_{{1}} + X_{{2}} + \cdots")
        return list(CLOSED_FORM_NOTATION) + [channels] + activation_rows(layer)

    def geometry(self, layer: LayerNet) -> tuple[tuple, tuple, tuple, tuple]:
        """``(kernel, stride, dilation, pad)`` per printed spatial axis (height, width), pad as
        ``(before, after)``: what the index formulas print."""
        spec = layer.spec
        return spec.kernel_size, spec.stride, spec.dilation, layer.pad

    def formulas(self, layer: LayerNet, pc: PrintContext, source: int = 0) -> Formulas:
        nm, b = pc.namer, pc.base
        spec = layer.spec
        li = layer.index
        kernel, stride, dilation, pad = self.geometry(layer)
        axes = len(kernel)
        pos = pc.pos[:axes]  # output position variables (i, j)
        taps = ("m", "n")[:axes]  # kernel tap variables
        ins = ("u", "v")[:axes]  # input position variables
        oc = pc.channel
        in_role, in_layer = pc.source(layer)
        carrier_role = "pre_activation" if layer.pre is not None else "activation"
        c_in = example_shape(layer.inputs, layer.batch)[0]
        c_out, *out_sizes = example_shape(layer.out, layer.batch)
        twice = (lambda t: tuple(t) * 2) if axes == 1 else tuple  # window_geometry prints two axes
        u, v, ri, rj = window_geometry(twice(kernel), twice(stride), twice(dilation), twice(pad), b, pc.flip,
                                       (pc.pos[0], pc.pos[1]))
        reads, rev = (u, v)[:axes], (ri, rj)[:axes]
        ch = _channel(layer, b, oc)
        x = pc.el(layer, in_role, in_layer, [ch, *reads])
        W = nm.element_latex("weight", li, [oc, "c", *taps])
        z = pc.el(layer, carrier_role, li, [oc, *pos])
        d = pc.el(layer, "delta", li, [oc, *pos])
        bias = nm.element_latex("bias", li, [oc]) + " + " if layer.bias is not None else ""
        tap_sums = "".join(range_sum(t, k, b) for t, k in zip(taps, kernel))
        sums_k = range_sum("c", c_in // spec.groups, b) + tap_sums
        dx = pc.el(layer, "delta", li, [oc, *rev])
        xin = pc.el(layer, in_role, in_layer, ["c", *ins])
        input_rhs = rf"{range_sum(oc, c_out, b)}{tap_sums} {dx} \, {W}"
        over = pc.batch_sum(layer) + "".join(range_sum(p, size, b) for p, size in zip(pos, out_sizes))
        bias_formula = None
        if layer.bias is not None:
            bias_formula = rf"{pc.grad(nm.element_latex('bias', li, [oc]))} = {over} {d}"
        padded = any(p for amounts in pad for p in amounts)
        weight_note = "a term whose input index falls in the zero padding is 0." if padded else ""
        notes = []
        if any(s_ != 1 for s_ in stride):
            where = ", ".join(f"${r}$" for r in rev)
            notes.append(f"only the terms whose error-term index ({where}) is an integer in range count")
        else:
            notes.append("a term whose error-term index is out of range is 0")
        if spec.groups > 1:
            notes.append(f"c counts the channels within the group of {oc}")
        return Formulas(
            forward=rf"{z} = {bias}{sums_k} {W} \, {x}",
            weight=rf"{pc.grad(W)} = {over} {d} \, {x}",
            input=rf"{pc.grad(xin)} = " + input_rhs,
            bias=bias_formula,
            note="; ".join(notes) + ".",
            weight_note=weight_note,
            forward_note=weight_note,
            input_rhs=input_rhs,
            input_index=_index(layer, pc, ("c", *ins)),
        )

    def example_mistaken_partials(self, layer: LayerNet, mode: str, ctx: Context) -> dict:
        """The (symbol, partial) pairs of every output under a placement ``mode``.

        Indices are 0-based; ``z[o,i,j] = Σ W[o,c,m',n'] x[c, s·i + d·m − top, s·j + d·n − left]``
        with ``(m', n') = (m, n)``, or the flipped kernel index under ``convention = "convolution"``.

        * ``"true"``: the exact partials (∂z/∂W = x at the read position, ∂z/∂x = W).
        * ``"unrotated"`` (kernel not rotated): ∂z[o,i,j]/∂x[c,u,v] is taken as
          ``W[o,c,kh−1−m',kw−1−n']`` instead of ``W[o,c,m',n']``: the input gradient computed as
          the full correlation of δ with the kernel as stored, not rotated by 180°.
        * ``"no_stride_zeros"`` (stride zeros missing): δ placed without the ``s − 1`` zeros
          between its entries, i.e. reads at ``(i + d·m − top, j + d·n − left)`` for both ∂/∂W
          and ∂/∂x (out-of-range reads dropped).
        * ``"uncropped"`` (padding not cropped): the input gradient indexed in padded coordinates,
          so ``x[c,u,v]`` receives what belongs to padded position ``(u, v)``: ∂z/∂x read at
          ``(s·i + d·m, s·j + d·n)``; ∂/∂W unchanged.
        """
        from ..shapes import window_index

        spec = layer.spec
        c_in, height, width = layer.inputs.shape
        kh, kw = spec.kernel_size
        sh, sw = spec.stride
        dh, dw = spec.dilation
        (top, _), (left, _) = layer.pad
        per_in = c_in // spec.groups
        per_out = spec.out_channels // spec.groups
        carriers = layer.carrier
        _, oh, ow = layer.out.shape
        x = layer.inputs
        out = {}
        for o in range(spec.out_channels):
            g = o // per_out
            for i in range(oh):
                for j in range(ow):
                    pairs = []
                    for cl in range(per_in):
                        c = g * per_in + cl
                        for m in range(kh):
                            for n in range(kw):
                                mm, nn = (kh - 1 - m, kw - 1 - n) if ctx.flip else (m, n)
                                w = layer.weight.at(o, cl, mm, nn)
                                if mode == "no_stride_zeros":
                                    u, v = window_index(i, m, 1, dh, top), window_index(j, n, 1, dw, left)
                                else:
                                    u, v = window_index(i, m, sh, dh, top), window_index(j, n, sw, dw, left)
                                if 0 <= u < height and 0 <= v < width:
                                    pairs.append((w, x.at(c, u, v)))
                                if mode == "uncropped":
                                    u, v = window_index(i, m, sh, dh, 0), window_index(j, n, sw, dw, 0)
                                if not (0 <= u < height and 0 <= v < width):
                                    continue
                                if mode == "unrotated":
                                    w = layer.weight.at(o, cl, kh - 1 - mm, kw - 1 - nn)
                                pairs.append((x.at(c, u, v), w))
                    if layer.bias is not None:
                        pairs.append((layer.bias.symbols[o], sympy.Integer(1)))
                    out[carriers.at(o, i, j)] = pairs
        return out


def _channel(layer: LayerNet, base: int, o: str = "o") -> str:
    """The input channel a general element reads: ``c``, or within the group of ``o``."""
    spec = layer.spec
    if spec.groups == 1:
        return "c"
    cg = example_shape(layer.inputs, layer.batch)[0] // spec.groups
    og = spec.out_channels // spec.groups
    return rf"c+{cg}\lfloor({o}-{base})/{og}\rfloor" if base else rf"c+{cg}\lfloor {o}/{og}\rfloor"


KIND = Conv2dKind()
