"""The size guard: the estimate is exact for conv and dense layers, and large specs are refused."""

from __future__ import annotations

import symconv
from symconv.cli import main
from symconv.size import TERM_LIMIT, estimate_terms


def _terms(model) -> int:
    return sum(len(g.terms) for s, g in model.gradients.by_wrt.items()
               if model.network.table.info[s].role in ("weight", "bias", "input", "activation"))


def test_estimate_counts_the_chain_rule_terms_exactly():
    for spec in (  # without padding the estimate is exact (the cost's own terms aside)
        {"input": {"shape": [1, 8, 8]}, "layers": [{"kernel_size": 3}, {"kernel_size": 3}]},
        {"input": {"shape": [2, 7, 7]}, "layers": [{"kernel_size": 3, "stride": 2, "out_channels": 2, "bias": True}]},
        {"input": {"shape": [1, 4, 4]}, "layers": [{"kernel_size": 2}, {"type": "flatten"},
                                                   {"type": "dense", "out_features": 3, "bias": True}]},
    ):
        m = symconv.load(spec)
        assert estimate_terms(m.spec) == _terms(m) - len(m.network.output), spec
    padded = symconv.load({"input": {"shape": [1, 5, 5]}, "layers": [{"kernel_size": 3, "padding": 1}]})
    # reads of the zero padding are counted too: an upper bound (25 outputs x 9 reads x 2 = 450)
    assert estimate_terms(padded.spec) == 450 > _terms(padded) - 25
    seed = symconv.load(symconv.example("seed"))
    assert estimate_terms(seed.spec) == 2 * 4 * 4 + 2 * 1 * 4  # 32 + 8
    assert _terms(seed) - len(seed.network.output) == 40


def test_large_networks_are_refused_with_the_estimate_and_the_flag(tmp_path, capsys):
    spec = tmp_path / "big.toml"
    spec.write_text('[input]\nshape = [1, 2000, 2000]\n[[layers]]\nkernel_size = 3\n')
    assert estimate_terms(symconv.load(spec).spec) > TERM_LIMIT
    status = main(["derive", str(spec), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert status == 2
    assert "--allow-large: this network has about 71,856,072 product terms" in err
    assert err.count("\n") == 1 and not (tmp_path / "o").exists()
