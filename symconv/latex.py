"""LaTeX printing from symbol metadata: a sympy ``LatexPrinter`` subclass and sum splitting.

Symbols print from their :class:`~symconv.notation.SymbolInfo` (never from a parsed name, so
``i_1^1`` is never split by sympy; reference cases C07, C08). Terms keep the written order
(``order="none"``). Long sums are split into rows of at most ``per_row`` terms, for ``align*``
(LaTeX) and ``aligned`` (Markdown/MathJax) (reference case C13). Printed LaTeX is never patched
with string replacement.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Sequence

import sympy
from sympy.printing.latex import LatexPrinter

from .functions import ROUTE_LATEX
from .tensors import SymbolTable


class NotationPrinter(LatexPrinter):
    """sympy's LatexPrinter with symbol names from a :class:`SymbolTable` and symconv functions."""

    MEMO_LIMIT = 100_000
    """Most printed subexpressions a memoising printer keeps (it starts afresh above)."""

    def __init__(self, table: SymbolTable, settings: dict | None = None, pooled: dict | None = None,
                 memo: bool = False):
        base = {"order": "none", "mul_symbol": None}
        base.update(settings or {})
        super().__init__(base)
        self.table = table
        # {max-pooling window (tuple of symbols): the output that pools it}, to name a window
        # by its output (see _print_MaxRoute); without it every window is listed in full
        self.pooled = pooled or {}
        self.standing: dict = {}  # {placeholder symbol: what it stands for}, see instance()
        # {compound subexpression: its LaTeX}, kept across calls when ``memo``: the gradients of
        # one network share most of their subexpressions (a softmax denominator, a hidden
        # unit's pre-activation), which sympy would print again for every one of them
        self._memo: dict | None = {} if memo else None

    def _print(self, expr, **kwargs) -> str:
        memo = self._memo
        if memo is None or kwargs or self.standing or not isinstance(expr, sympy.Basic) or not expr.args:
            return super()._print(expr, **kwargs)
        text = memo.get(expr)
        if text is None:
            text = super()._print(expr)
            if len(memo) >= self.MEMO_LIMIT:
                memo.clear()
            memo[expr] = text
        return text

    def factor_terms(self, expr: sympy.Expr) -> sympy.Expr:
        """``sympy.factor_terms(expr)``, memoised with the printed text when ``memo``."""
        memo = self._memo
        if memo is None or not expr.args:
            return sympy.factor_terms(expr)
        key = ("factor_terms", expr)
        got = memo.get(key)
        if got is None:
            got = memo[key] = sympy.factor_terms(expr)
        return got

    def instance(self, template, standing: dict) -> str:
        """``template`` printed with each placeholder symbol of ``standing`` (``{placeholder:
        expression}``) printed as the expression it stands for: the printing of the substituted
        expression when substituting keeps the template's structure (the caller makes sure)."""
        self.standing = standing
        try:
            return self.doprint(template)
        finally:
            self.standing = {}

    def _print_Symbol(self, expr, style="plain"):
        if self.standing:
            stand = self.standing.get(expr)
            if stand is not None:
                return self._print(stand)
        info = self.table.info.get(expr)
        if info is not None:
            return info.latex
        return super()._print_Symbol(expr, style)

    def _print_MaxRoute(self, expr, exp=None):
        """``route(x -> o)``: the share of ∂C/∂o that max pooling routes to ``x``, named by the
        output ``o`` whose window it is; ``route(x; v_1, ..., v_n)`` with the whole window when
        the output is not known to this printer."""
        j = int(expr.args[0])
        values = expr.args[2:]
        name = ROUTE_LATEX[int(expr.args[1])]
        out = self.pooled.get(tuple(values))
        if out is not None:
            return rf"{name}\left({self._print(values[j])} \to {self._print(out)}\right)"
        window = ", ".join(self._print(v) for v in values)
        return rf"{name}\left({self._print(values[j])};\ {window}\right)"

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
    factors = [printer.factor_terms(f) for f in factors if f != 1]
    parts = []
    for k, f in enumerate(factors):
        text = printer._print(f)
        negative = (isinstance(f, sympy.Number) and f < 0) or (k > 0 and text.lstrip().startswith("-"))
        if len(factors) > 1 and (isinstance(f, sympy.Add) or negative):
            text = rf"\left({text}\right)"
        parts.append(text)
    return getattr(printer, "product_sep", " ").join(parts) if parts else "1"


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


_COMMAND = re.compile(r"\\(left|right|bigl|bigr|mathrm|operatorname|frac|quad|qquad|text|mathbin)\b|\\[,;:! ]")
_GLYPH = re.compile(r"\\[A-Za-z]+")


def visible_len(latex: str) -> int:
    """A rough width of printed LaTeX in characters: commands that draw nothing are dropped, a
    glyph command (``\\partial``, ``\\delta``) counts 1, braces, ``^``, ``_`` and spaces count 0;
    numerators and denominators both count (an overestimate, so rows err on the narrow side)."""
    text = _COMMAND.sub("", latex)
    text = _GLYPH.sub("x", text)
    return sum(1 for ch in text if ch not in "{}^_ ")


ROW_WIDTH = 56  # visible characters per displayed row (fits 17 cm at 11 pt; no overfull boxes)
ROW_SOURCE = 420  # LaTeX source characters per row (keeps Markdown $$ blocks short)


def split_rows(terms: Sequence[str], per_row: int | None = None, width: int = ROW_WIDTH,
               widths: Sequence[int] | None = None) -> list[str]:
    """Printed terms joined into rows of at most ``width`` visible characters (at least one term
    a row; ``per_row`` also caps the terms per row), balanced: as few rows as the greedy packing
    needs, each as narrow as that count allows, so no last row holds a stranded term. Rows after
    the first start with their operator (``+ a`` or ``- a``). ``widths``: the terms' :func:`visible_len`, when the caller
    knows them (computed from cached parts, see :mod:`symconv.render.terms`)."""
    if not terms:
        return ["0"]
    if widths is None:
        widths = [visible_len(t) for t in terms]
    balanced = _balanced_starts if len(terms) <= _CACHED_TERMS else _balanced_starts.__wrapped__
    starts = balanced(tuple(widths), tuple(map(len, terms)), per_row, width)
    out = []
    for k, a in enumerate(starts):
        b = starts[k + 1] if k + 1 < len(starts) else len(terms)
        text = join_terms(terms[a:b])
        if k:
            text = "- " + text[1:].lstrip() if text.startswith("-") else "+ " + text
        out.append(text)
    return out


_CACHED_TERMS = 64  # sums of at most this many terms have their rows cached (a few MB at most)


@lru_cache(maxsize=4096)
def _balanced_starts(widths: tuple[int, ...], lengths: tuple[int, ...], per_row: int | None,
                     width: int) -> tuple[int, ...]:
    """Where each row of :func:`split_rows` starts, from the terms' visible widths and source
    lengths (a document's sums repeat few shapes: a ``--full`` 64x64 document splits 46,717 sums
    of 157 shapes, hence the cache for short sums)."""
    sizes = [w + 2 for w in widths]  # a term's share of a row: its width and its operator
    sources = [n + 3 for n in lengths]
    cap = len(widths) if per_row is None else per_row
    starts = _greedy_starts(sizes, sources, cap, width)
    if len(starts) > 1:  # balanced: the narrowest width that still needs no more rows (no stranded last term)
        low, high = max(widths) + 2, width
        if low < high:  # and no narrower than the terms spread evenly over the rows (fewer rows cannot hold them)
            low = min(high, max(low, -(-sum(sizes) // len(starts))))
        while low < high:
            mid = (low + high) // 2
            if _greedy_starts(sizes, sources, cap, mid, len(starts)) is None:
                low = mid + 1
            else:
                high = mid
        starts = _greedy_starts(sizes, sources, cap, low)
    return tuple(starts)


def _greedy_starts(sizes: Sequence[int], sources: Sequence[int], cap: int, width: int,
                   most: int | None = None) -> list[int] | None:
    """Where each row starts when terms are packed left to right into rows of at most ``width``
    visible characters (``sizes``: each term's width and operator), ``ROW_SOURCE`` source
    characters (``sources``) and ``cap`` terms; a term wider than a row gets its own. None as
    soon as more than ``most`` rows are needed."""
    starts = [0]
    size = source = count = 0
    for k, (w, n) in enumerate(zip(sizes, sources)):
        if count and (size + w > width or source + n > ROW_SOURCE or count >= cap):
            if most is not None and len(starts) >= most:
                return None
            starts.append(k)
            size = source = count = 0
        size += w
        source += n
        count += 1
    return starts


def elided_rows(head: Sequence[str], tail: str | None, count: int, width: int = ROW_WIDTH) -> list[str]:
    """A long sum shown by its first terms, ``\\cdots`` and its last term, with its term count:
    ``a + b + \\cdots + z \\quad (\\text{900 terms})``."""
    terms = list(head) + [r"\cdots"] + ([tail] if tail is not None else [])
    rows = split_rows(terms, width=width)
    rows[-1] += rf" \quad (\text{{{count} terms}})"
    return rows


class NumericPrinter(NotationPrinter):
    """Prints an expression with every symbol replaced by its value (the numeric view): exact
    rationals (irrational values as 12-digit decimals), negative numbers and fractions in
    parentheses, products with ``\\cdot``."""

    product_sep = r" \cdot "

    def __init__(self, table: SymbolTable, values: dict):
        super().__init__(table, {"mul_symbol": "dot"})
        self.values = values

    def _print_Symbol(self, expr, style="plain"):
        if expr in self.values:
            v = self.values[expr]
            if not v.is_Rational:
                v = sympy.N(v, 12)  # an irrational value prints as a 12-digit decimal
            text = NotationPrinter(self.table)._print(v)
            if not (v.is_Integer and v >= 0):
                text = rf"\left({text}\right)"
            return text
        return super()._print_Symbol(expr, style)


def expr_terms(printer: NotationPrinter, expr: sympy.Expr) -> list[str]:
    """The printed top-level terms of an expression (one term when it is not a sum)."""
    if isinstance(expr, sympy.Add):
        return [printer._print(t) for t in expr.args]
    return [printer._print(expr)]
