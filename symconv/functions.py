"""The sympy functions symconv's expressions use beyond sympy's own: the generic activation
``f`` with its derivative ``fprime``, and max pooling's routing factor ``MaxRoute``.

They are the shared vocabulary of every stage that reads or writes expressions (layers, the
printers, the claim reader, the JSON contract), so they live here, below all of them.
"""

from __future__ import annotations

import sympy


class fprime(sympy.Function):
    """The derivative f' of the generic activation ``f``; stays symbolic (printed ``f'(z)``)."""

    nargs = 1


class f(sympy.Function):
    """A generic activation whose derivative is the symbolic :class:`fprime`."""

    nargs = 1

    def fdiff(self, argindex=1):
        return fprime(self.args[0])


TIE_CODES = {"first": 0, "split": 1}
"""Max pooling's tie rules, as the integer ``MaxRoute`` carries: ``first`` (PyTorch: all of δ to
the first maximum in row-major order) and ``split`` (shared equally among the tied maxima)."""

ROUTE_LATEX = {0: r"\mathrm{route}_{\max}", 1: r"\mathrm{route}^{\mathrm{split}}_{\max}"}
"""The printed name of ``MaxRoute`` under each tie code."""


class MaxRoute(sympy.Function):
    """``MaxRoute(j, rule, v_0, …, v_{n−1})`` = ∂ max(v)/∂v_j under a tie rule (0 first, 1 split).

    Evaluates to an exact number when every ``v`` is a number; stays symbolic otherwise.
    ``j`` is 0-based.
    """

    @classmethod
    def eval(cls, j, rule, *values):
        if not values or not all(v.is_number and v.is_extended_real for v in values):
            return None
        if not (j.is_Integer and rule.is_Integer):
            return None
        j = int(j)
        top = max(values)
        winners = [k for k, v in enumerate(values) if sympy.Eq(v, top) is sympy.true]
        if int(rule) == 0:
            return sympy.Integer(1 if winners[0] == j else 0)
        return sympy.Rational(1, len(winners)) if j in winners else sympy.Integer(0)

    def _eval_derivative(self, s):  # piecewise constant
        return sympy.Integer(0)


def route_outputs(definitions) -> dict:
    """``{window: output}`` of every definition whose partials are ``MaxRoute`` factors: the
    window as the tuple of symbols those partials list (row-major), for printing a route by the
    output it feeds (``route(x → o)``)."""
    return {tuple(v for v, _ in d.partials): d.target for d in definitions
            if len(d.partials) > 1 and isinstance(d.partials[0][1], MaxRoute)}
