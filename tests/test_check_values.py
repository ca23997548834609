"""Judging at values (issue 13 item 3): --values FILE.toml / --random SEED, exact rationals; δ of a
pooling layer's output; garbage value files give one line and exit 2."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

import symconv
from symconv.check import check_claim
from symconv.cli import main

RIGHT = r"\frac{\partial C}{\partial w_1^2} = 2(o^2 - y) o_1^1"
WRONG = r"\frac{\partial C}{\partial w_1^2} = 2 o^2 o_1^1"


def test_values_and_random_are_exact(tmp_path, capsys):
    f = tmp_path / "v.toml"
    f.write_text('[values]\nw1_1 = 1\n"w_2^1" = "1/2"\ny_1 = 0.5\n', encoding="utf-8")
    assert main(["check", "--example", "seed", RIGHT, "--values", str(f), "--random", "3"]) == 0
    out = capsys.readouterr().out
    assert r"at the values: w^{1}_{1} = 1, w^{1}_{2} = \frac{1}{2}, y_{1} = \frac{1}{2}; 15 more drawn at random (integers -3..3, the --random seed)" in out
    assert ": holds there, and holds in general" in out


def test_a_wrong_claim_that_holds_at_a_point(tmp_path, capsys):
    f = tmp_path / "v.toml"  # y = 0: the missing - y does not matter here
    f.write_text("[values]\ny_1 = 0\n", encoding="utf-8")
    assert main(["check", "--example", "seed", WRONG, "--values", str(f), "--random", "1"]) == 1
    assert "holds there, but does not hold in general" in capsys.readouterr().out


def test_missing_values_without_a_seed(tmp_path, capsys):
    f = tmp_path / "v.toml"
    f.write_text("[values]\nw1_1 = 1\n", encoding="utf-8")
    assert main(["check", "--example", "seed", RIGHT, "--values", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("symconv: error: --values: no value for i1_1, i1_2") and "add --random SEED" in err


def test_delta_of_a_pooling_output_is_its_output_gradient():
    m = symconv.load({"input": {"shape": [1, 3, 3]}, "layers": [
        {"type": "conv2d", "kernel_size": 2}, {"type": "max_pool2d", "kernel_size": 2}]})
    v = check_claim(m, r"\delta^2 = 2(o^2 - y)")
    assert v.ok
    assert v.claim.notes == (r"\delta^{2} of layer 2, which has no activation (a pooling layer), read as "
                             r"\partial C/\partial o^{2}, the gradient of its output",)
    assert check_claim(m, r"\delta_1^1 = \delta^2 \mathrm{route}_{\max}(o_1^1 \to o^2)").ok


VALUE_PIECES = ["[values]\n", "[other]\n", "w1_1 = ", "y_1 = ", '"w_1^1" = ', "q = ", "C = ", "o1_1 = ", "1", "0.5", '"1/3"',
                '"1/0"', '"x"', "true", "[1, 2]", "inf", "nan", "\n", "=", "[", '"', "1e400"]


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(VALUE_PIECES), max_size=12))
def test_garbage_value_files_give_one_line_and_exit_2(tmp_path_factory, capsys, parts):
    f = tmp_path_factory.mktemp("v") / "v.toml"
    f.write_text("".join(parts), encoding="utf-8")
    status = main(["check", "--example", "seed", RIGHT, "--values", str(f), "--random", "0"])
    captured = capsys.readouterr()
    assert status in (0, 2)
    if status == 2:
        assert captured.err.startswith("symconv: error: --values") and captured.err.count("\n") == 1, captured.err


def test_derive_and_check_read_one_values_file_in_either_layout(tmp_path, capsys):
    """derive --values read name = number at the top level and check --values a [values] table,
    each refusing the other's layout; both now read both, with the same numbers."""
    model = symconv.load(symconv.example("seed"))
    leaves = [s.name for s in model.network.table.info if model.network.table.info[s].role in
              ("input", "weight", "bias", "target")]
    lines = "".join(f'{name} = "{k}/7"\n' for k, name in enumerate(leaves, start=1))
    flat, table = tmp_path / "flat.toml", tmp_path / "table.toml"
    flat.write_text(lines, encoding="utf-8")
    table.write_text("[values]\n" + lines, encoding="utf-8")
    documents = []
    for f in (flat, table):
        out = tmp_path / f.stem
        assert main(["derive", "--example", "seed", "--values", str(f), "--format", "md", "--out", str(out)]) == 0
        documents.append((out / "seed.md").read_text(encoding="utf-8"))
        assert main(["check", "--example", "seed", RIGHT, "--values", str(f)]) == 0
        assert r"at the values: i^{1}_{1} = \frac{1}{7}" in capsys.readouterr().out
    assert documents[0] == documents[1] and r"\frac{1}{7}" in documents[0]


def test_a_large_verdict_in_the_terminal_stays_readable(capsys):
    """The small LeNet's ∂C/∂w^1_1 (hundreds of terms): the exact gradient and the difference
    come as rows, at most TEXT_ROWS each with a count of the rest; every line fits a wide
    terminal; all values drawn, and the range they were drawn from, are said."""
    from symconv.check.report import TEXT_ROWS

    assert main(["check", "--example", "lenet_small", r"\frac{\partial C}{\partial w^1_1} = 0", "--random", "1"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) < 300, max(lines, key=len)[:120]
    more = [line.strip() for line in lines if line.lstrip().startswith("…")]
    assert len(more) == 2 and all(m.endswith("more rows (--format md or tex writes every row)") for m in more)
    exact = lines.index(r"exact: \frac{\partial C}{\partial w^{1}_{1}} =")
    assert lines[exact + TEXT_ROWS].lstrip().startswith("…")
    assert "at the values: all 86 drawn at random (integers -3..3, the --random seed)" in lines


BAD_VALUE_FILES = {
    "not TOML": "w1_1 = = 2\n",
    "another table beside [values]": "[values]\nw1_1 = 1\n[extra]\nx = 1\n",
    "empty": "",
    "a non-leaf": "o1_1 = 1\n",
    "an unknown name": "q9 = 1\n",
    "not a number": 'w1_1 = "two"\n',
    "a leaf named twice": 'w1_1 = 1\n"w_1^1" = 2\n',
    "a huge number": f"w1_1 = \"1/{'9' * 120}\"\n",
}


@pytest.mark.parametrize("content", BAD_VALUE_FILES.values(), ids=BAD_VALUE_FILES.keys())
def test_derive_and_check_refuse_a_bad_values_file_alike(tmp_path, capsys, content):
    """One reader of values files (symconv.values.read_values_table): derive and check refuse the
    same bad file with the same one-line message (check also takes files that give some leaves
    only; a file that derive refuses for a missing leaf is not in this list)."""
    f = tmp_path / "v.toml"
    f.write_text(content, encoding="utf-8")
    assert main(["derive", "--example", "seed", "--values", str(f), "--format", "md", "--out", str(tmp_path / "o")]) == 2
    derive_err = capsys.readouterr().err
    assert main(["check", "--example", "seed", RIGHT, "--values", str(f), "--random", "0"]) == 2
    check_err = capsys.readouterr().err
    assert derive_err == check_err and derive_err.count("\n") == 1, (derive_err, check_err)
    assert not (tmp_path / "o").exists()
