"""The legend of a document: (symbol pattern, meaning) rows in its notation."""

from __future__ import annotations

from ..layers import kind_of
from ..notation import ROLE_TABLE


def legend(pr) -> list[tuple[str, str]]:
    """:func:`network_legend` of the derivation's network (``pr``: the document's printers)."""
    return network_legend(pr.d.network, pr.pc)


def network_legend(network, pc) -> list[tuple[str, str]]:
    """(symbol pattern, meaning) rows in the notation of ``network`` (a built
    :class:`~symconv.network.Network`; ``pc`` its :class:`~symconv.layers.PrintContext`): one per
    role of :data:`~symconv.notation.ROLE_TABLE` that is always shown or that the network has,
    then the rows its layers add."""
    nm = network.table.namer
    seed = nm.style == "seed"
    batched = network.batch > 0
    mark = "l" if seed else "(l)"
    ex = f"{pc.example}," if batched and not seed else ""
    signals = len(network.input.shape) - batched == 2  # a 1-D network: (C, L) per example
    subscripts = {"fmap": "k", "kernel": "k", "vector": "k", "channel": "k", "target": "k"} if seed else {
        "fmap": ex + ("c,u" if signals else "c,u,v"), "kernel": "o,c,m" if signals else "o,c,m,n", "vector": "o",
        "channel": "c", "target": ex + "k"}
    present = {info.role for info in network.table.info.values()}
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
        rows.append((pc.example, "the example of the batch an element belongs to (the first index of a "
                                 "per-example tensor)"))
    return rows + list(dict.fromkeys(row for layer in network.layers
                                     for row in kind_of(layer).legend(layer, pc)))


def document_notation(st) -> list[dict]:
    """The Notation section of a document about ``st.network`` (``st``: its
    :class:`~symconv.statements.Statements`): :func:`network_notation` with the cost's softmax p
    defined by its formula. Derivations, verdict documents and the HTML page all print this one."""
    softmax = st.softmax()
    return network_notation(st.network, st.pc, {softmax["p"]: softmax["formula"]} if softmax else None)


def network_notation(network, pc, defined: dict | None = None) -> list[dict]:
    """The rows of a document's Notation section, ``{"symbol", "meaning", "formula"}``, for a
    document about ``network`` (a derivation, or the verdicts of ``symconv check``): the letters
    of the legend (:func:`network_legend`), then every operator and decoration the layers' printed
    formulas use (:meth:`~symconv.layers.LayerKind.notation`: their legend rows with defining
    formulas), each symbol once. ``defined``: defining formulas of legend letters (the softmax p).
    """
    defined = defined or {}
    layer_rows = {row for layer in network.layers for row in kind_of(layer).legend(layer, pc)}
    rows = [{"symbol": sym, "meaning": meaning, "formula": defined.get(sym, "")}
            for sym, meaning in network_legend(network, pc)
            if (sym, meaning) not in layer_rows]
    seen = {r["symbol"] for r in rows}
    for layer in network.layers:
        for sym, meaning, formula in kind_of(layer).notation(layer, pc):
            if sym not in seen:
                seen.add(sym)
                rows.append({"symbol": sym, "meaning": meaning, "formula": formula})
    return rows
