"""Property tests: every rule keeps the value of >= 300 random terms at random parameters;
refusals raise RuleRefused naming the rule and the failed condition.

Random terms are drawn with a seeded ``random.Random`` (deterministic); the values are computed
by the brute-force evaluator at random integer sizes and free indices.
"""

import random

import pytest
import sympy as sp

from symconv.general.algebra import (
    Definition, Diff, Div, EvalContext, Eq, Range, Tensor, Term, TermSum, canon_term, evaluate,
    ivar, size,
)
from symconv.general.rules import (
    ChainRule, DropBracket, Fold, Linearity, Rearrange, Reindex, RuleRefused, Substitute, SumOut,
    TensorDerivative, Unfold,
)

N = 300
A, B, S = size("A"), size("B"), size("s")
P = size("p", nonnegative=True)
SIZES = (A, B, S, P)
V1, V2, V3 = ivar("v1"), ivar("v2"), ivar("v3")
F1, F2 = ivar("f1"), ivar("f2")
T0, T1 = ivar("t0"), ivar("t1")
FREE = (F1, F2)

# a defined tensor h[a] := sum_{t0 < B} [a = s*t0 + 1] f[t0] g[t0, a]; z[t1] := f[t1] g[t1, t1] + f[t1 + 1]
DEFS = {
    "h": Definition("h", (T1,), TermSum((Term(1, ((T0, 0, B),), (Eq(T1, S * T0 + 1),),
                                              (Tensor("f", (T0,)), Tensor("g", (T0, T1)))),))),
    "z": Definition("z", (T1,), TermSum((
        Term(1, (), (), (Tensor("f", (T1,)), Tensor("g", (T1, T1)))),
        Term(2, (), (), (Tensor("f", (T1 + 1,)),)),
    ))),
}


def _val(name, idx):
    h = 7 if name == "f" else 13
    for k, x in enumerate(idx):
        h = (h * 31 + (k + 3) * x) % 101
    return sp.Integer(h - 50)


def _sym(name, idx):
    return sp.Symbol(f"{name}_" + "_".join(str(x).replace("-", "m") for x in idx))


class Point(dict):
    """symbol -> value for any tensor element (built on demand)."""

    def __missing__(self, key):
        raise KeyError(key)


def make_ctx(rng, cost_coeffs=None):
    sizes = {A: rng.randint(1, 4), B: rng.randint(1, 4), S: rng.randint(1, 3), P: rng.randint(0, 2)}
    point = {}

    def symbol(name, idx):
        sy = _sym(name, idx)
        point[sy] = _val(name, idx)
        return sy

    ctx = EvalContext(sizes=sizes, defs=DEFS, value=_val, symbol=symbol, point=point,
                      differentiable=frozenset({"f", "g"}))
    if cost_coeffs is not None:
        n = sizes[A]

        def cost():
            return sp.Add(*[cost_coeffs[t] * ctx.tensor("z", (t,), True) ** 2 for t in range(n)])

        def value(name, idx):
            if name == "delta":
                zt = ctx.tensor("z", idx, True)
                return (2 * cost_coeffs[idx[0]] * zt).xreplace(point)
            return _val(name, idx)

        ctx.cost = cost
        ctx.value = value
    return ctx


def env_for(rng):
    return {F1: rng.randint(-2, 4), F2: rng.randint(-2, 4)}


def affine(rng, vars_, allow_s=True):
    e = sp.Integer(rng.randint(-2, 2))
    for v in vars_:
        c = rng.choice([0, 0, 1, -1, 2] + ([S] if allow_s else []))
        e += c * v
    e += rng.choice([0, 0, A, -B, P, 1])
    return sp.expand(e)


def random_bracket(rng, vars_):
    kind = rng.choice(["eq", "range", "div"])
    if kind == "eq":
        return Eq(affine(rng, vars_), affine(rng, vars_))
    if kind == "range":
        lo = affine(rng, [])
        return Range(affine(rng, vars_), lo, lo + rng.choice([A, B, 2, 3]))
    return Div(rng.choice([S, 2, 1]), affine(rng, vars_))


def random_factor(rng, vars_):
    if rng.random() < 0.5:
        return Tensor("f", (affine(rng, vars_),))
    if rng.random() < 0.2:
        return Tensor("h", (affine(rng, vars_),))
    return Tensor("g", (affine(rng, vars_), affine(rng, vars_)))


def random_term(rng, nbound=None, extra_brackets=()):
    nb = rng.randint(1, 3) if nbound is None else nbound
    bound = [V1, V2, V3][:nb]
    box = []
    for v in bound:
        lo = rng.choice([0, 0, -1, 1, -P])
        box.append((v, lo, lo + rng.choice([A, B, 2, 3, A + 1])))
    scope = bound + list(FREE)
    brs = [random_bracket(rng, scope) for _ in range(rng.randint(0, 2))] + list(extra_brackets)
    rng.shuffle(brs)
    facs = [random_factor(rng, scope) for _ in range(rng.randint(1, 2))]
    return Term(rng.choice([1, 1, -1, 2, sp.Rational(1, 2), S]), tuple(box), tuple(brs), tuple(facs))


def same_value(before, after, rng, draws=2, ctx_maker=None):
    for _ in range(draws):
        ctx = (ctx_maker or make_ctx)(rng)
        env = env_for(rng)
        assert evaluate(before, env, ctx) == evaluate(after, env, ctx), (before, after, ctx.sizes, env)


# ----------------------------------------------------------------------------- sum out


def test_sum_out_keeps_value():
    rng = random.Random(1)
    applied = refused = 0
    for _ in range(N):
        t = random_term(rng)
        v = rng.choice(t.bound)
        others = [w for w in t.bound if w != v] + list(FREE)
        a = rng.choice([1, 2, -1, S, 2 * S, 3])
        eq = Eq(a * v + affine(rng, others, allow_s=False), affine(rng, others))
        t = Term(t.coeff, t.box, t.brackets + (eq,), t.factors)
        expr = TermSum((t,))
        after, conds = SumOut().apply(expr, 0, v, len(t.brackets) - 1)
        assert conds
        applied += 1
        same_value(expr, after, rng)
        assert v not in after.terms[0].bound
    assert applied == N and refused == 0


@pytest.mark.parametrize("coef, rest, msg", [
    (S - 1, 0, "not provably a positive integer"),
    (V2, 0, "contains a bound variable"),
    (1, sp.Rational(1, 2), "not provably an integer"),
    (ivar("f1") * 0 + sp.Symbol("r"), 0, "not provably a positive integer"),
])
def test_sum_out_refusals(coef, rest, msg):
    t = Term(1, ((V1, 0, A), (V2, 0, B)), (Eq(coef * V1 + rest, F1),), (Tensor("f", (V1,)),))
    with pytest.raises(RuleRefused, match=msg) as ei:
        SumOut().apply(TermSum((t,)), 0, V1, 0)
    assert ei.value.rule == "sum out"


def test_sum_out_refuses_dependent_bounds_and_unconstrained_variable():
    t = Term(1, ((V1, 0, A), (V2, V1, B)), (Eq(V1, F1),), (Tensor("f", (V2,)),))
    with pytest.raises(RuleRefused, match="bounds of v2 depend on v1"):
        SumOut().apply(TermSum((t,)), 0, V1, 0)
    t = Term(1, ((V1, 0, A),), (), (Tensor("f", (V1,)),))
    with pytest.raises(RuleRefused, match="no equality"):
        SumOut().apply(TermSum((t,)), 0, V1)


def test_random_refusals_of_sum_out_raise():
    rng = random.Random(11)
    for _ in range(N):
        t = random_term(rng, nbound=2)
        bad = rng.choice([S - 1, V2 + 1, S - P])
        eq = Eq(bad * V1 + F1, F2)
        t = Term(t.coeff, t.box, t.brackets + (eq,), t.factors)
        with pytest.raises(RuleRefused):
            SumOut().apply(TermSum((t,)), 0, V1, len(t.brackets) - 1)


# ----------------------------------------------------------------------------- substitution


def test_substitution_keeps_value():
    rng = random.Random(2)
    for _ in range(N):
        t = random_term(rng)
        v = rng.choice(list(t.bound) + list(FREE))
        e = affine(rng, [w for w in list(t.bound) + list(FREE) if w != v])
        t = Term(t.coeff, t.box, t.brackets + (Eq(v, e) if rng.random() < 0.5 else Eq(e, v),), t.factors)
        # bounds never depend on box variables here
        expr = TermSum((t,))
        after, _ = Substitute().apply(expr, 0, v, e, bracket=len(t.brackets) - 1)
        same_value(expr, after, rng)


def test_substitution_under_hypothesis_keeps_value():
    rng = random.Random(3)
    for _ in range(N):
        t = random_term(rng)
        expr = TermSum((t,))
        after, _ = Substitute().apply(expr, None, S, 2, hypotheses=(Eq(S, 2),))

        def at_s2(r):
            ctx = make_ctx(r)
            ctx.sizes[S] = 2
            return ctx
        same_value(expr, after, rng, ctx_maker=at_s2)


def test_substitution_refusals():
    t = Term(1, ((V1, 0, A),), (Eq(V1, F1 + 1),), (Tensor("f", (V1,)),))
    with pytest.raises(RuleRefused, match="substitution refused: the bracket is not"):
        Substitute().apply(TermSum((t,)), 0, V1, F1, bracket=0)
    with pytest.raises(RuleRefused, match="not a stated hypothesis"):
        Substitute().apply(TermSum((t,)), None, S, 1, hypotheses=(Eq(S, 2),))
    with pytest.raises(RuleRefused, match="occurs in"):
        Substitute().apply(TermSum((t,)), 0, V1, V1 + 1, bracket=0)


# ----------------------------------------------------------------------------- drop bracket


def test_drop_trivial_bracket_keeps_value():
    rng = random.Random(4)
    for _ in range(N):
        t = random_term(rng)
        scope = list(t.bound) + list(FREE)
        e = affine(rng, scope)
        triv = rng.choice([
            Eq(e, sp.expand(e + 0)), Div(1, e), Div(S, sp.expand(S * e)),
            Range(e, sp.expand(e - B), sp.expand(e + 1)), Range(e, e, sp.expand(e + A)),
        ])
        t = Term(t.coeff, t.box, t.brackets + (triv,), t.factors)
        expr = TermSum((t,))
        after, conds = DropBracket().apply(expr, 0, len(t.brackets) - 1)
        assert "trivially true" in str(conds[0])
        same_value(expr, after, rng)


def test_drop_hypothesis_bracket_keeps_value_where_it_holds():
    rng = random.Random(5)
    hyp = Range(F1, 0, A)
    for _ in range(N):
        t = random_term(rng)
        t = Term(t.coeff, t.box, (hyp,) + t.brackets, t.factors)
        expr = TermSum((t,))
        after, _ = DropBracket().apply(expr, 0, 0, hypotheses=(hyp,))
        ctx = make_ctx(rng)
        env = env_for(rng)
        env[F1] = rng.randrange(ctx.sizes[A])
        assert evaluate(expr, env, ctx) == evaluate(after, env, ctx)


def test_drop_bracket_refusals():
    rng = random.Random(6)
    for _ in range(N):
        t = random_term(rng)
        nontriv = rng.choice([Eq(V1, F1), Range(F1, 0, A), Div(S, F1 + V1), Range(V1, 1, A)])
        t = Term(t.coeff, t.box, (nontriv,) + t.brackets, t.factors)
        with pytest.raises(RuleRefused, match="drop bracket refused"):
            DropBracket().apply(TermSum((t,)), 0, 0, hypotheses=(Range(F2, 0, B),))


# ----------------------------------------------------------------------------- rearrange


def test_rearrange_keeps_value():
    rng = random.Random(7)
    for _ in range(N):
        t = random_term(rng)
        scope = list(t.bound) + list(FREE)
        lhs, rhs = affine(rng, scope), affine(rng, scope)
        t = Term(t.coeff, t.box, (Eq(lhs, rhs),) + t.brackets, t.factors)
        k = affine(rng, scope)
        new = rng.choice([(rhs, lhs), (lhs - rhs + k, k), (rhs - lhs, 0), (-lhs, -rhs)])
        expr = TermSum((t,))
        after, _ = Rearrange().apply(expr, 0, 0, *new)
        same_value(expr, after, rng)
        with pytest.raises(RuleRefused, match="differ"):
            Rearrange().apply(expr, 0, 0, lhs + 1, rhs)


# ----------------------------------------------------------------------------- re-index


def test_reindex_keeps_value():
    rng = random.Random(8)
    for _ in range(N):
        t = random_term(rng)
        pos = rng.randrange(len(t.bound))
        v = t.bound[pos]
        outer = list(t.bound[:pos]) + list(FREE)
        sigma = rng.choice([1, -1])
        shift = affine(rng, outer, allow_s=False)
        new = ivar("w9")
        expr = TermSum((t,))
        after, _ = Reindex().apply(expr, 0, v, new, sigma, shift)
        same_value(expr, after, rng)
    t = Term(1, ((V1, 0, A), (V2, 0, B)), (), (Tensor("g", (V1, V2)),))
    with pytest.raises(RuleRefused, match="not a bijection"):
        Reindex().apply(TermSum((t,)), 0, V1, ivar("w9"), 2, 0)
    with pytest.raises(RuleRefused, match="inner summation"):
        Reindex().apply(TermSum((t,)), 0, V1, ivar("w9"), 1, V2)
    with pytest.raises(RuleRefused, match="not fresh"):
        Reindex().apply(TermSum((t,)), 0, V1, V2, 1, 0)


# ----------------------------------------------------------------------------- unfold / fold


def test_unfold_and_fold_keep_value():
    rng = random.Random(9)
    for _ in range(N):
        t = random_term(rng)
        scope = list(t.bound) + list(FREE)
        arg = affine(rng, scope)
        t = Term(t.coeff, t.box, t.brackets, t.factors + (Tensor("h", (arg,)),))
        expr = TermSum((t,))
        unfolded, _ = Unfold(DEFS).apply(expr, 0, len(t.factors) - 1)
        same_value(expr, unfolded, rng)
        u = unfolded.terms[0]
        new_var = u.bound[-1]
        folded, _ = Fold(DEFS).apply(unfolded, 0, "h", (arg,), (new_var,))
        same_value(unfolded, folded, rng)
        assert canon_term(folded.terms[0]) == canon_term(t)
        with pytest.raises(RuleRefused, match="fold definition refused"):
            Fold(DEFS).apply(unfolded, 0, "h", (arg + 1,), (new_var,))


def test_unfold_refuses_primitive():
    t = Term(1, (), (), (Tensor("f", (F1,)),))
    with pytest.raises(RuleRefused, match="unfold definition refused"):
        Unfold(DEFS).apply(TermSum((t,)), 0, 0)


# ----------------------------------------------------------------------------- derivatives


def test_tensor_derivative_keeps_value():
    rng = random.Random(10)
    for _ in range(N):
        t = random_term(rng)
        scope = list(t.bound) + list(FREE)
        of = random_factor(rng, scope)
        if of.name == "h":
            of = Tensor("f", of.idx)
        wrt = rng.choice([Tensor("f", (affine(rng, FREE),)),
                          Tensor("g", (affine(rng, FREE), affine(rng, FREE)))])
        t = Term(t.coeff, t.box, t.brackets,
                 tuple(f if f.name != "h" else Tensor("g", (f.idx[0], f.idx[0])) for f in t.factors)
                 + (Diff(of, wrt),))
        expr = TermSum((t,))
        after, _ = TensorDerivative(DEFS).apply(expr)
        same_value(expr, after, rng)
    t = Term(1, (), (), (Diff(Tensor("h", (F1,)), Tensor("h", (F2,))),))
    with pytest.raises(RuleRefused, match="not a primitive"):
        TensorDerivative(DEFS).apply(TermSum((t,)))
    t = Term(1, (), (), (Tensor("f", (F1,)),))
    with pytest.raises(RuleRefused, match="no derivative"):
        TensorDerivative(DEFS).apply(TermSum((t,)))


def test_linearity_and_product_rule_keep_value():
    rng = random.Random(12)
    for _ in range(N):
        inner = TermSum(tuple(random_term(rng) for _ in range(rng.randint(1, 2))))
        inner = TermSum(tuple(Term(x.coeff, x.box, x.brackets, tuple(
            f if f.name != "h" else Tensor("f", f.idx) for f in x.factors)) for x in inner.terms))
        wrt = rng.choice([Tensor("f", (affine(rng, FREE),)),
                          Tensor("g", (affine(rng, FREE), affine(rng, FREE)))])
        outer = Term(rng.choice([1, 3]), ((V1, 0, 2),), (), (Tensor("f", (V1 + F1,)), Diff(inner, wrt)))
        expr = TermSum((outer,))
        after, _ = Linearity().apply(expr, 0, 1)
        same_value(expr, after, rng)
    with pytest.raises(RuleRefused, match="not the derivative of a sum"):
        Linearity().apply(TermSum((Term(1, (), (), (Tensor("f", (F1,)),)),)), 0, 0)


def test_chain_rule_keeps_value():
    rng = random.Random(13)
    for _ in range(N):
        coeffs = [sp.Integer(rng.randint(-3, 3)) for _ in range(5)]
        wrt = rng.choice([Tensor("f", (F1,)), Tensor("g", (F1, F2))])
        expr = TermSum((Term(1, (), (), (Diff(Tensor("C", ()), wrt),)),))
        rule = ChainRule("C", "z", "delta", (A,), DEFS)
        after, _ = rule.apply(expr, (ivar("t9"),))
        same_value(expr, after, rng, draws=1, ctx_maker=lambda r: make_ctx(r, coeffs))
    expr = TermSum((Term(1, (), (), (Diff(Tensor("C", ()), Tensor("h", (F1,))),)),))
    with pytest.raises(RuleRefused, match="not a primitive"):
        ChainRule("C", "z", "delta", (A,), DEFS).apply(expr, (ivar("t9"),))
    expr = TermSum((Term(1, (), (), (Diff(Tensor("C", ()), Tensor("q", (F1,))),)),))
    with pytest.raises(RuleRefused, match="does not depend"):
        ChainRule("C", "z", "delta", (A,), DEFS).apply(expr, (ivar("t9"),))


def test_evaluator_refuses_non_integer_index():
    t = Term(1, (), (), (Tensor("f", (sp.Rational(1, 2) * F1,)),))
    with pytest.raises(IndexError, match="non-integer"):
        evaluate(t, {F1: 1}, make_ctx(random.Random(0)))


# ----------------------------------------------------------------------------- hypothesis


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=150, deadline=None)
@given(a=st.integers(1, 4), c1=st.integers(-3, 3), c0=st.integers(-6, 6), lo=st.integers(-3, 2),
       n=st.integers(1, 6), f=st.integers(-5, 8), keep=st.booleans())
def test_sum_out_single_variable_against_brute_force(a, c1, c0, lo, n, f, keep):
    """sum_{lo <= v < lo+n} [a v + c1 f + c0 = 0] g[v, f] equals its summed-out form."""
    t = Term(1, ((V1, lo, lo + n),), (Eq(a * V1 + c1 * F1 + c0, 0),), (Tensor("g", (V1, F1)),))
    after, _ = SumOut().apply(TermSum((t,)), 0, V1)
    ctx = make_ctx(random.Random(0))
    brute = sum(_val("g", (v, f)) for v in range(lo, lo + n) if a * v + c1 * f + c0 == 0)
    assert evaluate(after, {F1: f}, ctx) == brute == evaluate(TermSum((t,)), {F1: f}, ctx)
