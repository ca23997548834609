"""symconv.testing: assert helpers, and the pytest plugin that explains `assert e1 == e2` on sympy."""

import textwrap
from pathlib import Path

import pytest
import sympy

import symconv
from symconv.testing import assert_expr_equal, assert_gradient_equal, explain_difference

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
x, y = sympy.symbols("x y")


def test_assert_expr_equal_passes_on_an_identity_and_explains_a_difference():
    assert_expr_equal((x + y) ** 2, x**2 + 2 * x * y + y**2)
    with pytest.raises(AssertionError) as info:
        assert_expr_equal((x + y) ** 2, x**2 + y**2, msg="square")
    assert str(info.value) == (
        "square: expressions differ\n"
        "left - right = 2*x*y\n"
        "terms that differ (expanded):\n"
        "  x*y  left 2, right 0\n"
        "counterexample: x = 1, y = 1\n"
        "  there left = 4, right = 2"
    )


def test_explain_difference_is_empty_for_equal_expressions():
    assert explain_difference(x / (x + 1) + 1 / (x + 1), 1) == []


def test_assert_gradient_equal_accepts_latex_or_sympy_and_diagnoses():
    seed = symconv.load(symconv.example("seed"))
    o, yy = sympy.symbols("o2_1 y_1")
    assert_gradient_equal(seed, "w2_1", r"2(o_1^2 - y_1) o_1^1")
    assert_gradient_equal("example:seed", "w2_1", 2 * (o - yy) * sympy.Symbol("o1_1"))
    with pytest.raises(AssertionError) as info:
        assert_gradient_equal(seed, "w1_1", r"2(o_1^2 - y_1)(i_1^1 + i_2^1 + i_4^1 + i_5^1)(w_1^2 + w_2^2 + w_3^2 + w_4^2)")
    message = str(info.value)
    assert message.startswith("dC/dw1_1 differs from the expected expression\n")
    assert "  exact:    2*(o2_1 - y_1)*(i1_1*w2_1 + i1_2*w2_2 + i1_4*w2_3 + i1_5*w2_4)\n" in message
    assert "  diagnosis (proven): product of sums instead of sum of products" in message
    assert "  counterexample: " in message


@pytest.fixture
def inner(pytester, monkeypatch):
    """A pytester whose inner runs load only ``-p symconv.testing`` (no entry-point autoload, so the
    plugin is registered once whether or not symconv is installed)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.syspathinsert(str(ROOT))
    return pytester


def test_plugin_explains_a_failing_sympy_assert(inner):
    pytester = inner
    pytester.makepyfile(test_user=textwrap.dedent(
        """
        import sympy

        def test_square():
            x, y = sympy.symbols("x y")
            assert (x + y)**2 == x**2 + y**2

        def test_same_value_other_form():
            x = sympy.Symbol("x")
            assert sympy.expand((x + 1)**2) == (x + 1)**2
        """
    ))
    result = pytester.runpytest("-p", "symconv.testing")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines([
        "E       assert (x + y)**2 == x**2 + y**2",
        "*sympy expressions differ:",
        "*left - right = 2*x*y",
        "*terms that differ (expanded):",
        "*x*y  left 2, right 0",
        "*counterexample: x = 1, y = 1",
    ])
    result.stdout.fnmatch_lines([
        "*the two expressions are mathematically equal (left - right is exactly 0) but written",
        "*differently; == on sympy compares structure: use symconv.testing.assert_expr_equal",
    ])


def test_plugin_in_a_users_gradient_test(inner):
    pytester = inner
    pytester.makepyfile(test_grad=textwrap.dedent(
        r'''
        import symconv
        from symconv.testing import assert_gradient_equal

        def test_my_hand_derivation():
            model = symconv.load(symconv.example("seed"))
            assert_gradient_equal(model, "w1_1",
                r"2(o_1^2 - y_1)(i_1^1 + i_2^1 + i_4^1 + i_5^1)(w_1^2 + w_2^2 + w_3^2 + w_4^2)")
        '''
    ))
    result = pytester.runpytest("-p", "symconv.testing")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*dC/dw1_1 differs from the expected expression",
        "*diagnosis (proven): product of sums instead of sum of products*",
    ])


def test_plugin_leaves_other_comparisons_alone():
    from symconv.testing import pytest_assertrepr_compare

    assert pytest_assertrepr_compare(None, "==", 1, 2) is None
    assert pytest_assertrepr_compare(None, "!=", x, y) is None
    assert pytest_assertrepr_compare(None, "==", x, "not (valid") is None


def test_the_entry_point_is_declared():
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["entry-points"]["pytest11"] == {"symconv": "symconv.testing"}
