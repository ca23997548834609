"""From a spec to a network: every layer's shapes and symbolic tensors, validated.

Each layer is built by its kind (:mod:`symconv.layers`); shapes are 0-based internally and given
as ``(C, H, W)`` for feature maps, ``(C_out, C_in/groups, kh, kw)`` for kernels, ``(C_out,)``
for biases, ``(n,)`` for vectors. A shape error raises :class:`~symconv.errors.SpecError` naming
the layer's key.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .errors import SpecError
from .gcpause import gc_paused
from .layers import LayerNet, kind_of
from .notation import Namer
from .spec import Spec
from .tensors import SymbolTable, SymTensor

__all__ = ["LayerNet", "Network", "build_network"]


@dataclass(frozen=True)
class Network:
    """The whole network: input ``(C, H, W)`` (``(N, C, H, W)`` for a batch; ``(C, L)`` 1-D),
    layers, targets ``(n,)`` (``(N, n)`` for a batch: n the outputs of one example) and cost
    symbol. ``layers[k].reads`` say which tensors each layer reads (a chain by default)."""

    spec: Spec
    table: SymbolTable
    input: SymTensor
    layers: tuple[LayerNet, ...]
    targets: SymTensor
    cost: object  # sympy.Symbol
    probabilities: SymTensor | None = None
    """p = softmax(o) of the last layer's outputs, per example (shape of ``targets``), under a
    cross-entropy cost (None otherwise): named for the document and the cost's partials."""

    @property
    def output(self) -> SymTensor:
        return self.layers[-1].out

    @property
    def batch(self) -> int:
        """N for a batched network (tensors have a leading batch axis), 0 otherwise."""
        return self.spec.batch

    def readers(self) -> tuple[dict[tuple, list[tuple[LayerNet, int]]], dict[tuple[int, int], tuple]]:
        """Who reads what: ``({tensor key: [(layer, input position), …]}, {(layer index, input
        position): tensor key})``, readers in layer order, keys by :func:`tensor_key`. A
        reshape-only layer (flatten) is looked through: the layers that read its output read
        its input's elements (under the key of the tensor it reshapes)."""
        found: dict[tuple, list[tuple[LayerNet, int]]] = {}
        keys: dict[tuple[int, int], tuple] = {}
        renamed: dict[tuple, tuple] = {}  # a reshape-only layer's output -> the tensor it renames
        for layer in self.layers:
            if kind_of(layer).reshape_only:
                source = tensor_key(layer.inputs)
                renamed[tensor_key(layer.out)] = renamed.get(source, source)
                continue
            for p, t in enumerate(layer.sources):
                key = tensor_key(t)
                key = keys[(layer.index, p)] = renamed.get(key, key)
                found.setdefault(key, []).append((layer, p))
        return found, keys


def tensor_key(t: SymTensor) -> tuple:
    """A key naming a tensor: its role, layer and shape (a reshape-only layer's output, a view
    of its input's symbols, has its input's role and layer and its own shape)."""
    return (t.role, t.layer, t.shape)

@gc_paused
def build_network(spec: Spec) -> Network:
    """Create all symbols and check every layer's shapes (each layer by its kind).

    Raises :class:`SpecError` for: a kernel larger than the padded input, input channels not
    divisible by ``groups``, a dense layer reading a feature map (flatten first), pooling or
    convolution after flatten, a network with no parameters, a cross-entropy cost on one output,
    and colliding symbol names.
    """
    table = SymbolTable(Namer(spec.notation))
    batch = spec.batch
    x = table.new_tensor("input", 0, ((batch,) if batch else ()) + tuple(spec.input_shape))
    made = [x]  # the output of every position (0: the network input)
    layers: list[LayerNet] = []
    for position, (layer, reads) in enumerate(zip(spec.layers, spec.graph), start=1):
        sources = tuple(made[p] for p in reads)
        built = kind_of(layer).build(layer, position, sources, table, f"layers[{position}]", batch)
        layers.append(replace(built, reads=tuple(reads)))
        made.append(layers[-1].out)
    current = made[-1]
    if all(kind_of(layer).reshape_only for layer in spec.layers):
        only = ", ".join(sorted({layer.type for layer in spec.layers}))
        raise SpecError("layers", f"a network of only {only} has no parameters; add a layer with weights")
    per_example = len(current) // max(batch, 1)
    if spec.cost.type == "cross_entropy" and per_example < 2:
        raise SpecError(
            "cost.type",
            "cross_entropy needs at least 2 outputs (the softmax of one output is 1, so every "
            "gradient would be 0); use bce for a single output",
        )
    targets = table.new_tensor("target", None, ((batch,) if batch else ()) + (per_example,))
    probabilities = (table.new_tensor("probability", None, targets.shape)
                     if spec.cost.type == "cross_entropy" else None)
    cost = table.scalar("cost")
    return Network(spec, table, x, tuple(layers), targets, cost, probabilities)
