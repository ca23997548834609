"""Certificates: each method proves equality or finds the difference; none passes by accident."""

from __future__ import annotations

import hypothesis
import pytest
import hypothesis.strategies as st
import sympy

from symconv import verify
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


def test_batched_monomial_proofs_find_exactly_the_differing_elements():
    from symconv.verify import products_differ_at, symbol_numbers

    numbers = symbol_numbers([a, b, c, d, x])
    one = sympy.S.One
    lefts = [[(a, b), (c, d)], [(a, one)], [(a, b), (a, b)], [(x, c)]]
    rights = [[(d, c), (b, a)], [(a, None)], [(a, b)], [(c, x)]]
    assert products_differ_at(lefts, rights, numbers) == [2]
    assert products_differ_at(lefts[:2], rights[:2], numbers) == []
    # a product moved from one element to the next is caught (elements are tagged)
    assert products_differ_at([[(a, b)], []], [[], [(a, b)]], numbers) == [0, 1]
    # {i, j} is determined by i + j and i·j: a·d and b·c (same sum of numbers 1+4 = 2+3) differ
    assert products_differ_at([[(a, d)]], [[(b, c)]], numbers) == [0]
    # left_keep: only left products whose first factor is kept count
    assert products_differ_at([[(a, b), (c, d)]], [[(a, b)]], numbers, left_keep={id(a)}) == []
    # a factor that is not a numbered symbol (here 2·a) decides nothing
    assert products_differ_at([[(2 * a, b)]], [[(a, b)]], numbers) is None


def test_batched_proofs_of_terms_in_the_same_order():
    from symconv import verify
    from symconv.verify import products_differ_at, symbol_numbers

    numbers = symbol_numbers([a, b, c, d, x])
    one = sympy.S.One
    lefts = [[(a, b), (c, d)], [(x, a)]]
    # the same products in the same order (the closed forms' case): proven without sorting,
    # also with every product's factors swapped, and Σ a·1 against Σ a (absent factor)
    assert verify._same_terms(lefts, [[(a, b), (c, d)], [(x, a)]], (0, 1), (0, 1), None)
    assert verify._same_terms(lefts, [[(b, a), (d, c)], [(a, x)]], (0, 1), (0, 1), None)
    assert verify._same_terms([[(a, one), (b, one)]], [[(a, None), (b, None)]], (0, 1), (0, 1), None)
    assert products_differ_at([[(2 * a, b)]], [[(2 * a, b)]], numbers) == []
    # anything else falls through to the counting proof, which decides it
    assert not verify._same_terms(lefts, [[(a, b), (c, x)], [(x, a)]], (0, 1), (0, 1), None)
    assert products_differ_at(lefts, [[(a, b), (c, x)], [(x, a)]], numbers) == [0]
    assert products_differ_at(lefts, [[(a, b), (d, c)], [(x, a)]], numbers) == []  # one product swapped
    assert products_differ_at(lefts, [[(c, d), (a, b)], [(x, a)]], numbers) == []  # reordered
    assert products_differ_at([[(a, one), (b, one)]], [[(a, None), (b, a)]], numbers) == [0]
    # left_keep: a left product dropped by it never passes as "the same terms"
    assert not verify._same_terms([[(a, b), (c, d)]], [[(a, b), (c, d)]], (0, 1), (0, 1), {id(a)})
    assert products_differ_at([[(a, b), (c, d)]], [[(a, b), (c, d)]], numbers, left_keep={id(a)}) == [0]


@hypothesis.given(st.lists(st.lists(st.tuples(st.integers(0, 4), st.integers(-1, 4)), max_size=5), max_size=6),
                  st.data())
def test_batched_proofs_agree_with_one_element_proofs(groups, data):
    from symconv.verify import products_differ_at, symbol_numbers

    syms = [a, b, c, d, x]
    pick = lambda k: None if k < 0 else syms[k]  # noqa: E731
    lefts = [[(syms[i], pick(j)) for i, j in g] for g in groups]
    rights = [data.draw(st.permutations(g)) for g in lefts]
    if rights and data.draw(st.booleans()):
        k = data.draw(st.integers(0, len(rights) - 1))
        rights[k] = rights[k][:-1] if rights[k] else [(a, b)]
    expected = [k for k in range(len(lefts)) if not certify_products(lefts[k], rights[k]).equal]
    assert products_differ_at(lefts, rights, symbol_numbers(syms)) == expected


def test_numeric_step_decides_exact_zeros_and_tiny_differences():
    # a softmax cost's D = a - b is exactly zero at a rational point: decided at 60 digits (sympy's
    # adaptive N raised its precision to ~30,000 digits for these, seconds per point)
    e = sympy.exp
    third, fifth = sympy.Rational(1, 3), sympy.Rational(1, 5)
    assert verify._nonzero(e(third) * e(fifth) - e(third + fifth)) is False
    assert verify._nonzero(e(third) / (e(third) + e(fifth)) - 1 / (1 + e(fifth - third))) is False
    # a true difference of 10^-30 sits between the thresholds: sympy.N decides, and it is nonzero
    assert verify._nonzero(e(third + sympy.Rational(1, 10**30)) - e(third)) is True
    assert verify._nonzero(e(third) - e(fifth)) is True
    # large terms cancelling exactly: 60 digits of e^200 leave a residue of about 10^27, 120 digits
    # a different one: the two disagree, so sympy.N decides, and it is zero
    big = e(200) * (e(third) + 1) - e(200 + third) - e(200)
    assert abs(verify._fixed_precision(big, (60,))[0]) > 1 and verify._nonzero(big) is False
    assert verify._nonzero(big + sympy.Rational(1, 10**10)) is True


def test_poly_degree_counts_through_given_degrees_and_refuses_non_polynomials():
    from symconv.dual import NotExact, poly_degree

    x, y, o = sympy.symbols("x y o")
    deg = {o: 3}  # an intermediate of degree 3 in the leaves
    degree_of = lambda s: deg.get(s, 1)  # noqa: E731
    assert poly_degree(2 * x**2 * y + o - sympy.Rational(1, 3), degree_of) == 3
    assert poly_degree(o**2 * x, degree_of) == 7
    assert poly_degree(sympy.Integer(5), degree_of) == 0
    for bad in (sympy.exp(x), x**-1, sympy.sqrt(x), sympy.Float(0.5) * x):
        with pytest.raises(NotExact):
            poly_degree(bad, degree_of)
