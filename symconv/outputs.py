"""Write a derivation's files atomically: NAME.md, NAME.tex, NAME.pdf, NAME.json, NAME.html.

Every file is written to a temporary file in the same folder and renamed into place, so a failure
never leaves a half-written file. All texts are produced before any file is written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Sequence


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def render_all(model, formats: Sequence[str], full: bool = False, show=(), templates=(),
               values=None, progress: bool = False) -> dict[str, bytes]:
    """The bytes of each requested format (``md``, ``tex``, ``pdf``, ``json``) of ``model``
    (anything with ``name``, ``spec``, ``network``, ``forward`` and ``gradients`` built on first
    use, such as a :class:`symconv.Model`).

    ``full``/``show`` choose what the documents write out (see :func:`symconv.derivation.derive`),
    ``templates`` are folders searched before the built-in templates, ``values`` a
    :class:`~symconv.values.NumericView` for the numeric view; ``progress`` forces the progress
    line on stderr even when it is not a terminal (``--progress``).
    """
    from .independent import certificate_of
    from .pdf import build_pdf, require_tex
    from .progress import Progress

    if "pdf" in formats:
        require_tex()  # fail (exit 3) before any work or any file
    progress = Progress(total=5 + len(formats), force=progress)
    progress.stage("network")
    model.network
    progress.stage("forward pass")
    model.forward
    progress.stage("gradients")
    model.gradients
    progress.stage("independent certificate")
    certificate_of(model.gradients)
    texts: dict[str, bytes] = {}
    if "html" in formats:
        from .htmlout import require_mathml

        require_mathml()  # fail (exit 3) before any work or any file
    if {"md", "tex", "pdf", "html"} & set(formats):
        from .derivation import derive
        from .render import render

        claims = judge_claims(model)
        progress.stage("derivation and certificates")
        d = derive(model.gradients, full=full, show=show)
        tex = render(d, "tex", templates, values, claims) if {"tex", "pdf"} & set(formats) else ""
        if "md" in formats:
            progress.stage("Markdown")
            texts["md"] = render(d, "md", templates, values, claims).encode("utf-8")
        if "tex" in formats:
            progress.stage("LaTeX")
            texts["tex"] = tex.encode("utf-8")
        if "pdf" in formats:
            progress.stage("PDF (latexmk)")
            texts["pdf"] = build_pdf(tex, jobname=model.name).pdf
        if "html" in formats:
            from .htmlout import to_html

            progress.stage("HTML")
            texts["html"] = to_html(model, d).encode("utf-8")
    if "json" in formats:
        from .jsonout import to_json

        progress.stage("JSON")
        texts["json"] = to_json(model).encode("utf-8")
    progress.done()
    return {fmt: texts[fmt] for fmt in formats}


def judge_claims(model) -> list[dict]:
    """The verdicts on the spec's ``[[claims]]``, judged as ``symconv check`` judges a claim
    (:func:`symconv.check.check_claim`), as the printed context of :func:`symconv.check.verdict_context`
    plus the long expressions as rows (``truth_rows``; per step ``latex_rows``, ``difference_rows``;
    per diagnosis ``form_rows``; ``lhs_latex`` ∂C/∂x printed; ``diagnosis`` the title of the first
    wrong step's proven mistake, "" when none). Raises :class:`~symconv.errors.SpecError` naming
    ``claims[k].text`` for a claim that does not parse."""
    from .check import check_claim, tidy, verdict_context
    from .errors import SpecError
    from .latex import NotationPrinter
    from .render import expr_rows

    printer = NotationPrinter(model.network.table)
    verdicts = []
    for k, text in enumerate(model.spec.claims, start=1):
        try:
            verdict = check_claim(model, text)
        except SpecError as exc:
            raise SpecError(f"claims[{k}].text", exc.message) from None
        context = verdict_context(verdict)
        context["truth_rows"] = expr_rows(printer, tidy(verdict.truth))
        cost = model.network.table.namer.latex_letter("cost")
        context["lhs_latex"] = rf"\frac{{\partial {cost}}}{{\partial {context['wrt']}}}"
        context["lhs_inline"] = rf"\partial {cost} / \partial {context['wrt']}"
        wrong = verdict.first_wrong
        context["diagnosis"] = wrong.diagnoses[0].title if wrong is not None and wrong.diagnoses else ""
        for step, entry in zip(verdict.steps, context["steps"]):
            entry["latex_rows"] = expr_rows(printer, step.side.expr)
            entry["difference_rows"] = expr_rows(printer, step.difference) if step.difference is not None else []
            for d, shown in zip(step.diagnoses, entry["diagnoses"]):
                shown["form_rows"] = expr_rows(printer, d.form)
        verdicts.append(context)
    return verdicts


def write_outputs(model, out: Path, formats: Sequence[str], full: bool = False, **options) -> list[Path]:
    """Render every format, then write ``out/NAME.<fmt>`` for each; returns the paths written.
    ``options``: ``show``, ``templates``, ``values`` as for :func:`render_all`."""
    data = render_all(model, formats, full=full, **options)
    paths = []
    for fmt, blob in data.items():
        path = Path(out) / f"{model.name}.{fmt}"
        write_atomic(path, blob)
        paths.append(path)
    return paths
