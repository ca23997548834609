"""The numeric view: exact values for every leaf, then every intermediate, δ and gradient.

Leaves (inputs, weights, biases, targets) get values from a TOML table (``--values FILE.toml``)
or from a seeded generator (``--random SEED``). Keys are Python names (``i1_5``) or names as
typed in the document's notation (``i^1_5``, ``W^{(1)}_{1,1,1,1}``); values are ints, floats
(read as the exact decimal they print as) or fraction strings (``"-3/4"``). Everything is then
evaluated exactly (sympy Rationals; irrational activations such as ``tanh`` stay exact
expressions), forward in definition order and backward by reverse accumulation, so each shown
formula can be followed by its numbers and its value (formula → numbers → result).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping

import sympy

from .errors import SpecError
from .fields import exact_fraction, parse_toml, show_value
from .notation import LEAF_ROLES, ROLE


def leaves(model) -> list[sympy.Symbol]:
    """The leaf symbols (inputs, weights, biases, targets) in creation order."""
    return [s for s, i in model.network.table.info.items() if i.role in LEAF_ROLES]


MAX_DIGITS = 100  # digits of a value's numerator or denominator (1e308 written out is 309)


def _number(value: Any, where: str) -> sympy.Rational:
    """An exact number from an int, a float (the decimal it prints as), a string such as
    ``"-3/4"`` or ``"0.25"``, a Fraction or a sympy Rational; at most ``MAX_DIGITS`` digits above
    and below the fraction bar."""
    exact = None
    try:
        if isinstance(value, sympy.Rational):
            exact = Fraction(int(value.p), int(value.q))
        elif isinstance(value, Fraction):
            exact = value
        else:
            exact = exact_fraction(value, where, MAX_DIGITS)
    except SpecError:
        raise
    except (ValueError, ZeroDivisionError, OverflowError):
        exact = None
    if exact is None:
        raise SpecError(where, f"must be a number such as 2, 0.5 or \"-3/4\", got {show_value(value)}")
    if max(abs(exact.numerator), exact.denominator) >= 10**MAX_DIGITS:
        raise SpecError(where, f"has more than {MAX_DIGITS} digits; give a smaller number")
    return sympy.Rational(exact.numerator, exact.denominator)


def values_from_mapping(model, data: Mapping[str, Any], option: str = "--values", complete: bool = True) -> dict:
    """Leaf values from a mapping of names (or Symbols) to numbers. Raises :class:`SpecError` for
    an unknown name, a non-leaf, a leaf named twice (``w1_1`` and ``w_1^1``), a bad number, or
    (when ``complete``) missing leaves, naming the first few. Without ``complete`` the values
    given are returned as they are (``check --values``: the rest may be drawn at random)."""
    table = model.network.table
    given: dict = {}
    named_by: dict = {}
    for key, value in data.items():
        s = model.symbol(key, option)
        if table.info[s].role not in LEAF_ROLES:
            raise SpecError(option, f"{key!r} is not a leaf (input, weight, bias or target); give leaves only")
        if s in given:
            raise SpecError(option, f"{named_by[s]!r} and {key!r} both name {s.name}; give each leaf once")
        given[s] = _number(value, f"{option} {key}")
        if ROLE[table.info[s].role].positive and given[s] <= 0:
            raise SpecError(f"{option} {key}", f"must be > 0 (it is added to a variance under a square root), "
                                               f"got {given[s]}")
        named_by[s] = key
    if not complete:
        return given
    missing = [s.name for s in leaves(model) if s not in given]
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise SpecError(option, f"missing values for {', '.join(missing[:5])}{more}; every leaf needs a value")
    return one_hot_values(model, given, (), option)


def one_hot_values(model, point: dict, drawn=(), option: str = "--values") -> dict:
    """``point`` where the spec assumes one-hot targets (Σ_k y_k = 1 per example,
    :attr:`~symconv.forward.Forward.assumed`): in each example whose targets do not sum to 1, the
    last target among ``drawn`` (values drawn at random) is set to 1 minus the others. Raises
    :class:`SpecError` for an example whose given targets do not sum to 1. Unchanged without
    the assumption."""
    fw = model.forward
    if not fw.assumed:
        return point
    net = model.network
    point = dict(point)
    n = len(net.targets) // max(net.batch, 1)
    for e in range(0, len(net.targets), n):
        ys = net.targets.symbols[e:e + n]
        if any(y not in point for y in ys) or sympy.Add(*[point[y] for y in ys]) == 1:
            continue
        free = [y for y in ys if y in drawn]
        if not free:
            names = " + ".join(y.name for y in ys)
            raise SpecError(option, f"{names} = {sympy.Add(*[point[y] for y in ys])}, but [cost] targets = "
                                    '"one_hot" assumes the targets of each example sum to 1; give values that do')
        point[free[-1]] = 1 - sympy.Add(*[point[y] for y in ys if y is not free[-1]])
    return point


MAX_VALUES = 100_000
"""Most values one values file may give."""


def read_values_table(path: str | Path) -> dict:
    """The name → number table of a values file (``--values FILE.toml`` of ``derive`` and
    ``check``): name = number at the top level, or in a ``[values]`` table. Raises a one-line
    :class:`SpecError` (field ``--values``) for a missing, unreadable or invalid file, another
    table or key beside ``[values]``, an empty table or more than :data:`MAX_VALUES` values."""
    path = Path(path)
    try:
        data = parse_toml(path.read_text(encoding="utf-8"), f"--values {path}")
    except FileNotFoundError:
        raise SpecError("--values", f"{path}: no such file") from None
    except IsADirectoryError:
        raise SpecError("--values", f"{path} is a folder; give a TOML file of leaf values") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise SpecError("--values", f"{path}: cannot be read as UTF-8 text ({type(exc).__name__})") from None
    if "values" in data:
        extra = sorted(set(data) - {"values"})
        if extra:
            raise SpecError("--values", f"unknown table or key {extra[0]!r} beside [values]; put the numbers in "
                                        "the [values] table")
        data = data["values"]
    if not isinstance(data, dict) or not data:
        raise SpecError("--values", "needs symbol = number lines (at the top level or in a [values] table), "
                                    "e.g. w1_1 = 2")
    if len(data) > MAX_VALUES:
        raise SpecError("--values", f"{len(data):,} values; at most {MAX_VALUES:,}")
    return data


def load_values(model, path: str | Path) -> dict:
    """Every leaf's value from a values file (:func:`read_values_table`, then
    :func:`values_from_mapping`)."""
    return values_from_mapping(model, read_values_table(path))


def random_values(model, seed: int) -> dict:
    """Seeded small exact values for every leaf: integers in −3..3 and halves (deterministic);
    under one-hot targets the last target of each example is 1 minus the others."""
    rng = random.Random(seed)
    choices = [sympy.Integer(k) for k in range(-3, 4)] + [sympy.Rational(k, 2) for k in (-3, -1, 1, 3)]
    positive = [c for c in choices if c > 0]
    info = model.network.table.info
    drawn = {s: rng.choice(positive if ROLE[info[s].role].positive else choices) for s in leaves(model)}
    return one_hot_values(model, drawn, tuple(drawn))


@dataclass(frozen=True)
class NumericView:
    """Exact values: ``value[s]`` for every leaf and intermediate (and δ / adjoint symbols),
    ``grad[s]`` = ∂C/∂s at the point for every symbol the forward pass reads."""

    value: dict
    grad: dict


def evaluate(model, leaf_values: dict) -> NumericView:
    """Forward values in definition order, then reverse accumulation of the gradient values."""
    fw = model.forward
    grads = model.gradients
    value = dict(leaf_values)
    for d in fw.definitions:
        value[d.target] = d.expr.xreplace(value)
    grad: dict = {fw.network.cost: sympy.Integer(1)}
    for d in reversed(fw.definitions):
        up = grad.get(d.target, sympy.Integer(0))
        for v, partial in d.partials:
            grad[v] = grad.get(v, sympy.Integer(0)) + up * partial.xreplace(value)
    for target, up in grads.upstream_of.items():
        if isinstance(up, sympy.Symbol):
            value[up] = grad.get(target, sympy.Integer(0))
    for s in model.network.table.info:
        grad.setdefault(s, sympy.Integer(0))
    return NumericView(value, grad)
