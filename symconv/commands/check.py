r"""``symconv check SPEC.toml | --example NAME  CLAIM | --claim-file FILE [--format text|md|tex] [--out FILE]``.

Checks each claim (LaTeX, one per line in ``--claim-file``; blank lines and lines starting with
``%`` are skipped) against the exact gradient. Exit status: 0 when every claim is right, 1 when
any is wrong, 2 for bad input (a malformed claim: one line naming the token and its column).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import SpecError
from .derive import add_spec_source, spec_from_args

FORMATS = ("text", "md", "tex")


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="check a hand-derived gradient: verdict, difference, counterexample, diagnosis")
    add_spec_source(p)
    p.add_argument("claim", nargs="?", help=r"the claim in LaTeX, e.g. '\partial C/\partial w_1^1 = ...'")
    p.add_argument("--claim-file", help="a file of claims, one per line")
    p.add_argument("--format", default="text", help="text (default), md or tex")
    p.add_argument("--out", help="write the verdict to this file instead of standard output")
    p.set_defaults(run=run)


def _split_positional(args: argparse.Namespace) -> None:
    """``symconv check --example seed CLAIM`` puts CLAIM in ``spec``: move it where it belongs."""
    if args.example is not None and args.spec is not None and args.claim is None:
        args.claim, args.spec = args.spec, None
    if args.example is None and args.claim is None and args.claim_file is None and args.spec is not None \
            and not args.spec.endswith(".toml"):
        raise SpecError("SPEC", "give a spec file or --example NAME before the claim")


def read_claims(args: argparse.Namespace) -> list[tuple[str, str]]:
    """``[(field, text)]``: the CLAIM argument or the lines of ``--claim-file`` (exactly one)."""
    if (args.claim is None) == (args.claim_file is None):
        raise SpecError("CLAIM", "give exactly one of a claim or --claim-file FILE")
    if args.claim is not None:
        return [("claim", args.claim)]
    path = Path(args.claim_file)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("--claim-file", f"{path}: no such file") from None
    except IsADirectoryError:
        raise SpecError("--claim-file", f"{path} is a folder; give the path of a file of claims") from None
    except (PermissionError, UnicodeDecodeError, OSError) as exc:
        raise SpecError("--claim-file", f"{path}: cannot be read as UTF-8 text ({type(exc).__name__})") from None
    claims = [
        (f"--claim-file line {n}", line.strip())
        for n, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("%")
    ]
    if not claims:
        raise SpecError("--claim-file", f"{path} holds no claim (one LaTeX claim per line)")
    return claims


def run(args: argparse.Namespace) -> int:
    from ..api import Model
    from ..check import check_claim, render_verdict
    from ..claims import parse_claim

    if args.format not in FORMATS:
        raise SpecError("--format", f"must be one of {', '.join(FORMATS)}; got {args.format!r}")
    if args.out is not None and not args.out.strip():
        raise SpecError("--out", "is empty; give the path of the verdict file to write")
    _split_positional(args)
    claims = read_claims(args)
    model = Model(spec_from_args(args), args.allow_large)
    parsed = []
    for where, text in claims:  # parse all first: a bad claim fails before any work
        try:
            parsed.append(parse_claim(model, text))
        except SpecError as exc:
            raise SpecError(where, exc.message) from None
    verdicts = [check_claim(model, c) for c in parsed]
    text = "\n".join(render_verdict(v, args.format) for v in verdicts)
    if args.out is not None:
        from ..outputs import write_atomic

        out = Path(args.out)
        if out.is_dir():
            raise SpecError("--out", f"{out} is a folder; give the path of the verdict file to write")
        write_atomic(out, text.encode("utf-8"), "--out")
        print(args.out)
    else:
        print(text, end="")
    return 0 if all(v.ok for v in verdicts) else 1
