"""Claims inside the document (issue 11, item 2) and its certificates table (item 4).

A spec's ``[[claims]]`` are judged as ``symconv check`` judges a claim and the verdict is written
right after the result section; the seed example carries the seed's question, so the document
answers it before anything else. The certificates table names a method (or why none) for every
gradient.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv.api import Model
from symconv.cli import main
from symconv.errors import SpecError
from symconv.examples import EXAMPLES
from symconv.outputs import render_all
from symconv.spec import example, load_spec, spec_from_dict

SEED_CLAIM = (r"\frac{\partial C}{\partial w_1^1} = 2(o_1^2 - y_1)(i_1^1 + i_2^1 + i_4^1 + i_5^1)"
              r"(w_1^2 + w_2^2 + w_3^2 + w_4^2)")


def seed_with(claims) -> dict:
    data = copy.deepcopy(EXAMPLES["seed"])
    data["claims"] = claims
    return data


def md_of(data: dict) -> str:
    return render_all(Model(spec_from_dict(data, name="s")), ["md"])["md"].decode("utf-8")


def test_the_seed_example_and_its_toml_carry_the_seed_question():
    assert example("seed").claims == (SEED_CLAIM,)
    assert load_spec("examples/seed.toml").claims == (SEED_CLAIM,)


def test_the_seed_document_answers_the_claim_before_the_result():
    md = md_of(EXAMPLES["seed"])
    verdict = ("**Your claim about $\\partial C / \\partial w^{1}_{1}$ is WRONG**: product of sums "
               "instead of sum of products (section 2).")
    assert verdict in md
    assert md.index(verdict) < md.index("## 1. Result") < md.index("## 2. Your claim") < md.index("## 3. Notation")
    claim = md[md.index("## 2. Your claim"):md.index("## 3. ")]
    # the exact difference, the counterexample, the proven diagnosis and where it departs
    assert r"\right) \bigl(i^{1}_{1} w^{2}_{2} + i^{1}_{1} w^{2}_{3}" in claim
    assert ("Counterexample: at $i^{1}_{4} = 1$, $w^{2}_{4} = 1$, $y_{1} = 1$ and every other symbol 0, "
            "the claim is $-2$ but the gradient is $0$") in claim
    assert "Diagnosis, proven: the claim equals the **product of sums instead of sum of products**" in claim
    assert "Where it departs: at the chain rule's sum of products (section 7)" in claim


def test_a_right_claim_is_right_and_several_claims_each_get_a_verdict():
    right = r"\frac{\partial C}{\partial w_2^2} = 2 o_2^1 (o_1^2 - y_1)"
    md = md_of(seed_with([{"text": right}, {"text": SEED_CLAIM}]))
    assert "**Your claim about $\\partial C / \\partial w^{2}_{2}$ is RIGHT** (section 2)." in md
    assert "## 2. Your claims" in md
    assert md.count("**RIGHT**: it equals the exact gradient") == 1
    assert md.count("Diagnosis, proven:") == 1


def test_without_claims_the_sections_are_numbered_without_a_gap():
    md = md_of({k: v for k, v in EXAMPLES["seed"].items() if k != "claims"})
    assert "Your claim" not in md
    assert [line for line in md.splitlines() if line.startswith("## ")] == [
        "## 1. Result", "## 2. Notation", "## 3. Network", "## 4. Forward pass",
        "## 5. Error terms, from the last layer back", "## 6. Gradients, derived", "## 7. Certificates"]


@pytest.mark.parametrize("claims, field, words", [
    ("x", "claims", "array of tables"),
    ([3], "claims[1]", "must be a table"),
    ([{"text": ""}], "claims[1].text", "missing or empty"),
    ([{"txt": "a"}], "claims[1].txt", "unknown key"),
    ([{"text": "a\nb"}], "claims[1].text", "single line"),
    ([{"text": "x" * 2001}], "claims[1].text", "at most 2000"),
])
def test_malformed_claims_tables_are_spec_errors(claims, field, words):
    with pytest.raises(SpecError) as err:
        spec_from_dict(seed_with(claims))
    assert err.value.field == field and words in err.value.message


def test_a_claim_that_does_not_parse_names_its_table_and_writes_nothing(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text('[input]\nshape = [1, 3, 3]\n[[layers]]\nkernel_size = 2\n'
                    "[[claims]]\ntext = '\\frac{\\partial C}{\\partial q} = 1'\n", encoding="utf-8")
    assert main(["derive", str(spec), "--out", str(tmp_path / "out"), "--format", "md"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symconv: error: claims[1].text: unknown symbol 'q'") and err.count("\n") == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


claim_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from([r"\frac{\partial C}{\partial w_1^1}", "=", "2", "(", ")", "o_1^2", "-", "y_1",
                              "i_1^1", "+", r"\cdot", "w_1^2", r"\delta", "^", "_", "{", "}", "∂", "·"]),
             max_size=12).map(" ".join),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(claim_text.map(lambda t: [{"text": t}]), st.lists(st.dictionaries(
    st.sampled_from(["text", "x"]), st.one_of(claim_text, st.integers()), max_size=2), max_size=2)))
def test_garbage_claims_only_raise_spec_error(claims):
    try:
        md = md_of(seed_with(claims))
    except SpecError as exc:
        assert "\n" not in str(exc)
        return
    assert "## 1. Result" in md


def test_every_gradient_names_its_certificates_or_why_not():
    md = md_of(EXAMPLES["seed"])
    table = [line for line in md.splitlines() if line.startswith("| $C$ by")]
    assert len(table) == 4
    for row in table:
        assert "monomial multisets, all" in row and "exact expansion, all" in row
        assert "random exact evaluation, bound 1.5e-37" in row
    large = render_all(Model(load_spec("examples/lenet_small.toml")), ["md"])["md"].decode("utf-8")
    rows = [line for line in large.splitlines() if line.startswith("| $C$ by")]
    assert rows and all(row.count("|") == 6 for row in rows)
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert all(cells), row  # nothing left blank
        assert cells[3].startswith("not made: the expanded cost"), row  # and it says why
        # under one-hot targets the points are drawn with the targets summing to 1 (said after ";")
        assert cells[4].split("; ")[0] == "high-precision numeric", row
        assert cells[4] in ("high-precision numeric",
                            "high-precision numeric; at targets drawn summing to 1 in each example"), row
