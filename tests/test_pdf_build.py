"""symconv.pdf passes again while the log asks for a rerun: latexmk now and then stopped one pass
early under load (CI: output/signal_1d.pdf with its table of contents' page numbers one off)."""

from __future__ import annotations

import pytest

from symconv import pdf
from symconv.pdf import PDFLATEX, build_pdf, rerun_requested, tex_command


@pytest.mark.parametrize("line, asks", [
    ("LaTeX Warning: Label(s) may have changed. Rerun to get cross-references right.", True),
    ("Package longtable Warning: Table widths have changed. Rerun LaTeX.", True),
    ("Package rerunfilecheck Warning: File `x.out' has changed.\n(rerunfilecheck)                Rerun to get outlines right", True),
    ("Package: rerunfilecheck 2022-07-10 v1.10 Rerun checks for auxiliary files (HO)", False),
    ("Package rerunfilecheck Info: File `x.out' has not changed.", False),
    ("Output written on x.pdf (3 pages, 1000 bytes).", False),
])
def test_rerun_requests_are_read_from_the_log(line, asks):
    assert rerun_requested(f"This is pdfTeX\n{line}\n") is asks


# the table of contents fills page 1 from the second pass on, moving every section (and the page
# the \pageref names) one page later: the labels settle only in the third pass
SHIFTING = r"""\documentclass{article}
\begin{document}
See page \pageref{last}.
\tableofcontents
""" + "".join(rf"\section{{S{k}}}\label{{s{k}}}x\newpage" + "\n" for k in range(40)) + r"""
\label{last}end
\end{document}
"""


@pytest.mark.pdf
def test_a_build_passes_until_the_labels_settle(monkeypatch):
    if tex_command() is None:
        pytest.skip("TeX (latexmk or pdflatex) is not installed")
    monkeypatch.setattr(pdf, "require_tex", lambda: list(PDFLATEX))  # two passes, then as many as asked
    result = build_pdf(SHIFTING, jobname="shifting")
    assert not rerun_requested(result.log) and result.errors == ()
    passes = []
    real = pdf._run
    monkeypatch.setattr(pdf, "_run", lambda *a: passes.append(a) or real(*a))
    assert build_pdf(SHIFTING, jobname="shifting").pdf == result.pdf
    assert len(passes) == 3  # pdflatex twice, then once more: the second pass moved the labels
