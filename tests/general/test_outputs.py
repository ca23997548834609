"""The generated proofs in output/general are up to date and deterministic."""

import os
from pathlib import Path

import pytest

from symconv.general import prove_general, render_general

OUT = Path(__file__).resolve().parents[2] / "output" / "general"
FILES = {
    ("seed", "md"): "general.md",
    ("seed", "tex"): "general.tex",
    ("goodfellow", "md"): "general-goodfellow.md",
    ("goodfellow", "tex"): "general-goodfellow.tex",
}


@pytest.fixture(scope="module")
def proofs():
    return {nt: prove_general(nt) for nt in ("seed", "goodfellow")}


@pytest.mark.parametrize("key", sorted(FILES))
def test_output_up_to_date(proofs, key):
    notation, fmt = key
    text = render_general(proofs[notation], fmt)
    path = OUT / FILES[key]
    if os.environ.get("SYMCONV_REGEN") == "1":
        OUT.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{path} is stale; rerun with SYMCONV_REGEN=1"


def test_rendering_is_deterministic(proofs):
    again = prove_general("seed")
    assert render_general(again, "tex") == render_general(proofs["seed"], "tex")
    assert render_general(again, "md") == render_general(proofs["seed"], "md")


def test_bad_arguments_raise(proofs):
    with pytest.raises(ValueError, match="unknown notation"):
        prove_general("latin")
    with pytest.raises(ValueError, match="unknown format"):
        render_general(proofs["seed"], "html")
    with pytest.raises(ValueError, match="GeneralProof"):
        render_general("not a proof", "md")


def test_every_line_names_its_rule(proofs):
    md = render_general(proofs["seed"], "md")
    n_steps = sum(len(d.steps) for d in proofs["seed"].derivations)
    rule_lines = [ln for ln in md.splitlines() if ln.startswith("**(")]
    assert len(rule_lines) == n_steps
    for name, _ in proofs["seed"].rules:
        assert f"- **{name}**:" in md  # legend entry


def test_one_index_base_per_document(proofs):
    for nt in ("seed", "goodfellow"):
        md = render_general(proofs[nt], "md")
        assert "=0}" not in md  # no 0-based summation bounds anywhere
        assert "1-based" in md


def test_goodfellow_letters(proofs):
    md = render_general(proofs["goodfellow"], "md")
    assert r"\frac{\partial J}{\partial K_{i, l, m, n}}" in md
    assert r"\frac{\partial J}{\partial V_{l, u, v}}" in md
    assert r"G_{i, j, k}" in md
