"""Max and average pooling: definitions and the routing of δ.

Average pooling is linear: ``o = (1/(kh·kw)) Σ window`` (padded zeros count, as PyTorch's
``count_include_pad=True``), so each read element's partial is ``1/(kh·kw)``.

Max pooling ``o = max(window)`` (padding never wins, as PyTorch pads with −∞) routes δ to the
maximum: ``∂o/∂v_j = MaxRoute(j, rule, v_1, …, v_n)``, an exact 0/1 (or 1/t) indicator. Ties
follow a stated rule whose weights sum to 1: ``first`` (default, PyTorch) gives all of δ to the
first maximum in row-major order; ``split`` shares it equally among the t tied maxima.
"""

from __future__ import annotations

import sympy

from .network import LayerNet
from .ops import Definition, Term, multilinear

TIE_CODES = {"first": 0, "split": 1}


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


def windows(layer: LayerNet) -> list[list[sympy.Symbol]]:
    """For each output in row-major ``(c, i, j)`` order, the input symbols its window reads."""
    spec = layer.spec
    c_in, h, w = layer.inputs.shape
    (top, _), (left, _) = layer.pad
    _, oh, ow = layer.out.shape
    result = []
    for c in range(c_in):
        for i in range(oh):
            for j in range(ow):
                window = []
                for m in range(spec.kernel_size[0]):
                    u = spec.stride[0] * i + m - top
                    for n in range(spec.kernel_size[1]):
                        v = spec.stride[1] * j + n - left
                        if 0 <= u < h and 0 <= v < w:
                            window.append(layer.inputs.at(c, u, v))
                result.append(window)
    return result


def pool_definitions(layer: LayerNet) -> list[Definition]:
    """Definitions of a pooling layer's outputs (see the module docstring for the rules)."""
    spec = layer.spec
    defs = []
    if spec.type == "avg_pool2d":
        coeff = sympy.Rational(1, spec.kernel_size[0] * spec.kernel_size[1])
        for o, window in zip(layer.out.symbols, windows(layer)):
            defs.append(multilinear(o, [Term(coeff, None, v) for v in window], None, "avg_pool2d"))
        return defs
    rule = sympy.Integer(TIE_CODES[spec.ties])
    for o, window in zip(layer.out.symbols, windows(layer)):
        if len(window) == 1:
            defs.append(Definition(o, window[0], ((window[0], sympy.Integer(1)),), "max_pool2d"))
            continue
        partials = tuple(
            (v, MaxRoute(sympy.Integer(k), rule, *window)) for k, v in enumerate(window)
        )
        defs.append(Definition(o, sympy.Max(*window), partials, "max_pool2d"))
    return defs


def pooled_outputs(definitions) -> dict:
    """``{window: output}`` of every max-pooling definition among ``definitions``: the window as
    the tuple of symbols its ``MaxRoute`` partials list (row-major), for printing a route by the
    output it feeds."""
    return {tuple(v for v, _ in d.partials): d.target for d in definitions
            if d.rule == "max_pool2d" and len(d.partials) > 1}
