"""Defaults that work everywhere (issue 14 item 6): without TeX, ``derive`` writes every other
format, says in one line that the PDF was skipped and how to install TeX, and exits 0; asking for
pdf explicitly still exits 3. ``--progress`` forces the progress line when stderr is not a terminal.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import symconv
from symconv.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _no_tex_env(tmp_path) -> dict:
    """A PATH holding only this Python (no latexmk, no pdflatex): a machine without TeX."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    env = dict(os.environ, PATH=str(bin_dir))
    env.pop("CI", None)
    return env


def test_derive_without_tex_writes_every_other_format_and_exits_0(tmp_path):
    out = tmp_path / "o"
    proc = subprocess.run([sys.executable, "-m", "symconv", "derive",
                           str(ROOT / "examples" / "seed.toml"), "--out", str(out)],
                          env=_no_tex_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["seed.figures", "seed.html", "seed.json", "seed.md", "seed.tex"]
    assert proc.stdout.splitlines() == [str(out / n) for n in ("seed.md", "seed.tex", "seed.json", "seed.html",
                                                               "seed.figures/network.svg", "seed.figures/rf-i1_5.svg",
                                                               "seed.figures/rf-w1_1.svg")]
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("symconv: PDF skipped: no LaTeX found")
    assert "apt-get install --no-install-recommends texlive-latex-base" in proc.stderr


def test_derive_without_tex_asking_for_pdf_exits_3_and_writes_nothing(tmp_path):
    out = tmp_path / "o"
    proc = subprocess.run([sys.executable, "-m", "symconv", "derive", "--example", "seed", "--out", str(out),
                           "--format", "md,pdf"], env=_no_tex_env(tmp_path), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1 and "texlive-latex-base" in proc.stderr
    assert not out.exists()


def test_python_write_without_tex_warns_once_and_writes_the_rest(tmp_path, monkeypatch):
    import symconv.pdf

    monkeypatch.setattr(symconv.pdf.shutil, "which", lambda name: None)
    m = symconv.load(symconv.example("seed"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = m.write(tmp_path)
    assert [p.name for p in paths] == ["seed.md", "seed.tex", "seed.json", "seed.html",
                                       "network.svg", "rf-i1_5.svg", "rf-w1_1.svg"]
    assert len(caught) == 1 and str(caught[0].message).startswith("PDF skipped: no LaTeX found")


def test_default_formats_with_tex_include_pdf(monkeypatch):
    import symconv.pdf
    from symconv.views import DEFAULT_FORMATS, default_formats

    monkeypatch.setattr(symconv.pdf.shutil, "which", lambda name: "/usr/bin/" + name)
    assert default_formats() == (DEFAULT_FORMATS, None)
    assert "pdf" in DEFAULT_FORMATS


def test_progress_flag_forces_one_line_per_stage_when_not_a_terminal(tmp_path, capsys):
    status = main(["derive", "--example", "seed", "--out", str(tmp_path), "--format", "md,json", "--progress"])
    _, err = capsys.readouterr()
    assert status == 0, err
    lines = err.splitlines()
    stages = [line.split("] ", 1)[1] for line in lines]
    assert stages == ["network (1/7)", "forward pass (2/7)", "gradients (3/7)", "independent certificate (4/7)",
                      "derivation and certificates (5/7)", "Markdown (6/7)", "JSON (7/7)"]
    assert all(line.startswith("[symconv ") for line in lines)
    assert "\r" not in err and "\033" not in err


def test_without_progress_flag_nothing_is_printed_when_not_a_terminal(tmp_path, capsys):
    status = main(["derive", "--example", "seed", "--out", str(tmp_path), "--format", "md,json"])
    _, err = capsys.readouterr()
    assert status == 0 and err == ""
