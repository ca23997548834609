"""The jinja2 environments: loaders (user folders, built-ins, ``builtin/NAME``), LaTeX-safe
delimiters for ``.tex`` templates, ``StrictUndefined``, no autoescape, and the filters the
templates use (text escaping, equations, Markdown math blocks)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import jinja2

from ..notation import escape_latex_text, escape_markdown_text
from .layout import display_blocks, formula_equations, math_blocks, paired, table_rows


def builtin_template_dir() -> Path:
    """The folder of the built-in templates (``symconv.templates``, i.e. the repo's templates/)."""
    try:
        return Path(str(resources.files("symconv.templates")))
    except (ModuleNotFoundError, TypeError):  # running from a source tree without install
        return Path(__file__).resolve().parents[2] / "templates"


def environment(fmt: str, user_dirs: Sequence[str | Path] = ()) -> jinja2.Environment:
    """A jinja2 environment for ``fmt`` (``"md"``, ``"tex"`` or ``"svg"``; ``"tex"`` gets LaTeX-safe
    delimiters, ``"svg"`` XML autoescaping). ``user_dirs`` are searched first; ``builtin/NAME`` always names a built-in.

    Environments are cached per (format, folders), so templates compile once per process
    (jinja2 re-reads a template whose file changed)."""
    return _environment(fmt, tuple(str(Path(d).resolve()) for d in user_dirs))


@functools.lru_cache(maxsize=32)
def _environment(fmt: str, user_dirs: tuple[str, ...]) -> jinja2.Environment:
    builtin = jinja2.FileSystemLoader(str(builtin_template_dir()))
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader([str(d) for d in user_dirs]),
        builtin,
        jinja2.PrefixLoader({"builtin": builtin}),
    ])
    options = dict(
        loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
    )
    if fmt == "svg":  # figures (templates/figures/figure.svg.j2): XML-escaped text
        options["autoescape"] = True
    if fmt == "tex":
        options.update(
            block_start_string=r"\BLOCK{", block_end_string="}",
            variable_start_string=r"\VAR{", variable_end_string="}",
            comment_start_string=r"\#{", comment_end_string="}",
            line_statement_prefix="%%", line_comment_prefix="%#",
        )
    env = jinja2.Environment(**options)
    env.filters["texescape"] = escape_latex_text
    env.filters["mdescape"] = escape_markdown_text
    env.filters["mathblocks"] = math_blocks
    env.filters["displayblocks"] = display_blocks
    env.filters["paired"] = paired
    env.filters["equations"] = formula_equations
    env.filters["table_rows"] = table_rows
    return env
