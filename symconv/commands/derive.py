"""``symconv derive SPEC.toml | --example NAME [--out DIR] [--format md,tex,pdf,json]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import SpecError

FORMATS = ("md", "tex", "pdf", "json")


def parse_formats(text: str) -> tuple[str, ...]:
    """``"md,tex"`` → ``("md", "tex")``; raises :class:`SpecError` naming ``--format``."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise SpecError("--format", f"is empty; give a comma-separated list of {', '.join(FORMATS)}")
    for item in items:
        if item not in FORMATS:
            raise SpecError("--format", f"unknown format {item!r}; choose from {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(items))


def add_spec_source(parser: argparse.ArgumentParser) -> None:
    """The ``SPEC`` / ``--example`` pair shared by the commands that read a network."""
    parser.add_argument("spec", nargs="?", help="a TOML spec file")
    parser.add_argument("--example", help="a built-in example instead of a file (e.g. seed)")


def spec_from_args(args: argparse.Namespace):
    """The :class:`~symconv.spec.Spec` named by ``SPEC`` or ``--example`` (exactly one)."""
    from ..spec import example, load_spec

    if (args.spec is None) == (args.example is None):
        raise SpecError("SPEC", "give exactly one of a spec file or --example NAME")
    return example(args.example) if args.example is not None else load_spec(args.spec)


def add_parser(sub) -> None:
    p = sub.add_parser("derive", help="derive every gradient and write the proof")
    add_spec_source(p)
    p.add_argument("--out", default="output", help="output folder (default: output/)")
    p.add_argument("--format", default="md,tex,pdf,json", help="comma-separated: md,tex,pdf,json")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..api import Model
    from ..outputs import write_outputs

    formats = parse_formats(args.format)
    spec = spec_from_args(args)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise SpecError("--out", f"{out} exists and is not a folder; give a folder path")
    written = write_outputs(Model(spec), out, formats)
    for path in written:
        print(path)
    return 0
