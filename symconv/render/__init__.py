"""Rendering: a derivation becomes a context of printed strings, and jinja2 templates lay it out.

One job per module:

* :mod:`.environment` — the jinja2 environments (loaders, delimiters, filters);
* :mod:`.errors` — a failing template as a one-line :class:`~symconv.errors.SpecError`;
* :mod:`.layout` — equations grouped into display blocks (rows, ``aligned`` lines, Markdown
  block limits);
* :mod:`.rows` — expressions printed as rows (long sums split or elided with counts);
* :mod:`.printer` — the document's printers (notation, numbers) for one derivation;
* :mod:`.legend` — the legend of symbols;
* :mod:`.context` — the template context: strings and structure, no sympy objects.

The mathematics a document states (closed forms, index formulas, general δ) is printed by
:mod:`symconv.statements`; rendering receives those strings and never edits printed LaTeX.
Templates never see sympy objects. Environments use ``StrictUndefined`` and no autoescape;
``.tex`` templates use LaTeX-safe delimiters (``\\BLOCK{…}``, ``\\VAR{…}``, ``\\#{…}``; reference
case C14). Template folders given with ``--templates`` are searched before the built-in ones;
the built-ins are also reachable as ``builtin/NAME``, so a user's ``derivation.md.j2`` may
``{% extends "builtin/derivation.md.j2" %}`` or extend ``base.md.j2`` and override its named blocks.

Size: printing cost is proportional to what is shown. Every tensor gets its closed form, its
general index formula (Σ over positions) and a receptive-field table per shown element; the sums
of an element are written in full only for small sums, for ``--show`` elements and under
``--full``; otherwise their first terms, ``⋯``, the last term and the term count are printed.
Receptive-field tables are truncated at :data:`~symconv.render.rows.TABLE_ROWS` rows with a
stated count.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import jinja2

from ..derivation import Derivation
from ..gcpause import gc_paused
from .context import build_context
from .environment import builtin_template_dir, environment
from .errors import template_failure
from .layout import equation_lines, formula_equations, math_blocks
from .legend import document_notation, network_notation
from .rows import expr_rows

__all__ = [
    "build_context", "figure_files", "builtin_template_dir", "environment", "equation_lines", "expr_rows",
    "document_notation", "formula_equations", "math_blocks", "network_notation", "render", "render_chunks", "template_failure",
]


@gc_paused
def render(d: Derivation, fmt: str, user_dirs: Sequence[str | Path] = (), numeric=None,
           claims: Sequence[dict] = ()) -> str:
    """The derivation as ``"md"`` or ``"tex"`` text (deterministic: same input, same bytes).

    ``user_dirs``: template folders searched before the built-ins; ``numeric``: a
    :class:`~symconv.values.NumericView` (formulas followed by their numbers); ``claims``: the
    printed verdicts on the reader's claims (:func:`symconv.check.verdict_context`), shown right
    after the result section. Raises
    :class:`~symconv.errors.SpecError` for a template that fails."""
    return "".join(render_chunks(d, fmt, user_dirs, numeric, claims))


def figure_files(d: Derivation, user_dirs: Sequence[str | Path] = ()) -> dict[str, str]:
    """The SVG files the Markdown of ``d`` links to, ``{path relative to the Markdown: text}``
    (``NAME.figures/ID.svg``, laid out by ``figures/figure.svg.j2``; deterministic). Raises
    :class:`~symconv.errors.SpecError` for a user template that fails."""
    from .context import figure_path

    ctx = build_context(d)
    env = environment("svg", user_dirs)
    try:
        template = env.get_template("figures/figure.svg.j2")
        return {figure_path(ctx["name"], f.id): template.render(fig=f) for f in ctx["figures"]}
    except jinja2.TemplateError as exc:
        raise template_failure(exc) from None


def render_chunks(d: Derivation, fmt: str, user_dirs: Sequence[str | Path] = (), numeric=None,
                  claims: Sequence[dict] = ()) -> Iterator[str]:
    """:func:`render` as consecutive pieces of text, produced while the template runs: each
    tensor's element contexts are built as the template reaches them (see
    :class:`~symconv.render.context.Lazy`), so writing the pieces to a file as they come keeps
    memory independent of the document's length (``--full`` of large networks). Joined, the
    pieces are exactly :func:`render`'s text. Raises :class:`~symconv.errors.SpecError` for a
    template that fails (possibly after some pieces)."""
    env = environment(fmt, user_dirs)
    try:
        template = env.get_template(f"derivation.{fmt}.j2")
        yield from template.generate(**build_context(d, numeric, claims))
    except jinja2.TemplateError as exc:  # a user template (--templates) that fails
        raise template_failure(exc) from None
