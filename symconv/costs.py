"""Costs ``C(o, y)`` of the last layer's output ``o`` against targets ``y``, with ∂C/∂o_k.

| type           | C                                             | ∂C/∂o_k                          |
|----------------|-----------------------------------------------|----------------------------------|
| sse            | Σ_k (o_k − y_k)²                              | 2(o_k − y_k)                     |
| half_sse       | ½ Σ_k (o_k − y_k)²                            | o_k − y_k                        |
| mse            | (1/n) Σ_k (o_k − y_k)²                        | 2(o_k − y_k)/n                   |
| cross_entropy  | −Σ_k y_k log softmax(o)_k                     | softmax(o)_k Σ_j y_j − y_k       |
| bce            | −Σ_k [y_k log o_k + (1 − y_k) log(1 − o_k)]   | −y_k/o_k + (1 − y_k)/(1 − o_k)   |

Separable costs take their partials from ``sympy.diff`` of the one summand that holds ``o_k``;
cross-entropy from ``sympy.diff`` of the whole (coupled) cost. Sums use ``Add(*terms)``, never
``sum()`` (quadratic in sympy; reference case C25).
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


def cost_definition(
    kind: str, cost: sympy.Symbol, outputs: Sequence[sympy.Symbol], targets: Sequence[sympy.Symbol]
) -> Definition:
    """``C = cost(o, y)`` over flattened outputs ``o`` and targets ``y`` (same length, row-major).

    The expression is built on first use; the partials are built at once (one small expression
    per output).
    """
    n = len(outputs)
    if kind == "cross_entropy":
        norm = sympy.log(sympy.Add(*[sympy.exp(o) for o in outputs]))
        expr = -sympy.Add(*[y * (o - norm) for o, y in zip(outputs, targets)])
        partials = tuple((o, sympy.diff(expr, o)) for o in outputs)
        return Definition(cost, expr, partials, kind)
    partials = tuple((o, _partial(kind, o, y, n)) for o, y in zip(outputs, targets))

    def build() -> sympy.Expr:
        return sympy.Add(*[_summand(kind, o, y, n) for o, y in zip(outputs, targets)])

    return Definition(cost, None, partials, kind, build=build)
