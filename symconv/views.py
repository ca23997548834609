"""The options that choose what a derivation's documents show, checked once for the command line
and the Python API: ``formats``, ``out``, ``full``, ``show``, ``templates`` and ``values``.

Each check raises a one-line :class:`~symconv.errors.SpecError` naming the option as the caller
spells it (``--show`` on the command line, ``show`` in Python) and what to give instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import sympy

from .errors import SpecError
from .fields import show_value

FORMATS = ("md", "tex", "pdf", "json", "html")
DEFAULT_FORMATS = FORMATS
"""What ``derive`` and :meth:`symconv.Model.write` write when no format is given: every format,
less the PDF on a machine without TeX (see :func:`default_formats`)."""


def formats(value: Any, field: str = "formats") -> tuple[str, ...]:
    """``"md,tex"`` or ``["md", "tex"]`` → ``("md", "tex")`` (in the given order, once each)."""
    if isinstance(value, str):
        items = [t.strip() for t in value.split(",") if t.strip()]
    elif isinstance(value, list | tuple | set | frozenset) and all(isinstance(v, str) for v in value):
        items = [v.strip() for v in value]
    else:
        raise SpecError(field, f"must be a comma-separated string or a list of {', '.join(FORMATS)}; got {show_value(value)}")
    if not items:
        raise SpecError(field, f"is empty; give a comma-separated list of {', '.join(FORMATS)}")
    for item in items:
        if item not in FORMATS:
            raise SpecError(field, f"unknown format {show_value(item)}; choose from {', '.join(FORMATS)}")
    return tuple(dict.fromkeys(items))


def default_formats() -> tuple[tuple[str, ...], str | None]:
    """The formats to write when none is asked for: :data:`DEFAULT_FORMATS`, without ``pdf``
    when no TeX is installed, and then a one-line note saying so and how to install TeX
    (None when nothing is skipped). Asking for ``pdf`` explicitly still fails without TeX
    (:class:`~symconv.errors.ToolMissing`, exit 3)."""
    from .pdf import INSTALL_HINT, tex_command

    if tex_command() is not None:
        return DEFAULT_FORMATS, None
    kept = tuple(f for f in DEFAULT_FORMATS if f != "pdf")
    return kept, f"PDF skipped: {INSTALL_HINT} (then add pdf to --format or rerun)"


def out_folder(value: Any, field: str = "out") -> Path:
    """The output folder: a non-empty path that is a folder or does not exist yet."""
    if not isinstance(value, str | Path) or not str(value).strip():
        raise SpecError(field, f"must be the path of a folder; got {show_value(value)}")
    out = Path(value)
    if out.exists() and not out.is_dir():
        raise SpecError(field, f"{out} exists and is not a folder; give a folder path")
    return out


def flag(value: Any, field: str) -> bool:
    """A yes/no option: ``True`` or ``False`` only (``"false"`` is not false)."""
    if not isinstance(value, bool):
        raise SpecError(field, f"must be True or False; got {show_value(value)}")
    return value


def show_tokens(values: list[str]) -> list[str]:
    """``--show`` values split into names. Commas inside braces (``W^{(1)}_{1,1,1,1}``) or after
    an underscore's index list are kept: a comma splits only at brace depth 0 and before a letter
    or a Python name."""
    tokens = []
    for value in values:
        depth, cur = 0, ""
        for k, ch in enumerate(value):
            depth += ch == "{"
            depth -= ch == "}"
            if ch == "," and depth == 0 and (k + 1 < len(value) and not value[k + 1].isdigit()):
                tokens.append(cur)
                cur = ""
            else:
                cur += ch
        tokens.append(cur)
    return [t.strip() for t in tokens if t.strip()]


def show_symbols(model, value: Any, field: str = "show") -> frozenset:
    """The symbols whose elements are shown in full: None, one name, a comma-separated string of
    names, a sympy Symbol, or a list of names and Symbols. Names are Python names (``w1_1``) or
    names as printed (``w_1^1``, ``W^{(1)}_{1,1,1,1}``)."""
    if value is None:
        return frozenset()
    if isinstance(value, str):
        value = show_tokens([value])
    elif isinstance(value, sympy.Symbol):
        value = [value]
    if not isinstance(value, list | tuple | set | frozenset):
        raise SpecError(field, f"must be a name, a comma-separated string of names or a list of names; got {show_value(value)}")
    out = set()
    for item in value:
        if not isinstance(item, str | sympy.Symbol):
            raise SpecError(field, f"must hold names (e.g. w_1^1 or w1_1) or sympy Symbols; got {show_value(item)}")
        out.add(model.symbol(item, field))
    return frozenset(out)


def template_dirs(value: Any, field: str = "templates") -> tuple[str, ...]:
    """Folders of user templates, searched before the built-in ones: None, one path or a list."""
    if value is None:
        return ()
    if isinstance(value, str | Path):
        value = [value]
    if not isinstance(value, list | tuple):
        raise SpecError(field, f"must be a folder path or a list of folder paths; got {show_value(value)}")
    for folder in value:
        if not isinstance(folder, str | Path) or not str(folder).strip():
            raise SpecError(field, f"must hold folder paths; got {show_value(folder)}")
        if not Path(folder).is_dir():
            raise SpecError(field, f"{folder} is not a folder; give a folder of .j2 templates")
    return tuple(str(folder) for folder in value)


def numeric_view(model, value: Any, field: str = "values"):
    """The numeric view (:class:`~symconv.values.NumericView`) of ``value``: None (no numbers), a
    seed ≥ 0 for small random exact values, or a mapping from every leaf's name (or Symbol) to a
    number (int, float read as its decimal, ``"-3/4"``, Fraction, sympy Rational)."""
    from .values import evaluate, random_values, values_from_mapping

    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise SpecError(field, f"a random seed must be 0 or more; got {value}")
        return evaluate(model, random_values(model, value))
    if not isinstance(value, Mapping):
        raise SpecError(field, f"must be a mapping of leaf names to numbers or a seed (an int); got {show_value(value)}")
    return evaluate(model, values_from_mapping(model, value, field))


def view_options(model, show: Any = (), templates: Any = (), values: Any = None, dash: str = "") -> dict:
    """``show``, ``templates`` and ``values`` checked, as keyword arguments for
    :func:`symconv.outputs.render_all`; errors name ``dash + option`` (``--show`` for the CLI)."""
    return {
        "show": show_symbols(model, show, f"{dash}show"),
        "templates": template_dirs(templates, f"{dash}templates"),
        "values": numeric_view(model, values, f"{dash}values"),
    }
