"""Costs ``C(o, y)`` of the last layer's output ``o`` against targets ``y``, with ∂C/∂o_k.

| type           | C                                             | ∂C/∂o_k                          |
|----------------|-----------------------------------------------|----------------------------------|
| sse            | Σ_k (o_k − y_k)²                              | 2(o_k − y_k)                     |
| half_sse       | ½ Σ_k (o_k − y_k)²                            | o_k − y_k                        |
| mse            | (1/n) Σ_k (o_k − y_k)²                        | 2(o_k − y_k)/n                   |
| cross_entropy  | −Σ_k y_k log softmax(o)_k                     | softmax(o)_k Σ_j y_j − y_k       |
| bce            | −Σ_k [y_k log o_k + (1 − y_k) log(1 − o_k)]   | −y_k/o_k + (1 − y_k)/(1 − o_k)   |

The partials are the closed forms of this table, built directly: ``sympy.diff`` of each summand
gives the identical expressions for the separable costs but costs ~20 ms per output (minutes for
reference case C25's 3 844 outputs), and differentiating the coupled cross-entropy once per
output is quadratic. tests/test_certify_diff.py certifies them against ``sympy.diff``.
Sums use ``Add(*terms)``, never ``sum()`` (quadratic in sympy; reference case C25).
"""

from __future__ import annotations

from typing import Sequence

import sympy

from .ops import Definition


def _summand(kind: str, o: sympy.Symbol, y: sympy.Symbol, n: int) -> sympy.Expr:
    if kind == "sse":
        return (o - y) ** 2
    if kind == "half_sse":
        return sympy.Rational(1, 2) * (o - y) ** 2
    if kind == "mse":
        return (o - y) ** 2 / n
    if kind == "bce":
        return -(y * sympy.log(o) + (1 - y) * sympy.log(1 - o))
    raise ValueError(kind)


def _partial(kind: str, o: sympy.Symbol, y: sympy.Symbol, n: int) -> sympy.Expr:
    """∂(summand)/∂o by the table above (tests prove each equal to ``sympy.diff``)."""
    if kind == "sse":
        return 2 * (o - y)
    if kind == "half_sse":
        return o - y
    if kind == "mse":
        return sympy.Rational(2, n) * (o - y)
    if kind == "bce":
        return -y / o + (1 - y) / (1 - o)
    raise ValueError(kind)


def _rebuild(template: sympy.Expr, mapping: dict) -> sympy.Expr:
    """``template`` with symbols replaced, rebuilt node by node without re-evaluation.

    Only valid when the canonical argument order of every node does not depend on the names
    substituted; :func:`_partials` checks the first result against plain substitution.
    """
    if template.is_Symbol:
        return mapping.get(template, template)
    if not template.args:
        return template
    # Commutativity is the template's: every network symbol is commutative, as are o_ and y_.
    return template.func._from_args(tuple(_rebuild(a, mapping) for a in template.args), template.is_commutative)


def _partials(kind: str, outputs, targets, n: int) -> tuple:
    """∂C/∂o_k for every output: the table's formula built once on placeholder symbols, then
    instantiated per output without sympy's re-evaluation (about 100 µs per output saved on a
    formula of two symbols). The first instance is compared with ordinary substitution; if the
    structures differ the ordinary (slower) path is used for all."""
    if kind not in ("sse", "half_sse", "mse") or not outputs:
        return tuple((o, _partial(kind, o, y, n)) for o, y in zip(outputs, targets))
    o_, y_ = sympy.Symbol("o_"), sympy.Symbol("y_")
    template = _partial(kind, o_, y_, n)
    first = _rebuild(template, {o_: outputs[0], y_: targets[0]})
    if first != _partial(kind, outputs[0], targets[0], n):
        return tuple((o, _partial(kind, o, y, n)) for o, y in zip(outputs, targets))
    return tuple((o, _rebuild(template, {o_: o, y_: y})) for o, y in zip(outputs, targets))


def cost_definition(
    kind: str, cost: sympy.Symbol, outputs: Sequence[sympy.Symbol], targets: Sequence[sympy.Symbol]
) -> Definition:
    """``C = cost(o, y)`` over flattened outputs ``o`` and targets ``y`` (same length, row-major).

    The expression is built on first use; the partials are built at once (one small expression
    per output).
    """
    n = len(outputs)
    if kind == "cross_entropy":
        total = sympy.Add(*[sympy.exp(o) for o in outputs])
        norm = sympy.log(total)
        expr = -sympy.Add(*[y * (o - norm) for o, y in zip(outputs, targets)])
        y_sum = sympy.Add(*targets)  # softmax(o)_k Σ_j y_j − y_k
        partials = tuple((o, sympy.exp(o) / total * y_sum - y) for o, y in zip(outputs, targets))
        return Definition(cost, expr, partials, kind)
    partials = _partials(kind, outputs, targets, n)

    def build() -> sympy.Expr:
        return sympy.Add(*[_summand(kind, o, y, n) for o, y in zip(outputs, targets)])

    o_, y_ = sympy.Dummy("o"), sympy.Dummy("y")
    summand = (_summand(kind, o_, y_, n), (o_, y_), tuple(zip(outputs, targets)))
    return Definition(cost, None, partials, kind, build=build, summand=summand)
