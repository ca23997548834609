"""All or nothing: every format is written to temporaries and renamed together; a failure, SIGINT
or SIGTERM leaves no file in --out and no symconv-tex-* folder in the temporary directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import symconv
from symconv.cli import main
from symconv.errors import BuildError, SpecError
from symconv.outputs import write_files

from .conftest import require_tool


def _one_line_error(err: str, field: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"symconv: error: {field}:"), err


def test_a_folder_in_the_way_of_one_format_writes_none(tmp_path, capsys):
    (tmp_path / "seed.json").mkdir()
    assert main(["derive", "--example", "seed", "--out", str(tmp_path), "--format", "md,tex,json"]) == 2
    _one_line_error(capsys.readouterr().err, "--out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed.json"]


def test_a_temporary_that_cannot_be_made_removes_the_others(tmp_path, monkeypatch):
    made = []
    real = tempfile.mkstemp

    def mkstemp(*args, **kwargs):
        if len(made) == 2:
            raise OSError(28, "No space left on device")
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    files = {tmp_path / f"x.{fmt}": b"data" for fmt in ("md", "tex", "json")}
    with pytest.raises(SpecError, match=r"^out: cannot write into .*No space left on device"):
        write_files(files)
    assert len(made) == 2 and list(tmp_path.iterdir()) == []


def test_an_interrupt_while_writing_removes_every_temporary(tmp_path, monkeypatch):
    calls = []
    real = os.replace

    def replace(src, dst):
        calls.append(dst)
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        write_files({tmp_path / "a.md": b"a", tmp_path / "a.tex": b"b"})
    monkeypatch.setattr(os, "replace", real)
    assert calls and list(tmp_path.iterdir()) == []


def test_out_names_the_option_not_a_temporary(capsys):
    assert main(["derive", "--example", "seed", "--out", "/proc", "--format", "md"]) == 2
    err = capsys.readouterr().err
    _one_line_error(err, "--out")
    assert ".tmp" not in err


def test_python_write_to_proc_raises_spec_error():
    with pytest.raises(SpecError, match=r"^out: "):
        symconv.load("example:seed").write("/proc", formats="md")


def test_check_out_empty_is_refused(capsys):
    assert main(["check", "--example", "seed", r"\partial C/\partial w_1^1 = 0", "--out", ""]) == 2
    _one_line_error(capsys.readouterr().err, "--out")


@pytest.mark.pdf
def test_tex_reads_no_file_outside_its_folder():
    require_tool("pdflatex")
    from symconv.pdf import build_pdf

    assert Path("/etc/hostname").exists() or Path("/etc/passwd").exists()
    target = "/etc/hostname" if Path("/etc/hostname").exists() else "/etc/passwd"
    with pytest.raises(BuildError, match="LaTeX build failed"):
        build_pdf(rf"\documentclass{{article}}\begin{{document}}\input{{{target}}}\end{{document}}")
    assert build_pdf(r"\documentclass{article}\begin{document}ok\end{document}").pdf.startswith(b"%PDF")


def test_a_build_interrupted_inside_communicate_is_still_killed_and_reaped():
    """A signal that lands as ``communicate`` starts leaves the Popen half set up (CPython marks
    communication started before it creates its output buffers); killing the build must still
    reap it, not fail with an AttributeError (seen under load: a traceback instead of exit 130)."""
    from symconv.pdf import _kill

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    proc._communication_started = True  # the state an interrupted communicate() leaves behind
    _kill(proc)
    assert proc.returncode == -signal.SIGKILL and proc.stdout.closed


@pytest.mark.pdf
@pytest.mark.parametrize("sig, status, word", [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "interrupted")])
def test_a_signal_during_the_tex_build_leaves_nothing(tmp_path, sig, status, word):
    require_tool("latexmk")
    tmp, out = tmp_path / "tmp", tmp_path / "out"
    tmp.mkdir()
    env = dict(os.environ, TMPDIR=str(tmp))
    # a shell without job control starts background jobs with SIGINT ignored, and symconv rightly
    # keeps an ignored SIGINT ignored (Python installs no KeyboardInterrupt handler then): the child gets
    # the disposition a terminal's Ctrl-C meets
    proc = subprocess.Popen([sys.executable, "-m", "symconv", "derive", "--example", "seed", "--out", str(out),
                             "--format", "md,tex,pdf"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while not any(tmp.glob("symconv-tex-*")):
            assert proc.poll() is None and time.monotonic() < deadline, "the TeX build never started"
            time.sleep(0.02)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == status, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and word in lines[0], err
    assert list(tmp.iterdir()) == []
    assert not out.exists() or list(out.iterdir()) == []


def test_documents_are_streamed_to_their_temporaries_as_they_render(tmp_path, monkeypatch):
    # write as you render: when the template yields its last piece, most of the document is
    # already in the temporary (the text is never held whole), and the file is exactly render()'s
    import symconv.render as render_module

    model = symconv.load({"input": {"shape": [1, 8, 8]}, "layers": [{"kernel_size": 3}, {"kernel_size": 3}]})
    seen = []
    real = render_module.render_chunks

    def spying(d, fmt, *args):
        pieces = list(real(d, fmt, *args))
        for k, piece in enumerate(pieces):
            if k == len(pieces) - 1:
                (tmp,) = tmp_path.glob(f".network.{fmt}.*.tmp")
                seen.append((fmt, tmp.stat().st_size, sum(len(p.encode()) for p in pieces)))
            yield piece

    monkeypatch.setattr(render_module, "render_chunks", spying)
    model.write(tmp_path, formats="md,tex,json", full=True)
    assert [fmt for fmt, _, _ in seen] == ["md", "tex"]
    for fmt, on_disk, total in seen:
        assert total > 200_000 and on_disk >= total - 2 * (1 << 17), (fmt, on_disk, total)
    monkeypatch.setattr(render_module, "render_chunks", real)
    for fmt in ("md", "tex"):
        assert (tmp_path / f"network.{fmt}").read_text(encoding="utf-8") == model.render(fmt, full=True)
    assert {p.name for p in tmp_path.iterdir()} - {"network.figures"} == {"network.json", "network.md", "network.tex"}


def test_a_template_failing_midway_through_a_streamed_document_leaves_nothing(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "derivation.md.j2").write_text('{% extends "builtin/derivation.md.j2" %}'
                                                '{% block certificates %}{{ 1 / 0 }}{% endblock %}')
    out = tmp_path / "out"
    with pytest.raises(SpecError, match=r"derivation\.md\.j2:1: template error: ZeroDivisionError"):
        symconv.load("example:seed").write(out, formats="json,md,tex", templates=[templates])
    assert not out.exists() or list(out.iterdir()) == []
