"""Verdicts: each right-hand side of a claim judged against the exact gradient, with the
difference, a counterexample and the proven mistake diagnoses."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import sympy

from ..claims import Claim, Side, leaf_size, parse_claim, to_leaf
from ..dual import TRANSCENDENTAL, functions_in
from ..size import COMPARE_SIZE_LIMIT, NAMED_COMPARE_LIMIT, form_budget
from ..verify import (
    EXPAND_LIMIT,
    Comparison,
    Through,
    _evaluator,
    compare,
    compare_through,
    symbols_of,
    tree_size,
    value_through,
)
from .mistakes import MISTAKES, judged_through, leaf_of, mistaken_forms, through_of, to_named

if TYPE_CHECKING:  # pragma: no cover
    from ..api import Model

def tidy(expr: sympy.Expr) -> sympy.Expr:
    """An exactly equal, more readable form: ``sympy.factor`` for small expressions, else common
    factors pulled out (``sympy.factor_terms``)."""
    expr = sympy.sympify(expr, strict=True)
    if sympy.count_ops(expr) <= 400 and not expr.atoms(sympy.Function):
        return sympy.factor(expr)
    return sympy.factor_terms(expr)



@dataclass(frozen=True)
class Diagnosis:
    """A proven mistake: the claim equals ``form`` (a :class:`MistakenForm`) exactly."""

    kind: str
    title: str
    label: str
    form: sympy.Expr


@dataclass(frozen=True)
class TermRow:
    """One monomial whose coefficient differs (expanded named forms): ``claim`` vs ``truth``."""

    monomial: sympy.Expr
    claim: sympy.Expr
    truth: sympy.Expr


@dataclass(frozen=True)
class Step:
    """The check of one right-hand side against ∂C/∂wrt.

    ``difference`` = side − truth in named symbols (exactly equal to it; factored where sympy can);
    ``terms`` the monomials whose coefficients differ (at most ``MAX_ROWS``; ``more_terms`` counts the
    rest); the counterexample is ``comparison.point`` (unknowns left out are 0) with
    ``comparison.values`` = (side, truth) there, and ``intermediates`` the values of the named
    intermediates (o, z) at that point, for checking by hand.
    """

    side: Side
    comparison: Comparison
    named: sympy.Expr
    difference: sympy.Expr | None = None
    terms: tuple[TermRow, ...] = ()
    more_terms: int = 0
    diagnoses: tuple[Diagnosis, ...] = ()
    intermediates: tuple[tuple[sympy.Symbol, sympy.Expr], ...] = ()

    @property
    def equal(self) -> bool:
        return self.comparison.equal


@dataclass(frozen=True)
class Verdict:
    """The verdict on a :class:`~symconv.claims.Claim`: ``ok`` when every side equals ∂C/∂wrt."""

    claim: Claim
    truth: sympy.Expr  # named form
    steps: tuple[Step, ...]
    model: object = field(repr=False, compare=False, default=None)

    @property
    def ok(self) -> bool:
        return all(s.equal for s in self.steps)

    @property
    def first_wrong(self) -> Step | None:
        return next((s for s in self.steps if not s.equal), None)


MAX_ROWS = 12


def term_rows(claim: sympy.Expr, truth: sympy.Expr, limit: int = MAX_ROWS) -> tuple[tuple[TermRow, ...], int]:
    """The monomials of ``expand(claim)`` and ``expand(truth)`` whose coefficients differ.

    Returns (rows, how many more rows were left out). Rows are sorted by monomial.
    """
    ca = sympy.expand(claim).as_coefficients_dict()
    cb = sympy.expand(truth).as_coefficients_dict()
    rows = []
    for mono in sorted(set(ca) | set(cb), key=sympy.default_sort_key):
        a, b = ca.get(mono, sympy.Integer(0)), cb.get(mono, sympy.Integer(0))
        if sympy.simplify(a - b) != 0 if not (a.is_number and b.is_number) else a != b:
            rows.append(TermRow(mono, a, b))
    return tuple(rows[:limit]), max(0, len(rows) - limit)


def diagnose(model: Model, wrt: sympy.Symbol, side_leaf: sympy.Expr | None,
             named: sympy.Expr | None = None) -> tuple[Diagnosis, ...]:
    """The known mistakes the claim equals exactly (under the spec's assumption on the targets,
    :meth:`~symconv.forward.Forward.assume`); empty when none.

    The claim is given in leaves (``side_leaf``) or, for claims judged through the forward
    definitions (:func:`~symconv.check.mistakes.judged_through`; ``side_leaf`` None), in named
    symbols (``named``). A form of this network equal to ``named`` with the intermediates as
    independent symbols is equal in the leaves too (proven without any leaf form); otherwise
    equality must be proven in leaves, or through the definitions with the Schwartz–Zippel
    bound: a numeric agreement names no mistake."""
    found = []
    assume = model.forward.assume
    through = through_of(model.gradients) if side_leaf is None else None
    for form in mistaken_forms(model, wrt):
        cmp = None
        if named is not None and form.gradients is None:
            cmp = _compare_named(named, form.named, shrink=False)
            if not (cmp.equal and cmp.method != "numeric"):
                cmp = None
        if cmp is None and side_leaf is not None:
            cmp = compare(assume(side_leaf), assume(leaf_of(model, form)), shrink=False)
        elif cmp is None:
            cmp = compare_through(named, form.named, through,
                                  through if form.gradients is None else through_of(form.gradients), shrink=False)
        if cmp.equal and cmp.method != "numeric":
            small = tree_size(form.named) <= EXPAND_LIMIT  # else factor_terms alone takes minutes
            found.append(Diagnosis(form.kind, MISTAKES[form.kind], form.label,
                                   tidy(form.named) if small else form.named))
    return tuple(found)


_INDEPENDENT = Through(())
"""No definitions: every named intermediate an independent unknown."""


def _compare_named(a: sympy.Expr, b: sympy.Expr, shrink: bool = True) -> Comparison:
    """``a == b`` with the named intermediates (o, z, δ substituted) as independent symbols:
    :func:`~symconv.verify.compare` (an exact expansion where small), or for large forms (a ResNet
    block's, millions of tree nodes) at points by :func:`~symconv.verify.compare_through` with no
    definitions, which evaluates each shared subtree once."""
    if tree_size(a) + tree_size(b) <= EXPAND_LIMIT:
        return compare(a, b, shrink=shrink)
    try:
        return compare_through(a, b, _INDEPENDENT, shrink=shrink)
    except NotImplementedError:
        return compare(a, b, shrink=shrink)


def _intermediate_values(model: Model, exprs, point: dict, through: bool = False) -> tuple:
    """Values of the forward intermediates (o, z) in ``exprs`` at a counterexample point (exact,
    or 15-digit Floats where the claim was judged in fixed point through the definitions)."""
    if not point or any(not isinstance(k, sympy.Symbol) for k in point):
        return ()
    by_target = model.forward.by_target
    names = sorted({s for e in exprs for s in symbols_of(e) if s in by_target},
                   key=lambda s: model.network.table.info[s].name)
    values = []
    for s in names:
        if through:
            try:
                v = value_through(s, through_of(model.gradients), point)
            except NotImplementedError:
                return ()
        else:
            leaf = model.forward.leaf(s)
            v = _evaluator(leaf)({x: point.get(x, sympy.Integer(0)) for x in symbols_of(leaf)})
        if v is None:
            return ()
        values.append((s, v))
    return tuple(values)


ASSUMED_NOTE = "it holds under the spec's assumption that the targets of each example sum to 1 (one-hot targets)"


def _assumed(model: Model, cmp: Comparison) -> Comparison:
    """``cmp`` of a comparison made under the spec's assumption on the targets: the note says so,
    and a counterexample gives the substituted targets their values (1 minus the others)."""
    assumed = model.forward.assumed
    if not assumed:
        return cmp
    point = dict(cmp.point)
    if point:
        for y, by in assumed.items():
            point[y] = by.xreplace({x: point.get(x, sympy.Integer(0)) for x in by.free_symbols})
    note = f"{cmp.note}; {ASSUMED_NOTE}" if cmp.note else ASSUMED_NOTE
    return replace(cmp, note=note, point=point)


def check_claim(model: Model, claim: Claim | str) -> Verdict:
    """Check every right-hand side of ``claim`` (text or parsed) against the exact ∂C/∂wrt.

    Raises :class:`~symconv.errors.SpecError` for a malformed claim (see :mod:`symconv.claims`),
    and (field ``claim``) when the exact gradient in named intermediates would pass
    :data:`~symconv.size.NAMED_COMPARE_LIMIT`, or, for a claim that differs from it there, the
    gradient or a side in leaf symbols would pass :data:`~symconv.size.COMPARE_SIZE_LIMIT` (deep
    networks), unless the model allows large work. A claim equal in named form is right without
    any leaf form being built.
    """
    if isinstance(claim, str):
        claim = parse_claim(model, claim)
    wrt = claim.wrt
    allow = getattr(model, "allow_large", False)
    fix = "check the claim on a smaller or shallower network"
    form_budget(model.gradients.named_size(wrt), NAMED_COMPARE_LIMIT, "claim",
                f"the exact ∂C/∂{wrt.name} in named intermediates (what a claim is compared with first)", fix, allow)
    truth_named = model.gradients.named(wrt)
    assume = model.forward.assume  # one-hot targets: judged where Σ_k y_k = 1 (y_K = 1 − Σ_{k<K} y_k)
    truth_leaf = None
    through = judged_through(model, wrt)  # transcendental or large: at points, through the definitions
    steps = []
    for side in claim.rhs:
        named = to_named(model, side.expr)
        # equal in the named intermediates (o, z, … as independent symbols) is equal in the leaves:
        # the definitions substitute alike into both; the leaf forms (which can be enormous, e.g.
        # through batch norm and ReLU) are built only when the named forms differ
        # (not a claim with exp, log, tanh judged through the definitions: its named form is its
        # leaf form, which sympy would evaluate exactly at every point tried)
        if not (through and functions_in(named) & TRANSCENDENTAL):
            cmp = _compare_named(named, truth_named)
            if cmp.equal:  # under one-hot targets the named gradient itself (p - y) uses the assumption
                steps.append(Step(side, _assumed(model, cmp), named))
                continue
        side_leaf = None
        if through:
            try:
                cmp = _assumed(model, compare_through(named, truth_named, through_of(model.gradients)))
            except NotImplementedError:  # a function the point arithmetic does not know: leaf forms
                through = False
        if not through:
            if truth_leaf is None:
                form_budget(model.gradients.leaf_size(wrt), COMPARE_SIZE_LIMIT, "claim",
                            f"the exact ∂C/∂{wrt.name} in leaf symbols (what a claim is compared with)", fix, allow)
                truth_leaf = assume(to_leaf(model, truth_named))
            form_budget(leaf_size(model, side.expr), COMPARE_SIZE_LIMIT, "claim",
                        "its right-hand side in leaf symbols", fix, allow)
            side_leaf = to_leaf(model, side.expr)
            cmp = _assumed(model, compare(assume(side_leaf), truth_leaf))
        if cmp.equal:
            steps.append(Step(side, cmp, named))
            continue
        difference, rows, more = None, (), 0
        if tree_size(named) + tree_size(truth_named) <= EXPAND_LIMIT:  # else minutes to expand, unreadable
            difference = tidy(sympy.expand(named - truth_named))
            rows, more = term_rows(named, truth_named)
        steps.append(Step(
            side, cmp, named, difference, rows, more, diagnose(model, wrt, side_leaf, named),
            _intermediate_values(model, (named, truth_named), cmp.point, through),
        ))
    return Verdict(claim, truth_named, tuple(steps), model)


