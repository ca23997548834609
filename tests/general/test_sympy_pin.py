"""Pin sympy's unsound closed form for a strided Kronecker sum, and show ours is sound."""

import sympy as sp

from symconv.general.algebra import EvalContext, Eq, Tensor, Term, TermSum, evaluate, ivar, size
from symconv.general.rules import SumOut


def test_sympy_strided_delta_sum_is_unsound():
    s, m, u, H = sp.symbols("s m u H", integer=True)
    i = sp.Symbol("i", integer=True)
    f = sp.IndexedBase("f")
    r = sp.Sum(sp.KroneckerDelta(s * i + m, u) * f[i], (i, 0, H - 1)).doit()
    got = r.subs({s: 2, m: 0, u: 1})
    assert got == sp.Piecewise((f[sp.Rational(1, 2)], H >= sp.Rational(3, 2)), (0, True))
    assert f[sp.Rational(1, 2)] in got.atoms(sp.Indexed)


def test_our_sum_out_keeps_the_divisibility_bracket():
    s, H = size("s"), size("H")
    m, u, i = ivar("m"), ivar("u"), ivar("i")
    t = TermSum((Term(1, ((i, 0, H),), (Eq(s * i + m, u),), (Tensor("f", (i,)),)),))
    after, _ = SumOut().apply(t, 0, i)
    vals = {k: sp.Integer(10 + k) for k in range(10)}

    def value(name, idx):
        return vals[idx[0]]

    for sv, mv, uv in [(2, 0, 1), (2, 0, 4), (3, 1, 7), (2, 1, 1)]:
        ctx = EvalContext(sizes={s: sv, H: 5}, defs={}, value=value)
        env = {m: mv, u: uv}
        truth = sum(vals[k] for k in range(5) if sv * k + mv == uv)
        assert evaluate(after, env, ctx) == truth == evaluate(t, env, ctx)
    ctx = EvalContext(sizes={s: 2, H: 5}, defs={}, value=value)
    assert evaluate(after, {m: 0, u: 1}, ctx) == 0
