r"""``symconv check-code MODULE:FUNCTION --layer SPEC [--seed N]``: run a user's NumPy backward
function against the exact gradient of one layer and name the mistake (see
:mod:`symconv.codecheck` for the adapters and the SPEC format). Exit status: 0 correct, 1 wrong,
2 bad input (a bad SPEC, a module or function that cannot be loaded, a function that raises or
returns the wrong number of arrays)."""

from __future__ import annotations

import argparse

from ..errors import SpecError


def add_parser(sub) -> None:
    p = sub.add_parser("check-code", help="check a NumPy backward function against the exact gradient; name the mistake")
    p.add_argument("target", help="MODULE:FUNCTION (a dotted module or a .py path)")
    p.add_argument("--layer", required=True,
                   help="TYPE:key=value,...,input=CxHxW, e.g. conv2d:kernel_size=3,stride=2,padding=1,input=1x5x5")
    p.add_argument("--seed", default="0", help="seed of the random values (an integer)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..codecheck import check_backward, load_function

    if not args.seed.isdigit():
        raise SpecError("--seed", f"must be a non-negative integer; got {args.seed!r}")
    fn = load_function(args.target)
    report = check_backward(fn, args.layer, int(args.seed))
    print(report.text, end="")
    return 0 if report.ok else 1
