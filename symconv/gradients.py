"""Exact gradients by reverse accumulation from local partials.

For every symbol ``v`` the forward pass reads, the multivariable chain rule gives

    ∂C/∂v = Σ_{u reads v} (∂C/∂u) · (∂u/∂v),

one product per definition ``u`` that reads ``v`` (for a shared kernel weight: one per output the
weight touches). ``∂C/∂u`` is named: δ for a pre-activation (δ = ∂C/∂z), the adjoint ∂C/∂o for a
layer output that feeds an activation or pooling, and 1 for the cost. Every gradient exists in
three exactly equal forms:

* ``delta_form``: Σ (named upstream gradient) · (local partial): the derivation's sum of products;
* ``named``: the upstream gradients substituted recursively, leaving forward intermediates
  (o, z) and leaves: e.g. ∂C/∂w^1_1 = 2(o^2_1 − y_1)(w^2_1 i^1_1 + …);
* ``leaf``: every intermediate replaced by its forward definition (inputs, weights, biases,
  targets only).

Nothing here differentiates the expanded cost; :mod:`symconv.verify` certifies the results
against ``sympy.diff`` of it. Source: Goodfellow, Bengio & Courville, *Deep Learning*, §6.5
(back-propagation) and §9.5 (eqs 9.11–9.13).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import sympy

from .forward import Forward
from .gcpause import gc_paused


class ChainTerm(NamedTuple):
    """One product of the chain rule: ``upstream · partial`` through the definition of ``via``.

    ``upstream`` is the named symbol for ∂C/∂via (δ or an adjoint), or ``1`` when ``via`` is C.
    (A NamedTuple: large networks create one per product term.)
    """

    via: sympy.Symbol
    upstream: sympy.Expr
    partial: sympy.Expr


@dataclass(frozen=True)
class Gradient:
    """∂C/∂``wrt`` as the chain-rule sum ``terms`` (in forward order of the outputs touched)."""

    wrt: sympy.Symbol
    terms: tuple[ChainTerm, ...]

    @property
    def delta_form(self) -> sympy.Expr:
        """Σ upstream · partial, in named upstream symbols (δ, ∂C/∂o)."""
        return sympy.Add(*[t.upstream * t.partial for t in self.terms])


@dataclass(frozen=True)
class Gradients:
    """Every gradient of a network's cost, with δ and adjoint definitions and certificates' inputs."""

    forward: Forward
    by_wrt: dict = field(repr=False)
    upstream_of: dict = field(repr=False)  # definition target -> its named ∂C/∂target symbol
    target_of: dict = field(repr=False)  # δ or adjoint symbol -> the target it is ∂C/∂ of
    _memo: dict = field(default_factory=dict, repr=False, compare=False)  # named forms
    _sizes: dict = field(default_factory=dict, repr=False, compare=False)  # named_size memo
    _leaf_sizes: dict = field(default_factory=dict, repr=False, compare=False)  # leaf_size memo
    # results later stages compute from these gradients, by name (the independent certificate);
    # not copied by dataclasses.replace, so changed gradients never inherit them
    derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getitem__(self, symbol: sympy.Symbol) -> Gradient:
        return self.by_wrt[symbol]

    def upstream_symbols(self) -> dict:
        """``{δ or adjoint symbol: the target it is the gradient of}`` (read-only)."""
        return self.target_of

    def named(self, symbol: sympy.Symbol) -> sympy.Expr:
        """∂C/∂symbol with every δ and adjoint substituted: forward intermediates and leaves only.

        ``symbol`` may also be a δ or adjoint symbol, giving its definition. Computed on demand
        and memoised, so asking for a few gradients of a large network costs only those.
        """
        symbol = self.target_of.get(symbol, symbol)
        if symbol not in self.by_wrt and symbol != self.forward.network.cost:
            raise KeyError(symbol)
        return self._named_of(symbol)

    def _named_of(self, v) -> sympy.Expr:
        return self._fold(v, self._memo, sympy.Integer(1),
                          lambda terms, memo: sympy.Add(*[memo[t.via] * t.partial for t in terms]))

    def named_size(self, symbol: sympy.Symbol) -> int:
        """An estimate of the size (tree nodes) of :meth:`named` ``(symbol)``, computed from the
        chain-rule terms without building it: 1 for the cost, and for ``v`` Σ over its terms of
        size(via) + size(partial) (sympy may merge a few nodes). Memoised; no recursion."""
        return self._fold(self.target_of.get(symbol, symbol), self._sizes, 1,
                          lambda terms, sizes: sum(sizes[t.via] + _size(t.partial) for t in terms))

    def leaf_size(self, symbol: sympy.Symbol) -> int:
        """An estimate of the size (symbol occurrences) of :meth:`leaf` ``(symbol)``, without
        building it: for ``v``, Σ over its chain-rule terms of leaf_size(via) + the leaf size of
        the local partial (:meth:`Forward.leaf_size <symconv.forward.Forward.leaf_size>`), 1 for
        the cost. Memoised; no recursion."""
        leaf_size = self.forward.leaf_size
        return self._fold(self.target_of.get(symbol, symbol), self._leaf_sizes, 1,
                          lambda terms, sizes: sum(sizes[t.via] + leaf_size(t.partial) for t in terms))

    def _fold(self, v, memo: dict, at_cost, combine):
        """``memo[v]`` by reverse accumulation: ``memo[cost] = at_cost`` and, for every other
        symbol ``u``, ``combine(terms of u, memo)`` once each ``memo[t.via]`` is known. Upstream
        values are resolved deepest-first with an explicit stack (networks may be deep)."""
        if not memo:
            memo[self.forward.network.cost] = at_cost
        stack = [v]
        while stack:
            u = stack[-1]
            if u in memo:
                stack.pop()
                continue
            terms = self.by_wrt[u].terms
            pending = [t.via for t in terms if t.via not in memo]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            memo[u] = combine(terms, memo)
        return memo[v]

    def leaf(self, symbol: sympy.Symbol) -> sympy.Expr:
        """∂C/∂symbol in leaf symbols only (inputs, weights, biases, targets)."""
        return self.forward.leaf(self.named(symbol))

    def array(self, tensor, form: str = "named") -> sympy.ImmutableDenseNDimArray:
        """∂C/∂``tensor`` element-wise, with exactly the tensor's shape (reference case C10).

        ``tensor`` is a :class:`~symconv.tensors.SymTensor` (e.g. ``network.layers[0].weight``);
        elements no output reads are an exact 0, and the shape is the tensor's own, never derived
        from a layer's output size (C17). ``form``: ``"delta"``, ``"named"`` or ``"leaf"``.
        """
        if form == "delta":
            items = [self[s].delta_form for s in tensor.symbols]
        elif form == "named":
            items = [self.named(s) for s in tensor.symbols]
        elif form == "leaf":
            items = [self.leaf(s) for s in tensor.symbols]
        else:
            raise ValueError(f"form must be delta, named or leaf; got {form!r}")
        return sympy.ImmutableDenseNDimArray(items, tuple(tensor.shape))


def _size(expr) -> int:
    """Tree nodes of a local partial (1 for a symbol or a number)."""
    if expr.is_Symbol or expr.is_Number:
        return 1
    return sum(1 for _ in sympy.preorder_traversal(expr))


@gc_paused
def build_gradients(forward: Forward) -> Gradients:
    """Reverse accumulation: collect, for every symbol read, the definitions that read it.

    The chain-rule terms of each symbol are listed in the forward order of the definitions that
    read it (for a kernel weight: the outputs it touches, row-major).
    """
    net = forward.network
    upstream_of: dict = {net.cost: sympy.Integer(1)}
    for layer in net.layers:
        for tensor, ups in layer.upstreams():  # δ of the carrier, ∂C/∂o, intermediates' ∂C/∂
            upstream_of.update(zip(tensor.symbols, ups.symbols))
    # Keyed by id (a network's symbols are unique objects, one per name) to skip sympy's
    # Python-level hash, and ChainTerm built by tuple.__new__: both run once per product term.
    consumers: dict = {}
    read: dict = {}
    new = tuple.__new__
    for d in forward.definitions:
        if not d.partials:  # read by nothing the chain rule follows (the softmax p of the cost's partials)
            continue
        head = (d.target, upstream_of[d.target])
        for v, partial in d.partials:
            terms = consumers.get(id(v))
            if terms is None:
                terms = consumers[id(v)] = []
                read[id(v)] = v
            terms.append(new(ChainTerm, head + (partial,)))
    by_wrt = {read[k]: Gradient(read[k], tuple(ts)) for k, ts in consumers.items()}
    # Symbols nothing reads (e.g. inputs a strided window skips) still get a gradient: exactly 0.
    for tensor in _all_tensors(net):
        for s in tensor.symbols:
            by_wrt.setdefault(s, Gradient(s, ()))
    target_of = {up: t for t, up in upstream_of.items() if isinstance(up, sympy.Symbol)}
    return Gradients(forward, by_wrt, upstream_of, target_of)


def _all_tensors(net):
    yield net.input
    for layer in net.layers:
        yield from layer.tensors()
