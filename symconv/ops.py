"""Forward semantics, exact: each op defines its outputs from its inputs and says what each reads.

Every output element gets a :class:`Definition`: a target symbol, its defining sympy expression,
and the local partial derivative of that expression with respect to every symbol it reads
(in the order a person would write them). Convolutions, dense layers and average pooling are
multilinear (each read symbol appears once, to the first power), so their partials are the
cofactors, read off the structure; the test suite proves them equal to ``sympy.diff``. Nonlinear
maps (activations, max pooling, costs) take their partials from ``sympy.diff`` or a stated rule.

Each layer kind (:mod:`symconv.layers`) builds its definitions from these pieces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import Callable, NamedTuple, Sequence

import sympy


_first = itemgetter(0)


class Term(NamedTuple):
    """One product ``coeff · weight · value`` of a multilinear definition (weight may be None)."""

    coeff: sympy.Expr
    weight: sympy.Symbol | None
    value: sympy.Symbol


@dataclass(frozen=True)
class Definition:
    """``target = expr``; ``partials`` pairs each symbol read with ``∂expr/∂symbol``.

    ``terms`` and ``bias`` are set for multilinear definitions (conv, dense, average pooling)
    and give the written order of the sum; ``rule`` names the op (``"conv2d"``, ``"relu"``, ...).
    ``given_expr`` may be None when ``build`` (or ``terms``) defines the expression: sympy
    objects are then only constructed when ``expr`` is first read (large networks never need
    most of them). ``summand``, when set, is ``(template, placeholders, rows)``: the expression
    is the sum over ``rows`` of ``template`` with ``placeholders`` replaced by the row's symbols
    (a cost written once per output, readable without building a sympy object per output).
    """

    target: sympy.Symbol
    given_expr: sympy.Expr | None
    partials: tuple[tuple[sympy.Symbol, sympy.Expr], ...]
    rule: str
    terms: tuple[Term, ...] = ()
    bias: sympy.Symbol | None = None
    build: Callable[[], sympy.Expr] | None = field(default=None, compare=False, repr=False)
    summand: tuple | None = field(default=None, compare=False, repr=False)

    @cached_property
    def expr(self) -> sympy.Expr:
        """The defining sympy expression (built on first use)."""
        if self.given_expr is not None:
            return self.given_expr
        if self.build is not None:
            return self.build()
        pieces = [t.coeff * t.weight * t.value if t.weight is not None else t.coeff * t.value for t in self.terms]
        if self.bias is not None:
            pieces.append(self.bias)
        return sympy.Add(*pieces)


def multilinear(target: sympy.Symbol, terms: Sequence[Term], bias: sympy.Symbol | None, rule: str) -> Definition:
    """Build ``target = bias + Σ coeff·weight·value`` with its cofactor partials.

    Raises ``ValueError`` if a symbol would appear twice (the cofactor rule would then be wrong).
    Partials with coefficient 1 are the paired symbols themselves (no sympy arithmetic).
    """
    one = sympy.S.One
    partials: list[tuple[sympy.Symbol, sympy.Expr]] = []
    append = partials.append
    for coeff, weight, value in terms:
        if weight is not None:
            if coeff is one:
                append((weight, value))
                append((value, weight))
            else:
                append((weight, coeff * value))
                append((value, coeff * weight))
        else:
            append((value, coeff))
    if bias is not None:
        append((bias, one))
    # Compared by identity: a network's symbols are unique objects, one per name (SymbolTable),
    # so identity is equality here, and ``id`` avoids sympy's Python-level hash in this hot loop.
    if len(set(map(id, map(_first, partials)))) != len(partials):
        raise ValueError(f"a symbol appears twice in the definition of {target}")
    return Definition(target, None, tuple(partials), rule, tuple(terms), bias)
