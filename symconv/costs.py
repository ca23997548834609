"""Costs ``C(o, y)`` of the last layer's output ``o`` against targets ``y``, with ∂C/∂o_k.

| type           | C                                             | ∂C/∂o_k                          |
|----------------|-----------------------------------------------|----------------------------------|
| sse            | Σ_k (o_k − y_k)²                              | 2(o_k − y_k)                     |
| half_sse       | ½ Σ_k (o_k − y_k)²                            | o_k − y_k                        |
| mse            | (1/n) Σ_k (o_k − y_k)²                        | 2(o_k − y_k)/n                   |
| cross_entropy  | −Σ_k y_k log softmax(o)_k                     | softmax(o)_k Σ_j y_j − y_k       |
| (one-hot y)    | the same, with Σ_k y_k = 1 assumed            | softmax(o)_k − y_k               |
| bce            | −Σ_k [y_k log o_k + (1 − y_k) log(1 − o_k)]   | −y_k/o_k + (1 − y_k)/(1 − o_k)   |

The partials are the closed forms of this table, built directly: ``sympy.diff`` of each summand
gives the identical expressions for the separable costs but costs ~20 ms per output (minutes for
reference case C25's 3 844 outputs), and differentiating the coupled cross-entropy once per
output is quadratic. tests/test_certify_diff.py certifies them against ``sympy.diff``.
Sums use ``Add(*terms)``, never ``sum()`` (quadratic in sympy; reference case C25).

One-hot targets (``[cost] targets = "one_hot"``, cross-entropy only) assume Σ_k y_k = 1 for each
example: the partial is then p_k − y_k (Bishop, *Pattern Recognition and Machine Learning*,
2006, eq. 4.109), which equals the exact derivative p_k Σ_j y_j − y_k exactly when the
assumption holds. :func:`one_hot_substitution` is the assumption as a substitution
(y_K = 1 − Σ_{k<K} y_k, the last target of each example): every comparison of such a gradient
with an exact derivative is made after it (tests/test_one_hot.py).
"""

from __future__ import annotations

from typing import Sequence

import sympy

from .ops import Definition


def summand(kind: str, o: sympy.Symbol, y: sympy.Symbol, n: int, scale=1) -> sympy.Expr:
    """The term of output ``o`` (target ``y``) in the cost of a separable ``kind``: ``n`` outputs
    per example; ``scale`` 1/N under ``reduction = "mean"`` over a batch of N (else 1)."""
    term = _summand(kind, o, y, n)
    return term if scale == 1 else scale * term


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


TEMPLATED = ("sse", "half_sse", "mse")
"""Costs whose summand and partial have a structure that does not depend on the symbols' names
(``o − y`` is a symbol and a product, ordered by kind, not name): built once on placeholder
symbols, they stand for every output's (see :func:`_partials`, :func:`summand_template`)."""


def summand_template(kind: str, n: int) -> tuple[sympy.Expr, tuple[sympy.Symbol, sympy.Symbol]] | None:
    """``(summand, (o_, y_))``: the summand of a :data:`TEMPLATED` cost of ``n`` outputs on
    placeholder symbols, or None for another kind."""
    if kind not in TEMPLATED:
        return None
    o_, y_ = sympy.Symbol("o_"), sympy.Symbol("y_")
    return _summand(kind, o_, y_, n), (o_, y_)


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


def partial(kind: str, o: sympy.Symbol, y: sympy.Symbol, n: int, scale=1) -> sympy.Expr:
    """∂(summand)/∂o (see :func:`summand`) of a separable cost."""
    d = _partial(kind, o, y, n)
    return d if scale == 1 else scale * d


def _partials(kind: str, outputs, targets, n: int, scale=1) -> tuple:
    """∂C/∂o_k for every output: the table's formula built once on placeholder symbols, then
    instantiated per output without sympy's re-evaluation (about 100 µs per output saved on a
    formula of two symbols). The first instance is compared with ordinary substitution; if the
    structures differ the ordinary (slower) path is used for all."""
    if kind not in TEMPLATED or not outputs:
        return tuple((o, partial(kind, o, y, n, scale)) for o, y in zip(outputs, targets))
    o_, y_ = sympy.Symbol("o_"), sympy.Symbol("y_")
    template = partial(kind, o_, y_, n, scale)
    first = _rebuild(template, {o_: outputs[0], y_: targets[0]})
    if first != partial(kind, outputs[0], targets[0], n, scale):
        return tuple((o, partial(kind, o, y, n, scale)) for o, y in zip(outputs, targets))
    return tuple((o, _rebuild(template, {o_: o, y_: y})) for o, y in zip(outputs, targets))


def reduction_scale(reduction: str, examples: int):
    """The factor of every example's cost: 1/N for ``"mean"`` over a batch of N, else 1."""
    return sympy.Rational(1, examples) if reduction == "mean" and examples > 1 else 1


def one_hot_blocks(targets: Sequence[sympy.Symbol], examples: int = 1) -> list[tuple]:
    """The targets of each example (``examples`` equal blocks of ``targets``, row-major): the
    groups that Σ_k y_k = 1 constrains under one-hot targets."""
    n = len(targets) // examples
    return [tuple(targets[e * n:(e + 1) * n]) for e in range(examples)]


def one_hot_substitution(targets: Sequence[sympy.Symbol], examples: int = 1) -> dict:
    """The assumption Σ_k y_k = 1 (each example) as ``{y_K: 1 − Σ_{k<K} y_k}`` for the last
    target y_K of each example: an exact derivative and a gradient that holds under the
    assumption are equal on it exactly when they are equal after this substitution."""
    return {ys[-1]: 1 - sympy.Add(*ys[:-1]) for ys in one_hot_blocks(targets, examples)}


def softmax_definitions(outputs: Sequence[sympy.Symbol], probabilities: Sequence[sympy.Symbol],
                        examples: int = 1) -> list[Definition]:
    """``p_k = exp(o_k) / Σ_j exp(o_j)`` over each example's outputs (``examples`` equal blocks,
    row-major): the softmax the cross-entropy cost reads, named so that the cost's partials read
    ``p_k``. The definitions have no partials: the cost is defined from ``o`` directly, so the
    chain rule never passes through ``p`` (``p`` abbreviates its partials)."""
    n = len(outputs) // examples
    defs = []
    for e in range(examples):
        os_ = outputs[e * n:(e + 1) * n]
        total = sympy.Add(*[sympy.exp(o) for o in os_])
        defs.extend(Definition(p, sympy.exp(o) / total, (), "cross_entropy_softmax")
                    for o, p in zip(os_, probabilities[e * n:(e + 1) * n]))
    return defs


def cost_definition(
    kind: str, cost: sympy.Symbol, outputs: Sequence[sympy.Symbol], targets: Sequence[sympy.Symbol],
    examples: int = 1, reduction: str = "sum", one_hot: bool = False,
    probabilities: Sequence[sympy.Symbol] | None = None,
) -> Definition:
    """``C = cost(o, y)`` over flattened outputs ``o`` and targets ``y`` (same length, row-major):
    for a batch, ``examples`` blocks of equal length, each example's cost summed, or averaged
    under ``reduction = "mean"``. ``one_hot`` (cross-entropy): Σ_k y_k = 1 is assumed for each
    example and the partials are p_k − y_k (p = softmax(o)), not p_k Σ_j y_j − y_k.
    ``probabilities`` (cross-entropy): the symbols p_k the partials are written in (defined by
    :func:`softmax_definitions`); without them the partials spell softmax(o)_k out.

    The expression is built on first use; the partials are built at once (one small expression
    per output).
    """
    n = len(outputs) // examples
    scale = reduction_scale(reduction, examples)
    if kind == "cross_entropy":
        exprs, partials = [], []
        for e in range(examples):
            os_, ys = outputs[e * n:(e + 1) * n], targets[e * n:(e + 1) * n]
            total = sympy.Add(*[sympy.exp(o) for o in os_])
            norm = sympy.log(total)
            exprs.append(-sympy.Add(*[y * (o - norm) for o, y in zip(os_, ys)]))
            y_sum = 1 if one_hot else sympy.Add(*ys)  # softmax(o)_k Σ_j y_j − y_k
            ps = ([sympy.exp(o) / total for o in os_] if probabilities is None
                  else probabilities[e * n:(e + 1) * n])
            partials.extend((o, scale * (p * y_sum - y)) for o, p, y in zip(os_, ps, ys))
        expr = exprs[0] if examples == 1 else scale * sympy.Add(*exprs)
        return Definition(cost, expr, tuple(partials), kind)
    partials = _partials(kind, outputs, targets, n, scale)

    def build() -> sympy.Expr:
        return sympy.Add(*[summand(kind, o, y, n, scale) for o, y in zip(outputs, targets)])

    o_, y_ = sympy.Dummy("o"), sympy.Dummy("y")
    template = (summand(kind, o_, y_, n, scale), (o_, y_), tuple(zip(outputs, targets)))
    return Definition(cost, None, partials, kind, build=build, summand=template)
