"""The --check N link to concrete sizes."""

import pytest

from symconv.general import CheckReport, check_general
from symconv.general.check import make_configs, remainder_nonzero


@pytest.mark.slow
def test_check_passes_on_20_configurations():
    rep = check_general(20, seed=0)
    assert isinstance(rep, CheckReport)
    assert rep.passed, rep.failures[:3]
    assert rep.failures == []
    assert rep.n_configs == 20
    cfs = rep.configs
    assert {c["s"] for c in cfs} == {1, 2, 3}
    assert {c["d"] for c in cfs} == {1, 2}
    assert {c["p"] for c in cfs} == {0, 1, 2}
    assert {c["cin"] for c in cfs} == {1, 2} and {c["cout"] for c in cfs} == {1, 2}
    assert sum(1 for c in cfs if c["kh"] != c["kw"]) >= 10
    assert sum(1 for c in cfs if remainder_nonzero(c)) >= 3
    assert sum(1 for c in cfs if c["d"] == 2 and max(c["kh"], c["kw"]) >= 2) >= 3
    assert sum(1 for c in cfs if c["s"] == 1 and c["d"] == 1) >= 2
    assert rep.n_comparisons > 10000
    assert set(rep.per_derivation) == {"dw", "db", "dx", "dxsolved", "dxhat", "dxfull", "dwt", "dxt"}
    assert min(rep.per_derivation.values()) > 100
    text = rep.summary()
    assert text.startswith("General-proof check PASSED")
    assert "\n" not in text


def test_configs_are_seeded():
    assert make_configs(5, 3) == make_configs(5, 3)
    assert make_configs(5, 3) != make_configs(5, 4)


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True])
def test_bad_n_configs(bad):
    with pytest.raises(ValueError, match="n_configs"):
        check_general(bad)


def test_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        check_general(2, seed="x")
