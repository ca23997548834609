"""Issue 2: the seed network's gradients, exactly (reference case C01)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
import sympy

import symconv
from symconv.verify import certify_equal

from .conftest import S, assert_same

ROOT = Path(__file__).resolve().parent.parent


def _seed_syms(m):
    i = [S(m, f"i1_{k}") for k in range(1, 10)]
    w1 = [S(m, f"w1_{k}") for k in range(1, 5)]
    w2 = [S(m, f"w2_{k}") for k in range(1, 5)]
    o1 = [S(m, f"o1_{k}") for k in range(1, 5)]
    return i, w1, w2, o1, S(m, "o2_1"), S(m, "y_1")


def test_forward_definitions_are_the_seed_windows(seed):
    i, w1, w2, o1, o2, y = _seed_syms(seed)
    fw = seed.forward
    assert fw.definition(o1[0]).expr == i[0] * w1[0] + i[1] * w1[1] + i[3] * w1[2] + i[4] * w1[3]
    assert fw.definition(o1[3]).expr == i[4] * w1[0] + i[5] * w1[1] + i[7] * w1[2] + i[8] * w1[3]
    assert fw.definition(o2).expr == sympy.Add(*[a * b for a, b in zip(o1, w2)])
    assert fw.cost.expr == (o2 - y) ** 2


def test_dC_dw1_1_is_a_sum_of_products(seed):
    i, w1, w2, o1, o2, y = _seed_syms(seed)
    expected = 2 * (o2 - y) * (w2[0] * i[0] + w2[1] * i[1] + w2[2] * i[3] + w2[3] * i[4])
    got = seed.gradient("w1_1", form="named")
    assert_same(got, expected)
    assert_same(seed.gradient("w1_1", form="named", factor=False), expected)
    from symconv.latex import latex_of

    assert latex_of(seed.network.table, got) == (
        r"2 \left(o^{2}_{1} - y_{1}\right) \left(i^{1}_{1} w^{2}_{1} + i^{1}_{2} w^{2}_{2}"
        r" + i^{1}_{4} w^{2}_{3} + i^{1}_{5} w^{2}_{4}\right)"
    )


def test_dC_dw1_1_delta_form(seed):
    i = [S(seed, f"i1_{k}") for k in range(1, 10)]
    d = [S(seed, f"delta1_{k}") for k in range(1, 5)]
    assert seed.gradient("w1_1", form="delta", factor=False) == d[0] * i[0] + d[1] * i[1] + d[2] * i[3] + d[3] * i[4]


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_dC_dw2_k(seed, k):
    _, _, _, o1, o2, y = _seed_syms(seed)
    assert_same(seed.gradient(f"w2_{k}"), 2 * (o2 - y) * o1[k - 1])


def test_dC_di5_pairs_with_the_rotated_kernel(seed):
    i, w1, w2, o1, o2, y = _seed_syms(seed)
    expected = 2 * (o2 - y) * (w2[0] * w1[3] + w2[1] * w1[2] + w2[2] * w1[1] + w2[3] * w1[0])
    assert_same(seed.gradient("i1_5"), expected)


def test_the_askers_product_of_sums_is_proven_unequal(seed):
    i, w1, w2, o1, o2, y = _seed_syms(seed)
    claim = (i[0] + i[1] + i[3] + i[4]) * sum(w2) * 2 * (o2 - y)
    truth = seed.gradient("w1_1")
    cert = certify_equal(claim, truth)
    assert not cert.equal
    assert cert.counterexample  # a concrete point where they differ
    at = {sympy.Symbol(n): sympy.Rational(v) for n, v in cert.counterexample}
    assert (claim - truth).xreplace(at) != 0


def test_every_leaf_gradient_equals_sympy_diff_of_the_expanded_cost(seed):
    cost = sympy.expand(seed.cost("leaf"))
    for s, info in seed.network.table.info.items():
        if info.role in ("input", "weight"):
            assert sympy.expand(seed.gradient(s, form="leaf") - sympy.diff(cost, s)) == 0, s


def test_delta_definitions(seed):
    _, _, w2, _, o2, y = _seed_syms(seed)
    g = seed.gradients
    assert_same(g.named(S(seed, "delta2_1")), 2 * (o2 - y))
    for k in range(4):
        assert_same(g.named(S(seed, f"delta1_{k + 1}")), 2 * (o2 - y) * w2[k])


# C01 numeric instance: half_sse, i = 1..9, w1 = [[1,0],[-1,2]], w2 = [[1/2,-1],[1,2]], t = 3
C01_VALUES = {
    **{f"i1_{k}": k for k in range(1, 10)},
    "w1_1": 1, "w1_2": 0, "w1_3": -1, "w1_4": 2,
    "w2_1": Fraction(1, 2), "w2_2": -1, "w2_3": 1, "w2_4": 2,
    "y_1": 3,
}
C01_GRADIENTS = {
    "w1": ["431.25", "517.5", "690", "776.25"],
    "w2": ["241.5", "310.5", "448.5", "517.5"],
    "i1": ["17.25", "-34.5", "0", "17.25", "138", "-69", "-34.5", "0", "138"],
}


def c01_model():
    spec = dict(symconv.spec.EXAMPLES["seed"])
    spec = {**spec, "cost": {"type": "half_sse"}}
    return symconv.load(spec)


def test_c01_numeric_instance_exact():
    m = c01_model()
    at = {m.symbol(k): sympy.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else sympy.Integer(v)
          for k, v in C01_VALUES.items()}
    assert m.cost("leaf").xreplace(at) == sympy.Rational(4761, 8)
    for prefix, values in C01_GRADIENTS.items():
        for k, v in enumerate(values, start=1):
            assert m.gradient(f"{prefix}_{k}", form="leaf").xreplace(at) == sympy.Rational(v), (prefix, k)
    # the product of sums would give 1035 for w1_1
    i, w2 = [m.symbol(f"i1_{k}") for k in (1, 2, 4, 5)], [m.symbol(f"w2_{k}") for k in range(1, 5)]
    wrong = (m.symbol("o2_1") - m.symbol("y_1")) * sympy.Add(*i) * sympy.Add(*w2)
    assert m.forward.leaf(wrong).xreplace(at) == 1035


def test_c01_matches_torch_autograd_float64():
    torch = pytest.importorskip("torch")
    m = c01_model()
    x = torch.arange(1, 10, dtype=torch.float64).reshape(1, 1, 3, 3).requires_grad_()
    w1 = torch.tensor([[[[1.0, 0.0], [-1.0, 2.0]]]], dtype=torch.float64, requires_grad=True)
    w2 = torch.tensor([[[[0.5, -1.0], [1.0, 2.0]]]], dtype=torch.float64, requires_grad=True)
    o1 = torch.nn.functional.conv2d(x, w1)
    o1.retain_grad()
    o2 = torch.nn.functional.conv2d(o1, w2)
    o2.retain_grad()
    cost = 0.5 * ((o2 - 3.0) ** 2).sum()
    cost.backward()
    at = {m.symbol(k): sympy.nsimplify(float(v)) for k, v in C01_VALUES.items()}
    ours = {
        "w1": w1.grad.flatten(), "w2": w2.grad.flatten(), "i1": x.grad.flatten(), "o1": o1.grad.flatten(),
        "o2": o2.grad.flatten(),
    }
    for prefix, grad in ours.items():
        for k, value in enumerate(grad.tolist(), start=1):
            exact = m.gradient(f"{prefix}_{k}", form="leaf").xreplace(at)
            assert float(exact) == pytest.approx(value, rel=1e-12, abs=1e-12), (prefix, k)
    assert float(m.cost("leaf").xreplace(at)) == pytest.approx(cost.item(), rel=1e-12)


def test_toml_spec_equals_builtin_example(tmp_path):
    from symconv.jsonout import to_json

    path = ROOT / "examples" / "seed.toml"
    from_file = symconv.load(path)
    builtin = symconv.load(symconv.example("seed"))
    assert from_file.spec.layers == builtin.spec.layers
    assert from_file.spec.input_shape == builtin.spec.input_shape
    assert to_json(from_file) == to_json(builtin)
    for name in ("w1_1", "w2_3", "i1_5", "o1_2", "o2_1"):
        assert from_file.gradient(name, form="leaf") == builtin.gradient(name, form="leaf")
