r"""Judging a claim at given values: ``check --values FILE.toml`` / ``--random SEED``.

The values file is TOML with one table ``[values]`` mapping symbol names (Python names such as
``w1_1`` or names as printed, ``"w_1^1"``) to exact numbers: integers, decimals (``0.5`` is 1/2,
read from its decimal text) or fraction strings ``"1/3"``. With ``--random SEED`` every leaf
(input, weight, bias, target) not given is a seeded random integer in [-3, 3]; without it, every
leaf the claim or the gradient needs must be given. Evaluation is exact (rationals), in leaf form.
"""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import sympy

from ..claims import to_leaf
from ..errors import SpecError
from ..values import one_hot_values
from ..verify import _evaluator, symbols_of

if TYPE_CHECKING:  # pragma: no cover
    from ..api import Model
    from .verdict import Verdict

MAX_VALUES = 100_000


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


def _number(value, key: str):
    if isinstance(value, bool):
        raise SpecError(f"--values {key}", "must be a number, not true/false")
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, float):
        text = repr(value)
        if text in ("inf", "-inf", "nan"):
            raise SpecError(f"--values {key}", f"must be a finite number; got {text}")
        f = Fraction(text)
        return sympy.Rational(f.numerator, f.denominator)
    if isinstance(value, str):
        try:
            f = Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            raise SpecError(f"--values {key}", f"{value!r} is not a number or a fraction like \"1/3\"") from None
        return sympy.Rational(f.numerator, f.denominator)
    raise SpecError(f"--values {key}", f"must be a number or a fraction string; got a {type(value).__name__}")


def read_values(model: Model, path: str) -> dict:
    """{symbol: exact value} from a values file: a ``[values]`` table of symbol = number, or the
    numbers at the top level (as ``derive --values`` reads them). Raises :class:`SpecError`
    naming the key."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError("--values", f"{p}: no such file") from None
    except IsADirectoryError:
        raise SpecError("--values", f"{p} is a folder; give a TOML file with a [values] table") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise SpecError("--values", f"{p}: cannot be read as UTF-8 text ({type(exc).__name__})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError("--values", f"{p} is not valid TOML: {str(exc).splitlines()[0]}") from None
    if "values" not in data and data:
        data = {"values": data}  # name = number at the top level, as derive --values reads them
    extra = sorted(set(data) - {"values"})
    if extra:
        raise SpecError("--values", f"unknown table or key {extra[0]!r}; put the numbers in a [values] table")
    table = data.get("values")
    if not isinstance(table, dict) or not table:
        raise SpecError("--values", "needs a [values] table of symbol = number, e.g. w1_1 = 2")
    if len(table) > MAX_VALUES:
        raise SpecError("--values", f"{len(table)} values; at most {MAX_VALUES}")
    out = {}
    for key, value in table.items():
        symbol = model.symbol(key, f"--values {key}")
        if model.network.table.info[symbol].role not in ("input", "weight", "bias", "target"):
            raise SpecError(f"--values {key}", "give values of inputs, weights, biases and targets only; "
                                               "the intermediates follow from them")
        out[symbol] = _number(value, key)
    return out


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
