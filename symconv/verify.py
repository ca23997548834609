"""Certificates that two expressions are equal: exact expansion, or exact random evaluation.

* ``expand``: ``sympy.expand(a − b) == 0``, a proof of the polynomial identity.
* ``random-rational``: ``a − b`` evaluated exactly at ``k`` points with independent random
  rationals; every value 0. For polynomials of total degree ≤ D with values drawn from a set of
  size N, a false pass has probability ≤ (D/N)^k (Schwartz–Zippel lemma; J. T. Schwartz,
  JACM 27(4), 1980); the bound is stated in the certificate.
* ``numeric``: for non-polynomial expressions that stay irrational (exp, log, tanh), evaluation
  to 50 significant digits at random rational points, all differences below 1e-40.

A failed certificate carries the point where the two sides differ.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import add, itemgetter, mul

import sympy

EXPAND_LIMIT = 4000  # operations in a − b above which random evaluation is used


@dataclass(frozen=True)
class Certificate:
    """The outcome of a comparison: ``equal``, the ``method`` used and a one-line ``detail``."""

    equal: bool
    method: str
    detail: str
    counterexample: tuple[tuple[str, str], ...] = ()

    def __bool__(self) -> bool:
        return self.equal


def monomial_keys(pairs, index: dict) -> list[int]:
    """Integer keys of products ``(a, b)`` (``b`` None for a lone symbol): equal keys exactly
    for equal monomials. ``index`` numbers the symbols 1, 2, … (new ones are added); it is keyed
    by object identity (the symbols of one network are unique objects, alive while it is), which
    avoids sympy's Python-level hashing in this hot loop, and keeps the symbol itself for messages."""
    keys = []
    append = keys.append
    get = index.get
    for a, b in pairs:
        i = get(id(a))
        if i is None:
            i = index[id(a)] = len(index) + 1
            index[-i] = a
        if b is None:
            append(i)
            continue
        j = get(id(b))
        if j is None:
            j = index[id(b)] = len(index) + 1
            index[-j] = b
        append((i << 32) | j if i < j else (j << 32) | i)
    return keys


def certify_products(left, right, index: dict | None = None) -> Certificate:
    """Prove ``Σ a·b (left) = Σ a·b (right)`` for products of two symbols with coefficient 1.

    Each side is a list of ``(a, b)`` pairs (``b`` None for a lone symbol). Products of distinct
    symbols are distinct monomials, linearly independent, and no coefficient can cancel (all are
    +1), so the two sums are equal polynomials exactly when the multisets of monomials are equal:
    a proof both ways. Monomials are compared as sorted lists of integer keys (linear-time keys,
    one C-level sort). ``index`` (symbol → positive int) may be shared between calls.
    """
    index = {} if index is None else index
    lk = sorted(monomial_keys(left, index))
    rk = sorted(monomial_keys(right, index))
    if lk == rk:
        return Certificate(True, "monomials", f"the same {len(lk)} monomials on both sides")
    names = {-k: v for k, v in index.items() if k < 0}
    lc, rc = Counter(lk), Counter(rk)
    first = min(((lc - rc) + (rc - lc)).elements())
    parts = [names[first >> 32], names[first & 0xFFFFFFFF]] if first >> 32 else [names[first]]
    return Certificate(False, "monomials", f"monomial {'*'.join(str(p) for p in parts)} differs")


def symbol_numbers(symbols) -> dict:
    """``{id(symbol): 1, 2, …}`` for :func:`products_differ_at`, with the factor ``1`` and an
    absent factor (``None``) numbered 0. The symbols must stay alive while the numbering is used
    (the symbols of one network do)."""
    numbers = {id(s): k for k, s in enumerate(symbols, 1)}
    numbers[id(sympy.S.One)] = numbers[id(None)] = 0
    return numbers


def products_differ_at(lefts, rights, numbers: dict, left_at=(0, 1), right_at=(0, 1),
                       left_keep=None) -> list[int] | None:
    """Many :func:`certify_products` proofs at once: the elements ``k`` where
    ``Σ a·b over lefts[k]`` and ``Σ a·b over rights[k]`` differ (``[]``: all proven equal).

    ``lefts[k]`` and ``rights[k]`` are sequences of tuples whose items at positions ``left_at``
    (resp. ``right_at``) are the two factors ``a`` and ``b`` (a symbol, ``1`` or ``None``).
    ``left_keep``, if given, is a set of ``id``s: only left tuples whose first factor is in it
    count. ``numbers`` is :func:`symbol_numbers` of every symbol that may occur.

    The proof is the one of :func:`certify_products` (distinct monomials of coefficient +1 are
    equal sums exactly when their multisets are equal), applied to the multiset of
    ``(k, monomial)`` over all elements, with every per-item step a C-level ``map`` over flat
    lists. Returns None, deciding nothing, when a factor is not a numbered symbol (then compare
    element by element with :func:`certify_equal`).
    """
    try:
        lk = _tagged_keys(lefts, numbers, left_at, left_keep)
        rk = _tagged_keys(rights, numbers, right_at, None)
    except KeyError:
        return None
    if lk == rk:
        return []
    block = 2 * (len(numbers) + 1) ** 3
    return sorted({key // block for key in ((Counter(lk) - Counter(rk)) + (Counter(rk) - Counter(lk)))})


def _tagged_keys(groups, numbers: dict, at: tuple[int, int], keep) -> list[int]:
    """Sorted integer keys ``k·B + (i + j)·S² + i·j`` of every product of every group ``k``
    (``i``, ``j`` the numbers of its two factors, ``S`` above every number, ``B = 2S·S²``).

    The sum and the product of two numbers determine the unordered pair (the roots of
    ``t² − (i + j)t + ij``), so equal keys mean the same group and the same monomial; symmetric in
    ``i``, ``j`` without a per-item ``min``/``max``."""
    size = len(numbers) + 1
    square = size * size
    block = 2 * size * square
    flat = list(chain.from_iterable(groups))
    tags = chain.from_iterable(map(repeat, range(0, block * len(groups), block), map(len, groups)))
    first = list(map(id, map(itemgetter(at[0]), flat)))
    if keep is not None:
        kept = list(map(keep.__contains__, first))
        if not all(kept):
            flat = list(compress(flat, kept))
            tags = compress(tags, kept)
            first = list(compress(first, kept))
    i = list(map(numbers.__getitem__, first))
    j = list(map(numbers.__getitem__, map(id, map(itemgetter(at[1]), flat))))
    return sorted(map(add, map(add, tags, map(mul, map(add, i, j), repeat(square))), map(mul, i, j)))


def _is_polynomial(expr: sympy.Expr) -> bool:
    return all(
        isinstance(node, sympy.Symbol | sympy.Number | sympy.Add | sympy.Mul)
        or (isinstance(node, sympy.Pow) and node.exp.is_Integer and node.exp >= 0)
        for node in sympy.preorder_traversal(expr)
    )


def certify_equal(a: sympy.Expr, b: sympy.Expr, method: str = "auto", seed: int = 0, points: int = 4) -> Certificate:
    """Prove ``a == b`` (or find a point where they differ).

    ``method``: ``"auto"`` (expand when small and polynomial, else random-rational / numeric),
    ``"expand"``, ``"random"``. Deterministic for a given ``seed``.
    """
    diff = sympy.sympify(a, strict=True) - sympy.sympify(b, strict=True)
    if diff == 0:
        return Certificate(True, "identical", "both sides are the same expression")
    poly = _is_polynomial(diff)
    if method == "expand" or (method == "auto" and poly and sympy.count_ops(diff) <= EXPAND_LIMIT):
        if poly:
            expanded = sympy.expand(diff)
            if expanded == 0:
                return Certificate(True, "expand", "expand(a - b) = 0")
            return _counterexample(diff, seed, "expand(a - b) != 0")
    return _random(diff, seed, points, poly)


def _point(symbols, rng: random.Random) -> dict:
    return {s: sympy.Rational(rng.randint(-10**6, 10**6), rng.randint(1, 10**6)) for s in symbols}


def _random(diff: sympy.Expr, seed: int, points: int, poly: bool) -> Certificate:
    rng = random.Random(seed)
    symbols = sorted(diff.free_symbols, key=lambda s: s.name)
    for _ in range(points):
        at = _point(symbols, rng)
        value = diff.xreplace(at)
        if value.is_Rational:
            if value != 0:
                return _fail(at, "random-rational", value)
            continue
        number = sympy.N(value, 50)
        if not number.is_number or abs(number) > sympy.Float("1e-40", 50):
            return _fail(at, "numeric", number)
        poly = False
    if poly:
        return Certificate(
            True,
            "random-rational",
            f"a - b = 0 exactly at {points} random rational points "
            "(false pass probability at most (degree/2e12)^" + f"{points})",
        )
    return Certificate(
        True, "numeric", f"|a - b| < 1e-40 at {points} random rational points, 50-digit arithmetic"
    )


def _fail(at: dict, method: str, value) -> Certificate:
    shown = tuple((s.name, str(v)) for s, v in at.items())
    return Certificate(False, method, f"a - b = {value} at a random point", shown)


def _counterexample(diff: sympy.Expr, seed: int, detail: str) -> Certificate:
    rng = random.Random(seed)
    symbols = sorted(diff.free_symbols, key=lambda s: s.name)
    for _ in range(50):
        at = {s: sympy.Integer(rng.randint(-3, 3)) for s in symbols}
        value = diff.xreplace(at)
        if value != 0:
            shown = tuple((s.name, str(v)) for s, v in at.items())
            return Certificate(False, "expand", f"{detail}; a - b = {value} at small integers", shown)
    return Certificate(False, "expand", detail)
