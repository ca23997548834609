"""check-code / check_backward / assert_backward_correct (issue 13 item 5): one small buggy NumPy
implementation per listed mistake, each named, and correct ones that pass."""

from __future__ import annotations

import sys
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from symconv.cli import main
from symconv.testing import assert_backward_correct, check_backward

sys.path.insert(0, str(Path(__file__).parent))
from backward_impls import impls

STRIDED = "conv2d:kernel_size=3,stride=2,padding=1,out_channels=1,input=1x5x5"
OVERLAP = "conv2d:kernel_size=2,stride=1,out_channels=1,input=1x4x4"
RELU = "conv2d:kernel_size=2,stride=1,out_channels=1,activation=relu,input=1x4x4"
POOL = "max_pool2d:kernel_size=2,stride=1,input=1x4x4"


@pytest.mark.parametrize(("name", "layer"), [
    ("conv_backward", STRIDED), ("conv_backward_plain", STRIDED), ("conv_backward_textbook", STRIDED),
    ("conv_backward", OVERLAP), ("conv_relu_backward", RELU), ("maxpool_backward", POOL),
])
def test_correct_implementations_pass(name, layer):
    report = check_backward(getattr(impls, name), layer)
    assert report.ok, report.text
    assert report.text.startswith("backward correct: every element of dx, dw")  or name.startswith("maxpool")
    assert_backward_correct(getattr(impls, name), layer)


@pytest.mark.parametrize(("name", "layer", "kind"), [
    ("conv_backward_no_stride_zeros", STRIDED, "stride_zeros_missing"),
    ("conv_backward_not_rotated", STRIDED, "kernel_not_rotated"),
    ("conv_backward_padding_not_cropped", STRIDED, "padding_not_cropped"),
    ("conv_backward_convention_swapped", STRIDED, "convention_swapped"),
    ("conv_backward_overwrite", OVERLAP, "overlap_overwritten"),
    ("maxpool_backward_overwrite", POOL, "overlap_overwritten"),
    ("conv_backward_first_window", STRIDED, "first_window_only"),
    ("maxpool_backward_ties", POOL, "maxpool_ties"),
    ("conv_relu_backward_no_derivative", RELU, "missing_activation_derivative"),
    ("conv_backward_factor_2", STRIDED, "factor_2"),
])
def test_each_buggy_implementation_is_named(name, layer, kind):
    report = check_backward(getattr(impls, name), layer)
    assert not report.ok
    assert [k for k, _ in report.mistakes] == [kind], report.text
    with pytest.raises(AssertionError) as err:
        assert_backward_correct(getattr(impls, name), layer)
    assert str(err.value) == report.text and "mistake: " in report.text


def test_cli(capsys, monkeypatch):
    monkeypatch.chdir(Path(__file__).parent)
    assert main(["check-code", "backward_impls.impls:maxpool_backward_ties", "--layer", POOL]) == 1
    assert "mistake: max-pool ties" in capsys.readouterr().out
    assert main(["check-code", "backward_impls/impls.py:conv_backward", "--layer", STRIDED]) == 0
    assert capsys.readouterr().out.startswith("backward correct")


@pytest.mark.parametrize(("args", "message"), [
    (["nope_module_x:f", "--layer", POOL], "MODULE:FUNCTION: cannot import nope_module_x: ModuleNotFoundError"),
    (["backward_impls.impls:nothing", "--layer", POOL], "MODULE:FUNCTION: backward_impls.impls has no function nothing"),
    (["backward_impls.impls:conv_backward", "--layer", "conv2d"],
     "--layer: write TYPE:key=value,...,input=CxHxW, e.g. conv2d:kernel_size=3,stride=2,input=1x5x5"),
    (["backward_impls.impls:conv_backward", "--layer", "conv2d:kernel_size=3"], "--layer: give the input shape, e.g. input=1x5x5"),
])
def test_bad_input_is_one_line_exit_2(capsys, monkeypatch, args, message):
    monkeypatch.chdir(Path(__file__).parent)
    assert main(["check-code", *args]) == 2
    assert capsys.readouterr().err == f"symconv: error: {message}\n"


PIECES = ["conv2d", "max_pool2d", "dense", ":", ",", "=", "kernel_size", "stride", "padding", "input", "x", "1", "3",
          "0", "99", "1x5x5", "2x2", "relu", "ties", "first", " ", "-", "€", "a=b", "input=1x1x1"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(PIECES), max_size=10), st.sampled_from(
    ["backward_impls.impls:conv_backward", "backward_impls.impls:maxpool_backward", "x:y", "::", "a.py:f", ""]))
def test_garbage_layers_and_targets_give_one_line(capsys, parts, target):
    import os

    old = os.getcwd()
    os.chdir(Path(__file__).parent)
    try:
        status = main(["check-code", target, "--layer", "".join(parts)])
    except SystemExit as exc:  # argparse: an argument starting with '-'
        status = exc.code
    finally:
        os.chdir(old)
    captured = capsys.readouterr()
    assert status in (0, 1, 2)
    if status == 2:
        assert captured.err.startswith("symconv: error: ") and captured.err.count("\n") == 1, captured.err


def test_without_numpy_the_error_names_what_to_install(monkeypatch):
    """check-code hands NumPy arrays to the user's function: without NumPy it says so in one line."""
    from symconv.errors import SpecError

    monkeypatch.setitem(sys.modules, "numpy", None)  # makes `import numpy` raise ImportError
    with pytest.raises(SpecError, match=r"^FUNCTION: a backward function takes NumPy arrays; install NumPy \(pip install numpy\)$"):
        check_backward(lambda x, w, dout: (x, w), OVERLAP)


def test_exact_rationals_where_the_code_allows_else_float64_stated():
    from symconv.codecheck import EXACT, FLOAT

    np = pytest.importorskip("numpy")
    exact = check_backward(impls.conv_backward, STRIDED)
    assert exact.ok and exact.arithmetic == EXACT and EXACT in exact.text
    # np.zeros(shape) makes float arrays: the outputs are floats, so the comparison is float64
    textbook = check_backward(impls.conv_backward_textbook, STRIDED)
    assert textbook.ok and textbook.arithmetic == FLOAT and FLOAT in textbook.text

    def refuses_fractions(dout, cache):
        x, w, b, param = cache
        x, w, dout = (np.asarray(a, dtype=np.float64) for a in (x, w, dout))
        return impls.conv_backward(dout, (x, w, np.asarray(b, dtype=np.float64), param))

    floated = check_backward(refuses_fractions, STRIDED)
    assert floated.ok and floated.arithmetic == FLOAT


def test_exact_arithmetic_sees_an_error_below_the_float_tolerance():
    from fractions import Fraction

    def almost(dout, cache):  # every gradient off by one part in 10^12: inside float64's 1e-9
        dx, dw, db = impls.conv_backward(dout, cache)
        return dx * Fraction(10**12 + 1, 10**12), dw, db

    report = check_backward(almost, STRIDED)
    assert not report.ok and report.wrong["dx"] > 0 and report.wrong["dw"] == 0
    assert "arithmetic: exact rationals (object arrays of fractions.Fraction)" in report.text

    def almost_float(dout, cache):  # the same error in floats: within the stated tolerance
        dx, dw, db = impls.conv_backward(dout, cache)
        return (dx * Fraction(10**12 + 1, 10**12)).astype(float), dw, db

    assert check_backward(almost_float, STRIDED).ok


def test_exact_division_of_an_average_pool():
    import numpy as np

    def avgpool_backward(dout, cache):
        x, param = cache
        k, s = param["pool_height"], param["stride"]
        dx = np.zeros_like(x)
        _, C, Ho, Wo = dout.shape
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    dx[0, c, i * s:i * s + k, j * s:j * s + k] += dout[0, c, i, j] / (k * k)
        return dx

    report = check_backward(avgpool_backward, "avg_pool2d:kernel_size=3,stride=1,input=1x4x4")
    assert report.ok and report.arithmetic.startswith("exact"), report.text
