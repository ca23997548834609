"""``symconv formula SPEC.toml | --example NAME "dC/dw_1^1" [--form closed|sum|named|leaf]
[--format tex|md|text] [--width 345pt]``: one gradient formula, printed to embed in other
documents.

Targets, forms, formats and the width are those of :func:`symconv.formulas.formula` (one element
as ``dC/dw_1^1``, ``\\frac{\\partial C}{\\partial w_1^1}`` or ``w1_1``; a whole tensor ``w^1`` for
its closed form; ``general:w^1`` for its general index formula). Unknown names, forms or formats
raise :class:`~symconv.errors.SpecError` (exit 2).
"""

from __future__ import annotations

import argparse

from ..errors import SpecError
from ..formulas import A4_COLUMN, FORMATS, FORMS, parse_target  # noqa: F401 - re-exported
from ..formulas import formula as _formula
from .derive import add_spec_source, spec_from_args


def add_parser(sub) -> None:
    p = sub.add_parser("formula", help="print one gradient formula (tex, md or text) to embed elsewhere")
    add_spec_source(p)
    p.add_argument("target", help='the gradient, e.g. "dC/dw_1^1" or w1_1')
    p.add_argument("--form", default="closed", help="closed (default), sum, named or leaf")
    p.add_argument("--format", default="tex", help="tex (default), md or text")
    p.add_argument("--width", default=A4_COLUMN,
                   help="rows fit this width: characters (56) or a length (345pt, 12cm; default: an A4 column)")
    p.set_defaults(run=run)


def _split_args(args: argparse.Namespace) -> None:
    """``formula --example seed "dC/dw_1^1"``: argparse reads the target as SPEC; move it."""
    if args.example is not None and args.spec is not None and args.target is None:
        args.target, args.spec = args.spec, None


def formula(model, target: str, form: str = "closed", fmt: str = "tex", width=A4_COLUMN) -> str:
    """The text of one formula (:func:`symconv.formulas.formula`), errors naming the options as
    the command line spells them (``--form``, ``--format``, ``--width``)."""
    try:
        return _formula(model, target, form, fmt, width)
    except SpecError as exc:
        if exc.field in ("form", "format", "width"):
            raise SpecError(f"--{exc.field}", exc.message) from None
        raise


def run(args: argparse.Namespace) -> int:
    from ..api import Model

    _split_args(args)
    if args.target is None:
        raise SpecError("TARGET", 'give the gradient to print, e.g. "dC/dw_1^1"')
    model = Model(spec_from_args(args), args.allow_large)
    width = int(args.width) if args.width.strip().isdigit() else args.width
    print(formula(model, args.target, args.form, args.format, width), end="")
    return 0
