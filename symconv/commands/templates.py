"""``symconv templates export DIR``: copy the built-in templates out to start from.

Copies every built-in template that ``derive --templates DIR`` and ``check --templates DIR`` look up
(``*.j2`` and the figures' ``figures/*.j2``, folders kept) into ``DIR`` (created if needed). The
general proof's and the HTML page's templates are not overridable and are not copied. Files already in
``DIR`` are left alone unless ``--force``; an existing file raises
:class:`~symconv.errors.SpecError` (exit 2) naming it. Use the folder with
``symconv derive --templates DIR``; a template there may ``extends "builtin/NAME"`` to reuse the
built-in one of the same name, or ``extends "base.md.j2"`` and override its named blocks.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import SpecError

FIGURES = "figures"
"""The sub-folder of the figures' templates (``figures/figure.svg.j2``, ``figures/figure.tex.j2``)."""


def add_parser(sub) -> None:
    p = sub.add_parser("templates", help="work with the document templates")
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    e = actions.add_parser("export", help="copy the built-in templates into DIR")
    e.add_argument("dir", help="the folder to copy into")
    e.add_argument("--force", action="store_true", help="overwrite files already there")
    e.set_defaults(run=run)


def export(folder: str | Path, force: bool = False) -> list[Path]:
    """Copy the built-in templates into ``folder``; returns the paths written (sorted)."""
    from ..outputs import write_atomic
    from ..render import builtin_template_dir

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise SpecError("DIR", f"{folder} exists and is not a folder")
    root = builtin_template_dir()
    sources = sorted([*root.glob("*.j2"), *root.glob(f"{FIGURES}/*.j2")])
    targets = [folder / src.relative_to(root) for src in sources]
    if not force:
        for t in targets:
            if t.exists():
                raise SpecError("DIR", f"{t} already exists; remove it or pass --force")
    for src, t in zip(sources, targets):
        write_atomic(t, src.read_bytes())
    return targets


def run(args: argparse.Namespace) -> int:
    for path in export(args.dir, args.force):
        print(path)
    return 0
