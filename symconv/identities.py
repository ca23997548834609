"""Closed forms of layer gradients: the :class:`ClosedForm` data and the array operations that
compute them (zero insertion, padding, 180° rotation, sampled cross-correlation).

Each layer kind (:mod:`symconv.layers`) states and computes its own closed forms with these
operations; the derivation certifies every element against the chain-rule sum. Arrays are
nested lists of symbols (``ZERO`` for an absent entry), indices 0-based.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

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


def grid2(tensor, *lead) -> list[list]:
    """The 2-D grid ``tensor[*lead, :, :]`` of a :class:`~symconv.tensors.SymTensor` as nested lists."""
    h, w = tensor.shape[-2:]
    return [[tensor.at(*lead, i, j) for j in range(w)] for i in range(h)]
