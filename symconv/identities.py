"""Closed forms of layer gradients: the :class:`ClosedForm` data and the array operations that
compute them (zero insertion, padding, 180° rotation, sampled cross-correlation).

Each layer kind (:mod:`symconv.layers`) states and computes its own closed forms with these
operations; the derivation certifies every element against the chain-rule sum. Arrays are
nested lists of symbols (``ZERO`` for an absent entry), indices 0-based.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import sympy

ZERO = None  # an absent (zero) grid entry

def operator_notation(kh: str = "k_h", kw: str = "k_w") -> dict[str, tuple[str, str, str]]:
    """``{operation: (symbol, meaning, defining formula)}``: the names of the array operations below
    (:func:`pad2`, :func:`zero_insert`, :func:`correlate`, :func:`rot180`) as every document prints
    them, on placeholder tensors A and K (indices from 1; ``c`` a channel, ``u, v`` a row and column
    of A, ``m, n`` of K), with the layer's stride s, dilation d and padding P named in the meaning
    that uses them, and the kernel's height and width written ``kh`` and ``kw`` (the general proof's
    Goodfellow notation calls them h_K, w_K). The per-network documents
    (:mod:`symconv.layers.conv2d`) and the general proof (:mod:`symconv.general.render`) define
    their operators with these rows, so both use one name for one operation."""
    size = rf"{kh} \times {kw}"
    return {
        "pad": (r"\tilde{A}", "A zero-padded by the layer's padding (P rows and columns before)",
                r"\tilde{A}_{c,u,v} = A_{c,u-P,v-P} \text{ (0 in the padding)}"),
        "zero_insert": (r"\hat{A}", "A with s - 1 zeros inserted between neighbouring entries (stride s)",
                        r"\hat{A}_{c,s(u-1)+1,s(v-1)+1} = A_{c,u,v} \text{ (0 elsewhere)}"),
        "correlate": (r"A \star K", "valid cross-correlation of A with K (K slides over the positions inside A)",
                      r"(A \star K)_{u,v} = \sum_{m,n} A_{u+m-1,v+n-1} K_{m,n}"),
        "full": (r"A \mathbin{\star_{\mathrm{full}}} K",
                 "full cross-correlation: K slides over every overlap with A",
                 rf"\tilde{{A}} \star K \text{{ with }} {kh} - 1 \text{{ rows and }} {kw} - 1 "
                 rf"\text{{ columns of padding, for }} K \text{{ of }} {size}"),
        "rot180": (r"\operatorname{rot180}\left(K\right)", "K rotated by 180 degrees",
                   rf"\operatorname{{rot180}}(K)_{{m,n}} = K_{{{kh}+1-m,{kw}+1-n}} \text{{ for }} K \text{{ of }} {size}"),
        "dilate": (r"K_{d}", "K dilated by d (d - 1 zeros between taps), not an element index",
                   r"(K_{d})_{d(m-1)+1,d(n-1)+1} = K_{m,n} \text{ (0 elsewhere)}"),
        "crop": (r"\operatorname{crop}", "removes the rows and columns of the padding",
                 r"\operatorname{crop}(A)_{c,u,v} = A_{c,u+P,v+P}"),
    }


OPERATOR_NOTATION = operator_notation()
"""The operator rows in the per-network documents' letters (:func:`operator_notation`)."""

Product = tuple  # (factor, factor): one product of two symbols, coefficient 1


@dataclass(frozen=True)
class ClosedForm:
    """One closed form for one tensor: its ``kind`` and, by flat index of the tensor, the list of
    products ``(a, b)`` (each meaning ``a·b``; ``b`` None for a lone factor; ``a`` may be any
    expression) whose sum the closed form gives at that element.

    ``tensor`` is the layer's tensor it covers: ``"weight"``, ``"bias"`` (the layer's ``weight``
    and ``bias`` fields, whatever their role) or ``"input"``, then ``source`` says which of the
    layer's inputs (0 for the first). ``certify``: a layer-specific proof, ``certify(k,
    gradients)`` → :class:`~symconv.verify.Certificate` for flat index ``k``; None for the usual
    one (the products equal the chain-rule products through the layer).
    """

    kind: str  # "conv_weight", "conv_input", "bias", "dense_weight", "dense_input", …
    tensor: str  # "weight", "bias" or "input"
    values: tuple[tuple[Product, ...], ...]
    source: int = 0
    certify: Callable | None = field(default=None, compare=False, repr=False)

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


def grid2(tensor, *lead) -> list[list]:
    """The 2-D grid ``tensor[*lead, :, :]`` of a :class:`~symconv.tensors.SymTensor` as nested lists."""
    h, w = tensor.shape[-2:]
    return [[tensor.at(*lead, i, j) for j in range(w)] for i in range(h)]
