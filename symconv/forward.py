"""The forward pass as exact sympy definitions, layer by layer, and their leaf expansions.

Each named intermediate (pre-activation ``z``, activation ``o``, cost ``C``) gets one
:class:`~symconv.ops.Definition` in terms of the symbols of the layer before it, so the chain rule
can be applied one layer at a time. ``leaf(symbol)`` substitutes definitions recursively until only
leaf symbols (inputs, weights, biases, targets) remain; it is computed on demand and cached.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from . import pooling
from .activations import rule_for
from .costs import cost_definition
from .gcpause import gc_paused
from .network import LayerNet, Network
from .ops import Definition, Term, conv2d_terms, multilinear
from .spec import Conv2d, Dense, Pool2d


@dataclass(frozen=True)
class Forward:
    """All definitions of a network in forward (topological) order; the cost's comes last."""

    network: Network
    definitions: tuple[Definition, ...]
    by_target: dict = field(repr=False)
    _leaf_cache: dict = field(default_factory=dict, repr=False, compare=False)

    def definition(self, symbol: sympy.Symbol) -> Definition:
        return self.by_target[symbol]

    def leaf(self, expr: sympy.Expr) -> sympy.Expr:
        """``expr`` with every named intermediate replaced by its leaf-symbol expression."""
        cache = self._leaf_cache
        if not cache:
            for d in self.definitions:
                cache[d.target] = d.expr.xreplace(cache)
        return sympy.sympify(expr).xreplace(cache)

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
    definitions.append(
        cost_definition(
            network.spec.cost.type, network.cost, network.output.symbols, network.targets.symbols
        )
    )
    return Forward(network, tuple(definitions), {d.target: d for d in definitions})


def layer_definitions(layer: LayerNet, flip: bool) -> list[Definition]:
    """The definitions of one layer's outputs (none for flatten, which only reshapes)."""
    spec = layer.spec
    if isinstance(spec, Conv2d):
        c_in, h, w = layer.inputs.shape
        grid = [[[layer.inputs.at(c, u, v) for v in range(w)] for u in range(h)] for c in range(c_in)]
        w = layer.weight
        wgrid = [[[[w.at(o, c, m, n) for n in range(w.shape[3])] for m in range(w.shape[2])]
                  for c in range(w.shape[1])] for o in range(w.shape[0])]
        terms = conv2d_terms(
            grid, lambda o, c, m, n: wgrid[o][c][m][n], spec.out_channels, c_in, spec.kernel_size, spec.stride,
            layer.pad, spec.dilation, spec.groups, flip, layer.out.shape[1:],
        )
        per_channel = layer.out.shape[1] * layer.out.shape[2]
        biases = [layer.bias.symbols[k // per_channel] if layer.bias else None for k in range(len(terms))]
        return _linear_then_activation(layer, terms, biases, "conv2d")
    if isinstance(spec, Dense):
        one = sympy.Integer(1)
        terms = [
            [Term(one, layer.weight.at(r, c), v) for c, v in enumerate(layer.inputs.symbols)]
            for r in range(spec.out_features)
        ]
        biases = [layer.bias.symbols[r] if layer.bias else None for r in range(spec.out_features)]
        return _linear_then_activation(layer, terms, biases, "dense")
    if isinstance(spec, Pool2d):
        return pooling.pool_definitions(layer)
    return []


def _linear_then_activation(layer: LayerNet, terms, biases, rule: str) -> list[Definition]:
    carriers = layer.pre if layer.pre is not None else layer.out
    defs = [multilinear(t, ts, b, rule) for t, ts, b in zip(carriers.symbols, terms, biases)]
    if layer.pre is None:
        return defs
    act = rule_for(layer.spec.activation)
    for z, o in zip(layer.pre.symbols, layer.out.symbols):
        defs.append(Definition(o, act.value(z), ((z, act.derivative(z)),), act.name))
    return defs
