r"""``check --general``: general index formulas in symbolic sizes (issue 13 item 4)."""

from __future__ import annotations

import re
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from symconv.check import general
from symconv.check.general import Config, check_general_claim, exact_gradient
from symconv.cli import main
from symconv.errors import SpecError

QA = r"\frac{\partial L}{\partial X_p} = \sum_{i=\lfloor (p-f)/s+1 \rfloor}^{\lfloor (p-1)/s+1 \rfloor} \delta_i W_{p-(i-1)s}"
CORRECT = (r"\frac{\partial L}{\partial X_p} = \sum_{i=\max(1, \lceil (p-f)/s \rceil + 1)}^{\min(H_{out}, "
           r"\lfloor (p-1)/s \rfloor + 1)} \delta_i W_{p-(i-1)s}")


def test_the_qa_formula_is_wrong_with_the_smallest_counterexample_and_both_slips():
    v = check_general_claim(QA)
    assert not v.ok
    assert v.reading.sizes == {"f": "k", "s": "s"} and v.reading.fixed == {"p": 0, "d": 1}
    assert (v.config.H, v.config.k, v.config.s, v.element) == (2, 1, 2, (2,))
    assert v.undefined == "the claim reads W_{2}, which does not exist (indices 1..1)"
    assert v.truth_value == "0"
    assert v.diagnoses == (
        r"bounds not clamped: the sum reaches \delta entries that do not exist; clamp its bounds with "
        r"\max(1, ...) and \min(H_{out}, ...)",
        r"a floor where a ceiling belongs (\lfloor at column 43)",
    )
    text = v.render()
    assert "WRONG: smallest counterexample H = 2, k = 1, s = 2, p = 0, d = 1, element X_{2}" in text
    assert "not mentioned, so fixed: padding 0, dilation 1" in text


def test_the_corrected_formula_is_accepted_on_every_configuration():
    v = check_general_claim(CORRECT)
    assert v.ok and v.n_configs == 66
    assert "RIGHT: checked on 66 configurations" in v.render()


def test_iverson_brackets_padding_and_dilation():
    claim = r"∂L/∂X_q = \sum_i \sum_j [(i-1)s + 1 + (j-1)d - p = q] \delta_i W_j"
    v = check_general_claim(claim, bound={"H": 5, "k": 3, "s": 2, "d": 2, "p": 1})
    assert v.ok
    rotated = check_general_claim(claim.replace("W_j", "W_{k+1-j}"), bound={"H": 5, "k": 3, "s": 2, "d": 2, "p": 1})
    assert not rotated.ok
    assert rotated.diagnoses[0].startswith("kernel not rotated")


def test_stride_zeros_missing_is_named():
    claim = r"∂L/∂X_q = \sum_i \sum_j [(i-1) + 1 + (j-1) = q] \delta_i W_j [i \le H_{out}] + 0 s"
    v = check_general_claim(claim, bound={"H": 5, "k": 3, "s": 2})
    assert not v.ok and any(d.startswith("stride zeros not inserted") for d in v.diagnoses)


def test_off_by_one_bound_is_named():
    claim = CORRECT.replace(r"\lfloor (p-1)/s \rfloor + 1)", r"\lfloor (p-1)/s \rfloor)")
    v = check_general_claim(claim, bound={"H": 5, "k": 3})
    assert not v.ok
    assert any("upper bound of the sum" in d and "one more" in d for d in v.diagnoses), v.diagnoses


def test_exact_gradient_is_the_transpose_of_the_forward_pass():
    cf = Config(H=5, W=5, k=2, s=2, p=1, d=1)  # 3 outputs; output i reads X at 2i - 3 + j
    assert exact_gradient(cf, (1,), 1) == {(("K", (2,)), ("\\delta", (1,))): 1}
    assert exact_gradient(cf, (4,), 1) == {(("K", (1,)), ("\\delta", (3,))): 1}
    cf = Config(H=4, W=4, k=3, s=1, p=0, d=1)  # every X_2 is read twice
    assert exact_gradient(cf, (2,), 1) == {(("K", (2,)), ("\\delta", (1,))): 1, (("K", (1,)), ("\\delta", (2,))): 1}


def test_cli_exit_status(capsys):
    assert main(["check", "--general", CORRECT]) == 0
    assert main(["check", "--general", QA]) == 1
    out = capsys.readouterr().out
    assert "RIGHT: checked on" in out and "WRONG: smallest counterexample" in out
    assert main(["check", "--example", "seed", "--general", CORRECT]) == 2
    assert "symconv: error: --general: takes the claim only" in capsys.readouterr().err


PIECES = [r"\partial L/\partial X_p = ", r"\frac{\partial L}{\partial X_{p,q}} = ", r"\sum", "_{i=1}", "^{H}", "_i",
          r"\delta_i", r"\delta_{i,j}", "W_{p-i+1}", "W_j", r"\lfloor", r"\rfloor", r"\lceil", r"\rceil", "[", "]",
          r"\le", "=", "(", ")", "{", "}", "+", "-", "/", "s", "k", "f", "p", "H_{out}", r"\max(", ",", "0", "1",
          "Q", r"\mid", "$", "&", "\\", "_", "^"]


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(PIECES), max_size=14))
def test_garbage_general_claims_give_one_line_and_exit_2(capsys, parts):
    text = "".join(parts)
    try:
        status = main(["check", "--general", text])
    except SystemExit as exc:  # argparse refuses an argument starting with '-'
        status = exc.code
    captured = capsys.readouterr()
    assert status in (0, 1, 2)
    if status == 2:
        assert captured.err.startswith("symconv: error: ") and captured.err.count("\n") == 1, captured.err
        assert "Traceback" not in captured.err


# ----------------------------------------------------------------------------- 2-D claims

IVERSON_2D = (r"\frac{\partial L}{\partial X_{u,v}} = \sum_{i=1}^{H_{out}} \sum_{j=1}^{W_{out}} \sum_{m=1}^{k_h} "
              r"\sum_{n=1}^{k_w} [(i-1)s + 1 + (m-1)d - p = u] [(j-1)s + 1 + (n-1)d - p = v] \delta_{i,j} K_{m,n}")
FULL_2D = (r"\frac{\partial L}{\partial X_{i,j}} = \sum_{m=1}^{k} \sum_{n=1}^{k} [1 \le i-m+1] [i-m+1 \le H_{out}] "
           r"[1 \le j-n+1] [j-n+1 \le W_{out}] \delta_{i-m+1,j-n+1} W_{m,n}")
UNROTATED_2D = (r"\frac{\partial L}{\partial X_{i,j}} = \sum_{m=1}^{k} \sum_{n=1}^{k} [1 \le i+m-k] [i+m-k \le H_{out}] "
                r"[1 \le j+n-k] [j+n-k \le W_{out}] \delta_{i+m-k,j+n-k} W_{m,n}")


def test_a_2d_claim_of_the_general_proofs_form_is_proven_with_its_steps():
    v = check_general_claim(IVERSON_2D)
    assert v.ok and v.proof is not None and v.proof.key == "dx"
    assert v.reading.sizes == {"H_out": "H_out", "W_out": "W_out", "d": "d", "k_h": "k_h", "k_w": "k_w",
                               "p": "p", "s": "s"} and not v.reading.square
    assert [rule for _, rule, _, _ in v.proof.steps] == [
        "chain rule", "unfold definition", "linearity, product rule", "tensor derivative", "unfold definition",
        "linearity, product rule", "tensor derivative", "sum out", "drop bracket"]
    text = v.render()
    assert "RIGHT, proven for all sizes" in text and "(1) chain rule: = " in text
    assert "section 6 of output/general/general.md" in text  # "## 6. Gradient with respect to the input"
    assert "also checked on 1238 configurations (H <= 5, W <= 5, k_h, k_w <= 3, s <= 2, p <= 1, d <= 2)" in text
    general_md = (Path(__file__).resolve().parent.parent / "output" / "general" / "general.md").read_text("utf-8")
    assert "## 6. Gradient with respect to the input\n" in general_md


def test_a_2d_claim_that_differs_from_every_proven_result_is_not_proven():
    # the same claim with the padding left out: right only where p = 0, which it then fixes
    v = check_general_claim(IVERSON_2D.replace(" - p = u]", " = u]").replace(" - p = v]", " = v]"))
    assert v.ok and v.reading.fixed == {"p": 0} and v.proof is not None  # p fixed at 0: still proven
    swapped = IVERSON_2D.replace(r"\delta_{i,j}", r"\delta_{j,i}")
    w = check_general_claim(swapped)
    assert not w.ok and w.proof is None


def test_the_full_correlation_with_the_rotated_kernel_is_accepted_in_2d():
    v = check_general_claim(FULL_2D)
    assert v.ok and v.proof is None and v.reading.square
    assert v.reading.fixed == {"s": 1, "p": 0, "d": 1} and v.reading.kernel == "W"
    assert (v.n_configs, v.n_elements) == (50, 565)
    assert "RIGHT: checked on 50 configurations (H <= 5, W <= 5, k <= 3), 565 elements" in v.render()


def test_a_2d_claim_with_the_kernel_not_rotated_is_caught_and_named():
    v = check_general_claim(UNROTATED_2D)
    assert not v.ok
    assert (v.config.H, v.config.W, v.config.k, v.element) == (2, 2, 2, (1, 1))
    assert (v.claim_value, v.truth_value) == (r"W_{2,2} \delta_{1,1}", r"W_{1,1} \delta_{1,1}")
    assert v.diagnoses and v.diagnoses[0].startswith("kernel not rotated")
    assert "WRONG: smallest counterexample H = 2, W = 2, k = 2, s = 1, p = 0, d = 1, element X_{1, 1}" in v.render()


def test_2d_configurations_vary_height_width_and_kernel_sides_independently():
    v = check_general_claim(IVERSON_2D.replace(r"\delta_{i,j} K_{m,n}", r"\delta_{i,j} K_{m,n} [m \le 1]"))
    assert not v.ok  # first wrong on a 1 x 1 input, padded, under a kernel of two rows and one column
    assert v.config.show(2) == "H = 1, W = 1, k_h = 2, k_w = 1, s = 1, p = 1, d = 1"


def test_2d_exact_gradient_pairs_each_input_with_the_outputs_that_read_it():
    cf = Config(H=3, W=2, k=2, s=1, p=0, d=1, kw=1)  # outputs 2 x 2; X_{2,1} is read by outputs (1,1), (2,1)
    assert exact_gradient(cf, (2, 1), 2) == {(("K", (2, 1)), ("\\delta", (1, 1))): 1,
                                             (("K", (1, 1)), ("\\delta", (2, 1))): 1}
    assert exact_gradient(cf, (2, 1), 2, "rotated") == {(("K", (1, 1)), ("\\delta", (1, 1))): 1,
                                                        (("K", (2, 1)), ("\\delta", (2, 1))): 1}


@pytest.mark.parametrize("claim, message", [
    (r"\partial L/\partial X_{u,v} = \sum_m \delta_{u,v} K_{m,m} k k_h",
     "ambiguous kernel size: the claim names k and k_h or k_w; use k (square) or k_h and k_w"),
    (r"\partial L/\partial X_{u} = \delta_{u} K_{k_h}", "X_u is 1-D, but the claim names a 2-D size (k_h); give X two indices"),
])
def test_2d_reading_errors_name_the_fix(claim, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        check_general_claim(claim)


PIECES_2D = [r"\frac{\partial L}{\partial X_{u,v}} = ", r"\partial L/\partial X_{i,j} = ", r"\sum", "_{i=1}", "_{m=1}",
             "^{H_{out}}", "^{W_{out}}", "^{k_h}", "^{k_w}", "^{k}", "_i", "_n", r"\delta_{i,j}", r"\delta_{i-m+1,j-n+1}",
             "K_{m,n}", "W_{m,n}", "k_h", "k_w", "k_{h}", "k", "s", "p", "d", "u", "v", "[", "]", "(", ")", "{", "}",
             r"\le", "=", "+", "-", "*", "/", r"\lfloor", r"\rfloor", r"\lceil", r"\rceil", r"\max(", r"\min(", ",",
             "0", "1", r"\mid", "_", "^", "$", "\\"]


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(PIECES_2D), max_size=16))
def test_garbage_2d_general_claims_give_one_line_and_exit_2(capsys, monkeypatch, parts):
    monkeypatch.setattr(general, "BOUND_2D", {"H": 3, "W": 3, "k": 2, "s": 2, "d": 1, "p": 1})
    text = "".join(parts)
    try:
        status = main(["check", "--general", text])
    except SystemExit as exc:  # argparse refuses an argument starting with '-'
        status = exc.code
    captured = capsys.readouterr()
    assert status in (0, 1, 2)
    if status == 2:
        assert captured.err.startswith("symconv: error: ") and captured.err.count("\n") == 1, captured.err
    assert "Traceback" not in captured.err
