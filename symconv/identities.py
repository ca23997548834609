"""Closed forms of the layer gradients, computed by array operations and certified element-wise.

For a conv layer with input ``a`` ``(C_in, H, W)``, kernel ``W`` ``(C_out, C_in/g, kh, kw)``,
stride ``s``, dilation ``d``, padding ``(top, bottom), (left, right)`` and δ ``(C_out, H_out, W_out)``
(0-based indices; Goodfellow et al., *Deep Learning*, §9.5, eqs 9.11–9.13; Dumoulin & Visin 2016;
JAX ``lax.conv_general_dilated`` transpose rules):

* weight: ``∂C/∂W[o, c, m, n] = (ã ⋆ δ̂[o])[d·m, d·n]``, the cross-correlation of the zero-padded
  input ``ã`` (channel ``c`` of ``o``'s group) with δ zero-inserted by ``s − 1`` zeros (δ̂), read at
  the dilation's step; under the convolution convention the result is rotated by 180°;
* input: ``∂C/∂a[c] = crop(Σ_o full(δ̂[o], rot180(W_d[o, c])))``, the full cross-correlation of
  δ̂ with the 180°-rotated dilated kernel ``W_d`` (that is, the full convolution of δ̂ with
  ``W_d``), cropped by the padding; rows no window reads get 0. Under the convolution convention
  the forward kernel is already flipped, so the rotation disappears here;
* bias: ``∂C/∂b[o] = Σ_{i,j} δ[o, i, j]``;
* dense ``z = W a + b``: ``∂C/∂W = δ aᵀ``, ``∂C/∂a = Wᵀ δ``, ``∂C/∂b = δ``.

Each function returns a nested list of sympy expressions in δ and forward symbols, the same
shape as the tensor it differentiates with respect to.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .network import LayerNet
from .spec import Conv2d, Dense

ZERO = None  # an absent (zero) grid entry

Product = tuple  # (factor, factor): one product of two symbols, coefficient 1


@dataclass(frozen=True)
class ClosedForm:
    """One closed form for one tensor: its ``kind`` and, by flat index of the tensor, the list of
    products ``(a, b)`` (each meaning ``a·b``) whose sum the closed form gives at that element."""

    kind: str  # "conv_weight", "conv_input", "bias", "dense_weight", "dense_input"
    tensor: str  # "weight", "bias" or "input"
    values: tuple[tuple[Product, ...], ...]

    def expr(self, k: int) -> sympy.Expr:
        """The closed form at flat index ``k`` as a sympy expression."""
        return products_expr(self.values[k])


def products_expr(products) -> sympy.Expr:
    """``Σ a·b`` of products ``(a, b)`` (``b`` None for a lone symbol) as a sympy expression."""
    return sympy.Add(*[a * b if b is not None else a for a, b in products])


# ----------------------------------------------------------------------------- array helpers

def zero_insert(x: list[list], step: tuple[int, int]) -> list[list]:
    """Insert ``step − 1`` zero rows/columns between neighbours (δ̂ for stride ``step``)."""
    h, w = len(x), len(x[0])
    out = [[ZERO] * (step[1] * (w - 1) + 1) for _ in range(step[0] * (h - 1) + 1)]
    for i in range(h):
        for j in range(w):
            out[step[0] * i][step[1] * j] = x[i][j]
    return out


def pad2(x: list[list], pad: tuple[tuple[int, int], tuple[int, int]]) -> list[list]:
    """Zero-pad a 2-D grid by ``((top, bottom), (left, right))``."""
    (top, bottom), (left, right) = pad
    w = len(x[0]) + left + right
    rows = [[ZERO] * w for _ in range(top)]
    rows += [[ZERO] * left + list(r) + [ZERO] * right for r in x]
    rows += [[ZERO] * w for _ in range(bottom)]
    return rows


def rot180(k: list[list]) -> list[list]:
    """Rotate a 2-D grid by 180°: ``k[kh − 1 − m][kw − 1 − n]``."""
    return [list(reversed(r)) for r in reversed(k)]


def correlate(x: list[list], k: list[list], out_hw: tuple[int, int], step=(1, 1)) -> list[list[list[Product]]]:
    """Valid cross-correlation sampled at ``step``: ``y[m, n] = Σ_{p,q} x[step·m + p, step·n + q] k[p, q]``.

    Entries are symbols or ``ZERO``; each output is the list of its nonzero products
    ``(x entry, k entry)``, in ``(p, q)`` row-major order. Out-of-range reads count as zero.
    Computed by scattering the nonzero kernel entries (zeros cost nothing).
    """
    h = len(x)
    sh, sw = step
    out = [[[] for _ in range(out_hw[1])] for _ in range(out_hw[0])]
    for p, row in enumerate(k):
        for q, v in enumerate(row):
            if v is ZERO:
                continue
            for m, orow in enumerate(out):
                u = sh * m + p
                if u >= h:
                    break
                # the input entries this kernel entry meets along output row m (slice: stride sw)
                for cell, xv in zip(orow, x[u][q::sw]):
                    if xv is not ZERO:
                        cell.append((xv, v))
    return out


def _grid(tensor, *lead) -> list[list]:
    h, w = tensor.shape[-2:]
    return [[tensor.at(*lead, i, j) for j in range(w)] for i in range(h)]


# ----------------------------------------------------------------------------- closed forms

def conv_closed_forms(layer: LayerNet, flip: bool) -> list[ClosedForm]:
    """Weight, input and (if any) bias closed forms of a conv layer (see module docstring)."""
    spec: Conv2d = layer.spec
    c_in = layer.inputs.shape[0]
    c_out = spec.out_channels
    cg, og = c_in // spec.groups, c_out // spec.groups
    kh, kw = spec.kernel_size
    s, d = spec.stride, spec.dilation
    pad = layer.pad
    deltas = [zero_insert(_grid(layer.delta, o), s) for o in range(c_out)]
    padded = [pad2(_grid(layer.inputs, c), pad) for c in range(c_in)]

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
            kernel = _grid(layer.weight, o, cl)
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
            tuple((v, None) for row in _grid(layer.delta, o) for v in row) for o in range(c_out)
        )))
    return forms


def dense_closed_forms(layer: LayerNet) -> list[ClosedForm]:
    """``∂C/∂W = δ aᵀ``, ``∂C/∂a = Wᵀ δ``, ``∂C/∂b = δ`` for a dense layer."""
    spec: Dense = layer.spec
    a = layer.inputs.symbols
    delta = layer.delta.symbols
    weight = tuple(((delta[r], a[c]),) for r in range(spec.out_features) for c in range(len(a)))
    inputs = tuple(
        tuple((layer.weight.at(r, c), delta[r]) for r in range(spec.out_features)) for c in range(len(a))
    )
    forms = [ClosedForm("dense_weight", "weight", weight), ClosedForm("dense_input", "input", inputs)]
    if layer.bias is not None:
        forms.append(ClosedForm("bias", "bias", tuple(((d, None),) for d in delta)))
    return forms


def closed_forms(layer: LayerNet, flip: bool) -> list[ClosedForm]:
    """The closed forms that hold for a layer (none for pooling and flatten, whose routing is
    their element-wise rule)."""
    if isinstance(layer.spec, Conv2d):
        return conv_closed_forms(layer, flip)
    if isinstance(layer.spec, Dense):
        return dense_closed_forms(layer)
    return []
