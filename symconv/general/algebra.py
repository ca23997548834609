"""A small index algebra: sums over boxes of Iverson brackets times indexed tensors.

A :class:`Term` is ``coeff * Sum_{box} [brackets] * factors`` where

* ``box`` is a tuple of ``(var, lo, hi)``: ``var`` runs over the integers ``lo <= var < hi``
  (half-open, 0-based; the bounds are affine in sizes and outer variables);
* ``brackets`` are Iverson brackets: :class:`Eq` ``[lhs = rhs]``, :class:`Range`
  ``[lo <= e < hi]`` and :class:`Div` ``[a | e]`` (``a`` a positive integer);
* ``factors`` are :class:`Tensor` elements ``T[e_1, ..., e_r]`` with affine indices, or
  :class:`Diff` factors ``dX/dS[a]`` (``X`` a tensor element or a :class:`TermSum`).

sympy is used only for affine integer arithmetic (``expand``, ``xreplace``, coefficients) and
integer/positivity assumptions; never for ``Sum.doit``, ``deltasummation``, ``Piecewise`` or
``simplify``.

:func:`evaluate` evaluates any term at concrete integer sizes and concrete tensor values by
brute-force summation over the box (brackets evaluated as booleans).  It is deliberately simple;
the property, mutation and concrete-size checks rely on it.

Sources: Goodfellow, Bengio & Courville, *Deep Learning*, sec. 9.5, eqs 9.11-9.13;
Dumoulin & Visin, *A guide to convolution arithmetic for deep learning* (2016).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import count
from typing import Callable, Iterable

import sympy as sp

__all__ = [
    "ivar", "size", "Eq", "Range", "Div", "Tensor", "Diff", "Term", "TermSum", "Definition",
    "EvalContext", "evaluate", "free_symbols", "fresh", "canon_term", "canon_sum", "zero",
]


def ivar(name: str) -> sp.Symbol:
    """An integer index variable."""
    return sp.Symbol(name, integer=True)


def size(name: str, nonnegative: bool = False) -> sp.Symbol:
    """A size parameter: a positive (or, with ``nonnegative``, non-negative) integer symbol."""
    if nonnegative:
        return sp.Symbol(name, integer=True, nonnegative=True)
    return sp.Symbol(name, integer=True, positive=True)


def _x(e) -> sp.Expr:
    return sp.expand(sp.sympify(e, strict=True))


# ----------------------------------------------------------------------------- brackets


@dataclass(frozen=True)
class Eq:
    """Iverson bracket ``[lhs = rhs]``."""

    lhs: sp.Expr
    rhs: sp.Expr

    def __post_init__(self):
        object.__setattr__(self, "lhs", _x(self.lhs))
        object.__setattr__(self, "rhs", _x(self.rhs))

    def sub(self, m: dict) -> "Eq":
        return Eq(_x(self.lhs.xreplace(m)), _x(self.rhs.xreplace(m)))

    def exprs(self):
        return (self.lhs, self.rhs)

    def canon(self):
        e = _x(self.lhs - self.rhs)
        return ("Eq", frozenset((e, _x(-e))))


@dataclass(frozen=True)
class Range:
    """Iverson bracket ``[lo <= e < hi]``."""

    e: sp.Expr
    lo: sp.Expr
    hi: sp.Expr

    def __post_init__(self):
        for k in ("e", "lo", "hi"):
            object.__setattr__(self, k, _x(getattr(self, k)))

    def sub(self, m: dict) -> "Range":
        return Range(_x(self.e.xreplace(m)), _x(self.lo.xreplace(m)), _x(self.hi.xreplace(m)))

    def exprs(self):
        return (self.e, self.lo, self.hi)

    def canon(self):
        return ("Range", _x(self.e - self.lo), _x(self.hi - self.lo))


@dataclass(frozen=True)
class Div:
    """Iverson bracket ``[a | e]`` (``a`` divides ``e``; ``a`` a positive integer)."""

    a: sp.Expr
    e: sp.Expr

    def __post_init__(self):
        object.__setattr__(self, "a", _x(self.a))
        object.__setattr__(self, "e", _x(self.e))

    def sub(self, m: dict) -> "Div":
        return Div(_x(self.a.xreplace(m)), _x(self.e.xreplace(m)))

    def exprs(self):
        return (self.a, self.e)

    def canon(self):
        e = _x(self.e)
        return ("Div", self.a, frozenset((e, _x(-e))))


# ----------------------------------------------------------------------------- factors


@dataclass(frozen=True)
class Tensor:
    """Tensor element ``name[idx_1, ..., idx_r]`` (0-based affine indices)."""

    name: str
    idx: tuple

    def __post_init__(self):
        object.__setattr__(self, "idx", tuple(_x(e) for e in self.idx))

    def sub(self, m: dict) -> "Tensor":
        return Tensor(self.name, tuple(_x(sp.sympify(e, strict=True).xreplace(m)) for e in self.idx))

    def exprs(self):
        return tuple(sp.sympify(e, strict=True) for e in self.idx)

    def canon(self):
        return ("T", self.name, tuple(_x(e) for e in self.idx))


@dataclass(frozen=True)
class Diff:
    """Derivative factor ``d(of)/d(wrt)``; ``of`` a :class:`Tensor` or :class:`TermSum`."""

    of: object
    wrt: Tensor

    def sub(self, m: dict) -> "Diff":
        return Diff(self.of.sub(m), self.wrt.sub(m))

    def exprs(self):
        return self.wrt.exprs()

    def canon(self):
        return ("D", self.of.canon(), self.wrt.canon())


# ----------------------------------------------------------------------------- terms


@dataclass(frozen=True)
class Term:
    """``coeff * Sum_{(v, lo, hi) in box} prod(brackets) * prod(factors)``."""

    coeff: sp.Expr = sp.Integer(1)
    box: tuple = ()
    brackets: tuple = ()
    factors: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "coeff", sp.sympify(self.coeff, strict=True))
        object.__setattr__(self, "box", tuple(
            (v, sp.sympify(lo, strict=True), sp.sympify(hi, strict=True)) for v, lo, hi in self.box))
        object.__setattr__(self, "brackets", tuple(self.brackets))
        object.__setattr__(self, "factors", tuple(self.factors))

    @property
    def bound(self) -> tuple:
        return tuple(v for v, _, _ in self.box)

    def sub(self, m: dict) -> "Term":
        """Substitute free symbols (must not hit bound variables)."""
        bound = set(self.bound)
        m = {k: v for k, v in m.items() if k not in bound}
        return Term(
            _x(sp.sympify(self.coeff, strict=True).xreplace(m)),
            tuple((v, _x(lo.xreplace(m)), _x(hi.xreplace(m))) for v, lo, hi in self.box),
            tuple(b.sub(m) for b in self.brackets),
            tuple(f.sub(m) for f in self.factors),
        )

    def rename_bound(self, m: dict) -> "Term":
        """Rename bound variables (``m`` maps bound var -> new var)."""
        box = []
        for v, lo, hi in self.box:
            box.append((m.get(v, v), _x(lo.xreplace(m)), _x(hi.xreplace(m))))
        return Term(
            self.coeff, tuple(box), tuple(b.sub(m) for b in self.brackets),
            tuple(f.sub(m) for f in self.factors),
        )

    def canon(self) -> str:
        return canon_term(self)


@dataclass(frozen=True)
class TermSum:
    """A finite sum of :class:`Term` s."""

    terms: tuple = ()

    def sub(self, m: dict) -> "TermSum":
        return TermSum(tuple(t.sub(m) for t in self.terms))

    def canon(self) -> str:
        return canon_sum(self)


def zero() -> TermSum:
    return TermSum(())


@dataclass(frozen=True)
class Definition:
    """``name[params] := body`` (0-based)."""

    name: str
    params: tuple
    body: TermSum
    description: str = ""

    def instantiate(self, args: Iterable, avoid: set) -> TermSum:
        """The body at ``args`` with its bound variables renamed away from ``avoid``."""
        args = tuple(_x(a) for a in args)
        if len(args) != len(self.params):
            raise ValueError(f"{self.name} takes {len(self.params)} indices, got {len(args)}")
        avoid = set(avoid)
        for a in args:
            avoid |= sp.sympify(a, strict=True).free_symbols
        out = []
        for t in self.body.terms:
            ren = {}
            taken = avoid | set(self.params) | _all_symbols(t)
            for v in t.bound:
                if v in avoid:
                    nv = fresh(v, taken)
                    taken.add(nv)
                    ren[v] = nv
            t2 = t.rename_bound(ren) if ren else t
            out.append(t2.sub(dict(zip(self.params, args))))
        return TermSum(tuple(out))


# ----------------------------------------------------------------------------- symbols


def _all_symbols(obj) -> set:
    """Every symbol occurring anywhere (free or bound)."""
    if isinstance(obj, TermSum):
        s = set()
        for t in obj.terms:
            s |= _all_symbols(t)
        return s
    if isinstance(obj, Term):
        s = set(sp.sympify(obj.coeff, strict=True).free_symbols)
        for v, lo, hi in obj.box:
            s |= {v} | lo.free_symbols | hi.free_symbols
        for b in obj.brackets:
            for e in b.exprs():
                s |= sp.sympify(e, strict=True).free_symbols
        for f in obj.factors:
            s |= _all_symbols(f)
        return s
    if isinstance(obj, Diff):
        return _all_symbols(obj.of) | _all_symbols(obj.wrt)
    if isinstance(obj, Tensor):
        s = set()
        for e in obj.idx:
            s |= sp.sympify(e, strict=True).free_symbols
        return s
    return set(sp.sympify(obj, strict=True).free_symbols)


def free_symbols(obj) -> set:
    """Free symbols (sizes and free index variables)."""
    if isinstance(obj, TermSum):
        s = set()
        for t in obj.terms:
            s |= free_symbols(t)
        return s
    if isinstance(obj, Term):
        s = set(sp.sympify(obj.coeff, strict=True).free_symbols)
        for _, lo, hi in obj.box:
            s |= lo.free_symbols | hi.free_symbols
        for b in obj.brackets:
            for e in b.exprs():
                s |= sp.sympify(e, strict=True).free_symbols
        for f in obj.factors:
            s |= free_symbols(f)
        return s - set(obj.bound)
    if isinstance(obj, Diff):
        return free_symbols(obj.of) | free_symbols(obj.wrt)
    if isinstance(obj, Tensor):
        return _all_symbols(obj)
    return set(sp.sympify(obj, strict=True).free_symbols)


def fresh(v: sp.Symbol, taken: set) -> sp.Symbol:
    """A new integer variable named after ``v`` (``v'``, ``v''``, ...) not in ``taken``."""
    names = {s.name for s in taken}
    base = v.name.rstrip("'")
    for k in count(1):
        name = base + "'" * k
        if name not in names:
            return ivar(name)
    raise AssertionError  # pragma: no cover


# ----------------------------------------------------------------------------- canonical forms


def _multiset(items) -> frozenset:
    return frozenset(Counter(items).items())


def canon_term(t: Term):
    """A hashable canonical form: equal for terms equal up to the order of boxes, brackets,
    factors and the orientation of equalities (bound variable names are significant)."""
    return (_x(t.coeff), _multiset((v, _x(lo), _x(hi)) for v, lo, hi in t.box),
            _multiset(b.canon() for b in t.brackets), _multiset(f.canon() for f in t.factors))


def canon_sum(s: TermSum):
    return _multiset(canon_term(t) for t in s.terms)


# ----------------------------------------------------------------------------- evaluation


class _Affine:
    """An affine expression compiled to Python numbers: const + sum coeff * env[var]."""

    __slots__ = ("const", "lin")

    def __init__(self, e, sizes: dict):
        e = _x(sp.sympify(e, strict=True).xreplace(sizes))
        const = 0
        lin = []
        for k, c in e.as_coefficients_dict().items():
            c = _num(c)
            if k == 1:
                const = c
            elif isinstance(k, sp.Symbol):
                lin.append((k, c))
            else:
                raise ValueError(f"not affine in the index variables: {e}")
        self.const = const
        self.lin = tuple(lin)

    def __call__(self, env: dict):
        r = self.const
        for v, c in self.lin:
            r += c * env[v]
        return r


def _num(c):
    c = sp.Rational(c)
    if c.q == 1:
        return int(c.p)
    return Fraction(int(c.p), int(c.q))


def _norm(x):
    """A Fraction with denominator 1 becomes an int."""
    if isinstance(x, Fraction) and x.denominator == 1:
        return int(x)
    return x


def _as_int(x) -> int:
    if isinstance(x, int):
        return x
    if isinstance(x, Fraction) and x.denominator == 1:
        return int(x)
    raise IndexError(f"non-integer tensor index {x}")


@dataclass
class EvalContext:
    """Concrete sizes and tensor values for :func:`evaluate`.

    ``value(name, idx)`` gives the value of a primitive tensor element at a tuple of Python
    ints; ``symbol(name, idx)`` the sympy symbol standing for it (used to differentiate);
    ``point`` maps those symbols to their values (``None``: values are the symbols);
    ``domains`` maps a primitive name to its shape (indices outside raise ``IndexError``);
    ``cost`` is a callable returning the cost as a sympy expression in the symbols.
    """

    sizes: dict
    defs: dict
    value: Callable
    symbol: Callable | None = None
    point: dict | None = None
    domains: dict = field(default_factory=dict)
    cost: Callable | None = None
    cost_name: str = "C"
    differentiable: frozenset = frozenset()
    _cache: dict = field(default_factory=dict)
    _compiled: dict = field(default_factory=dict)

    def _check_domain(self, name, idx):
        shape = self.domains.get(name)
        if shape is None:
            return
        if len(shape) != len(idx) or any(not (0 <= i < n) for i, n in zip(idx, shape)):
            raise IndexError(f"{name}{list(idx)} outside its domain {list(shape)}")

    def tensor(self, name: str, idx: tuple, symbolic: bool):
        key = ("T", name, idx, symbolic)
        if key in self._cache:
            return self._cache[key]
        if name in self.defs:
            d = self.defs[name]
            env = dict(zip(d.params, idx))
            val = _eval_sum(d.body, env, self, symbolic)
        elif name == self.cost_name and self.cost is not None:
            c = self.cost()
            val = c if symbolic or self.point is None else c.xreplace(self.point)
        else:
            self._check_domain(name, idx)
            if symbolic and name in self.differentiable:
                val = self.symbol(name, idx)
            else:
                val = self.value(name, idx)
        self._cache[key] = val
        return val

    def compiled(self, t: Term):
        key = id(t)
        hit = self._compiled.get(key)
        if hit is not None and hit[0] is t:
            return hit[1]
        sizes = self.sizes
        box = [(v, _Affine(lo, sizes), _Affine(hi, sizes)) for v, lo, hi in t.box]
        order = {v: k for k, (v, _, _) in enumerate(box)}
        bound = set(order)
        checks = [[] for _ in range(len(box) + 1)]
        for b in t.brackets:
            syms = set()
            for e in b.exprs():
                syms |= sp.sympify(e, strict=True).free_symbols
            depth = max([order[s] + 1 for s in syms if s in bound], default=0)
            checks[depth].append(_compile_bracket(b, sizes))
        coeff = sp.sympify(t.coeff, strict=True).xreplace(sizes)
        facs = []
        for f in t.factors:
            if isinstance(f, Tensor):
                facs.append((f, tuple(_Affine(e, sizes) for e in f.idx), None))
            elif isinstance(f, Diff):
                oidx = tuple(_Affine(e, sizes) for e in f.of.idx) if isinstance(f.of, Tensor) else None
                facs.append((f, oidx, tuple(_Affine(e, sizes) for e in f.wrt.idx)))
            else:
                raise TypeError(f)
        comp = (box, checks, coeff, tuple(facs))
        self._compiled[key] = (t, comp)
        return comp


def _compile_bracket(b, sizes):
    if isinstance(b, Eq):
        f = _Affine(_x(b.lhs - b.rhs), sizes)
        return lambda env: f(env) == 0
    if isinstance(b, Range):
        e, lo, hi = (_Affine(x, sizes) for x in b.exprs())
        return lambda env: lo(env) <= e(env) < hi(env)
    if isinstance(b, Div):
        a, e = _Affine(b.a, sizes), _Affine(b.e, sizes)

        def div(env):
            av, ev = _norm(a(env)), _norm(e(env))
            if not isinstance(av, int) or av <= 0:
                raise ValueError(f"divisor {av} is not a positive integer")
            if not isinstance(ev, int):
                return False
            return ev % av == 0

        return div
    raise TypeError(b)


def _eval_factor(cf, env, ctx: EvalContext, symbolic: bool):
    sizes = ctx.sizes
    f, oidx, widx = cf
    if isinstance(f, Tensor):
        idx = tuple(_as_int(a(env)) for a in oidx)
        return ctx.tensor(f.name, idx, symbolic)
    if isinstance(f, Diff):
        widx = tuple(_as_int(a(env)) for a in widx)
        ctx._check_domain(f.wrt.name, widx)
        sym = ctx.symbol(f.wrt.name, widx)
        if isinstance(f.of, Tensor):
            idx = tuple(_as_int(a(env)) for a in oidx)
            key = ("D", f.of.name, idx, f.wrt.name, widx, symbolic)
            if key not in ctx._cache:
                d = sp.diff(ctx.tensor(f.of.name, idx, True), sym)
                if not symbolic and ctx.point is not None:
                    d = d.xreplace(ctx.point)
                ctx._cache[key] = d
            return ctx._cache[key]
        if isinstance(f.of, TermSum):
            fs = sorted(free_symbols(f.of) - set(sizes), key=lambda s: s.name)
            ekey = ("S", id(f.of), tuple(env[s] for s in fs))
            hit = ctx._cache.get(ekey)
            if hit is None or hit[0] is not f.of:
                hit = (f.of, _eval_sum(f.of, {s: env[s] for s in fs}, ctx, True))
                ctx._cache[ekey] = hit
            dkey = ekey + (f.wrt.name, widx, symbolic)
            if dkey not in ctx._cache:
                d = sp.diff(hit[1], sym)
                if not symbolic and ctx.point is not None:
                    d = d.xreplace(ctx.point)
                ctx._cache[dkey] = d
            return ctx._cache[dkey]
    raise TypeError(f)


def _eval_term(t: Term, env: dict, ctx: EvalContext, symbolic: bool):
    box, checks, coeff, factors = ctx.compiled(t)
    env = dict(env)
    for chk in checks[0]:
        if not chk(env):
            return sp.Integer(0)
    acc = []

    def rec(k):
        if k == len(box):
            val = sp.Integer(1)
            for f in factors:
                val = val * _eval_factor(f, env, ctx, symbolic)
            acc.append(val)
            return
        v, lo, hi = box[k]
        a, b = lo(env), hi(env)
        for x in range(_ceil(a), _ceil(b)):
            env[v] = x
            if all(chk(env) for chk in checks[k + 1]):
                rec(k + 1)
        env.pop(v, None)

    rec(0)
    return coeff * sp.Add(*acc)


def _ceil(a) -> int:
    if isinstance(a, int):
        return a
    return -((-a.numerator) // a.denominator)


def _eval_sum(s: TermSum, env: dict, ctx: EvalContext, symbolic: bool):
    return sp.Add(*[_eval_term(t, env, ctx, symbolic) for t in s.terms])


def evaluate(obj, env: dict, ctx: EvalContext):
    """Value of a :class:`Term` or :class:`TermSum` with free index variables bound by ``env``."""
    if isinstance(obj, Term):
        return _eval_term(obj, env, ctx, False)
    return _eval_sum(obj, env, ctx, False)
