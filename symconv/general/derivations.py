"""The general derivations of the convolution gradients, for symbolic sizes.

Forward definition (deep-learning cross-correlation, 0-based):

    z[q,i,j] = b[q] + sum_{c<C_in, m<k_h, n<k_w} w[q,c,m,n] * xp[c, s*i + d*m, s*j + d*n]
    xp[c,U,V] = sum_{u<H, v<W} [U = u + p][V = v + p] x[c,u,v]      (zero padding p, both sides)

with i < H_out, j < W_out for *free* symbols H_out, W_out: no step uses the output-size formula.
``delta[q,i,j] := dC/dz[q,i,j]``.  Derivations: dC/dw, dC/db, dC/dx (as a constrained sum and
with the zero-inserted ``dhat``) and, for s = d = 1, dC/dx as the full convolution of the padded
delta with the 180-degree rotated kernel.

Source: Goodfellow, Bengio & Courville, *Deep Learning*, sec. 9.5, eqs 9.11-9.13 (no padding,
dilation or bias there); Dumoulin & Visin (2016) for padding and dilation arithmetic.
"""

from __future__ import annotations

import types
from dataclasses import dataclass, field

import sympy as sp

from .algebra import (
    Definition, Diff, Div, Eq, Range, Tensor, Term, TermSum, ivar, size,
)
from .rules import (
    ChainRule, DropBracket, Fold, Linearity, Rearrange, Reindex, Rule, SumOut, Substitute,
    TensorDerivative, Unfold,
)

# sizes
H, W = size("H"), size("W")
KH, KW = size("k_h"), size("k_w")
S, D = size("s"), size("d")
P = size("p", nonnegative=True)
CIN, COUT = size("C_in"), size("C_out")
HOUT, WOUT = size("H_out"), size("W_out")
SIZES = (H, W, KH, KW, S, P, D, CIN, COUT, HOUT, WOUT)

# index variables (0-based)
q, c, i, j, m, n, u, v = (ivar(x) for x in "q c i j m n u v".split())
U, V = ivar("U"), ivar("V")

SHAPES = {
    "x": (CIN, H, W),
    "w": (COUT, CIN, KH, KW),
    "b": (COUT,),
    "delta": (COUT, HOUT, WOUT),
    "z": (COUT, HOUT, WOUT),
    # the transposed convolution: input (C_in, H, W) spread over the output (C_out, H_out, W_out)
    "xt": (CIN, H, W),
    "wt": (CIN, COUT, KH, KW),
    "dt": (COUT, HOUT, WOUT),
    "zt": (COUT, HOUT, WOUT),
}
PRIMITIVES = ("x", "w", "b", "xt", "wt")


def _defs() -> dict:
    z = Definition("z", (q, i, j), TermSum((
        Term(1, ((c, 0, CIN), (m, 0, KH), (n, 0, KW)), (),
             (Tensor("w", (q, c, m, n)), Tensor("xp", (c, S * i + D * m, S * j + D * n)))),
        Term(1, (), (), (Tensor("b", (q,)),)),
    )), "forward cross-correlation with stride, dilation, padding and bias")
    xp = Definition("xp", (c, U, V), TermSum((
        Term(1, ((u, 0, H), (v, 0, W)), (Eq(U, u + P), Eq(V, v + P)), (Tensor("x", (c, u, v)),)),
    )), "zero-padded input")
    dhat = Definition("dhat", (q, U, V), TermSum((
        Term(1, ((i, 0, HOUT), (j, 0, WOUT)), (Eq(U, S * i), Eq(V, S * j)),
             (Tensor("delta", (q, i, j)),)),
    )), "zero-inserted delta")
    d0 = Definition("d0", (q, U, V), TermSum((
        Term(1, ((i, 0, HOUT), (j, 0, WOUT)), (Eq(U, i), Eq(V, j)), (Tensor("delta", (q, i, j)),)),
    )), "delta extended by zeros")
    wrot = Definition("wrot", (q, c, m, n), TermSum((
        Term(1, (), (), (Tensor("w", (q, c, KH - 1 - m, KW - 1 - n)),)),
    )), "kernel rotated by 180 degrees")
    full = Definition("full", (q, c, U, V), TermSum((
        Term(1, ((m, 0, KH), (n, 0, KW)), (),
             (Tensor("wrot", (q, c, m, n)), Tensor("d0", (q, U + m + 1 - KH, V + n + 1 - KW)))),
    )), "full cross-correlation of the delta of output channel q with the rotated kernel "
        "(every overlap: the delta extended by zeros)")
    crop = Definition("crop", (q, c, u, v), TermSum((
        Term(1, (), (), (Tensor("full", (q, c, u + P, v + P)),)),
    )), "the full cross-correlation cropped by the padding")
    # transposed convolution (PyTorch ConvTranspose2d): input position (u, v) reaches output
    # (s*u + d*m - p, s*v + d*n - p) through tap (m, n); the kernel is indexed [c_in, c_out, m, n]
    zt = Definition("zt", (q, i, j), TermSum((
        Term(1, ((c, 0, CIN), (u, 0, H), (v, 0, W), (m, 0, KH), (n, 0, KW)),
             (Eq(i, S * u + D * m - P), Eq(j, S * v + D * n - P)),
             (Tensor("wt", (c, q, m, n)), Tensor("xt", (c, u, v)))),
    )), "forward transposed convolution with stride, dilation and padding (a bias, "
        "which adds to every output of its channel, changes neither gradient derived here)")
    return {dd.name: dd for dd in (z, xp, dhat, d0, wrot, full, crop, zt)}


DEFS = _defs()


@dataclass
class Step:
    """One proof line: the rule(s) applied, the expression after, the conditions checked."""

    rule: str
    identity: str
    expr: TermSum
    conditions: list
    count: int = 1


@dataclass
class Derivation:
    """A chain of rule applications starting from ``start``; ``free`` are (var, size) domains."""

    key: str
    title: str
    target: Tensor
    free: tuple
    start: TermSum
    start_note: str
    hypotheses: tuple = ()
    family: str = "conv"
    """``"conv"`` (the layer z) or ``"transposed"`` (the transposed convolution zt): which
    forward pass the derivation differentiates and its concrete check builds."""
    steps: list = field(default_factory=list)
    applications: list = field(default_factory=list)

    @property
    def expr(self) -> TermSum:
        return self.steps[-1].expr if self.steps else self.start

    def run(self, rule: Rule, calls: list):
        """Apply ``rule`` once per keyword-dict in ``calls``; record one proof line."""
        expr = self.expr
        conds = []
        for kw in calls:
            # plain functions are evaluated lazily on the current expression (bracket finders)
            kw = {k: (v(expr) if isinstance(v, types.FunctionType) else v) for k, v in kw.items()}
            before = expr
            expr, cs = rule.apply(expr, **kw)
            self.applications.append((rule.name, before, expr, cs))
            for cnd in cs:
                if cnd not in conds:
                    conds.append(cnd)
        self.steps.append(Step(rule.name, rule.identity(), expr, conds, len(calls)))
        return expr

    @property
    def result(self) -> TermSum:
        return self.expr


def _hyps(free: tuple) -> tuple:
    return tuple(Range(var, sp.Integer(0), n) for var, n in free)


def _find_bracket(t: Term, pred) -> int:
    for k, b in enumerate(t.brackets):
        if pred(b):
            return k
    raise LookupError("bracket not found")


def _drop_hyps(der: Derivation, dropper: DropBracket):
    calls = []
    expr = der.expr
    hyps = der.hypotheses
    # indices shift after each drop: compute lazily
    for k, t in enumerate(expr.terms):
        n_hyp = sum(1 for b in t.brackets if any(h.canon() == b.canon() for h in hyps))
        for _ in range(n_hyp):
            calls.append({"k": k, "bracket": (lambda e, k=k: _find_bracket(
                e.terms[k], lambda b: any(h.canon() == b.canon() for h in hyps))),
                "hypotheses": hyps})
    if calls:
        der.run(dropper, calls)


def _sum_out_eqs(der: Derivation, rule: SumOut, vars_):
    calls = [{"k": 0, "v": var, "bracket": (lambda e, var=var: _find_bracket(
        e.terms[0], lambda b: isinstance(b, Eq) and b.lhs == var))} for var in vars_]
    der.run(rule, calls)


@dataclass
class Toolkit:
    """The rule instances used by the derivations (subclass or replace them to mutate)."""

    chain: ChainRule
    linear: Linearity
    tder: TensorDerivative
    sumout: SumOut
    subst: Substitute
    drop: DropBracket
    unfold: Unfold
    fold: Fold
    reindex: Reindex
    rearrange: Rearrange


def toolkit(defs: dict = DEFS, via: str = "z", delta: str = "delta", **override) -> Toolkit:
    kit = dict(
        chain=ChainRule("C", via, delta, SHAPES[via], defs), linear=Linearity(),
        tder=TensorDerivative(defs), sumout=SumOut(), subst=Substitute(), drop=DropBracket(),
        unfold=Unfold(defs), fold=Fold(defs), reindex=Reindex(), rearrange=Rearrange(),
    )
    kit.update(override)
    return Toolkit(**kit)


def _goal(target: Tensor) -> TermSum:
    return TermSum((Term(1, (), (), (Diff(Tensor("C", ()), target),)),))


def derive_dw(kit: Toolkit) -> Derivation:
    q1 = ivar("q'")
    target = Tensor("w", (q, c, m, n))
    free = ((q, COUT), (c, CIN), (m, KH), (n, KW))
    der = Derivation("dw", "Gradient with respect to the kernel", target, free, _goal(target),
                     "goal", _hyps(free))
    der.run(kit.chain, [{"vars_": (q1, i, j)}])
    der.run(kit.unfold, [{"k": 0, "f": 1}])
    der.run(kit.linear, [{"k": 0, "f": 1}])
    der.run(kit.tder, [{}])
    c1, m1, n1 = ivar("c'"), ivar("m'"), ivar("n'")
    _sum_out_eqs(der, kit.sumout, (q1, c1, m1, n1))
    _drop_hyps(der, kit.drop)
    return der


def derive_db(kit: Toolkit) -> Derivation:
    q1 = ivar("q'")
    target = Tensor("b", (q,))
    free = ((q, COUT),)
    der = Derivation("db", "Gradient with respect to the bias", target, free, _goal(target),
                     "goal", _hyps(free))
    der.run(kit.chain, [{"vars_": (q1, i, j)}])
    der.run(kit.unfold, [{"k": 0, "f": 1}])
    der.run(kit.linear, [{"k": 0, "f": 1}])
    der.run(kit.tder, [{}])
    _sum_out_eqs(der, kit.sumout, (q1,))
    _drop_hyps(der, kit.drop)
    return der


def derive_dx(kit: Toolkit) -> Derivation:
    target = Tensor("x", (c, u, v))
    free = ((c, CIN), (u, H), (v, W))
    der = Derivation("dx", "Gradient with respect to the input", target, free, _goal(target),
                     "goal", _hyps(free))
    der.run(kit.chain, [{"vars_": (q, i, j)}])
    der.run(kit.unfold, [{"k": 0, "f": 1}])
    der.run(kit.linear, [{"k": 0, "f": 1}])
    der.run(kit.tder, [{}])
    # the surviving term is delta * w * d xp / d x
    der.run(kit.unfold, [{"k": 0, "f": 2}])
    der.run(kit.linear, [{"k": 0, "f": 2}])
    der.run(kit.tder, [{}])
    c1, u1, v1 = ivar("c'"), ivar("u'"), ivar("v'")
    _sum_out_eqs(der, kit.sumout, (c1, u1, v1))
    _drop_hyps(der, kit.drop)
    return der


def derive_dx_hat(kit: Toolkit, dx: Derivation) -> Derivation:
    free = dx.free
    der = Derivation("dxhat", "Gradient with respect to the input, via the zero-inserted delta",
                     dx.target, free, dx.result, "result of the input-gradient derivation",
                     _hyps(free))
    t = der.expr.terms[0]
    k0 = _find_bracket(t, lambda b: isinstance(b, Eq) and i in b.lhs.free_symbols | b.rhs.free_symbols)
    k1 = _find_bracket(t, lambda b: isinstance(b, Eq) and j in b.lhs.free_symbols | b.rhs.free_symbols)
    der.run(kit.rearrange, [
        {"k": 0, "bracket": k0, "lhs": u + P - D * m, "rhs": S * i},
        {"k": 0, "bracket": k1, "lhs": v + P - D * n, "rhs": S * j},
    ])
    der.run(kit.fold, [{"k": 0, "name": "dhat", "args": (q, u + P - D * m, v + P - D * n),
                        "absorb": (i, j)}])
    return der


def derive_dx_full(kit: Toolkit, dx: Derivation) -> Derivation:
    free = dx.free
    hyps = _hyps(free) + (Eq(S, 1), Eq(D, 1))
    der = Derivation("dxfull", "Stride 1, dilation 1: full cross-correlation with the rotated kernel, cropped",
                     dx.target, free, dx.result, "result of the input-gradient derivation", hyps)
    der.run(kit.subst, [{"k": None, "v": S, "e": 1, "hypotheses": hyps},
                        {"k": None, "v": D, "e": 1, "hypotheses": hyps}])
    t = der.expr.terms[0]
    k0 = _find_bracket(t, lambda b: isinstance(b, Eq) and i in b.lhs.free_symbols | b.rhs.free_symbols)
    k1 = _find_bracket(t, lambda b: isinstance(b, Eq) and j in b.lhs.free_symbols | b.rhs.free_symbols)
    der.run(kit.rearrange, [
        {"k": 0, "bracket": k0, "lhs": u + P - m, "rhs": i},
        {"k": 0, "bracket": k1, "lhs": v + P - n, "rhs": j},
    ])
    der.run(kit.fold, [{"k": 0, "name": "d0", "args": (q, u + P - m, v + P - n), "absorb": (i, j)}])
    m1, n1 = ivar("m'"), ivar("n'")
    der.run(kit.reindex, [{"k": 0, "v": m, "new": m1, "sigma": -1, "shift": KH - 1},
                          {"k": 0, "v": n, "new": n1, "sigma": -1, "shift": KW - 1}])
    der.run(kit.fold, [{"k": 0, "name": "wrot", "args": (q, c, m1, n1), "absorb": ()}])
    der.run(kit.fold, [{"k": 0, "name": "full", "args": (q, c, u + P, v + P), "absorb": (m1, n1)}])
    der.run(kit.fold, [{"k": 0, "name": "crop", "args": (q, c, u, v), "absorb": ()}])
    return der


def derive_dx_solved(kit: Toolkit, dx: Derivation) -> Derivation:
    """Sum out the output position: the stride enters as a divisibility bracket."""
    free = dx.free
    der = Derivation("dxsolved", "Gradient with respect to the input, output position solved",
                     dx.target, free, dx.result, "result of the input-gradient derivation",
                     _hyps(free))
    der.run(kit.sumout, [
        {"k": 0, "v": i, "bracket": (lambda e: _find_bracket(
            e.terms[0], lambda b: isinstance(b, Eq) and i in b.lhs.free_symbols))},
        {"k": 0, "v": j, "bracket": (lambda e: _find_bracket(
            e.terms[0], lambda b: isinstance(b, Eq) and j in b.lhs.free_symbols))},
    ])
    return der


def derive_dwt(kit: Toolkit) -> Derivation:
    """The transposed convolution's kernel gradient: the roles of input and δ swapped, a
    correlation of δ with the input spread by the stride."""
    q1, c1, m1, n1 = ivar("q'"), ivar("c'"), ivar("m'"), ivar("n'")
    target = Tensor("wt", (c, q, m, n))
    free = ((c, CIN), (q, COUT), (m, KH), (n, KW))
    der = Derivation("dwt", "Transposed convolution: gradient with respect to the kernel", target, free,
                     _goal(target), "goal", _hyps(free), family="transposed")
    der.run(kit.chain, [{"vars_": (q1, i, j)}])
    der.run(kit.unfold, [{"k": 0, "f": 1}])
    der.run(kit.linear, [{"k": 0, "f": 1}])
    der.run(kit.tder, [{}])
    _sum_out_eqs(der, kit.sumout, (q1, c1, m1, n1))
    _drop_hyps(der, kit.drop)
    _sum_out_eqs(der, kit.sumout, (i, j))
    return der


def derive_dxt(kit: Toolkit) -> Derivation:
    """The transposed convolution's input gradient: an ordinary (strided, dilated)
    cross-correlation of δ with the kernel."""
    c1, u1, v1 = ivar("c'"), ivar("u'"), ivar("v'")
    target = Tensor("xt", (c, u, v))
    free = ((c, CIN), (u, H), (v, W))
    der = Derivation("dxt", "Transposed convolution: gradient with respect to the input", target, free,
                     _goal(target), "goal", _hyps(free), family="transposed")
    der.run(kit.chain, [{"vars_": (q, i, j)}])
    der.run(kit.unfold, [{"k": 0, "f": 1}])
    der.run(kit.linear, [{"k": 0, "f": 1}])
    der.run(kit.tder, [{}])
    _sum_out_eqs(der, kit.sumout, (c1, u1, v1))
    _drop_hyps(der, kit.drop)
    _sum_out_eqs(der, kit.sumout, (i, j))
    return der


@dataclass
class GeneralProof:
    """The general proof: definitions, rules used, and the derivations (0-based internally).

    ``notation`` is ``"seed"`` or ``"goodfellow"``; it only affects rendering.
    """

    notation: str
    defs: dict
    derivations: list
    rules: list

    def derivation(self, key: str) -> Derivation:
        for der in self.derivations:
            if der.key == key:
                return der
        raise KeyError(key)


def build_derivations(kit: Toolkit | None = None, kit_t: Toolkit | None = None) -> list:
    """Every derivation: the convolution's (``kit``) then the transposed convolution's
    (``kit_t``, whose chain rule goes through ``zt`` and ``dt``)."""
    kit = kit or toolkit()
    kit_t = kit_t or toolkit(via="zt", delta="dt")
    dw, db, dx = derive_dw(kit), derive_db(kit), derive_dx(kit)
    return [dw, db, dx, derive_dx_solved(kit, dx), derive_dx_hat(kit, dx), derive_dx_full(kit, dx),
            derive_dwt(kit_t), derive_dxt(kit_t)]


def rules_used(derivations) -> list:
    from .rules import RULES
    names = []
    for der in derivations:
        for st in der.steps:
            if st.rule not in names:
                names.append(st.rule)
    return [(r.name, r.identity()) for r in RULES if r.name in names]


def expected_results() -> dict:
    """The final forms stated in the issue, built directly (for comparison by canonical form)."""
    return {
        "dw": TermSum((Term(1, ((i, 0, HOUT), (j, 0, WOUT)), (),
                            (Tensor("delta", (q, i, j)), Tensor("xp", (c, S * i + D * m, S * j + D * n)))),)),
        "db": TermSum((Term(1, ((i, 0, HOUT), (j, 0, WOUT)), (), (Tensor("delta", (q, i, j)),)),)),
        "dx": TermSum((Term(1, ((q, 0, COUT), (i, 0, HOUT), (j, 0, WOUT), (m, 0, KH), (n, 0, KW)),
                            (Eq(S * i + D * m, u + P), Eq(S * j + D * n, v + P)),
                            (Tensor("delta", (q, i, j)), Tensor("w", (q, c, m, n)))),)),
        "dxsolved": TermSum((Term(1, ((q, 0, COUT), (m, 0, KH), (n, 0, KW)),
                                  (Div(S, u + P - D * m), Range((u + P - D * m) / S, 0, HOUT),
                                   Div(S, v + P - D * n), Range((v + P - D * n) / S, 0, WOUT)),
                                  (Tensor("delta", (q, (u + P - D * m) / S, (v + P - D * n) / S)),
                                   Tensor("w", (q, c, m, n)))),)),
        "dxhat": TermSum((Term(1, ((q, 0, COUT), (m, 0, KH), (n, 0, KW)), (),
                               (Tensor("w", (q, c, m, n)), Tensor("dhat", (q, u + P - D * m, v + P - D * n)))),)),
        "dxfull": TermSum((Term(1, ((q, 0, COUT),), (), (Tensor("crop", (q, c, u, v)),)),)),
        "dwt": TermSum((Term(1, ((u, 0, H), (v, 0, W)),
                             (Range(S * u + D * m - P, 0, HOUT), Range(S * v + D * n - P, 0, WOUT)),
                             (Tensor("dt", (q, S * u + D * m - P, S * v + D * n - P)), Tensor("xt", (c, u, v)))),)),
        "dxt": TermSum((Term(1, ((q, 0, COUT), (m, 0, KH), (n, 0, KW)),
                             (Range(S * u + D * m - P, 0, HOUT), Range(S * v + D * n - P, 0, WOUT)),
                             (Tensor("dt", (q, S * u + D * m - P, S * v + D * n - P)), Tensor("wt", (c, q, m, n)))),)),
    }

