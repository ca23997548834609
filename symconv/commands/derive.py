"""``symconv derive SPEC.toml | --example NAME [--out DIR] [--format md,tex,pdf,json,html] [--full]
[--show NAMES] [--templates DIR] [--values FILE.toml | --random SEED] [--progress]``.

Without ``--format`` every format is written, less the PDF on a machine without TeX (one line on
stderr says so and how to install TeX; exit 0); ``--format pdf`` without TeX exits 3.
"""

from __future__ import annotations

import argparse

from ..errors import SpecError


def parse_formats(text: str) -> tuple[str, ...]:
    """``"md,tex"`` → ``("md", "tex")``; raises :class:`SpecError` naming ``--format``."""
    from ..views import formats

    return formats(text, "--format")


def add_spec_source(parser: argparse.ArgumentParser) -> None:
    """The ``SPEC`` / ``--example`` pair shared by the commands that read a network, and
    ``--allow-large``."""
    parser.add_argument("spec", nargs="?", help="a TOML spec file")
    parser.add_argument("--example", help="a built-in example instead of a file (e.g. seed)")
    parser.add_argument("--allow-large", action="store_true",
                        help="go on above the size budgets (about 4 million product terms or 200,000 symbols)")


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
    p.add_argument("--format", default=None,
                   help="comma-separated: md,tex,pdf,json,html (default: all; pdf only when TeX is installed)")
    add_view_options(p)
    p.set_defaults(run=run)


def add_view_options(p: argparse.ArgumentParser) -> None:
    """``--full``, ``--show``, ``--templates``, ``--values``/``--random`` (what documents show)."""
    p.add_argument("--full", action="store_true", help="write every element and every sum in full")
    p.add_argument("--show", action="append", default=[], metavar="NAMES",
                   help="comma-separated elements to write in full, as printed (w_1^1, "
                        "W^{(1)}_{1,1,1,1}) or Python names (w1_1); may be repeated")
    p.add_argument("--templates", action="append", default=[], metavar="DIR",
                   help="a folder of templates searched before the built-in ones; may be repeated. "
                        "Templates are trusted code (jinja2 runs them; they decide what LaTeX is "
                        "built): use only folders you trust")
    p.add_argument("--progress", action="store_true",
                   help="show the progress line on stderr even when it is not a terminal (CI logs, notebooks)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--values", metavar="FILE.toml",
                       help="numbers for every leaf: each formula is followed by its numbers and value")
    group.add_argument("--random", type=int, metavar="SEED",
                       help="seeded random small exact values for every leaf (numeric view)")


def view_options(model, args: argparse.Namespace) -> dict:
    """The ``show``, ``templates`` and ``values`` keyword arguments for rendering.
    Raises :class:`SpecError` naming ``--show``, ``--templates`` or ``--values`` on bad input."""
    from ..values import load_values
    from ..views import show_tokens
    from ..views import view_options as checked

    values = load_values(model, args.values) if args.values is not None else args.random
    return checked(model, show_tokens(args.show), args.templates, values, dash="--")


def run(args: argparse.Namespace) -> int:
    from ..api import Model
    from ..outputs import write_outputs
    from ..views import out_folder

    import sys

    from ..views import default_formats

    if args.format is None:
        formats, note = default_formats()
    else:
        formats, note = parse_formats(args.format), None
    spec = spec_from_args(args)
    out = out_folder(args.out, "--out")
    model = Model(spec, args.allow_large)
    model.network  # the size budgets first (exit 2 naming the field), then the symbols
    written = write_outputs(model, out, formats, full=args.full, progress=args.progress, field="--out",
                            **view_options(model, args))
    if note is not None:
        print(f"symconv: {note}", file=sys.stderr)
    for path in written:
        print(path)
    return 0
