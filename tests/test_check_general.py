r"""``check --general``: general index formulas in symbolic sizes (issue 13 item 4)."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from symconv.check.general import Config, check_general_claim, exact_gradient
from symconv.cli import main

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
    assert rotated.diagnoses[0].startswith("kernel rotated by 180 degrees")


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
