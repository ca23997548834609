"""The legend of a document: (symbol pattern, meaning) rows in its notation."""

from __future__ import annotations

from ..layers import kind_of
from ..notation import ROLE_TABLE


def legend(pr) -> list[tuple[str, str]]:
    """(symbol pattern, meaning) rows in the document's notation: one per role of
    :data:`~symconv.notation.ROLE_TABLE` that is always shown or that the network has, then the
    rows its layers add."""
    nm = pr.namer
    seed = nm.style == "seed"
    batched = pr.d.network.batch > 0
    mark = "l" if seed else "(l)"
    ex = f"{pr.pc.example}," if batched and not seed else ""
    signals = len(pr.d.network.input.shape) - batched == 2  # a 1-D network: (C, L) per example
    subscripts = {"fmap": "k", "kernel": "k", "vector": "k", "channel": "k", "target": "k"} if seed else {
        "fmap": ex + ("c,u" if signals else "c,u,v"), "kernel": "o,c,m" if signals else "o,c,m,n", "vector": "o",
        "channel": "c", "target": ex + "k"}
    present = {info.role for info in pr.table.info.values()}
    rows = []
    for role in ROLE_TABLE:
        if not role.meaning or role.name not in present:  # only the letters this document uses
            continue
        letter = nm.latex_letter(role.name)
        if role.scalar:
            rows.append((letter, role.meaning))
        elif role.index == "target":  # targets and the softmax p: no layer mark
            rows.append((rf"{letter}_{{{subscripts['target']}}}", role.meaning))
        else:
            up = ("1" if seed else "(0)") if role.name == "input" else mark
            rows.append((rf"{letter}^{{{up}}}_{{{subscripts[role.index]}}}", role.meaning))
    if batched:
        rows.append((pr.pc.example, "the example of the batch an element belongs to (the first index of a "
                                    "per-example tensor)"))
    return rows + list(dict.fromkeys(row for layer in pr.d.network.layers
                                     for row in kind_of(layer).legend(layer, pr.pc)))


def notation(pr) -> list[dict]:
    """The rows of a document's Notation section, ``{"symbol", "meaning", "formula"}``: the
    letters of the legend (:func:`legend`), then every operator and decoration the layers' printed
    formulas use (:meth:`~symconv.layers.LayerKind.notation`: their legend rows with defining
    formulas), each symbol once."""
    layer_rows = {row for layer in pr.d.network.layers for row in kind_of(layer).legend(layer, pr.pc)}
    softmax = pr.st.softmax()
    defined = {softmax["p"]: softmax["formula"]} if softmax else {}  # p: the cost's softmax
    rows = [{"symbol": sym, "meaning": meaning, "formula": defined.get(sym, "")} for sym, meaning in legend(pr)
            if (sym, meaning) not in layer_rows]
    seen = {r["symbol"] for r in rows}
    for layer in pr.d.network.layers:
        for sym, meaning, formula in kind_of(layer).notation(layer, pr.pc):
            if sym not in seen:
                seen.add(sym)
                rows.append({"symbol": sym, "meaning": meaning, "formula": formula})
    return rows
