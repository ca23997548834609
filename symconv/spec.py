"""The user's network, as frozen data: loading and validation of TOML specs and dicts.

This module knows nothing of sympy. It turns a TOML file, a dict or a built-in example name
into a :class:`Spec` and rejects bad input with a one-line :class:`~symconv.errors.SpecError`
that names the key (``layers[2].stride``) and the rule it breaks.

The TOML format is a contract (keys are added, never renamed or dropped)::

    title = "Seed network"
    convention = "cross-correlation"     # or "convolution" (kernel flipped in the forward pass)
    [input]
    shape = [1, 3, 3]                    # channels, height, width
    [[layers]]
    type = "conv2d"                      # conv2d, max_pool2d, avg_pool2d, flatten, dense
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

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .errors import SpecError

CONVENTIONS = ("cross-correlation", "convolution")
ACTIVATIONS = ("identity", "relu", "leaky_relu", "sigmoid", "tanh", "f")
COSTS = ("sse", "half_sse", "mse", "cross_entropy", "bce")
LAYER_TYPES = ("conv2d", "max_pool2d", "avg_pool2d", "flatten", "dense")
NOTATION_STYLES = ("seed", "grid", "grid0")
NOTATION_LETTERS = (
    "input", "weight", "bias", "pre_activation", "activation", "delta", "target", "cost",
)
TIE_RULES = ("first", "split")
PADDING_WORDS = ("valid", "same", "full")


@dataclass(frozen=True)
class Padding:
    """Padding of a 2-D window op: explicit ``((top, bottom), (left, right))`` or a mode.

    ``mode`` is ``"explicit"`` (amounts in ``amounts``), ``"same"`` or ``"full"``; the modes are
    resolved against the kernel by :func:`symconv.shapes.resolve_padding`.
    """

    mode: str = "explicit"
    amounts: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0))


@dataclass(frozen=True)
class Activation:
    """An element-wise activation ``a = f(z)``.

    ``derivative_at_zero`` is the value used for ReLU'(0) / LeakyReLU'(0) (PyTorch: 0 for relu,
    ``negative_slope`` for leaky_relu); ignored by the smooth activations.
    """

    kind: str = "identity"
    negative_slope: str = "1/100"
    derivative_at_zero: str | None = None


@dataclass(frozen=True)
class Conv2d:
    """A 2-D cross-correlation layer (or true convolution under ``convention = "convolution"``).

    Shapes: input ``(C_in, H, W)``, kernel ``(out_channels, C_in/groups, kh, kw)``, bias
    ``(out_channels,)``, output ``(out_channels, H_out, W_out)``.
    """

    out_channels: int = 1
    kernel_size: tuple[int, int] = (2, 2)
    stride: tuple[int, int] = (1, 1)
    padding: Padding = Padding()
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    bias: bool = False
    activation: Activation = Activation()
    type: str = "conv2d"


@dataclass(frozen=True)
class Pool2d:
    """Max or average pooling over windows; ``stride`` defaults to the kernel size.

    ``ties`` (max pooling): ``"first"`` routes δ to the first maximum in row-major order (PyTorch),
    ``"split"`` shares it equally among tied maxima. Average pooling counts padded zeros
    (PyTorch ``count_include_pad=True``).
    """

    type: str = "max_pool2d"
    kernel_size: tuple[int, int] = (2, 2)
    stride: tuple[int, int] = (2, 2)
    padding: Padding = Padding()
    ties: str = "first"


@dataclass(frozen=True)
class Flatten:
    """Reshape ``(C, H, W)`` to ``(C·H·W,)`` in row-major order; no new symbols."""

    type: str = "flatten"


@dataclass(frozen=True)
class Dense:
    """A fully connected layer: ``z = W a + b``; weight ``(out_features, in_features)``."""

    out_features: int = 1
    bias: bool = False
    activation: Activation = Activation()
    type: str = "dense"


Layer = Conv2d | Pool2d | Flatten | Dense


@dataclass(frozen=True)
class Cost:
    """The cost ``C`` of the last layer's output ``o`` against targets ``y``.

    sse = Σ(o − y)², half_sse = ½Σ(o − y)², mse = Σ(o − y)²/n,
    cross_entropy = −Σ y_k log softmax(o)_k, bce = −Σ [y log o + (1 − y) log(1 − o)].
    """

    type: str = "sse"


@dataclass(frozen=True)
class Notation:
    """How symbols are named: a style and optional letters per role (see :mod:`symconv.notation`)."""

    style: str = "seed"
    letters: tuple[tuple[str, str], ...] = ()

    def letter(self, role: str, default: str) -> str:
        return dict(self.letters).get(role, default)


@dataclass(frozen=True)
class Spec:
    """A whole network: input shape ``(C, H, W)``, layers, cost, forward convention, notation."""

    name: str
    title: str
    input_shape: tuple[int, int, int]
    layers: tuple[Layer, ...]
    cost: Cost = Cost()
    convention: str = "cross-correlation"
    notation: Notation = Notation()


# ----------------------------------------------------------------------------- validation helpers

def _show(value: Any) -> str:
    """A user's value in an error message: its repr, shortened to one readable line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _key_text(key: Any) -> str:
    """A key as shown in an error: as is when a plain name, else its (shortened) repr.

    Keeps every message on one line whatever the user typed (a key may hold a newline).
    """
    if isinstance(key, str) and key.replace("-", "_").isidentifier() and len(key) <= 60:
        return key
    text = repr(key)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_keys(table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    if not isinstance(table, Mapping):
        raise SpecError(where or "spec", f"must be a table, got {type(table).__name__}")
    for key in table:
        if key not in allowed:
            name = _key_text(key)
            raise SpecError(
                f"{where}.{name}" if where else name,
                f"unknown key; allowed keys are {', '.join(allowed)}",
            )


def _int(value: Any, where: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(where, f"must be an integer >= {minimum}, got {_show(value)}")
    if value < minimum:
        raise SpecError(where, f"must be an integer >= {minimum}, got {value}")
    if value > 100_000:
        raise SpecError(where, f"must be at most 100000, got {value}")
    return value


def _pair(value: Any, where: str, minimum: int = 1) -> tuple[int, int]:
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise SpecError(where, f"must be an integer or a list of 2 integers, got {_show(value)}")
        return (_int(value[0], f"{where}[0]", minimum), _int(value[1], f"{where}[1]", minimum))
    return (_int(value, where, minimum),) * 2


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(where, f"must be true or false, got {_show(value)}")
    return value


def _choice(value: Any, choices: tuple[str, ...], where: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise SpecError(where, f"must be one of {', '.join(choices)}; got {_show(value)}")
    return value


def _number_text(value: Any, where: str) -> str:
    """An exact number given as int, float or a fraction string like "1/100"; kept as text."""
    from fractions import Fraction

    if isinstance(value, bool):
        raise SpecError(where, f"must be a number, got {_show(value)}")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise SpecError(where, f"must be a finite number, got {_show(value)}")
        return str(Fraction(str(value)))
    if isinstance(value, str):
        try:
            return str(Fraction(value.strip()))
        except (ValueError, ZeroDivisionError):
            pass
    raise SpecError(where, f"must be a number such as 0.01 or \"1/100\", got {_show(value)}")


def _padding(value: Any, where: str) -> Padding:
    if isinstance(value, str):
        word = _choice(value, PADDING_WORDS, where)
        return Padding() if word == "valid" else Padding(mode=word)
    if isinstance(value, list | tuple) and len(value) == 2 and all(
        isinstance(v, list | tuple) for v in value
    ):
        rows = []
        for axis, pair in enumerate(value):
            if len(pair) != 2:
                raise SpecError(f"{where}[{axis}]", f"must be [before, after], got {_show(pair)}")
            rows.append(
                (_int(pair[0], f"{where}[{axis}][0]", 0), _int(pair[1], f"{where}[{axis}][1]", 0))
            )
        return Padding(amounts=(rows[0], rows[1]))
    ph, pw = _pair(value, where, minimum=0)
    return Padding(amounts=((ph, ph), (pw, pw)))


def _activation(table: Mapping[str, Any], where: str) -> Activation:
    kind = _choice(table.get("activation", "identity"), ACTIVATIONS, f"{where}.activation")
    slope = _number_text(table.get("negative_slope", "1/100"), f"{where}.negative_slope")
    if "negative_slope" in table and kind != "leaky_relu":
        raise SpecError(f"{where}.negative_slope", "only applies to activation = \"leaky_relu\"")
    at_zero = table.get("derivative_at_zero")
    if at_zero is not None:
        if kind not in ("relu", "leaky_relu"):
            raise SpecError(
                f"{where}.derivative_at_zero", "only applies to relu and leaky_relu activations"
            )
        at_zero = _number_text(at_zero, f"{where}.derivative_at_zero")
    return Activation(kind=kind, negative_slope=slope, derivative_at_zero=at_zero)


_CONV_KEYS = (
    "type", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups", "bias",
    "activation", "negative_slope", "derivative_at_zero",
)
_POOL_KEYS = ("type", "kernel_size", "stride", "padding", "ties")
_DENSE_KEYS = ("type", "out_features", "bias", "activation", "negative_slope", "derivative_at_zero")


def _layer(table: Any, where: str) -> Layer:
    if not isinstance(table, Mapping):
        raise SpecError(where, f"must be a table, got {type(table).__name__}")
    kind = _choice(table.get("type", "conv2d"), LAYER_TYPES, f"{where}.type")
    if kind == "conv2d":
        _check_keys(table, _CONV_KEYS, where)
        stride = _pair(table.get("stride", 1), f"{where}.stride")
        padding = _padding(table.get("padding", 0), f"{where}.padding")
        if padding.mode == "same" and stride != (1, 1):
            raise SpecError(
                f"{where}.padding",
                "\"same\" is refused with stride > 1 (as in PyTorch); give explicit padding",
            )
        out_channels = _int(table.get("out_channels", 1), f"{where}.out_channels")
        groups = _int(table.get("groups", 1), f"{where}.groups")
        if out_channels % groups:
            raise SpecError(
                f"{where}.groups",
                f"out_channels ({out_channels}) must be divisible by groups ({groups})",
            )
        return Conv2d(
            out_channels=out_channels,
            kernel_size=_pair(table.get("kernel_size", 2), f"{where}.kernel_size"),
            stride=stride,
            padding=padding,
            dilation=_pair(table.get("dilation", 1), f"{where}.dilation"),
            groups=groups,
            bias=_bool(table.get("bias", False), f"{where}.bias"),
            activation=_activation(table, where),
        )
    if kind in ("max_pool2d", "avg_pool2d"):
        _check_keys(table, _POOL_KEYS, where)
        kernel = _pair(table.get("kernel_size", 2), f"{where}.kernel_size")
        padding = _padding(table.get("padding", 0), f"{where}.padding")
        if padding.mode != "explicit":
            raise SpecError(f"{where}.padding", "pooling takes integer padding, not a mode word")
        (top, bottom), (left, right) = padding.amounts
        if max(top, bottom) * 2 > kernel[0] or max(left, right) * 2 > kernel[1]:
            raise SpecError(
                f"{where}.padding", "must be at most half the kernel size (as in PyTorch)"
            )
        ties = _choice(table.get("ties", "first"), TIE_RULES, f"{where}.ties")
        if "ties" in table and kind != "max_pool2d":
            raise SpecError(f"{where}.ties", "only applies to max_pool2d")
        return Pool2d(
            type=kind,
            kernel_size=kernel,
            stride=_pair(table.get("stride", list(kernel)), f"{where}.stride"),
            padding=padding,
            ties=ties,
        )
    if kind == "flatten":
        _check_keys(table, ("type",), where)
        return Flatten()
    _check_keys(table, _DENSE_KEYS, where)
    return Dense(
        out_features=_int(table.get("out_features", 1), f"{where}.out_features"),
        bias=_bool(table.get("bias", False), f"{where}.bias"),
        activation=_activation(table, where),
    )


def _notation(table: Any) -> Notation:
    _check_keys(table, ("style",) + NOTATION_LETTERS, "notation")
    style = _choice(table.get("style", "seed"), NOTATION_STYLES, "notation.style")
    letters = []
    for role in NOTATION_LETTERS:
        if role in table:
            text = table[role]
            if not isinstance(text, str) or not text.strip() or len(text) > 40:
                raise SpecError(f"notation.{role}", "must be a non-empty string of at most 40 characters")
            if any(ord(ch) < 32 for ch in text):
                raise SpecError(f"notation.{role}", "must not contain control characters")
            _typesettable(text, f"notation.{role}", latin1=False)
            letters.append((role, text.strip()))
    return Notation(style=style, letters=tuple(letters))


def _typesettable(text: str, where: str, latin1: bool) -> None:
    """Refuse characters pdflatex cannot typeset from user text (and invisible format/bidi
    controls): titles may use Latin-1 letters (é), symbol letters ASCII only (they are set in
    math mode). Greek letters are written by name (``delta``)."""
    import unicodedata

    limit = 0xFF if latin1 else 0x7E
    for ch in text:
        if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") or ord(ch) > limit:
            what = "Latin-1" if latin1 else "ASCII"
            raise SpecError(
                where,
                f"character {ch!r} (U+{ord(ch):04X}) cannot be typeset in the PDF; use {what} text"
                + ("" if latin1 else " (Greek letters by name, e.g. \"delta\")"),
            )


def spec_from_dict(data: Mapping[str, Any], name: str = "network") -> Spec:
    """Build and validate a :class:`Spec` from a dict shaped like the TOML format.

    Raises :class:`SpecError` naming the first bad key.
    """
    _check_keys(data, ("title", "convention", "input", "layers", "cost", "notation"), "")
    title = data.get("title", name)
    if not isinstance(title, str) or len(title) > 200 or any(ord(c) < 32 for c in title):
        raise SpecError("title", "must be a single-line string of at most 200 characters")
    if not title.strip():
        raise SpecError("title", "is empty; give the network a title, or leave the key out")
    _typesettable(title, "title", latin1=True)
    convention = _choice(data.get("convention", "cross-correlation"), CONVENTIONS, "convention")
    if "input" not in data:
        raise SpecError("input", "missing; add [input] with shape = [channels, height, width]")
    _check_keys(data["input"], ("shape",), "input")
    shape = data["input"].get("shape")
    if not isinstance(shape, list | tuple) or len(shape) != 3:
        raise SpecError("input.shape", f"must be [channels, height, width], got {_show(shape)}")
    input_shape = tuple(_int(v, f"input.shape[{k}]") for k, v in enumerate(shape))
    raw_layers = data.get("layers")
    if not isinstance(raw_layers, list | tuple) or not raw_layers:
        raise SpecError("layers", "missing or empty; add at least one [[layers]] table")
    if len(raw_layers) > 50:
        raise SpecError("layers", f"at most 50 layers are supported, got {len(raw_layers)}")
    layers = tuple(_layer(t, f"layers[{k + 1}]") for k, t in enumerate(raw_layers))
    cost_table = data.get("cost", {})
    _check_keys(cost_table, ("type",), "cost")
    cost = Cost(type=_choice(cost_table.get("type", "sse"), COSTS, "cost.type"))
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


# ----------------------------------------------------------------------------- built-in examples

EXAMPLES: dict[str, dict[str, Any]] = {
    "seed": {
        "title": "Seed network",
        "convention": "cross-correlation",
        "input": {"shape": [1, 3, 3]},
        "layers": [
            {"type": "conv2d", "out_channels": 1, "kernel_size": 2},
            {"type": "conv2d", "kernel_size": 2},
        ],
        "cost": {"type": "sse"},
    },
    # examples/two_channel_stride2.toml
    "two_channel_stride2": {
        "title": "Two channels, stride 2, padding 1",
        "convention": "cross-correlation",
        "input": {"shape": [2, 5, 5]},
        "layers": [
            {"type": "conv2d", "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1,
             "bias": True},
        ],
        "cost": {"type": "half_sse"},
        "notation": {"style": "grid0"},
    },
    # examples/lenet_small.toml
    "lenet_small": {
        "title": "Small LeNet: conv, ReLU, max-pool, dense, cross-entropy",
        "convention": "cross-correlation",
        "input": {"shape": [1, 6, 6]},
        "layers": [
            {"type": "conv2d", "out_channels": 2, "kernel_size": 3, "bias": True,
             "activation": "relu", "derivative_at_zero": 0},
            {"type": "max_pool2d", "kernel_size": 2, "ties": "first"},
            {"type": "flatten"},
            {"type": "dense", "out_features": 3, "bias": True},
        ],
        "cost": {"type": "cross_entropy"},
    },
    # examples/lenet5.toml
    "lenet5": {
        "title": "LeNet-5",
        "convention": "cross-correlation",
        "input": {"shape": [1, 32, 32]},
        "layers": [
            {"type": "conv2d", "out_channels": 6, "kernel_size": 5, "bias": True, "activation": "tanh"},
            {"type": "avg_pool2d", "kernel_size": 2},
            {"type": "conv2d", "out_channels": 16, "kernel_size": 5, "bias": True, "activation": "tanh"},
            {"type": "avg_pool2d", "kernel_size": 2},
            {"type": "flatten"},
            {"type": "dense", "out_features": 120, "bias": True, "activation": "tanh"},
            {"type": "dense", "out_features": 84, "bias": True, "activation": "tanh"},
            {"type": "dense", "out_features": 10, "bias": True},
        ],
        "cost": {"type": "cross_entropy"},
    },
}


def example(name: str) -> Spec:
    """A built-in example spec by name (``"seed"``, ...). Raises :class:`SpecError` if unknown."""
    if name not in EXAMPLES:
        raise SpecError("--example", f"unknown example {name!r}; choose one of {', '.join(EXAMPLES)}")
    return spec_from_dict(EXAMPLES[name], name=name)
