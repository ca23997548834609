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

**Grammar** (the claim lexer of :mod:`symconv.claims`): numbers, ``+ - * / ·``, implicit
products, parentheses, ``\lfloor … \rfloor``, ``\lceil … \rceil``, ``\max(a, b)``, ``\min(a, b)``,
``\sum_{i=a}^{b}`` (bounds any expression) or ``\sum_i`` (every ``i`` for which the indexed
tensors exist), Iverson brackets ``[a = b]``, ``[a \le b]``, ``[a < b]``, ``[a \ge b]``,
``[a > b]``, ``[a \ne b]``, ``[s \mid a]`` (divides), tensors ``\delta_{i}``, ``W_{j}``,
``\delta_{i,j}`` in 2-D.

**Check.** The claim is evaluated at every configuration up to the bound (default: H, W ≤ 7,
k ≤ 4, s, d ≤ 3, p ≤ 2, over the sizes it mentions) and every element ``q``, exactly: each side is
a polynomial in the δ and kernel entries (a dict of monomials with integer coefficients), so
"equal" is an identity, not a sample. A claim that reads a δ or kernel entry outside its range is
*undefined* there. The smallest counterexample (fewest elements, then sizes in the order H, k, s,
p, d) is reported with both values; the diagnosis tries the known slips on the claim itself (a
floor for a ceiling, a bound off by one, bounds not clamped) and compares it with the known
mistaken gradients (kernel not rotated / rotated, stride zeros not inserted).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field
from fractions import Fraction

from ..claims.lexer import Token, TokenCursor
from ..errors import SpecError

MAX_CONFIG_ELEMENTS = 400_000
"""Upper bound on configurations × elements one --general check evaluates."""

BOUND = {"H": 7, "W": 7, "k": 4, "s": 3, "d": 3, "p": 2}
"""The default bound of the configurations checked."""


class Undefined(Exception):
    """The claim reads a tensor entry that does not exist (or divides by zero) at this element."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


# ----------------------------------------------------------------------------- polynomials

Poly = dict  # {monomial (tuple of (name, index tuple) sorted): Fraction}


def _const(c) -> Poly:
    return {(): Fraction(c)} if c else {}


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


# ----------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class GNode:
    op: str
    pos: int
    args: tuple = ()
    value: object = None


_RELATIONS = {"=": "eq", "le": "le", "leq": "le", "<": "lt", "ge": "ge", "geq": "ge", ">": "gt",
              "ne": "ne", "neq": "ne", "mid": "mid"}


class _GParser(TokenCursor):
    def error(self, message: str) -> SpecError:
        t = self.tok
        shown = "end of claim" if t.kind == "end" else f"'{t.text}'"
        return SpecError("claim", f"{message}, found {shown} at column {t.pos}")

    def expect(self, text: str, what: str) -> Token:
        if not self.at(text):
            raise self.error(f"expected '{text}' {what}")
        return self.take()

    # claim := lhs '=' expr
    def claim(self):
        lhs = self.lhs()
        self.expect("=", "after the left side")
        rhs = self.expr()
        if self.tok.kind != "end":
            raise self.error("expected an operator or the end of the claim")
        return lhs, rhs

    def lhs(self):
        """``\\partial L/\\partial X_{q}`` or ``\\frac{\\partial L}{\\partial X_{q}}``."""
        frac = self.at("\\frac") or self.at("\\dfrac")
        if frac:
            self.take()
            self.expect("{", "to open the numerator of \\frac")
        self.expect("\\partial", "to begin the left side, \\partial L/\\partial X_p")
        cost = self.take()
        if cost.kind != "letter":
            raise SpecError("claim", f"expected the cost letter after \\partial at column {cost.pos}")
        if frac:
            self.expect("}", "to close the numerator of \\frac")
            self.expect("{", "to open the denominator of \\frac")
        else:
            self.expect("/", "between \\partial L and \\partial X")
        self.expect("\\partial", "in the denominator, \\partial X_p")
        name, indices = self.tensor_head()
        if frac:
            self.expect("}", "to close the denominator of \\frac")
        idx = []
        for node in indices:
            if node.op != "var":
                raise SpecError("claim", f"the index of {name} at column {node.pos} on the left side must be "
                                         "one letter (the free index), e.g. X_p or X_{p,q}")
            idx.append(node.value)
        if len(set(idx)) != len(idx):
            raise SpecError("claim", f"the free indices of {name} on the left side must differ")
        return cost.text, name, tuple(idx)

    def tensor_head(self):
        t = self.take()
        if t.kind == "letter":
            name = t.text
        elif t.kind == "cmd" and t.text == "delta":
            name = "\\" + t.text
        else:
            raise SpecError("claim", f"expected a tensor letter at column {t.pos}")
        if not self.at("_"):
            raise SpecError("claim", f"'{name}' at column {t.pos} needs its index, e.g. {name}_i")
        self.take()
        return name, self.index_list()

    def index_list(self):
        if self.at("{"):
            self.take()
            items = [self.expr()]
            while self.at(","):
                self.take()
                items.append(self.expr())
            self.expect("}", "to close the subscript")
            return items
        t = self.take()
        if t.kind == "letter":
            return [GNode("var", t.pos, value=t.text)]
        if t.kind == "num" and len(t.text) == 1:
            return [GNode("num", t.pos, value=Fraction(t.text))]
        raise SpecError("claim", f"expected an index at column {t.pos}; write several characters in braces, _{{i+1}}")

    def expr(self) -> GNode:
        left = self.term()
        while self.at("+") or self.at("-"):
            t = self.take()
            right = self.term()
            left = GNode("add" if t.text == "+" else "sub", t.pos, (left, right))
        return left

    def starts_factor(self) -> bool:
        t = self.tok
        if t.kind in ("num", "letter"):
            return True
        if t.kind == "op":
            return t.text in ("(", "{", "[")
        if t.kind == "cmd":
            return t.text in ("lfloor", "lceil", "sum", "max", "min", "delta", "frac", "dfrac", "Delta") or \
                t.text.startswith("mathrm:") or t.text in ("left",)
        return False

    def term(self) -> GNode:
        left = self.unary()
        while True:
            t = self.tok
            if (t.kind == "op" and t.text in "*/") or (t.kind == "cmd" and t.text in ("cdot", "times")):
                self.take()
                right = self.unary()
                left = GNode("div" if t.text == "/" else "mul", t.pos, (left, right))
            elif self.starts_factor():
                right = self.unary()
                left = GNode("mul", t.pos, (left, right))
            else:
                return left

    def unary(self) -> GNode:
        if self.at("-"):
            t = self.take()
            return GNode("neg", t.pos, (self.unary(),))
        if self.at("+"):
            self.take()
            return self.unary()
        return self.factor()

    def factor(self) -> GNode:
        t = self.tok
        if t.kind == "num":
            self.take()
            return GNode("num", t.pos, value=Fraction(t.text))
        if self.at("("):
            self.take()
            node = self.expr()
            self.expect(")", f"to close '(' from column {t.pos}")
            return node
        if self.at("{"):
            self.take()
            node = self.expr()
            self.expect("}", f"to close '{{' from column {t.pos}")
            return node
        if self.at("["):
            return self.iverson()
        if t.kind == "cmd":
            if t.text in ("lfloor", "lceil"):
                self.take()
                inner = self.expr()
                self.expect("\\rfloor" if t.text == "lfloor" else "\\rceil", f"to close '\\{t.text}' from column {t.pos}")
                return GNode("floor" if t.text == "lfloor" else "ceil", t.pos, (inner,))
            if t.text in ("frac", "dfrac"):
                self.take()
                self.expect("{", "to open the numerator of \\frac")
                num = self.expr()
                self.expect("}", "to close the numerator of \\frac")
                self.expect("{", "to open the denominator of \\frac")
                den = self.expr()
                self.expect("}", "to close the denominator of \\frac")
                return GNode("div", t.pos, (num, den))
            if t.text in ("max", "min"):
                self.take()
                self.expect("(", f"after \\{t.text}")
                args = [self.expr()]
                while self.at(","):
                    self.take()
                    args.append(self.expr())
                self.expect(")", f"to close \\{t.text}(")
                return GNode(t.text, t.pos, tuple(args))
            if t.text == "sum":
                return self.summation()
            if t.text == "delta":
                name, idx = self.tensor_head()
                return GNode("tensor", t.pos, tuple(idx), value=name)
            raise SpecError("claim", f"unknown symbol '\\{t.text}' at column {t.pos}")
        if t.kind == "letter":
            nxt = self.toks[self.k + 1]
            if nxt.kind == "op" and nxt.text == "_":
                # a tensor, or a size with a subscript such as H_{out}
                after = self.toks[self.k + 2]
                if after.kind == "op" and after.text == "{" and self.toks[self.k + 3].kind == "letter" and \
                        "".join(x.text for x in self.toks[self.k + 3:self.k + 6]) == "out":
                    self.k += 7
                    return GNode("var", t.pos, value=t.text + "_out")
                if after.kind == "cmd" and after.text in ("mathrm:out", "text:out"):
                    self.k += 3
                    return GNode("var", t.pos, value=t.text + "_out")
                name, idx = self.tensor_head()
                return GNode("tensor", t.pos, tuple(idx), value=name)
            self.take()
            return GNode("var", t.pos, value=t.text)
        raise self.error("expected a number, an index, a size or a tensor entry")

    def iverson(self) -> GNode:
        t = self.take()
        left = self.expr()
        rel = self.tok
        key = rel.text if rel.kind == "op" else rel.text if rel.kind == "cmd" else None
        if key not in _RELATIONS or (rel.kind == "op" and key not in ("=", "<", ">")):
            raise self.error("expected a relation (=, <, >, \\le, \\ge, \\ne, \\mid) in the Iverson bracket")
        self.take()
        right = self.expr()
        self.expect("]", f"to close the Iverson bracket '[' from column {t.pos}")
        return GNode("iverson", t.pos, (left, right), value=_RELATIONS[key])

    def summation(self) -> GNode:
        t = self.take()
        var = lo = hi = None
        for _ in range(2):
            if self.at("_") and var is None:
                self.take()
                braced = self.at("{")
                if braced:
                    self.take()
                v = self.take()
                if v.kind != "letter":
                    raise SpecError("claim", f"expected a summation variable such as i at column {v.pos}")
                var = v.text
                if braced and self.at("="):
                    self.take()
                    lo = self.expr()
                if braced:
                    self.expect("}", "to close the subscript of \\sum")
            elif self.at("^") and hi is None:
                self.take()
                if self.at("{"):
                    self.take()
                    hi = self.expr()
                    self.expect("}", "to close the upper bound of \\sum")
                else:
                    hi = self.factor()
        if var is None:
            raise SpecError("claim", f"'\\sum' at column {t.pos} needs a summation variable, e.g. \\sum_{{i=1}}^{{n}}")
        if (lo is None) != (hi is None):
            raise SpecError("claim", f"'\\sum' at column {t.pos} states only one bound; give both or neither")
        body = self.term()
        return GNode("sum", t.pos, (lo, hi, body), value=var)


# ----------------------------------------------------------------------------- reading


SIZE_LETTERS = {"k": "k", "f": "k", "s": "s", "p": "p", "d": "d", "H": "H", "W": "W", "H_out": "H_out",
                "W_out": "W_out", "n": "H", "N": "H"}


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

    def sentence(self) -> str:
        roles = {"k": "kernel size", "s": "stride", "p": "padding", "d": "dilation", "H": "input height (length)",
                 "W": "input width", "H_out": "output length", "W_out": "output width"}
        named = ", ".join(f"{letter} the {roles[role]}" for letter, role in sorted(self.sizes.items()))
        fixed = ", ".join(f"{ {'s': 'stride', 'p': 'padding', 'd': 'dilation'}[r] } {v}" for r, v in self.fixed.items())
        axis = "1-D" if self.dims == 1 else "2-D (both axes alike)"
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
    parser = _GParser(text)
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
    return Reading(cost, xname, indices, kernel, sizes, fixed, len(indices)), rhs


# ----------------------------------------------------------------------------- evaluation


def _out_size(n, k, s, p, d):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


@dataclass(frozen=True)
class Config:
    """One concrete layer: input ``H`` (× ``W``), kernel ``k`` (× k), stride, padding, dilation."""

    H: int
    W: int
    k: int
    s: int
    p: int
    d: int

    @property
    def outs(self):
        return (_out_size(self.H, self.k, self.s, self.p, self.d), _out_size(self.W, self.k, self.s, self.p, self.d))

    def show(self, dims: int) -> str:
        size = f"H = {self.H}" if dims == 1 else f"H = {self.H}, W = {self.W}"
        return f"{size}, k = {self.k}, s = {self.s}, p = {self.p}, d = {self.d}"


@functools.lru_cache(maxsize=200_000)
def exact_gradient(cf: Config, q: tuple, dims: int, mode: str = "true") -> Poly:
    """∂L/∂X_q (1-based ``q``) of the layer ``cf`` as {monomial: coefficient}; ``mode``
    ``"rotated"`` pairs δ with the kernel rotated by 180° (convolution read as cross-correlation),
    ``"no_stride_zeros"`` reads δ as if it were not dilated by the stride (s treated as 1)."""
    outs = cf.outs[:dims]
    out: Poly = {}
    s = 1 if mode == "no_stride_zeros" else cf.s
    for i in itertools.product(*[range(1, o + 1) for o in outs]):
        for j in itertools.product(*[range(1, cf.k + 1)] * dims):
            if all((ia - 1) * s + 1 + (ja - 1) * cf.d - cf.p == qa for ia, ja, qa in zip(i, j, q)):
                jj = tuple(cf.k + 1 - x for x in j) if mode == "rotated" else j
                m = tuple(sorted((("\\delta", i), ("K", jj))))
                out[m] = out.get(m, 0) + 1
    return out


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
                           "H_out": cf.outs[0], "W_out": cf.outs[1]}[role]
        for name, v in zip(reading.indices, q):
            env[name] = v
        self.env = {k: Fraction(v) for k, v in env.items()}
        self.ranges = {"\\delta": cf.outs[:reading.dims], reading.kernel: (cf.k,) * reading.dims}

    def num(self, node, what="index"):
        return _scalar(self.eval(node), what, node.pos)

    def int_of(self, node, what):
        v = self.num(node, what)
        if v.denominator != 1:
            raise Undefined(f"{what} at column {node.pos} is {v}, not an integer")
        return int(v)

    def eval(self, node) -> Poly:
        op = node.op
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
            return _mul(self.eval(node.args[0]), self.eval(node.args[1]))
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
            return {((("\\delta" if name == "\\delta" else "K"), idx),): Fraction(1)}
        if op == "sum":
            lo_n, hi_n, body = node.args
            var = node.value
            if var in self.env:
                raise SpecError("claim", f"summation variable '{var}' at column {node.pos} is already in use")
            if lo_n is None:
                extent = max(max(self.cf.outs), self.cf.k, self.cf.H, self.cf.W) + 2
                values = range(-extent, extent + 1)
                implicit = True
            else:
                lo = self.int_of(lo_n, "the lower bound of \\sum") + self.shift.get((node.pos, "lo"), 0)
                hi = self.int_of(hi_n, "the upper bound of \\sum") + self.shift.get((node.pos, "hi"), 0)
                values = range(lo, hi + 1)
                implicit = False
            total: Poly = {}
            for v in values:
                self.env[var] = Fraction(v)
                try:
                    total = _add(total, self.eval(body))
                except Undefined:
                    if not implicit:
                        raise
                finally:
                    del self.env[var]
            return total
        raise AssertionError(op)  # pragma: no cover


def _nodes(node, op):
    if node is None:
        return []
    found = [node] if node.op == op else []
    for a in node.args:
        if isinstance(a, GNode):
            found += _nodes(a, op)
    return found


def configs_for(reading: Reading, bound: dict | None = None) -> list[Config]:
    """Every configuration up to ``bound`` over the sizes the claim mentions (others fixed), with
    at least one output, smallest first (elements, then H, k, s, p, d)."""
    b = dict(BOUND, **(bound or {}))
    rng = {r: range(1, b[r] + 1) for r in ("H", "k", "s", "d")}
    rng["p"] = range(b["p"] + 1)
    for r, v in reading.fixed.items():
        rng[r] = range(v, v + 1)
    out = []
    for H, k, s, p, d in itertools.product(rng["H"], rng["k"], rng["s"], rng["p"], rng["d"]):
        if _out_size(H, k, s, p, d) < 1:
            continue
        W = H
        out.append(Config(H, W, k, s, p, d))
    out.sort(key=lambda c: (c.H ** reading.dims, c.H, c.k, c.s, c.p, c.d))
    return out


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

    def render(self) -> str:
        r = self.reading
        lines = [f"claim: {self.text}", r.sentence()]
        bound = ", ".join(f"{k} <= {v}" for k, v in BOUND.items()
                          if k in set(r.sizes.values()) | {"H", "k"} and not (k == "W" and r.dims == 1))
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
        for q in _elements(reading, cf):
            count += 1
            truth = exact_gradient(cf, q, reading.dims, mode)
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
    for mode, text in (("rotated", "kernel rotated by 180 degrees: this pairs \\delta with the flipped kernel "
                                   "(the convolution form read as cross-correlation, or the other way round)"),
                       ("no_stride_zeros", "stride zeros not inserted: \\delta read as if the stride were 1")):
        if _holds(reading, rhs, cfgs, mode=mode)[0] or _holds(reading, rhs, cfgs, mode=mode, lenient=True)[0]:
            found.append(text)
    return tuple(found)


def check_general_claim(text: str, bound: dict | None = None) -> GeneralVerdict:
    """Read ``text`` (see the module docstring) and check it on every configuration up to
    ``bound`` at every element. Raises :class:`SpecError` for a malformed claim."""
    reading, rhs = read_general(text)
    cfgs = configs_for(reading, bound)
    total = sum(math.prod((c.H, c.W)[:reading.dims]) for c in cfgs)
    if total > MAX_CONFIG_ELEMENTS:
        raise SpecError("--general", f"{total} elements to check; at most {MAX_CONFIG_ELEMENTS}")
    ok, fail, count = _holds(reading, rhs, cfgs)
    if ok:
        return GeneralVerdict(text, reading, True, len(cfgs), count)
    cf, q, got, truth = fail
    names = {"\\delta": "\\delta", "K": reading.kernel or "K"}
    small = [c for c in cfgs]
    diagnoses = _diagnose(reading, rhs, small)
    if isinstance(got, Undefined):
        return GeneralVerdict(text, reading, False, len(cfgs), count, cf, q, "", _show_poly(truth, names),
                              got.what, diagnoses)
    return GeneralVerdict(text, reading, False, len(cfgs), count, cf, q, _show_poly(got, names),
                          _show_poly(truth, names), "", diagnoses)


__all__ = ["BOUND", "Config", "GeneralVerdict", "Reading", "check_general_claim", "exact_gradient", "read_general"]
