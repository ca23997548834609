r"""The README's claims parse and get the verdicts the README gives them (issue 13 item 1): the
seed question (a displayed claim ending in ``\ ?``, with ``\sum_k`` left implicit), its answer,
the ``symconv check`` command lines, the Sphinx ``symconv-claim`` and the spec's ``[[claims]]``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import symconv
from symconv.check import check_claim

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def readme_claims() -> list[tuple[str, str]]:
    """(where, claim) for every claim the README writes about the seed network."""
    found = [("display", m.group(1).strip())
             for m in re.finditer(r"\$\$\n?(\\frac\{\\partial C\}.*?)\n?\$\$", README, re.S)]
    found += [("symconv check", m.group(2)) for m in re.finditer(r"symconv check --example (\w+) '([^']*)'", README)]
    found += [("symconv-claim", m.group(1)) for m in re.finditer(r"\.\. symconv-claim:: (.*)\n\s+:example: seed", README)]
    found += [("[[claims]]", m.group(1)) for m in re.finditer(r"^text = '([^']*)'", README, re.M)]
    return found


CLAIMS = readme_claims()


def test_the_readme_claims_are_all_found():
    assert [w for w, _ in CLAIMS] == ["display", "display", "symconv check", "symconv check", "symconv check",
                                      "symconv-claim", "[[claims]]"]


@pytest.fixture(scope="module")
def seed():
    return symconv.load(symconv.example("seed"))


@pytest.mark.parametrize(("where", "claim"), CLAIMS, ids=[f"{k}-{w}" for k, (w, _) in enumerate(CLAIMS)])
def test_every_readme_claim_parses_and_gets_the_readme_verdict(seed, where, claim):
    v = check_claim(seed, claim)
    # the seed question, in LaTeX or pasted in Unicode: a product of sums
    wrong_question = "(i_1^1 + i_2^1 + i_4^1 + i_5^1)" in claim or "(i₁+i₂+i₄+i₅)" in claim
    if wrong_question:
        assert not v.ok and [d.kind for d in v.steps[0].diagnoses] == ["product_of_sums"]
    elif "2 o^2 o_1^1" in claim:  # the --values example: wrong in general (y is left out)
        assert not v.ok
    else:
        assert v.ok
    if r"\sum_k" in claim:
        assert v.claim.notes == (r"\sum_k at column 73 read as k = 1..4: every k for which the indexed symbols exist",)
