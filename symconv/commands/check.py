r"""``symconv check SPEC.toml | --example NAME  CLAIM | --claim-file FILE [--format text|md|tex] [--out FILE]``.

Checks each claim (LaTeX, one per line in ``--claim-file``, all verdicts in ONE document with a
summary count; ``--format pdf`` builds it with LaTeX; blank lines are skipped, and
``%`` or ``#`` starts a comment to the end of the line) against the exact gradient. Exit status: 0 when every claim is right, 1 when
any is wrong, 2 for bad input (a malformed claim: one line naming the token and its column).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from ..errors import SpecError
from .derive import add_spec_source, spec_from_args

FORMATS = ("text", "md", "tex", "pdf")


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="check a hand-derived gradient: verdict, difference, counterexample, diagnosis")
    add_spec_source(p)
    p.add_argument("claim", nargs="?", help=r"the claim in LaTeX, e.g. '\partial C/\partial w_1^1 = ...'")
    p.add_argument("--claim-file", help="a file of claims, one per line")
    p.add_argument("--format", default="text", help="text (default), md, tex or pdf (pdf needs --out)")
    p.add_argument("--out", help="write the verdict to this file instead of standard output")
    p.add_argument("--values", metavar="FILE.toml",
                   help="judge the claim at these exact values too (a [values] table: w1_1 = 2, i1_1 = \"1/3\")")
    p.add_argument("--random", metavar="SEED", help="judge at seeded random integers (the leaves --values leaves out)")
    p.add_argument("--general", metavar="CLAIM",
                   help=r"check a general index formula in symbolic sizes, e.g. '\partial L/\partial X_p = "
                        r"\sum_{i=...}^{...} \delta_i W_{p-(i-1)s}', at every configuration up to the bound")
    p.set_defaults(run=run)


def _split_positional(args: argparse.Namespace) -> None:
    """``symconv check --example seed CLAIM`` puts CLAIM in ``spec``: move it where it belongs."""
    if args.example is not None and args.spec is not None and args.claim is None:
        args.claim, args.spec = args.spec, None
    if args.example is None and args.claim is None and args.claim_file is None and args.spec is not None \
            and not args.spec.endswith(".toml"):
        raise SpecError("SPEC", "give a spec file or --example NAME before the claim")


_COMMENT = re.compile(r"(?<!\\)[%#].*")


def strip_comment(line: str) -> str:
    """A claim-file line without its comment: from an unescaped ``%`` (LaTeX) or ``#`` on."""
    return _COMMENT.sub("", line).strip()


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
        (f"--claim-file line {n}", strip_comment(line))
        for n, line in enumerate(text.splitlines(), start=1)
        if strip_comment(line)
    ]
    if not claims:
        raise SpecError("--claim-file", f"{path} holds no claim (one LaTeX claim per line)")
    return claims


def _run_at_values(args, model, verdicts, out) -> int:
    """``--values`` / ``--random``: each verdict in text, then the claim judged at the values."""
    from ..check import render_text
    from ..check.values import judge_at, read_values, render_at

    if args.format != "text":
        raise SpecError("--format", "--values and --random write text only")
    seed = None
    if args.random is not None:
        if not args.random.isdigit():
            raise SpecError("--random", f"must be a non-negative integer seed; got {args.random!r}")
        seed = int(args.random)
    given = read_values(model, args.values) if args.values is not None else {}
    parts = []
    held = True
    for v in verdicts:
        point, results = judge_at(model, v, given, seed)
        parts.append(render_text(v) + render_at(model, v, point, results, given))
        held = held and all(r.holds for r in results)
    text = "\n".join(parts)
    if out is not None:
        from ..outputs import write_atomic

        write_atomic(out, text.encode("utf-8"), "--out")
        print(args.out)
    else:
        print(text, end="")
    return 0 if all(v.ok for v in verdicts) else 1


def run_general(args: argparse.Namespace) -> int:
    """``check --general CLAIM``: no network; the claim names its own sizes."""
    from ..check.general import check_general_claim

    if args.spec is not None or args.example is not None or args.claim is not None or args.claim_file is not None:
        raise SpecError("--general", "takes the claim only; give no spec, --example, CLAIM or --claim-file with it")
    if args.format != "text":
        raise SpecError("--format", "--general writes text only")
    verdict = check_general_claim(args.general)
    text = verdict.render()
    if args.out:
        from ..outputs import write_atomic

        out = Path(args.out)
        if out.is_dir():
            raise SpecError("--out", f"{out} is a folder; give the path of the verdict file to write")
        write_atomic(out, text.encode("utf-8"), "--out")
        print(args.out)
    else:
        print(text, end="")
    return 0 if verdict.ok else 1


def run(args: argparse.Namespace) -> int:
    if args.out is not None and not args.out.strip():
        raise SpecError("--out", "is empty; give the path of the verdict file to write")
    if args.general is not None:
        return run_general(args)
    from ..api import Model
    from ..check import check_claim, render_report
    from ..claims import parse_claim

    if args.format not in FORMATS:
        raise SpecError("--format", f"must be one of {', '.join(FORMATS)}; got {args.format!r}")
    if args.format == "pdf" and not args.out:
        raise SpecError("--out", "--format pdf writes a file: give --out FILE.pdf")
    out = Path(args.out) if args.out else None
    if out is not None and out.is_dir():
        raise SpecError("--out", f"{out} is a folder; give the path of the verdict file to write")
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
    if args.values is not None or args.random is not None:
        return _run_at_values(args, model, verdicts, out)
    if args.format == "pdf":
        from ..pdf import build_pdf

        data = build_pdf(render_report(verdicts, "tex"), jobname="check").pdf
    else:
        data = render_report(verdicts, args.format).encode("utf-8")
    if out is not None:
        from ..outputs import write_atomic

        write_atomic(out, data, "--out")
        print(args.out)
    else:
        print(data.decode("utf-8"), end="")
    return 0 if all(v.ok for v in verdicts) else 1
