"""The link to concrete sizes: every step of every derivation against ``sympy.diff``.

For each seeded configuration (H, W, k_h, k_w, s, p, d, C_in, C_out) the concrete cost is built
independently of the index algebra, by direct loops (0-based, zero padding, H_out and W_out from
the usual floor formula), in two versions:

* a generic linear cost ``C = sum_t g_t z_t`` with one free symbol per output (comparisons are
  exact polynomial identities in the symbols of x, w, b and g);
* a coupled nonlinear cost ``C = (sum_t a_t z_t)^3 + sum_t b_t z_t^2`` at random exact rationals.

Every recorded rule application of every derivation is evaluated by brute force
(:func:`symconv.general.algebra.evaluate`) at every element of w, b and x and compared with
``sympy.diff`` of the concrete cost.  The s = d = 1 derivation is checked on the configurations
where s = d = 1. The transposed convolution's derivations (``family = "transposed"``) are
checked the same way against a concrete transposed convolution built by direct loops (every
input element spread over the output), with ``H_out``, ``W_out`` from PyTorch's
``ConvTranspose2d`` size formula and an ``output_padding`` below ``max(s, d)``.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

import sympy as sp

from .algebra import EvalContext, evaluate
from .derivations import (
    CIN, COUT, D, DEFS, H, HOUT, KH, KW, P, S, W, WOUT, build_derivations,
)

__all__ = ["CheckReport", "make_configs", "check_general", "run_check", "out_size"]


@dataclass
class CheckReport:
    """Outcome of :func:`check_general`: ``passed``, ``n_configs``, ``failures`` (strings)."""

    passed: bool
    n_configs: int
    failures: list
    configs: list = field(default_factory=list)
    n_comparisons: int = 0
    seconds: float = 0.0
    per_derivation: dict = field(default_factory=dict)

    def summary(self) -> str:
        rem = sum(1 for cf in self.configs if remainder_nonzero(cf))
        dil = sum(1 for cf in self.configs if cf["d"] == 2 and max(cf["kh"], cf["kw"]) >= 2)
        ss = sorted({cf["s"] for cf in self.configs})
        dd = sorted({cf["d"] for cf in self.configs})
        pp = sorted({cf["p"] for cf in self.configs})
        verdict = "PASSED" if self.passed else f"FAILED ({len(self.failures)} failures)"
        return (
            f"General-proof check {verdict}: {self.n_comparisons} exact comparisons of every "
            f"rule application of every derivation with sympy.diff of independently built "
            f"concrete costs (a generic linear cost, exact polynomial identity, and a coupled "
            f"nonlinear cost at exact rationals), at every element of w, b and x, on "
            f"{self.n_configs} seeded configurations with s in {ss}, d in {dd}, p in {pp}; "
            f"{rem} with (H + 2p - d(k - 1) - 1) mod s != 0, {dil} with d = 2 and a kernel "
            f"side >= 2; {self.seconds:.1f} s."
        )


def out_size(n: int, k: int, s: int, p: int, d: int) -> int:
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def transposed_size(n: int, k: int, s: int, p: int, d: int, extra: int) -> int:
    """Output length of a transposed convolution: ``(n − 1)s − 2p + d(k − 1) + extra + 1``
    (PyTorch ``ConvTranspose2d``, ``extra`` its ``output_padding``)."""
    return (n - 1) * s - 2 * p + d * (k - 1) + extra + 1


def output_padding(cf: dict) -> int:
    """The transposed layer's ``output_padding`` of a configuration: any value below
    ``max(s, d)`` is valid (PyTorch); cycled with the kernel height."""
    return cf["kh"] % max(cf["s"], cf["d"])


def remainder_nonzero(cf: dict) -> bool:
    return any((n + 2 * cf["p"] - cf["d"] * (k - 1) - 1) % cf["s"] != 0
               for n, k in ((cf["H"], cf["kh"]), (cf["W"], cf["kw"])))


def make_configs(n_configs: int, seed: int = 0) -> list:
    """Seeded configurations, stratified over s in {1,2,3}, d in {1,2}, p in {0,1,2}."""
    if not isinstance(n_configs, int) or isinstance(n_configs, bool) or n_configs < 1:
        raise ValueError(f"n_configs must be a positive integer, got {n_configs!r}")
    out = []
    for t in range(n_configs):
        rng = random.Random(seed * 1_000_003 + t)
        s = (1, 2, 3)[t % 3]
        d = (1, 2)[(t // 3) % 2]
        p = (0, 1, 2)[(t // 6 + t) % 3]
        while True:
            kh, kw = rng.randint(1, 3), rng.randint(1, 3)
            if t % 4 != 3 and kh == kw:
                continue
            Hh, Ww = rng.randint(1, 5), rng.randint(1, 5)
            if out_size(Hh, kh, s, p, d) >= 1 and out_size(Ww, kw, s, p, d) >= 1:
                break
        out.append(dict(H=Hh, W=Ww, kh=kh, kw=kw, s=s, p=p, d=d,
                        cin=rng.randint(1, 2), cout=rng.randint(1, 2)))
    return out


def _sizes(cf: dict, family: str = "conv") -> dict:
    if family == "transposed":
        extra = output_padding(cf)
        hout = transposed_size(cf["H"], cf["kh"], cf["s"], cf["p"], cf["d"], extra)
        wout = transposed_size(cf["W"], cf["kw"], cf["s"], cf["p"], cf["d"], extra)
    else:
        hout = out_size(cf["H"], cf["kh"], cf["s"], cf["p"], cf["d"])
        wout = out_size(cf["W"], cf["kw"], cf["s"], cf["p"], cf["d"])
    return {H: cf["H"], W: cf["W"], KH: cf["kh"], KW: cf["kw"], S: cf["s"], P: cf["p"],
            D: cf["d"], CIN: cf["cin"], COUT: cf["cout"], HOUT: hout, WOUT: wout}


def _grid(*shape):
    if not shape:
        return [()]
    return [(a,) + rest for a in range(shape[0]) for rest in _grid(*shape[1:])]


class _Concrete:
    """The concrete network and costs, built by direct loops (independent of the algebra)."""

    def __init__(self, cf: dict, rng: random.Random, family: str = "conv"):
        self.cf, self.family = cf, family
        cin, cout, Hh, Ww, kh, kw = cf["cin"], cf["cout"], cf["H"], cf["W"], cf["kh"], cf["kw"]
        s, p, d = cf["s"], cf["p"], cf["d"]
        sizes = _sizes(cf, family)
        self.hout, self.wout = sizes[HOUT], sizes[WOUT]
        transposed = family == "transposed"  # no bias: it changes neither derived gradient
        x, w, b, self.delta = ("xt", "wt", None, "dt") if transposed else ("x", "w", "b", "delta")
        self.names = (x, w) if transposed else (x, w, b)
        kernel = (cin, cout, kh, kw) if transposed else (cout, cin, kh, kw)
        self.shapes = {x: (cin, Hh, Ww), w: kernel, self.delta: (cout, self.hout, self.wout)}
        if not transposed:
            self.shapes[b] = (cout,)
        self.sym = {nm: {ix: sp.Symbol(f"{nm}_{'_'.join(map(str, ix))}") for ix in _grid(*sh)}
                    for nm, sh in self.shapes.items() if nm != self.delta}
        X, Wt = self.sym[x], self.sym[w]
        z = {t: sp.Integer(0) if transposed else self.sym[b][(t[0],)] for t in _grid(cout, self.hout, self.wout)}
        if transposed:  # every input element spreads over the output, by direct loops
            for c, uu, vv, o, m, n in _grid(cin, Hh, Ww, cout, kh, kw):
                i, j = s * uu + d * m - p, s * vv + d * n - p
                if 0 <= i < self.hout and 0 <= j < self.wout:
                    z[(o, i, j)] += Wt[(c, o, m, n)] * X[(c, uu, vv)]
        else:
            for o, i, j in _grid(cout, self.hout, self.wout):
                for c, m, n in _grid(cin, kh, kw):
                    uu, vv = s * i + d * m - p, s * j + d * n - p
                    if 0 <= uu < Hh and 0 <= vv < Ww:
                        z[(o, i, j)] += Wt[(o, c, m, n)] * X[(c, uu, vv)]
        self.z = z
        outs = sorted(z)
        # linear cost
        self.g = {t: sp.Symbol(f"g_{'_'.join(map(str, t))}") for t in outs}
        self.lin_cost = sp.Add(*[self.g[t] * z[t] for t in outs])
        # the monomials of the expanded linear cost, indexed by the symbols they contain:
        # d/dy of the cost is d/dy of the sum of the monomials containing y
        self._lin_terms = {}
        for mono in sp.Add.make_args(sp.expand(self.lin_cost)):
            for sy in mono.free_symbols:
                self._lin_terms.setdefault(sy, []).append(mono)
        # nonlinear cost at exact rationals
        rat = lambda: sp.Rational(rng.randint(-9, 9), rng.randint(1, 5))  # noqa: E731
        self.point = {sy: rat() for nm in self.names for sy in self.sym[nm].values()}
        a = {t: rat() for t in outs}
        bb = {t: rat() for t in outs}
        zs = {t: sp.Symbol(f"z_{'_'.join(map(str, t))}") for t in outs}
        cz = sp.Add(*[a[t] * zs[t] for t in outs]) ** 3 + sp.Add(*[bb[t] * zs[t] ** 2 for t in outs])
        self.nl_cost = cz.xreplace({zs[t]: z[t] for t in outs})
        zval = {zs[t]: z[t].xreplace(self.point) for t in outs}
        self.nl_delta = {t: sp.diff(cz, zs[t]).xreplace(zval) for t in outs}

    def truth(self, kind: str, name: str, idx: tuple):
        sy = self.sym[name][idx]
        if kind == "linear":
            return sp.expand(sp.diff(sp.Add(*self._lin_terms.get(sy, [])), sy))
        return sp.diff(self.nl_cost, sy).xreplace(self.point)

    def context(self, kind: str, defs: dict, cf: dict) -> EvalContext:
        sym = self.sym

        def symbol(name, idx):
            return sym[name][idx]

        if kind == "linear":
            def value(name, idx):
                return self.g[idx] if name == self.delta else sym[name][idx]
            point, cost = None, (lambda: self.lin_cost)
        else:
            def value(name, idx):
                return self.nl_delta[idx] if name == self.delta else self.point[sym[name][idx]]
            point, cost = self.point, (lambda: self.nl_cost)
        return EvalContext(sizes=_sizes(cf, self.family), defs=defs, value=value, symbol=symbol, point=point,
                           domains=self.shapes, cost=cost, differentiable=frozenset(self.names))


def run_check(configs: list, derivations: list | None = None, defs: dict = DEFS,
              seed: int = 0, every_application: bool = True,
              max_failures: int | None = None) -> CheckReport:
    """Check ``derivations`` (default: the real ones) on the given configurations.

    ``max_failures`` stops early (used by the mutation tests).
    """
    t0 = time.perf_counter()
    derivations = derivations if derivations is not None else build_derivations()
    failures, ncmp = [], 0
    per = {}
    for ci, cf in enumerate(configs):
        if max_failures is not None and len(failures) >= max_failures:
            break
        for family in sorted({der.family for der in derivations}):
            if family == "transposed" and min(_sizes(cf, family)[HOUT], _sizes(cf, family)[WOUT]) < 1:
                continue  # the padding leaves no output of the transposed layer at this size
            # the conv family keeps its historical seed (same concrete costs as before)
            rng = random.Random(seed * 7919 + ci + (0 if family == "conv" else 104729))
            conc = _Concrete(cf, rng, family)
            ders = [der for der in derivations if der.family == family]
            ncmp = _check_family(conc, ders, defs, cf, ci, every_application, failures, per, ncmp)
    return CheckReport(not failures, len(configs), failures, list(configs), ncmp,
                       time.perf_counter() - t0, per)


def _check_family(conc, derivations, defs, cf, ci, every_application, failures, per, ncmp) -> int:
    """Compare every rule application of ``derivations`` (one family) with ``sympy.diff`` of
    ``conc``'s costs; append failures, count comparisons per derivation; return the count."""
    for kind in ("linear", "nonlinear"):
        ctx = conc.context(kind, defs, cf)
        truth_cache = {}
        for der in derivations:
            if any(not _hyp_holds(h, ctx.sizes) for h in der.hypotheses if _is_size_hyp(h)):
                continue
            name = der.target.name
            exprs = ([(a[0], a[2]) for a in der.applications] if every_application
                     else [(st.rule, st.expr) for st in der.steps])
            bad = False
            for step_no, (rule, expr) in enumerate(exprs, 1):
                for idx in _grid(*conc.shapes[name]):
                    env = dict(zip(der.target.idx, idx))
                    key = (name, idx)
                    if key not in truth_cache:
                        truth_cache[key] = conc.truth(kind, name, idx)
                    want = truth_cache[key]
                    ncmp += 1
                    per[der.key] = per.get(der.key, 0) + 1
                    try:
                        got = evaluate(expr, env, ctx)
                        ok = sp.expand(got - want) == 0
                    except (IndexError, ValueError, ZeroDivisionError) as exc:
                        ok, got = False, f"error: {exc}"
                    if not ok:
                        failures.append(
                            f"config {ci} {cf} {kind} cost, derivation {der.key}, "
                            f"application {step_no} ({rule}), {name}{list(idx)}: "
                            f"got {_short(got)}, expected {_short(want)}")
                        bad = True
                        break
                if bad:
                    break
    return ncmp


def _short(x, n: int = 160) -> str:
    text = str(x)
    return text if len(text) <= n else text[:n] + "..."


def _is_size_hyp(h) -> bool:
    from .algebra import Eq
    return isinstance(h, Eq) and not (h.lhs.free_symbols | h.rhs.free_symbols) - set(
        (H, W, KH, KW, S, P, D, CIN, COUT, HOUT, WOUT))


def _hyp_holds(h, sizes) -> bool:
    return sp.expand((h.lhs - h.rhs).xreplace(sizes)) == 0


def check_general(n_configs: int, seed: int = 0) -> CheckReport:
    """Instantiate every step of every derivation at ``n_configs`` seeded configurations.

    The configurations (:func:`make_configs`) cycle through s in {1,2,3}, d in {1,2},
    p in {0,1,2}, mostly non-square kernels, C_in, C_out in {1,2}.  For each, the result of every
    rule application is evaluated by brute force (0-based) at every element of w, b and x and
    compared with ``sympy.diff`` of an independently built concrete cost: a generic linear cost
    (one free symbol per output; exact polynomial identity) and a coupled nonlinear cost
    (exact rationals).  Evaluation errors (a non-integer or out-of-range index) count as
    failures.

    Raises ``ValueError`` when ``n_configs`` is not a positive integer or ``seed`` not an int.
    """
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    return run_check(make_configs(n_configs, seed), seed=seed)
