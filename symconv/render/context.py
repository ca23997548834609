"""The template context of a derivation: everything the templates need, as printed strings
and lists (layers, tensors, elements, rows, equations), no sympy objects. Statements (closed
forms, index formulas, general δ) come printed from :mod:`symconv.statements`."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import NamedTuple
from urllib.parse import quote

import sympy

from ..derivation import Derivation, ElementProof, TensorProof, shown_indices
from ..figures import Skipped, element_figures, network_figure
from ..latex import split_rows
from ..layers import kind_of
from ..notation import PARAMETER_ROLES
from .legend import document_notation, legend
from .printer import Printer
from .rows import HEAD_TERMS, TABLE_ROWS, listed_rows, readable_rows, value_equation
from .terms import sized_rows


_ONE = sympy.S.One


class Touch(NamedTuple):
    """One row of a receptive-field table (``row.output`` or ``row["output"]`` in a template)."""

    output: str
    upstream: str
    partial: str


def _cert_text(cert) -> str:
    return f"{cert.method}: {cert.detail}" if cert.equal else f"FAILED ({cert.method}): {cert.detail}"


METHODS = {
    "monomials": "monomial multisets",
    "expand": "exact expansion",
    "identical": "identical expressions",
    "random-rational": "random exact evaluation",
    "numeric": "high-precision numeric",
}
"""The certificate methods of :mod:`symconv.verify`, as the certificates table names them."""


def _methods(methods) -> str:
    return ", ".join(METHODS.get(m, m) for m in methods)


def _certificates_row(pr: Printer, t: TensorProof, letter: str, count: int) -> dict:
    """One row of the certificates table: which certificates the gradient of tensor ``t`` has,
    by what method, over how many of its elements; a comparison not made says why."""
    d = pr.d
    if t.closed_kind is None:
        closed = "none: no closed form for this tensor"
    elif t.all_closed_certified:
        closed = f"{_methods(t.closed_methods)}, all {count}"
    else:
        closed = f"FAILED ({_methods(t.closed_methods)})"
    compared = [e.full for e in t.elements if e.full is not None]
    if compared:
        bad = sum(1 for c in compared if not c.equal)
        methods = _methods(sorted({c.method for c in compared}))
        which = f"all {count}" if len(compared) == count else f"the {len(compared)} shown of {count}"
        diff = f"{methods}, {which}" + (f"; {bad} FAILED" if bad else "")
    elif d.full_cost_terms is not None:
        diff = f"not made: the expanded cost has {d.full_cost_terms} terms (limit {pr.full_cost_limit})"
    else:
        diff = f"not made: the expanded cost was estimated above {20 * pr.full_cost_limit} terms and not built"
    ind = d.independent
    covered = ind is not None and any((c.role, c.layer) == (t.role, t.layer if t.role != "input" else 0)
                                      for c in ind.covers)
    if ind is None or not covered:
        independent = "not made: this tensor is not among the certificate's differentiated coordinates"
    elif not ind.passed:
        independent = f"FAILED: {ind.reason}"
    elif ind.bound is not None:
        independent = f"random exact evaluation, bound {ind.bound:.2g}"
    else:
        independent = "high-precision numeric"
    if d.forward.assumed:  # one-hot targets: both comparisons made where the targets sum to 1
        if compared:
            diff += "; after substituting the last target of each example by 1 minus the others"
        if covered and ind.passed:
            independent += "; at targets drawn summing to 1 in each example"
    return {"letter": letter, "entries": count, "closed": closed, "sympy_diff": diff, "independent": independent}



class ElementContext(MutableMapping):
    """One element's context (a mapping, ``e.sum`` or ``e["sum"]`` in a template) whose
    printed entries are made when the template first reads them, then kept. A ``--full``
    document walks a tensor's elements several times (the result section reads ``result``, the
    derivation's filters read ``worked`` and ``numeric``, its worked elements everything): each
    pass builds the element afresh (:class:`Lazy`), and now prints only what that pass reads.
    Code between the context and the template may set or delete entries as in a dict."""

    __slots__ = ("_values", "_makers")

    def __init__(self, values: dict, makers: dict):
        self._values = values
        self._makers = makers

    def __getitem__(self, key: str):
        try:
            return self._values[key]
        except KeyError:
            make = self._makers[key]  # KeyError for a key the context does not have
            value = self._values[key] = make()
            return value

    def __setitem__(self, key: str, value) -> None:
        self._values[key] = value

    def __delitem__(self, key: str) -> None:
        found = key in self._values or key in self._makers
        self._values.pop(key, None)
        self._makers.pop(key, None)
        if not found:
            raise KeyError(key)

    def __iter__(self):
        yield from self._values
        yield from (k for k in self._makers if k not in self._values)

    def __len__(self) -> int:
        return len(self._values.keys() | self._makers.keys())


def _element(pr: Printer, e: ElementProof) -> ElementContext:
    """One element's context. Every chain-rule term is printed by string formatting from cached
    factors (:mod:`.terms`): a ``--full`` document costs microseconds per term; each entry is
    printed only when a template reads it (:class:`ElementContext`)."""
    written = e.written
    terms = e.terms
    tp = pr.terms
    wrt = e.wrt

    def chain_piece(t):
        pt, pw = tp.partial(t.via, wrt)
        if t.upstream is _ONE:
            return pt, pw
        gt, gw = tp.grad(t.via)
        return f"{gt} {pt}", gw + pw

    def chain():
        return sized_rows(terms, chain_piece, written, HEAD_TERMS)

    shown_touches = terms if written else terms[:TABLE_ROWS]

    def touches():
        text = tp.text
        return [Touch(text(t.via)[0], text(t.upstream)[0], text(t.partial)[0]) for t in shown_touches]

    def products():
        return sized_rows(terms, lambda t: tp.product2(t.upstream, t.partial), written, HEAD_TERMS)

    def closed():
        if e.closed is None:
            return None
        kind, pairs, cert = e.closed  # the closed form's products (a, b), meaning Σ a·b
        return {"kind": kind, "rows": sized_rows(
            list(pairs), lambda ab: tp.product2(ab[0], 1 if ab[1] is None else ab[1]), written, HEAD_TERMS),
            "certificate": _cert_text(cert), "ok": cert.equal}

    def inline() -> str:
        return rf"\partial {tp.cost} / \partial {tp.text(wrt)[0]}"

    def numeric():
        if pr.numeric is None:
            return None
        numbers = sized_rows(terms, lambda t: pr.nterms.product2(t.upstream, t.partial), written, HEAD_TERMS)
        return {"numbers": numbers, "value": value_equation(pr.numeric.grad[e.wrt])}

    def compact():
        n = context["numeric"]
        return ([{"lhs": context["grad_inline"], "rows": context["sum"] if e.terms else ["0"]}]
                + ([{"lhs": "", "rows": n["numbers"]}, n["value"]] if n is not None else []))

    context = ElementContext({
        "name": wrt.name,
        "written": written,
        "count": len(terms),
        "touches_omitted": len(terms) - len(shown_touches),
        "zero": not terms,
        "worked": wrt in pr.worked,  # one fully worked element per kind (:func:`worked_elements`)
        **_figure(pr.figures.get(wrt), pr.d.network.spec.name),
    }, {  # a --full document builds each element's context three times (the template's passes)
        "wrt": lambda: tp.text(wrt)[0],
        "grad": lambda: tp.grad(wrt)[0],
        "grad_inline": inline,
        "full": lambda: _cert_text(e.full) if e.full is not None else None,
        "chain": chain,
        "touches": touches,
        "sum": products,
        "named": lambda: readable_rows(pr, e.named),
        "closed": closed,
        "numeric": numeric,
        "result": lambda: {"lhs": context["grad_inline"],
                           "rows": context["named"] or (context["sum"] if e.terms else ["0"])},
        "compact": compact,
    })
    return context


def _figure(fig, name: str) -> dict:
    """``figure`` (a :class:`~symconv.figures.Figure` or None), ``figure_path`` (its SVG file,
    relative to the Markdown, URL-quoted for a Markdown link) and ``figure_skipped`` (why a figure is not drawn, or "")."""
    if isinstance(fig, Skipped):
        return {"figure": None, "figure_path": "", "figure_skipped": fig.reason}
    if fig is None:
        return {"figure": None, "figure_path": "", "figure_skipped": ""}
    return {"figure": fig, "figure_path": quote(figure_path(name, fig.id)), "figure_skipped": ""}


def figure_folder(name: str) -> str:
    """The folder of the SVG figures of the document ``name``, relative to its folder (``NAME.figures``)."""
    return f"{name}.figures"


def figure_path(name: str, figure_id: str) -> str:
    """The SVG file of figure ``figure_id`` of the document ``name``, relative to its folder
    (``NAME.figures/ID.svg``)."""
    return f"{figure_folder(name)}/{figure_id}.svg"


_PARAMETER_ROLES = frozenset(PARAMETER_ROLES)
_RF_HEADERS = {
    "weight": ("output it touches", "upstream gradient", "input it pairs with"),
    "bias": ("output it touches", "upstream gradient", "local partial"),
    "input": ("output it feeds", "upstream gradient", "weight involved"),
    "activation": ("output it feeds", "upstream gradient", "weight involved"),
    "gamma": ("output it touches", "upstream gradient", "local partial"),
    "beta": ("output it touches", "upstream gradient", "local partial"),
}


def _rf_headers(pr: Printer, role: str, layer_index: int, readers=()) -> tuple[str, str, str]:
    """Column names of a receptive-field table: what the third column holds depends on the layers
    that read the tensor (a weight for conv and dense, a routing or averaging factor else)."""
    consumers = [pr.d.network.layers[r - 1] for r, _ in readers] or [pr.d.network.layers[layer_index - 1]]
    if role not in _PARAMETER_ROLES and not all(kind_of(c).weighted for c in consumers):
        return ("output it feeds", "upstream gradient", "local partial")
    return _RF_HEADERS.get(role, ("output", "upstream gradient", "local partial"))


class Lazy:
    """``map(fn, items)`` that can be iterated many times and knows its length: a tensor's
    element contexts are built while the template writes them, so a ``--full`` document never
    holds every element's strings at once (see :func:`~symconv.render.render_chunks`).

    ``keep``: build the contexts once, on the first iteration, and keep them (the default
    document, whose few elements code may read and change before the template runs); without
    it every iteration builds them afresh (``--full``)."""

    def __init__(self, items, fn, keep: bool = False):
        self.items, self.fn, self.keep = items, fn, keep
        self._built: list | None = None

    def __iter__(self):
        if not self.keep:
            return map(self.fn, self.items)
        if self._built is None:
            self._built = list(map(self.fn, self.items))
        return iter(self._built)

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)


def _tensor(pr: Printer, t: TensorProof, layer_index: int) -> dict:
    role = t.role
    layer = t.layer
    count = 1
    for n in t.shape:
        count *= n
    return {
        "role": role,
        "layer": layer,
        "letter": pr.namer.tensor_latex(role, layer if role != "input" else 0),
        "shape": " \\times ".join(str(v) for v in t.shape),
        "shape_text": "x".join(str(v) for v in t.shape),
        "closed_kind": t.closed_kind,
        "closed_statement": (pr.st.tensor_closed_statement(t.closed_kind, t.readers, layer_index)
                             if t.closed_kind else None),
        "index_formula": pr.st.index_formula(t.role, t.layer, t.readers, layer_index),
        "rf_headers": _rf_headers(pr, role, layer_index, t.readers),
        "elements": Lazy(t.elements, lambda e: _element(pr, e), keep=not pr.d.full),
        "same_as_delta": (role == "activation" and not pr.d.full
                          and pr.d.network.layers[layer - 1].pre is None
                          and pr.d.network.layers[layer - 1].delta is not None),
        "derivation_kind": (("read", tuple(sorted({pr.d.network.layers[r - 1].spec.type for r, _ in t.readers})))
                            if t.readers else (role, pr.d.network.layers[layer_index - 1].spec.type)),
        "certificate": _certificates_row(pr, t, pr.namer.tensor_latex(role, layer if role != "input" else 0), count),
        "count": count,
        "omitted": t.omitted,
        "all_closed_certified": t.all_closed_certified,
    }



def _definition_rows(pr: Printer, d, printer=None) -> list[str]:
    p = printer or pr.p
    if d.terms:
        tp = pr.terms if p is pr.p else pr.nterms
        printed = [tp.product((t.coeff, t.value, t.weight) if t.weight is not None else (t.coeff, t.value))
                   for t in d.terms]
        if d.bias is not None:
            printed.append(tp.product((d.bias,)))
        return split_rows([t for t, _ in printed], widths=[w for _, w in printed])
    if d.rule == "max" and len(d.partials) > 1:
        # the window in row-major order (sympy's Max keeps its arguments in its own sorted order)
        return [r"\max\left(" + ", ".join(p._print(v) for v, _ in d.partials) + r"\right)"]
    return pr.rows(d.expr, p)


def _with_numbers(pr: Printer, eq: dict, d) -> list[dict]:
    """A forward definition followed (numeric view) by its numbers and its value."""
    if pr.numeric is None:
        return [eq]
    return [eq, {"lhs": "", "rows": _definition_rows(pr, d, pr.np)},
            value_equation(pr.numeric.value[d.target])]


def _delta_equations(pr: Printer, s, terms, named, written: bool, in_result: bool = False) -> list[dict]:
    """δ = Σ upstream · partial, then (if it reads differently, and the result section does not
    already show it: ``in_result``) the substituted form, then (numeric view) the numbers and the
    value. A long, unasked-for sum is elided."""
    chain = sized_rows(list(terms), lambda t: pr.terms.product2(t.upstream, t.partial), written, HEAD_TERMS)
    eqs = [{"lhs": pr(s), "rows": chain}]
    substituted = None if in_result else readable_rows(pr, named)
    if substituted is not None:
        if substituted != chain:
            eqs.append({"lhs": "", "rows": substituted})
    if pr.numeric is not None:
        eqs.append({"lhs": "", "rows": sized_rows(list(terms), lambda t: pr.nterms.product2(t.upstream, t.partial),
                                                  written, HEAD_TERMS)})
        eqs.append(value_equation(pr.numeric.value[s]))
    return eqs


def _cost_equation(pr: Printer, d) -> list[dict]:
    """The cost's definition (elided when it has more than 16 summands, unless ``--full``), then
    (numeric view) its numbers and its value. Only the printed summands are built (the whole
    cost of a large network is never constructed here)."""
    cost = d.cost
    net = d.network
    kind = net.spec.cost.type
    pairs = list(zip(net.output.symbols, net.targets.symbols))
    n = len(pairs)
    written = d.full or n <= 16
    if kind == "cross_entropy":
        if written:
            rows = pr.rows(cost.expr)
        else:
            rows = [pr.st.cross_entropy_general(n)]
        numbers = pr.rows(cost.expr, pr.np) if pr.numeric is not None and written else None
    else:
        summand = _summands(pr, n)
        rows = listed_rows(pairs, lambda oy: summand(pr.p, oy), written)
        numbers = listed_rows(pairs, lambda oy: summand(pr.np, oy), written) if pr.numeric is not None else None
    eqs = [{"lhs": pr(cost.target), "rows": rows}]
    if pr.numeric is not None:
        if numbers is not None:
            eqs.append({"lhs": "", "rows": numbers})
        eqs.append(value_equation(pr.numeric.value[cost.target]))
    return eqs


def _summands(pr: Printer, n: int):
    """``show(printer, (o, y))``: the cost's summand of output ``o`` and target ``y`` (of ``n``
    outputs) printed. A squared-error summand is built once on placeholders and printed with
    them standing for ``(o, y)`` (building a sympy summand per output took ~200 µs); the first
    pair each printer shows is compared with its summand built directly, and a difference
    (never seen) falls back to building every one."""
    def direct(p, oy) -> str:
        return p.doprint(pr.st.cost_summand(oy[0], oy[1], n))

    found = pr.st.cost_summand_template(n)
    if found is None:
        return direct
    template, (o_, y_) = found
    same: dict = {}  # id(printer) -> whether the template prints as the direct summand

    def show(p, oy) -> str:
        text = p.instance(template, {o_: oy[0], y_: oy[1]})
        ok = same.get(id(p))
        if ok is None:
            ok = same[id(p)] = text == direct(p, oy)
        return text if ok else direct(p, oy)

    return show


UNREAD_LISTED = 6  # unread elements listed by name up to this count; more: the first two, ..., the last


def _unread(pr: Printer, d) -> list[dict]:
    """The elements no later layer reads (:func:`~symconv.derivation.unread_elements`), per
    tensor: ``layer`` (0: the input), their printed names (elided), ``count`` of ``total``, and
    ``delta`` the layer's δ tensor when it has error terms (theirs are 0 too; else "")."""
    rows = []
    for tensor, flats in d.unread:
        names = [pr(tensor.symbols[k]) for k in flats]
        if len(names) > UNREAD_LISTED:
            names = names[:2] + [r"\ldots"] + names[-1:]
        layer = tensor.layer if tensor.role != "input" else 0
        carrier = d.network.layers[layer - 1] if layer else None
        rows.append({"layer": layer, "names": names, "count": len(flats), "total": len(tensor),
                     "delta": pr.namer.tensor_latex("delta", layer) if carrier is not None and carrier.delta is not None
                     else ""})
    return rows


def _softmax_equations(pr: Printer, d) -> list[dict]:
    """The softmax p = softmax(o) a cross-entropy cost reads, element by element (elided as a
    tensor's elements are, with ``--show`` picks), each followed by its numbers in the numeric
    view; empty for another cost."""
    probabilities = d.network.probabilities
    if probabilities is None:
        return []
    idx = shown_indices(probabilities.shape, d.full, {k for k, s in enumerate(probabilities.symbols) if s in d.show})
    eqs = []
    for k in idx:
        x = d.forward.definition(probabilities.symbols[k])
        eqs.extend(_with_numbers(pr, {"lhs": pr(x.target), "rows": pr.rows(x.expr)}, x))
    return eqs


def worked_elements(proofs, contexts, d: Derivation) -> set:
    """The symbols whose elements are worked in full: one per kind of derivation (a parameter's
    role and its layer's kind; for a tensor layers read, the kinds of those layers: the network
    input and an activation read by the same kind of layer are derived alike), the shown element
    of that kind with the most chain-rule terms (the first of those); every element under
    ``--full`` and every ``--show`` element written in full. ``proofs`` and their tensor
    ``contexts`` in document order (decided from the proofs: element contexts are built lazily)."""
    if d.full:
        return {e.wrt for t in proofs for e in t.elements}
    worked = {e.wrt for t in proofs for e in t.elements if e.written and e.wrt in d.show}
    best: dict = {}
    for t, c in zip(proofs, contexts):
        if c["same_as_delta"]:
            continue
        kind = c["derivation_kind"]
        for e in t.elements:
            if e.terms and (kind not in best or len(e.terms) > len(best[kind].terms)):
                best[kind] = e
    return worked | {e.wrt for e in best.values()}


def build_context(d: Derivation, numeric=None, claims=()) -> dict:
    """Everything the templates need, as strings and lists (no sympy objects).

    ``numeric``: a :class:`~symconv.values.NumericView`; each formula is then followed by its
    numbers substituted and its value. ``claims``: printed verdicts on the reader's claims
    (:func:`symconv.check.verdict_context`), passed through.
    """
    pr = Printer(d, numeric)
    net = d.network
    spec = net.spec
    fw = d.forward
    nm = pr.namer
    show_flats = d.show
    layers = []
    for lp in d.layers:
        layer = net.layers[lp.index - 1]
        carrier = layer.pre if layer.pre is not None else layer.out
        formulas = pr.st.layer_formulas(layer)
        forward, forward_omitted = [], 0
        if lp.forward:
            for defined in [t for t, _ in layer.intermediates] + [carrier]:
                idx = shown_indices(defined.shape, d.full,
                                    {k for k, s in enumerate(defined.symbols) if s in show_flats})
                for k in idx:
                    x = fw.definition(defined.symbols[k])
                    forward.extend(_with_numbers(pr, {"lhs": pr(x.target), "rows": _definition_rows(pr, x)}, x))
                forward_omitted += len(defined) - len(idx)
        activation = []
        if lp.activation:
            idx = shown_indices(layer.out.shape, d.full, {k for k, s in enumerate(layer.out.symbols) if s in show_flats})
            for k in idx:
                x = fw.definition(layer.out.symbols[k])
                activation.extend(_with_numbers(pr, {"lhs": pr(x.target), "rows": pr.rows(x.expr)}, x))
        layers.append({
            "index": lp.index,
            "kind": lp.kind,
            "summary": [(k, _fmt(v)) for k, v in lp.summary.items()],
            "forward_formula": formulas.forward,
            "forward_note": formulas.forward_note,
            "forward": forward,
            "forward_omitted": forward_omitted,
            "activation": activation,
            "activation_convention": kind_of(layer).activation_convention(layer),
            "reshape": kind_of(layer).reshape(layer, pr.pc),
            "delta_formula": pr.st.delta_formula(layer),
            "delta_note": pr.st.delta_note(layer),
            "delta_equations": [eq for s, terms, named, written in lp.deltas
                                for eq in _delta_equations(pr, s, terms, named, written,
                                                           not d.full and layer.pre is None)],
            "delta_omitted": lp.delta_omitted,
            "delta_substituted": d.full or layer.pre is not None,
            "tensors": [_tensor(pr, t, lp.index) for t in lp.tensors],
        })
    input_tensor = _tensor(pr, d.input_proof, 1)
    tensors = [t for layer in layers for t in layer["tensors"]] + [input_tensor]
    proofs = [t for lp in d.layers for t in lp.tensors] + [d.input_proof]
    pr.worked = worked_elements(proofs, tensors, d)
    pr.figures = element_figures(net, [e for t in proofs for e in t.elements if e.wrt in pr.worked])
    network_fig = _figure(network_figure(net), spec.name)
    ind = d.independent
    sections = ["result"] + (["claims"] if claims else []) + ["notation", "network", "forward", "errors",
                                                               "gradients", "certificates"]
    last = layers[-1]
    return {
        "sec": {name: k for k, name in enumerate(sections, start=1)},
        "output_gradient": last["delta_equations"],
        "title": spec.title,
        "name": spec.name,
        "convention": spec.convention,
        "input_shape": "x".join(str(v) for v in ((spec.batch,) if spec.batch else ()) + tuple(spec.input_shape)),
        "input_axes": _input_axes(spec),
        "cost_type": spec.cost.type,
        "cost_equations": _cost_equation(pr, d),
        "cost_softmax": pr.st.softmax(),
        "unread": _unread(pr, d),
        "cost_softmax_equations": _softmax_equations(pr, d),
        "cost_letter": nm.latex_letter("cost"),
        "layers": layers,
        "input": input_tensor,
        "tensors": tensors,
        "gradient_count": sum(t["count"] for t in tensors) + len(net.output),
        "claims": list(claims),
        "independent": ind.statement if ind is not None else "",
        "index_base": nm.base,
        "style": nm.style,
        "seed_note": pr.st.seed_note(),
        "assumption": pr.st.targets_assumption(),
        "full": d.full,
        "numeric": numeric is not None,
        "certificates": d.certificate_count,
        "failures": list(d.certificate_failures),
        "full_cost_terms": d.full_cost_terms,
        "network_figure": network_fig,
        "figures": [f for f in [network_fig["figure"], *pr.figures.values()] if f is not None and not isinstance(f, Skipped)],
        "legend": legend(pr),
        "notation": document_notation(pr.st),
    }


def _input_axes(spec) -> list[str]:
    """The axes of the network input, as the network section names them."""
    axes = ["channels", "height", "width"] if len(spec.input_shape) == 3 else ["channels", "length"]
    return (["batch"] if spec.batch else []) + axes


def _fmt(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
