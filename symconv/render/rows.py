"""Expressions printed as rows: sums split between terms (and wide products between factors)
so that no row runs past ``ROW_WIDTH`` visible characters; long sums elided to their first
:data:`HEAD_TERMS` terms, ``⋯``, the last term and the count; exact values with their decimals."""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from ..latex import (
    ROW_SOURCE,
    ROW_WIDTH,
    NotationPrinter,
    elided_rows,
    expr_terms,
    product_latex,
    split_rows,
    visible_len,
)

HEAD_TERMS = 3  # terms printed before "⋯" in an elided sum
TABLE_ROWS = 8  # rows of a receptive-field table before it is truncated (unless written in full)
VALUE_CHARS = 120  # printed characters above which an irrational exact value is shown as a decimal


def expr_rows(p: NotationPrinter, expr, width: int = ROW_WIDTH, nested: bool = False) -> list[str]:
    """``expr`` printed as rows of at most ``width`` visible characters where possible: a sum
    is split between terms; a wide product between factors (later rows start with ``\\cdot``),
    and a wide sum inside it is split inside ``\\bigl( … \\bigr)`` (``\\Bigl``/``\\Bigr``
    around fractions, see :func:`_brackets`). With ``nested`` the
    breaking recurses: a term of a sum wider than a row is itself broken between its factors,
    and a wide sum inside a product as a sum again (``symconv formula``'s fitted rows)."""
    if isinstance(expr, sympy.Add):
        if nested:
            return _nested_sum_rows(p, expr, width)
        return split_rows(expr_terms(p, expr), width=width)
    text = p.doprint(expr)
    if not isinstance(expr, sympy.Mul) or visible_len(text) <= width:
        return [text]
    rows = [""]

    def put(piece: str) -> None:
        # a lone sign stays with the factor it negates ("- \cdot x" would read as nonsense)
        if rows[-1] and rows[-1] != "-" and visible_len(rows[-1]) + visible_len(piece) > width:
            rows.append(r"\cdot " + piece)
        else:
            rows[-1] = (rows[-1] + " " + piece).strip()

    factors = expr.as_ordered_factors()
    coeff = sympy.Mul(*[f for f in factors if f.is_Number])  # one coefficient: -2, not "-1 2"
    if coeff != 1:
        put("-" if coeff == -1 else p.doprint(coeff))
    for f in factors:
        if f.is_Number:
            continue
        if isinstance(f, sympy.Add):
            inner = rf"\left({p.doprint(f)}\right)"
            if visible_len(inner) <= width:
                put(inner)
                continue
            body = expr_rows(p, f, width, nested) if nested else split_rows(expr_terms(p, f), width=width)
            opening, closing = _brackets(body)
            put(opening + body[0])
            rows.extend(body[1:])
            rows[-1] += closing
        else:
            put(product_latex(p, [f]))
    return rows


def _brackets(body: list[str]) -> tuple[str, str]:
    """The parentheses around a sum broken over rows (``\\left``/``\\right`` cannot span rows):
    ``\\Bigl(``/``\\Bigr)`` when a row holds a fraction (as tall as the brackets must be), else
    ``\\bigl(``/``\\bigr)``."""
    tall = any(r"\frac" in row for row in body)
    return (r"\Bigl(", r"\Bigr)") if tall else (r"\bigl(", r"\bigr)")


def _signed(row: str) -> str:
    """A row continuing a sum: ``+ row``, or ``- rest`` for a row that starts with a minus."""
    return "- " + row[1:].lstrip() if row.startswith("-") else "+ " + row


def _nested_sum_rows(p: NotationPrinter, expr, width: int) -> list[str]:
    """Rows of a sum whose terms may each be wider than a row: runs of narrow terms are packed by
    :func:`~symconv.latex.split_rows`, a wide term is broken by :func:`expr_rows` (nested)."""
    rows: list[str] = []
    run: list[str] = []

    def add(chunk: list[str]) -> None:
        if rows and chunk:
            chunk[0] = _signed(chunk[0])
        rows.extend(chunk)

    for term in expr.args:
        text = p._print(term)
        if visible_len(text) <= width or not isinstance(term, sympy.Mul):
            run.append(text)
            continue
        if run:
            add(split_rows(run, width=width))
            run = []
        add(expr_rows(p, term, width, nested=True))
    if run:
        add(split_rows(run, width=width))
    return rows


def readable_rows(pr, expr) -> list[str] | None:
    """Rows of a substituted form, or None when it is None or a row would be too long to read
    (more than twice ``ROW_SOURCE`` characters or ``ROW_WIDTH`` visible ones: nested fractions of
    exponentials, for instance);
    the document then keeps the sum of products, whose upstream gradients are defined above."""
    if expr is None:
        return None
    rows = pr.rows(expr)
    too_long = any(len(r) > 2 * ROW_SOURCE or visible_len(r) > 2 * ROW_WIDTH for r in rows)
    return None if too_long else rows


def listed_rows(items: Sequence, show, written: bool) -> list[str]:
    """Rows of a sum of ``items`` printed by ``show(item)``: all of them when ``written``, else
    the first :data:`HEAD_TERMS`, ``⋯`` and the last with the count (only those are printed)."""
    if not items:
        return ["0"]
    if written or len(items) <= HEAD_TERMS + 2:
        return split_rows([show(x) for x in items])
    return elided_rows([show(x) for x in items[:HEAD_TERMS]], show(items[-1]), len(items))



def value_equation(value) -> dict:
    """The last row of a numeric view: ``= value`` exactly (a Rational, or a short exact expression
    followed by its 12-digit decimal), or ``≈ decimal`` for a long irrational expression."""
    exact = sympy.latex(value)
    if value.is_Rational:
        return {"lhs": "", "rows": [exact]}
    decimal = sympy.latex(sympy.N(value, 12))
    if len(exact) <= VALUE_CHARS:
        return {"lhs": "", "rows": [exact, rf"\approx {decimal}"]}
    return {"lhs": "", "rel": r"\approx", "rows": [decimal]}
