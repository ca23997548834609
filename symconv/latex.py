"""LaTeX printing from symbol metadata: a sympy ``LatexPrinter`` subclass and sum splitting.

Symbols print from their :class:`~symconv.notation.SymbolInfo` (never from a parsed name, so
``i_1^1`` is never split by sympy; reference cases C07, C08). Terms keep the written order
(``order="none"``). Long sums are split into rows of at most ``per_row`` terms, for ``align*``
(LaTeX) and ``aligned`` (Markdown/MathJax) (reference case C13). Printed LaTeX is never patched
with string replacement.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import sympy
from sympy.printing.latex import LatexPrinter

from .tensors import SymbolTable


class NotationPrinter(LatexPrinter):
    """sympy's LatexPrinter with symbol names from a :class:`SymbolTable` and symconv functions."""

    def __init__(self, table: SymbolTable, settings: dict | None = None):
        base = {"order": "none", "mul_symbol": None}
        base.update(settings or {})
        super().__init__(base)
        self.table = table

    def _print_Symbol(self, expr, style="plain"):
        info = self.table.info.get(expr)
        if info is not None:
            return info.latex
        return super()._print_Symbol(expr, style)

    def _print_MaxRoute(self, expr, exp=None):
        j = int(expr.args[0])
        values = expr.args[2:]
        name = r"\mathrm{route}_{\max}" if int(expr.args[1]) == 0 else r"\mathrm{route}^{\mathrm{split}}_{\max}"
        inner = ", ".join(self._print(v) for v in values)
        return rf"{name}\left({self._print(values[j])};\ {inner}\right)"

    def _print_fprime(self, expr, exp=None):
        return rf"f'\left({self._print(expr.args[0])}\right)"

    def _print_Heaviside(self, expr, exp=None):
        inner = rf"H\left({self._print(expr.args[0])}\right)"
        return inner if exp is None else rf"{inner}^{{{exp}}}"


def printer_for(table: SymbolTable) -> NotationPrinter:
    return NotationPrinter(table)


def latex_of(table: SymbolTable, expr) -> str:
    """LaTeX of one expression in the table's notation."""
    return NotationPrinter(table).doprint(expr)


def product_latex(printer: NotationPrinter, factors: Sequence) -> str:
    """Factors printed side by side in the given order, parenthesised where a sum needs it."""
    factors = [sympy.factor_terms(f) for f in factors if f != 1]
    parts = []
    for f in factors:
        text = printer._print(f)
        if len(factors) > 1 and (isinstance(f, sympy.Add) or (isinstance(f, sympy.Number) and f < 0)):
            text = rf"\left({text}\right)"
        parts.append(text)
    return " ".join(parts) if parts else "1"


def join_terms(terms: Iterable[str]) -> str:
    """``a + b - c`` from printed terms, folding a leading minus into the operator."""
    out = ""
    for t in terms:
        if not out:
            out = t
        elif t.startswith("-"):
            out += " - " + t[1:].lstrip()
        else:
            out += " + " + t
    return out or "0"


def split_rows(terms: Sequence[str], per_row: int) -> list[str]:
    """Terms grouped ``per_row`` at a time; rows after the first start with their operator."""
    if not terms:
        return ["0"]
    rows = []
    for start in range(0, len(terms), per_row):
        chunk = join_terms(terms[start:start + per_row])
        if start:
            chunk = chunk if chunk.startswith("-") else "+ " + chunk
            if chunk.startswith("-"):
                chunk = "- " + chunk[1:].lstrip()
        rows.append(chunk)
    return rows


def expr_terms(printer: NotationPrinter, expr: sympy.Expr) -> list[str]:
    """The printed top-level terms of an expression (one term when it is not a sum)."""
    if isinstance(expr, sympy.Add):
        return [printer._print(t) for t in expr.args]
    return [printer._print(expr)]
