"""The geometry of the derivation's pictures, computed once: which cells of which grid a figure
shows and which of them are highlighted. Templates lay it out (``templates/figure.svg.j2`` as
SVG files beside the Markdown, ``templates/figure.tex.j2`` as TikZ in the LaTeX and PDF).

Nothing here re-derives a window: the cells come from the chain-rule terms of
:mod:`symconv.gradients`, which the layers' own forward definitions (their window index map in
:mod:`symconv.shapes`) produced. For a kernel weight, each term reads one output it touches
(``via``) and the input cell it pairs with (``partial``); for an input (or activation) element,
each term reads one output it feeds and the kernel tap that carries it.

Three kinds of figure:

* ``weight`` — a worked kernel-weight element: the layer input's grid with the cells the weight
  pairs with highlighted, the kernel with the weight highlighted, and the output cells it
  touches;
* ``input`` — a worked input (or activation) element: its grid with the element highlighted,
  the kernel taps it meets, and the output cells it feeds, each marked with its tap;
* ``network`` — a chain of feature maps (the seed's 3×3 → 2×2 → 1×1), one grid per tensor.

Coordinates are in cell units (grid ``x``: left column; rows go down from 0). A grid is a 2-D
slice of a tensor (its leading axes, such as example and channel, fixed); a 1-D signal is one
row. A grid above :data:`MAX_SIDE` cells a side is not drawn: the figure is skipped and
:class:`Skipped` says why, in words the document prints.
"""

from __future__ import annotations

import unicodedata
from operator import attrgetter
from typing import NamedTuple

import sympy

from .layers import kind_of

MAX_SIDE = 16
"""Largest grid side (cells) drawn; a larger tensor's figure is skipped with a stated reason."""

MAX_SLICES = 4
"""Most slices (examples × channels) of one tensor a figure draws."""

GAP = 2
"""Cells between neighbouring grids (room for an arrow)."""


class Label(NamedTuple):
    """Plain-text parts of a printed name for SVG: ``letter`` with ``sup`` and ``sub`` (the
    LaTeX of the same name is in the ``latex`` fields next to it)."""

    letter: str
    sup: str
    sub: str


class Cell(NamedTuple):
    """One cell of a grid: ``row``, ``col`` (0-based in the grid), ``id`` (the element's Python
    name, unique in the document), ``sub`` its index as printed in the subscript (plain text),
    ``on`` highlighted, ``note``/``note_latex`` the kernel tap that carries it (input figures,
    output grid) or None/""."""

    row: int
    col: int
    id: str
    sub: str
    on: bool
    note: Label | None = None
    note_latex: str = ""


class Grid(NamedTuple):
    """One 2-D slice of a tensor at ``x`` (left column, cell units): ``title``/``title_latex``
    the tensor's name, ``where`` the fixed leading indices in words (``"channel 1"``, "" for a
    one-channel tensor), ``role``, ``y`` its top row (grids are centred on the
    figure's middle row), ``rows`` × ``cols`` cells."""

    title: Label
    title_latex: str
    where: str
    role: str
    x: int
    y: float
    rows: int
    cols: int
    cells: tuple[Cell, ...]


class Arrow(NamedTuple):
    """An arrow from column ``x0`` to ``x1`` at row ``y`` (cell units), with a plain ``label``."""

    x0: float
    x1: float
    y: float
    label: str


class Figure(NamedTuple):
    """One picture: ``id`` (its file stem, e.g. ``rf-w1_1``), ``kind`` (``weight``, ``input``,
    ``network``), ``caption`` (plain text, a sentence), ``caption_latex`` (a phrase, lower case,
    for "(figure: …)"; the network's a sentence), the ``grids`` and ``arrows``, and
    its ``width`` × ``height`` in cell units; ``chars`` the longest cell text (for cell size);
    ``notes``: some cells carry a kernel tap besides their index."""

    id: str
    kind: str
    caption: str
    caption_latex: str
    grids: tuple[Grid, ...]
    arrows: tuple[Arrow, ...]
    width: int
    height: int
    chars: int
    notes: bool = False


class Skipped(NamedTuple):
    """A figure not drawn, and why (a sentence fragment the document prints)."""

    reason: str


def _plain_letter(letter: str) -> str:
    try:
        return unicodedata.lookup(("GREEK CAPITAL LETTER " if letter[0].isupper() else "GREEK SMALL LETTER ")
                                  + letter.upper())
    except KeyError:
        return letter


class _Geometry:
    """Tensors of a network by symbol, and the printed parts of their names."""

    def __init__(self, net):
        self.net = net
        self.table = net.table
        self.namer = net.table.namer
        self.spatial = 2 if len(net.spec.input_shape) == 3 else 1
        self.tensor_of: dict = {}
        self._cells: dict = {}  # (id(tensor), lead) -> plain cells of that slice, see _plain_cells
        tensors = [net.input]
        for layer in net.layers:
            if kind_of(layer).reshape_only:
                continue
            tensors += [t for t in (layer.weight, layer.pre, layer.out) if t is not None]
        for t in tensors:
            for s in t.symbols:
                self.tensor_of.setdefault(s, t)

    def feature_map(self, s) -> bool:
        """``s`` is an element of a tensor with a spatial grid (a feature map or a kernel)."""
        t = self.tensor_of.get(s) if isinstance(s, sympy.Symbol) else None
        return t is not None and len(t.shape) > self.spatial

    def kernel(self, s) -> bool:
        t = self.tensor_of.get(s) if isinstance(s, sympy.Symbol) else None
        return t is not None and t.role == "weight" and len(t.shape) == self.spatial + 2

    def split(self, s) -> tuple[tuple, int, int]:
        """(leading index, row, column) of ``s`` in its tensor (0-based)."""
        index = self.table.info[s].index
        if self.spatial == 2:
            return index[:-2], index[-2], index[-1]
        return index[:-1], 0, index[-1]

    def sub(self, s) -> str:
        """The subscript of ``s`` as the notation prints it, as plain text (from its metadata)."""
        info = self.table.info[s]
        if self.namer.style == "seed":
            return str(info.flat + 1)
        return ",".join(str(v + self.namer.base) for v in info.index)

    def title(self, t) -> tuple[Label, str]:
        layer = t.layer if t.role != "input" else 0
        letter = _plain_letter(self.namer.letters[t.role])
        if self.namer.style == "seed":
            sup = "1" if t.role == "input" else str(layer)
        else:
            sup = f"({layer})"
        return Label(letter, sup, ""), self.namer.tensor_latex(t.role, layer)

    def where(self, t, lead: tuple) -> str:
        words = (["example"] if self.net.batch and t.role != "weight" else []) + (
            ["output channel", "input channel"] if t.role == "weight" else ["channel"])
        shape = t.shape[:len(lead)]
        parts = [f"{w} {v + self.namer.base}" for w, v, n in zip(words, lead, shape) if n > 1]
        return ", ".join(parts)

    def grid(self, t, lead: tuple, x: int, on=(), notes=None) -> Grid:
        rows = t.shape[-2] if self.spatial == 2 else 1
        cols = t.shape[-1]
        plain, position = self._plain_cells(t, lead, rows, cols)
        cells = list(plain)
        for s in on:  # the few highlighted and noted cells, found by their symbol
            k = position.get(s)
            if k is not None:
                cells[k] = cells[k]._replace(on=True)
        for s, note in (notes or {}).items():
            k = position.get(s)
            if k is not None:
                cells[k] = cells[k]._replace(note=self.note(note), note_latex=self.table.info[note].latex)
        title, title_latex = self.title(t)
        return Grid(title, title_latex, self.where(t, lead), t.role, x, 0.0, rows, cols, tuple(cells))

    def _plain_cells(self, t, lead: tuple, rows: int, cols: int) -> tuple[list[Cell], dict]:
        """The cells of one slice, none highlighted, and ``{symbol: position}``, made once per
        slice (a ``--full`` document draws the same grids in hundreds of figures)."""
        key = (id(t), lead)
        got = self._cells.get(key)
        if got is None:
            start = t.flat_index(lead + ((0, 0) if self.spatial == 2 else (0,)))
            symbols = t.symbols[start:start + rows * cols]
            plain = [Cell(k // cols, k % cols, s.name, self.sub(s), False, None, "") for k, s in enumerate(symbols)]
            got = self._cells[key] = (plain, {s: k for k, s in enumerate(symbols)})
        return got

    def note(self, w) -> Label:
        """A kernel tap as a cell note: its letter and index (the kernel grid's title names the
        layer)."""
        title, _ = self.title(self.tensor_of[w])
        return Label(title.letter, "", self.sub(w))

    def too_big(self, t) -> str:
        rows = t.shape[-2] if self.spatial == 2 else 1
        cols = t.shape[-1]
        if rows > MAX_SIDE or cols > MAX_SIDE:
            size = f"{rows}x{cols}" if self.spatial == 2 else f"length {cols}"
            return f"its {t.role} grid is {size}, above {MAX_SIDE}x{MAX_SIDE} cells"
        return ""


def _slices(geo: _Geometry, symbols) -> list[tuple[tuple, set]]:
    """``[((tensor, leading index), set of symbols)]`` in first-seen order. Grouped by the
    tensor's identity: hashing a tensor hashes every one of its symbols (once per term, that
    made a ``--full`` document quadratic in the tensor's size)."""
    out: dict = {}
    for s in symbols:
        lead, _, _ = geo.split(s)
        t = geo.tensor_of[s]
        got = out.get((id(t), lead))
        if got is None:
            got = out[id(t), lead] = ((t, lead), set())
        got[1].add(s)
    return list(out.values())


def _row(geo: _Geometry, groups: list[list[tuple]], notes=None) -> tuple[list[Grid], list[Arrow], int]:
    """Grids placed left to right: each group (a list of ``(tensor, lead, on)``) side by side,
    one cell apart, groups :data:`GAP` apart with an arrow between them."""
    grids: list[Grid] = []
    arrows: list[Arrow] = []
    x = 0
    height = 0
    for k, group in enumerate(groups):
        if k:
            arrows.append(Arrow(x - GAP + 0.25, x - 0.25, 0.0, ""))
        for j, (t, lead, on) in enumerate(group):
            g = geo.grid(t, lead, x, on, notes)
            grids.append(g)
            height = max(height, g.rows)
            x += g.cols + (1 if j < len(group) - 1 else 0)
        x += GAP
    grids = [g._replace(y=(height - g.rows) / 2) for g in grids]
    return grids, arrows, height


def _arrows_at_middle(arrows, height) -> list[Arrow]:
    return [a._replace(y=height / 2) for a in arrows]


def _chars(grids) -> int:
    """The widest cell text (an index, or a note's letter and index) in characters, at least 1."""
    n = 1
    for g in grids:
        n = max(n, max(map(len, map(_SUB, g.cells)), default=0))
        for note in filter(None, map(_NOTE, g.cells)):
            n = max(n, len(note.sub) + len(note.letter))
    return n


_SUB = attrgetter("sub")
_NOTE = attrgetter("note")


def element_figure(net, e) -> Figure | Skipped | None:
    """The figure of one worked element ``e`` (a :class:`~symconv.derivation.ElementProof`):
    a ``weight`` figure for a kernel weight, an ``input`` figure for an element of a feature map
    that kernels or windows read; None when no figure helps (a bias, a dense weight, an element
    read by one output only, or whose chain-rule terms read no grid); :class:`Skipped` when a
    grid is larger than :data:`MAX_SIDE` a side or spans more than :data:`MAX_SLICES` slices."""
    return _element_figure(_Geometry(net), e)


def element_figures(net, elements) -> dict:
    """``{e.wrt: element_figure(net, e)}`` for the worked ``elements`` (ElementProofs), the
    network's geometry built once (a ``--full`` document has a figure per element)."""
    geo = _Geometry(net)
    return {e.wrt: _element_figure(geo, e) for e in elements}


def _element_figure(geo: _Geometry, e) -> Figure | Skipped | None:
    s = e.wrt
    terms = e.terms
    if len(terms) < 2 or not geo.feature_map(s) or not all(geo.feature_map(t.via) for t in terms):
        return None
    name = geo.table.info[s].latex
    if geo.kernel(s):
        if not all(geo.feature_map(t.partial) for t in terms):
            return None
        inputs = _slices(geo, [t.partial for t in terms])
        outputs = _slices(geo, [t.via for t in terms])
        kernel = geo.tensor_of[s]
        lead, _, _ = geo.split(s)
        parts = [inputs, [((kernel, lead), {s})], outputs]
        kind = "weight"
        t_in = inputs[0][0][0]
        cells = len({t.partial for t in terms})
        caption = (f"{s.name}: the {cells} input cells it pairs with, the weight in its kernel, "
                   f"and the {len(terms)} outputs it touches.")
        caption_latex = (rf"the cells of ${geo.title(t_in)[1]}$ that ${name}$ pairs with, ${name}$ in "
                         "its kernel, and the outputs it touches")
        notes = None
    else:
        own = geo.tensor_of[s]
        reason = geo.too_big(own)  # the first group's check (one slice), before the others are sliced
        if reason:
            return Skipped(reason)
        outputs = _slices(geo, [t.via for t in terms])
        lead, _, _ = geo.split(s)
        taps = [t.partial for t in terms if geo.kernel(t.partial)]
        parts = [[((own, lead), {s})]]
        if len(taps) == len(terms):
            parts.append(_slices(geo, taps))
            notes = {t.via: t.partial for t in terms}
        else:
            notes = None
        parts.append(outputs)
        kind = "input"
        caption = (f"{s.name} and the {len(terms)} outputs it feeds"
                   + (", each marked with the kernel tap that carries it." if notes else "."))
        caption_latex = (rf"${name}$, the kernel taps it meets and the {len(terms)} outputs it feeds, each "
                         "marked with its tap" if notes else rf"${name}$ and the {len(terms)} outputs it feeds")
    for group in parts:
        if len(group) > MAX_SLICES:
            return Skipped(f"its chain rule reads {len(group)} slices of one tensor, more than {MAX_SLICES}")
        for (t, _), _ in group:
            reason = geo.too_big(t)
            if reason:
                return Skipped(reason)
    groups = [[(t, lead, on) for (t, lead), on in group] for group in parts]
    grids, arrows, height = _row(geo, groups, notes)
    width = grids[-1].x + grids[-1].cols
    return Figure(f"rf-{s.name}", kind, caption, caption_latex, tuple(grids),
                  tuple(_arrows_at_middle(arrows, height)), width, height, _chars(grids), bool(notes))


def network_figure(net) -> Figure | Skipped | None:
    """The network as a chain of feature maps (input, then each layer's output; first example,
    first channel drawn, the full shape in the grid's ``where``); None for a network that is
    not a chain of feature maps (a graph, a dense or flatten layer), :class:`Skipped` when a
    map is larger than :data:`MAX_SIDE` a side."""
    geo = _Geometry(net)
    tensors = [net.input]
    for layer in net.layers:
        if kind_of(layer).reshape_only or layer.reads != (layer.index - 1,) or len(layer.sources) != 1:
            return None
        tensors.append(layer.out)
    if not all(len(t.shape) == len(net.input.shape) for t in tensors):
        return None
    for t in tensors:
        reason = geo.too_big(t)
        if reason:
            return Skipped(reason)
    lead = (0,) * (len(net.input.shape) - geo.spatial)
    grids, arrows, height = _row(geo, [[(t, lead, ())] for t in tensors])
    grids = [g._replace(where="x".join(str(v) for v in t.shape)) for g, t in zip(grids, tensors)]
    arrows = [a._replace(label=f"layer {k}") for k, a in enumerate(_arrows_at_middle(arrows, height), start=1)]
    shapes = " -> ".join("x".join(str(v) for v in t.shape[-geo.spatial:]) for t in tensors)
    caption = f"The network: {shapes}, one grid per feature map (first channel)."
    caption_latex = "The network: " + r" $\to$ ".join(
        r"$" + r" \times ".join(str(v) for v in t.shape[-geo.spatial:]) + "$" for t in tensors) + \
        ", one grid per feature map (first channel)."
    width = grids[-1].x + grids[-1].cols
    return Figure("network", "network", caption, caption_latex, tuple(grids), tuple(arrows), width, height,
                  _chars(grids))


def kernel_field(net, gradients) -> dict | None:
    """The ``--format html`` page's receptive field: the input's first channel as a grid
    (``cells``: ``row``, ``col``, ``id`` ``x{r}_{c}``, ``label`` LaTeX; 0-based), the first kernel
    (output 0, input 0) as a grid (``kernel``: ``row``, ``col``, ``id`` ``k{m}_{n}``, ``label``,
    ``touches`` the ids of the input cells its gradient's chain-rule terms read, ``count``),
    ``height``, ``width``, ``kh``, ``kw``; None when the first layer has no 2-D kernel over an
    unbatched input."""
    table = net.table
    first = net.layers[0]
    if net.batch or first.weight is None or len(first.weight.shape) != 4 or len(net.input.shape) != 3:
        return None
    _, height, width = net.input.shape
    inputs = set(net.input.symbols)
    kernel = []
    for w in first.weight.symbols:
        o, c, m, n = table.info[w].index
        if o or c:
            continue
        touched = sorted({table.info[t.partial].index[1:] for t in gradients[w].terms
                          if t.partial in inputs and table.info[t.partial].index[0] == 0})
        kernel.append({"row": m, "col": n, "id": f"k{m}_{n}", "label": table.info[w].latex,
                       "touches": " ".join(f"x{r}_{q}" for r, q in touched), "count": len(touched)})
    cells = [{"row": r, "col": q, "id": f"x{r}_{q}",
              "label": table.info[net.input.symbols[r * width + q]].latex}
             for r in range(height) for q in range(width)]
    kh, kw = first.weight.shape[2:]
    return {"cells": cells, "kernel": kernel, "height": height, "width": width, "kh": kh, "kw": kw}
