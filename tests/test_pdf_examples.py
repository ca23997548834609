"""Every example .tex (output/**) and the escaped-letters documents compile with latexmk with no
errors and no overfull boxes (the log is parsed). Needs TeX (skipped when missing, except CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from symconv.api import Model
from symconv.pdf import build_pdf, parse_log, tex_command
from symconv.outputs import render_all
from symconv.spec import spec_from_dict
from symconv.values import evaluate, random_values

from .conftest import IN_CI
from .example_outputs import EXAMPLE_OUTPUTS
from .weird import MIXED, weird_spec

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.pdf


def _require_tex():
    if tex_command() is None:
        if IN_CI:
            pytest.fail("TeX (latexmk) is required under CI")
        pytest.skip("TeX (latexmk or pdflatex) is not installed")


def _assert_clean(tex: str, jobname: str):
    result = build_pdf(tex, jobname=jobname)
    assert result.pdf.startswith(b"%PDF")
    assert result.errors == ()
    assert result.overfull == (), "\n".join(result.overfull[:5])


EXAMPLE_TEX = sorted(str(p.relative_to(ROOT / "output")) for p in (ROOT / "output").glob("**/*.tex"))


def test_every_listed_example_has_its_tex():
    assert {f"{e[1]}.tex" for e in EXAMPLE_OUTPUTS if "tex" in e[2]} <= set(EXAMPLE_TEX)


@pytest.mark.parametrize("name", EXAMPLE_TEX)
def test_example_tex_compiles_without_overfull_boxes(name):
    _require_tex()
    _assert_clean((ROOT / "output" / name).read_text(encoding="utf-8"), Path(name).stem)


@pytest.mark.parametrize("style", ["seed", "grid"])
def test_escaped_letters_and_title_compile(style):
    _require_tex()
    model = Model(spec_from_dict(weird_spec(style), name=f"weird_{style}"))
    tex = render_all(model, ["tex"])["tex"].decode("utf-8")
    assert (r"\title{Weird: x\_in my\_weight\_1 loss\% a\&b conv\#1 delta \{braces\} \$5 "
            r"\textasciitilde{}\textasciicircum{}\textbackslash{} a\textbar{}b \textless{}c\textgreater{}}") in tex
    _assert_clean(tex, f"weird_{style}")


def test_numeric_view_and_full_sums_compile():
    _require_tex()
    spec = spec_from_dict({"input": {"shape": [1, 6, 6]}, "layers": [{"kernel_size": 2}, {"kernel_size": 2}]},
                          name="six")
    model = Model(spec)
    tex = render_all(model, ["tex"], show={model.symbol("w1_1"), model.symbol("i1_8")},
                     values=evaluate(model, random_values(model, 7)))["tex"].decode("utf-8")
    _assert_clean(tex, "six")


def test_log_parser_finds_overfull_boxes_and_errors():
    log = "Overfull \\hbox (12.3pt too wide) in paragraph at lines 5--6\n! Undefined control sequence.\nok\n"
    errors, overfull = parse_log(log)
    assert errors == ("! Undefined control sequence.",)
    assert overfull == ("Overfull \\hbox (12.3pt too wide) in paragraph at lines 5--6",)


def test_every_layer_type_with_irrational_values_compiles():
    _require_tex()
    model = Model(spec_from_dict(MIXED, name="mixed"))
    tex = render_all(model, ["tex"], values=evaluate(model, random_values(model, 3)))["tex"].decode("utf-8")
    assert r"\approx" in tex  # sigmoid and softmax values are irrational: decimals follow
    # a route names the pooled output whose window it is; with numbers, the whole window is listed
    assert r"\mathrm{route}_{\max}\left(a^{(1)}_{1,1,1} \to a^{(2)}_{1,1,1}\right)" in tex
    assert r"\mathrm{route}_{\max}\left(0;\ 10, 0, 0, 1\right)" in tex
    assert "output it feeds & upstream gradient & local partial" in tex
    _assert_clean(tex, "mixed")


@pytest.mark.slow
def test_full_document_of_a_two_layer_16x16_network_builds():
    # --full writes every element of every tensor (6264 product terms, about 3.7 MB of LaTeX with 470
    # TikZ figures); a 196-row receptive-field table breaks across pages, and the build stays within the
    # 300 s timeout (each figure's big grids are one path, unlabelled plain cells: ~25 s a pdflatex pass)
    _require_tex()
    spec = spec_from_dict({"input": {"shape": [1, 16, 16]}, "layers": [{"kernel_size": 3}, {"kernel_size": 3}],
                           "cost": {"type": "half_sse"}}, name="two16")
    tex = render_all(Model(spec), ["tex"], full=True)["tex"].decode("utf-8")
    assert len(tex) > 1_500_000 and tex.count(r"\subsubsection{Worked element") == 9 + 9 + 196 + 256
    # each weight touches 196 or 144 outputs: the tables above 36 rows; and the Notation table
    assert tex.count(r"\begin{longtable}") == 9 + 9 + 1
    result = build_pdf(tex, jobname="two16")
    assert result.pdf.startswith(b"%PDF") and result.errors == ()
    assert result.overfull == (), "\n".join(result.overfull[:5])
