"""Index arithmetic of the general formulas: index variables, window indices and their printing.

The general (index) formulas of a layer say, for any element, which elements it reads: output
``(i, j)`` of a window op reads input ``(s·(i − b) + d·m − pad + b, …)`` in a document whose
indices start at ``b`` (Goodfellow, Bengio & Courville, *Deep Learning*, §9.5, eqs 9.7 and
9.13). This module turns :func:`symconv.shapes.window_index` into sympy expressions in printed
index variables and prints linear index expressions compactly (``i+m-1``, ``\\frac{u-m}{2}+1``).
The layer modules build their formulas from these pieces; rendering only prints the result.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .notation import Namer
from .shapes import Pad2, window_index

VAR_ORDER = "ijpquvmn"  # printing order of index variables in a linear index expression


def ix(expr) -> str:
    """A linear index expression printed compactly, variables first (``i+m-1``, ``u-m+1``)."""
    expr = sympy.expand(expr)
    symbols = sorted(expr.free_symbols, key=lambda x: (VAR_ORDER.find(x.name), x.name))
    out = ""
    for var in symbols:
        k = expr.coeff(var)
        text = var.name if k == 1 else f"-{var.name}" if k == -1 else f"{sympy.latex(k)}{var.name}"
        out += text if not out or text.startswith("-") else "+" + text
    const = expr.subs({v: 0 for v in symbols})
    if const != 0 or not out:
        c = sympy.latex(const)
        out += c if not out or c.startswith("-") else "+" + c
    return out


def div_ix(numerator, stride: int, base: int) -> str:
    """``numerator/stride + base`` printed as a fraction when the stride is above 1."""
    if stride == 1:
        return ix(numerator + base)
    text = rf"\frac{{{ix(numerator)}}}{{{stride}}}"
    return text + (f"+{base}" if base else "")


def range_sum(var: str, size: int, base: int) -> str:
    """``\\sum_{var=base}^{size-1+base}``: a sum over ``size`` index values."""
    return rf"\sum_{{{var}={base}}}^{{{size - 1 + base}}}"


POSITION_PAIRS = (("i", "j"), ("p", "q"), ("g", "h"))


def _letters(namer: Namer, letters) -> set:
    return set(namer.letters.values()) if letters is None else set(letters)


def position_vars(namer: Namer, letters=None) -> tuple[str, str]:
    """Names of the output row/column index variables: ``i, j``, or ``p, q`` when a role letter
    is ``i`` or ``j`` (the seed input is ``i``), or ``g, h`` when ``p`` is taken too (the softmax
    of a cross-entropy cost). ``letters``: the role letters the document uses (default: every
    role's)."""
    taken = _letters(namer, letters)
    return next((pair for pair in POSITION_PAIRS if taken.isdisjoint(pair)), POSITION_PAIRS[-1])


def channel_var(namer: Namer, letters=None) -> str:
    """Name of the output-channel index variable: ``o``, or ``r`` when a role letter is ``o``."""
    return "r" if "o" in _letters(namer, letters) else "o"


def example_var(namer: Namer, letters=None) -> str:
    """Name of the example (batch) index variable: ``s`` (sample), or ``e`` when a role letter
    is ``s`` (``n`` is taken by the kernel's column)."""
    return "e" if "s" in _letters(namer, letters) else "s"


@dataclass(frozen=True)
class WindowIndices:
    """The index arithmetic of a sliding window (convolution or pooling), as sympy expressions in
    the printed index variables and the document's index base.

    Output ``(i, j)`` reads input row ``u``, column ``v`` through printed kernel position
    ``(m, n)``. Input ``(u, v)`` is read through ``(m, n)`` by output row
    ``row_numerator / stride[0] + base`` and column ``col_numerator / stride[1] + base`` when
    those are integers in range (the error-term index of the input-gradient formula).
    """

    u: sympy.Expr
    v: sympy.Expr
    row_numerator: sympy.Expr
    col_numerator: sympy.Expr
    stride: tuple[int, int]


def window_indices(kernel, stride, dilation, pad: Pad2, base: int, flip: bool = False, pos=("i", "j")) -> WindowIndices:
    """:class:`WindowIndices` of a window ``kernel`` with ``stride``, ``dilation`` and padding
    ``((top, bottom), (left, right))``; ``flip``: the printed kernel index is rotated by 180°
    (the convolution convention). Built on :func:`symconv.shapes.window_index`."""
    i, j, m, n, uu, vv = sympy.symbols(f"{pos[0]} {pos[1]} m n u v")
    (top, _), (left, _) = pad
    kh, kw = kernel

    def kpos(var, k):  # 0-based kernel position the printed index multiplies
        return (k - 1 - (var - base)) if flip else (var - base)

    u0 = window_index(i - base, kpos(m, kh), stride[0], dilation[0], top)
    v0 = window_index(j - base, kpos(n, kw), stride[1], dilation[1], left)
    return WindowIndices(
        u=u0 + base,
        v=v0 + base,
        # u0 = s·i0 + (rest)  ⇒  i0 = (u0 − rest)/s, with u0 = u − base
        row_numerator=uu - base - (u0 - stride[0] * (i - base)),
        col_numerator=vv - base - (v0 - stride[1] * (j - base)),
        stride=tuple(stride),
    )


def window_geometry(kernel, stride, dilation, pad: Pad2, base: int, flip: bool, pos=("i", "j")) -> tuple[str, str, str, str]:
    """Printed index expressions of a window op: the input row/column read by output (i, j)
    through kernel position (m, n), and the output row/column (the error-term index) that reads
    input (u, v)."""
    w = window_indices(kernel, stride, dilation, pad, base, flip, pos)
    return (ix(w.u), ix(w.v), div_ix(w.row_numerator, w.stride[0], base),
            div_ix(w.col_numerator, w.stride[1], base))
