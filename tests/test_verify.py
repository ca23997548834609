"""Certificates: each method proves equality or finds the difference; none passes by accident."""

from __future__ import annotations

import sympy

from symconv.verify import certify_equal, certify_products

a, b, c, d, x = sympy.symbols("a b c d x")


def test_expand_proves_a_polynomial_identity():
    cert = certify_equal((a + b) ** 2, a**2 + 2 * a * b + b**2)
    assert cert.equal and cert.method == "expand"


def test_expand_refutes_with_a_small_integer_counterexample():
    cert = certify_equal((a + b) ** 2, a**2 + b**2)
    assert not cert.equal
    point = {sympy.Symbol(n): sympy.Integer(v) for n, v in cert.counterexample}
    assert ((a + b) ** 2 - a**2 - b**2).xreplace(point) != 0


def test_identical_expressions():
    assert certify_equal(a * b, b * a).method == "identical"


def test_random_rational_method_for_large_polynomials():
    big = sympy.Add(*[sympy.Symbol(f"s{k}") * sympy.Symbol(f"t{k}") for k in range(40)])
    assert certify_equal(big * (a + 1), big * a + big, method="random").method == "random-rational"
    bad = certify_equal(big * (a + 1), big * a, method="random")
    assert not bad.equal and bad.method == "random-rational"


def test_numeric_method_for_transcendental_identities():
    cert = certify_equal(sympy.tanh(x), (sympy.exp(2 * x) - 1) / (sympy.exp(2 * x) + 1))
    assert cert.equal and cert.method == "numeric"
    assert not certify_equal(sympy.tanh(x), sympy.sinh(x) / sympy.exp(x)).equal


def test_monomial_multisets():
    assert certify_products([(a, b), (c, d)], [(d, c), (b, a)]).equal
    assert certify_products([(a, None), (c, d)], [(d, c), (a, None)]).equal
    wrong = certify_products([(a, b), (c, d)], [(d, c), (b, c)])
    assert not wrong.equal and wrong.detail == "monomial a*b differs"
    twice = certify_products([(a, b), (a, b)], [(a, b)])
    assert not twice.equal and twice.detail == "monomial a*b differs"
