"""The user's network, as frozen data: loading and validation of TOML specs and dicts.

It turns a TOML file, a dict or a built-in example name into a :class:`Spec` and rejects bad
input with a one-line :class:`~symconv.errors.SpecError` that names the key
(``layers[2].stride``) and the rule it breaks. The keys of each ``[[layers]]`` table are read by
that layer's kind (:mod:`symconv.layers`); the value checks are :mod:`symconv.fields`.

The TOML format is a contract (keys are added, never renamed or dropped)::

    title = "Seed network"
    convention = "cross-correlation"     # or "convolution" (kernel flipped in the forward pass)
    [input]
    shape = [1, 3, 3]                    # channels, height, width
    [[layers]]
    type = "conv2d"                      # a key of symconv.layers.LAYERS
    out_channels = 1
    kernel_size = 2                      # int or [kh, kw]
    stride = 1                           # int or [sh, sw]
    padding = 0                          # int, [ph, pw], [[top, bottom], [left, right]], "valid", "same", "full"
    dilation = 1
    groups = 1
    bias = false
    activation = "identity"              # identity, relu, leaky_relu, sigmoid, tanh, f
    [cost]
    type = "sse"                         # sse, half_sse, mse, cross_entropy, bce
    [notation]
    style = "seed"                       # seed, grid, grid0
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .errors import SpecError
from .examples import EXAMPLES
from .fields import check_keys, choice, show_value, typesettable, whole
from .layers import DEFAULT_TYPE, LAYERS
from .notation import ROLES, STYLES, Notation

CONVENTIONS = ("cross-correlation", "convolution")
COSTS = ("sse", "half_sse", "mse", "cross_entropy", "bce")
NOTATION_STYLES = STYLES
NOTATION_LETTERS = ROLES


@dataclass(frozen=True)
class Cost:
    """The cost ``C`` of the last layer's output ``o`` against targets ``y``.

    sse = Σ(o − y)², half_sse = ½Σ(o − y)², mse = Σ(o − y)²/n,
    cross_entropy = −Σ y_k log softmax(o)_k, bce = −Σ [y log o + (1 − y) log(1 − o)].
    """

    type: str = "sse"


@dataclass(frozen=True)
class Spec:
    """A whole network: input shape ``(C, H, W)``, layers (each its kind's frozen spec, see
    :mod:`symconv.layers`), cost, forward convention, notation."""

    name: str
    title: str
    input_shape: tuple[int, int, int]
    layers: tuple
    cost: Cost = Cost()
    convention: str = "cross-correlation"
    notation: Notation = Notation()


def _layer(table: Any, where: str):
    """One ``[[layers]]`` table, read by its kind."""
    if not isinstance(table, Mapping):
        raise SpecError(where, f"must be a table, got {type(table).__name__}")
    kind = LAYERS[choice(table.get("type", DEFAULT_TYPE), tuple(LAYERS), f"{where}.type")]
    check_keys(table, kind.keys, where)
    return kind.parse(table, where)


def _notation(table: Any) -> Notation:
    check_keys(table, ("style",) + NOTATION_LETTERS, "notation")
    style = choice(table.get("style", "seed"), NOTATION_STYLES, "notation.style")
    letters = []
    for role in NOTATION_LETTERS:
        if role in table:
            text = table[role]
            if not isinstance(text, str) or not text.strip() or len(text) > 40:
                raise SpecError(f"notation.{role}", "must be a non-empty string of at most 40 characters")
            if any(ord(ch) < 32 for ch in text):
                raise SpecError(f"notation.{role}", "must not contain control characters")
            typesettable(text, f"notation.{role}", latin1=False)
            letters.append((role, text.strip()))
    return Notation(style=style, letters=tuple(letters))


def spec_from_dict(data: Mapping[str, Any], name: str = "network") -> Spec:
    """Build and validate a :class:`Spec` from a dict shaped like the TOML format.

    Raises :class:`SpecError` naming the first bad key.
    """
    check_keys(data, ("title", "convention", "input", "layers", "cost", "notation"), "")
    title = data.get("title", name)
    if not isinstance(title, str) or len(title) > 200 or any(ord(c) < 32 for c in title):
        raise SpecError("title", "must be a single-line string of at most 200 characters")
    if not title.strip():
        raise SpecError("title", "is empty; give the network a title, or leave the key out")
    typesettable(title, "title", latin1=True)
    convention = choice(data.get("convention", "cross-correlation"), CONVENTIONS, "convention")
    if "input" not in data:
        raise SpecError("input", "missing; add [input] with shape = [channels, height, width]")
    check_keys(data["input"], ("shape",), "input")
    shape = data["input"].get("shape")
    if not isinstance(shape, list | tuple) or len(shape) != 3:
        raise SpecError("input.shape", f"must be [channels, height, width], got {show_value(shape)}")
    input_shape = tuple(whole(v, f"input.shape[{k}]") for k, v in enumerate(shape))
    raw_layers = data.get("layers")
    if not isinstance(raw_layers, list | tuple) or not raw_layers:
        raise SpecError("layers", "missing or empty; add at least one [[layers]] table")
    if len(raw_layers) > 50:
        raise SpecError("layers", f"at most 50 layers are supported, got {len(raw_layers)}")
    layers = tuple(_layer(t, f"layers[{k + 1}]") for k, t in enumerate(raw_layers))
    cost_table = data.get("cost", {})
    check_keys(cost_table, ("type",), "cost")
    cost = Cost(type=choice(cost_table.get("type", "sse"), COSTS, "cost.type"))
    notation = _notation(data.get("notation", {}))
    return Spec(
        name=name,
        title=title,
        input_shape=input_shape,  # type: ignore[arg-type]
        layers=layers,
        cost=cost,
        convention=convention,
        notation=notation,
    )


def load_spec(path: str | Path) -> Spec:
    """Read a TOML spec file; the spec's name is the file's stem.

    Raises :class:`SpecError` if the file is missing, is not TOML or holds a bad value.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise SpecError(str(path), "no such file; give the path of a .toml spec") from None
    except IsADirectoryError:
        raise SpecError(str(path), "is a folder; give the path of a .toml spec") from None
    except UnicodeDecodeError:
        raise SpecError(str(path), "is not UTF-8 text; save the spec as UTF-8 TOML") from None
    except OSError as exc:
        raise SpecError(str(path), f"cannot be read ({exc.strerror})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(str(path), f"is not valid TOML: {exc}".replace("\n", " ")) from None
    return spec_from_dict(data, name=_safe_stem(path.stem))


def _safe_stem(stem: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)
    return cleaned or "network"


def example(name: str) -> Spec:
    """A built-in example spec by name (``"seed"``, ...). Raises :class:`SpecError` if unknown."""
    if name not in EXAMPLES:
        raise SpecError("--example", f"unknown example {name!r}; choose one of {', '.join(EXAMPLES)}")
    return spec_from_dict(EXAMPLES[name], name=name)
