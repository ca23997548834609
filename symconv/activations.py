"""Element-wise activations ``a = f(z)`` and their derivatives, as a table (one rule per name).

The derivative at a kink is a stated convention: ReLU'(0) defaults to 0 (``torch.relu``) and
LeakyReLU'(0) to its ``negative_slope`` (``torch.nn.functional.leaky_relu``); both can be set in
the spec (``derivative_at_zero``) and are printed in the derivation (reference case C11).
``"f"`` is a generic function whose derivative ``f'(z)`` stays symbolic.

A layer that ends in an activation (conv, dense) reads its activation keys with
:func:`parse_activation` and defines ``a = f(z)`` with :func:`rule_for`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import sympy

from .errors import SpecError
from .fields import choice, number_text
from .functions import f, fprime

ACTIVATIONS = ("identity", "relu", "leaky_relu", "sigmoid", "tanh", "f")
ACTIVATION_KEYS = ("activation", "negative_slope", "derivative_at_zero")
"""The spec keys of a layer's activation."""


@dataclass(frozen=True)
class Activation:
    """An element-wise activation ``a = f(z)``.

    ``derivative_at_zero`` is the value used for ReLU'(0) / LeakyReLU'(0) (PyTorch: 0 for relu,
    ``negative_slope`` for leaky_relu); ignored by the smooth activations.
    """

    kind: str = "identity"
    negative_slope: str = "1/100"
    derivative_at_zero: str | None = None


def parse_activation(table: Mapping[str, Any], where: str) -> Activation:
    """The activation keys of a layer table (:data:`ACTIVATION_KEYS`); :class:`SpecError` names
    the key (``layers[1].negative_slope``) on a bad value or a key that does not apply."""
    kind = choice(table.get("activation", "identity"), ACTIVATIONS, f"{where}.activation")
    slope = number_text(table.get("negative_slope", "1/100"), f"{where}.negative_slope")
    if "negative_slope" in table and kind != "leaky_relu":
        raise SpecError(f"{where}.negative_slope", "only applies to activation = \"leaky_relu\"")
    at_zero = table.get("derivative_at_zero")
    if at_zero is not None:
        if kind not in ("relu", "leaky_relu"):
            raise SpecError(
                f"{where}.derivative_at_zero", "only applies to relu and leaky_relu activations"
            )
        at_zero = number_text(at_zero, f"{where}.derivative_at_zero")
    return Activation(kind=kind, negative_slope=slope, derivative_at_zero=at_zero)


@dataclass(frozen=True)
class ActivationRule:
    """``value(z)`` is f(z), ``derivative(z)`` is f'(z) (with the kink convention applied);
    ``at_kink`` is f'(0), the convention at the kink z = 0 (None for a smooth activation)."""

    name: str
    value: Callable[[sympy.Expr], sympy.Expr]
    derivative: Callable[[sympy.Expr], sympy.Expr]
    convention: str  # one sentence for the derivation; "" when none is needed
    at_kink: sympy.Rational | None = None


def _sigmoid(z: sympy.Expr) -> sympy.Expr:
    return 1 / (1 + sympy.exp(-z))


def _tanh(z: sympy.Expr) -> sympy.Expr:
    """tanh(z). Of a symbol (every element of a layer), built without sympy's evaluation pass,
    which has nothing to simplify there and costs tens of µs per element: the same object."""
    return sympy.tanh(z, evaluate=False) if z.is_Symbol else sympy.tanh(z)


def _tanh_prime(z: sympy.Expr) -> sympy.Expr:
    """tanh'(z) = 1 − tanh(z)²; of a symbol built as sympy's canonical form ``Add(1, Mul(−1,
    Pow(tanh(z), 2)))`` directly (equal to ``1 - tanh(z)**2``, args in the same order)."""
    if not z.is_Symbol:
        return 1 - sympy.tanh(z) ** 2
    square = sympy.Pow(_tanh(z), 2, evaluate=False)
    return sympy.Add(sympy.S.One, sympy.Mul(sympy.S.NegativeOne, square, evaluate=False), evaluate=False)


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
            h,
        )
    if kind == "leaky_relu":
        alpha = sympy.Rational(activation.negative_slope)
        h = sympy.Rational(activation.derivative_at_zero) if activation.derivative_at_zero is not None else alpha
        return ActivationRule(
            "leaky_relu",
            lambda z: sympy.Piecewise((z, z > 0), (alpha * z, True)),
            lambda z: sympy.Piecewise((1, z > 0), (alpha, z < 0), (h, True)),
            f"\\mathrm{{LeakyReLU}}'(0) = {sympy.latex(h)}",
            h,
        )
    if kind == "sigmoid":
        return ActivationRule("sigmoid", _sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z)), "")
    if kind == "tanh":
        return ActivationRule("tanh", _tanh, _tanh_prime, "")
    if kind == "f":
        return ActivationRule("f", f, fprime, "")
    raise ValueError(f"unknown activation {kind!r}")


_NOTATION = {
    "relu": [(r"\mathrm{ReLU}(z)", "rectified linear unit", r"\max(0, z)"),
             (r"H(z)", "the step function ReLU' prints as: 1 above 0, 0 below, its value at 0 as stated",
              r"H(z) = [z > 0]")],
    "leaky_relu": [(r"\mathrm{LeakyReLU}(z)", "leaky rectified linear unit (slope alpha below 0)",
                    r"\max(0, z) + \alpha \min(0, z)")],
    "sigmoid": [(r"\sigma(z)", "logistic sigmoid", r"\frac{1}{1 + e^{-z}}")],
    "tanh": [(r"\tanh(z)", "hyperbolic tangent", r"\frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}")],
    "f": [(r"f(z)", "a generic activation, f' its derivative (unknown functions)", "")],
}


def activation_notation(act) -> list[tuple[str, str, str]]:
    """``(symbol, meaning, formula)`` rows defining an activation and the functions its
    derivative prints with, for a document's Notation section (empty for identity)."""
    name = getattr(act, "kind", act)
    return list(_NOTATION.get(name, []))
