"""The generated LaTeX compiles with pdflatex, with no errors and no overfull boxes."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

OUT = Path(__file__).resolve().parents[2] / "output" / "general"


@pytest.mark.pdf
@pytest.mark.parametrize("name", ["general.tex", "general-goodfellow.tex"])
def test_pdf_compiles_cleanly(tmp_path, name):
    if shutil.which("latexmk") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("latexmk is missing on CI")
        pytest.skip("latexmk not installed")
    shutil.copy(OUT / name, tmp_path / name)
    proc = subprocess.run(
        ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", name],
        cwd=tmp_path, capture_output=True, text=True, timeout=300)
    log = (tmp_path / name.replace(".tex", ".log")).read_text(errors="replace")
    assert proc.returncode == 0, log[-3000:]
    assert "Overfull \\hbox" not in log
    assert not [ln for ln in log.splitlines() if ln.startswith("! ")]
    assert (tmp_path / name.replace(".tex", ".pdf")).exists()
