"""The final forms, Goodfellow's eqs 9.11/9.13, and the seed derivation's sums."""

import itertools

import pytest
import sympy as sp

from symconv.general import prove_general
from symconv.general.algebra import EvalContext, Tensor, canon_sum, evaluate
from symconv.general.check import out_size
from symconv.general.derivations import (
    CIN, COUT, D, DEFS, H, HOUT, KH, KW, P, S, SIZES, W, WOUT, expected_results,
)


@pytest.fixture(scope="module")
def proof():
    return prove_general("seed")


def test_final_forms_match_the_issue(proof):
    exp = expected_results()
    keys = [d.key for d in proof.derivations]
    assert keys == ["dw", "db", "dx", "dxsolved", "dxhat", "dxfull", "dwt", "dxt"]
    for der in proof.derivations:
        assert canon_sum(der.result) == canon_sum(exp[der.key]), der.key


def test_all_sizes_stay_free_and_output_size_formula_unused(proof):
    for der in proof.derivations:
        for _, before, after, _ in der.applications:
            for e in (before, after):
                assert "floor" not in repr(e)
        # H_out, W_out appear only as the chain-rule box bounds (never derived from H, k, s, p, d)
        for t in der.result.terms:
            for v, lo, hi in t.box:
                assert not (hi.free_symbols & {HOUT, WOUT}) or hi in (HOUT, WOUT)


def test_wrong_expected_form_is_detected(proof):
    exp = expected_results()
    wrong = exp["dx"].sub({P: P + 1})
    assert canon_sum(proof.derivation("dx").result) != canon_sum(wrong)


def _sizes(Hh, Ww, kh, kw, s, p, d, cin, cout):
    return {H: Hh, W: Ww, KH: kh, KW: kw, S: s, P: p, D: d, CIN: cin, COUT: cout,
            HOUT: out_size(Hh, kh, s, p, d), WOUT: out_size(Ww, kw, s, p, d)}


def _ctx(sizes, X, Wt, G, B=None):
    def value(name, idx):
        return {"x": X, "w": Wt, "delta": G, "b": B}[name][idx]
    shapes = {"x": (sizes[CIN], sizes[H], sizes[W]), "w": (sizes[COUT], sizes[CIN], sizes[KH], sizes[KW]),
              "delta": (sizes[COUT], sizes[HOUT], sizes[WOUT])}
    return EvalContext(sizes=sizes, defs=DEFS, value=value, domains=shapes)


def _grid(*shape):
    return list(itertools.product(*[range(n) for n in shape]))


GOODFELLOW_CASES = [  # (H, W, kh, kw, s, cin, cout) with p = 0, d = 1
    (4, 5, 2, 3, 1, 1, 2), (5, 5, 2, 2, 2, 2, 1), (5, 4, 3, 2, 2, 1, 1), (6, 5, 2, 3, 3, 2, 2),
]


@pytest.mark.parametrize("case", GOODFELLOW_CASES)
def test_goodfellow_9_11_and_9_13_equal_ours(proof, case):
    Hh, Ww, kh, kw, s, cin, cout = case
    sizes = _sizes(Hh, Ww, kh, kw, s, 0, 1, cin, cout)
    ho, wo = sizes[HOUT], sizes[WOUT]
    # Goodfellow's tensors, 1-based: V_{l,a,b}, K_{i,l,m,n}, G_{i,j,k}
    V = {(l, a, b): sp.Symbol(f"V_{l}_{a}_{b}") for l in range(1, cin + 1)
         for a in range(1, Hh + 1) for b in range(1, Ww + 1)}
    K = {(i, l, m, n): sp.Symbol(f"K_{i}_{l}_{m}_{n}") for i in range(1, cout + 1)
         for l in range(1, cin + 1) for m in range(1, kh + 1) for n in range(1, kw + 1)}
    G = {(i, j, k): sp.Symbol(f"G_{i}_{j}_{k}") for i in range(1, cout + 1)
         for j in range(1, ho + 1) for k in range(1, wo + 1)}
    # eq 9.11: g(G,V,s)_{i,j,k,l} = sum_{m,n} G_{i,m,n} V_{j,(m-1)s+k,(n-1)s+l}
    def g(i, j, k, l):
        return sp.Add(*[G[i, m, n] * V[j, (m - 1) * s + k, (n - 1) * s + l]
                        for m in range(1, ho + 1) for n in range(1, wo + 1)])
    # eq 9.13: h(K,G,s)_{i,j,k} = sum_{l,m: (l-1)s+m=j} sum_{n,p: (n-1)s+p=k} sum_q K_{q,i,m,p} G_{q,l,n}
    def h(i, j, k):
        acc = []
        for l in range(1, ho + 1):
            for m in range(1, kh + 1):
                if (l - 1) * s + m != j:
                    continue
                for n in range(1, wo + 1):
                    for p in range(1, kw + 1):
                        if (n - 1) * s + p != k:
                            continue
                        for q in range(1, cout + 1):
                            acc.append(K[q, i, m, p] * G[q, l, n])
        return sp.Add(*acc)
    X = {(c, u, v): V[c + 1, u + 1, v + 1] for c, u, v in _grid(cin, Hh, Ww)}
    Wt = {(o, c, m, n): K[o + 1, c + 1, m + 1, n + 1] for o, c, m, n in _grid(cout, cin, kh, kw)}
    D0 = {(o, i, j): G[o + 1, i + 1, j + 1] for o, i, j in _grid(cout, ho, wo)}
    ctx = _ctx(sizes, X, Wt, D0)
    dw = proof.derivation("dw")
    for idx in _grid(cout, cin, kh, kw):
        ours = evaluate(dw.result, dict(zip(dw.target.idx, idx)), ctx)
        assert sp.expand(ours - g(*[a + 1 for a in idx])) == 0
    for key in ("dx", "dxsolved", "dxhat"):
        der = proof.derivation(key)
        for idx in _grid(cin, Hh, Ww):
            ours = evaluate(der.result, dict(zip(der.target.idx, idx)), ctx)
            assert sp.expand(ours - h(*[a + 1 for a in idx])) == 0, (key, idx)


def test_seed_derivation_sums(proof):
    """3x3 input i_1..i_9, 2x2 kernel w_1..w_4, stride 1, no padding, one channel."""
    sizes = _sizes(3, 3, 2, 2, 1, 0, 1, 1, 1)
    I = {k: sp.Symbol(f"i_{k}") for k in range(1, 10)}
    Wk = {k: sp.Symbol(f"w_{k}") for k in range(1, 5)}
    dl = {k: sp.Symbol(f"delta_{k}") for k in range(1, 5)}
    X = {(0, u, v): I[3 * u + v + 1] for u in range(3) for v in range(3)}
    Wt = {(0, 0, m, n): Wk[2 * m + n + 1] for m in range(2) for n in range(2)}
    D0 = {(0, a, b): dl[2 * a + b + 1] for a in range(2) for b in range(2)}
    ctx = _ctx(sizes, X, Wt, D0)
    dw, dx = proof.derivation("dw"), proof.derivation("dx")
    got_w1 = evaluate(dw.result, dict(zip(dw.target.idx, (0, 0, 0, 0))), ctx)
    # exactly the seed's sums (same sympy expression, not merely equal after expand)
    assert got_w1 == dl[1] * I[1] + dl[2] * I[2] + dl[3] * I[4] + dl[4] * I[5]
    got_i5 = evaluate(dx.result, dict(zip(dx.target.idx, (0, 1, 1))), ctx)
    assert got_i5 == dl[1] * Wk[4] + dl[2] * Wk[3] + dl[3] * Wk[2] + dl[4] * Wk[1]
    for key in ("dxsolved", "dxhat", "dxfull"):
        der = proof.derivation(key)
        assert evaluate(der.result, dict(zip(der.target.idx, (0, 1, 1))), ctx) == got_i5, key
    # every element, against the seed network built independently: o_k = sum w * i, C' = sum delta_k o_k
    o = {}
    for a in range(2):
        for b in range(2):
            o[2 * a + b + 1] = sp.Add(*[Wk[2 * m + n + 1] * I[3 * (a + m) + (b + n) + 1]
                                        for m in range(2) for n in range(2)])
    cost = sp.Add(*[dl[k] * o[k] for k in o])
    for key in ("dx", "dxsolved", "dxhat", "dxfull"):
        der = proof.derivation(key)
        for u in range(3):
            for v in range(3):
                got = evaluate(der.result, dict(zip(der.target.idx, (0, u, v))), ctx)
                assert sp.expand(got - sp.diff(cost, I[3 * u + v + 1])) == 0, (key, u, v)
    for m in range(2):
        for n in range(2):
            got = evaluate(dw.result, dict(zip(dw.target.idx, (0, 0, m, n))), ctx)
            assert sp.expand(got - sp.diff(cost, Wk[2 * m + n + 1])) == 0
    db = proof.derivation("db")
    assert evaluate(db.result, {db.target.idx[0]: 0}, ctx) == sum(dl.values())


def test_sizes_are_symbols():
    assert all(s.is_integer and s.is_Symbol for s in SIZES)
    assert Tensor("x", (0,)).idx == (0,)


def test_rules_are_documented_and_applications_recorded(proof):
    from symconv.general.rules import RULES
    for r in RULES:
        doc = r.__doc__.strip()
        assert len(doc.splitlines()) == 1 and "=" in doc, r
        assert r.latex and r.side_conditions and r.name
    for der in proof.derivations:
        assert der.applications, der.key
        assert sum(st.count for st in der.steps) == len(der.applications)
        for name, before, after, conds in der.applications:
            assert name in {r.name for r in RULES}
            assert before is not after and conds
        # consecutive applications chain
        for (_, _, a1, _), (_, b2, _, _) in zip(der.applications, der.applications[1:]):
            assert a1 is b2


def test_refused_rule_message_names_rule_and_condition():
    from symconv.general.rules import RuleRefused, SumOut
    from symconv.general.algebra import Eq, Term, TermSum, Tensor
    from symconv.general.derivations import i, u
    t = Term(1, ((i, 0, HOUT),), (Eq((S - D) * i, u),), (Tensor("delta", (0, i, 0)),))
    with pytest.raises(RuleRefused) as ei:
        SumOut().apply(TermSum((t,)), 0, i)
    assert str(ei.value).startswith("sum out refused: the coefficient")
    assert ei.value.rule == "sum out"
