"""Convolution arithmetic: output sizes, padding modes, and the input rows a window op never reads.

Source: V. Dumoulin and F. Visin, *A guide to convolution arithmetic for deep learning* (2016),
relationship 15 generalised to dilation: ``o = ⌊(i + p_before + p_after − d(k − 1) − 1)/s⌋ + 1``.
All sizes here are integers; indices are 0-based.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import SpecError
from .fields import choice, pair, show_value, whole

Pad2 = tuple[tuple[int, int], tuple[int, int]]
PADDING_WORDS = ("valid", "same", "full")


@dataclass(frozen=True)
class Padding:
    """Padding of a 2-D window op: explicit ``((top, bottom), (left, right))`` or a mode.

    ``mode`` is ``"explicit"`` (amounts in ``amounts``), ``"same"`` or ``"full"``; the modes are
    resolved against the kernel by :func:`resolve_padding`.
    """

    mode: str = "explicit"
    amounts: Pad2 = ((0, 0), (0, 0))


def parse_padding(value: Any, where: str) -> Padding:
    """A spec's ``padding``: an int, ``[ph, pw]``, ``[[top, bottom], [left, right]]`` or one of
    ``"valid"``, ``"same"``, ``"full"``. Raises :class:`SpecError` naming ``where``."""
    if isinstance(value, str):
        word = choice(value, PADDING_WORDS, where)
        return Padding() if word == "valid" else Padding(mode=word)
    if isinstance(value, list | tuple) and len(value) == 2 and all(
        isinstance(v, list | tuple) for v in value
    ):
        rows = []
        for axis, amounts in enumerate(value):
            if len(amounts) != 2:
                raise SpecError(f"{where}[{axis}]", f"must be [before, after], got {show_value(amounts)}")
            rows.append((whole(amounts[0], f"{where}[{axis}][0]", 0), whole(amounts[1], f"{where}[{axis}][1]", 0)))
        return Padding(amounts=(rows[0], rows[1]))
    ph, pw = pair(value, where, minimum=0)
    return Padding(amounts=((ph, ph), (pw, pw)))


def parse_padding_1d(value: Any, where: str) -> Padding:
    """A 1-D window op's ``padding``: an int (both ends), ``[before, after]`` or one of
    ``"valid"``, ``"same"``, ``"full"``; as a :class:`Padding` whose height axis is unpadded
    (a signal of length L is the feature map of height 1). Raises :class:`SpecError` naming
    ``where``."""
    if isinstance(value, str):
        word = choice(value, PADDING_WORDS, where)
        return Padding() if word == "valid" else Padding(mode=word)
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise SpecError(where, f"must be an integer, [before, after] or a word, got {show_value(value)}")
        amounts = (whole(value[0], f"{where}[0]", 0), whole(value[1], f"{where}[1]", 0))
    else:
        p = whole(value, where, 0)
        amounts = (p, p)
    return Padding(amounts=((0, 0), amounts))


def window_index(i, m, stride, dilation, pad_before):
    """The input position that output position ``i`` reads through kernel tap ``m``:
    ``s·i + d·m − pad_before`` (0-based; Goodfellow et al., *Deep Learning*, eq. 9.7).

    The one window-index map of the project: the forward definitions, pooling windows, the
    mistaken forms of the checker (integers) and the printed index formulas (sympy symbols)
    all call it. Negative or too large results fall in the zero padding."""
    return stride * i + dilation * m - pad_before


def taps(out_size: int, kernel: int, stride: int, dilation: int, pad_before: int, size: int) -> list[list[tuple[int, int]]]:
    """For each output position ``i`` along one axis, the kernel taps ``(m, u)`` whose input
    position ``u`` (see :func:`window_index`) lies inside ``0 … size − 1``; taps that read the
    zero padding are left out."""
    return [[(m, u) for m in range(kernel)
             for u in (window_index(i, m, stride, dilation, pad_before),) if 0 <= u < size]
            for i in range(out_size)]


def effective_kernel(k: int, d: int) -> int:
    """The extent of a kernel of side ``k`` dilated by ``d``: ``d(k − 1) + 1``."""
    return d * (k - 1) + 1


def resolve_padding(padding: Padding, kernel: tuple[int, int], dilation: tuple[int, int]) -> Pad2:
    """Explicit ``((top, bottom), (left, right))`` padding for a padding spec.

    ``"same"``: total ``d(k − 1)`` per axis, the odd extra row/column goes after (bottom/right),
    as PyTorch does (pytorch/pytorch PR #45667). ``"full"``: ``d(k − 1)`` on both sides.
    """
    if padding.mode == "explicit":
        return padding.amounts
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        if padding.mode == "same":
            pads.append((total // 2, total - total // 2))
        else:  # full
            pads.append((total, total))
    return (pads[0], pads[1])


def output_size(size: int, kernel: int, stride: int, pad: tuple[int, int], dilation: int) -> int:
    """``⌊(size + pad_before + pad_after − d(k − 1) − 1)/s⌋ + 1`` (may be ≤ 0 for an empty output)."""
    return (size + pad[0] + pad[1] - effective_kernel(kernel, dilation)) // stride + 1


def output_shape(
    in_hw: tuple[int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    pad: Pad2,
    dilation: tuple[int, int],
    where: str,
) -> tuple[int, int]:
    """``(H_out, W_out)`` of a window op (``(L_out,)`` for one axis, a 1-D signal); raises
    :class:`SpecError` naming ``where`` when empty."""
    out = []
    for axis, name in enumerate(("height", "width") if len(in_hw) == 2 else ("length",)):
        padded = in_hw[axis] + pad[axis][0] + pad[axis][1]
        ext = effective_kernel(kernel[axis], dilation[axis])
        if ext > padded:
            raise SpecError(
                f"{where}.kernel_size",
                f"dilated kernel {name} {ext} is larger than the padded input {name} {padded}; "
                "use a smaller kernel or dilation, or more padding",
            )
        out.append(output_size(in_hw[axis], kernel[axis], stride[axis], pad[axis], dilation[axis]))
    return tuple(out)


def unread(size: int, kernel: int, stride: int, pad: tuple[int, int], dilation: int) -> int:
    """How many trailing input rows (or columns) no window reads, because the stride overshoots.

    The last window starts at ``s(o − 1)`` in padded coordinates and ends at ``s(o − 1) + d(k − 1)``;
    every padded row after it is never read.
    """
    o = output_size(size, kernel, stride, pad, dilation)
    last_read = stride * (o - 1) + effective_kernel(kernel, dilation) - 1  # padded coordinate
    padded = size + pad[0] + pad[1]
    tail = padded - 1 - last_read
    return max(0, tail - pad[1])
