"""``conv_transpose2d``: the transposed 2-D convolution (PyTorch ``ConvTranspose2d``: U-Net
up-sampling, GAN generators) — everything symconv knows about this kind of layer.

Which map is the input? The layer's input ``x`` ``(C_in, H, W)`` is the *small* one: each input
element spreads, through the kernel, over a window of the output. Forward, 0-based (the adjoint of
conv2d's window map, Dumoulin & Visin, *A guide to convolution arithmetic for deep learning*,
2016, §4; PyTorch ``conv_transpose2d``)::

    z[o, y, x'] = b[o] + Σ_c Σ_m Σ_n Σ_{i, j : s·i + d·m − p = y, s·j + d·n − p = x'}
                  W[c, o − g·O_g, m, n] · x[c, i, j],   a = f(z)

with ``c`` over the input channels of ``o``'s group ``g`` (``O_g`` output channels per group),
``(H − 1)·s − 2p + d(k − 1) + output_padding + 1`` output rows (columns alike), and the kernel
indexed ``[c_in, c_out/groups, kh, kw]`` as PyTorch stores it. The input position read by output
``y`` through tap ``m`` is the one whose window index ``s·i + d·m − p`` (:func:`~symconv.shapes.window_index`,
the one map of the project) equals ``y``. Under ``convention = "convolution"`` the kernel is flipped
(``W[c, o, kh − 1 − m, kw − 1 − n]``).

Gradients in closed form (JAX ``lax.conv_transpose`` is implemented as these correlations):

* input: ``∂C/∂x[c, i, j] = Σ_o Σ_m Σ_n δ[o, s·i + d·m − p, s·j + d·n − p] · W[c, o, m, n]``, the
  ordinary (strided, dilated) cross-correlation of the zero-padded δ with the kernel — conv2d's
  forward map with δ as its input, so the products are conv2d's (:func:`.conv2d.conv2d_terms`);
* weight, roles swapped: ``∂C/∂W[c, o, m, n] = (δ̃[o] ⋆ x̂[c])[d·m, d·n]``, the cross-correlation of
  the zero-padded δ with the input zero-inserted by ``s − 1`` zeros, read at the dilation's step
  (conv2d's weight gradient with input and δ exchanged); rotated by 180° under the convolution
  convention;
* bias: ``∂C/∂b[o] = Σ_{y, x'} δ[o, y, x']``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import sympy

from ..activations import ACTIVATION_KEYS, Activation
from ..errors import SpecError
from ..fields import pair
from ..identities import ClosedForm, correlate, grid2, pad2, rot180, zero_insert
from ..indices import div_ix, ix, range_sum, window_indices
from ..ops import Term
from ..shapes import effective_kernel, window_index
from ..tensors import SymbolTable
from .base import (
    Context, Formulas, LayerKind, LayerNet, PrintContext, activated_outputs, bias_parts, example_index,
    example_shape, feature_map, linear_then_activation,
)
from .conv2d import HAT, TILDE, channel_fields, check_groups, closed_form_legend, conv2d_terms


@dataclass(frozen=True)
class ConvTranspose2d:
    """A transposed 2-D convolution layer (PyTorch ``ConvTranspose2d`` semantics).

    Shapes: input ``(C_in, H, W)``, kernel ``(C_in, out_channels/groups, kh, kw)``, bias
    ``(out_channels,)``, output ``(out_channels, H_out, W_out)`` with
    ``H_out = (H − 1)·s − 2p + d(kh − 1) + output_padding + 1``.
    """

    out_channels: int = 1
    kernel_size: tuple[int, int] = (2, 2)
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    output_padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    bias: bool = False
    activation: Activation = Activation()
    type: str = "conv_transpose2d"


def transposed_size(size: int, kernel: int, stride: int, pad: int, dilation: int, extra: int) -> int:
    """Output length of a transposed convolution along one axis:
    ``(size − 1)·s − 2p + d(k − 1) + output_padding + 1`` (PyTorch ``ConvTranspose2d``)."""
    return (size - 1) * stride - 2 * pad + effective_kernel(kernel, dilation) - 1 + extra + 1


def spread(size: int, out_size: int, kernel: int, stride: int, dilation: int, pad: int) -> list[list[tuple[int, int]]]:
    """For each output position ``y`` along one axis, the taps ``(m, i)`` (tap ``m``, input
    position ``i``) with ``window_index(i, m) = y``, in tap order; positions outside
    ``0 … out_size − 1`` (cut by the padding) are left out."""
    out: list[list[tuple[int, int]]] = [[] for _ in range(out_size)]
    for m in range(kernel):
        for i in range(size):
            y = window_index(i, m, stride, dilation, pad)
            if 0 <= y < out_size:
                out[y].append((m, i))
    return out


class ConvTranspose2dKind(LayerKind):
    """The ``conv_transpose2d`` layer kind (see the module docstring for its mathematics)."""

    type = "conv_transpose2d"
    spatial = 2
    keys = ("type", "out_channels", "kernel_size", "stride", "padding", "output_padding", "dilation", "groups",
            "bias") + ACTIVATION_KEYS
    weighted = True
    mistake_modes = ("true", "unrotated", "no_stride_zeros", "uncropped")

    def parse(self, table: Mapping[str, Any], where: str) -> ConvTranspose2d:
        stride = pair(table.get("stride", 1), f"{where}.stride")
        dilation = pair(table.get("dilation", 1), f"{where}.dilation")
        extra = pair(table.get("output_padding", 0), f"{where}.output_padding", minimum=0)
        for axis in range(2):
            if extra[axis] >= max(stride[axis], dilation[axis]):
                raise SpecError(f"{where}.output_padding", f"must be smaller than the stride or the dilation (as in "
                                f"PyTorch), got {extra[axis]} with stride {stride[axis]}, dilation {dilation[axis]}")
        return ConvTranspose2d(
            kernel_size=pair(table.get("kernel_size", 2), f"{where}.kernel_size"),
            stride=stride,
            padding=pair(table.get("padding", 0), f"{where}.padding", minimum=0),
            output_padding=extra,
            dilation=dilation,
            **channel_fields(table, where),
        )

    def output_shape(self, spec: ConvTranspose2d, in_shape, where):
        c_in, h, w = feature_map(in_shape, spec.type, where)
        check_groups(c_in, spec.groups, where)
        out = []
        for axis, (name, size) in enumerate((("height", h), ("width", w))):
            n = transposed_size(size, spec.kernel_size[axis], spec.stride[axis], spec.padding[axis],
                                spec.dilation[axis], spec.output_padding[axis])
            if n < 1:
                raise SpecError(f"{where}.padding", f"leaves no output {name} ({n}); use less padding or a larger "
                                                    "kernel")
            out.append(n)
        return (spec.out_channels, out[0], out[1])

    def estimate(self, spec: ConvTranspose2d, in_shape, out_shape) -> int:
        """Each input element meets ``kh·kw·out_channels/groups`` weights (at most): one term each
        in the weight's and in the input's gradient, plus one per output in the bias's."""
        c_in, h, w = in_shape
        reads = spec.kernel_size[0] * spec.kernel_size[1] * max(spec.out_channels // spec.groups, 1)
        return 2 * c_in * h * w * reads + int(spec.bias) * out_shape[0] * out_shape[1] * out_shape[2]

    def parameters(self, spec: ConvTranspose2d, in_shape, out_shape) -> int:
        """The kernel ``(C_in, C_out/groups, kh, kw)`` and the bias ``(C_out,)``."""
        per_group = max(spec.out_channels // spec.groups, 1)
        return in_shape[0] * per_group * spec.kernel_size[0] * spec.kernel_size[1] + int(spec.bias) * spec.out_channels

    def build(self, spec: ConvTranspose2d, position: int, sources, table: SymbolTable, where: str,
              batch: int = 0) -> LayerNet:
        inputs = sources[0]
        in_shape = example_shape(inputs, batch)
        shape = self.output_shape(spec, in_shape, where)
        weight = table.new_tensor("weight", position, (in_shape[0], spec.out_channels // spec.groups) + spec.kernel_size)
        bias = table.new_tensor("bias", position, (spec.out_channels,)) if spec.bias else None
        pad = tuple((p, p) for p in spec.padding)
        return activated_outputs(table, position, spec, inputs, shape, weight, bias, pad, batch)

    def example_definitions(self, layer: LayerNet, ctx: Context):
        spec: ConvTranspose2d = layer.spec
        c_in, h, w = layer.inputs.shape
        c_out, ho, wo = layer.out.shape
        kh, kw = spec.kernel_size
        cg, og = c_in // spec.groups, c_out // spec.groups
        rows = spread(h, ho, kh, spec.stride[0], spec.dilation[0], spec.padding[0])
        cols = spread(w, wo, kw, spec.stride[1], spec.dilation[1], spec.padding[1])
        one = sympy.S.One
        x, wt = layer.inputs, layer.weight
        terms = []
        for o in range(c_out):
            g, ol = divmod(o, og)
            for row in rows:
                for col in cols:
                    terms.append([
                        Term(one, wt.at(c, ol, kh - 1 - m, kw - 1 - n) if ctx.flip else wt.at(c, ol, m, n),
                             x.at(c, i, j))
                        for c in range(g * cg, (g + 1) * cg) for m, i in row for n, j in col])
        per_channel = ho * wo
        biases = [layer.bias.symbols[k // per_channel] if layer.bias else None for k in range(len(terms))]
        return linear_then_activation(layer, terms, biases, self.type)

    def example_closed_forms(self, layer: LayerNet, ctx: Context) -> list[ClosedForm]:
        """Input, weight and (if any) bias closed forms (see the module docstring)."""
        spec: ConvTranspose2d = layer.spec
        c_in, h, w = layer.inputs.shape
        c_out = spec.out_channels
        cg, og = c_in // spec.groups, c_out // spec.groups
        pad = layer.pad
        delta = layer.delta
        deltas = [grid2(delta, o) for o in range(c_out)]
        # input: conv2d's forward map of δ (C_out channels → C_in channels) with this kernel
        wt = layer.weight
        back = conv2d_terms(deltas, lambda c, ol, m, n: wt.at(c, ol, m, n), c_in, c_out, spec.kernel_size,
                            spec.stride, pad, spec.dilation, spec.groups, ctx.flip, (h, w))
        inputs = tuple(tuple((t.value, t.weight) for t in ts) for ts in back)
        # weight, roles swapped: the zero-padded δ correlated with the zero-inserted input
        padded = [pad2(g, pad) for g in deltas]
        spaced = [zero_insert(grid2(layer.inputs, c), spec.stride) for c in range(c_in)]
        weight = []
        for c in range(c_in):
            g = c // cg
            for ol in range(og):
                grid = correlate(padded[g * og + ol], spaced[c], spec.kernel_size, step=spec.dilation)
                weight.extend(tuple(v) for row in (rot180(grid) if ctx.flip else grid) for v in row)
        forms = [ClosedForm("convT_weight", "weight", tuple(weight)), ClosedForm("convT_input", "input", inputs)]
        if layer.bias is not None:
            forms.append(ClosedForm("bias", "bias", tuple(
                tuple((v, None) for row in deltas[o] for v in row) for o in range(c_out))))
        return forms

    def example_mistaken_partials(self, layer: LayerNet, mode: str, ctx: Context) -> dict:
        """The (symbol, partial) pairs of every output ``z[o, y, x']`` under a placement ``mode``,
        0-based, with ``(m', n') = (m, n)`` (or the flipped tap under ``convention =
        "convolution"``) and ``(m, i)`` the taps of :func:`spread`, ``s·i + d·m − p = y``:

        * ``"true"``: the exact partials, ∂z/∂W[c, o, m', n'] = x[c, i, j] and
          ∂z/∂x[c, i, j] = W[c, o, m', n'].
        * ``"unrotated"`` (the kernel's orientation wrong in the input gradient): ∂z/∂x[c, i, j]
          taken as ``W[c, o, kh−1−m', kw−1−n']``, i.e. ∂C/∂x = Σ δ[o, s·i + d·m − p, …]
          · W[c, o, kh−1−m, …]: the input gradient computed with the 180°-rotated kernel (as if
          it were conv2d's, a full convolution), where the transposed layer's input gradient is
          the plain strided cross-correlation of δ with the kernel as stored.
        * ``"no_stride_zeros"`` (the input not zero-inserted by the stride): the taps read as if
          the stride were 1, ``i + d·m − p = y``, for ∂/∂W and ∂/∂x: ∂C/∂x[c, i, j] =
          Σ δ[o, i + d·m − p, j + d·n − p] W[c, o, m, n] and ∂C/∂W[c, o, m, n] =
          Σ δ[o, i + d·m − p, j + d·n − p] x[c, i, j] (out-of-range reads dropped).
        * ``"uncropped"`` (padding not cropped): the input gradient reads δ in uncropped
          coordinates, ``s·i + d·m = y``; ∂/∂W unchanged.
        """
        spec: ConvTranspose2d = layer.spec
        c_in, h, w = layer.inputs.shape
        c_out, ho, wo = layer.out.shape
        kh, kw = spec.kernel_size
        (sh, sw), (dh, dw), (ph, pw) = spec.stride, spec.dilation, spec.padding
        cg, og = c_in // spec.groups, c_out // spec.groups

        def taps(stride_h, stride_w, pad_h, pad_w):
            return (spread(h, ho, kh, stride_h, dh, pad_h), spread(w, wo, kw, stride_w, dw, pad_w))

        true = taps(sh, sw, ph, pw)
        weight_taps = taps(1, 1, ph, pw) if mode == "no_stride_zeros" else true
        input_taps = {"no_stride_zeros": weight_taps, "uncropped": taps(sh, sw, 0, 0)}.get(mode, true)
        x, wt = layer.inputs, layer.weight

        def tap(c, ol, m, n, rotated=False):
            mm, nn = (kh - 1 - m, kw - 1 - n) if ctx.flip else (m, n)
            return wt.at(c, ol, kh - 1 - mm, kw - 1 - nn) if rotated else wt.at(c, ol, mm, nn)

        out = {}
        carriers = layer.carrier
        for o in range(c_out):
            g, ol = divmod(o, og)
            for y in range(ho):
                for xx in range(wo):
                    pairs = []
                    for c in range(g * cg, (g + 1) * cg):
                        rows, cols = weight_taps
                        pairs += [(tap(c, ol, m, n), x.at(c, i, j)) for m, i in rows[y] for n, j in cols[xx]]
                        rows, cols = input_taps
                        pairs += [(x.at(c, i, j), tap(c, ol, m, n, mode == "unrotated"))
                                  for m, i in rows[y] for n, j in cols[xx]]
                    if layer.bias is not None:
                        pairs.append((layer.bias.symbols[o], sympy.Integer(1)))
                    out[carriers.at(o, y, xx)] = pairs
        return out

    def summary(self, layer: LayerNet) -> dict:
        spec = layer.spec
        return super().summary(layer) | dict(
            kernel=spec.kernel_size, stride=spec.stride, padding=spec.padding, output_padding=spec.output_padding,
            dilation=spec.dilation, groups=spec.groups, bias=spec.bias, activation=spec.activation.kind)

    def closed_parts(self, layer: LayerNet, kind: str, pc: PrintContext, source: int = 0) -> tuple[str, str]:
        in_role, in_layer = pc.source(layer)
        w = pc.namer.tensor_latex("weight", layer.index)
        delta = pc.tensor(layer, "delta", layer.index, TILDE)
        if kind == "convT_weight":
            core = rf"{delta} \star {pc.tensor(layer, in_role, in_layer, HAT)}"
            core = rf"\operatorname{{rot180}}\left({core}\right)" if pc.flip else core
            return pc.grad(w), pc.batch_sum(layer) + core
        if kind == "convT_input":
            kernel = rf"\operatorname{{rot180}}\left({w}\right)" if pc.flip else w
            return pc.grad(pc.tensor(layer, in_role, in_layer)), rf"\sum_{{o}} {delta} \star_{{s}} {kernel}"
        if kind == "bias":
            return bias_parts(layer, pc)
        return super().closed_parts(layer, kind, pc, source)

    def formulas(self, layer: LayerNet, pc: PrintContext, source: int = 0) -> Formulas:
        nm, b = pc.namer, pc.base
        spec: ConvTranspose2d = layer.spec
        li = layer.index
        pi, pj = pc.pos
        oc = pc.channel
        in_role, in_layer = pc.source(layer)
        carrier_role = "pre_activation" if layer.pre is not None else "activation"
        c_in, h, w = example_shape(layer.inputs, layer.batch)
        c_out = spec.out_channels
        kh, kw = spec.kernel_size
        geo = window_indices(spec.kernel_size, spec.stride, spec.dilation, layer.pad, b, pc.flip, ("u", "v"))
        u, v, i, j = sympy.symbols(f"u v {pi} {pj}")
        # output (u, v) ← input (u, v) through tap (m, n); the input read by output (i, j):
        du, dv = ix(geo.u), ix(geo.v)
        ri = div_ix(geo.row_numerator.subs(u, i), spec.stride[0], b)
        rj = div_ix(geo.col_numerator.subs(v, j), spec.stride[1], b)
        cg, og = c_in // spec.groups, c_out // spec.groups
        if spec.groups == 1:
            ch, col, dch = "c", oc, oc
        else:  # forward: c within the group of output channel oc; gradients: oc within the group of c
            group = rf"\lfloor({oc}-{b})/{og}\rfloor" if b else rf"\lfloor {oc}/{og}\rfloor"
            ch, col = rf"c+{cg}{group}", rf"{oc}-{og}{group}"
            dch = rf"{oc}+{og}\lfloor(c-{b})/{cg}\rfloor" if b else rf"{oc}+{og}\lfloor c/{cg}\rfloor"
        x_read = pc.el(layer, in_role, in_layer, [ch, ri, rj])
        W_fwd = nm.element_latex("weight", li, [ch, col, "m", "n"])
        W = nm.element_latex("weight", li, ["c", oc, "m", "n"])
        z = pc.el(layer, carrier_role, li, [oc, pi, pj])
        d_at = pc.el(layer, "delta", li, [dch, du, dv])
        xin = pc.el(layer, in_role, in_layer, ["c", "u", "v"])
        bias = nm.element_latex("bias", li, [oc]) + " + " if layer.bias is not None else ""
        taps = range_sum("m", kh, b) + range_sum("n", kw, b)
        outs = range_sum(oc, og if spec.groups > 1 else c_out, b)
        input_rhs = rf"{outs}{taps} {d_at} \, {W}"
        over = pc.batch_sum(layer) + range_sum("u", h, b) + range_sum("v", w, b)
        bias_formula = None
        if layer.bias is not None:
            _, ho, wo = example_shape(layer.out, layer.batch)
            every = pc.batch_sum(layer) + range_sum(pi, ho, b) + range_sum(pj, wo, b)
            bias_formula = (rf"{pc.grad(nm.element_latex('bias', li, [oc]))} = {every} "
                            rf"{pc.el(layer, 'delta', li, [oc, pi, pj])}")
        forward_note = (f"only the terms whose input index (${ri}$, ${rj}$) is an integer in range count."
                        if spec.stride != (1, 1) else "a term whose input index is out of range is 0.")
        notes = ["a term whose error-term index is out of range (cut by the padding) is 0"]
        if spec.groups > 1:
            notes.append(f"{oc} counts the output channels within the group of input channel c")
        return Formulas(
            forward=rf"{z} = {bias}{range_sum('c', cg, b)}{taps} {W_fwd} \, {x_read}",
            weight=rf"{pc.grad(W)} = {over} {d_at} \, {xin}",
            input=rf"{pc.grad(xin)} = " + input_rhs,
            bias=bias_formula,
            note="; ".join(notes) + ".",
            weight_note=notes[0] + ".",
            forward_note=forward_note,
            input_rhs=input_rhs,
            input_index=example_index(layer, pc, ("c", "u", "v")),
        )

    def legend(self, layer: LayerNet, pc: PrintContext) -> list[tuple[str, str]]:
        rows = closed_form_legend(pc)
        rows.append((r"A \star_{s} K", "cross-correlation of A with K dilated by d, read every s-th position "
                                       "(conv2d's forward map with the layer's stride s and dilation d)"))
        if pc.namer.style != "seed":
            rows.append((rf"{pc.namer.latex_letter('weight')}^{{(l)}}_{{c,o,m,n}}",
                         "kernel of a transposed convolution layer l, as PyTorch stores it: input channel c "
                         "first, then output channel o (within its group), tap (m, n)"))
        return rows


KIND = ConvTranspose2dKind()
