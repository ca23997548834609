"""The command line: files written, bad input → one line on stderr and exit 2, nothing written."""

from __future__ import annotations

import json
import string
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv.cli import main

from .conftest import require_tool

ROOT = Path(__file__).resolve().parent.parent


def run(argv, capsys):
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_derive_example_writes_md_tex_json(tmp_path, capsys):
    status, out, err = run(["derive", "--example", "seed", "--out", str(tmp_path), "--format", "md,tex,json"], capsys)
    assert status == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed.figures", "seed.json", "seed.md", "seed.tex"]
    doc = json.loads((tmp_path / "seed.json").read_text())
    assert doc["form"] == "leaf"
    assert {s["role"] for s in doc["symbols"]} == {"input", "weight", "activation", "target"}


def test_derive_writes_a_pdf_without_errors_or_overfull_boxes(tmp_path, capsys):
    require_tool("latexmk")
    status, _, err = run(["derive", "--example", "seed", "--out", str(tmp_path), "--format", "pdf"], capsys)
    assert status == 0, err
    assert (tmp_path / "seed.pdf").read_bytes().startswith(b"%PDF")
    from symconv.derivation import derive
    from symconv.pdf import build_pdf
    from symconv.render import render
    import symconv

    result = build_pdf(render(derive(symconv.load(symconv.example("seed"))), "tex"), "seed")
    assert result.errors == ()
    assert result.overfull == ()


def test_python_dash_m_runs_the_cli(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "symconv", "derive", "--example", "seed", "--out", str(tmp_path), "--format", "json"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "seed.json").exists()


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["derive"], "SPEC: give exactly one of a spec file or --example NAME"),
        (["derive", "--example", "nope"], "--example: unknown example 'nope'"),
        (["derive", "--example", "seed", "--format", "docx"], "--format: unknown format 'docx'"),
        (["derive", "--example", "seed", "--format", ","], "--format: is empty"),
        (["derive", "missing.toml"], "missing.toml: no such file"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, needle, tmp_path, capsys):
    status, out, err = run(argv + ["--out", str(tmp_path / "o")] if argv[0] == "derive" else argv, capsys)
    assert status == 2
    assert needle in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "toml_text, needle",
    [
        ("title = 1", "title: must be a single-line string"),
        ("[input]\nshape = [1, 3, 3]\n[[layers]]\nkernel_sise = 2", "layers[1].kernel_sise: unknown key"),
        ("[input]\nshape = [1, 3, 3]\n[[layers]]\nkernel_size = 4", "layers[1].kernel_size: dilated kernel height 4 is larger"),
        ("[input]\nshape = [1, 3, 3]\n[[layers]]\nstride = 2\npadding = \"same\"", "layers[1].padding: \"same\" is refused with stride > 1"),
        ("[input]\nshape = [1, 3]\n[[layers]]\n", "input.shape: must be [channels, height, width]"),
        ("[input]\nshape = [1, 3, 3]\n[[layers]]\nactivation = \"swish\"", "layers[1].activation: must be one of"),
        ("[input]\nshape = [1, 3, 3]\n[[layers]]\n[cost]\ntype = \"hinge\"", "cost.type: must be one of"),
        ("[input]\nshape = [1, 3, 3]\n[[layers]]\nout_channels = 3\ngroups = 2", "layers[1].groups: out_channels (3) must be divisible by groups (2)"),
        ("[input]\nshape = [1, 3, 3]\n[[layers]]\ntype = \"dense\"", "layers[1].type: a dense layer needs a vector; add a flatten layer before it"),
        ("[input\nshape", "is not valid TOML"),
    ],
)
def test_bad_spec_files(toml_text, needle, tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_text(toml_text)
    status, _, err = run(["derive", str(spec), "--out", str(tmp_path / "o")], capsys)
    assert status == 2, err
    assert needle in err
    assert err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_missing_tex_exits_3_and_writes_nothing(tmp_path, capsys, monkeypatch):
    import symconv.pdf

    monkeypatch.setattr(symconv.pdf.shutil, "which", lambda name: None)
    status, _, err = run(["derive", "--example", "seed", "--out", str(tmp_path / "o"), "--format", "md,pdf"], capsys)
    assert status == 3
    assert "texlive-latex-base texlive-latex-recommended latexmk" in err
    assert not (tmp_path / "o").exists()


_words = st.sampled_from(["derive", "--example", "seed", "--format", "--out", "md", "pdf,md", "", "-", "--", "x.toml"])
_argv = st.lists(st.one_of(_words, st.text(alphabet=string.printable, max_size=12)), max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=_argv)
def test_garbage_command_lines_never_trace_back(argv, tmp_path_factory, capsys):
    out_dir = tmp_path_factory.mktemp("garbage")
    argv = [a for a in argv if a not in ("--help", "-h", "--version")]
    if "--out" in argv or argv[:1] == ["derive"]:
        argv = argv + ["--out", str(out_dir), "--format", "json"]
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse --help/--version only
        status = exc.code
    _, err = capsys.readouterr()
    assert "Traceback" not in err
    assert status in (0, 2, 3), err
    if status != 0:
        assert err.count("\n") == 1, err


_toml_values = st.recursive(
    st.one_of(st.integers(-3, 9), st.booleans(), st.text(max_size=6), st.floats(allow_nan=True),
              st.sampled_from(["same", "full", "valid", "relu", "conv2d", "dense", "flatten", "max_pool2d"])),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(
        ["type", "kernel_size", "stride", "padding", "out_channels", "groups", "bias", "shape", "activation"]), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["title", "convention", "input", "layers", "cost", "notation", "junk"]), _toml_values, max_size=5))
def test_garbage_specs_raise_only_spec_error(data):
    import symconv
    from symconv.errors import SpecError

    try:
        m = symconv.load(data)
        m.network  # shapes are validated when the network is built
    except SpecError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["prove"], "prove: only the general proof exists so far; add --general"),
        (["prove", "--general", "--format", "svg"], "--format: give a comma-separated list of md, tex, pdf"),
        (["prove", "--general", "--notation", "klingon"], "--notation: must be seed, goodfellow or both"),
        (["prove", "--general", "--check", "-1"], "argument --check: must be between 1 and 10000"),
        (["prove", "--general", "--check", "many"], "argument --check: must be a whole number"),
    ],
)
def test_prove_bad_options(argv, needle, tmp_path, capsys):
    status, _, err = run(argv + ["--out", str(tmp_path / "o")], capsys)
    assert status == 2
    assert needle in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "toml_text, needle",
    [
        ('title = "R\\u00e9seau \\u2202C"\n[input]\nshape = [1, 3, 3]\n[[layers]]\n',
         "title: character '∂' (U+2202) cannot be typeset in the PDF; use Latin-1 text"),
        ('title = "abc\\u202e"\n[input]\nshape = [1, 3, 3]\n[[layers]]\n', "title: character '\\u202e' (U+202E)"),
        ('[notation]\ninput = "\\u03b1"\n[input]\nshape = [1, 3, 3]\n[[layers]]\n',
         "notation.input: character 'α' (U+03B1) cannot be typeset in the PDF; use ASCII text"),
        ('[input]\nshape = [1, 3, 3]\n[[layers]]\nkernel_size = 3\n[cost]\ntype = "cross_entropy"\n',
         "cost.type: cross_entropy needs at least 2 outputs"),
    ],
)
def test_untypesettable_text_and_degenerate_costs_are_refused(toml_text, needle, tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_text(toml_text, encoding="utf-8")
    status, _, err = run(["derive", str(spec), "--out", str(tmp_path / "o")], capsys)
    assert status == 2, err
    assert needle in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_unwritable_output_paths_are_one_line_errors(tmp_path, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    status, _, err = run(["derive", "--example", "seed", "--format", "md", "--out", str(blocker / "sub")], capsys)
    assert status == 2 and err == (f"symconv: error: --out: cannot write into {blocker / 'sub'} (Not a directory); "
                                   "give a folder you can write to\n")
    status, _, err = run(["derive", "--example", "seed", "--format", "md", "--out", str(tmp_path / "o"),
                          "--values", str(tmp_path)], capsys)
    assert status == 2 and err == f"symconv: error: --values: {tmp_path} is a folder; give a TOML file of leaf values\n"


def test_a_broken_user_template_is_a_one_line_error(tmp_path, capsys):
    templates = tmp_path / "t"
    templates.mkdir()
    (templates / "derivation.md.j2").write_text("{% extends 'builtin/derivation.md.j2' %}{% block x %}{{ oops(}}{% endblock %}")
    status, _, err = run(["derive", "--example", "seed", "--format", "md", "--out", str(tmp_path / "o"),
                          "--templates", str(templates)], capsys)
    assert status == 2, err
    assert "derivation.md.j2:1: template error:" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()
