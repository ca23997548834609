"""The claim parser: LaTeX in the document's notation → sympy, and one-line errors for bad claims."""

import pytest
import sympy

import symconv
from symconv.check import check_claim
from symconv.claims import parse_claim, parse_expression, tokenize
from symconv.errors import SpecError


@pytest.fixture(scope="module")
def seed():
    return symconv.load(symconv.example("seed"))


@pytest.fixture(scope="module")
def grid():
    return symconv.load({
        "input": {"shape": [1, 3, 3]},
        "layers": [{"type": "conv2d", "kernel_size": 2}, {"type": "conv2d", "kernel_size": 2}],
        "notation": {"style": "grid"},
    })


def S(model, name):
    return model.network.table.by_name[name]


@pytest.mark.parametrize("text", ["w_1^1", "w^1_1", "w^{1}_{1}", "w_{1}^{1}", "w^{(1)}_1"])
def test_every_spelling_of_a_symbol_is_the_same_symbol(seed, text):
    assert parse_expression(seed, text) == S(seed, "w1_1")


def test_superscript_on_a_tensor_letter_is_a_layer_mark_and_on_a_group_a_power(seed):
    o, y, w = S(seed, "o2_1"), S(seed, "y_1"), S(seed, "w1_2")
    assert parse_expression(seed, "(o_1^2 - y_1)^2") == (o - y) ** 2
    assert parse_expression(seed, "w_1^2") == S(seed, "w2_1")
    assert parse_expression(seed, "w_2^1^2") == w**2  # a second superscript is a power
    assert parse_expression(seed, "y_1^2") == y**2  # targets have no layer: a power
    assert parse_expression(seed, "{w_2^1}^{3}") == w**3


def test_numbers_fractions_and_operators_are_exact(seed):
    w = S(seed, "w1_1")
    assert parse_expression(seed, r"\frac12 + 0.5 + \frac{1}{3}") == sympy.Rational(4, 3)
    assert parse_expression(seed, r"3 \cdot w_1^1 \times 2 / 4") == sympy.Rational(3, 2) * w
    assert parse_expression(seed, r"\left( w_1^1 \right)^{2} - -w_1^1") == w**2 + w
    assert parse_expression(seed, r"2[w_1^1 + 1]\,\{w_1^1\}") == sympy.Mul(2, w + 1, w)


def test_sums_over_a_stated_range_with_the_index_in_subscripts(seed):
    got = parse_expression(seed, r"\sum_{k=1}^{4} w_k^2 o_k^1 + 1")
    want = sum(S(seed, f"w2_{k}") * S(seed, f"o1_{k}") for k in range(1, 5)) + 1
    assert got == want
    got = parse_expression(seed, r"\sum^{2}_{k=1} i_{2k+1}^1")
    assert got == S(seed, "i1_3") + S(seed, "i1_5")
    assert parse_expression(seed, r"\sum_{k=3}^{2} w_k^1") == 0


def test_partial_derivatives_in_either_spelling(seed):
    g = seed.gradients.named(S(seed, "w1_1"))
    assert parse_expression(seed, r"\frac{\partial C}{\partial w_1^1}") == g
    assert parse_expression(seed, r"\partial C/\partial w^{1}_{1}") == g
    # ∂u/∂v for a leaf v: the derivative of u in leaves
    assert parse_expression(seed, r"\frac{\partial o_1^1}{\partial w_2^1}") == S(seed, "i1_2")


def test_a_claim_names_its_gradient_and_keeps_its_sides(seed):
    c = parse_claim(seed, r"\frac{\partial C}{\partial w_1^1} = \delta_1^1 i_1^1 + \delta_2^1 i_2^1 = 0")
    assert c.wrt == S(seed, "w1_1")
    assert [s.text for s in c.rhs] == [r"\delta_1^1 i_1^1 + \delta_2^1 i_2^1", "0"]
    assert c.rhs[0].expr == S(seed, "delta1_1") * S(seed, "i1_1") + S(seed, "delta1_2") * S(seed, "i1_2")
    # a δ on the left is ∂C/∂(the output it belongs to)
    assert parse_claim(seed, r"\delta_1^2 = 2(o_1^2 - y_1)").wrt == S(seed, "o2_1")


def test_grid_notation_is_read_from_the_table(grid):
    w = grid.network.table.by_name["W1_1_1_1_2"]
    assert parse_expression(grid, r"W^{(1)}_{1,1,1,2}") == w
    assert parse_expression(grid, r"W^{1}_{1,1,1,2}") == w
    assert parse_expression(grid, r"\sum_{k=1}^{2} x^{(0)}_{1,1,k}") == (
        grid.network.table.by_name["x0_1_1_1"] + grid.network.table.by_name["x0_1_1_2"]
    )


BAD = [
    ("", "claim: empty claim; write e.g. \\frac{\\partial C}{\\partial w_1^1} = ..."),
    ("   ", "claim: empty claim; write e.g. \\frac{\\partial C}{\\partial w_1^1} = ..."),
    (r"\frac{\partial C}{\partial w_1^1 = 2", "claim: unbalanced '{' at column 18: never closed"),
    (r"\partial C/\partial w_1^1 = (w_1^1))", "claim: unbalanced ')' at column 36: nothing to close"),
    (r"\partial C/\partial w_1^1 = (w_1^1]", "claim: unbalanced ']' at column 35: it closes '(' from column 29"),
    (r"\partial C/\partial w_1^3 = 1", "claim: layer 3 does not exist for 'w' at column 24: this network has w in layers 1, 2"),
    (r"\partial C/\partial w_5^1 = 1", "claim: index 5 out of range for 'w^{1}' at column 22: valid 1..4"),
    (r"\partial C/\partial q_1 = 1", "claim: unknown symbol 'q' at column 21"),
    (r"\partial C/\partial w_1^1 = \foo", "claim: unknown symbol '\\foo' at column 29"),
    (r"\partial C/\partial w_12^1 = 1", "claim: ambiguous subscript '_12' at column 23: it reads as _{12} or as _{1} times 2; write it in braces, _{12}"),
    (r"\partial C/\partial w_1^1 = w_1", "claim: 'w' at column 29 needs a layer mark: this network has w in layers 1, 2 "
                                        "(w^{1} or w^{2}); write e.g. w_1^1"),
    (r"\partial C/\partial w_1^1 = 2 +", "claim: expected a number, symbol or '(', found end of claim at column 32"),
    (r"\partial C/\partial w_1^1 = \sum w_k^1", "claim: '\\sum' at column 29 needs a summation variable, e.g. \\sum_k or \\sum_{k=1}^{4}"),
    (r"\partial C/\partial w_1^1 = \sum_{k=1}^{5} w_k^1", "claim: index 5 out of range for 'w^{1}' at column 45: valid 1..4"),
    (r"\partial C/\partial w_1^1", "claim: no '=' in the claim; write it as \\frac{\\partial C}{\\partial x} = your expression"),
    ("w_1^1 = 2", "claim: the left side at column 1 must be \\frac{\\partial C}{\\partial x} or a \\delta symbol"),
    (r"\partial C/\partial w_1^1 = 1/0", "claim: division by zero at column 30"),
    (r"\partial C/\partial w_1^1 = 2 @", "claim: unexpected character '@' at column 31"),
    (r"\partial C/\partial w_1^1 = w_k^1", "claim: unknown symbol 'k' at column 31"),
]


@pytest.mark.parametrize("text,message", BAD)
def test_bad_claims_name_the_token_and_its_column(seed, text, message):
    with pytest.raises(SpecError) as info:
        parse_claim(seed, text)
    assert str(info.value) == message


def test_pasted_unicode_math_reads_as_latex(seed):
    c = parse_claim(seed, "∂C/∂w_1^1 = δ_1^1 · i_1^1 + ∑_{k=2}^{2} δ_k^1 × i_k^1 − 0")
    assert c.wrt == S(seed, "w1_1")
    assert c.rhs[0].expr == S(seed, "delta1_1") * S(seed, "i1_1") + S(seed, "delta1_2") * S(seed, "i1_2")


def test_pasted_sub_and_superscripts_read_as_latex(seed):
    """w₁¹ is w_{1}^{1}: a run of Unicode subscript (superscript) characters is one braced
    subscript (superscript), columns kept."""
    assert parse_claim(seed, "∂C/∂w₁¹ = δ₁¹ i₁¹ + (w₂¹)² + 2⁻¹").rhs[0].expr == parse_claim(
        seed, r"\partial C/\partial w_1^1 = \delta_1^1 i_1^1 + (w_2^1)^2 + 2^{-1}").rhs[0].expr
    with pytest.raises(SpecError, match=r"layer 3 does not exist for 'w' at column 13"):
        parse_claim(seed, "∂C/∂w₁¹ = w₁³")


def test_the_students_question_reads_as_pasted(seed):
    """The question symconv exists for, pasted from a chat: plain subscripts, no layer mark on the
    input (seed has one), Σₖ without a range, o² of a one-output layer. It is wrong, and why."""
    verdict = check_claim(seed, "∂C/∂w₁¹ = (i₁+i₂+i₄+i₅)·Σₖ wₖ²·2(o²−y)")
    assert verdict.claim.wrt == S(seed, "w1_1") and not verdict.ok
    assert verdict.claim.notes[0] == "i without a layer mark read as i^{1}: the only layer with i"
    assert [d.kind for d in verdict.steps[0].diagnoses] == ["product_of_sums"]
    assert check_claim(seed, "∂C/∂w₁¹ = Σₖ δₖ¹ iₖ").ok is False  # i_k for k = 1..9, δ for 1..4: not the window


def test_custom_letters_come_from_the_table():
    m = symconv.load({**symconv.spec.EXAMPLES["seed"], "notation": {"input": "x_in", "weight": "k"}})
    got = parse_expression(m, r"\mathrm{x\_in}^1_2 k_1^2")
    assert got == m.network.table.by_name["x_in1_2"] * m.network.table.by_name["k2_1"]
    with pytest.raises(SpecError, match="unknown symbol 'w' at column 1"):
        parse_expression(m, "w_1^1")


def test_tokens_carry_1_based_columns():
    toks = tokenize(r"\frac{a}{b}")
    assert [(t.kind, t.text, t.pos) for t in toks] == [
        ("cmd", "frac", 1), ("op", "{", 6), ("letter", "a", 7), ("op", "}", 8),
        ("op", "{", 9), ("letter", "b", 10), ("op", "}", 11), ("end", "", 12),
    ]


# ----------------------------------------------------------------------------- generated malformed claims
# Every strategy below yields a claim that is malformed by construction; each must give exit 2 and
# one line on stderr, never a traceback (the CLI is called in-process: an exception would fail).

from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from symconv.cli import main  # noqa: E402

VALID = [
    r"\frac{\partial C}{\partial w_1^1} = 2(o_1^2 - y_1)(w_1^2 i_1^1 + w_2^2 i_2^1 + w_3^2 i_4^1 + w_4^2 i_5^1)",
    r"\partial C/\partial w^{1}_{2} = \delta_1^1 i_2^1 + \delta_2^1 i_3^1",
    r"\delta_1^2 = 2\left(o_1^2 - y_1\right)",
    r"\frac{\partial C}{\partial i_5^1} = \sum_{k=1}^{4} \delta_k^1 w_{5-k}^1",
]
SETTINGS = settings(max_examples=110, deadline=None, suppress_health_check=list(HealthCheck))


def run_bad(capsys, claim: str) -> str:
    status = main(["check", "--example", "seed", claim])
    captured = capsys.readouterr()
    assert status == 2, (claim, captured.out)
    assert captured.err.startswith("symconv: error: claim: ") and captured.err.count("\n") == 1, captured.err
    return captured.err


@SETTINGS
@given(base=st.sampled_from(VALID), where=st.integers(0, 10_000), ch=st.sampled_from(list("{}()[]")))
def test_generated_unbalanced_delimiters(capsys, base, where, ch):
    pos = where % (len(base) + 1)
    err = run_bad(capsys, base[:pos] + ch + base[pos:])
    assert "column" in err


@SETTINGS
@given(base=st.sampled_from(VALID), letter=st.sampled_from(list("abeghjlmnpqrstuvxzABDEFG")),
       index=st.integers(1, 99))
def test_generated_unknown_symbols(capsys, base, letter, index):
    err = run_bad(capsys, f"{base} + {letter}_{{{index}}}^1")
    assert f"unknown symbol '{letter}' at column {len(base) + 4}" in err


@SETTINGS
@given(base=st.sampled_from(VALID), k=st.one_of(st.integers(5, 10**6), st.integers(-50, 0)), layer=st.sampled_from([1, 2]))
def test_generated_indices_out_of_range(capsys, base, k, layer):
    err = run_bad(capsys, f"{base} + w_{{{k}}}^{{{layer}}}")
    assert f"index {k} out of range for 'w^{{{layer}}}' at column" in err


@SETTINGS
@given(base=st.sampled_from(VALID), layer=st.one_of(st.integers(3, 10**6), st.integers(-50, 0)),
       letter=st.sampled_from(["w", "o", r"\delta", "i"]))
def test_generated_layers_that_do_not_exist(capsys, base, layer, letter):
    err = run_bad(capsys, f"{base} - {letter}_1^{{{layer}}}")
    assert f"layer {layer} does not exist for '{letter}' at column" in err


@SETTINGS
@given(st.lists(st.sampled_from([" ", "\t", r"\,", r"\;", r"\quad", "\n"]), max_size=8))
def test_generated_empty_claims(capsys, parts):
    run_bad(capsys, "".join(parts))


@SETTINGS
@given(base=st.sampled_from(VALID), where=st.integers(0, 10_000), ch=st.sampled_from(list("%#@?\"`!|<>") + ["€", "∞", "√"]))
def test_generated_stray_characters(capsys, base, where, ch):
    pos = where % (len(base) + 1)
    assume(not (ch == "?" and pos == len(base)))  # "… = x?": the claim asked as a question reads
    run_bad(capsys, base[:pos] + ch + base[pos:])


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(list(r"\{}()_^=+-*/ 0123456789wioyCkfz'.,") + list("₁₂¹²ₖᵏ₍₎₋⁻ⁿ∂·Σ−")
                               + [r"\partial", r"\frac", r"\sum", r"\delta"]), max_size=30))
def test_arbitrary_text_never_gives_a_traceback(capsys, parts):
    text = "".join(parts)
    status = main(["check", "--example", "seed", text])
    captured = capsys.readouterr()
    assert status in (0, 1, 2)
    if status == 2:
        assert captured.err.count("\n") == 1
