"""Exceptions symconv raises, each mapped to one CLI exit status.

| exception        | meaning                                   | CLI exit |
|------------------|-------------------------------------------|----------|
| ``SpecError``    | bad user input (spec, option, claim)      | 2        |
| ``ToolMissing``  | an external program (latexmk) is absent   | 3        |
| ``BuildError``   | an external build (PDF) failed            | 1        |

Every message is one line that names the offending field and says how to fix it.
"""

from __future__ import annotations


class SymconvError(Exception):
    """Base class of every error symconv raises on purpose."""

    exit_status = 1


class SpecError(SymconvError, ValueError):
    """Bad user input: names the field (e.g. ``layers[2].stride``) and the rule it breaks."""

    exit_status = 2

    def __init__(self, field: str, message: str):
        # One line, always: a field or message holding control characters (a file name with a
        # newline, say) is shown in its repr form.
        field = field if field.isprintable() else repr(field)
        message = message if message.isprintable() else repr(message)[1:-1]
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class ToolMissing(SymconvError):
    """An external tool (latexmk, pdflatex) is not installed."""

    exit_status = 3


class BuildError(SymconvError):
    """An external build failed (for example pdflatex reported an error)."""

    exit_status = 1
