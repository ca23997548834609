r"""Symbolic equality in tests: assert helpers and a pytest plugin.

>>> import sympy
>>> from symconv.testing import assert_expr_equal
>>> x, y = sympy.symbols("x y")
>>> assert_expr_equal((x + y)**2, x**2 + 2*x*y + y**2)      # passes: an exact identity

* :func:`assert_expr_equal` ``(a, b)``: passes when ``a − b`` is exactly 0 (see
  :func:`symconv.check.compare`); otherwise raises ``AssertionError`` showing ``a − b``, the
  terms whose coefficients differ and a small-integer counterexample.

No string is ever evaluated: a string is read by the claim reader (:mod:`symconv.claims`) in a
network's notation (``model=``), never by ``sympify``/``eval``; anything else must already be a
sympy expression or a number. Other inputs raise :class:`~symconv.errors.SpecError`.
* :func:`assert_gradient_equal` ``(network_or_spec, wrt, expected)``: ∂C/∂wrt of a network
  (a :class:`~symconv.api.Model`, a Spec, a TOML path, a dict or ``"example:seed"``) against
  ``expected`` (a sympy expression in the network's symbols, or LaTeX in its notation); the
  message adds the mistake diagnosis of ``symconv check``.
* :func:`check_backward` ``(fn, layer)`` / :func:`assert_backward_correct`: a NumPy backward
  function against the exact gradient of one layer, naming the mistake (:mod:`symconv.codecheck`).
* The pytest plugin (entry point ``pytest11: symconv``, or ``-p symconv.testing``) explains a
  failing ``assert e1 == e2`` between sympy expressions: the difference term by term, a
  counterexample, or, when the two are equal but written differently, that ``==`` on sympy
  compares structure.
"""

from __future__ import annotations

from typing import Any

import sympy

from .errors import SpecError

__all__ = ["assert_backward_correct", "assert_expr_equal", "assert_gradient_equal", "check_backward", "explain_difference"]


def check_backward(fn, layer, seed: int = 0):
    """Run a NumPy backward function ``fn`` for ``layer`` against the exact gradient and name the
    mistake (:func:`symconv.codecheck.check_backward`); returns a
    :class:`~symconv.codecheck.BackwardReport`."""
    from .codecheck import check_backward as _check

    return _check(fn, layer, seed)


def assert_backward_correct(fn, layer, seed: int = 0) -> None:
    """Assert ``fn`` computes the exact gradient of ``layer``; the failure message is the
    :func:`check_backward` report, naming the mistake."""
    from .codecheck import assert_backward_correct as _assert

    _assert(fn, layer, seed)

MAX_LINES = 12


def _expr(value: Any, field: str, model: Any = None) -> sympy.Expr:
    """``value`` as a sympy expression without evaluating any string: a ``str`` is read by the
    claim reader in ``model``'s notation; numbers and sympy objects are taken as they are
    (``sympify(strict=True)``). Raises :class:`SpecError` naming ``field`` otherwise."""
    if isinstance(value, str):
        if model is None:
            raise SpecError(field, "a string is read only in a network's notation: pass model=(a network) "
                                   "or give a sympy expression")
        from .claims import parse_expression

        return parse_expression(model, value)
    if value is None or isinstance(value, bool):
        raise SpecError(field, f"must be a sympy expression or a number; got {value!r}")
    try:
        expr = sympy.sympify(value, strict=True)
    except (sympy.SympifyError, TypeError, ValueError):
        raise SpecError(field, f"must be a sympy expression or a number; got {type(value).__name__}") from None
    if not isinstance(expr, sympy.Expr):
        raise SpecError(field, f"must be a sympy expression or a number; got {type(value).__name__}")
    return expr


def _model(value: Any):
    """A :class:`~symconv.api.Model` from a Model or anything :func:`symconv.load` takes."""
    from .api import Model, load

    return value if isinstance(value, Model) else load(value)


def _short(expr: Any, limit: int = 300) -> str:
    text = str(expr)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _counterexample_lines(cmp, left: str, right: str, indent: str) -> list[str]:
    """The counterexample of a comparison (nonzero values listed, zeros summarised), if any."""
    if not cmp.point:
        return []
    point = ", ".join(f"{s} = {v}" for s, v in sorted(cmp.point.items(), key=lambda kv: str(kv[0])) if v != 0)
    zeros = ", every other symbol = 0" if any(v == 0 for v in cmp.point.values()) else ""
    return [
        f"{indent}counterexample: {point or 'every symbol = 0'}{zeros if point else ''}",
        f"{indent}  there {left} = {cmp.values[0]}, {right} = {cmp.values[1]}",
    ]


def explain_difference(a: Any, b: Any, left: str = "left", right: str = "right") -> list[str]:
    """Lines explaining how ``a`` and ``b`` differ (empty when they are exactly equal).

    The first line is ``left - right = <the exact difference, factored>``, then the expanded
    terms whose coefficients differ (at most ``MAX_LINES``), then a counterexample.
    """
    from .check import compare, term_rows, tidy

    a, b = _expr(a, left), _expr(b, right)
    cmp = compare(a, b)
    if cmp.equal:
        return []
    lines = [f"{left} - {right} = {_short(tidy(sympy.expand(a - b)))}"]
    rows, more = term_rows(a, b, MAX_LINES)
    if rows:
        lines.append("terms that differ (expanded):")
        width = max(len(_short(r.monomial, 60)) for r in rows)
        for r in rows:
            lines.append(f"  {_short(r.monomial, 60):<{width}}  {left} {r.claim}, {right} {r.truth}")
        if more:
            lines.append(f"  ... and {more} more")
    lines += _counterexample_lines(cmp, left, right, "")
    if cmp.note:
        lines.append(cmp.note)
    return lines


def assert_expr_equal(a: Any, b: Any, msg: str | None = None, model: Any = None) -> None:
    """Assert ``a == b`` mathematically (exact; see :func:`symconv.check.compare`).

    ``a``, ``b``: sympy expressions or numbers, or LaTeX strings read by the claim reader in the
    notation of ``model`` (a Model or anything :func:`symconv.load` takes; required for strings).
    Raises ``AssertionError`` whose message shows the difference term by term;
    :class:`SpecError` for anything else (``None``, a string without ``model``, bad LaTeX).
    """
    if model is not None:
        model = _model(model)
    lines = explain_difference(_expr(a, "a", model), _expr(b, "b", model))
    if lines:
        head = f"{msg}: " if msg else ""
        raise AssertionError(head + "expressions differ\n" + "\n".join(lines))


def assert_gradient_equal(network_or_spec: Any, wrt: Any, expected: Any) -> None:
    """Assert ∂C/∂``wrt`` of a network equals ``expected`` exactly.

    ``wrt``: a Python name (``"w1_1"``) or a symbol; ``expected``: a sympy expression in the
    network's symbols (δ, o, z allowed: compared in leaf form) or LaTeX in its notation
    (``"2(o_1^2 - y_1)(w_1^2 i_1^1 + ...)"``). Raises ``AssertionError`` with the exact
    difference, a counterexample and the known mistake it matches; ``SpecError`` for an unknown
    symbol or malformed LaTeX.
    """
    from .check import check_claim
    from .claims import Claim, Side

    model = _model(network_or_spec)
    symbol = model.gradient_symbol(wrt)
    if isinstance(expected, str):
        text = expected
        expected = _expr(expected, "expected", model)
    else:
        expected = _expr(expected, "expected")
        names = model.network.table.by_name
        expected = expected.xreplace({s: names[s.name] for s in expected.free_symbols if s.name in names})
        text = str(expected)
    claim = Claim(text, symbol, Side(f"dC/d{symbol}", model.gradients.named(symbol)), (Side(text, expected),))
    verdict = check_claim(model, claim)
    if verdict.ok:
        return
    step = verdict.steps[0]
    from .check import tidy

    lines = [f"dC/d{symbol} differs from the expected expression", f"  exact:    {_short(tidy(verdict.truth), 500)}",
             f"  expected: {_short(tidy(step.named), 500)}"]
    lines += ["  " + line for line in explain_difference(step.named, verdict.truth, "expected", "exact")[:1]]
    if step.terms:
        lines.append("  terms that differ (expanded, named form):")
        for r in step.terms:
            lines.append(f"    {r.monomial}: expected {r.claim}, exact {r.truth}")
        if step.more_terms:
            lines.append(f"    ... and {step.more_terms} more")
    cmp = step.comparison
    lines += _counterexample_lines(cmp, "expected", "exact", "  ")
    if step.diagnoses:
        for d in step.diagnoses:
            lines.append(f"  diagnosis (proven): {d.title} ({d.label})")
    else:
        lines.append("  diagnosis: matches no known mistake")
    raise AssertionError("\n".join(lines))


# ----------------------------------------------------------------------------- pytest plugin


def pytest_assertrepr_compare(config, op, left, right):  # noqa: D401 - pytest hook
    """Explain ``assert left == right`` when either side is a sympy expression."""
    if op != "==" or not (isinstance(left, sympy.Expr) or isinstance(right, sympy.Expr)):
        return None
    if isinstance(left, str) or isinstance(right, str):  # a string is never evaluated
        return None
    try:
        a, b = _expr(left, "left"), _expr(right, "right")
        lines = explain_difference(a, b)
    except Exception:  # noqa: BLE001 - a report must never break the test run
        return None
    summary = f"{_short(left, 80)} == {_short(right, 80)}"
    if not lines:
        return [
            summary,
            "the two expressions are mathematically equal (left - right is exactly 0) but written",
            "differently; == on sympy compares structure: use symconv.testing.assert_expr_equal",
        ]
    return [summary, "sympy expressions differ:"] + lines
