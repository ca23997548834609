"""The proof as immutable steps: forward definitions, δ per layer, and for every parameter the
chain rule, the outputs it touches, the local partials, the sum of products, the substituted form,
the closed form it instantiates, and the certificates that tie them together.

Rendering (:mod:`symconv.render`) and checking read the same objects. Large tensors are shown by
a chosen subset of elements (every element is still computed and certified); the derivation
records what it left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import sympy

from .forward import Forward
from .gcpause import gc_paused
from .gradients import ChainTerm, Gradients
from .identities import ClosedForm, products_expr
from .independent import IndependentCertificate, certificate_of
from .layers import Context, kind_of
from .network import Network
from .verify import Certificate, certify_equal, certify_products, products_differ_at, symbol_numbers

SHOW_ALL_UP_TO = 16  # elements of a tensor shown in full by default
FACTOR_UP_TO = 64  # chain-rule terms up to which the substituted form is factored for display
DISPLAY_SIZE_LIMIT = 2000  # symbol occurrences up to which the substituted form is displayed
FULL_COST_CERTIFY_LIMIT = 2000  # terms of the expanded cost up to which sympy.diff is compared


@dataclass(frozen=True)
class Step:
    """One displayed equation ``lhs = rhs``; ``rows`` the printed pieces are split into later."""

    lhs: sympy.Expr
    rhs: sympy.Expr


@dataclass(frozen=True)
class ElementProof:
    """The derivation of ∂C/∂``wrt`` for one element.

    ``terms``: the chain-rule products (one per definition reading ``wrt``); ``named``: the
    substituted form (δ replaced, common factors pulled out; None for elements reading more than
    ``FACTOR_UP_TO`` outputs); ``closed``: ``(kind, products, certificate)``, the closed form's
    products ``(a, b)`` (meaning Σ a·b) at this element, certified against the element-wise
    sum; ``full``: the certificate
    against ``sympy.diff`` of the expanded cost (None when the cost is too large to expand).
    """

    wrt: sympy.Symbol
    terms: tuple[ChainTerm, ...]
    named: sympy.Expr | None
    closed: tuple[str, tuple, Certificate] | None
    full: Certificate | None
    written: bool = True  # False: the sums are long and not asked for; the document elides them


@dataclass(frozen=True)
class TensorProof:
    """Proofs for the shown elements of one tensor (``role`` weight, bias, input, ...).

    ``readers``: for a tensor that layers read (the network input, a layer's output), the
    ``(layer index, input position)`` of each layer that reads it; its gradient is the sum of
    their contributions, and its closed form (kind ``"paths"`` when there are several) the sum
    of theirs. Empty for parameters.
    """

    role: str
    layer: int
    shape: tuple[int, ...]
    closed_kind: str | None
    elements: tuple[ElementProof, ...]
    omitted: int
    all_closed_certified: bool | None
    readers: tuple[tuple[int, int], ...] = ()
    closed_methods: tuple[str, ...] = ()  # methods that certified the closed form, over every element


@dataclass(frozen=True)
class LayerProof:
    """One layer: its forward definitions, δ (or ∂C/∂o) definitions, and parameter proofs."""

    index: int
    kind: str
    summary: dict
    forward: tuple  # of Definition
    activation: tuple  # of Definition (a = f(z)); empty for identity
    deltas: tuple  # of (symbol, ChainTerm tuple, named expr or None, written: bool)
    delta_omitted: int
    tensors: tuple[TensorProof, ...]
    convention: str


@dataclass(frozen=True)
class Derivation:
    """The whole proof for one network: plain data read by rendering (``network``,
    ``forward`` and ``gradients`` are the stages it was derived from)."""

    network: Network
    forward: Forward
    gradients: Gradients
    layers: tuple[LayerProof, ...]
    cost: object  # Definition
    input_proof: TensorProof
    full_cost_terms: int | None
    certificate_count: int
    certificate_failures: tuple[str, ...]
    full: bool = False
    show: frozenset = frozenset()  # symbols picked with --show (written in full)
    independent: IndependentCertificate | None = None  # every gradient, by forward mode (issue 15)
    unread: tuple = ()  # (tensor, flat positions no later layer reads): see unread_elements


def unread_elements(grads: Gradients) -> tuple:
    """``(tensor, flat positions)`` of the network input and of every layer output (before the
    last layer) whose elements no later layer reads (a pooling window or a stride that skips
    them): their gradient, and δ of a layer with an activation, is exactly 0. Read from the
    chain-rule terms (an element with none is read by no definition); tensors read in full are
    left out."""
    net = grads.forward.network
    tensors = [net.input] + [layer.out for layer in net.layers[:-1] if not kind_of(layer).reshape_only]
    found = []
    for t in tensors:
        flats = tuple(k for k, s in enumerate(t.symbols) if not grads[s].terms)
        if flats:
            found.append((t, flats))
    return tuple(found)


def corner_indices(shape: tuple[int, ...]) -> list[int]:
    """Flat 0-based row-major positions of a tensor's corners: every index at 0 or its last value
    (for a (1, 28, 28) map: the four spatial corners), in row-major order."""
    import itertools

    corners = set()
    for idx in itertools.product(*[sorted({0, n - 1}) for n in shape]):
        flat = 0
        for size, i in zip(shape, idx):
            flat = flat * size + i
        corners.add(flat)
    return sorted(corners)


def shown_indices(shape: tuple[int, ...], full: bool = False, show=()) -> list[int]:
    """Which elements of a tensor of ``shape`` the document writes out (flat 0-based positions).

    Everything when ``full`` or when the tensor has at most ``SHOW_ALL_UP_TO`` elements, else the
    corners; plus the flat positions in ``show`` (picked with ``--show``).
    """
    count = 1
    for n in shape:
        count *= n
    if full or count <= SHOW_ALL_UP_TO:
        return list(range(count))
    return sorted(set(corner_indices(shape)) | {k for k in show if 0 <= k < count})


def _default_shown(shape, full: bool, show) -> set[int] | None:
    """Under ``full``, the elements the default document shows (they keep their substituted
    form; every other element of a full document gives the sum of products, whose upstream
    gradients are all written above: factoring a substituted form per element would cost
    milliseconds each); None otherwise (every shown element keeps it)."""
    return set(shown_indices(shape, False, show)) if full else None


WRITE_TERMS_LIMIT = 16  # chain-rule terms up to which a shown element's sums are written out


@gc_paused
def derive(source, full: bool = False, show=frozenset()) -> Derivation:
    """Build every step from ``source``: the :class:`~symconv.gradients.Gradients` of a network
    (or anything that has them as ``.gradients``, such as a :class:`symconv.Model`).

    ``full`` shows every element (and writes every sum) instead of the default subset (corners
    of large tensors, see :func:`shown_indices`); the substituted forms stay those of the default
    subset; ``show`` is a set of symbols whose elements
    are shown with every sum written in full (``--show``)."""
    grads: Gradients = source if isinstance(source, Gradients) else source.gradients
    show = frozenset(show)
    fw = grads.forward
    net = fw.network
    ctx = Context(flip=net.spec.convention == "convolution")
    expanded_cost, cost_terms = _expanded_cost(fw)
    failures: list[str] = []
    index: dict = {}  # symbol -> int, shared by every monomial certificate of this derivation
    numbers = symbol_numbers(net.table.info)  # the same, for the batched certificates
    count = 0

    def element(s, closed, substitute: bool = True) -> ElementProof:
        nonlocal count
        g = grads[s]
        written = full or s in show or len(g.terms) <= WRITE_TERMS_LIMIT
        named = _display(grads, s) if written and substitute else None
        cert_full = None
        if expanded_cost is not None:
            cert_full = certify_equal(fw.assume(grads.leaf(s)), fw.assume(_diff_of_cost(fw, expanded_cost, s)))
            count += 1
            if not cert_full:
                failures.append(f"sympy.diff of the cost at {s}: {cert_full.detail}")
        return ElementProof(s, g.terms, named, closed, cert_full, written)

    def tensor_proof(tensor, layer_index, form: ClosedForm | None, layer_deltas, readers=()) -> TensorProof:
        nonlocal count
        idx = shown_indices(tensor.shape, full, _flats(tensor, show))
        certs: dict = {}
        all_ok = None
        methods: tuple[str, ...] = ()
        if form is not None:
            bad, certs, methods = _certify_closed_all(grads, tensor, form, layer_deltas, idx, numbers, index)
            count += len(tensor)
            failures.extend(f"closed form {form.kind} at {tensor.symbols[k]}"
                            + (f": {certs[k].detail}" if k in certs else "") for k in bad)
            all_ok = not [k for k in bad if k not in certs]
        default = _default_shown(tensor.shape, full, _flats(tensor, show))
        elements = tuple(
            element(tensor.symbols[k], (form.kind, tuple(form.values[k]), certs[k]) if form else None,
                    default is None or k in default)
            for k in idx
        )
        return TensorProof(tensor.role, layer_index, tensor.shape, form.kind if form else None,
                           elements, len(tensor) - len(idx), all_ok, readers, methods)

    readers, keys = net.readers()
    forms_of = {layer.index: kind_of(layer).closed_forms(layer, ctx) for layer in net.layers}
    layers = []
    input_proof = None
    for layer in net.layers:
        kind = kind_of(layer)
        own = {f.tensor: f for f in forms_of[layer.index] if f.tensor != "input"}
        layer_deltas = upstream_symbols([layer])
        carrier = layer.carrier
        tensors = []
        for field_name, t in (("weight", layer.weight), ("bias", layer.bias)):
            if t is not None:
                tensors.append(tensor_proof(t, layer.index, own.get(field_name), layer_deltas))
        for p, source in enumerate(() if kind.reshape_only else layer.sources):
            reading = readers[keys[(layer.index, p)]]
            first, _ = reading[0]
            if (first.index, reading[0][1]) != (layer.index, p):
                continue  # shown with the first layer that reads it
            form = paths_form(forms_of, reading)
            by = tuple((reader.index, q) for reader, q in reading)
            ups = upstream_symbols([reader for reader, _ in reading])
            if source.role == "input":
                input_proof = tensor_proof(net.input, 0, form, ups, by)
            else:
                tensors.append(tensor_proof(source, source.layer, form, ups, by))
        deltas = []
        delta_omitted = 0
        for up_of, up in _shown_upstreams(layer):
            flats = _flats(up, show) | _flats(up_of, show)
            idx = shown_indices(up.shape, full, flats)
            default = _default_shown(up.shape, full, flats)
            deltas.extend(
                (up.symbols[k], grads[up_of.symbols[k]].terms,
                 _display(grads, up_of.symbols[k]) if written and (default is None or k in default) else None,
                 written)
                for k in idx
                for written in [full or up_of.symbols[k] in show or up.symbols[k] in show
                                or len(grads[up_of.symbols[k]].terms) <= WRITE_TERMS_LIMIT]
            )
            delta_omitted += len(up) - len(idx)
        defs = [] if kind.reshape_only else [fw.definition(s) for t, _ in layer.intermediates for s in t.symbols] + [
            fw.definition(s) for s in carrier.symbols]
        act = [fw.definition(s) for s in layer.out.symbols] if layer.pre is not None else []
        layers.append(LayerProof(
            layer.index, layer.spec.type, kind.summary(layer), tuple(defs), tuple(act), tuple(deltas),
            delta_omitted, tuple(tensors), net.spec.convention,
        ))
    if input_proof is None:  # read only through layers that rename it: no closed form
        input_proof = tensor_proof(net.input, 0, None, set())
    independent = certificate_of(grads)
    if not independent:
        failures.append(f"independent certificate: {independent.reason}"
                        + "".join(f"; the gradient by {e.name} is wrong (computed {e.computed}, forward mode "
                                  f"{e.independent})" for e in independent.located))
    return Derivation(net, fw, grads, tuple(layers), fw.cost, input_proof, cost_terms, count, tuple(failures),
                      full, show, independent, unread_elements(grads))


def _shown_upstreams(layer) -> list:
    """``(tensor, its ∂C/∂ symbols)`` whose definitions the layer's error-term section shows:
    δ (or ∂C/∂o when there is no δ), then the intermediates' from the last back."""
    main = [(layer.carrier, layer.delta)] if layer.delta is not None else (
        [(layer.out, layer.adjoint)] if layer.adjoint is not None else [])
    return main + list(reversed(layer.intermediates))


def upstream_symbols(layers) -> set:
    """Every named ∂C/∂ symbol of ``layers`` (δ, ∂C/∂o, the intermediates'): the chain-rule
    terms through these layers are the ones whose upstream gradient is one of them."""
    return {s for layer in layers for _, ups in layer.upstreams() for s in ups.symbols}


def paths_form(forms_of: dict, reading) -> ClosedForm | None:
    """The closed form of the gradient of a tensor read by ``reading`` (``[(layer, input
    position), …]``): the one reader's input form, or the sum of every reader's (kind
    ``"paths"``: one path per reader, as a skip connection's); None when a reader has none, or
    proves its own by a method of its own."""
    parts = []
    for reader, p in reading:
        form = next((f for f in forms_of[reader.index] if f.tensor == "input" and f.source == p), None)
        if form is None:
            return None
        parts.append(form)
    if len(parts) == 1:
        return parts[0]
    if any(f.certify is not None for f in parts):
        return None
    values = tuple(tuple(chain.from_iterable(f.values[k] for f in parts)) for k in range(len(parts[0].values)))
    return ClosedForm("paths", "input", values)


def closed_forms_by_symbol(net, ctx) -> dict:
    """``{symbol: products}`` of the closed form that covers each symbol's gradient (weights,
    biases, inputs of layers with closed forms; the sum of the paths for a tensor read by
    several layers), as the derivation shows them."""
    readers, _ = net.readers()
    forms_of = {layer.index: kind_of(layer).closed_forms(layer, ctx) for layer in net.layers}
    found = {}
    for layer in net.layers:
        for f in forms_of[layer.index]:
            tensor = {"weight": layer.weight, "bias": layer.bias}.get(f.tensor)
            if tensor is not None:
                found.update(zip(tensor.symbols, f.values))
    for reading in readers.values():
        form = paths_form(forms_of, reading)
        if form is not None:
            reader, p = reading[0]
            found.update(zip(reader.sources[p].symbols, form.values))
    return found


def _flats(tensor, show) -> set[int]:
    """Flat positions of the ``show`` symbols that belong to ``tensor``."""
    if not show:
        return set()
    return {k for k, s in enumerate(tensor.symbols) if s in show}


def substituted_shown(grads, s) -> bool:
    """Whether a document shows the substituted form of ∂C/∂s: False when the element reads more
    than ``FACTOR_UP_TO`` outputs or its substituted form would exceed ``DISPLAY_SIZE_LIMIT``
    symbol occurrences (a few terms can still reach thousands of outputs downstream). A document
    then shows the sum of products, whose δ are defined in it, instead of a substitution nobody
    could read (and that ``factor_terms`` would take minutes over). Decided from the chain
    terms, without building the substitution."""
    return len(grads[s].terms) <= FACTOR_UP_TO and grads.named_size(s) <= DISPLAY_SIZE_LIMIT


def _display(grads, s):
    """The substituted form for display, factored; None where :func:`substituted_shown` says no."""
    return sympy.factor_terms(grads.named(s)) if substituted_shown(grads, s) else None


def _certify_closed(g, products, layer_deltas, index: dict) -> Certificate:
    """Closed form (a list of products) = the element-wise chain-rule terms through this layer."""
    local = [t for t in g.terms if t.upstream in layer_deltas]
    one = sympy.S.One
    pairs = []
    for t in local:
        if t.partial is one:
            pairs.append((t.upstream, None))
        elif t.partial.is_Symbol:
            pairs.append((t.upstream, t.partial))
        else:  # a coefficient other than 1: compare as sympy expressions
            lhs = sympy.Add(*[t.upstream * t.partial for t in local])
            return certify_equal(lhs, products_expr(products))
    return certify_products(pairs, products, index)


def _certify_closed_all(grads, tensor, form: ClosedForm, layer_deltas, shown, numbers: dict,
                        index: dict) -> tuple[list[int], dict, tuple[str, ...]]:
    """Certify the closed form at every element of ``tensor``: the flat positions where it and
    the chain rule differ, the certificate of each ``shown`` position, and the methods used
    (sorted; over every element).

    One batched monomial proof (:func:`~symconv.verify.products_differ_at`) for the whole tensor;
    element by element (:func:`_certify_closed`) when a partial is not a lone symbol or 1, and
    for shown elements that differ (their certificate names the first differing monomial)."""
    positions = range(len(tensor))
    if form.certify is not None:  # the layer's own proof
        every = {k: form.certify(k, grads) for k in positions}
        return ([k for k in positions if not every[k]], {k: every[k] for k in shown},
                tuple(sorted({c.method for c in every.values()})))
    differ = products_differ_at(
        [grads[s].terms for s in tensor.symbols], form.values, numbers,
        left_at=(1, 2), left_keep={id(d) for d in layer_deltas},
    )
    if differ is None:
        every = {k: _certify_closed(grads[tensor.symbols[k]], form.values[k], layer_deltas, index) for k in positions}
        return ([k for k in positions if not every[k]], {k: every[k] for k in shown},
                tuple(sorted({c.method for c in every.values()})))
    certs = {
        k: _certify_closed(grads[tensor.symbols[k]], form.values[k], layer_deltas, index) if k in differ
        else Certificate(True, "monomials", f"the same {len(form.values[k])} monomials on both sides")
        for k in shown
    }
    methods = {"monomials"} | {c.method for k, c in certs.items() if k in differ}
    return differ, certs, tuple(sorted(methods))


def _diff_of_cost(fw: Forward, expanded_cost, s):
    """``sympy.diff`` of the cost with respect to ``s``, then written in leaf symbols.

    For a leaf, the expanded leaf cost is differentiated directly. For an intermediate (a layer
    output or pre-activation), the cost is first written as a function of ``s``'s layer: the
    definitions after ``s`` are substituted, last first, so ``s`` stays a free variable.
    """
    if s not in fw.by_target:
        return sympy.diff(expanded_cost, s)
    order = [d.target for d in fw.definitions]
    position = order.index(s)
    expr = fw.cost.expr
    later = {d.target: d.expr for d in fw.definitions[position + 1:-1]}
    # All later definitions at once, pass after pass (one pass per layer of depth), instead of
    # one xreplace per definition: the same result without a pass per element.
    while later:
        replaced = expr.xreplace(later)
        if replaced is expr:  # xreplace returns the same object when nothing was replaced
            break
        expr = replaced
    return fw.leaf(sympy.diff(expr, s))


def _expanded_cost(fw: Forward):
    """The expanded leaf cost and its number of terms, or (None, None) when it is too large."""
    # A cheap upper bound of the expanded size before expanding: product of definition widths.
    width = 1
    for layer in fw.network.layers:
        if kind_of(layer).reshape_only:
            continue
        for tensor in [t for t, _ in layer.intermediates] + [layer.carrier]:
            width *= max(len(fw.definition(s).partials) for s in tensor.symbols)
    bound = width * width * len(fw.network.output)
    if bound > 20 * FULL_COST_CERTIFY_LIMIT:
        return None, None
    cost = sympy.expand(fw.leaf(fw.cost.expr))
    terms = len(cost.args) if isinstance(cost, sympy.Add) else 1
    if terms > FULL_COST_CERTIFY_LIMIT:
        return None, terms
    return cost, terms
