"""PDF from LaTeX: latexmk (or pdflatex twice) in a temporary folder, no shell escape, then pdflatex
again while the log asks for a rerun (latexmk sometimes stops a pass early).

The build runs in its own process group, killed whole on timeout. The log is parsed for errors
(lines starting with ``!``) and overfull boxes; both are reported, and an error fails the build.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import BuildError, ToolMissing

INSTALL_HINT = (
    "no LaTeX found (latexmk or pdflatex); install TeX Live, e.g. "
    "apt-get install --no-install-recommends texlive-latex-base texlive-latex-recommended latexmk"
)


@dataclass(frozen=True)
class PdfResult:
    """The PDF bytes and what the log says: ``errors`` and ``overfull`` lines."""

    pdf: bytes
    log: str
    errors: tuple[str, ...]
    overfull: tuple[str, ...]


PDFLATEX = ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"]
MAX_EXTRA_PASSES = 3
"""pdflatex passes after the build while its log still asks for a rerun."""

_RERUN = re.compile(r"Rerun to get (cross-references|outlines) right|Label\(s\) may have changed|"
                    r"\(rerunfilecheck\)\s+Rerun|Rerun LaTeX")


def rerun_requested(log: str) -> bool:
    """Whether a pdflatex log says that another pass would change the document (LaTeX's labels,
    hyperref's outlines, rerunfilecheck, longtable's column widths)."""
    return _RERUN.search(log) is not None


def tex_command() -> list[str] | None:
    """The build command available here, or None."""
    if shutil.which("latexmk"):
        return ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                "-pdflatex=" + " ".join(PDFLATEX) + " %O %S"]
    if shutil.which("pdflatex"):
        return list(PDFLATEX)
    return None


def require_tex() -> list[str]:
    """The build command; raises :class:`ToolMissing` (CLI exit 3) when no TeX is installed."""
    cmd = tex_command()
    if cmd is None:
        raise ToolMissing(INSTALL_HINT)
    return cmd


def parse_log(log: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(error lines, overfull-box lines) of a pdflatex log."""
    errors = tuple(line for line in log.splitlines() if line.startswith("!"))
    overfull = tuple(line for line in log.splitlines() if re.match(r"Overfull \\[hv]box", line))
    return errors, overfull


def _reproducible_env() -> dict:
    """Fixed dates so the same source gives the same PDF bytes (pdfTeX reads these)."""
    env = dict(os.environ)
    env.update(SOURCE_DATE_EPOCH="0", FORCE_SOURCE_DATE="1")
    # Kpathsea's paranoid modes: TeX reads and writes only below the build folder and the TeX
    # tree (a template's \input{/etc/passwd} is refused), never dot files or parent folders.
    env.update(openin_any="p", openout_any="p")
    return env


def _tex_prefix() -> str:
    """The name prefix of this process's TeX build folders (``symconv-tex-PID-``)."""
    return f"symconv-tex-{os.getpid()}-"


def remove_tex_folders() -> None:
    """Remove every TeX build folder of this process left in the temporary directory: a signal
    that lands between the folder's creation and its ``with`` block would otherwise leak it."""
    for folder in Path(tempfile.gettempdir()).glob(_tex_prefix() + "*"):
        shutil.rmtree(folder, ignore_errors=True)


def _kill(proc: subprocess.Popen) -> None:
    """Kill the build's whole process group and reap it. ``wait`` rather than ``communicate``: a
    signal that interrupts ``communicate`` before it has set up its pipes leaves the Popen half
    initialised, and a second ``communicate`` then fails (``_fileobj2output``) with a traceback
    instead of the exit status of the signal."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def _run(cmd: list[str], folder: str, timeout: float) -> int:
    """One TeX run in ``folder`` in its own process group; its exit status. Raises
    :class:`BuildError` on timeout, killing the group (also on SIGINT/SIGTERM, then re-raised)."""
    proc = subprocess.Popen(cmd, cwd=folder, env=_reproducible_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        raise BuildError(f"LaTeX build timed out after {timeout:.0f} s") from None
    except BaseException:  # SIGINT/SIGTERM: stop TeX before its folder is removed
        _kill(proc)
        raise
    return proc.returncode


def build_pdf(tex: str, jobname: str = "document", timeout: float = 300) -> PdfResult:
    """Compile LaTeX source to PDF. Raises :class:`ToolMissing` or :class:`BuildError`.

    The build folder (``symconv-tex-*`` in the temporary directory) is removed however the build
    ends, also on SIGINT/SIGTERM (:func:`symconv.outputs.install_signal_handlers`)."""
    cmd = require_tex()
    with tempfile.TemporaryDirectory(prefix=_tex_prefix()) as tmp:
        src = Path(tmp) / f"{jobname}.tex"
        src.write_text(tex, encoding="utf-8")
        log_path = Path(tmp) / f"{jobname}.log"

        def read_log() -> str:
            return log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""

        returncode = 0
        for _ in range(1 if cmd[0] == "latexmk" else 2):
            returncode = _run(cmd + [src.name], tmp, timeout)
        log = read_log()
        # latexmk now and then stops one pass early (seen under load: the table of contents' page
        # numbers one off, the PDF's bytes not those of a quiet build); pass again until the log
        # no longer asks for a rerun
        extra = 0
        while returncode == 0 and rerun_requested(log) and extra < MAX_EXTRA_PASSES:
            returncode = _run(PDFLATEX + [src.name], tmp, timeout)
            log = read_log()
            extra += 1
        errors, overfull = parse_log(log)
        pdf_path = Path(tmp) / f"{jobname}.pdf"
        if returncode != 0 or errors or not pdf_path.exists():
            first = errors[0] if errors else f"exit status {returncode}"
            raise BuildError(f"LaTeX build failed: {first}")
        return PdfResult(pdf_path.read_bytes(), log, errors, overfull)
