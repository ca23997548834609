r"""Judging a claim at given values: ``check --values FILE.toml`` / ``--random SEED``.

The values file is TOML with one table ``[values]`` mapping symbol names (Python names such as
``w1_1`` or names as printed, ``"w_1^1"``) to exact numbers: integers, decimals (``0.5`` is 1/2,
read from its decimal text) or fraction strings ``"1/3"``. With ``--random SEED`` every leaf
(input, weight, bias, target) not given is a seeded random integer in [-3, 3]; without it, every
leaf the claim or the gradient needs must be given. Evaluation is exact (rationals), in leaf form.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sympy

from ..claims import to_leaf
from ..errors import SpecError
from ..values import one_hot_values, read_values_table, values_from_mapping
from ..verify import _evaluator, symbols_of

if TYPE_CHECKING:  # pragma: no cover
    from ..api import Model
    from .verdict import Verdict


@dataclass(frozen=True)
class AtValues:
    """One side judged at the values: ``claim`` and ``truth`` values (None when undefined) and
    whether the claim ``holds`` there."""

    number: int
    claim: object
    truth: object

    @property
    def holds(self) -> bool:
        return self.claim is not None and self.truth is not None and self.claim == self.truth


def read_values(model: Model, path: str) -> dict:
    """{symbol: exact value} for the leaves a values file gives (the one reader of values files,
    :func:`symconv.values.read_values_table`; some leaves may be left out). Raises
    :class:`SpecError` naming the key."""
    return values_from_mapping(model, read_values_table(path), complete=False)


RANDOM_RANGE = (-3, 3)
"""The integers ``--random SEED`` draws from (both ends included): small, so that exact values stay short."""


def judge_at(model: Model, verdict: Verdict, given: dict, seed: int | None) -> tuple[dict, tuple[AtValues, ...]]:
    """The values used (given, plus seeded random integers for the missing leaves when ``seed``
    is not None) and each side judged there. Raises :class:`SpecError` when a needed leaf has no
    value and no seed is given."""
    truth_leaf = to_leaf(model, verdict.truth)
    sides = [to_leaf(model, s.side.expr) for s in verdict.steps]
    needed = sorted(set().union(symbols_of(truth_leaf), *(symbols_of(s) for s in sides)), key=lambda s: s.name)
    point = dict(given)
    missing = [s for s in needed if s not in point]
    if missing and seed is None:
        names = ", ".join(model.network.table.info[s].name for s in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise SpecError("--values", f"no value for {names}{more}; give them, or add --random SEED to draw the rest")
    rng = random.Random(seed)
    for s in missing:
        point[s] = sympy.Integer(rng.randint(*RANDOM_RANGE))
    point = one_hot_values(model, point, missing)  # one-hot targets: judged where they sum to 1
    truth = _evaluator(truth_leaf)(point)
    results = tuple(AtValues(k, _evaluator(side)(point), truth) for k, side in enumerate(sides, start=1))
    return point, results


def render_at(model: Model, verdict: Verdict, point: dict, results, given: dict) -> str:
    """Text lines: the values, and for each side whether it holds there and in general."""
    from .report import latex_of

    shown = ", ".join(f"{latex_of(model, s)} = {latex_of(model, v)}" for s, v in sorted(point.items(), key=lambda kv: kv[0].name)
                      if s in given)
    drawn = len(point) - len([s for s in point if s in given])
    lo, hi = RANDOM_RANGE
    random_note = f"drawn at random (integers {lo}..{hi}, the --random seed)"
    if not shown:
        lines = [f"at the values: all {drawn} {random_note}"]
    else:
        lines = [f"at the values: {shown}" + (f"; {drawn} more {random_note}" if drawn else "")]
    for r, step in zip(results, verdict.steps):
        head = f"step {r.number}" if len(results) > 1 else "the claim"
        claim = "undefined" if r.claim is None else latex_of(model, r.claim)
        there = "holds there" if r.holds else "does not hold there"
        general = "and holds in general" if step.equal else "but does not hold in general" if r.holds else \
            "and does not hold in general"
        lines.append(f"  {head}: claim = {claim}, exact = {latex_of(model, r.truth)}: {there}, {general}")
    return "\n".join(lines) + "\n"
