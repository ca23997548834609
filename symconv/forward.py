"""The forward pass as exact sympy definitions, layer by layer, and their leaf expansions.

Each named intermediate (pre-activation ``z``, activation ``o``, cost ``C``) gets one
:class:`~symconv.ops.Definition` in terms of the symbols of the layer before it, so the chain rule
can be applied one layer at a time. ``leaf(symbol)`` substitutes definitions recursively until only
leaf symbols (inputs, weights, biases, targets) remain; it is computed on demand and cached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from itertools import repeat
from operator import itemgetter

import sympy

from .costs import cost_definition, one_hot_substitution, softmax_definitions
from .functions import route_outputs
from .gcpause import gc_paused
from .layers import Context, LayerNet, kind_of
from .network import Network
from .ops import Definition

_first = itemgetter(0)


@dataclass(frozen=True)
class Forward:
    """All definitions of a network in forward (topological) order: the layers', the softmax
    p = softmax(o) of a cross-entropy cost, and the cost's last."""

    network: Network
    definitions: tuple[Definition, ...]
    by_target: dict = field(repr=False)
    assumed: dict = field(default_factory=dict, repr=False)
    """The assumption on the targets as a substitution (:func:`~symconv.costs.one_hot_substitution`
    under one-hot targets; empty: none). Gradients hold where it holds: compare them with an exact
    derivative after :meth:`assume`."""
    _leaf_cache: dict = field(default_factory=dict, repr=False, compare=False)
    _leaf_sizes: dict = field(default_factory=dict, repr=False, compare=False)

    def definition(self, symbol: sympy.Symbol) -> Definition:
        return self.by_target[symbol]

    @cached_property
    def route_outputs(self) -> dict:
        """``{window: output}`` of every max-pooling definition
        (:func:`symconv.functions.route_outputs`), computed once: every printer of this network's
        routes reads it, and a network has tens of thousands of definitions."""
        return route_outputs(self.definitions)

    def leaf(self, expr: sympy.Expr) -> sympy.Expr:
        """``expr`` with every named intermediate replaced by its leaf-symbol expression."""
        cache = self._leaf_cache
        if not cache:
            for d in self.definitions:
                cache[d.target] = d.expr.xreplace(cache)
        return sympy.sympify(expr, strict=True).xreplace(cache)

    def assume(self, expr: sympy.Expr) -> sympy.Expr:
        """``expr`` under the assumption on the targets (:attr:`assumed`; unchanged without one)."""
        return expr.xreplace(self.assumed) if self.assumed else expr

    def leaf_size(self, expr: sympy.Expr) -> int:
        """An estimate of the size (symbol occurrences) of :meth:`leaf` ``(expr)``, counted from
        the definitions without building any expression: a leaf symbol counts 1, a named
        intermediate 1 + the sizes of the symbols its definition reads (``partials``), and a
        compound ``expr`` 1 + the sizes of its free symbols. Deep networks make this grow
        exponentially with depth (each element reads a window of the layer before), which is
        what the budgets of :mod:`symconv.size` need to see before a leaf form is built."""
        sizes = self._leaf_sizes
        if not sizes:
            by_id: dict = {}  # by the symbol's identity while counting (no sympy hash per term)
            for d in self.definitions:
                # a definition without partials (the cost's softmax p) reads its expression's symbols
                if d.partials:
                    ids = map(id, map(_first, d.partials))
                    size = 1 + sum(map(by_id.get, ids, repeat(1, len(d.partials))))
                else:
                    size = 1 + sum(sizes.get(v, 1) for v in (d.given_expr.free_symbols if d.given_expr is not None else ()))
                by_id[id(d.target)] = sizes[d.target] = size
        if isinstance(expr, sympy.Symbol):
            return sizes.get(expr, 1)
        if expr.is_Number:
            return 1
        return 1 + sum(sizes.get(x, 1) for x in expr.free_symbols)

    @property
    def cost(self) -> Definition:
        return self.definitions[-1]


@gc_paused
def build_forward(network: Network) -> Forward:
    """Define every output element of every layer, then the cost (row-major, 0-based order)."""
    flip = network.spec.convention == "convolution"
    definitions: list[Definition] = []
    for layer in network.layers:
        definitions.extend(layer_definitions(layer, flip))
    examples = max(network.batch, 1)
    probabilities = network.probabilities
    if probabilities is not None:
        definitions.extend(softmax_definitions(network.output.symbols, probabilities.symbols, examples))
    definitions.append(
        cost_definition(
            network.spec.cost.type, network.cost, network.output.symbols, network.targets.symbols,
            examples, network.spec.cost.reduction, network.spec.cost.targets == "one_hot",
            probabilities.symbols if probabilities is not None else None,
        )
    )
    assumed = (one_hot_substitution(network.targets.symbols, max(network.batch, 1))
               if network.spec.cost.targets == "one_hot" else {})
    return Forward(network, tuple(definitions), {d.target: d for d in definitions}, assumed)


def layer_definitions(layer: LayerNet, flip: bool) -> list[Definition]:
    """The definitions of one layer's outputs, by its kind (none for flatten, which only
    reshapes)."""
    return kind_of(layer).definitions(layer, Context(flip=flip))
