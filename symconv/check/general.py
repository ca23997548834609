r"""Check a *general* index formula for the input gradient of a convolution layer.

``symconv check --general CLAIM`` reads a claim written in symbolic sizes and free indices, e.g.
the Q&A formula

    \frac{\partial L}{\partial X_p} = \sum_{i=\lfloor (p-f)/s+1 \rfloor}^{\lfloor (p-1)/s+1 \rfloor} \delta_i W_{p-(i-1)s}

**Reading.** The left side ``∂L/∂X_{q}`` (or ``\frac{∂L}{∂X_{q}}``, any cost letter) names the
layer's *input* ``X`` and its free indices (one per axis: 1-D or 2-D). On the right, ``\delta``
is the upstream gradient ``∂L/∂y`` of the layer's output, and the one other tensor letter is the
*kernel*. Every remaining free letter is a size: ``k`` or ``f`` the kernel size, ``s`` the
stride, ``p`` the padding (unless ``p`` is an index), ``d`` the dilation, ``H`` the input length
(``H`` and ``W`` rows and columns in 2-D, unless ``W`` is the kernel), and ``H_{out}``/``W_{out}``
the output length. A size the claim does not mention is fixed: stride 1, padding 0, dilation 1;
the verdict states the reading. Indices are 1-based; the layer computes the cross-correlation
``y_i = Σ_j W_j X_{(i−1)s + 1 + (j−1)d − p}`` (zero padding), so the exact gradient is
``∂L/∂X_q = Σ δ_i W_j`` over every ``(i, j)`` with ``(i−1)s + 1 + (j−1)d − p = q``.

**Grammar** (the general-claim reader :mod:`symconv.claims.general`, on the claim lexer): numbers, ``+ - * / ·``, implicit
products, parentheses, ``\lfloor … \rfloor``, ``\lceil … \rceil``, ``\max(a, b)``, ``\min(a, b)``,
``\sum_{i=a}^{b}`` (bounds any expression) or ``\sum_i`` (every ``i`` for which the indexed
tensors exist), Iverson brackets ``[a = b]``, ``[a \le b]``, ``[a < b]``, ``[a \ge b]``,
``[a > b]``, ``[a \ne b]``, ``[s \mid a]`` (divides), tensors ``\delta_{i}``, ``W_{j}``,
``\delta_{i,j}`` in 2-D.

**Check.** The claim is evaluated at every configuration up to the bound (default 1-D:
:data:`BOUND`, H ≤ 7, k ≤ 4, s, d ≤ 3, p ≤ 2; 2-D: :data:`BOUND_2D`, H, W ≤ 5, kernel height and
width ≤ 3 each (one k: square kernels), s, d ≤ 2, p ≤ 1 — issue 13's bound in 2-D is 241,347
elements, minutes, ``bench/check_general.py``; sizes the claim does not mention fixed) and every
element ``q`` (``(u, v)`` in 2-D), exactly: each side is
a polynomial in the δ and kernel entries (a dict of monomials with integer coefficients), so
"equal" is an identity, not a sample. A claim that reads a δ or kernel entry outside its range is
*undefined* there. The smallest counterexample (fewest elements, then sizes in the order H, k, s,
p, d) is reported with both values; the diagnosis tries the known slips on the claim itself (a
floor for a ceiling, a bound off by one, bounds not clamped) and compares it with the known
mistaken gradients (kernel not rotated / rotated, stride zeros not inserted). An Iverson
bracket that is 0 makes its product 0 even where a later factor reads an entry that does not
exist (``[1 \le i - m + 1] \delta_{i-m+1}``).

**Proof.** A right 2-D claim whose right side is one product of bounded sums, ``=`` brackets and
the two tensors is read into the index algebra of :mod:`symconv.general` and compared, by
canonical form, with the general proof's input-gradient results (:func:`prove_claim`); when one
matches, the verdict says "proven for all sizes" and lists that derivation's rule-labelled steps.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction

from ..claims.general import GNode, GeneralParser
from ..errors import SpecError

MAX_CONFIG_ELEMENTS = 400_000
"""Upper bound on configurations × elements one --general check evaluates."""

BOUND = {"H": 7, "W": 7, "k": 4, "s": 3, "d": 3, "p": 2}
"""The default bound of the configurations a 1-D claim is checked on (issue 13's)."""

BOUND_2D = {"H": 5, "W": 5, "k": 3, "s": 2, "d": 2, "p": 1}
"""The default bound of a 2-D claim (H, W and the kernel sides vary independently): issue 13's
H, W <= 7, k <= 4, s, d <= 3, p <= 2 is, in 2-D, 3,540 square-kernel layers (64,893 elements,
19 CPU s for a right four-fold sum) or 12,762 rectangular-kernel layers (241,347 elements, 91 CPU
s); this bound is 438 or 1,238 layers, 1 or 3 CPU s (``bench/check_general.py``)."""


class Undefined(Exception):
    """The claim reads a tensor entry that does not exist (or divides by zero) at this element."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


# ----------------------------------------------------------------------------- polynomials

Poly = dict  # {monomial (tuple of (name, index tuple) sorted): Fraction}


def _const(c) -> Poly:
    return {(): c} if c else {}


def _add(a: Poly, b: Poly, sign: int = 1) -> Poly:
    out = dict(a)
    for m, c in b.items():
        v = out.get(m, 0) + sign * c
        if v:
            out[m] = v
        else:
            out.pop(m, None)
    return out


def _mul(a: Poly, b: Poly) -> Poly:
    out: Poly = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            m = tuple(sorted(ma + mb))
            v = out.get(m, 0) + ca * cb
            if v:
                out[m] = v
            else:
                out.pop(m, None)
    return out


def _scalar(p: Poly, what: str, pos: int):
    """The number a polynomial is, or a one-line error (an index expression must not hold tensors)."""
    if any(m for m in p):
        raise SpecError("claim", f"{what} at column {pos} must not contain a tensor entry")
    return p.get((), Fraction(0))


def _show_poly(p: Poly, names: dict) -> str:
    if not p:
        return "0"
    parts = []
    for m in sorted(p):
        c = p[m]
        mono = " ".join(f"{names.get(n, n)}_{{{','.join(map(str, idx))}}}" for n, idx in m)
        coef = "" if (c == 1 and mono) else ("-" if (c == -1 and mono) else str(c))
        parts.append((coef + (" " if coef and coef != "-" and mono else "") + mono).strip())
    return " + ".join(parts).replace("+ -", "- ")


# ----------------------------------------------------------------------------- reading


SIZE_LETTERS = {"k": "k", "f": "k", "s": "s", "p": "p", "d": "d", "H": "H", "W": "W", "H_out": "H_out",
                "W_out": "W_out", "n": "H", "N": "H", "k_h": "k_h", "k_w": "k_w"}


@dataclass
class Reading:
    """How a general claim was read: ``cost``, ``input`` letter, free ``indices``, ``kernel``
    letter, ``sizes`` {letter: role} and the ``fixed`` sizes it does not mention."""

    cost: str
    input: str
    indices: tuple
    kernel: str | None
    sizes: dict
    fixed: dict
    dims: int
    mutation: dict = field(default_factory=dict)

    @property
    def square(self) -> bool:
        """True when a 2-D claim names one kernel size ``k`` (its kernels are then k x k)."""
        return "k" in self.sizes.values()

    def sentence(self) -> str:
        roles = {"k": "kernel size", "s": "stride", "p": "padding", "d": "dilation", "H": "input height (length)",
                 "W": "input width", "H_out": "output length" if self.dims == 1 else "output height",
                 "W_out": "output width",
                 "k_h": "kernel height", "k_w": "kernel width"}
        named = ", ".join(f"{letter} the {roles[role]}" for letter, role in sorted(self.sizes.items()))
        fixed = ", ".join(f"{ {'s': 'stride', 'p': 'padding', 'd': 'dilation'}[r] } {v}" for r, v in self.fixed.items())
        axis = "1-D" if self.dims == 1 else (
            "2-D (square kernel k x k; H, W independent)" if self.square else
            "2-D (H, W and kernel height, width independent; stride, padding, dilation the same on both axes)")
        kern = f"kernel {self.kernel}" if self.kernel else "no kernel entry"
        return (f"read as: the {axis} cross-correlation layer with input {self.input} (free index "
                f"{', '.join(self.indices)}, 1-based), {kern}, \\delta the gradient of its output; "
                f"{named}" + (f"; not mentioned, so fixed: {fixed}" if fixed else ""))


def _collect(node, out):
    if node is None:
        return
    if node.op == "var":
        out["vars"].add(node.value)
    if node.op == "tensor":
        out["tensors"].add(node.value)
    if node.op == "sum":
        out["bound"].add(node.value)
    for a in node.args:
        if isinstance(a, GNode):
            _collect(a, out)


def read_general(text: str):
    """Parse a general claim; returns ``(Reading, rhs GNode)``. Raises :class:`SpecError`
    (field ``claim``) with a one-line message naming the token and column."""
    if not text or not text.strip():
        raise SpecError("claim", "empty claim; write e.g. \\partial L/\\partial X_p = \\sum_i \\delta_i W_{p-i+1}")
    if len(text) > 2000:
        raise SpecError("claim", f"the claim is {len(text)} characters long; at most 2000")
    parser = GeneralParser(text)
    (cost, xname, indices), rhs = parser.claim()
    found = {"vars": set(), "tensors": set(), "bound": set()}
    _collect(rhs, found)
    tensors = found["tensors"]
    if "\\delta" not in tensors:
        raise SpecError("claim", "the right side has no \\delta_i (the upstream gradient ∂L/∂y of the layer's output)")
    others = sorted(tensors - {"\\delta"})
    if xname in others:
        raise SpecError("claim", f"the right side reads the input {xname} itself; ∂L/∂{xname} of a convolution "
                                 "is a sum of \\delta times kernel entries")
    if len(others) > 1:
        raise SpecError("claim", f"ambiguous kernel: the right side has the tensors {', '.join(others)}; "
                                 "it may read only \\delta and one kernel")
    kernel = others[0] if others else None
    sizes = {}
    for v in sorted(found["vars"] - set(indices) - found["bound"]):
        if v == kernel:
            continue
        role = SIZE_LETTERS.get(v)
        if role is None:
            raise SpecError("claim", f"unknown letter '{v}': not a free index ({', '.join(indices)}), a summation "
                                     "variable or a size (k or f kernel size, s stride, p padding, d dilation, H, W, "
                                     "H_{out}, W_{out})")
        if role == "W" and kernel == "W":
            continue
        if role in sizes.values():
            other = next(k for k, r in sizes.items() if r == role)
            raise SpecError("claim", f"ambiguous sizes: '{other}' and '{v}' both read as the {role}")
        sizes[v] = role
    fixed = {r: v for r, v in (("s", 1), ("p", 0), ("d", 1)) if r not in sizes.values()}
    if len(indices) not in (1, 2):
        raise SpecError("claim", f"{xname} has {len(indices)} indices; give one (1-D) or two (2-D)")
    roles = set(sizes.values())
    if "k" in roles and roles & {"k_h", "k_w"}:
        raise SpecError("claim", "ambiguous kernel size: the claim names k and k_h or k_w; use k (square) or "
                                 "k_h and k_w")
    if len(indices) == 1 and roles & {"k_h", "k_w", "W_out"}:
        raise SpecError("claim", f"{xname}_{indices[0]} is 1-D, but the claim names a 2-D size "
                                 f"({', '.join(sorted(roles & {'k_h', 'k_w', 'W_out'}))}); give {xname} two indices")
    return Reading(cost, xname, indices, kernel, sizes, fixed, len(indices)), rhs


# ----------------------------------------------------------------------------- evaluation


def _out_size(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


@dataclass(frozen=True)
class Config:
    """One concrete layer: input ``H`` (× ``W``), kernel ``k`` (× ``kw``; 0: ``k``, square),
    stride, padding, dilation (the same on both axes)."""

    H: int
    W: int
    k: int
    s: int
    p: int
    d: int
    kw: int = 0

    @property
    def kernel(self) -> tuple:
        """Kernel height and width."""
        return (self.k, self.kw or self.k)

    @property
    def outs(self):
        kh, kw = self.kernel
        return (_out_size(self.H, kh, self.s, self.p, self.d), _out_size(self.W, kw, self.s, self.p, self.d))

    def show(self, dims: int) -> str:
        if dims == 1:
            return f"H = {self.H}, k = {self.k}, s = {self.s}, p = {self.p}, d = {self.d}"
        kernel = f"k = {self.k}" if not self.kw else f"k_h = {self.k}, k_w = {self.kw}"
        return f"H = {self.H}, W = {self.W}, {kernel}, s = {self.s}, p = {self.p}, d = {self.d}"


@functools.lru_cache(maxsize=4096)
def gradients(cf: Config, dims: int, mode: str = "true") -> dict:
    """``{q: ∂L/∂X_q}`` (1-based ``q``, one entry per input element that some output reads) of
    the layer ``cf``, each as {monomial: coefficient}, in one pass over the outputs and kernel
    taps: output ``i`` reads input ``(i − 1)s + 1 + (j − 1)d − p`` through tap ``j`` on each axis.
    ``mode`` ``"rotated"`` pairs δ with the kernel rotated by 180° (the gradient of a claim that
    forgot to rotate the kernel, or of the other convention), ``"no_stride_zeros"`` reads δ as if
    it were not dilated by the stride (s treated as 1)."""
    outs = cf.outs[:dims]
    kernel = cf.kernel[:dims]
    sizes = (cf.H, cf.W)[:dims]
    s = 1 if mode == "no_stride_zeros" else cf.s
    out: dict = {}
    for i in itertools.product(*[range(1, o + 1) for o in outs]):
        for j in itertools.product(*[range(1, n + 1) for n in kernel]):
            q = tuple((ia - 1) * s + 1 + (ja - 1) * cf.d - cf.p for ia, ja in zip(i, j))
            if not all(1 <= qa <= n for qa, n in zip(q, sizes)):
                continue
            jj = tuple(n + 1 - x for x, n in zip(j, kernel)) if mode == "rotated" else j
            m = tuple(sorted((("\\delta", i), ("K", jj))))
            poly = out.setdefault(q, {})
            poly[m] = poly.get(m, 0) + 1
    return out


def exact_gradient(cf: Config, q: tuple, dims: int, mode: str = "true") -> Poly:
    """∂L/∂X_q (1-based ``q``) of the layer ``cf`` as {monomial: coefficient} (:func:`gradients`)."""
    return gradients(cf, dims, mode).get(tuple(q), {})


class _Eval:
    def __init__(self, reading: Reading, cf: Config, q: tuple, lenient: bool = False, swap=frozenset(),
                 shift=None):
        self.r = reading
        self.cf = cf
        self.lenient = lenient  # out-of-range δ entries read as 0 (the clamp mutation)
        self.swap = swap  # positions of floor/ceil nodes swapped (the floor-for-ceiling mutation)
        self.shift = shift or {}  # {(sum pos, 'lo'|'hi'): delta} (bound off by one)
        env = {}
        for letter, role in reading.sizes.items():
            env[letter] = {"H": cf.H, "W": cf.W, "k": cf.k, "s": cf.s, "p": cf.p, "d": cf.d,
                           "H_out": cf.outs[0], "W_out": cf.outs[1], "k_h": cf.kernel[0], "k_w": cf.kernel[1]}[role]
        for name, v in zip(reading.indices, q):
            env[name] = v
        self.env = dict(env)  # integers
        self.ranges = {"\\delta": cf.outs[:reading.dims], reading.kernel: cf.kernel[:reading.dims]}

    def num(self, node, what="index"):
        if node.op != "sum" and _tensor_free(node):
            return self.scalar(node)
        return _scalar(self.eval(node), what, node.pos)

    def scalar(self, node):
        """The number a node without tensor entries is (an int, or a Fraction when not whole)."""
        op = node.op
        if op == "num":
            v = node.value
            return v.numerator if v.denominator == 1 else v
        if op == "var":
            if node.value not in self.env:
                raise SpecError("claim", f"unknown letter '{node.value}' at column {node.pos}")
            return self.env[node.value]
        if op in ("add", "sub", "mul"):
            a, b = self.scalar(node.args[0]), self.scalar(node.args[1])
            return a + b if op == "add" else a - b if op == "sub" else a * b
        if op == "neg":
            return -self.scalar(node.args[0])
        if op == "div":
            a, b = self.scalar(node.args[0]), self.scalar(node.args[1])
            if b == 0:
                raise Undefined(f"division by zero at column {node.pos}")
            r = Fraction(a) / b
            return r.numerator if r.denominator == 1 else r
        if op in ("floor", "ceil"):
            v = self.scalar(node.args[0])
            use = op if node.pos not in self.swap else ("ceil" if op == "floor" else "floor")
            return math.floor(v) if use == "floor" else math.ceil(v)
        if op in ("max", "min"):
            vals = [self.scalar(a) for a in node.args]
            return max(vals) if op == "max" else min(vals)
        if op == "iverson":
            a, b = self.scalar(node.args[0]), self.scalar(node.args[1])
            rel = node.value
            if rel == "mid":
                holds = a != 0 and b.denominator == 1 and a.denominator == 1 and int(b) % int(a) == 0
            else:
                holds = {"eq": a == b, "le": a <= b, "lt": a < b, "ge": a >= b, "gt": a > b, "ne": a != b}[rel]
            return 1 if holds else 0
        return _scalar(self.eval(node), "a number", node.pos)

    def int_of(self, node, what):
        v = self.num(node, what)
        if v.denominator != 1:
            raise Undefined(f"{what} at column {node.pos} is {v}, not an integer")
        return int(v)

    def eval(self, node) -> Poly:
        op = node.op
        if op != "sum" and _tensor_free(node):
            return _const(self.scalar(node))
        if op == "num":
            return _const(node.value)
        if op == "var":
            if node.value not in self.env:
                raise SpecError("claim", f"unknown letter '{node.value}' at column {node.pos}")
            return _const(self.env[node.value])
        if op == "add":
            return _add(self.eval(node.args[0]), self.eval(node.args[1]))
        if op == "sub":
            return _add(self.eval(node.args[0]), self.eval(node.args[1]), -1)
        if op == "neg":
            return _add({}, self.eval(node.args[0]), -1)
        if op == "mul":
            left = self.eval(node.args[0])
            if not left:  # 0 times anything, even an entry that does not exist: [false] δ_0 = 0
                return left
            return _mul(left, self.eval(node.args[1]))
        if op == "div":
            num = self.eval(node.args[0])
            den = self.num(node.args[1], "a divisor")
            if den == 0:
                raise Undefined(f"division by zero at column {node.pos}")
            return {m: c / den for m, c in num.items()}
        if op in ("floor", "ceil"):
            v = self.num(node.args[0], f"the argument of \\l{op}")
            use = op if node.pos not in self.swap else ("ceil" if op == "floor" else "floor")
            return _const(math.floor(v) if use == "floor" else math.ceil(v))
        if op in ("max", "min"):
            vals = [self.num(a, f"an argument of \\{op}") for a in node.args]
            return _const(max(vals) if op == "max" else min(vals))
        if op == "iverson":
            a, b = (self.num(x, "a side of the Iverson bracket") for x in node.args)
            rel = node.value
            if rel == "mid":
                holds = a != 0 and b.denominator == 1 and a.denominator == 1 and int(b) % int(a) == 0
            else:
                holds = {"eq": a == b, "le": a <= b, "lt": a < b, "ge": a >= b, "gt": a > b, "ne": a != b}[rel]
            return _const(1 if holds else 0)
        if op == "tensor":
            name = node.value
            idx = tuple(self.int_of(a, f"the index of {name}") for a in node.args)
            rng = self.ranges.get(name)
            if len(idx) != len(rng):
                raise SpecError("claim", f"'{name}' at column {node.pos} takes {len(rng)} index(es), got {len(idx)}")
            if not all(1 <= v <= n for v, n in zip(idx, rng)):
                if self.lenient and name == "\\delta":
                    return {}
                limits = " x ".join(f"1..{n}" for n in rng)
                raise Undefined(f"the claim reads {name}_{{{','.join(map(str, idx))}}}, which does not exist "
                                f"(indices {limits})")
            return {((("\\delta" if name == "\\delta" else "K"), idx),): 1}
        if op == "sum":
            lo_n, hi_n, body = node.args
            var = node.value
            if var in self.env:
                raise SpecError("claim", f"summation variable '{var}' at column {node.pos} is already in use")
            if lo_n is None:
                extent = max(max(self.cf.outs), max(self.cf.kernel), self.cf.H, self.cf.W) + 2
                values = range(-extent, extent + 1)
                implicit = True
            else:
                lo = self.int_of(lo_n, "the lower bound of \\sum") + self.shift.get((node.pos, "lo"), 0)
                hi = self.int_of(hi_n, "the upper bound of \\sum") + self.shift.get((node.pos, "hi"), 0)
                values = range(lo, hi + 1)
                implicit = False
            factors = _factors(body)
            outside = [f for f in factors if var not in _letters(f)]
            if outside and len(outside) < len(factors) and len(values):
                # factors free of the summation variable are evaluated once (Iverson brackets in
                # an inner sum: a zero one ends the sum), the same value as in every term
                try:
                    scale = _const(1)
                    for f in outside:
                        scale = _mul(scale, self.eval(f))
                        if not scale:
                            return {}
                    inside = [f for f in factors if var in _letters(f)]
                except Undefined:
                    scale, inside = _const(1), [body]
            else:
                scale, inside = _const(1), [body]
            total: Poly = {}
            for v in values:
                self.env[var] = v
                try:
                    term = self.eval(inside[0])
                    for f in inside[1:]:
                        if not term:
                            break
                        term = _mul(term, self.eval(f))
                    total = _add(total, term)
                except Undefined:
                    if not implicit:
                        raise
                finally:
                    del self.env[var]
            return _mul(scale, total) if total else total
        raise AssertionError(op)  # pragma: no cover


def _factors(node) -> list:
    """The factors of a product (``mul`` nodes flattened), left to right."""
    if node.op == "mul":
        return _factors(node.args[0]) + _factors(node.args[1])
    return [node]


_SHAPES: dict = {}


def _shape(node) -> tuple:
    """``(letters, tensor_free)`` of a claim node: the letters (indices, sizes, outer summation
    variables) it reads, and whether it has no tensor entry; cached by node."""
    hit = _SHAPES.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    out = {node.value} if node.op == "var" else set()
    free = node.op != "tensor"
    for a in node.args:
        if isinstance(a, GNode):
            letters, f = _shape(a)
            out |= letters
            free = free and f
    if node.op == "sum":
        out.discard(node.value)
    if len(_SHAPES) > 100_000:
        _SHAPES.clear()
    _SHAPES[id(node)] = (node, (frozenset(out), free))
    return _SHAPES[id(node)][1]


def _letters(node) -> frozenset:
    return _shape(node)[0]


def _tensor_free(node) -> bool:
    return _shape(node)[1]


def _nodes(node, op):
    if node is None:
        return []
    found = [node] if node.op == op else []
    for a in node.args:
        if isinstance(a, GNode):
            found += _nodes(a, op)
    return found


def bound_for(reading: Reading, bound: dict | None = None) -> dict:
    """The bound of the configurations checked: :data:`BOUND` (1-D) or :data:`BOUND_2D` (2-D),
    updated by ``bound``."""
    return dict(BOUND if reading.dims == 1 else BOUND_2D, **(bound or {}))


def configs_for(reading: Reading, bound: dict | None = None) -> list[Config]:
    """Every configuration up to ``bound`` (:func:`bound_for`) over the sizes the claim mentions
    (stride, padding, dilation it does not mention fixed at 1, 0, 1), with at least one output,
    smallest first (elements, then H, W, kernel, s, p, d). In 2-D, H and W vary independently,
    and so do the kernel height and width unless the claim names one kernel size k."""
    b = bound_for(reading, bound)
    rng = {r: range(1, b[r] + 1) for r in ("H", "W", "k", "s", "d")}
    rng["p"] = range(b["p"] + 1)
    for r, v in reading.fixed.items():
        rng[r] = range(v, v + 1)
    if reading.dims == 1:
        rng["W"] = rng["kw"] = (0,)
    else:
        rng["kw"] = (0,) if reading.square else rng["k"]
    out = []
    for H, W, k, kw, s, p, d in itertools.product(rng["H"], rng["W"], rng["k"], rng["kw"], rng["s"], rng["p"],
                                                  rng["d"]):
        cf = Config(H, W or H, k, s, p, d, kw)
        if min(cf.outs[:reading.dims]) < 1:
            continue
        out.append(cf)
    out.sort(key=lambda c: (c.H * (c.W if reading.dims == 2 else 1), c.H, c.W, c.kernel, c.s, c.p, c.d))
    return out


# ----------------------------------------------------------------------------- proof for all sizes


class _NotAlgebra(Exception):
    """The claim is not of the form the general proof's index algebra states its results in."""


_GENERAL_SIZES = {"H": "H", "W": "W", "k": "k_h", "k_h": "k_h", "k_w": "k_w", "s": "s", "p": "p", "d": "d",
                  "H_out": "H_out", "W_out": "W_out"}


@dataclass(frozen=True)
class Proof:
    """A 2-D claim proven for every size: it is, up to 1-based indices and the names of its
    summation variables, the result of derivation ``title`` of the general proof; ``steps`` are
    that derivation's rule-labelled lines ``(number, rule, times applied, LaTeX)``; ``section``
    its section in ``output/general/general.md``."""

    key: str
    title: str
    section: int
    steps: tuple
    result: str


def _to_algebra(reading: Reading, rhs: GNode):
    """The claim's right side as one term of the index algebra of :mod:`symconv.general`
    (0-based, channels added: δ of output channel q, kernel (q, c), summed over q), or raise
    :class:`_NotAlgebra`. Returns ``(term, claim summation variables)``."""
    import sympy as sp

    from ..general.algebra import Eq, Tensor, Term, ivar
    from ..general.derivations import SIZES, c, q, u, v

    sizes = {x.name: x for x in SIZES}
    size_of = {letter: sizes[_GENERAL_SIZES[role]] for letter, role in reading.sizes.items()}
    free = dict(zip(reading.indices, (u, v)))
    bound: dict = {}

    def expr(node) -> sp.Expr:
        op = node.op
        if op == "num":
            return sp.Rational(node.value.numerator, node.value.denominator)
        if op == "var":
            if node.value in bound:
                return bound[node.value] + 1
            if node.value in free:
                return free[node.value] + 1
            if node.value in size_of:
                return size_of[node.value]
            raise _NotAlgebra(node.value)
        if op in ("add", "sub"):
            a, b = expr(node.args[0]), expr(node.args[1])
            return a + b if op == "add" else a - b
        if op == "neg":
            return -expr(node.args[0])
        if op == "mul":
            return expr(node.args[0]) * expr(node.args[1])
        raise _NotAlgebra(op)

    def term(node):
        op = node.op
        if op == "num":
            return Term(expr(node))
        if op == "mul":
            a, b = term(node.args[0]), term(node.args[1])
            return Term(a.coeff * b.coeff, a.box + b.box, a.brackets + b.brackets, a.factors + b.factors)
        if op == "sum":
            lo, hi, body = node.args
            if lo is None or node.value in bound or node.value in free:
                raise _NotAlgebra("sum")
            var = ivar(f"{node.value}__claim")
            lo_e, hi_e = expr(lo), expr(hi)
            bound[node.value] = var
            inner = term(body)
            return Term(inner.coeff, ((var, lo_e - 1, hi_e),) + inner.box, inner.brackets, inner.factors)
        if op == "iverson" and node.value == "eq":
            return Term(1, (), (Eq(expr(node.args[0]), expr(node.args[1])),))
        if op == "tensor":
            idx = tuple(expr(a) - 1 for a in node.args)
            if node.value == "\\delta":
                return Term(1, (), (), (Tensor("delta", (q,) + idx),))
            return Term(1, (), (), (Tensor("w", (q, c) + idx),))
        raise _NotAlgebra(op)

    t = term(rhs)
    claim_vars = tuple(var for var, _, _ in t.box)
    t = Term(t.coeff, ((q, 0, sizes["C_out"]),) + t.box, t.brackets, t.factors)
    return t, claim_vars


def prove_claim(reading: Reading, rhs: GNode) -> Proof | None:
    """The proof for every size of a 2-D claim that states, in the claim's own letters, a result
    of the general proof (:func:`symconv.general.prove_general`): the claim is read into the
    index algebra (1-based indices shifted to 0-based, sizes it does not name fixed, a k x k
    kernel when it names one k), each bijection of its summation variables onto the result's is
    tried, and the two terms must have the same canonical form (the same sums, brackets up to
    orientation, factors and coefficient). None when the claim is not of that form (sums
    without bounds, floors, ceilings, \\max, inequalities, several terms...) or matches no result:
    the claim is then only checked on the configurations."""
    if reading.dims != 2 or reading.kernel is None:
        return None
    try:
        claim, claim_vars = _to_algebra(reading, rhs)
    except (_NotAlgebra, SpecError, TypeError, ValueError, ZeroDivisionError):
        return None
    from ..general import prove_general
    from ..general.algebra import canon_term
    from ..general.derivations import D, KH, KW, P, S
    from ..general.render import Printer

    fixed = {S: 1, P: 0, D: 1}
    subs = {sym: fixed[sym] for sym, role in ((S, "s"), (P, "p"), (D, "d")) if role in reading.fixed}
    if reading.square:
        subs[KW] = KH
    proof = prove_general("seed")
    printer = Printer("seed")
    for number, der in enumerate(proof.derivations, 4):
        if der.family != "conv" or der.target.name != "x" or len(der.result.terms) != 1:
            continue
        result = der.result.terms[0].sub(subs)
        names = [var for var, _, _ in result.box[1:]]
        if len(names) != len(claim_vars) or result.box[:1] != claim.box[:1]:
            continue
        want = canon_term(result)
        for perm in itertools.permutations(names):
            if canon_term(claim.rename_bound(dict(zip(claim_vars, perm)))) == want:
                steps = tuple((k, st.rule, st.count, printer.inline(st.expr)) for k, st in enumerate(der.steps, 1))
                return Proof(der.key, der.title, number, steps, printer.inline(der.result))
    return None


@dataclass
class GeneralVerdict:
    """The outcome of :func:`check_general_claim`: ``ok``; ``reading`` (what the claim was read
    as); ``n_configs`` and ``n_elements`` checked; the smallest counterexample (``config``,
    ``element``, ``claim_value``, ``truth_value``, ``undefined``) and ``diagnoses``."""

    text: str
    reading: Reading
    ok: bool
    n_configs: int
    n_elements: int
    config: Config | None = None
    element: tuple | None = None
    claim_value: str = ""
    truth_value: str = ""
    undefined: str = ""
    diagnoses: tuple = ()
    bound: dict = field(default_factory=dict)
    proof: Proof | None = None

    def bound_text(self) -> str:
        """The bound checked, over the sizes that varied: ``H <= 5, W <= 5, k_h, k_w <= 3, s <= 2``."""
        r, b = self.reading, self.bound or bound_for(self.reading)
        parts = [f"H <= {b['H']}"] + ([f"W <= {b['W']}"] if r.dims == 2 else [])
        parts.append(f"k <= {b['k']}" if r.dims == 1 or r.square else f"k_h, k_w <= {b['k']}")
        parts += [f"{x} <= {b[x]}" for x in ("s", "p", "d") if x not in r.fixed]
        return ", ".join(parts)

    def render(self) -> str:
        r = self.reading
        lines = [f"claim: {self.text}", r.sentence()]
        bound = self.bound_text()
        if self.ok and self.proof is not None:
            pf = self.proof
            lines.append(f"RIGHT, proven for all sizes: the claim is, up to 1-based indices and the names of its "
                         f"summation variables (one channel: C_in = C_out = 1), the result of the general proof's "
                         f"'{pf.title}' (symconv prove --general, section {pf.section} of output/general/general.md); "
                         f"its rule-labelled steps, 0-based internally, printed 1-based:")
            for number, rule, times, latex in pf.steps:
                lines.append(f"  ({number}) {rule}{f' (applied {times} times)' if times > 1 else ''}: = {latex}")
            lines.append(f"also checked on {self.n_configs} configurations ({bound}), {self.n_elements} elements, "
                         "every one an exact polynomial identity")
            return "\n".join(lines) + "\n"
        if self.ok:
            lines.append(f"RIGHT: checked on {self.n_configs} configurations ({bound}), "
                         f"{self.n_elements} elements, every one an exact polynomial identity; not proven for all sizes")
            return "\n".join(lines) + "\n"
        el = ", ".join(map(str, self.element))
        lines.append(f"WRONG: smallest counterexample {self.config.show(r.dims)}, element {r.input}_{{{el}}}")
        if self.undefined:
            lines.append(f"  claim: undefined there: {self.undefined}")
        else:
            lines.append(f"  claim = {self.claim_value}")
        lines.append(f"  truth = {self.truth_value}")
        if self.diagnoses:
            for d in self.diagnoses:
                lines.append(f"  diagnosis: {d}")
        else:
            lines.append("  diagnosis: the claim matches no known mistake")
        lines.append(f"({self.n_configs} configurations checked)")
        return "\n".join(lines) + "\n"


def _elements(reading: Reading, cf: Config):
    return itertools.product(*[range(1, n + 1) for n in (cf.H, cf.W)[:reading.dims]])


def _holds(reading, rhs, cfgs, mode="true", **mut) -> tuple:
    """(all equal, first failing (cf, q, claim poly or Undefined, truth poly), elements)."""
    count = 0
    for cf in cfgs:
        grads = gradients(cf, reading.dims, mode)
        for q in _elements(reading, cf):
            count += 1
            truth = grads.get(q, {})
            try:
                got = _Eval(reading, cf, q, **mut).eval(rhs)
            except Undefined as u:
                return False, (cf, q, u, truth), count
            if got != truth:
                return False, (cf, q, got, truth), count
    return True, None, count


def _diagnose(reading, rhs, cfgs) -> tuple:
    """The known slips that, undone, make the claim right on every configuration checked."""
    floors = [n.pos for n in _nodes(rhs, "floor")]
    ceils = [n.pos for n in _nodes(rhs, "ceil")]
    sums = [n for n in _nodes(rhs, "sum") if n.args[0] is not None]
    candidates = []
    for pos in floors:
        candidates.append(({"swap": frozenset({pos})}, f"a floor where a ceiling belongs (\\lfloor at column {pos})"))
    for pos in ceils:
        candidates.append(({"swap": frozenset({pos})}, f"a ceiling where a floor belongs (\\lceil at column {pos})"))
    for n in sums:
        for side in ("lo", "hi"):
            for delta in (-1, 1):
                what = "lower" if side == "lo" else "upper"
                candidates.append(({"shift": {(n.pos, side): delta}},
                                   f"the {what} bound of the sum at column {n.pos} off by one "
                                   f"(it should be {'one less' if delta < 0 else 'one more'})"))
    clamp = ({"lenient": True}, "bounds not clamped: the sum reaches \\delta entries that do not exist; "
                                "clamp its bounds with \\max(1, ...) and \\min(H_{out}, ...)")
    found = []
    # one slip, then the clamp with one slip
    for mut, text in [clamp] + candidates:
        if _holds(reading, rhs, cfgs, **mut)[0]:
            return (text,)
    for mut, text in candidates:
        both = dict(mut, lenient=True)
        if _holds(reading, rhs, cfgs, **both)[0]:
            return (clamp[1], text)
    for mode, text in (("rotated", "kernel not rotated: the claim is the gradient with the kernel rotated by 180 "
                                   "degrees, so it pairs \\delta with the kernel the wrong way round (the full "
                                   "convolution of \\delta needs rot180 of the kernel; or the convolution and "
                                   "cross-correlation conventions swapped)"),
                       ("no_stride_zeros", "stride zeros not inserted: \\delta read as if the stride were 1")):
        if _holds(reading, rhs, cfgs, mode=mode)[0] or _holds(reading, rhs, cfgs, mode=mode, lenient=True)[0]:
            found.append(text)
    return tuple(found)


def check_general_claim(text: str, bound: dict | None = None) -> GeneralVerdict:
    """Read ``text`` (see the module docstring) and check it on every configuration up to
    ``bound`` at every element. Raises :class:`SpecError` for a malformed claim."""
    reading, rhs = read_general(text)
    used = bound_for(reading, bound)
    cfgs = configs_for(reading, bound)
    total = sum(math.prod((c.H, c.W)[:reading.dims]) for c in cfgs)
    if total > MAX_CONFIG_ELEMENTS:
        raise SpecError("--general", f"{total} elements to check; at most {MAX_CONFIG_ELEMENTS}")
    ok, fail, count = _holds(reading, rhs, cfgs)
    if ok:
        return GeneralVerdict(text, reading, True, len(cfgs), count, bound=used, proof=prove_claim(reading, rhs))
    cf, q, got, truth = fail
    names = {"\\delta": "\\delta", "K": reading.kernel or "K"}
    small = [c for c in cfgs]
    diagnoses = _diagnose(reading, rhs, small)
    if isinstance(got, Undefined):
        return GeneralVerdict(text, reading, False, len(cfgs), count, cf, q, "", _show_poly(truth, names),
                              got.what, diagnoses, used)
    return GeneralVerdict(text, reading, False, len(cfgs), count, cf, q, _show_poly(got, names),
                          _show_poly(truth, names), "", diagnoses, used)


__all__ = ["BOUND", "BOUND_2D", "Config", "GeneralVerdict", "Proof", "Reading", "check_general_claim", "exact_gradient",
           "gradients", "prove_claim", "read_general"]
