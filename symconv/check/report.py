"""The verdict report: a :class:`~symconv.check.verdict.Verdict` as text, Markdown or LaTeX
(jinja2 templates ``check.md.j2``/``check.tex.j2``; every expression printed by the shared
:mod:`symconv.latex` printer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy

from ..derivation import DISPLAY_SIZE_LIMIT, substituted_shown
from ..verify import tree_size
from .verdict import Verdict, tidy

if TYPE_CHECKING:  # pragma: no cover
    from ..api import Model


FORMATS = ("text", "md", "tex")


def latex_of(model: Model, expr) -> str:
    """LaTeX of ``expr`` in the model's notation (the shared :mod:`symconv.latex` printer)."""
    from ..latex import latex_of as _latex_of

    return _latex_of(model.network.table, sympy.sympify(expr, strict=True))


def _template_environment(fmt: str):
    """The jinja2 Environment for the verdict templates: the shared one of :mod:`symconv.render`
    (``.tex`` uses ``\\BLOCK{}``, ``\\VAR{}``, ``\\#{}``; StrictUndefined; no autoescape)."""
    from ..render import environment

    return environment(fmt)


def shown_truth(verdict: Verdict) -> sympy.Expr:
    """The exact gradient as a derivation shows it (the one display rule): substituted and tidied
    where that stays readable, else the sum of products over the δ (a ResNet block's substituted
    form would send factor_terms into minutes)."""
    model, s = verdict.model, verdict.claim.wrt
    return tidy(verdict.truth) if substituted_shown(model.gradients, s) else model.gradients[s].delta_form


def verdict_context(verdict: Verdict, rows: bool = True) -> dict:
    """Plain strings for the templates: every expression already printed as LaTeX.

    ``lhs_latex`` is ∂C/∂x in the document's letters (``lhs_inline`` as a slash); with ``rows``
    the long expressions are also printed as rows for the shared ``math`` macro
    (:func:`symconv.render.expr_rows`): ``truth_rows``, per step ``latex_rows``, ``named_rows``,
    ``difference_rows``, per diagnosis ``form_rows``."""
    from ..latex import NotationPrinter
    from ..notation import escape_latex_text
    from ..render import expr_rows

    model = verdict.model
    table = model.network.table
    wrt = table.info[verdict.claim.wrt].latex
    printer = NotationPrinter(table) if rows else None

    def rows_of(expr) -> list[str]:
        return expr_rows(printer, expr) if rows and expr is not None else []

    steps = []
    for k, step in enumerate(verdict.steps, start=1):
        cmp = step.comparison
        # the claim in named intermediates where that stays readable (DISPLAY_SIZE_LIMIT, the
        # derivations' rule), else the claim as written (a ResNet block's δ substituted is a tree of
        # millions of nodes: minutes to print)
        shown_named = step.named if tree_size(step.named) <= DISPLAY_SIZE_LIMIT else step.side.expr
        entry = {
            "number": k,
            "source": step.side.text,
            "source_tex": escape_latex_text(step.side.text),
            "latex": latex_of(model, step.side.expr),
            "named": latex_of(model, shown_named),
            "equal": step.equal,
            "method": cmp.method,
            "note": cmp.note,
            "note_tex": escape_latex_text(cmp.note),
            "difference": latex_of(model, step.difference) if step.difference is not None else "",
            "terms": [
                {"monomial": latex_of(model, r.monomial), "claim": latex_of(model, r.claim),
                 "truth": latex_of(model, r.truth)}
                for r in step.terms
            ],
            "more_terms": step.more_terms,
            "point": [
                {"symbol": latex_of(model, s), "value": latex_of(model, v)}
                for s, v in sorted(cmp.point.items(), key=lambda kv: sympy.default_sort_key(kv[0]))
                if v != 0
            ],
            "zeros": any(v == 0 for v in cmp.point.values()),
            "intermediates": [
                {"symbol": latex_of(model, k), "value": latex_of(model, v)} for k, v in step.intermediates
            ],
            "rewritten": step.named != step.side.expr,
            "claim_value": (r"\text{undefined}" if cmp.values[0] is None else latex_of(model, cmp.values[0]))
            if cmp.values else "",
            "truth_value": latex_of(model, cmp.values[1]) if cmp.values else "",
            "diagnoses": [
                {"kind": d.kind, "title": d.title, "label": d.label, "form": latex_of(model, shown_form),
                 "form_rows": rows_of(shown_form)}
                for d in step.diagnoses
                # a form too large to print readably: the claim as written, which equals it (proven)
                for shown_form in [d.form if tree_size(d.form) <= DISPLAY_SIZE_LIMIT else step.side.expr]
            ],
            "latex_rows": rows_of(step.side.expr),
            "named_rows": rows_of(shown_named),
            "difference_rows": rows_of(step.difference),
        }
        steps.append(entry)
    first = verdict.first_wrong
    cost = table.namer.latex_letter("cost")
    truth = shown_truth(verdict)
    return {
        "lhs_latex": rf"\frac{{\partial {cost}}}{{\partial {wrt}}}",
        "lhs_inline": rf"\partial {cost} / \partial {wrt}",
        "truth_rows": rows_of(truth),
        "claim": verdict.claim.text,
        "claim_tex": escape_latex_text(verdict.claim.text),
        "notes": list(verdict.claim.notes),
        "notes_tex": [escape_latex_text(n) for n in verdict.claim.notes],
        "network": escape_latex_text(model.spec.title),
        "network_md": model.spec.title,
        "wrt": wrt,
        "lhs": verdict.claim.lhs.text,
        "truth": latex_of(model, truth),
        "ok": verdict.ok,
        "steps": steps,
        "parted": (verdict.steps.index(first) + 1) if first is not None else 0,
    }


TEXT_WIDTH = 60
"""Visible characters of a row of an expression in the terminal verdict (its LaTeX runs about
twice as long)."""
TEXT_ROWS = 8
"""Rows of one expression the terminal verdict shows; the md and tex documents show every row."""


def render_text(verdict: Verdict) -> str:
    """A few plain lines for the terminal (``check.txt.j2``): verdict, exact gradient and
    difference (in rows of :data:`TEXT_WIDTH`, at most :data:`TEXT_ROWS` each), counterexample,
    diagnosis."""
    from ..latex import NotationPrinter
    from ..render import expr_rows

    ctx = verdict_context(verdict, rows=False)
    printer = NotationPrinter(verdict.model.network.table)

    def text(expr) -> dict:
        if expr is None:
            return {"rows": [], "more": 0}
        rows = expr_rows(printer, expr, width=TEXT_WIDTH)
        if len(rows) > TEXT_ROWS:
            return {"rows": rows[:TEXT_ROWS - 1], "more": len(rows) - TEXT_ROWS + 1}
        return {"rows": rows, "more": 0}

    ctx["truth_text"] = text(shown_truth(verdict))
    for step, entry in zip(verdict.steps, ctx["steps"]):
        entry["difference_text"] = text(step.difference)
    template = _template_environment("text").get_template("check.txt.j2")
    return template.render(v=ctx)


def render_verdict(verdict: Verdict, fmt: str = "text") -> str:
    """The verdict as ``text``, ``md`` (Markdown with MathJax) or ``tex`` (a LaTeX document)."""
    if fmt == "text":
        return render_text(verdict)
    return _render_document([verdict], fmt, report=False)


def summary_line(verdicts) -> str:
    """``N claims: R right, W wrong`` (the report's last line)."""
    right = sum(1 for v in verdicts if v.ok)
    return f"{len(verdicts)} claims: {right} right, {len(verdicts) - right} wrong"


def render_report(verdicts, fmt: str = "text") -> str:
    """Every verdict of a claim file in ONE document (``text``, ``md`` or ``tex``) with a
    summary count: the text ends with :func:`summary_line`; md and tex open with the summary and
    give each claim a section. One verdict renders as :func:`render_verdict` (plus the summary
    line in text)."""
    verdicts = list(verdicts)
    if fmt == "text":
        parts = [render_text(v) for v in verdicts]
        if len(verdicts) == 1:
            return parts[0]
        return "\n".join(f"[claim {k}]\n{p}" for k, p in enumerate(parts, start=1)) + "\n" + summary_line(verdicts) + "\n"
    return _render_document(verdicts, fmt, report=len(verdicts) > 1)


def _render_document(verdicts, fmt: str, report: bool) -> str:
    """The md or tex verdict document: the templates ``check.{md,tex}.j2`` on the shared macros
    (``macros.{md,tex}.j2``: display math, the Notation table), with the Notation section of a
    derivation of the same network (:func:`symconv.render.document_notation`)."""
    from ..render import document_notation
    from ..statements import Statements

    contexts = [verdict_context(v) for v in verdicts]
    right = sum(1 for v in verdicts if v.ok)
    template = _template_environment(fmt).get_template(f"check.{fmt}.j2")
    first = contexts[0]
    network = verdicts[0].model.network
    statements = Statements(network)
    return template.render(verdicts=contexts, report=report, right=right, wrong=len(verdicts) - right,
                           network=first["network"], network_md=first["network_md"],
                           notation=document_notation(statements),
                           seed_note=statements.seed_note(), assumption=statements.targets_assumption())
