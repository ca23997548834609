"""A template that fails, as a one-line :class:`~symconv.errors.SpecError` (file and line)."""

from __future__ import annotations

import jinja2

from ..errors import SpecError


def template_failure(exc: jinja2.TemplateError) -> SpecError:
    """A one-line :class:`SpecError` for a template that does not compile or render, naming the
    template file and line (for errors raised while rendering, the innermost template frame)."""
    name = getattr(exc, "filename", None) or getattr(exc, "name", None)
    line = getattr(exc, "lineno", None)
    if name is None:
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename.endswith(".j2"):
                name, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
            tb = tb.tb_next
    field = f"{name}:{line}" if name and line else str(name or "templates")
    return SpecError(field, f"template error: {exc.message}; fix the template")
