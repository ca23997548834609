"""Write a derivation's files atomically as a whole: NAME.md, NAME.tex, NAME.pdf, NAME.json, NAME.html,
and with the Markdown the SVG figures it links to (NAME.figures/ID.svg).

Every file is written to a temporary file next to its target (``.NAME.md.XXXX.tmp`` in the output
folder), and only when every temporary is complete are they renamed into place together. The
Markdown and LaTeX documents are streamed: the template's pieces go to the temporary as they are
rendered, so memory does not grow with the document (``--full`` of large networks). Any failure
(or SIGINT/SIGTERM, see :func:`install_signal_handlers`) removes every temporary, so a failure
never leaves a half-written file nor some formats without the others.
"""

from __future__ import annotations

import gc
import os
import signal
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Mapping, Sequence

from .errors import SpecError, SymconvError

#: Temporaries being written right now (removed by :func:`remove_temporaries` on a signal).
_PENDING: set[str] = set()


class Terminated(SymconvError):
    """SIGTERM arrived: the run stops, temporaries are removed (CLI exit 143, one line)."""

    exit_status = 128 + signal.SIGTERM


def _on_sigterm(signum, frame):  # noqa: ARG001 - signal handler signature
    raise Terminated("terminated by SIGTERM; nothing was written")


def install_signal_handlers() -> None:
    """Make SIGTERM raise :class:`Terminated` (SIGINT already raises ``KeyboardInterrupt``), so
    the ``finally`` blocks of :func:`write_files` and of the TeX build run and remove their
    temporaries and the TeX folder. Only from the main thread (the CLI); a no-op elsewhere."""
    try:
        signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread
        pass


def remove_temporaries() -> None:
    """Remove every temporary still pending and this process's TeX build folders (safe to call
    twice; the CLI calls it on SIGINT and SIGTERM)."""
    from .pdf import remove_tex_folders

    remove_tex_folders()
    for tmp in list(_PENDING):
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        except OSError:
            continue
        _PENDING.discard(tmp)


def _mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def check_targets(paths, field: str = "out") -> None:
    """Raise :class:`SpecError` naming ``field`` when something other than a file is in the way
    of one of ``paths`` (a folder named like an output, say) or their folder cannot take a file
    (``/proc``; a probe file is made and removed): checked before any work."""
    folders = []
    for path in paths:
        path = Path(path)
        if path.exists() and not path.is_file():
            raise SpecError(field, f"{path} exists and is not a file; remove it or give another folder")
        if path.parent.exists() and not path.parent.is_dir():
            raise SpecError(field, f"{path.parent} exists and is not a folder; give a folder path")
        if path.parent not in folders:
            folders.append(path.parent)
    for folder in folders:  # can a file be made there (or in the ancestor that will hold it)?
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        try:
            if not existing.is_dir():
                raise NotADirectoryError(20, "Not a directory")
            fd, probe = tempfile.mkstemp(prefix=".symconv-probe-", dir=existing)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise SpecError(field, f"cannot write into {folder} ({exc.strerror or type(exc).__name__}); "
                                   "give a folder you can write to") from None


CHUNK_CHARS = 1 << 16  # streamed text is encoded and written in pieces of about this many characters


def _write_stream(fh, pieces: Iterable[str]) -> None:
    """Write consecutive text ``pieces`` as UTF-8, gathered into writes of about
    :data:`CHUNK_CHARS` characters (a template yields many small pieces)."""
    batch: list[str] = []
    size = 0
    for piece in pieces:
        batch.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARS:
            fh.write("".join(batch).encode("utf-8"))
            batch, size = [], 0
    if batch:
        fh.write("".join(batch).encode("utf-8"))


def write_files(files: Mapping[Path, bytes | Iterable[str]], field: str = "out") -> list[Path]:
    """Write every ``path → content`` of ``files`` all or nothing; returns the paths in order.
    A content is bytes, or an iterable of text pieces (a streamed document: each piece is
    written to the temporary as it comes, UTF-8).

    Each is first written to a temporary in its folder (created if needed); when all are
    complete they are renamed into place (``os.replace``, atomic per file). On any error (also
    one raised while a streamed document is produced) every temporary is removed and nothing is
    renamed. An output folder the system refuses raises :class:`SpecError` naming ``field``
    (``--out`` on the command line)."""
    check_targets(files, field)
    temps: list[tuple[str, Path]] = []
    made: list[Path] = []  # folders created here, removed again on failure (a streamed document may fail)
    done = False
    try:
        try:
            for path, data in files.items():
                path = Path(path)
                missing = [f for f in (path.parent, *path.parent.parents) if not f.exists()]
                path.parent.mkdir(parents=True, exist_ok=True)
                made.extend(reversed(missing))
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                _PENDING.add(tmp)
                temps.append((tmp, path))
                with os.fdopen(fd, "wb") as fh:
                    if isinstance(data, bytes | bytearray):
                        fh.write(data)
                    else:
                        _write_stream(fh, data)
                os.chmod(tmp, _mode())
        except OSError as exc:
            folder = Path(next(iter(files))).parent if files else Path(".")
            raise SpecError(field, f"cannot write into {folder} ({exc.strerror or type(exc).__name__}); "
                                   "give a folder you can write to") from None
        for tmp, path in temps:
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise SpecError(field, f"cannot write {path} ({exc.strerror or type(exc).__name__}); "
                                       "remove what is in the way or give another folder") from None
            _PENDING.discard(tmp)
        done = True
    finally:
        for tmp, _ in temps:
            if tmp in _PENDING:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                _PENDING.discard(tmp)
        if not done:
            for folder in reversed(made):
                try:
                    folder.rmdir()
                except OSError:
                    pass
    return [Path(p) for p in files]


def write_atomic(path: Path, data: bytes, field: str = "out") -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace`` (see :func:`write_files`)."""
    write_files({Path(path): data}, field)


def user_template_failure(exc: BaseException, folders: Sequence) -> SpecError | None:
    """A one-line :class:`SpecError` naming the user template file and line where ``exc`` was
    raised (the innermost frame of a ``.j2`` file inside one of ``folders``), or None when no
    user template raised it. User templates are trusted code, but their mistakes are bad input."""
    roots = [Path(f).resolve() for f in folders]
    where = None
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith(".j2") and any(Path(name).resolve().is_relative_to(r) for r in roots):
            where = (name, tb.tb_lineno)
        tb = tb.tb_next
    if where is None:
        return None
    return SpecError(f"{where[0]}:{where[1]}", f"template error: {type(exc).__name__}: {exc}; fix the template")


def render_all(model, formats: Sequence[str], full: bool = False, show=(), templates=(),
               values=None, progress: bool = False, figures: dict | None = None) -> dict[str, bytes]:
    """The bytes of each requested format (``md``, ``tex``, ``pdf``, ``json``, ``html``) of
    ``model`` (anything with ``name``, ``spec``, ``network``, ``forward`` and ``gradients`` built
    on first use, such as a :class:`symconv.Model`).

    ``full``/``show`` choose what the documents write out (see :func:`symconv.derivation.derive`),
    ``templates`` are folders searched before the built-in templates, ``values`` a
    :class:`~symconv.values.NumericView` for the numeric view; ``progress`` forces the progress
    line on stderr even when it is not a terminal (``--progress``). ``figures``: a dict that,
    when Markdown is rendered, receives the SVG files it links to (``{path relative to the
    Markdown: bytes}``, see :func:`symconv.render.figure_files`).
    """
    meter = _progress(formats, progress)
    produced = produce_all(model, formats, meter, full=full, show=show, templates=templates, values=values,
                           figures=figures)
    texts = {fmt: data if isinstance(data, bytes) else "".join(data).encode("utf-8") for fmt, data in produced.items()}
    meter.done()
    return texts


def _progress(formats: Sequence[str], force: bool):
    from .progress import Progress

    return Progress(total=5 + len(formats), force=force)


def produce_all(model, formats: Sequence[str], progress, full: bool = False, show=(), templates=(),
                values=None, figures: dict | None = None) -> dict[str, bytes | Iterator[str]]:
    """Each requested format of ``model`` (options as for :func:`render_all`; ``progress`` a
    :class:`~symconv.progress.Progress`): bytes for ``pdf`` and ``html``; for ``md`` and ``tex``
    an iterator of text pieces that renders the document as it is consumed
    (:func:`symconv.render.render_chunks`; joined, exactly the document's text), for ``json`` an
    iterator that makes the JSON text when it is consumed (after the documents). The derivation
    and every certificate are computed before this returns; a template failure is raised by the
    iterator, as a :class:`SpecError` naming the user template's file and line. ``figures`` as
    for :func:`render_all` (filled here, with the Markdown requested)."""
    from .independent import certificate_of
    from .pdf import build_pdf, require_tex

    if "pdf" in formats:
        require_tex()  # fail (exit 3) before any work or any file
    progress.stage("network")
    model.network
    progress.stage("forward pass")
    model.forward
    progress.stage("gradients")
    model.gradients
    progress.stage("independent certificate")
    certificate_of(model.gradients)
    texts: dict[str, bytes | Iterator[str]] = {}
    if "html" in formats:
        from .htmlout import require_mathml

        require_mathml()  # fail (exit 3) before any work or any file
    if {"md", "tex", "pdf", "html"} & set(formats):
        from .derivation import derive
        from .render import render_chunks

        claims = judge_claims(model)
        progress.stage("derivation and certificates")
        d = derive(model.gradients, full=full, show=show)

        def pieces(fmt: str, stage: str) -> Iterator[str]:
            progress.stage(stage)
            was_enabled = gc.isenabled()
            gc.disable()  # many small objects, none cyclic (see symconv.gcpause)
            try:
                yield from render_chunks(d, fmt, templates, values, claims)
            except Exception as exc:  # a user template that raises (1/0) while rendering
                failure = None if isinstance(exc, SymconvError) else user_template_failure(exc, templates)
                if failure is None:
                    raise
                raise failure from None
            finally:
                if was_enabled:
                    gc.enable()

        tex = "".join(pieces("tex", "LaTeX")) if "pdf" in formats else None
        if "md" in formats:
            texts["md"] = pieces("md", "Markdown")
            if figures is not None:
                from .render import figure_files

                figures.update({path: svg.encode("utf-8") for path, svg in figure_files(d, templates).items()})
        if "tex" in formats:
            texts["tex"] = pieces("tex", "LaTeX") if tex is None else tex.encode("utf-8")
        if "pdf" in formats:
            progress.stage("PDF (latexmk)")
            texts["pdf"] = build_pdf(tex, jobname=model.name).pdf
        if "html" in formats:
            from .htmlout import to_html

            progress.stage("HTML")
            texts["html"] = to_html(model, d).encode("utf-8")
    if "json" in formats:
        from .jsonout import to_json

        def json_text() -> Iterator[str]:  # made when written, after the documents (stages in order)
            progress.stage("JSON")
            yield to_json(model)

        texts["json"] = json_text()
    return {fmt: texts[fmt] for fmt in formats}


def judge_claims(model) -> list[dict]:
    """The verdicts on the spec's ``[[claims]]``, judged as ``symconv check`` judges a claim
    (:func:`symconv.check.check_claim`), as the printed context of :func:`symconv.check.verdict_context`
    (the same as the verdict documents': the long expressions as rows, ``truth_rows``; per step
    ``latex_rows``, ``difference_rows``; per diagnosis ``form_rows``; ``lhs_latex`` ∂C/∂x printed)
    plus ``diagnosis``, the title of the first wrong step's proven mistake ("" when none). Raises :class:`~symconv.errors.SpecError` naming
    ``claims[k].text`` for a claim that does not parse."""
    from .check import check_claim, verdict_context
    from .errors import SpecError

    verdicts = []
    for k, text in enumerate(model.spec.claims, start=1):
        try:
            verdict = check_claim(model, text)
        except SpecError as exc:
            raise SpecError(f"claims[{k}].text", exc.message) from None
        context = verdict_context(verdict)
        wrong = verdict.first_wrong
        context["diagnosis"] = wrong.diagnoses[0].title if wrong is not None and wrong.diagnoses else ""
        verdicts.append(context)
    return verdicts


def write_outputs(model, out: Path, formats: Sequence[str], full: bool = False, field: str = "out",
                  **options) -> list[Path]:
    """Write ``out/NAME.<fmt>`` for every format as a whole (:func:`write_files`): the
    Markdown and LaTeX documents streamed to their temporaries as they render, the other formats
    produced first (:func:`produce_all`); returns the paths written. ``options``: ``show``,
    ``templates``, ``values``, ``progress`` as for :func:`render_all`; ``field`` names the
    output folder in errors. With the Markdown go the SVG figures it links to
    (``out/NAME.figures/ID.svg``), in the same atomic set."""
    check_targets([Path(out) / f"{model.name}.{fmt}" for fmt in formats], field)
    meter = _progress(formats, options.pop("progress", False))
    figures: dict[str, bytes] = {}
    data = produce_all(model, formats, meter, full=full, figures=figures, **options)
    files = {Path(out) / f"{model.name}.{fmt}": blob for fmt, blob in data.items()}
    files.update((Path(out) / path, blob) for path, blob in sorted(figures.items()))
    written = write_files(files, field)
    if "md" in formats:
        from .render.context import figure_folder

        _prune_figures(Path(out) / figure_folder(model.name), set(written))
    meter.done()
    return written


def _prune_figures(folder: Path, keep: set) -> None:
    """Remove the SVG figures in ``folder`` (``NAME.figures/``) that this run did not write: a
    figure of an earlier version of the network, which the new Markdown no longer links to; then
    the folder itself when it is left empty. Other files there are not touched."""
    if not folder.is_dir():
        return
    for f in sorted(folder.glob("*.svg")):
        if f not in keep and f.is_file():
            f.unlink(missing_ok=True)
    if not any(folder.iterdir()):
        folder.rmdir()
