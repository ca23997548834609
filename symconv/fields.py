"""Validation of the user's spec values, field by field: one-line errors that name the key.

Every reader of a spec table (the top level in :mod:`symconv.spec`, each layer kind in
:mod:`symconv.layers`, activations in :mod:`symconv.activations`) uses these helpers, so a bad
value always gets the same kind of message: the key as the user wrote it
(``layers[2].stride``), the rule it breaks, and what to give instead. Nothing here knows sympy.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from fractions import Fraction
from typing import Any, Mapping

from .errors import SpecError

MAX_INT = 100_000  # largest integer a size field takes (channels, kernel, stride, …)


MAX_NUMBER_DIGITS = 100
"""Most digits above or below the fraction bar of an exact number in a spec or a value file
(1e308 written out is 309 digits: use a fraction or a smaller exponent)."""

_DECIMAL = re.compile(r"\s*[+-]?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*")
_FRACTION = re.compile(r"\s*[+-]?(\d+)\s*/\s*[+-]?(\d+)\s*")


def digits(n: int) -> int:
    """The number of decimal digits of an integer, without converting it to text (Python refuses
    to print integers of more than 4300 digits)."""
    return max(1, int(abs(n).bit_length() * 0.30103) + 1)


def parse_toml(text: str, where: str) -> dict:
    """``tomllib.loads`` with its failures as one-line :class:`SpecError` naming ``where`` (the
    file): bad TOML, arrays or tables nested too deeply, integers too long for Python."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(where, f"is not valid TOML: {exc}".replace("\n", " ")) from None
    except RecursionError:
        raise SpecError(where, "nests arrays or tables too deeply; write it flatter") from None
    except ValueError:  # Python's limit on integer digits (4300)
        run = re.search(r"\d{4301,}", text)
        line = text.count("\n", 0, run.start()) + 1 if run else "?"
        raise SpecError(where, f"line {line} holds an integer of more than 4300 digits; give a smaller "
                               "number") from None


def show_value(value: Any) -> str:
    """A user's value in an error message: its repr, shortened to one readable line."""
    if isinstance(value, int) and not isinstance(value, bool) and digits(value) > 60:
        return f"an integer of about {digits(value):,} digits"
    if isinstance(value, str) and len(value) > 60:
        value = value[:60]
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # a container holding an integer too long to print
        return f"a {type(value).__name__} holding a number too long to print"
    return text if len(text) <= 60 else text[:57] + "..."


def exact_fraction(value: Any, where: str, max_digits: int = MAX_NUMBER_DIGITS) -> Fraction | None:
    """An exact :class:`~fractions.Fraction` from an int, a float (the decimal it prints as) or a
    string (``"-3/4"``, ``"0.25"``, ``"1e-3"``), or None when ``value`` is none of these. The size
    is checked before any arithmetic (``"1e999999999"`` is refused, not computed): raises
    :class:`SpecError` naming ``where`` above ``max_digits`` digits."""
    too_big = SpecError(where, f"has more than {max_digits} digits; give a smaller number or a fraction")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if digits(value) > max_digits:
            raise too_big
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(str(value)) if math.isfinite(value) else None
    if not isinstance(value, str) or len(value) > 4 * max_digits:
        if isinstance(value, str):
            raise too_big
        return None
    m = _FRACTION.fullmatch(value)
    if m:
        if max(len(m.group(1)), len(m.group(2))) > max_digits:
            raise too_big
    else:
        m = _DECIMAL.fullmatch(value)
        if not m or not (m.group(1) or m.group(2)):
            return None
        exponent = int(m.group(3) or 0) if len(m.group(3) or "") <= 12 else 10**12
        if len(m.group(1) or "") + len(m.group(2) or "") + abs(exponent) > max_digits:
            raise too_big
    try:
        return Fraction(value.strip())
    except (ValueError, ZeroDivisionError):
        return None


def key_text(key: Any) -> str:
    """A key as shown in an error: as is when a plain name, else its (shortened) repr.

    Keeps every message on one line whatever the user typed (a key may hold a newline).
    """
    if isinstance(key, str) and key.replace("-", "_").isidentifier() and len(key) <= 60:
        return key
    return show_value(key)


def check_keys(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    """Raise :class:`SpecError` unless ``table`` is a mapping whose keys are all ``allowed``."""
    if not isinstance(table, Mapping):
        raise SpecError(where or "spec", f"must be a table, got {type(table).__name__}")
    for key in table:
        if key not in allowed:
            name = key_text(key)
            raise SpecError(
                f"{where}.{name}" if where else name,
                f"unknown key; allowed keys are {', '.join(allowed)}",
            )


def whole(value: Any, where: str, minimum: int = 1) -> int:
    """An integer in ``minimum … MAX_INT`` (booleans refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(where, f"must be an integer >= {minimum}, got {show_value(value)}")
    if value < minimum:
        raise SpecError(where, f"must be an integer >= {minimum}, got {value}")
    if value > MAX_INT:
        raise SpecError(where, f"must be at most {MAX_INT}, got {show_value(value)}")
    return value


def pair(value: Any, where: str, minimum: int = 1) -> tuple[int, int]:
    """An int (used for both axes) or a list of two ints: ``(height, width)``."""
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise SpecError(where, f"must be an integer or a list of 2 integers, got {show_value(value)}")
        return (whole(value[0], f"{where}[0]", minimum), whole(value[1], f"{where}[1]", minimum))
    return (whole(value, where, minimum),) * 2


def flag(value: Any, where: str) -> bool:
    """``true`` or ``false`` only."""
    if not isinstance(value, bool):
        raise SpecError(where, f"must be true or false, got {show_value(value)}")
    return value


def choice(value: Any, choices: tuple[str, ...], where: str) -> str:
    """One of ``choices`` (strings)."""
    if not isinstance(value, str) or value not in choices:
        raise SpecError(where, f"must be one of {', '.join(choices)}; got {show_value(value)}")
    return value


def number_text(value: Any, where: str) -> str:
    """An exact number given as int, float or a fraction string like ``"1/100"``; kept as the
    text of the exact fraction (a float is read as the decimal it prints as)."""
    if isinstance(value, bool):
        raise SpecError(where, f"must be a number, got {show_value(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise SpecError(where, f"must be a finite number, got {show_value(value)}")
    exact = exact_fraction(value, where)
    if exact is not None:
        return str(exact)
    raise SpecError(where, f"must be a number such as 0.01 or \"1/100\", got {show_value(value)}")


_NOT_IN_OT1 = frozenset("«»ÐÞðþ")  # Latin-1 letters pdflatex's default OT1 fonts cannot set (\\TH, ...)


def typesettable(text: str, where: str, latin1: bool) -> None:
    """Refuse characters pdflatex cannot typeset from user text (and invisible format/bidi
    controls): titles may use Latin-1 letters (é), symbol letters ASCII only (they are set in
    math mode). Greek letters are written by name (``delta``)."""
    limit = 0xFF if latin1 else 0x7E
    for ch in text:
        if ch in _NOT_IN_OT1:
            raise SpecError(where, f"character {ch!r} (U+{ord(ch):04X}) has no glyph in the PDF's font encoding "
                                   "(OT1); write it differently (e.g. Th for Þ, quotes for «»)")
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") or ord(ch) > limit:
            what = "Latin-1" if latin1 else "ASCII"
            raise SpecError(
                where,
                f"character {ch!r} (U+{ord(ch):04X}) cannot be typeset in the PDF; use {what} text"
                + ("" if latin1 else " (Greek letters by name, e.g. \"delta\")"),
            )
