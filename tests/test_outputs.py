"""output/ holds the derivations README.md links to; this test regenerates them with the CLI and
fails on any difference in .md/.tex/.json and the SVG figures beside the Markdown. With SYMCONV_REGEN=1 it rewrites them instead.
The PDF is rebuilt too (when TeX is installed, always under CI) and must be byte-identical to
the committed one, since builds use fixed dates."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from symconv.cli import main

from .conftest import IN_CI
from .pdffonts import font_types

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "output"
REGEN = os.environ.get("SYMCONV_REGEN") == "1"

# (source: "--example NAME" or a spec path relative to the repo, stem, formats); see example_outputs.py
from .example_outputs import EXAMPLE_OUTPUTS  # noqa: E402


def assert_same_bytes(made: Path, committed: Path) -> None:
    """Fail, in one line, where ``made`` first differs from ``committed`` (pytest's own diff of
    two 300 kB PDFs runs difflib for tens of minutes)."""
    a, b = made.read_bytes(), committed.read_bytes()
    if a != b:
        at = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        pytest.fail(f"{committed.relative_to(ROOT)} differs from what symconv now writes ({len(a)} bytes, committed "
                    f"{len(b)}; first difference at byte {at}); inspect, then regenerate with SYMCONV_REGEN=1")


@pytest.mark.parametrize("source, name, formats", EXAMPLE_OUTPUTS, ids=[e[1] for e in EXAMPLE_OUTPUTS])
def test_output_is_regenerated_identically(source, name, formats, tmp_path, capsys):
    formats = list(formats)
    if "pdf" in formats and shutil.which("latexmk") is None and shutil.which("pdflatex") is None:
        if IN_CI:
            pytest.fail("TeX is required under CI")
        formats.remove("pdf")
    target = OUTPUT if REGEN else tmp_path
    args = [str(ROOT / a) if a.endswith(".toml") else a for a in source]
    status = main(["derive", *args, "--out", str(target), "--format", ",".join(formats)])
    assert status == 0, capsys.readouterr().err
    if REGEN:
        return
    for fmt in formats:
        committed = OUTPUT / f"{name}.{fmt}"
        assert committed.exists(), f"{committed} is missing; run SYMCONV_REGEN=1 pytest tests/test_outputs.py"
        assert_same_bytes(tmp_path / f"{name}.{fmt}", committed)
    # the SVG figures the Markdown links to (NAME.figures/ID.svg), the same set and bytes
    made = sorted(p.name for p in (tmp_path / f"{name}.figures").glob("*.svg"))
    kept = sorted(p.name for p in (OUTPUT / f"{name}.figures").glob("*.svg"))
    assert made == kept, f"output/{name}.figures differs; regenerate with SYMCONV_REGEN=1"
    for figure in made:
        assert_same_bytes(tmp_path / f"{name}.figures" / figure, OUTPUT / f"{name}.figures" / figure)


def test_general_proof_pdfs_are_regenerated_identically(tmp_path, capsys):
    """The .md/.tex of output/general are compared by tests/general/test_outputs.py; the PDFs here."""
    if shutil.which("latexmk") is None and shutil.which("pdflatex") is None:
        if IN_CI:
            pytest.fail("TeX is required under CI")
        pytest.skip("TeX is not installed")
    target = OUTPUT / "general" if REGEN else tmp_path
    status = main(["prove", "--general", "--format", "md,tex,pdf", "--out", str(target)])
    assert status == 0, capsys.readouterr().err
    if REGEN:
        return
    for name in ("general", "general-goodfellow"):
        for fmt in ("md", "tex", "pdf"):
            assert_same_bytes(tmp_path / f"{name}.{fmt}", OUTPUT / "general" / f"{name}.{fmt}")


def test_committed_pdfs_embed_only_type1_fonts():
    """No bitmap (Type 3) font in any PDF of output/: one would be rasterised by METAFONT on the
    building machine (LaTeX's TS1 list bullet did that), blurry when zoomed, and its bytes would
    depend on that machine, so the regenerated PDF differed from the committed one under CI."""
    pdfs = sorted(OUTPUT.rglob("*.pdf"))
    assert len(pdfs) == 10
    for pdf in pdfs:
        types = font_types(pdf)
        assert types and set(types) == {"Type 1"}, (pdf.name, types)
