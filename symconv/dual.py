"""Evaluate sympy expressions at a point, as plain values or as dual numbers (forward mode).

Two arithmetics, one interface (:class:`Exact`, :class:`Fixed`):

* ``Exact``: Python integers and :class:`fractions.Fraction`, no rounding at all. Only rational
  operations (``+``, ``×``, integer powers, rational constants) and the piecewise-rational ones
  (``Max``, ``Piecewise``, ``Heaviside``, max-pool routes) are available.
* ``Fixed``: fixed-point numbers, an integer ``n`` standing for ``n / 2**200`` (about 60
  significant decimal digits below 1); ``exp``, ``log``, ``tanh``, ``sin`` and ``cos`` are
  evaluated by mpmath (``mpmath.libmp``) at 232 bits. Each product or quotient rounds once, by at
  most ``2**-200``.

A dual number is a pair ``(value, tangent)``: the value of an expression and its derivative
along a direction, both carried through every operation by the rules of calculus (sum, product,
power and chain rules; ``exp' = exp``, ``log' = 1/x``, ``tanh' = 1 − tanh²``, …). This is
forward-mode differentiation of the *expression*: it never reads a stored derivative.

At a kink the derivative is a convention, which the caller passes as a :class:`Kinks`: ties of a
``Max`` over several symbols go to the first maximum in row-major order (``"first"``, PyTorch) or
are shared equally (``"split"``); a kink of an element-wise activation (a tie in ``Max(0, z)``, a
``Piecewise`` condition on its boundary) gives the derivative ``h`` stated in the spec. A kink
without a convention raises :class:`Kink`.

The generic activation ``f`` (and its derivative ``fprime``) is evaluated as ``sin`` (``cos``):
a concrete instance with the same symbolic derivative rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from operator import mul

import sympy
from mpmath import libmp


class Kink(ArithmeticError):
    """A kink (a tie of a ``Max`` or a ``Piecewise`` boundary) without a stated convention."""


class NotExact(ArithmeticError):
    """An operation (``exp``, ``log``, …) that exact rational arithmetic cannot perform."""


class Exact:
    """Exact rational arithmetic: values are ``int`` or :class:`~fractions.Fraction`.

    ``B`` and ``L`` are 0: every value is exact (see :class:`Fixed` for their meaning)."""

    name = "exact"
    B = L = 0
    one = 1
    zero = 0

    @staticmethod
    def const(r) -> int | Fraction:
        """A sympy Rational (or int) as an exact value."""
        if isinstance(r, int):
            return r
        return r.p if r.q == 1 else Fraction(r.p, r.q)

    @staticmethod
    def mul(a, b):
        return a * b

    @staticmethod
    def div(a, b):
        if b == 0:
            raise ZeroDivisionError("division by 0 at the point")
        if isinstance(a, int) and isinstance(b, int):
            return Fraction(a, b)
        return a / b

    @staticmethod
    def scale(a, k: int):
        """``a / k`` for a positive integer ``k``."""
        return Fraction(a, k) if isinstance(a, int) else a / k

    @staticmethod
    def func(name: str, a):
        raise NotExact(name)

    @staticmethod
    def text(a) -> str:
        """A value for messages: 15 significant digits."""
        x = Fraction(a)
        return libmp.to_str(libmp.from_rational(x.numerator, x.denominator, 80, "n"), 15)


class Fixed:
    """Fixed-point arithmetic: an ``int`` ``n`` stands for ``n / 2**B``.

    Sampled leaf values (dyadic rationals m/2^L) are also kept at the coarser scale ``2**L``:
    products with them are then products with small integers (see :func:`dot`)."""

    name = "fixed"
    B = 180  # fraction bits: about 54 significant decimal digits below 1
    L = 30
    one = 1 << B
    zero = 0
    PREC = B + 32  # bits of mpmath's working precision for exp, log, tanh, sin, cos

    @classmethod
    def const(cls, r) -> int:
        if isinstance(r, int):
            return r << cls.B
        return (r.p << cls.B) // r.q

    @classmethod
    def mul(cls, a, b):
        return (a * b) >> cls.B

    @classmethod
    def div(cls, a, b):
        if b == 0:
            raise ZeroDivisionError("division by 0 at the point")
        return (a << cls.B) // b

    @staticmethod
    def scale(a, k: int):
        return a // k

    @classmethod
    def func(cls, name: str, a):
        x = libmp.from_man_exp(a, -cls.B)
        if name == "log":
            if a == 0:
                raise ZeroDivisionError("log 0 at the point")
            # log|x|: only the derivative 1/x is ever used with a nonzero tangent (a cost's
            # value is not compared), and 1/x is the derivative of log|x| on both sides of 0.
            y = libmp.mpf_log(libmp.mpf_abs(x), cls.PREC)
        else:
            y = _MPF[name](x, cls.PREC)
        return libmp.to_fixed(y, cls.B)

    @classmethod
    def text(cls, a) -> str:
        return libmp.to_str(libmp.from_man_exp(a, -cls.B), 15)


def dot(xs, ys, shift: int = 0):
    """``Σ x·y`` over two iterables, divided by ``2**shift`` (multiplied when negative): the
    rescaling of fixed-point products whose factors have scales adding up to ``B + shift``."""
    total = sum(map(mul, xs, ys))
    if shift > 0:
        return total >> shift
    return total << -shift if shift else total


_MPF = {"exp": libmp.mpf_exp, "tanh": libmp.mpf_tanh, "sin": libmp.mpf_sin, "cos": libmp.mpf_cos,
        "sqrt": libmp.mpf_sqrt}


@dataclass(frozen=True)
class Kinks:
    """The convention at a kink of one definition: ``ties`` (``"first"``/``"split"``) with
    ``order`` (a function of a symbol giving its row-major index) for a max over symbols, or
    ``zero`` (the derivative ``h`` at the kink of an element-wise activation of ``arg``)."""

    ties: str | None = None
    order: object = None
    zero: object = None  # a sympy Rational
    arg: object = None  # the activation's argument symbol


class Evaluator:
    """Values and dual numbers of sympy expressions at one point.

    ``values``: ``{id(symbol): value}`` (every symbol an expression may read); ``tangents``:
    ``{id(symbol): tangent}`` for :meth:`dual`; ``funcs``: a cache of transcendental values
    ``{(name, argument): value}`` that may be shared by the evaluators of one point; ``alias``: a
    function ``symbol → id`` for symbols met inside expressions that are equal to, but not the same object
    as, the keyed ones (sympy's cache may hand back an equal symbol of another network). Results of sub-expressions are memoised by node
    identity for the lifetime of the evaluator (the expressions must stay alive meanwhile).
    """

    def __init__(self, arith, values: dict, tangents: dict | None = None, funcs: dict | None = None,
                 alias=None):
        self.a = arith
        self.alias = alias
        self.values = values
        self.tangents = tangents
        self._values: dict = {}
        self._duals: dict = {}
        self._funcs = {} if funcs is None else funcs  # (name, argument) -> value

    # ------------------------------------------------------------------ plain values

    def value(self, expr):
        """The value of ``expr`` (a sympy expression) at the point."""
        if expr.is_Symbol:
            return self.values[self._key(expr)]
        key = id(expr)
        got = self._values.get(key)
        if got is None:
            got = self._values[key] = self._value(expr)
        return got

    def _value(self, e):
        a = self.a
        if e.is_Number:
            return _rational(a, e)
        if e.is_Add:
            return sum(self.value(x) for x in e.args)
        if e.is_Mul:
            out = a.one
            for x in e.args:
                out = a.mul(out, self.value(x))
            return out
        if e.is_Pow:
            return self._power(self.value(e.base), e.exp)
        name = type(e).__name__
        if name in _UNARY:
            return self._func(_UNARY[name], self.value(e.args[0]))
        if name == "Max":
            return max(self.value(x) for x in e.args)
        if name == "Min":
            return min(self.value(x) for x in e.args)
        if name == "Heaviside":
            z = self.value(e.args[0])
            if z == 0:
                return _rational(a, e.args[1]) if len(e.args) > 1 else _rational(a, sympy.S.Half)
            return a.one if z > 0 else a.zero
        if name == "Piecewise":
            for branch, cond in e.args:
                if self.truth(cond):
                    return self.value(branch)
            raise ValueError("no Piecewise branch applies at the point")
        if name == "MaxRoute":  # ∂ max(v)/∂v_j under tie rule 0 (first) or 1 (split)
            j, rule, vals = int(e.args[0]), int(e.args[1]), [self.value(x) for x in e.args[2:]]
            top = max(vals)
            winners = [k for k, v in enumerate(vals) if v == top]
            if rule == 0:
                return a.one if winners[0] == j else a.zero
            return a.scale(a.one, len(winners)) if j in winners else a.zero
        raise NotImplementedError(f"cannot evaluate {name} ({e})")

    def _key(self, symbol) -> int:
        key = id(symbol)
        if key in self.values or self.alias is None:
            return key
        return self.alias(symbol)

    def truth(self, cond) -> bool:
        """A condition (relational or boolean constant) at the point."""
        if cond is sympy.true:
            return True
        if cond is sympy.false:
            return False
        lhs, rhs = self.value(cond.lhs), self.value(cond.rhs)
        return _RELATIONS[cond.rel_op](lhs, rhs)

    def _power(self, base, exponent):
        a = self.a
        if exponent.is_Rational and exponent.q == 2:  # x^(n/2) = sqrt(x)^n (batch norm's σ)
            if base < 0:
                raise ValueError("the square root of a negative number at the point")
            base, exponent = self._func("sqrt", base), sympy.Integer(exponent.p)
        if not exponent.is_Integer:
            raise NotImplementedError(f"power with exponent {exponent}")
        n = int(exponent)
        out = a.one
        for _ in range(abs(n)):
            out = a.mul(out, base)
        return a.div(a.one, out) if n < 0 else out

    def _func(self, name: str, x):
        key = (name, x)
        got = self._funcs.get(key)
        if got is None:
            got = self._funcs[key] = self.a.func(name, x)
        return got

    # ------------------------------------------------------------------ dual numbers

    def dual(self, expr, kinks: Kinks | None = None):
        """``(value, tangent)`` of ``expr``: forward-mode differentiation along the tangents.

        ``kinks`` states the convention at a kink (see the module docstring); without one a kink
        raises :class:`Kink`."""
        if expr.is_Symbol:
            key = self._key(expr)
            return self.values[key], self.tangents[key]
        if kinks is not None and kinks.zero is not None:
            # An element-wise activation: at its kink (argument exactly 0) the derivative is h.
            z, dz = self.dual(kinks.arg)
            if z == 0:
                return self.value(expr), self.a.mul(_rational(self.a, kinks.zero), dz)
        key = id(expr)
        got = self._duals.get(key)
        if got is None:
            got = self._duals[key] = self._dual(expr, kinks)
        return got

    def _dual(self, e, kinks):
        a = self.a
        if e.is_Number:
            return _rational(a, e), a.zero
        if e.is_Add:
            parts = [self.dual(x, kinks) for x in e.args]
            return sum(p for p, _ in parts), sum(t for _, t in parts)
        if e.is_Mul:
            parts = [self.dual(x, kinks) for x in e.args]
            value, tangent = parts[0]
            for p, t in parts[1:]:  # (uv)' = u'v + uv'
                value, tangent = a.mul(value, p), a.mul(tangent, p) + a.mul(value, t)
            return value, tangent
        if e.is_Pow:
            p, t = self.dual(e.base, kinks)
            if e.exp.is_Rational and e.exp.q == 2:  # (u^(n/2))' = (n/2)·u^(n/2 − 1)·u'
                value = self._power(p, e.exp)
                slope = a.scale(e.exp.p * self._power(p, e.exp - 1), 2)
                return value, a.mul(slope, t)
            if not e.exp.is_Integer:
                raise NotImplementedError(f"power with exponent {e.exp}")
            n = int(e.exp)
            value = self._power(p, e.exp)
            # (u^n)' = n·u^(n−1)·u'
            return value, a.mul(n * self._power(p, sympy.Integer(n - 1)), t)
        name = type(e).__name__
        if name in _UNARY:
            p, t = self.dual(e.args[0], kinks)
            fname = _UNARY[name]
            value = self._func(fname, p)
            if fname == "exp":
                slope = value
            elif fname == "log":
                slope = a.div(a.one, p)
            elif fname == "tanh":
                slope = a.one - a.mul(value, value)
            elif fname == "sin":
                slope = self._func("cos", p)
            else:  # cos
                slope = -self._func("sin", p)
            return value, a.mul(slope, t)
        if name in ("Max", "Min"):
            parts = [(self.dual(x, kinks), x) for x in e.args]
            best = (max if name == "Max" else min)(p for (p, _), _ in parts)
            winners = [(t, x) for (p, t), x in parts if p == best]
            if len(winners) == 1:
                return best, winners[0][0]
            if kinks is None or kinks.ties is None:
                raise Kink(f"a tie of {name} at the point")
            if kinks.ties == "first":
                return best, min(winners, key=lambda w: kinks.order(w[1]))[0]
            return best, a.scale(sum(t for t, _ in winners), len(winners))
        if name == "Piecewise":
            for branch, cond in e.args:
                if cond is not sympy.true and self.value(cond.lhs) == self.value(cond.rhs):
                    raise Kink("a Piecewise condition on its boundary at the point")
                if self.truth(cond):
                    return self.dual(branch, kinks)
            raise ValueError("no Piecewise branch applies at the point")
        raise NotImplementedError(f"cannot differentiate {name} ({e})")


_UNARY = {"exp": "exp", "log": "log", "tanh": "tanh", "sin": "sin", "cos": "cos", "f": "sin", "fprime": "cos"}
"""sympy function class name → the function evaluated (the generic ``f`` is evaluated as sin)."""

_RELATIONS = {
    ">": lambda x, y: x > y, "<": lambda x, y: x < y, ">=": lambda x, y: x >= y,
    "<=": lambda x, y: x <= y, "==": lambda x, y: x == y, "!=": lambda x, y: x != y,
}


def _rational(arith, number):
    if not number.is_Rational:
        raise NotImplementedError(f"the number {number} is not rational")
    return arith.const(number)


TRANSCENDENTAL = frozenset(_UNARY) | {"sqrt"}
PIECEWISE = frozenset({"Max", "Min", "Heaviside", "Piecewise", "MaxRoute"})


def functions_in(expr, seen: set | None = None) -> set[str]:
    """Names of the function classes applied in ``expr`` (``{"tanh", "Max"}``); sub-expressions
    whose ``id`` is in ``seen`` are skipped (and visited ones added), so that shared subtrees of
    many expressions are walked once."""
    seen = set() if seen is None else seen
    found = set()
    stack = [expr]
    while stack:
        e = stack.pop()
        if e.is_Atom or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, sympy.Function) or type(e).__name__ in PIECEWISE:  # Max is no Function
            found.add(type(e).__name__)
        elif e.is_Pow and not e.exp.is_Integer:  # a square root: not exact in rationals
            found.add("sqrt")
        stack.extend(e.args)
    return found


def poly_degree(expr, degree_of, memo: dict | None = None) -> int:
    """Total degree of the polynomial ``expr`` in its symbols, a symbol ``s`` counting
    ``degree_of(s)`` (an intermediate: the degree of its definition) and a rational 0: sums take
    the largest, products add, non-negative integer powers multiply. ``memo`` (per call when
    None) keeps each subexpression's degree, shared subtrees are counted once. Raises
    :class:`NotExact` for anything else (a function, a root, a negative power, a float)."""
    memo = {} if memo is None else memo
    if expr.is_Symbol:
        return degree_of(expr)
    if expr.is_Number:
        if not expr.is_Rational:
            raise NotExact(f"{expr} is not rational")
        return 0
    got = memo.get(expr)
    if got is not None:
        return got
    if expr.is_Add:
        d = max(poly_degree(x, degree_of, memo) for x in expr.args)
    elif expr.is_Mul:
        d = sum(poly_degree(x, degree_of, memo) for x in expr.args)
    elif expr.is_Pow and expr.exp.is_Integer and expr.exp >= 0:
        d = int(expr.exp) * poly_degree(expr.base, degree_of, memo)
    else:
        raise NotExact(f"{expr} is not a polynomial")
    memo[expr] = d
    return d
