"""Command line: ``symconv derive``, ``symconv check``, ...; also ``python -m symconv``.

Exit status: 0 ok, 1 mismatch or build failure, 2 bad input (one line on stderr, no traceback),
3 missing external tool. Each subcommand lives in its own module exposing ``add_parser(sub)``
and ``run(args) -> int``; :data:`COMMANDS` lists those modules.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from .errors import SpecError, SymconvError

COMMANDS = (
    "symconv.commands.derive", "symconv.commands.prove", "symconv.commands.check",
    "symconv.commands.formula", "symconv.commands.templates", "symconv.commands.check_code",
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad options as a SpecError (exit 2, one line), never SystemExit noise."""

    def error(self, message: str):  # noqa: D401 - argparse API
        raise SpecError("", f"{message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symconv", description="Exact symbolic backpropagation through CNNs, with proofs.")
    from . import __version__

    parser.add_argument("--version", action="version", version=f"symconv {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMANDS:
        importlib.import_module(name).add_parser(sub)
    return parser


def jinja2_errors() -> type:
    """jinja2's template error class (imported lazily: only rendering needs jinja2)."""
    import jinja2

    return jinja2.TemplateError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (see module docstring)."""
    from .outputs import Terminated, install_signal_handlers, remove_temporaries

    install_signal_handlers()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        return int(args.run(args))
    except SymconvError as exc:
        if isinstance(exc, Terminated):
            remove_temporaries()
        print(f"symconv: error: {exc}", file=sys.stderr)
        return exc.exit_status
    except OSError as exc:  # an output folder or input path the system refuses
        where = exc.filename if exc.filename is not None else "file"
        print(f"symconv: error: {SpecError(str(where), f'{exc.strerror or exc}; check the path')}", file=sys.stderr)
        return 2
    except jinja2_errors() as exc:  # a template error not already reported as a SpecError
        from .render import template_failure

        print(f"symconv: error: {template_failure(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        remove_temporaries()
        print("symconv: interrupted; nothing was written", file=sys.stderr)
        return 130
    except RecursionError:
        print("symconv: error: the network is too deep or large for this build; reduce its size", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
