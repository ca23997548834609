r"""The independent certificate of every gradient: forward mode against the chain-rule sums.

symconv computes every gradient by reverse accumulation (:mod:`symconv.gradients`): sums of
``upstream · local partial``. This certificate checks all of them at once by a method that shares
nothing with that computation.

Perturb every differentiated coordinate: each leaf θ (input, weight, bias) by ``t·v_θ`` and each
intermediate s (pre-activation z, activation o) by an added ``t·u_s`` after its definition. The
derivative of the cost along this direction at a point x is

    D C(x)[v, u] = Σ_θ v_θ · ∂C/∂θ(x) + Σ_s u_s · ∂C/∂s(x)        (1)

with ∂C/∂s the gradient by the intermediate (δ = ∂C/∂z, ∂C/∂o), as backpropagation defines it.

* **Left side, independent:** forward-mode differentiation of the forward definitions'
  *expressions* with dual numbers (:mod:`symconv.dual`): every definition is evaluated with its
  value and its derivative along (v, u), by the sum, product, power and chain rules. No local
  partial, no δ, no chain-rule term is read.
* **Right side, symconv's gradients:** every chain-rule sum ``∂C/∂s = Σ upstream · partial``
  evaluated at x, from the cost back (each δ and ∂C/∂o symbol standing for the value of the sum
  it names), then dotted with the direction.

A wrong entry ∂C/∂θ (any coordinate: leaf or intermediate) makes the difference of the two sides a
nonzero polynomial in the direction (its coefficient of v_θ or u_s is the error), and, for a
polynomial network, a nonzero polynomial in (x, v, u) of total degree at most D = 1 + the degree
of the cost. Hence, with every coordinate of x, v and u drawn from a set of N numbers:

* polynomial networks (conv, dense, average pooling, identity, squared-error costs): exact
  rational arithmetic; a wrong gradient passes one point with probability at most D/N
  (Schwartz–Zippel lemma; J. T. Schwartz, JACM 27(4), 1980), all k points with at most (D/N)^k.
* piecewise-polynomial networks (ReLU, leaky ReLU, max pooling): exact arithmetic; a gradient
  wrong *at a sampled point* passes it with probability at most 1/N (the difference is linear in
  the direction there), all k points with (1/N)^k. Kinks are handled by the stated conventions
  (ReLU'(0), max-pool ties), which both sides apply.
* transcendental networks (tanh, sigmoid, exp/log costs, softmax cross-entropy, the generic f):
  fixed-point arithmetic with 200 fraction bits (about 60 digits), exp/log/tanh by mpmath at
  232 bits; the two sides must agree within the stated tolerance at each point.

Exact points are integers in [−2^63, 2^63) (N = 2^64: dyadic rationals with denominator 1, so
exact arithmetic stays integer arithmetic except after a rational coefficient); transcendental
points are dyadic rationals m/2^30 in [−1, 1) (so tanh does not saturate). The number of points k
is the least (at least 2) with bound ≤ 10^−30. Points are drawn from a seeded generator: output
is deterministic.

On failure the entries that are wrong are located by binary search over the coordinates in
topological order (directions restricted to suffixes): the last wrong entry's upstream values are
right, so its own chain-rule sum is wrong; its gradient is then replaced by the forward-mode value
and the search repeats, up to :data:`MAX_LOCATED` entries.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass
from functools import cached_property
from itertools import repeat
from operator import is_not, itemgetter, lshift, sub

import sympy

from .costs import one_hot_blocks
from .dual import PIECEWISE, TRANSCENDENTAL, Evaluator, Exact, Fixed, Kink, dot, functions_in, poly_degree
from .gcpause import gc_paused
from .layers import kind_of
from .notation import LEAF_ROLES, ROLE

BOUND_TARGET = 1e-30  # false-pass probability the number of exact points is chosen for
NUMERIC_POINTS = 2
EXACT_BITS = 64  # exact sample set: integers in [−2^63, 2^63)
TOLERANCE_DIGITS = 40  # numeric: |difference| ≤ 10^−40 · (1 + Σ |direction · gradient|)
MAX_LOCATED = 5
RESAMPLE = 5  # fresh points tried when a point meets a kink without convention or a pole

_first, _second, _third = itemgetter(0), itemgetter(1), itemgetter(2)


@dataclass(frozen=True)
class CoveredTensor:
    """One differentiated tensor: ``role`` (input, weight, bias, pre_activation, activation),
    ``layer`` (1-based; 0 for the input), ``shape`` and number of ``entries``."""

    role: str
    layer: int
    shape: tuple[int, ...]
    entries: int


@dataclass(frozen=True)
class Located:
    """A gradient entry whose chain-rule sum is wrong at a point although every upstream value it
    uses is right: ``name`` (Python), ``latex``, role, layer, 0-based ``index``, and the two values
    at the point (15 significant digits): symconv's ``computed`` and the ``independent`` one."""

    name: str
    latex: str
    role: str
    layer: int | None
    index: tuple[int, ...]
    computed: str
    independent: str


@dataclass(frozen=True)
class IndependentCertificate:
    """The outcome of :func:`certify_gradients` (plain data; :meth:`as_dict` for JSON).

    ``regime``: ``"polynomial"``, ``"piecewise polynomial"`` or ``"transcendental"``;
    ``arithmetic``: ``"exact rational"`` or the fixed-point description; ``points``: random
    points used; ``sample_set`` and ``sample_size`` (N): where every coordinate of a point and of
    a direction is drawn; ``degree``: the degree bound D of the difference (polynomial regime);
    ``bound``: the false-pass probability bound (exact regimes; rounded up to two significant
    digits), ``bound_formula`` how it is computed (``"(7/2^64)^2"``), ``tolerance`` (numeric);
    ``covers``: the tensors every entry of whose gradient is certified, ``entries`` their total;
    ``conventions``: kink conventions and stand-ins used; ``statement``: one sentence;
    ``located`` (on failure): the wrong entries found, ``more``: whether more remain beyond them;
    ``reason``: why it failed ("" when it passed).
    """

    passed: bool
    method: str
    regime: str
    arithmetic: str
    points: int
    sample_set: str
    sample_size: int | None
    degree: int | None
    bound: float | None
    bound_formula: str | None
    tolerance: str | None
    covers: tuple[CoveredTensor, ...]
    entries: int
    conventions: tuple[str, ...]
    statement: str
    located: tuple[Located, ...] = ()
    more: bool = False
    reason: str = ""

    def __bool__(self) -> bool:
        return self.passed

    def as_dict(self) -> dict:
        """JSON-ready (tuples as lists), keys in declaration order."""
        return _lists(asdict(self))


def _lists(x):
    if isinstance(x, dict):
        return {k: _lists(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_lists(v) for v in x]
    return x


METHOD = ("forward-mode differentiation of the forward definitions (dual numbers) against the "
          "chain-rule sums, along random directions in every differentiated coordinate")


# ----------------------------------------------------------------------------- the plan


class _Plan:
    """Everything of a network the certificate evaluates, gathered once (no point yet)."""

    def __init__(self, forward, gradients):
        net = forward.network
        self.table = net.table
        self.cost = net.cost
        leaves = list(net.input.symbols) + list(net.targets.symbols)
        tensors = [net.input]
        seen = {id(net.input.symbols)}
        kinks: dict = {}
        for layer in net.layers:
            for t in (layer.weight, layer.bias):
                if t is not None:
                    leaves.extend(t.symbols)
            for t in layer.tensors():  # parameters, intermediates, z, o
                if id(t.symbols) not in seen:
                    seen.add(id(t.symbols))
                    tensors.append(t)
            kinks.update(kind_of(layer).kinks(layer))
        # other leaves (a symbolic batch-norm ε): after the tensors' own
        leaves.extend(x for x, info in net.table.info.items() if info.role in LEAF_ROLES and info.layer is None
                      and info.role != "target")
        self.leaves = leaves
        self.leaf_ids = list(map(id, leaves))
        # one-hot targets (Σ_k y_k = 1 assumed): each example's last target is drawn as 1 − Σ of
        # the others, so every point lies where the gradients are claimed to hold
        position = {id(x): k for k, x in enumerate(leaves)}
        self.sums_to_one = [(position[id(last)], [position[id(y)] for y in rest])
                            for last, rest in ((ys[-1], ys[:-1]) for ys in _one_hot_blocks(forward))]
        # leaves that must be positive (ε: a square root of a variance plus ε) are drawn in (0, 1)
        self.positive = [k for k, x in enumerate(leaves) if ROLE[net.table.info[x].role].positive]
        leaf_set = set(self.leaf_ids)
        self.tensors = tensors
        # Coordinates in topological order: a tensor's readers come after it.
        self.coords = [s for t in tensors for s in t.symbols]
        self.leaf_coords = [id(s) for s in self.coords if id(s) in leaf_set]
        self.inner_coords = [id(s) for s in self.coords if id(s) not in leaf_set]
        self.steps = []  # ("linear", target, ids...), ("sum", target, template, ...), ("expr", target, expr, kinks)
        funcs: set = set()
        walked: set = set()
        self.kink_layers: dict = {}
        for d in forward.definitions:
            if d.given_expr is None and d.build is None:
                self.steps.append(_linear(d, leaf_set))
            elif d.summand is not None:
                template, holders, rows = d.summand
                funcs |= functions_in(template)
                self.steps.append(("sum", id(d.target), template, [id(h) for h in holders],
                                   [[id(x) for x in row] for row in rows]))
            else:
                found = functions_in(d.expr, walked)
                funcs |= found
                k = kinks.get(d.target) if found & PIECEWISE else None  # smooth: no kink
                if k is not None:
                    self.kink_layers[self.table.info[d.target].layer] = k
                self.steps.append(("expr", id(d.target), d.expr, k))
        # The chain-rule sums, from the cost back; each upstream factor δ or ∂C/∂o (by its symbol)
        # stands for the sum of the entry it names (the network's pairing of tensors).
        self.reverse = []
        self.compound: dict = {}  # id -> partial expression that is neither a symbol nor a number
        self.numbers: dict = {}  # id -> number (partials and upstream factors)
        names: dict = {}
        for layer in net.layers:
            for tensor, ups in layer.upstreams():  # δ of the carrier, ∂C/∂o, intermediates' ∂C/∂
                for s, up in zip(tensor.symbols, ups.symbols):
                    names.setdefault(id(s), []).append(id(up))
        known = set(map(id, self.table.info))
        by_id = {id(k): g.terms for k, g in gradients.by_wrt.items()}
        for s in reversed(self.coords):
            terms = by_id[id(s)]
            ups, partials = list(map(id, map(_second, terms))), list(map(id, map(_third, terms)))
            if not (known.issuperset(ups) and known.issuperset(partials)):  # numbers, expressions
                ups = [self._classify(t.upstream, known) for t in terms]
                partials = [self._classify(t.partial, known) for t in terms]
            # partials all sampled leaves: read at the leaves' coarse scale (fast products)
            self.reverse.append((id(s), ups, partials, names.get(id(s), ()), bool(partials) and leaf_set.issuperset(partials)))
        for expr in self.compound.values():
            funcs |= functions_in(expr, walked)
        self.functions = funcs
        self.symbol_of = {id(s): s for s in self.coords}

    def _classify(self, x, known: set) -> int:
        """The id under which a factor's value will be found: a symbol's own (or that of the
        network's equal symbol), a number's or an expression's (recorded for evaluation)."""
        if x.is_Symbol:
            return id(x) if id(x) in known else self.alias[x]
        if x.is_Number:
            self.numbers[id(x)] = x
        else:
            self.compound[id(x)] = x
        return id(x)

    def resolve(self, symbol) -> int:
        return self.alias[symbol]

    @cached_property
    def alias(self) -> dict:
        """``{symbol: id of the network's own symbol}``, compared by equality (see Evaluator)."""
        return {s: id(s) for s in self.table.info}


def _linear(d, leaves: set):
    """A multilinear definition ``Σ coeff·weight·value + bias`` as id lists (the expression of
    :attr:`~symconv.ops.Definition.expr`, read from its terms; its partials are not read), and
    whether its weights (its values) are all sampled leaves."""
    terms = d.terms
    if all(map(is_not, map(_second, terms), repeat(None))):  # (by identity: no sympy __eq__)
        weighted, plain = terms, ()
    else:
        weighted = [t for t in terms if t.weight is not None]
        plain = [t for t in terms if t.weight is None]
    wids, xids = list(map(id, map(_second, weighted))), list(map(id, map(_third, weighted)))
    w_coeffs = None if {id(sympy.S.One)}.issuperset(map(id, map(_first, weighted))) else [t.coeff for t in weighted]
    p_coeffs = [t.coeff for t in plain]
    common = p_coeffs[0] if p_coeffs and all(c == p_coeffs[0] for c in p_coeffs) else None
    return ("linear", id(d.target), wids, xids, leaves.issuperset(wids), leaves.issuperset(xids), w_coeffs,
            [id(t.value) for t in plain], common, None if common is not None else p_coeffs,
            id(d.bias) if d.bias is not None else None)


# ----------------------------------------------------------------------------- one point


class _Point:
    """Values at one point: the forward pass with tangents, and the chain-rule sums.

    Every value is kept at the arithmetic's scale 2^B (``values``); sampled leaves also at the
    scale 2^L of their sampling (``leaf_values``; the same dict in exact arithmetic)."""

    def __init__(self, plan: _Plan, arith, rng: random.Random, bits: int):
        self.plan, self.a = plan, arith
        up = arith.B - arith.L
        n = len(plan.leaf_ids)
        half = 1 << (bits - 1)
        draw = lambda count: list(map(sub, map(rng.getrandbits, repeat(bits, count)), repeat(half, count)))  # noqa: E731
        coarse = draw(n)
        for k in plan.positive:
            coarse[k] = abs(coarse[k]) or 1
        for last, rest in plan.sums_to_one:
            coarse[last] = (1 << arith.L) - sum(coarse[k] for k in rest)
        self.leaf_values = dict(zip(plan.leaf_ids, coarse))
        self.values = dict(zip(plan.leaf_ids, map(lshift, coarse, repeat(up, n)))) if up else self.leaf_values
        self.leaf_directions = dict(zip(plan.leaf_coords, draw(len(plan.leaf_coords))))
        inner = draw(len(plan.inner_coords))
        self.inner_directions = dict(zip(plan.inner_coords, map(lshift, inner, repeat(up, len(inner)))))
        self._coeffs: dict = {}
        self._funcs: dict = {}  # transcendental values at this point, shared by every evaluation

    def _const(self, c):
        got = self._coeffs.get(id(c))
        if got is None:
            got = self._coeffs[id(c)] = self.a.const(c)
        return got

    def forward(self, leaf_dirs: dict, inner_dirs: dict, values: bool = False):
        """The tangent of the cost along the directions (``{id: direction}``, leaves at scale 2^L,
        intermediates at 2^B; absent = 0), by forward mode over every definition; fills the
        values too when ``values``."""
        a, val, lval, plan = self.a, self.values, self.leaf_values, self.plan
        B, L = a.B, a.L
        ltan = dict.fromkeys(plan.leaf_ids, 0)
        ltan.update(leaf_dirs)
        tan = {k: v << (B - L) for k, v in ltan.items()} if B else ltan
        tan.update(inner_dirs)  # an intermediate's entry is replaced before it is read
        vget, tget = val.__getitem__, tan.__getitem__
        ev = Evaluator(a, val, tan, self._funcs, plan.resolve)
        const = self._const
        zero = a.zero
        for step in plan.steps:
            kind = step[0]
            if kind == "linear":
                _, target, wids, xids, w_leaf, x_leaf, wco, pids, common, pco, bias = step
                p = t = zero
                if wids:
                    wv, wt = (lval, ltan) if w_leaf else (val, tan)
                    xv, xt = (lval, ltan) if x_leaf else (val, tan)
                    shift = (L if w_leaf else B) + (L if x_leaf else B) - B
                    if wco is None:
                        wvals = list(map(wv.__getitem__, wids))
                        t = dot(wvals, map(xt.__getitem__, xids), shift) + dot(map(wt.__getitem__, wids), map(xv.__getitem__, xids), shift)
                        if values:
                            p = dot(wvals, map(xv.__getitem__, xids), shift)
                    else:
                        cs = [const(c) for c in wco]
                        t = dot(cs, map(lambda w, x: a.mul(val[w], tan[x]) + a.mul(tan[w], val[x]), wids, xids), B)
                        if values:
                            p = dot(cs, map(lambda w, x: a.mul(val[w], val[x]), wids, xids), B)
                if pids:
                    if common is not None:
                        c = const(common)
                        t += a.mul(c, sum(map(tget, pids)))
                        if values:
                            p += a.mul(c, sum(map(vget, pids)))
                    else:
                        cs = [const(c) for c in pco]
                        t += dot(cs, map(tget, pids), B)
                        if values:
                            p += dot(cs, map(vget, pids), B)
                if bias is not None:
                    t += tan[bias]
                    if values:
                        p += val[bias]
            elif kind == "sum":
                _, target, template, holders, rows = step
                p = t = zero
                for row in rows:  # Σ over rows of the template, each row's symbols in place
                    pv, tv = Evaluator(a, dict(zip(holders, map(vget, row))), dict(zip(holders, map(tget, row))),
                                       self._funcs).dual(template)
                    p, t = p + pv, t + tv
            else:
                _, target, expr, kinks = step
                p, t = ev.dual(expr, kinks)
            if values:
                val[target] = p
            tan[target] = t + inner_dirs.get(target, zero)
        return tan[id(plan.cost)]

    def backward(self, override: dict | None = None) -> dict:
        """``{id(symbol): ∂C/∂symbol}`` (scale 2^B) for every coordinate, from the chain-rule sums:
        each upstream factor is the value of the sum it names (δ, ∂C/∂o; 1 for the cost); each
        partial is evaluated at the point. ``override`` replaces the sums of some entries.

        Raises :class:`_Malformed` when a sum uses an upstream factor that no later sum names."""
        a, val, lval, plan = self.a, self.values, self.leaf_values, self.plan
        ev = Evaluator(a, val, funcs=self._funcs, alias=plan.resolve)
        for k, number in plan.numbers.items():
            val[k] = a.const(number)
        for k, expr in plan.compound.items():
            val[k] = ev.value(expr)
        up = {id(sympy.S.One): a.one}
        up.update((k, val[k]) for k in plan.numbers)
        grads = {}
        uget, vget, lget = up.__getitem__, val.__getitem__, lval.__getitem__
        B, L = a.B, a.L
        for sid, ups, partials, names, leafy in plan.reverse:
            if override is not None and sid in override:
                g = override[sid]
            else:
                try:
                    g = dot(map(uget, ups), map(lget, partials), L) if leafy else dot(map(uget, ups), map(vget, partials), B)
                except KeyError:
                    raise _Malformed(sid) from None
            grads[sid] = g
            for n in names:
                up[n] = g
        return grads

    def agree(self, grads: dict, leaf_dirs: dict, inner_dirs: dict, tangent) -> bool:
        """Whether ``tangent = Σ direction · gradient`` (exactly, or within the tolerance)."""
        a = self.a
        if a.B == 0:
            products = [d * grads[k] for k, d in leaf_dirs.items()] + [d * grads[k] for k, d in inner_dirs.items()]
            return tangent == sum(products)
        products = ([(d * grads[k]) >> a.L for k, d in leaf_dirs.items()]
                    + [(d * grads[k]) >> a.B for k, d in inner_dirs.items()])
        return abs(tangent - sum(products)) * 10 ** TOLERANCE_DIGITS <= a.one + sum(map(abs, products))


class _Malformed(Exception):
    """A chain-rule sum that uses an upstream factor no later sum names."""

    def __init__(self, sid):
        super().__init__(sid)
        self.sid = sid


# ----------------------------------------------------------------------------- certificate


def certificate_of(gradients) -> IndependentCertificate:
    """:func:`certify_gradients` of ``gradients``, computed once (kept in ``gradients.derived``)."""
    found = gradients.derived.get("independent")
    if found is None:
        found = gradients.derived["independent"] = certify_gradients(gradients)
    return found


@gc_paused
def certify_gradients(gradients, seed: int = 0) -> IndependentCertificate:
    """Certify every gradient of ``gradients`` (a :class:`~symconv.gradients.Gradients`)
    independently, against the forward definitions of ``gradients.forward``, as the module
    docstring describes.

    Deterministic for a given ``seed``. Never raises for a wrong gradient: the result says
    ``passed=False`` and locates the wrong entries. Raises ``NotImplementedError`` for a function
    the evaluator does not know (none of symconv's layers, activations or costs)."""
    plan = _Plan(gradients.forward, gradients)
    if plan.functions & TRANSCENDENTAL:
        regime, arith = "transcendental", Fixed
    elif plan.functions & PIECEWISE:
        regime, arith = "piecewise polynomial", Exact
    else:
        regime, arith = "polynomial", Exact
    degree = _degree(plan) if regime == "polynomial" else None
    if arith is Exact:
        size = 2 ** EXACT_BITS
        per_point = (degree if degree is not None else 1) / size
        points = max(2, math.ceil(math.log(BOUND_TARGET) / math.log(per_point)))
        bits = EXACT_BITS
        sample_set = f"integers in [-2^{EXACT_BITS - 1}, 2^{EXACT_BITS - 1})"
        bound = _round_up(per_point ** points)
        formula = f"({degree if degree is not None else 1}/2^{EXACT_BITS})^{points}"
        tolerance = None
        arithmetic = "exact rational"
    else:
        size, points, bound, formula = None, NUMERIC_POINTS, None, None
        bits = Fixed.L + 1
        sample_set = f"dyadic rationals m/2^{Fixed.L} in [-1, 1)"
        tolerance = f"|difference| <= 1e-{TOLERANCE_DIGITS} * (1 + sum |direction * gradient|)"
        arithmetic = (f"fixed point, {Fixed.B} fraction bits (about 54 significant digits); exp, log, tanh "
                      f"by mpmath at {Fixed.PREC} bits")
    covers = tuple(CoveredTensor(t.role, t.layer if t.layer is not None else 0, tuple(t.shape), len(t))
                   for t in plan.tensors)
    entries = sum(c.entries for c in covers)
    common = dict(method=METHOD, regime=regime, arithmetic=arithmetic, points=points, sample_set=sample_set,
                  sample_size=size, degree=degree, bound=bound, bound_formula=formula, tolerance=tolerance,
                  covers=covers, entries=entries, conventions=_conventions(plan, regime),
                  statement=_statement(regime, points, formula, bound, entries))
    rng = random.Random(seed)
    for k in range(points):
        point = None
        for _ in range(RESAMPLE):
            candidate = _Point(plan, arith, rng, bits)
            try:
                candidate.tangent = candidate.forward(candidate.leaf_directions, candidate.inner_directions, values=True)
            except (Kink, ZeroDivisionError):
                continue
            point = candidate
            break
        if point is None:
            return IndependentCertificate(
                False, reason="every point tried met a kink without a convention or a pole", **common)
        try:
            point.gradients = point.backward()
        except _Malformed as bad:
            entry = _located(plan, arith, bad.sid, None, None)
            return IndependentCertificate(
                False, located=(entry,),
                reason=f"the chain-rule sum of {entry.name} uses an upstream factor that no later sum names",
                **common)
        if not point.agree(point.gradients, point.leaf_directions, point.inner_directions, point.tangent):
            located, more = _locate(point)
            return IndependentCertificate(False, located=located, more=more,
                                          reason=f"the two sides differ at random point {k + 1}", **common)
    return IndependentCertificate(True, **common)


def _locate(point: _Point) -> tuple[tuple[Located, ...], bool]:
    """The wrong entries, last (in topological order) first, each found by binary search over
    suffixes of the coordinates; after each, its forward-mode value replaces its sum."""
    plan, a = point.plan, point.a
    coords = [id(s) for s in plan.coords]
    leaf_dirs, inner_dirs = point.leaf_directions, point.inner_directions
    override: dict = {}
    grads = point.gradients
    found = []
    hi = len(coords)

    def wrong(lo: int, hi: int) -> bool:
        part = coords[lo:hi]
        leaf = {k: leaf_dirs[k] for k in part if k in leaf_dirs}
        inner = {k: inner_dirs[k] for k in part if k in inner_dirs}
        return not point.agree(grads, leaf, inner, point.forward(leaf, inner))

    while len(found) < MAX_LOCATED and hi > 0 and wrong(0, hi):
        lo, top = 0, hi  # wrong(lo, hi) holds; find the last wrong coordinate below hi
        while top - lo > 1:
            mid = (lo + top) // 2
            if wrong(mid, hi):
                lo = mid
            else:
                top = mid
        sid = coords[lo]
        truth = point.forward({sid: 1 << a.L}, {}) if sid in leaf_dirs else point.forward({}, {sid: a.one})
        found.append(_located(plan, a, sid, grads[sid], truth))
        override[sid] = truth
        grads = point.backward(override)
        hi = lo
    more = len(found) == MAX_LOCATED and hi > 0 and wrong(0, hi)
    return tuple(found), more


def _located(plan: _Plan, arith, sid, computed, truth) -> Located:
    s = plan.symbol_of[sid]
    info = plan.table.info[s]
    return Located(info.name, info.latex, info.role, info.layer, tuple(info.index),
                   arith.text(computed) if computed is not None else "malformed",
                   arith.text(truth) if truth is not None else "")


def _degree(plan: _Plan) -> int:
    """A bound D on the total degree of (1) − its right side, as a polynomial in (x, v, u):
    1 + the larger of the cost's degree and every chain-rule sum's, counted structurally (each
    intermediate at least 1: its added perturbation has degree 1)."""
    deg = dict.fromkeys(map(id, plan.leaves), 1)
    get = deg.__getitem__
    for step in plan.steps:
        if step[0] == "linear":
            _, target, wids, xids, _, _, _, pids, _, _, bias = step
            d = max(map(lambda w, x: deg[w] + deg[x], wids, xids), default=0)
            d = max(d, max(map(get, pids), default=0), 1 if bias is not None else 0)
        elif step[0] == "sum":
            _, target, template, holders, rows = step
            d = max((poly_degree(template, _by_id(dict(zip(holders, map(get, row))))) for row in rows), default=0)
        else:
            target, d = step[1], poly_degree(step[2], _by_id(deg))
        deg[target] = max(d, 1)
    cost = deg[id(plan.cost)]
    gdeg = {id(sympy.S.One): 0}
    for k, number in plan.numbers.items():
        gdeg[k] = 0
        deg[k] = 0
    for k, expr in plan.compound.items():
        deg[k] = poly_degree(expr, _by_id(deg))
    top = 0
    for sid, ups, partials, names, _ in plan.reverse:
        g = max(map(lambda u, p: gdeg.get(u, 0) + deg.get(p, 1), ups, partials), default=0)
        top = max(top, g)
        for n in names:
            gdeg[n] = g
    return 1 + max(cost, top)


def _by_id(deg: dict):
    """:func:`~symconv.dual.poly_degree`'s ``degree_of`` for degrees kept by symbol id (1 when absent)."""
    return lambda s: deg.get(id(s), 1)


def _one_hot_blocks(forward) -> list[tuple]:
    """The target blocks Σ_k y_k = 1 constrains (one per example), from the forward pass's
    assumption (none without one-hot targets)."""
    if not forward.assumed:
        return []
    net = forward.network
    return one_hot_blocks(net.targets.symbols, max(net.batch, 1))


def _conventions(plan: _Plan, regime: str) -> tuple[str, ...]:
    out = []
    if plan.sums_to_one:
        out.append("one-hot targets: the targets of each example are drawn with sum 1 (the last is 1 minus "
                   "the sum of the others), where the gradients are claimed to hold")
    for layer, k in sorted(plan.kink_layers.items()):
        if k.zero is not None:
            out.append(f"layer {layer}: the activation's derivative at its kink z = 0 is {k.zero}")
        elif k.ties == "first":
            out.append(f"layer {layer}: at tied maxima the derivative follows the first maximum (row-major)")
        else:
            out.append(f"layer {layer}: at tied maxima the derivative is shared equally")
    if {"f", "fprime"} & plan.functions:
        out.append("the generic activation f is evaluated as sin (its derivative f' as cos)")
    return tuple(out)


def _round_up(x: float) -> float:
    """``x`` rounded up to two significant digits (a bound stays a bound)."""
    if x <= 0:
        return 0.0
    exponent = math.floor(math.log10(x)) - 1
    digits = math.ceil(x / 10.0 ** exponent)
    value = float(f"{digits}e{exponent}")
    return value if value >= x else float(f"{digits + 1}e{exponent}")


def _statement(regime: str, points: int, formula, bound, entries: int) -> str:
    head = (f"At {points} random points, the derivative of C along a random direction in all {entries} "
            "differentiated coordinates, by forward mode over the forward definitions, equals the sum of "
            "direction times gradient evaluated from the chain-rule sums")
    if regime == "polynomial":
        return (f"{head}, exactly; a wrong entry makes the difference a nonzero polynomial, which vanishes at "
                f"all {points} points with probability at most {formula} <= {bound:.2g} (Schwartz-Zippel).")
    if regime == "piecewise polynomial":
        return (f"{head}, exactly; a gradient wrong at a sampled point passes it with probability at most "
                f"1/2^{EXACT_BITS} (the difference is linear in the direction), all {points} with at most "
                f"{formula} <= {bound:.2g}.")
    return f"{head}, within the tolerance, in {Fixed.B}-bit fixed point with mpmath transcendentals."
