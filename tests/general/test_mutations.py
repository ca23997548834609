"""Each mutation of the derivation machinery is caught by the concrete check (or refused)."""

import pytest

from symconv.general.check import make_configs, run_check
from symconv.general.derivations import derive_dx, derive_dx_hat, toolkit
from symconv.general.mutants import (
    ChainRuleShortBox, MUTANTS, mutant_derivations,
)
from symconv.general.derivations import DEFS, SHAPES
from symconv.general.rules import RuleRefused

CONFIGS = make_configs(20)

EXPECTED = {
    "no-divisibility": "dxsolved",
    "no-range": "dxsolved",
    "padding-off-by-one": "dw",
    "chain-box-short": "dw",
    "wrong-fold-index": "dxhat",
}


@pytest.mark.parametrize("kind", MUTANTS)
def test_mutant_is_caught(kind):
    ders, defs = mutant_derivations(kind)
    # only the derivation the mutation reaches first is checked, to keep the suite fast
    ders = [d for d in ders if d.key == EXPECTED[kind]]
    assert len(ders) == 1
    rep = run_check(CONFIGS, ders, defs, max_failures=1)
    assert not rep.passed
    assert f"derivation {EXPECTED[kind]}," in rep.failures[0]


def test_real_fold_refuses_the_wrong_index():
    kit = toolkit()
    dx = derive_dx(kit)
    der = derive_dx_hat(kit, dx)
    from symconv.general.derivations import D, P, i, j, m, n, q, u, v
    with pytest.raises(RuleRefused, match="fold definition"):
        kit.fold.apply(der.steps[0].expr, 0, "dhat", (q, u + P - D * m + 1, v + P - D * n), (i, j))


def test_short_chain_box_is_refused_by_the_later_fold():
    kit = toolkit(chain=ChainRuleShortBox("C", "z", "delta", SHAPES["z"], DEFS))
    dx = derive_dx(kit)
    with pytest.raises(RuleRefused, match="not in the term"):
        derive_dx_hat(kit, dx)


def test_unknown_mutant():
    with pytest.raises(ValueError):
        mutant_derivations("nope")
