"""The one equality engine: decide ``a == b`` exactly, or find a point where they differ.

:func:`compare` is the engine; every other check in symconv (derivation certificates via
:func:`certify_equal`, claim verdicts in :mod:`symconv.check`, the test helpers of
:mod:`symconv.testing`) calls it. Its steps, on ``D = a − b``:

1. ``D`` structurally 0: identical.
2. (``search`` > 0) ``D`` evaluated exactly at seeded random small-integer points; a point where
   ``D ≠ 0`` *proves* the two differ and is the counterexample (made small by setting unknowns to
   0 or 1 where they still differ).
3. ``expand``: when ``D`` is small enough (``EXPAND_LIMIT`` tree nodes; or always/never as asked)
   its numerator is expanded; ``0`` *proves* the polynomial identity.
4. ``random points``: a larger rational ``D`` evaluated exactly at ``RANDOM_POINTS`` random integer
   points in ``[1, 2^32]``. For polynomials of total degree ``d`` a false pass has probability at
   most ``(d / 2^32)^k`` (Schwartz–Zippel lemma; J. T. Schwartz, JACM 27(4), 1980); the bound is
   stated.
5. ``numeric``: a ``D`` that stays irrational (exp, log, tanh) is compared to 60 significant
   digits at the points tried (small expressions first try ``sympy.simplify``).

Generic activations ``f(·)``, ``f'(·)`` are independent unknowns (one per distinct expanded
argument), so a counterexample may give them values too.

:func:`certify_equal` wraps :func:`compare` as a :class:`Certificate` (methods ``identical``,
``expand``, ``random-rational``, ``numeric``); :func:`certify_products` and
:func:`products_differ_at` are the linear-time special case of sums of products of two symbols.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain, compress, repeat
from operator import add, is_, itemgetter, mul

import mpmath
import sympy

from .dual import Fixed, NotExact, poly_degree

CERTIFY_EXPAND_LIMIT = 4000  # certify_equal: sympy.count_ops(a − b) above which random evaluation is used
EXPAND_LIMIT = 20_000  # compare: tree nodes of a − b above which random evaluation is used
RANDOM_POINTS = 8
SEARCH_POINTS = 60
SHRINK_WORK = 400_000  # tree nodes evaluated (both sides, all trials) while shrinking a counterexample


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

    Fast path first: when every group lists the same factors in the same order on both sides
    (the closed forms are written in the chain rule's order), the two sums are the same terms,
    hence equal, without numbering or sorting anything (:func:`_same_terms`).
    """
    if _same_terms(lefts, rights, left_at, right_at, left_keep):
        return []
    try:
        lk = _tagged_keys(lefts, numbers, left_at, left_keep)
        rk = _tagged_keys(rights, numbers, right_at, None)
    except KeyError:
        return None
    if lk == rk:
        return []
    block = 2 * (len(numbers) + 1) ** 3
    return sorted({key // block for key in ((Counter(lk) - Counter(rk)) + (Counter(rk) - Counter(lk)))})


def _same_terms(lefts, rights, left_at, right_at, keep) -> bool:
    """Whether every ``lefts[k]`` and ``rights[k]`` hold the same products in the same order,
    their two factors compared by identity (the factors of every product of one side may be
    swapped; every second factor ``1`` on the left and ``None``, absent, on the right alike):
    the same terms, so the same sum (``False`` decides nothing). With ``keep``, only when no left
    tuple is dropped by it."""
    if len(lefts) != len(rights) or list(map(len, lefts)) != list(map(len, rights)):
        return False
    lflat = list(chain.from_iterable(lefts))
    rflat = list(chain.from_iterable(rights))
    if not lflat:
        return True
    la, lb = itemgetter(left_at[0]), itemgetter(left_at[1])
    if keep is not None and not keep.issuperset(map(id, map(la, lflat))):
        return False
    for x, y in (right_at, right_at[::-1]):
        ra, rb = itemgetter(x), itemgetter(y)
        if all(map(is_, map(la, lflat), map(ra, rflat))):
            if rb(rflat[0]) is None and lb(lflat[0]) is sympy.S.One:  # Σ δ·1 against Σ δ
                return (all(map(is_, map(lb, lflat), repeat(sympy.S.One)))
                        and all(map(is_, map(rb, rflat), repeat(None))))
            return all(map(is_, map(lb, lflat), map(rb, rflat)))
    return False


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


# ----------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare`.

    ``equal``; ``method`` one of ``"counterexample"``, ``"expansion"``, ``"random points"``,
    ``"simplify"``, ``"numeric"``, ``"undefined"`` (the claim is undefined wherever it was
    tried); ``note`` a sentence for the verdict (the false-pass bound for
    random points); ``point`` (when unequal) maps each unknown to its value, ``values`` the
    (claim, truth) values there.
    """

    equal: bool
    method: str
    note: str = ""
    point: dict = field(default_factory=dict)
    values: tuple = ()


def _generic_apps(expr: sympy.Expr) -> dict:
    """Map every application of the generic activation f / f' to a fresh unknown (args expanded)."""
    from .activations import f, fprime

    apps = {}
    found = _collect(expr, lambda node: isinstance(node, (f, fprime)))
    for app in sorted(found, key=sympy.default_sort_key):
        canon = app.func(*[sympy.expand(a) for a in app.args])
        apps[app] = canon
    return apps


def _atomize(a: sympy.Expr, b: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr, dict]:
    """Replace f/f' applications in ``a`` and ``b`` by shared unknowns; returns their map too."""
    apps = _generic_apps(a)
    apps.update(_generic_apps(b))
    unknowns: dict = {}
    subs = {}
    for app, canon in apps.items():
        if canon not in unknowns:
            unknowns[canon] = sympy.Dummy(f"{canon.func.__name__}{len(unknowns)}")
        subs[app] = unknowns[canon]
    if subs:
        # innermost first is not needed: leaf expressions nest f only inside f's arguments
        a, b = a.xreplace(subs), b.xreplace(subs)
    return a, b, {v: k for k, v in unknowns.items()}


class _FastRational:
    """Exact evaluation of a rational expression (Add, Mul, integer Pow, symbols, rationals) with
    Python ``Fraction`` over a post-order node list (shared subtrees evaluated once).

    ``_FastRational.build(expr)`` returns None when ``expr`` holds anything else (functions, ...).
    """

    def __init__(self, order, index):
        self.order = order
        self.index = index

    @classmethod
    def build(cls, expr: sympy.Expr):
        from fractions import Fraction

        order, index = [], {}
        stack = [(expr, False)]
        while stack:
            node, done = stack.pop()
            if node in index:
                continue
            if node.is_Symbol:
                op = ("sym", node)
            elif node.is_Rational:
                op = ("num", int(node.p) if node.q == 1 else Fraction(int(node.p), int(node.q)))
            elif node.is_Add or node.is_Mul or (node.is_Pow and node.exp.is_Integer):
                if not done:
                    stack.append((node, True))
                    stack.extend((a, False) for a in node.args if a not in index)
                    continue
                if node.is_Pow:
                    op = ("pow", index[node.base], int(node.exp))
                else:
                    op = ("add" if node.is_Add else "mul", tuple(index[a] for a in node.args))
            else:
                return None
            index[node] = len(order)
            order.append(op)
        return cls(order, index[expr])

    def __call__(self, point: dict):
        from fractions import Fraction

        vals = []
        for op in self.order:
            kind = op[0]
            if kind == "sym":
                v = point.get(op[1], 0)
                if isinstance(v, sympy.Rational):
                    v = int(v.p) if v.q == 1 else Fraction(int(v.p), int(v.q))
                vals.append(v)
            elif kind == "num":
                vals.append(op[1])
            elif kind == "add":
                vals.append(sum(vals[k] for k in op[1]))
            elif kind == "mul":
                acc = 1
                for k in op[1]:
                    acc *= vals[k]
                vals.append(acc)
            else:
                base, e = vals[op[1]], op[2]
                if e < 0:
                    if base == 0:
                        return None
                    vals.append(Fraction(1) / Fraction(base) ** -e)
                else:
                    vals.append(base**e)
        v = Fraction(vals[self.index])
        return sympy.Rational(v.numerator, v.denominator)


def _collect(expr: sympy.Expr, wanted) -> set:
    """The subexpressions of ``expr`` for which ``wanted(node)`` holds, visiting each distinct
    subtree once (sympy's ``free_symbols``/``atoms`` do not share work between repeated subtrees,
    which leaf expansions are full of)."""
    seen, found = set(), set()
    stack = [sympy.sympify(expr, strict=True)]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if wanted(node):
            found.add(node)
        stack.extend(a for a in node.args if isinstance(a, sympy.Basic) and a not in seen)
    return found


def symbols_of(expr: sympy.Expr) -> set:
    """The free symbols of ``expr`` (see :func:`_collect`)."""
    return _collect(expr, lambda node: node.is_Symbol)


def _evaluator(expr: sympy.Expr):
    """A function ``point -> exact value or None``: fast for rational expressions, else sympy."""
    fast = _FastRational.build(expr)
    if fast is not None:
        return fast
    return lambda point: _value(expr, point)


def _value(expr: sympy.Expr, point: dict):
    """Exact value of ``expr`` at ``point``, or None when undefined (division by zero, ...)."""
    try:
        v = expr.xreplace(point)
        v = sympy.sympify(v, strict=True)
        if v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or v.free_symbols:
            return None
        return v
    except (ZeroDivisionError, TypeError, ValueError):
        return None


NUMERIC_DIGITS = 60
"""Significant digits of the numeric step (see :func:`_nonzero`)."""


def _nonzero(v: sympy.Expr) -> bool | None:
    """Whether the number ``v`` (an exact expression without symbols) is nonzero: exact for a
    rational, else decided to 60 significant digits with a threshold of ``10^-40``.

    Fixed-precision mpmath evaluations at 60 and 120 digits decide first: both below ``10^-50`` is
    zero; both above ``10^-20`` and agreeing to 20 digits is nonzero. Where ``D = a − b`` is exactly
    zero, sympy's adaptive ``N`` raises its working precision until the cancellation resolves
    (tens of thousands of digits, seconds per point for a softmax cost); the fixed precisions give a
    value below ``10^-50`` at once. Anything else (large terms cancelling, a value near the
    threshold) is left to ``sympy.N``, which tracks its own error."""
    if v.is_Rational:
        return v != 0
    low, high = _fixed_precision(v, (NUMERIC_DIGITS, 2 * NUMERIC_DIGITS))
    if low is not None and high is not None:
        if abs(low) < 1e-50 and abs(high) < 1e-50:
            return False
        if abs(high) > 1e-20 and abs(low - high) <= abs(high) * mpmath.mpf(10) ** -20:
            return True
    try:
        num = sympy.N(v, NUMERIC_DIGITS)
    except (TypeError, ValueError):  # pragma: no cover
        return None
    if not num.is_number:
        return None
    return bool(abs(num) > sympy.Float("1e-40"))


def _fixed_precision(v: sympy.Expr, digits: tuple[int, ...]) -> tuple:
    """``v`` evaluated by mpmath at each of ``digits`` significant digits (sympy's ``lambdify`` of
    the number, which has no symbols, compiled once), each None when it is not a finite real."""
    try:
        f = sympy.lambdify((), v, modules="mpmath")
    except (TypeError, ValueError, NameError):
        return (None,) * len(digits)
    return tuple(_at_precision(f, d) for d in digits)


def _at_precision(f, digits: int):
    try:
        with mpmath.workdps(digits):
            x = f()
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, NameError):
        return None
    return x if isinstance(x, mpmath.mpf) and mpmath.isfinite(x) else None


def _differ(va, vb) -> bool:
    return bool(_nonzero(va - vb))


def _shrink(fa, fb, point: dict, trials: int | None = None, differ=_differ) -> tuple[dict, sympy.Expr, sympy.Expr]:
    """Make a counterexample smaller: set each unknown to 0, else 1, while the sides still differ.

    ``fa``, ``fb``: evaluators (see :func:`_evaluator`) of the two sides; ``trials``: at most
    this many evaluations of both sides (None: no limit). Large expressions get few trials
    (:data:`SHRINK_WORK`), so a wrong claim about a large network is answered within seconds
    with a counterexample that is less small.
    """
    point = dict(point)
    for s in sorted(point, key=sympy.default_sort_key) * 2:
        for candidate in (sympy.Integer(0), sympy.Integer(1)):
            if point[s] == candidate:
                break
            if trials is not None:
                if trials <= 0:
                    return point, fa(point), fb(point)
                trials -= 1
            trial = {**point, s: candidate}
            va, vb = fa(trial), fb(trial)
            if va is not None and vb is not None and differ(va, vb):
                point = trial
                break
    return point, fa(point), fb(point)


def _fold(expr: sympy.Expr, leaf, combine) -> int:
    """Fold over the tree of ``expr`` computing each distinct subtree once (post-order)."""
    memo: dict = {}
    stack = [(sympy.sympify(expr, strict=True), False)]
    while stack:
        node, done = stack.pop()
        if node in memo:
            continue
        kids = [a for a in node.args if isinstance(a, sympy.Basic)]
        if not kids or not (node.is_Add or node.is_Mul or node.is_Pow):
            memo[node] = leaf(node)
        elif done:
            memo[node] = combine(node, [memo[a] for a in kids])
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in kids if a not in memo)
    return memo[sympy.sympify(expr, strict=True)]


def degree_bound(expr: sympy.Expr) -> int:
    """An upper bound on the total degree of a polynomial expression (unexpanded is fine)."""

    def leaf(node):
        return 0 if node.is_number else 1  # a symbol, or a function application as one unknown

    def combine(node, ds):
        if node.is_Add:
            return max(ds)
        if node.is_Mul:
            return sum(ds)
        if node.exp.is_Integer:
            return abs(int(node.exp)) * ds[0]
        return 1

    return _fold(expr, leaf, combine)


def tree_size(expr: sympy.Expr) -> int:
    """The number of nodes of ``expr`` as a tree (repeated subtrees counted each time), in time
    linear in its distinct subtrees: a cheap predictor of the cost of ``expand``."""
    return _fold(expr, lambda node: 1, lambda node, sizes: 1 + sum(sizes))


def compare(claim: sympy.Expr, truth: sympy.Expr, seed: int = 0, shrink: bool = True,
            search: int = SEARCH_POINTS, expand: str = "auto", points: int = RANDOM_POINTS) -> Comparison:
    """Decide ``claim == truth`` exactly (see the module docstring for the steps).

    ``search``: small-integer points tried first (0 skips the search: certificates of expressions
    expected equal); ``expand``: ``"auto"`` (when ``a − b`` has at most ``EXPAND_LIMIT`` tree
    nodes), ``"always"`` or ``"never"``; ``points``: random points of the probabilistic steps.
    With ``shrink`` a counterexample is made small (unknowns set to 0 or 1 where possible).
    """
    a, b, generic = _atomize(sympy.sympify(claim, strict=True), sympy.sympify(truth, strict=True))
    diff = a - b
    unknowns = sorted(symbols_of(a) | symbols_of(b), key=sympy.default_sort_key)
    if diff == 0:
        return Comparison(True, "expansion", "the two sides are identical")
    rng = random.Random(seed)
    fa, fb = _evaluator(a), _evaluator(b)
    # shrinking evaluates both sides again and again: bound the work (sympy's own evaluation of
    # non-rational expressions costs about 100 times the compiled rational evaluator's)
    slow = 1 if isinstance(fa, _FastRational) and isinstance(fb, _FastRational) else 100
    trials = SHRINK_WORK // (slow * max(1, tree_size(a) + tree_size(b)))
    found, tried_any, claim_undefined = _search(fa, fb, unknowns, rng, search, shrink, trials)
    if found is not None:
        point, va, vb = found
        shown = {generic.get(s, s): v for s, v in point.items()}
        exact = (va - vb).is_Rational
        return Comparison(False, "counterexample",
                          "" if exact else "the values differ when evaluated to 60 significant digits",
                          shown, (va, vb))
    rational = _FastRational.build(diff) is not None
    ops = tree_size(diff) if expand != "never" else 0
    if expand == "always" or (expand == "auto" and ops <= EXPAND_LIMIT):
        num = sympy.together(diff).as_numer_denom()[0] if rational else diff
        if sympy.expand(num) == 0:
            return Comparison(True, "expansion", "claim - truth expands to 0 (an exact identity)")
        if rational:
            if not search:  # not searched yet: find the point that shows it
                found, _, _ = _search(fa, fb, unknowns, random.Random(seed), SEARCH_POINTS, shrink)
                if found is not None:
                    point, va, vb = found
                    return Comparison(False, "expansion", "claim - truth does not expand to 0",
                                      {generic.get(s, s): v for s, v in point.items()}, (va, vb))
            return Comparison(False, "expansion", "claim - truth does not expand to 0")
        if sympy.simplify(diff) == 0:
            return Comparison(True, "simplify", "claim - truth simplifies to 0 (sympy.simplify)")
    if rational:
        num = sympy.together(diff).as_numer_denom()[0] if 0 < ops <= EXPAND_LIMIT else diff
        d = degree_bound(num)
        for _ in range(points):
            point = {s: sympy.Integer(rng.randint(1, 2**32)) for s in unknowns}
            va, vb = fa(point), fb(point)
            if va is None or vb is None:
                continue
            if va != vb:
                shown = {generic.get(s, s): val for s, val in point.items()}
                return Comparison(False, "random points", "", shown, (va, vb))
        return Comparison(True, "random points", _schwartz_zippel(points, d))
    if not tried_any:  # not searched: evaluate at random rational points, 60 digits
        for _ in range(points):
            point = {s: sympy.Rational(rng.randint(-10**6, 10**6), rng.randint(1, 10**6)) for s in unknowns}
            va, vb = fa(point), fb(point)
            if va is None and vb is not None and claim_undefined is None:
                claim_undefined = (point, vb)
            if va is None or vb is None:
                continue
            tried_any = True
            if _nonzero(va - vb):
                shown = {generic.get(s, s): val for s, val in point.items()}
                return Comparison(False, "numeric", "the values differ when evaluated to 60 significant digits",
                                  shown, (va, vb))
    if not tried_any:
        # Nothing could be compared: the claim (e.g. log 0) is undefined wherever it was tried.
        # Where the gradient is defined there, they are not the same function.
        if claim_undefined is not None:
            point, vb = claim_undefined
            shown = {generic.get(s, s): v for s, v in point.items()}
            return Comparison(False, "undefined", "the claim is undefined at every point tried, "
                                                  "including this one, where the gradient is defined",
                              shown, (None, vb))
        return Comparison(False, "undefined", "neither side is defined at any point tried; nothing was compared")
    return Comparison(True, "numeric", "not proven: claim - truth was 0 (to 60 digits) at every point tried")


def _schwartz_zippel(points: int, d: int) -> str:
    """The note of an identity passed at ``points`` random integer points, degree at most ``d``."""
    return (f"claim - truth is 0 at {points} random integer points in [1, 2^32]; its degree is "
            f"at most {d}, so a false pass has probability at most ({d}/2^32)^{points} (Schwartz-Zippel)")


def _search(fa, fb, unknowns, rng: random.Random, count: int, shrink: bool, trials: int | None = None,
            differ=_differ):
    """Try ``count`` small-integer points (radius growing every 10): ``(found, tried_any,
    claim_undefined)`` where ``found`` is ``(point, claim value, truth value)`` of a point where
    the two differ, or None."""
    tried_any = False
    claim_undefined = None  # a point where the truth is defined and the claim is not
    for attempt in range(count):
        radius = 1 + attempt // 10
        point = {s: sympy.Integer(rng.randint(-radius, radius + 1)) for s in unknowns}
        va, vb = fa(point), fb(point)
        if va is None and vb is not None and claim_undefined is None:
            claim_undefined = (point, vb)
        if va is None or vb is None:
            continue
        tried_any = True
        if differ(va, vb):
            if shrink:
                point, va, vb = _shrink(fa, fb, point, trials, differ)
            return (point, va, vb), tried_any, claim_undefined
    return None, tried_any, claim_undefined


def _is_polynomial(expr: sympy.Expr) -> bool:
    return all(
        isinstance(node, sympy.Symbol | sympy.Number | sympy.Add | sympy.Mul)
        or (isinstance(node, sympy.Pow) and node.exp.is_Integer and node.exp >= 0)
        for node in sympy.preorder_traversal(expr)
    )


def certify_equal(a: sympy.Expr, b: sympy.Expr, method: str = "auto", seed: int = 0, points: int = 4) -> Certificate:
    """Prove ``a == b`` (or find a point where they differ) with :func:`compare`.

    ``method``: ``"auto"`` (expand when small (``CERTIFY_EXPAND_LIMIT`` operations) and
    polynomial, else random points / numeric), ``"expand"``, ``"random"``. Deterministic for a
    given ``seed``. The certificate's ``counterexample`` is ``((name, value), ...)``.
    """
    a, b = sympy.sympify(a, strict=True), sympy.sympify(b, strict=True)
    diff = a - b
    if diff == 0:
        return Certificate(True, "identical", "both sides are the same expression")
    poly = _is_polynomial(diff)
    expand = method == "expand" or (method == "auto" and poly and sympy.count_ops(diff) <= CERTIFY_EXPAND_LIMIT)
    cmp = compare(a, b, seed=seed, shrink=False, search=0, expand="always" if expand and poly else "never",
                  points=points)
    shown = tuple((str(s), str(v)) for s, v in cmp.point.items())
    if cmp.method == "expansion":
        if cmp.equal:
            return Certificate(True, "expand", "expand(a - b) = 0")
        value = (cmp.values[0] - cmp.values[1]) if cmp.values else None
        detail = "expand(a - b) != 0" + (f"; a - b = {value} at small integers" if value is not None else "")
        return Certificate(False, "expand", detail, shown)
    if cmp.method == "random points":
        if cmp.equal:
            return Certificate(True, "random-rational", cmp.note)
        return Certificate(False, "random-rational", f"a - b = {cmp.values[0] - cmp.values[1]} at a random point", shown)
    if cmp.equal:
        return Certificate(True, "numeric", cmp.note)
    if cmp.values and cmp.values[0] is not None:
        return Certificate(False, "numeric", f"a - b = {sympy.N(cmp.values[0] - cmp.values[1], 20)} at a random point", shown)
    return Certificate(False, "numeric", cmp.note, shown)


# ----------------------------------------------------------------------------- through definitions


class Through:
    """Values of expressions in *named* symbols (intermediates o, z, p, C as well as leaves) at
    points given on the leaves, without building any leaf form: every definition ``target =
    expr`` (in topological order) is evaluated once per point, by the arithmetic of
    :mod:`symconv.dual` (its :class:`~symconv.dual.Evaluator`, the one the independent certificate
    uses): exact rationals, or fixed point with mpmath transcendentals where a definition or an
    expression holds exp, log, tanh, a square root or the generic f (evaluated as sin).

    ``definitions``: objects with ``target`` and ``expr`` in topological order (a
    :class:`~symconv.forward.Forward`'s; each ``expr`` read only when a point needs it); ``assumed``: ``{leaf: expr in other leaves}`` (the
    one-hot assumption y_K = 1 − Σ_{k<K} y_k), applied at every point. Symbols are matched by
    equality (the symbols of a network rebuilt with other settings are equal by name).
    """

    def __init__(self, definitions, assumed: dict | None = None):
        self.defs = {d.target: d for d in definitions}
        self.position = {t: k for k, t in enumerate(self.defs)}
        self.assumed = dict(assumed or {})
        self._reads: dict = {}  # target -> frozenset of symbols its definition reads

    def expr(self, target) -> sympy.Expr:
        return self.defs[target].expr

    def reads(self, symbol) -> frozenset:
        got = self._reads.get(symbol)
        if got is None:
            got = self._reads[symbol] = frozenset(symbols_of(self.expr(symbol)))
        return got

    def closure(self, exprs) -> tuple[list, list]:
        """The intermediates ``exprs`` read, directly or through definitions (topological
        order), and the leaves under them (assumed targets replaced by the leaves they are
        computed from)."""
        targets, leaves, stack = set(), set(), []
        for e in exprs:
            stack.extend(symbols_of(e))
        while stack:
            s = stack.pop()
            if s in self.defs:
                if s not in targets:
                    targets.add(s)
                    stack.extend(self.reads(s))
            elif s in self.assumed:
                stack.extend(x for x in self.assumed[s].free_symbols if x not in leaves)
                leaves.add(s)
            else:
                leaves.add(s)
        return sorted(targets, key=self.position.__getitem__), sorted(leaves, key=sympy.default_sort_key)


class _Claimed(Fixed):
    """Fixed-point arithmetic for judging claims: :class:`~symconv.dual.Fixed`, except that the
    logarithm of a number ≤ 0 is undefined (the certificate's log|x| serves derivatives only)."""

    @classmethod
    def func(cls, name, a):
        if name == "log" and a <= 0:
            raise ValueError("the logarithm of a number <= 0 at the point")
        return super().func(name, a)


DYADIC_BITS = 30  # random points of the fixed-point regime: m / 2^30 in [-1, 1)
FIXED_TOLERANCE_DIGITS = 40  # fixed point: |a − b| ≤ 10^−40 · (1 + |a| + |b|) counts as equal


class _Sides:
    """Both sides of a comparison through definitions, prepared for evaluation at points."""

    def __init__(self, a, through_a: Through, b, through_b: Through):
        from .dual import TRANSCENDENTAL, Exact, functions_in

        if through_a is through_b:
            targets, leaves = through_a.closure([a, b])
            self.sides = ((a, through_a, targets), (b, through_b, targets))
        else:
            ta, la = through_a.closure([a])
            tb, lb = through_b.closure([b])
            targets, leaves = ta + tb, sorted(set(la) | set(lb), key=sympy.default_sort_key)
            self.sides = ((a, through_a, ta), (b, through_b, tb))
        assumed = {**through_a.assumed, **through_b.assumed}
        self.unknowns = [s for s in leaves if s not in assumed]
        self.assumed = [(y, e) for y, e in assumed.items() if y in set(leaves)]
        seen: set = set()
        funcs = functions_in(a, seen) | functions_in(b, seen)
        for _, through, ts in self.sides:
            for t in ts:
                funcs |= functions_in(through.expr(t), seen)
        self.functions = funcs
        self.arith = _Claimed if funcs & TRANSCENDENTAL else Exact
        self.work = len(targets) + tree_size(a) + tree_size(b)
        self._at = None

    @property
    def exact(self) -> bool:
        return self.arith.B == 0

    def degree(self) -> int | None:
        """A bound on the total degree in the leaves of ``a − b`` when both are polynomials in
        them through the definitions (None otherwise)."""
        try:
            ds = []
            for expr, through, targets in self.sides:
                deg: dict = {}  # intermediates' degrees; a leaf's is 1

                def degree_of(s, deg=deg):
                    return deg.get(s, 1)

                for y, e in self.assumed:
                    deg[y] = poly_degree(e, degree_of)
                for t in targets:
                    deg[t] = poly_degree(through.expr(t), degree_of)
                ds.append(poly_degree(expr, degree_of))
            return max(ds)
        except NotExact:
            return None

    def values(self, point: dict):
        """``(value of a, value of b)`` in the arithmetic (None for a side undefined there); the
        last point's values are kept (the two sides are asked for in turn)."""
        if self._at is not None and self._at[0] is point:
            return self._at[1]
        from .dual import Evaluator

        a = self.arith
        funcs: dict = {}
        evaluators: dict = {}  # id(through) -> (Evaluator, error)
        out = []
        for expr, through, targets in self.sides:
            got = evaluators.get(id(through))
            if got is None:
                vals, canon = {}, {}
                for s in self.unknowns:
                    v = point.get(s, 0)
                    vals[id(s)], canon[s] = a.const(v), id(s)
                ev = Evaluator(a, vals, funcs=funcs, alias=canon.__getitem__)
                error = False
                try:
                    for y, e in self.assumed:
                        vals[id(y)], canon[y] = ev.value(e), id(y)
                    for t in targets:
                        vals[id(t)], canon[t] = ev.value(through.expr(t)), id(t)
                except (ZeroDivisionError, ValueError, OverflowError):
                    error = True
                got = evaluators[id(through)] = (ev, error)
            ev, error = got
            try:
                out.append(None if error else ev.value(expr))
            except (ZeroDivisionError, ValueError, OverflowError):
                out.append(None)
        self._at = (point, tuple(out))
        return self._at[1]

    def differ(self, va, vb) -> bool:
        if self.exact:
            return va != vb
        return abs(va - vb) * 10**FIXED_TOLERANCE_DIGITS > self.arith.one + abs(va) + abs(vb)

    def shown(self, v):
        """A value as a sympy number: exact, or a 15-digit Float in fixed point."""
        if v is None:
            return None
        if self.exact:
            return sympy.Rational(v.numerator, v.denominator) if not isinstance(v, int) else sympy.Integer(v)
        return sympy.Float(self.arith.text(v), 15)


def compare_through(claim: sympy.Expr, truth: sympy.Expr, through: Through, truth_through: Through | None = None,
                    seed: int = 0, shrink: bool = True, search: int = SEARCH_POINTS,
                    points: int = RANDOM_POINTS) -> Comparison:
    """Decide ``claim == truth`` for expressions in named symbols as functions of the leaves,
    each evaluated through the definitions of its :class:`Through` (``truth_through``: the
    truth's, when it is another network's), never building a leaf form.

    Steps: ``search`` small-integer points, a point where the two differ being the
    counterexample (made small with ``shrink``); then ``points`` random points. In exact rational
    arithmetic, when both sides are polynomials in the leaves of total degree at most ``d``,
    points in [1, 2^32] and the Schwartz–Zippel bound ``(d/2^32)^points`` (method ``"random
    points"``); other exact networks (max, ReLU, division) signed points in [−2^32, 2^32],
    with no bound (method ``"numeric"``, not proven). In fixed point (exp, log, tanh, square roots:
    :class:`~symconv.dual.Fixed`, about 54 significant digits) dyadic points m/2^30 in [−1, 1),
    the two sides equal when ``|a − b| ≤ 10^−40 (1 + |a| + |b|)`` (method ``"numeric"``, not
    proven). Values in the result are exact sympy numbers, or 15-digit Floats in fixed point.
    Raises NotImplementedError for a function the arithmetic does not know (then compare leaf
    forms with :func:`compare`).
    """
    same = truth_through is None or truth_through is through
    sides = _Sides(claim, through, truth, through if same else truth_through)
    if same and claim - truth == 0:
        return Comparison(True, "expansion", "the two sides are identical")
    rng = random.Random(seed)
    fa = lambda point: sides.values(point)[0]
    fb = lambda point: sides.values(point)[1]
    slow = 1 if sides.exact else 4
    trials = SHRINK_WORK // (slow * max(1, sides.work))
    unknowns = sides.unknowns
    digits = f"about {sides.arith.B * 3 // 10} significant digits"
    fixed_note = (f"{sides.arith.B}-bit fixed point, {digits}, exp, log and tanh by mpmath; equal when "
                  f"|claim - truth| <= 1e-{FIXED_TOLERANCE_DIGITS} (1 + |claim| + |truth|)")
    found, tried_any, claim_undefined = _search(fa, fb, unknowns, rng, search, shrink, trials, sides.differ)

    def unequal(method, note, point, va, vb):
        return Comparison(False, method, note, point, (sides.shown(va), sides.shown(vb)))

    if found is not None:
        point, va, vb = found
        return unequal("counterexample", "" if sides.exact else f"the values differ ({fixed_note})", point, va, vb)
    degree = sides.degree() if sides.exact else None
    for _ in range(points):
        if degree is not None:
            point = {s: sympy.Integer(rng.randint(1, 2**32)) for s in unknowns}
        elif sides.exact:
            point = {s: sympy.Integer(rng.randint(-2**32, 2**32)) for s in unknowns}
        else:
            point = {s: sympy.Rational(rng.randint(-2**DYADIC_BITS, 2**DYADIC_BITS - 1), 2**DYADIC_BITS)
                     for s in unknowns}
        va, vb = sides.values(point)
        if va is None and vb is not None and claim_undefined is None:
            claim_undefined = (point, vb)
        if va is None or vb is None:
            continue
        tried_any = True
        if sides.differ(va, vb):
            if sides.exact:
                return unequal("random points", "", point, va, vb)
            return unequal("numeric", f"the values differ ({fixed_note})", point, va, vb)
    if not tried_any:
        if claim_undefined is not None:
            point, vb = claim_undefined
            return Comparison(False, "undefined", "the claim is undefined at every point tried, "
                                                  "including this one, where the gradient is defined",
                              point, (None, sides.shown(vb)))
        return Comparison(False, "undefined", "neither side is defined at any point tried; nothing was compared")
    if degree is not None:
        return Comparison(True, "random points", _schwartz_zippel(points, degree))
    if sides.exact:
        return Comparison(True, "numeric", (
            f"not proven: claim - truth was 0 in exact rational arithmetic at every point tried ({search} "
            f"small-integer points, {points} random integer points in [-2^32, 2^32]); it is not a "
            "polynomial in the leaves (max, ReLU or division), so no Schwartz-Zippel bound applies"))
    return Comparison(True, "numeric", (
        f"not proven: claim - truth was 0 at every point tried ({search} small-integer points, {points} random "
        f"points m/2^{DYADIC_BITS} in [-1, 1)), evaluated through the forward definitions in {fixed_note}"))


def value_through(expr: sympy.Expr, through: Through, point: dict):
    """The value of ``expr`` (named symbols) at ``point`` (leaves; absent ones 0), evaluated
    through the definitions as :func:`compare_through` does: an exact sympy number, or a
    15-digit Float in fixed point; None where it is undefined."""
    sides = _Sides(expr, through, expr, through)
    return sides.shown(sides.values(point)[0])
