"""Dual numbers (symconv.dual): values and forward-mode derivatives of expressions, exact or to
about 54 digits, with the kink conventions."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy

from symconv.functions import f
from symconv.dual import Evaluator, Exact, Fixed, Kink, Kinks, functions_in

x, y, z = sympy.symbols("x y z")


def exact(expr, values: dict, tangents: dict, kinks=None):
    ev = Evaluator(Exact, {id(s): v for s, v in values.items()}, {id(s): t for s, t in tangents.items()})
    return ev.dual(expr, kinks)


def fixed(expr, values: dict, tangents: dict):
    one = Fixed.one
    ev = Evaluator(Fixed, {id(s): Fixed.const(sympy.Rational(v)) for s, v in values.items()},
                   {id(s): Fixed.const(sympy.Rational(t)) for s, t in tangents.items()})
    p, t = ev.dual(expr)
    return mpmath.mpf(p) / one, mpmath.mpf(t) / one


def test_polynomial_value_and_derivative_are_exact():
    # (x³y − z)/4 at (2, 5, 1) along (1, −2, 0): (3x²y − 2x³)/4
    assert exact((x ** 3 * y - z) / 4, {x: 2, y: 5, z: 1}, {x: 1, y: -2, z: 0}) == (Fraction(39, 4), 11)


def test_rational_power_and_quotient():
    assert exact(1 / (1 + x ** 2), {x: 3}, {x: 1}) == (Fraction(1, 10), Fraction(-6, 100))


@pytest.mark.parametrize("expr, derivative", [
    (sympy.tanh(x), lambda v: 1 - mpmath.tanh(v) ** 2),
    (1 / (1 + sympy.exp(-x)), lambda v: mpmath.exp(-v) / (1 + mpmath.exp(-v)) ** 2),
    (sympy.log(x) * y, lambda v: mpmath.mpf(3) / v),
    (f(x), mpmath.cos),  # the generic f is evaluated as sin
])
def test_transcendental_derivatives_to_50_digits(expr, derivative):
    with mpmath.workdps(60):
        v = mpmath.mpf(1) / 2
        _, t = fixed(expr, {x: "1/2", y: 3}, {x: 1, y: 0})
        assert abs(t - derivative(v)) < mpmath.mpf(10) ** -50


def test_max_routes_to_the_maximum():
    assert exact(sympy.Max(x, y, z), {x: 1, y: 7, z: 3}, {x: 10, y: 20, z: 30}) == (7, 20)


def test_tied_max_follows_the_stated_rule():
    order = {x: 2, y: 0, z: 1}.__getitem__  # row-major positions: y first, then z, then x
    values, tangents = {x: 5, y: 5, z: 1}, {x: 10, y: 20, z: 30}
    assert exact(sympy.Max(x, y, z), values, tangents, Kinks(ties="first", order=order)) == (5, 20)
    assert exact(sympy.Max(x, y, z), values, tangents, Kinks(ties="split", order=order)) == (5, 15)
    with pytest.raises(Kink):
        exact(sympy.Max(x, y, z), values, tangents)


def test_activation_kink_uses_its_derivative_at_zero():
    relu = sympy.Max(0, z)
    assert exact(relu, {z: 0}, {z: 6}, Kinks(zero=sympy.Rational(1, 3), arg=z)) == (0, 2)
    assert exact(relu, {z: -1}, {z: 6}, Kinks(zero=sympy.Rational(1, 3), arg=z)) == (0, 0)
    leaky = sympy.Piecewise((z, z > 0), (z / 5, True))
    assert exact(leaky, {z: -10}, {z: 5}) == (-2, 1)
    with pytest.raises(Kink):
        exact(leaky, {z: 0}, {z: 5})


def test_backward_functions_evaluate_as_written():
    from symconv.functions import MaxRoute

    ev = Evaluator(Exact, {id(x): 4, id(y): 4, id(z): 1})
    assert ev.value(MaxRoute(sympy.Integer(1), sympy.Integer(0), x, y, z)) == 0  # first of the tie is x
    assert ev.value(MaxRoute(sympy.Integer(1), sympy.Integer(1), x, y, z)) == Fraction(1, 2)
    assert ev.value(sympy.Heaviside(z - 1, sympy.Rational(1, 3))) == Fraction(1, 3)


def test_functions_in_sees_max_which_is_not_a_sympy_function():
    assert functions_in(sympy.Max(0, x) + sympy.tanh(y)) == {"Max", "tanh"}
