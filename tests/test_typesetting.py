"""Typesetting (issue 11, item 7): a table of contents in PDFs above 5 pages (the seed stays at
most 5 pages, without one), balanced rows (no stranded last term), brackets sized to fractions."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import sympy

import symconv
from symconv.latex import NotationPrinter, split_rows, visible_len
from symconv.render.rows import expr_rows

ROOT = Path(__file__).resolve().parent.parent


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not installed")
    return subprocess.run(["pdftotext", "-l", "2", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def pages(path: Path) -> int:
    if shutil.which("pdfinfo") is None:
        pytest.skip("pdfinfo is not installed")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))


def test_the_seed_pdf_has_no_table_of_contents_and_at_most_5_pages():
    assert pages(ROOT / "output" / "seed.pdf") <= 5
    assert "Contents" not in pdf_text(ROOT / "output" / "seed.pdf")


def test_a_long_pdf_opens_with_a_table_of_contents():
    path = ROOT / "output" / "unet_step.pdf"
    assert pages(path) > 5
    text = pdf_text(path)
    assert "Contents" in text and "Gradients, derived" in text[text.index("Contents"):]


def test_rows_are_balanced_so_no_term_is_stranded():
    terms = [f"a_{{{k}}} b_{{{k}}}" for k in range(17)]  # 4 visible characters each (+2 between)
    assert [r.count("a_") for r in split_rows(terms[:9], width=56)] == [9]
    assert [r.count("a_") for r in split_rows(terms[:10], width=56)] == [5, 5]  # greedy: 9 + 1
    assert [r.count("a_") for r in split_rows(terms, width=56)] == [6, 6, 5]  # greedy: 9 + 7 + 1
    assert all(visible_len(r) <= 56 for r in split_rows(terms, width=56))


def test_a_sum_broken_over_rows_gets_brackets_sized_to_its_fractions():
    m = symconv.load(symconv.example("seed"))
    p = NotationPrinter(m.network.table)
    x = sympy.symbols("x1:30")
    plain = sympy.Symbol("q") * sympy.Add(*x)
    fractions = sympy.Symbol("q") * sympy.Add(*[v / (v + 1) for v in x[:12]])
    assert expr_rows(p, plain)[0].count(r"\bigl(") == 1 and r"\Bigl(" not in "".join(expr_rows(p, plain))
    rows = expr_rows(p, fractions)
    assert r"\Bigl(" in rows[0] and rows[-1].endswith(r"\Bigr)") and r"\bigl(" not in "".join(rows)
