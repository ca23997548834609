"""The proof as immutable steps: forward definitions, δ per layer, and for every parameter the
chain rule, the outputs it touches, the local partials, the sum of products, the substituted form,
the closed form it instantiates, and the certificates that tie them together.

Rendering (:mod:`symconv.render`) and checking read the same objects. Large tensors are shown by
a chosen subset of elements (every element is still computed and certified); the derivation
records what it left out.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    """Proofs for the shown elements of one tensor (``role`` weight, bias, input, ...)."""

    role: str
    layer: int
    shape: tuple[int, ...]
    closed_kind: str | None
    elements: tuple[ElementProof, ...]
    omitted: int
    all_closed_certified: bool | None


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


WRITE_TERMS_LIMIT = 16  # chain-rule terms up to which a shown element's sums are written out


@gc_paused
def derive(source, full: bool = False, show=frozenset()) -> Derivation:
    """Build every step from ``source``: the :class:`~symconv.gradients.Gradients` of a network
    (or anything that has them as ``.gradients``, such as a :class:`symconv.Model`).

    ``full`` shows every element (and writes every sum) instead of the default subset (corners
    of large tensors, see :func:`shown_indices`); ``show`` is a set of symbols whose elements
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

    def element(s, closed) -> ElementProof:
        nonlocal count
        g = grads[s]
        written = full or s in show or len(g.terms) <= WRITE_TERMS_LIMIT
        named = _display(grads, s) if written else None
        cert_full = None
        if expanded_cost is not None:
            cert_full = certify_equal(grads.leaf(s), _diff_of_cost(fw, expanded_cost, s))
            count += 1
            if not cert_full:
                failures.append(f"sympy.diff of the cost at {s}: {cert_full.detail}")
        return ElementProof(s, g.terms, named, closed, cert_full, written)

    def tensor_proof(tensor, layer_index, forms: dict, layer_deltas) -> TensorProof:
        nonlocal count
        form: ClosedForm | None = forms.get("input" if tensor.role in ("input", "activation") else tensor.role)
        idx = shown_indices(tensor.shape, full, _flats(tensor, show))
        certs: dict = {}
        all_ok = None
        if form is not None:
            bad, certs = _certify_closed_all(grads, tensor, form, layer_deltas, idx, numbers, index)
            count += len(tensor)
            failures.extend(f"closed form {form.kind} at {tensor.symbols[k]}"
                            + (f": {certs[k].detail}" if k in certs else "") for k in bad)
            all_ok = not [k for k in bad if k not in certs]
        elements = tuple(
            element(tensor.symbols[k], (form.kind, tuple(form.values[k]), certs[k]) if form else None)
            for k in idx
        )
        return TensorProof(tensor.role, layer_index, tensor.shape, form.kind if form else None,
                           elements, len(tensor) - len(idx), all_ok)

    layers = []
    input_proof = None
    for position, layer in enumerate(net.layers):
        kind = kind_of(layer)
        forms = {f.tensor: f for f in kind.closed_forms(layer, ctx)}
        layer_deltas = set(layer.delta.symbols) if layer.delta is not None else set()
        carrier = layer.carrier
        tensors = []
        for t in (layer.weight, layer.bias):
            if t is not None:
                tensors.append(tensor_proof(t, layer.index, forms, layer_deltas))
        if position == 0:
            input_proof = tensor_proof(layer.inputs, 0, forms, layer_deltas)
        elif not kind.reshape_only:
            tensors.append(tensor_proof(layer.inputs, layer.inputs.layer, forms, layer_deltas))
        deltas = ()
        delta_omitted = 0
        if layer.delta is not None or layer.adjoint is not None:
            up = layer.delta if layer.delta is not None else layer.adjoint
            idx = shown_indices(up.shape, full, _flats(up, show) | _flats(carrier, show))
            deltas = tuple(
                (up.symbols[k], grads[carrier.symbols[k]].terms,
                 _display(grads, carrier.symbols[k]) if written else None, written)
                for k in idx
                for written in [full or carrier.symbols[k] in show or up.symbols[k] in show
                                or len(grads[carrier.symbols[k]].terms) <= WRITE_TERMS_LIMIT]
            )
            delta_omitted = len(up) - len(idx)
        defs = [] if kind.reshape_only else [fw.definition(s) for s in carrier.symbols]
        act = [fw.definition(s) for s in layer.out.symbols] if layer.pre is not None else []
        layers.append(LayerProof(
            layer.index, layer.spec.type, kind.summary(layer), tuple(defs), tuple(act), deltas,
            delta_omitted, tuple(tensors), net.spec.convention,
        ))
    independent = certificate_of(grads)
    if not independent:
        failures.append(f"independent certificate: {independent.reason}"
                        + "".join(f"; the gradient by {e.name} is wrong (computed {e.computed}, forward mode "
                                  f"{e.independent})" for e in independent.located))
    return Derivation(net, fw, grads, tuple(layers), fw.cost, input_proof, cost_terms, count, tuple(failures),
                      full, show, independent)


def _flats(tensor, show) -> set[int]:
    """Flat positions of the ``show`` symbols that belong to ``tensor``."""
    if not show:
        return set()
    return {k for k, s in enumerate(tensor.symbols) if s in show}


def _display(grads, s):
    """The substituted form for display: factored when small; None when the element reads more
    than ``FACTOR_UP_TO`` outputs or its substituted form would exceed ``DISPLAY_SIZE_LIMIT``
    symbol occurrences (a few terms can still reach thousands of outputs downstream). The
    document then shows the sum of products, whose δ are defined above, instead of a
    substitution nobody could read (and that ``factor_terms`` would take minutes over)."""
    if len(grads[s].terms) > FACTOR_UP_TO or grads.named_size(s) > DISPLAY_SIZE_LIMIT:
        return None
    return sympy.factor_terms(grads.named(s))


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
                        index: dict) -> tuple[list[int], dict]:
    """Certify the closed form at every element of ``tensor``: the flat positions where it and
    the chain rule differ, and the certificate of each ``shown`` position.

    One batched monomial proof (:func:`~symconv.verify.products_differ_at`) for the whole tensor;
    element by element (:func:`_certify_closed`) when a partial is not a lone symbol or 1, and
    for shown elements that differ (their certificate names the first differing monomial)."""
    positions = range(len(tensor))
    differ = products_differ_at(
        [grads[s].terms for s in tensor.symbols], form.values, numbers,
        left_at=(1, 2), left_keep={id(d) for d in layer_deltas},
    )
    if differ is None:
        every = {k: _certify_closed(grads[tensor.symbols[k]], form.values[k], layer_deltas, index) for k in positions}
        return [k for k in positions if not every[k]], {k: every[k] for k in shown}
    certs = {
        k: _certify_closed(grads[tensor.symbols[k]], form.values[k], layer_deltas, index) if k in differ
        else Certificate(True, "monomials", f"the same {len(form.values[k])} monomials on both sides")
        for k in shown
    }
    return differ, certs


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
    for d in reversed(fw.definitions[position + 1:-1]):
        expr = expr.xreplace({d.target: d.expr})
    return fw.leaf(sympy.diff(expr, s))


def _expanded_cost(fw: Forward):
    """The expanded leaf cost and its number of terms, or (None, None) when it is too large."""
    # A cheap upper bound of the expanded size before expanding: product of definition widths.
    width = 1
    for layer in fw.network.layers:
        defs = [] if kind_of(layer).reshape_only else [fw.definition(s) for s in layer.carrier.symbols]
        if defs:
            width *= max(len(d.partials) for d in defs)
    bound = width * width * len(fw.network.output)
    if bound > 20 * FULL_COST_CERTIFY_LIMIT:
        return None, None
    cost = sympy.expand(fw.leaf(fw.cost.expr))
    terms = len(cost.args) if isinstance(cost, sympy.Add) else 1
    if terms > FULL_COST_CERTIFY_LIMIT:
        return None, terms
    return cost, terms
