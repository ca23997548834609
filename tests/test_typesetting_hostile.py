"""Whatever is accepted typesets (issue 16 item 3): a spec file's stem, its title and its
notation letters either build a PDF or are refused up front (exit 2, one line, no file);
LaTeX never fails on accepted input (exit 1)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from symconv.cli import main
from symconv.spec import ROLES, load_spec

from .conftest import require_tool
from .pdffonts import font_types

SEED = (Path(__file__).resolve().parents[1] / "examples" / "seed.toml").read_text(encoding="utf-8")


def _toml_string(text: str) -> str:
    """A TOML basic string holding ``text`` exactly (escapes for quotes, backslashes, controls)."""
    return '"' + "".join(ch if ch.isprintable() and ch not in '"\\' else f"\\u{ord(ch):04x}" for ch in text) + '"'


@pytest.mark.parametrize("stem, name", [("-x", "_x"), ("--x", "_x"), ("ｘｙ", "xy"), ("a b", "a_b"),
                                        ("ψ", "_"), ("x.y", "x_y")])
def test_a_stem_is_written_by_a_name_tex_accepts(tmp_path, stem, name):
    path = tmp_path / f"{stem}.toml"
    path.write_text(SEED, encoding="utf-8")
    assert load_spec(path).name == name


def _build(tmp_path: Path, stem: str, title: str, role: str, letter: str, capsys) -> None:
    folder = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    body = SEED.replace('title = "Seed network"', f"title = {_toml_string(title)}")
    body += f"\n[notation]\n{role} = {_toml_string(letter)}\n"
    spec = folder / f"{stem}.toml"
    try:
        spec.write_text(body, encoding="utf-8")
    except (OSError, UnicodeEncodeError):  # a name this file system refuses is no symconv input
        return
    out = folder / "out"
    capsys.readouterr()
    status = main(["derive", str(spec), "--out", str(out), "--format", "tex,pdf"])
    err = capsys.readouterr().err
    assert status in (0, 2), err
    if status == 2:
        assert err.count("\n") == 1 and not out.exists(), err
    else:
        assert sorted(p.suffix for p in out.iterdir()) == [".pdf", ".tex"]
        pdf = next(out.glob("*.pdf"))
        assert set(font_types(pdf)) == {"Type 1"}, (stem, title, letter)  # no bitmap font (preamble.tex.j2)


@pytest.mark.pdf
@settings(max_examples=int(os.environ.get("SYMCONV_FUZZ_PDF_EXAMPLES", "4")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    stem=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\x00"), min_size=1, max_size=12)
    .filter(lambda s: s not in (".", "..")),
    title=st.text(st.characters(min_codepoint=1, max_codepoint=0x2FF), min_size=1, max_size=24),
    role=st.sampled_from(ROLES),
    letter=st.text(st.characters(min_codepoint=32, max_codepoint=0x7E), min_size=1, max_size=6),
)
def test_drawn_stems_titles_and_letters_build_a_pdf_or_are_refused(tmp_path, capsys, stem, title, role, letter):
    require_tool("latexmk")
    _build(tmp_path, stem, title, role, letter, capsys)


@pytest.mark.pdf
@pytest.mark.parametrize("stem, title, role, letter", [
    ("-x", "A & B % $x$ #1 ~ ^ _ \\", "weight", "^"),
    ("ｘ", "Ünïcödé", "input", "a^b"),
    ("plain", "{}", "cost", "\\"),
    ("0", "Þ", "input", "0"),
    ("x", "«Ðð» þ", "weight", "w"),
])
def test_known_hostile_names_build_a_pdf_or_are_refused(tmp_path, capsys, stem, title, role, letter):
    require_tool("latexmk")
    _build(tmp_path, stem, title, role, letter, capsys)
