"""Claim files as one report (issue 13 item 2): one document with every verdict, a summary count,
exit 1 when any claim is wrong; a 20-claim file gives one PDF with 20 verdicts and the summary."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from symconv.cli import main
from symconv.pdf import tex_command

from .pdffonts import font_types

RIGHT = [
    r"\delta^2 = 2(o^2 - y)",
    r"\frac{\partial C}{\partial w_1^2} = \delta^2 o_1^1",
    r"\frac{\partial C}{\partial w_2^2} = \delta^2 o_2^1",
    r"\frac{\partial C}{\partial w_3^2} = \delta^2 o_3^1",
    r"\frac{\partial C}{\partial w_4^2} = \delta^2 o_4^1",
    r"\delta_1^1 = \delta^2 w_1^2",
    r"\delta_2^1 = \delta^2 w_2^2",
    r"\delta_3^1 = \delta^2 w_3^2",
    r"\delta_4^1 = \delta^2 w_4^2",
    r"\frac{\partial C}{\partial w_1^1} = \delta_1^1 i_1^1 + \delta_2^1 i_2^1 + \delta_3^1 i_4^1 + \delta_4^1 i_5^1",
    r"\frac{\partial C}{\partial w_2^1} = \delta_1^1 i_2^1 + \delta_2^1 i_3^1 + \delta_3^1 i_5^1 + \delta_4^1 i_6^1",
    r"\frac{\partial C}{\partial w_3^1} = \delta_1^1 i_4^1 + \delta_2^1 i_5^1 + \delta_3^1 i_7^1 + \delta_4^1 i_8^1",
    r"\frac{\partial C}{\partial w_4^1} = \delta_1^1 i_5^1 + \delta_2^1 i_6^1 + \delta_3^1 i_8^1 + \delta_4^1 i_9^1",
    r"\frac{\partial C}{\partial i_1^1} = \delta_1^1 w_1^1",
    r"\frac{\partial C}{\partial i_9^1} = \delta_4^1 w_4^1",
    r"\frac{\partial C}{\partial o_1^1} = \delta^2 w_1^2",
    r"\frac{\partial C}{\partial w_1^1} = \sum_k \delta_k^1 i_{k + \lfloor (k-1)/2 \rfloor}^1",
]
WRONG = [
    r"\frac{\partial C}{\partial w_1^1} = (i_1^1 + i_2^1 + i_4^1 + i_5^1)(w_1^2 + w_2^2 + w_3^2 + w_4^2) 2 (o_1^2 - y_1)",
    r"\delta^2 = o^2 - y",
    r"\frac{\partial C}{\partial i_1^1} = \delta_1^1 w_4^1",
]


def _claim_file(tmp_path):
    f = tmp_path / "claims.tex"
    lines = ["% twenty claims about the seed network", "# (comments of both kinds are skipped)"]
    lines += RIGHT + WRONG
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(RIGHT) + len(WRONG) == 20
    return f


def test_text_report_has_every_verdict_and_the_summary(tmp_path, capsys):
    f = _claim_file(tmp_path)
    assert main(["check", "--example", "seed", "--claim-file", str(f)]) == 1
    out = capsys.readouterr().out
    assert out.count("[claim ") == 20
    assert out.rstrip().endswith("20 claims: 17 right, 3 wrong")


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_md_and_tex_reports_are_one_document(tmp_path, capsys, fmt):
    f = _claim_file(tmp_path)
    out = tmp_path / f"report.{fmt}"
    assert main(["check", "--example", "seed", "--claim-file", str(f), "--format", fmt, "--out", str(out)]) == 1
    text = out.read_text(encoding="utf-8")
    if fmt == "md":
        assert text.count("\n## Claim ") == 20 and text.startswith("# Check of 20 claims") and text.count("\n# ") == 0
        assert "**Summary: 17 right, 3 wrong, of 20 claims.**" in text
    else:
        assert text.count(r"\subsection*{Claim ") == 20
        assert text.count(r"\begin{document}") == 1 and text.count(r"\end{document}") == 1
        assert r"\textbf{Summary: 17 right, 3 wrong, of 20 claims.}" in text


def test_all_right_exits_0(tmp_path, capsys):
    f = tmp_path / "ok.tex"
    f.write_text("\n".join(RIGHT[:3]) + "\n", encoding="utf-8")
    assert main(["check", "--example", "seed", "--claim-file", str(f)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("3 claims: 3 right, 0 wrong")


def test_pdf_needs_out(tmp_path, capsys):
    assert main(["check", "--example", "seed", RIGHT[0], "--format", "pdf"]) == 2
    assert capsys.readouterr().err == "symconv: error: --out: --format pdf writes a file: give --out FILE.pdf\n"


@pytest.mark.pdf
def test_twenty_claims_give_one_pdf_with_twenty_verdicts_and_the_summary(tmp_path, capsys):
    if tex_command() is None:
        pytest.skip("TeX (latexmk or pdflatex) is not installed")
    f = _claim_file(tmp_path)
    out = tmp_path / "report.pdf"
    assert main(["check", "--example", "seed", "--claim-file", str(f), "--format", "pdf", "--out", str(out)]) == 1
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    assert set(font_types(out)) == {"Type 1"}  # no bitmap font (templates/preamble.tex.j2)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed: the PDF was built but its text is not read")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "Summary: 17 right, 3 wrong, of 20 claims." in text
    for k in range(1, 21):
        assert f"Claim {k}: " in text
    assert text.count("Verdict: wrong.") == 3 and text.count("Verdict: right.") == 17
