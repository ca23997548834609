"""The general proof of the transposed convolution's kernel and input gradients: its final
forms, their values at concrete sizes against PyTorch ``conv_transpose2d`` autograd (float64),
and a wrong forward definition caught by the concrete check."""

import itertools

import pytest
import sympy as sp
import torch
import torch.nn.functional as F

from symconv.general import prove_general
from symconv.general.algebra import Definition, EvalContext, Eq, Tensor, Term, TermSum, canon_sum, evaluate
from symconv.general.check import make_configs, run_check, transposed_size
from symconv.general.derivations import (
    CIN, COUT, D, DEFS, H, HOUT, KH, KW, P, S, W, WOUT, c, derive_dwt, derive_dxt, expected_results, i, j, m, n,
    q, toolkit, u, v,
)


@pytest.fixture(scope="module")
def proof():
    return prove_general("seed")


def test_final_forms(proof):
    exp = expected_results()
    for key in ("dwt", "dxt"):
        der = proof.derivation(key)
        assert der.family == "transposed"
        assert canon_sum(der.result) == canon_sum(exp[key]), key
    # the input gradient is not the convolution's (kernel axes in conv2d's order): a test that can fail
    wrong = exp["dxt"].sub({P: P + 1})
    assert canon_sum(proof.derivation("dxt").result) != canon_sum(wrong)


CASES = [  # H, W, kh, kw, s, p, d, cin, cout, output_padding
    (2, 3, 2, 3, 2, 1, 1, 2, 1, 1),
    (3, 2, 3, 2, 1, 0, 2, 1, 2, 1),
    (2, 2, 3, 3, 3, 2, 2, 2, 2, 2),
]


@pytest.mark.parametrize("case", CASES, ids=[str(k) for k in range(len(CASES))])
def test_results_equal_torch_conv_transpose2d(proof, case):
    Hh, Ww, kh, kw, s, p, d, cin, cout, extra = case
    hout, wout = transposed_size(Hh, kh, s, p, d, extra), transposed_size(Ww, kw, s, p, d, extra)
    gen = torch.Generator().manual_seed(sum(case))
    x = torch.randn(1, cin, Hh, Ww, dtype=torch.float64, generator=gen, requires_grad=True)
    w = torch.randn(cin, cout, kh, kw, dtype=torch.float64, generator=gen, requires_grad=True)
    g = torch.randn(1, cout, hout, wout, dtype=torch.float64, generator=gen)
    z = F.conv_transpose2d(x, w, stride=s, padding=p, output_padding=extra, dilation=d)
    assert z.shape == g.shape
    (z * g).sum().backward()  # C = Σ g·z, so δ = g
    sizes = {H: Hh, W: Ww, KH: kh, KW: kw, S: s, P: p, D: d, CIN: cin, COUT: cout, HOUT: hout, WOUT: wout}
    X, K, G = x.detach()[0], w.detach(), g[0]

    def value(name, idx):
        return sp.Float({"xt": X, "wt": K, "dt": G}[name][idx].item(), 30)

    ctx = EvalContext(sizes=sizes, defs=DEFS, value=value,
                      domains={"xt": (cin, Hh, Ww), "wt": (cin, cout, kh, kw), "dt": (cout, hout, wout)})
    for key, grad in (("dwt", w.grad), ("dxt", x.grad[0])):
        der = proof.derivation(key)
        for idx in itertools.product(*[range(k) for k in grad.shape]):
            got = float(evaluate(der.result, dict(zip(der.target.idx, idx)), ctx))
            assert abs(got - grad[idx].item()) <= 1e-10 * (1 + abs(grad[idx].item())), (key, idx)


def test_a_wrong_forward_definition_is_caught():
    """The kernel read in conv2d's layout [q, c, m, n] (the usual mix-up): the derivations follow
    the wrong definition, and the concrete check (built by direct loops) catches it."""
    defs = dict(DEFS)
    defs["zt"] = Definition("zt", (q, i, j), TermSum((
        Term(1, ((c, 0, CIN), (u, 0, H), (v, 0, W), (m, 0, KH), (n, 0, KW)),
             (Eq(i, S * u + D * m - P), Eq(j, S * v + D * n - P)),
             (Tensor("wt", (q, c, m, n)), Tensor("xt", (c, u, v)))),
    )), "a wrong forward")
    kit = toolkit(defs, via="zt", delta="dt")
    configs = [cf for cf in make_configs(12) if cf["cin"] != cf["cout"]]
    assert configs
    rep = run_check(configs, [derive_dxt(kit), derive_dwt(kit)], defs, max_failures=1)
    assert not rep.passed
    assert "derivation dxt," in rep.failures[0] or "derivation dwt," in rep.failures[0]
