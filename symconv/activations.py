"""Element-wise activations ``a = f(z)`` and their derivatives, as a table (one rule per name).

The derivative at a kink is a stated convention: ReLU'(0) defaults to 0 (``torch.relu``) and
LeakyReLU'(0) to its ``negative_slope`` (``torch.nn.functional.leaky_relu``); both can be set in
the spec (``derivative_at_zero``) and are printed in the derivation (reference case C11).
``"f"`` is a generic function whose derivative ``f'(z)`` stays symbolic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy

from .spec import Activation

class fprime(sympy.Function):
    """The derivative f' of the generic activation ``f``; stays symbolic (printed ``f'(z)``)."""

    nargs = 1


class f(sympy.Function):
    """A generic activation whose derivative is the symbolic :class:`fprime`."""

    nargs = 1

    def fdiff(self, argindex=1):
        return fprime(self.args[0])


@dataclass(frozen=True)
class ActivationRule:
    """``value(z)`` is f(z), ``derivative(z)`` is f'(z) (with the kink convention applied)."""

    name: str
    value: Callable[[sympy.Expr], sympy.Expr]
    derivative: Callable[[sympy.Expr], sympy.Expr]
    convention: str  # one sentence for the derivation; "" when none is needed


def _sigmoid(z: sympy.Expr) -> sympy.Expr:
    return 1 / (1 + sympy.exp(-z))


def rule_for(activation: Activation) -> ActivationRule:
    """The :class:`ActivationRule` for a spec's activation (its settings applied)."""
    kind = activation.kind
    if kind == "identity":
        return ActivationRule("identity", lambda z: z, lambda z: sympy.Integer(1), "")
    if kind == "relu":
        h = sympy.Rational(activation.derivative_at_zero or 0)
        return ActivationRule(
            "relu",
            lambda z: sympy.Max(0, z),
            lambda z: sympy.Heaviside(z, h),
            f"\\mathrm{{ReLU}}'(0) = {sympy.latex(h)}"
            r",\ \text{so } \mathrm{ReLU}'(z) = H(z) \text{ with } H(z) = 1 \text{ for } z > 0,\ 0 \text{ for } z < 0,\ "
            f"H(0) = {sympy.latex(h)}",
        )
    if kind == "leaky_relu":
        alpha = sympy.Rational(activation.negative_slope)
        h = sympy.Rational(activation.derivative_at_zero) if activation.derivative_at_zero is not None else alpha
        return ActivationRule(
            "leaky_relu",
            lambda z: sympy.Piecewise((z, z > 0), (alpha * z, True)),
            lambda z: sympy.Piecewise((1, z > 0), (alpha, z < 0), (h, True)),
            f"\\mathrm{{LeakyReLU}}'(0) = {sympy.latex(h)}",
        )
    if kind == "sigmoid":
        return ActivationRule("sigmoid", _sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z)), "")
    if kind == "tanh":
        return ActivationRule("tanh", sympy.tanh, lambda z: 1 - sympy.tanh(z) ** 2, "")
    if kind == "f":
        return ActivationRule("f", f, fprime, "")
    raise ValueError(f"unknown activation {kind!r}")
