"""Chain-rule terms printed at the speed of string formatting: each distinct factor (symbol,
number, partial) is printed by the notation printer once, with its visible width; products,
∂-fractions and rows of a sum are then assembled with plain string formatting. The strings are
exactly those of :func:`~symconv.latex.product_latex` and :func:`~symconv.latex.split_rows` over
:func:`~symconv.latex.visible_len` (widths add up over the parts, which a test checks), so a
``--full`` document of a large network costs microseconds per product term instead of a sympy
printing per term."""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from ..latex import NotationPrinter, elided_rows, split_rows, visible_len


_ONE = sympy.S.One
_MINUS_ONE = sympy.S.NegativeOne


class TermPrinter:
    """Printed factors, products and fractions of one printer (a notation or numeric printer).

    Caches are keyed by object identity and keep the object alive (a network's symbols and its
    partials are shared objects), so equal-looking but distinct objects are simply printed twice.
    """

    def __init__(self, p: NotationPrinter, cost_letter: str):
        self.p = p
        self.sep = getattr(p, "product_sep", " ")
        self.sep_width = visible_len(self.sep)
        self.cost = cost_letter
        self.cost_width = visible_len(cost_letter)
        self._text: dict = {}  # id -> (object, doprint text, its visible width)
        self._factor: dict = {}  # id -> (object, text, width, parenthesised text, its width) or None for 1
        self._grad: dict = {}  # id -> (object, text, width)
        self._ones: list = []

    def text(self, x) -> tuple[str, int]:
        """``x`` printed (``doprint``) and its visible width."""
        got = self._text.get(id(x))
        if got is None:
            t = self._symbol(x) if x.is_Symbol else None
            if t is None:
                t = self.p.doprint(x)
            got = self._text[id(x)] = (x, t, visible_len(t))
        return got[1], got[2]

    def _symbol(self, x) -> str | None:
        """A network symbol's LaTeX straight from the symbol table, when the printer is the plain
        notation printer (its ``_print_Symbol`` returns exactly that); else None."""
        if type(self.p) is NotationPrinter:
            info = self.p.table.info.get(x)
            if info is not None:
                return info.latex
        return None

    def _factor_of(self, x):
        got = self._factor.get(id(x), False)
        if got is False:
            if x is _ONE or (getattr(x, "is_Number", True) and x == 1):
                got = None
                self._ones.append(x)  # kept alive: its id must not be reused by another object
            elif x.is_Symbol:
                t = self._symbol(x)
                if t is None:
                    t = self.p._print(x)
                w = visible_len(t)
                got = (x, t, w, t, w, t, w)
            else:
                f = x if _unit_sum(x) else sympy.factor_terms(x)
                t = self.p._print(f)
                w = visible_len(t)
                paren = isinstance(f, sympy.Add) or (isinstance(f, sympy.Number) and f < 0)
                pt, pw = (rf"\left({t}\right)", w + 2) if paren else (t, w)
                # after the first factor, a leading minus is parenthesised too (a product, not a difference)
                qt, qw = (rf"\left({t}\right)", w + 2) if paren or t.lstrip().startswith("-") else (t, w)
                got = (x, t, w, pt, pw, qt, qw)
            self._factor[id(x)] = got
        return got

    def product2(self, a, b) -> tuple[str, int]:
        """:meth:`product` of two factors (the chain-rule term ``upstream · partial``)."""
        cache = self._factor
        fa = cache.get(id(a), False)
        if fa is False:
            fa = self._factor_of(a)
        fb = cache.get(id(b), False)
        if fb is False:
            fb = self._factor_of(b)
        if fa is None:
            return ("1", 1) if fb is None else (fb[1], fb[2])
        if fb is None:
            return fa[1], fa[2]
        return f"{fa[3]}{self.sep}{fb[5]}", fa[4] + fb[6] + self.sep_width

    def product(self, factors: Sequence) -> tuple[str, int]:
        """:func:`~symconv.latex.product_latex` of ``factors`` and its visible width."""
        cache = self._factor
        fs = []
        for x in factors:
            f = cache.get(id(x), False)
            if f is False:
                f = self._factor_of(x)
            if f is not None:
                fs.append(f)
        if not fs:
            return "1", 1
        if len(fs) == 1:
            return fs[0][1], fs[0][2]
        texts = [fs[0][3]] + [f[5] for f in fs[1:]]
        return self.sep.join(texts), fs[0][4] + sum(f[6] for f in fs[1:]) + self.sep_width * (len(fs) - 1)

    def grad(self, x) -> tuple[str, int]:
        """``∂C/∂x`` as a fraction and its visible width."""
        got = self._grad.get(id(x))
        if got is None:
            t, w = self.text(x)
            got = self._grad[id(x)] = (x, rf"\frac{{\partial {self.cost}}}{{\partial {t}}}", 2 + self.cost_width + w)
        return got[1], got[2]

    def partial(self, num, den) -> tuple[str, int]:
        """``∂num/∂den`` as a fraction and its visible width."""
        nt, nw = self.text(num)
        dt, dw = self.text(den)
        return rf"\frac{{\partial {nt}}}{{\partial {dt}}}", 2 + nw + dw


def _unit_sum(x) -> bool:
    """Whether ``x`` is a sum of symbols with coefficients ±1, at least one +1 (``o - y``):
    ``sympy.factor_terms`` leaves it as it is (and would take milliseconds to say so)."""
    if not isinstance(x, sympy.Add):
        return False
    positive = False
    for a in x.args:
        if a.is_Symbol:
            positive = True
        elif not (a.is_Mul and len(a.args) == 2 and a.args[0] is _MINUS_ONE and a.args[1].is_Symbol):
            return False
    return positive


def sized_rows(items: Sequence, show, written: bool, head: int) -> list[str]:
    """:func:`~symconv.render.rows.listed_rows` with ``show(item) -> (text, width)``: every item
    when ``written`` (or few), else the first ``head``, ``⋯`` and the last with the count."""
    if not items:
        return ["0"]
    if written or len(items) <= head + 2:
        shown = [show(x) for x in items]
        return split_rows([t for t, _ in shown], widths=[w for _, w in shown])
    return elided_rows([show(x)[0] for x in items[:head]], show(items[-1])[0], len(items))
