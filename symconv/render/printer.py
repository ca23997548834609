"""The printers of one derivation's document: its notation (:class:`~symconv.latex.NotationPrinter`),
its numbers (numeric view), partial-derivative fractions, and its general statements
(:class:`~symconv.statements.Statements`)."""

from __future__ import annotations

from ..derivation import FULL_COST_CERTIFY_LIMIT, Derivation
from ..latex import NotationPrinter, NumericPrinter, split_rows
from ..statements import Statements
from .rows import expr_rows
from .terms import TermPrinter


class Printer:
    """Prints a derivation's expressions in its notation and splits long sums into rows.

    ``numeric``: a :class:`~symconv.values.NumericView` or None; with one, ``np`` prints the
    numbers substituted."""

    def __init__(self, derivation: Derivation, numeric=None):
        self.d = derivation
        self.table = derivation.network.table
        self.namer = self.table.namer
        self.st = Statements(derivation.network)
        self.pc = self.st.pc
        self.p = NotationPrinter(self.table, pooled=derivation.forward.route_outputs)
        self.numeric = numeric
        self.worked: set = set()  # symbols whose elements are worked in full (set by build_context)
        self.figures: dict = {}  # worked symbol -> Figure, Skipped or None (set by build_context)
        self.full_cost_limit = FULL_COST_CERTIFY_LIMIT
        self.np = NumericPrinter(self.table, numeric.value) if numeric is not None else None
        cost = self.namer.latex_letter("cost")
        self.terms = TermPrinter(self.p, cost)  # chain-rule terms by string formatting
        self.nterms = TermPrinter(self.np, cost) if self.np is not None else None

    def __call__(self, expr) -> str:
        return self.p.doprint(expr)

    def rows(self, expr, printer=None) -> list[str]:
        """``expr`` printed as rows (see :func:`~symconv.render.rows.expr_rows`)."""
        return expr_rows(printer or self.p, expr)

    def sum_rows(self, printed_terms: list[str]) -> list[str]:
        return split_rows(printed_terms)

    def grad(self, s) -> str:
        cost = self.namer.latex_letter("cost")
        return rf"\frac{{\partial {cost}}}{{\partial {self(s)}}}"

    def partial(self, num, den) -> str:
        return rf"\frac{{\partial {self(num)}}}{{\partial {self(den)}}}"
