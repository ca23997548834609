"""``symconv prove --general [--format md,tex,pdf] [--out DIR] [--notation seed|goodfellow|both] [--check N]``.

Writes the size-independent proof of the convolution gradients (:mod:`symconv.general`):
``general.*`` in the seed notation, ``general-goodfellow.*`` in Goodfellow et al.'s. With
``--check N`` it first instantiates every step at N seeded random configurations and compares
with ``sympy.diff`` of an independently built concrete cost (exit 1 on any failure).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import SpecError

FORMATS = ("md", "tex", "pdf")
STEMS = {"seed": "general", "goodfellow": "general-goodfellow"}


def add_parser(sub) -> None:
    p = sub.add_parser("prove", help="the general (symbolic-size) proof of the convolution gradients")
    p.add_argument("--general", action="store_true", help="prove for symbolic H, W, k, s, p, d (required)")
    p.add_argument("--out", default="output/general", help="output folder (default: output/general)")
    p.add_argument("--format", default="md,tex,pdf", help="comma-separated: md,tex,pdf")
    p.add_argument("--notation", default="both", help="seed, goodfellow or both (default)")
    p.add_argument("--check", type=_whole(1), default=None, metavar="N",
                   help="also check every step at N random concrete configurations")
    p.add_argument("--seed", type=_whole(0), default=0, help="random seed for --check (default 0)")
    p.set_defaults(run=run)


def _whole(low: int):
    """An argparse type: a whole number between ``low`` and 10000."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if not low <= value <= 10_000:
            raise argparse.ArgumentTypeError(f"must be between {low} and 10000, got {value}")
        return value

    return parse


def run(args: argparse.Namespace) -> int:
    from ..general import check_general, prove_general, render_general
    from ..outputs import write_files
    from ..pdf import build_pdf, require_tex

    if not args.general:
        raise SpecError("prove", "only the general proof exists so far; add --general")
    formats = [f.strip() for f in args.format.split(",") if f.strip()]
    if not formats or any(f not in FORMATS for f in formats):
        raise SpecError("--format", f"give a comma-separated list of {', '.join(FORMATS)}; got {args.format!r}")
    if args.notation not in ("seed", "goodfellow", "both"):
        raise SpecError("--notation", f"must be seed, goodfellow or both; got {args.notation!r}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise SpecError("--out", f"{out} exists and is not a folder; give a folder path")
    if "pdf" in formats:
        require_tex()
    status = 0
    if args.check is not None:
        report = check_general(args.check, seed=args.seed)
        print(report.summary(), file=sys.stderr)
        status = 0 if report.passed else 1
    notations = ["seed", "goodfellow"] if args.notation == "both" else [args.notation]
    files: dict[Path, bytes] = {}
    for notation in notations:
        proof = prove_general(notation)
        tex = render_general(proof, "tex")
        stem = STEMS[notation]
        if "md" in formats:
            files[out / f"{stem}.md"] = render_general(proof, "md").encode("utf-8")
        if "tex" in formats:
            files[out / f"{stem}.tex"] = tex.encode("utf-8")
        if "pdf" in formats:
            files[out / f"{stem}.pdf"] = build_pdf(tex, jobname=stem).pdf
    for path in write_files(files, "--out"):
        print(path)
    return status
