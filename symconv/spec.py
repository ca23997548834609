r"""The user's network, as frozen data: loading and validation of TOML specs and dicts.

It turns a TOML file, a dict or a built-in example name into a :class:`Spec` and rejects bad
input with a one-line :class:`~symconv.errors.SpecError` that names the key
(``layers[2].stride``) and the rule it breaks. The keys of each ``[[layers]]`` table are read by
that layer's kind (:mod:`symconv.layers`); the value checks are :mod:`symconv.fields`.

The TOML format is a contract (keys are added, never renamed or dropped)::

    title = "Seed network"
    convention = "cross-correlation"     # or "convolution" (kernel flipped in the forward pass)
    [input]
    shape = [1, 3, 3]                    # channels, height, width; [N, C, H, W] for a batch of N;
                                         # 1-D networks (first layer conv1d): [C, L] or [N, C, L]
    [[layers]]
    name = "c1"                          # optional; a later layer may read it by name
    inputs = ["input"]                   # optional: what it reads (default: the previous layer;
                                         # "input" is the network input); add/concat read 2 or more
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
    reduction = "sum"                    # or "mean": over the batch (and, for mse, the elements)
    targets = "any"                      # or "one_hot" (cross_entropy): assume Σ_k y_k = 1 per example
    [notation]
    style = "seed"                       # seed, grid, grid0
    [[claims]]                           # optional: the reader's own claims, judged in the document
    text = '\frac{\partial C}{\partial w_1^1} = ...'   # as `symconv check` reads a claim
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .errors import SpecError
from .examples import EXAMPLES
from .fields import check_keys, choice, parse_toml, show_value, typesettable, whole
from .layers import DEFAULT_TYPE, LAYERS
from .notation import ROLES, STYLES, Notation

CONVENTIONS = ("cross-correlation", "convolution")
COSTS = ("sse", "half_sse", "mse", "cross_entropy", "bce")
REDUCTIONS = ("sum", "mean")
TARGETS = ("any", "one_hot")
"""``[cost] targets``: ``"any"`` (no assumption on y) or ``"one_hot"`` (Σ_k y_k = 1 per example)."""
GRAPH_KEYS = ("name", "inputs")
"""Keys every ``[[layers]]`` table may have besides its kind's: its name and what it reads."""
INPUT_NAME = "input"
"""The name under which a layer's ``inputs`` reads the network input."""
NAME_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}")
NOTATION_STYLES = STYLES
NOTATION_LETTERS = ROLES


@dataclass(frozen=True)
class Cost:
    """The cost ``C`` of the last layer's output ``o`` against targets ``y``, for one example:

    sse = Σ(o − y)², half_sse = ½Σ(o − y)², mse = Σ(o − y)²/n,
    cross_entropy = −Σ y_k log softmax(o)_k, bce = −Σ [y log o + (1 − y) log(1 − o)];

    over a batch, ``reduction`` ``"sum"`` adds the examples' costs, ``"mean"`` averages them
    (so mse with ``"mean"`` is the mean over the batch and the elements, as PyTorch's).
    ``targets`` ``"one_hot"`` (cross_entropy only) assumes Σ_k y_k = 1 for each example, which
    makes δ of the logits p − y (:func:`symconv.costs.cost_definition`); ``"any"`` assumes nothing.
    """

    type: str = "sse"
    reduction: str = "sum"
    targets: str = "any"


@dataclass(frozen=True)
class Spec:
    """A whole network: input shape of one example (``(C, H, W)`` or ``(C, L)``), ``batch`` N
    (0: unbatched, no batch axis), layers (each its kind's frozen spec, see
    :mod:`symconv.layers`), cost, forward convention, notation; ``graph`` the positions each
    layer reads (0 the network input, k the output of layer k) and ``names`` the layers' names
    (None: unnamed)."""

    name: str
    title: str
    input_shape: tuple[int, ...]
    layers: tuple
    cost: Cost = Cost()
    convention: str = "cross-correlation"
    notation: Notation = Notation()
    batch: int = 0
    graph: tuple[tuple[int, ...], ...] = ()
    names: tuple[str | None, ...] = ()
    claims: tuple[str, ...] = ()

    def __post_init__(self):
        if not self.graph:
            object.__setattr__(self, "graph", tuple((k,) for k in range(len(self.layers))))
        if not self.names:
            object.__setattr__(self, "names", (None,) * len(self.layers))


def _layer(table: Any, where: str):
    """One ``[[layers]]`` table, read by its kind (its ``name`` and ``inputs`` by :func:`_graph`)."""
    if not isinstance(table, Mapping):
        raise SpecError(where, f"must be a table, got {type(table).__name__}")
    kind = LAYERS[choice(table.get("type", DEFAULT_TYPE), tuple(LAYERS), f"{where}.type")]
    check_keys(table, kind.keys + GRAPH_KEYS, where)
    return kind.parse(table, where)


def _graph(raw_layers, layers) -> tuple[tuple[tuple[int, ...], ...], tuple[str | None, ...]]:
    """The layers' names and the positions each reads (0: the network input), from their
    ``name`` and ``inputs`` keys; every layer's output must reach the last layer."""
    names: dict[str, int] = {INPUT_NAME: 0}
    graph, named = [], []
    for position, (table, spec) in enumerate(zip(raw_layers, layers), start=1):
        where = f"layers[{position}]"
        kind = LAYERS[spec.type]
        name = table.get("name")
        if name is not None:
            if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
                raise SpecError(f"{where}.name", "must be a letter followed by at most 39 letters, digits, _ "
                                                 f"or -, got {show_value(name)}")
            if name in names:
                what = "the network input" if name == INPUT_NAME else f"layers[{names[name]}]"
                raise SpecError(f"{where}.name", f"{name!r} already names {what}; choose another name")
        if "inputs" in table:
            reads = _inputs(table["inputs"], names, f"{where}.inputs")
        else:
            reads = (position - 1,)
        lo, hi = kind.min_inputs, kind.max_inputs
        if len(reads) < lo or (hi is not None and len(reads) > hi):
            want = f"exactly {lo}" if lo == hi else f"at least {lo}" if hi is None else f"{lo} to {hi}"
            how = (f'; give their names, e.g. inputs = ["{_example_name(names, position)}", "input"]'
                   if len(reads) < lo else "")
            raise SpecError(f"{where}.inputs", f"{spec.type} reads {want} input{'s' if lo != 1 else ''}, "
                                               f"got {len(reads)}{how}")
        if name is not None:
            names[name] = position
        graph.append(reads)
        named.append(name)
    read = {p for reads in graph for p in reads}
    for position in range(1, len(layers)):
        if position not in read:
            raise SpecError(f"layers[{position}]", "its output is read by no later layer, so it cannot reach the "
                                                   "cost; name it in a later layer's inputs, or remove it")
    return tuple(graph), tuple(named)


def _example_name(names: dict, position: int) -> str:
    return next((n for n, p in names.items() if p == position - 1 and n != INPUT_NAME), "name")


def _inputs(value: Any, names: dict, where: str) -> tuple[int, ...]:
    """A layer's ``inputs``: a list of earlier layers' names (or ``"input"``), each once."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        raise SpecError(where, f"must be a list of layer names such as [\"c1\", \"input\"], got {show_value(value)}")
    reads = []
    for k, item in enumerate(value):
        if not isinstance(item, str):
            raise SpecError(f"{where}[{k}]", f"must be a layer name (a string), got {show_value(item)}")
        if item not in names:
            known = ", ".join(names) if len(names) <= 12 else ", ".join(list(names)[:12]) + ", ..."
            raise SpecError(f"{where}[{k}]", f"{show_value(item)} names no earlier layer; known names: {known}")
        if names[item] in reads:
            raise SpecError(f"{where}[{k}]", f"{item!r} is read twice; give each input once")
        reads.append(names[item])
    return tuple(reads)


def _input_shape(shape: Any, layers) -> tuple[tuple[int, ...], int]:
    """``(one example's shape, N)`` from ``input.shape`` (N = 0 without a batch axis). The rank
    of a feature map is the one the first layer that reads feature maps needs (2 unless it is
    a 1-D layer): ``[C, H, W]``/``[N, C, H, W]`` or ``[C, L]``/``[N, C, L]``."""
    rank = next((LAYERS[layer.type].spatial for layer in layers if LAYERS[layer.type].spatial), 2)
    if rank == 1:
        axes = "[channels, length] or [batch, channels, length] (the network reads 1-D signals)"
    else:
        axes = "[channels, height, width] or [batch, channels, height, width]"
    if not isinstance(shape, list | tuple) or len(shape) not in (rank + 1, rank + 2):
        raise SpecError("input.shape", f"must be {axes}, got {show_value(shape)}")
    values = tuple(whole(v, f"input.shape[{k}]") for k, v in enumerate(shape))
    if len(values) == rank + 2:
        return values[1:], values[0]
    return values, 0


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


CLAIM_CHARS = 2000
"""Characters of one ``[[claims]]`` text at most."""


def _claims(value: Any) -> tuple[str, ...]:
    """The ``[[claims]]`` texts: tables with one key, ``text``, a single-line LaTeX claim as
    ``symconv check`` reads it (parsed against the network when the document is written)."""
    if not isinstance(value, list | tuple):
        raise SpecError("claims", "must be an array of tables, [[claims]] with text = '...'")
    texts = []
    for k, table in enumerate(value, start=1):
        where = f"claims[{k}]"
        check_keys(table, ("text",), where)
        text = table.get("text")
        if not isinstance(text, str) or not text.strip():
            raise SpecError(f"{where}.text", "missing or empty; write the claim, e.g. "
                                             "text = '\\frac{\\partial C}{\\partial w_1^1} = ...'")
        if len(text) > CLAIM_CHARS or any(ord(c) < 32 for c in text):
            raise SpecError(f"{where}.text", f"must be a single line of at most {CLAIM_CHARS} characters")
        texts.append(text.strip())
    return tuple(texts)


def spec_from_dict(data: Mapping[str, Any], name: str = "network") -> Spec:
    """Build and validate a :class:`Spec` from a dict shaped like the TOML format.

    Raises :class:`SpecError` naming the first bad key.
    """
    check_keys(data, ("title", "convention", "input", "layers", "cost", "notation", "claims"), "")
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
    raw_layers = data.get("layers")
    if not isinstance(raw_layers, list | tuple) or not raw_layers:
        raise SpecError("layers", "missing or empty; add at least one [[layers]] table")
    if len(raw_layers) > 50:
        raise SpecError("layers", f"at most 50 layers are supported, got {len(raw_layers)}")
    layers = tuple(_layer(t, f"layers[{k + 1}]") for k, t in enumerate(raw_layers))
    graph, names = _graph(raw_layers, layers)
    input_shape, batch = _input_shape(shape, layers)
    cost_table = data.get("cost", {})
    check_keys(cost_table, ("type", "reduction", "targets"), "cost")
    cost = Cost(type=choice(cost_table.get("type", "sse"), COSTS, "cost.type"),
                reduction=choice(cost_table.get("reduction", "sum"), REDUCTIONS, "cost.reduction"),
                targets=choice(cost_table.get("targets", "any"), TARGETS, "cost.targets"))
    if cost.targets == "one_hot" and cost.type != "cross_entropy":
        raise SpecError("cost.targets", f'"one_hot" (Σ_k y_k = 1) applies to cross_entropy only, not {cost.type}; '
                                        'remove it or set type = "cross_entropy"')
    notation = _notation(data.get("notation", {}))
    return Spec(
        name=name,
        title=title,
        input_shape=input_shape,
        layers=layers,
        cost=cost,
        convention=convention,
        notation=notation,
        batch=batch,
        graph=graph,
        names=names,
        claims=_claims(data.get("claims", [])),
    )


def load_spec(path: str | Path) -> Spec:
    """Read a TOML spec file; the spec's name is the file's stem.

    Raises :class:`SpecError` if the file is missing, is not TOML or holds a bad value.
    """
    if not isinstance(path, str | Path) or not str(path).strip():
        raise SpecError("source", f"give the path of a .toml spec; got {path!r}")
    if "\0" in str(path):
        raise SpecError("source", f"{str(path)!r} holds a NUL character; give the path of a .toml spec")
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
    data = parse_toml(text, str(path))
    return spec_from_dict(data, name=_safe_stem(path.stem))


def _safe_stem(stem: str) -> str:
    """The network's name from a spec file's stem: it names the output files and the TeX job, so
    it is written with ASCII letters, digits, ``-`` and ``_`` only (full-width and other
    compatibility letters as their ASCII forms, anything else as ``_``) and never starts with
    ``-`` (a TeX job named ``-x`` reads as an option)."""
    import unicodedata

    stem = unicodedata.normalize("NFKC", stem)
    cleaned = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_" else "_" for ch in stem)
    if cleaned.startswith("-"):
        cleaned = "_" + cleaned.lstrip("-")
    return cleaned[:100] or "network"


def example(name: str) -> Spec:
    """A built-in example spec by name (``"seed"``, ...). Raises :class:`SpecError` if unknown."""
    if not isinstance(name, str) or name not in EXAMPLES:
        raise SpecError("--example", f"unknown example {name!r}; choose one of {', '.join(EXAMPLES)}")
    return spec_from_dict(EXAMPLES[name], name=name)
