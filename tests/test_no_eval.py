"""No code path of symconv evaluates a string (issue 16 item 4).

A static check over the package's source (an AST walk): no call of ``eval``, ``exec``,
``compile`` or ``__import__``; no ``parse_expr``/``parse_latex`` or ``sympy.parsing`` at all; every
``sympify`` passes ``strict=True`` (which refuses a ``str``) and ``sympy.S`` is never called. Then
the testing helpers and the pytest hook are probed with strings that would run code if evaluated.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest
import sympy

import symconv
from symconv.errors import SpecError
from symconv.testing import assert_expr_equal, assert_gradient_equal, explain_difference, pytest_assertrepr_compare

pytest_plugins = ["pytester"]

PACKAGE = Path(symconv.__file__).resolve().parent
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "parse_expr", "parse_latex", "sympify_latex"}


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def violations(source: str, where: str) -> list[str]:
    """Lines of ``source`` that could evaluate a string (see module docstring)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = _name(node.func)
            builtin = isinstance(node.func, ast.Name) or (
                isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "builtins")
            if name in FORBIDDEN_CALLS and (builtin or name.startswith("parse_")):
                found.append(f"{where}:{node.lineno}: calls {name}")
            elif name == "sympify" and not any(
                k.arg == "strict" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in node.keywords
            ):
                found.append(f"{where}:{node.lineno}: sympify without strict=True (would evaluate a str)")
            elif name == "S" and isinstance(node.func, ast.Attribute):
                found.append(f"{where}:{node.lineno}: calls sympy.S (sympify without strict)")
        elif isinstance(node, ast.ImportFrom) and node.module and "parsing" in node.module.split("."):
            found.append(f"{where}:{node.lineno}: imports {node.module}")
        elif isinstance(node, ast.Import) and any("parsing" in a.name.split(".") for a in node.names):
            found.append(f"{where}:{node.lineno}: imports a parser")
        elif isinstance(node, ast.ImportFrom) and any(a.name in FORBIDDEN_CALLS | {"sympify"} and node.module
                                                      and node.module.startswith("sympy") and a.name != "sympify"
                                                      for a in node.names):
            found.append(f"{where}:{node.lineno}: imports a string evaluator from {node.module}")
    return found


def test_no_module_of_the_package_can_evaluate_a_string():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20
    found = [v for f in files for v in violations(f.read_text(encoding="utf-8"), str(f.relative_to(PACKAGE)))]
    assert found == []


@pytest.mark.parametrize("source", [
    "eval('1')", "exec('x = 1')", "__import__('os')", "sympy.sympify(text)", "sympify(text, strict=False)",
    "sympy.S(text)", "from sympy.parsing.sympy_parser import parse_expr", "parse_expr(text)",
    "import sympy.parsing.latex", "compile(text, 'f', 'eval')", "builtins.eval(text)", "sympy.parse_expr(t)",
])
def test_the_static_check_catches_each_form(source):
    assert violations(source, "probe") != []


@pytest.mark.parametrize("source", ["sympy.sympify(value, strict=True)", "sympy.Rational('1/2')", "model.eval(node)"])
def test_the_static_check_allows_safe_forms(source):
    assert violations(source, "probe") == []


PAYLOAD = "__import__('pathlib').Path({!r}).touch()"


def test_assert_expr_equal_never_evaluates_a_string(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(SpecError, match="^a: a string is read only in a network's notation"):
        assert_expr_equal(PAYLOAD.format(str(marker)), 1)
    with pytest.raises(SpecError, match="^claim: "):
        assert_expr_equal(PAYLOAD.format(str(marker)), 1, model="example:seed")
    with pytest.raises(SpecError):
        explain_difference(1, PAYLOAD.format(str(marker)))
    assert not marker.exists()


def test_assert_expr_equal_reads_latex_with_the_claim_reader():
    seed = symconv.load("example:seed")
    w = seed.symbol("w1_1")
    assert_expr_equal(r"2 w_1^1 + \frac{1}{2}", 2 * w + sympy.Rational(1, 2), model=seed)
    with pytest.raises(AssertionError, match="expressions differ"):
        assert_expr_equal(r"w_1^1", 0, model=seed)


def test_assert_gradient_equal_never_evaluates_a_string(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(SpecError, match="^claim: "):
        assert_gradient_equal("example:seed", "w1_1", PAYLOAD.format(str(marker)))
    assert not marker.exists()


def test_the_pytest_hook_never_evaluates_a_string(tmp_path):
    marker = tmp_path / "ran"
    assert pytest_assertrepr_compare(None, "==", sympy.Symbol("x"), PAYLOAD.format(str(marker))) is None
    assert pytest_assertrepr_compare(None, "==", PAYLOAD.format(str(marker)), sympy.Symbol("x")) is None
    assert not marker.exists()


@pytest.mark.parametrize("call, field", [
    (lambda: symconv.load("a\x00b"), "source"),
    (lambda: symconv.example([]), "--example"),
    (lambda: symconv.load("example:seed").write("/proc", formats="md"), "out"),
    (lambda: assert_gradient_equal(symconv.load("example:seed"), "y_1", 0), "wrt"),
    (lambda: assert_expr_equal(None, 1), "a"),
    (lambda: assert_expr_equal(1, [1, 2]), "b"),
    (lambda: assert_gradient_equal("example:seed", "w1_1", None), "expected"),
])
def test_the_python_api_raises_spec_error_naming_the_field(call, field):
    with pytest.raises(SpecError) as info:
        call()
    assert info.value.field == field


def test_inner_pytest_run_with_a_string_operand_runs_no_code(pytester, monkeypatch, tmp_path):
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.syspathinsert(str(PACKAGE.parent))
    marker = tmp_path / "ran"
    pytester.makepyfile(test_user=textwrap.dedent(f"""
        import sympy

        def test_string():
            assert sympy.Symbol("x") == {PAYLOAD.format(str(marker))!r}
    """))
    result = pytester.runpytest("-p", "symconv.testing")
    result.assert_outcomes(failed=1)
    assert not marker.exists()
