"""What every layer kind provides: the interface of the registry's rows, and the built layer.

A *layer kind* (``conv2d``, ``max_pool2d``, …) is one object, in one module of this package,
that knows everything about its kind, in the order the pipeline asks for it (in the spirit of
HIPS/autograd's VJP table and JAX's per-primitive rules):

=============================  =====================================================
Nothing outside :mod:`symconv.layers` branches on a layer type: stages ask the kind
(:func:`symconv.layers.kind_of`). Shapes are 0-based internally: ``(C, H, W)`` for feature
maps, ``(C, L)`` for 1-D signals, ``(C_out, C_in/groups, kh, kw)`` for kernels, ``(C_out,)`` for
biases, ``(n,)`` vectors.

**Graphs.** A layer reads one tensor (the previous layer's output by default) or, with
``inputs = ["name", …]`` in its table, any earlier layer's output or the network input
(``"input"``); ``add`` and ``concat`` read two or more. A built layer keeps every tensor it reads
in ``sources`` (``inputs`` is the first) and their positions in ``reads`` (0 for the network
input). Reverse accumulation sums over every definition that reads a symbol, so a tensor read by
several layers gets the sum of their contributions (the skip connection's two paths); each
reader's closed form for that input is one path (``ClosedForm.source`` says which of its inputs).

**Batches.** With ``input.shape = [N, C, H, W]`` every per-example tensor (the input, every
``z``, ``o``, δ, ∂C/∂o, the targets) has a leading axis of size N, and ``LayerNet.batch`` is N
(0 for an unbatched network, whose tensors have no batch axis; a batch of 1 keeps its axis).
Parameters (kernels, biases, γ, β) have none: they are shared by the examples. Kinds write their
rules for **one example**: :func:`examples` cuts a batched layer into per-example views (the same
symbols, the batch axis dropped), and the base class maps ``example_definitions`` and
``example_mistaken_partials`` over them and joins ``example_closed_forms``: a per-example tensor's
closed form is the examples' forms one after the other (row-major, example first); a parameter's
is their sum, element by element (the batch weight gradient is the sum over examples of the
per-example correlation). A kind whose outputs mix examples (batch norm: the batch mean) sets
:attr:`LayerKind.batched` and writes its rules for the whole batch itself.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import chain
from typing import Any, Mapping

from ..activations import activation_notation, rule_for
from ..dual import Kinks
from ..errors import SpecError
from ..notation import PARAMETER_ROLES, Namer
from ..ops import Definition, multilinear
from ..shapes import Pad2
from ..tensors import SymbolTable, SymTensor


@dataclass(frozen=True)
class LayerNet:
    """One layer of a built network, with its tensors.

    ``index`` is the 1-based position in the spec's ``layers``; ``spec`` the layer's spec
    (the frozen dataclass its kind parsed); ``inputs`` the (first) tensor the layer reads (the
    previous ``out`` unless the spec names others); ``weight`` its multiplicative parameters (a
    kernel, a dense matrix, batch norm's γ: the tensor's role says which), ``bias`` its additive
    ones (a bias, batch norm's β); ``pre`` the pre-activation ``z`` (None when the activation is
    the identity, or for layers whose output is ``out`` itself); ``out`` the layer output ``o``
    (activation); ``delta`` the tensor of δ = ∂C/∂z symbols (of ``out`` when ``pre`` is None);
    ``adjoint`` the ∂C/∂o symbols of a layer whose ``out`` is not the δ carrier; ``pad`` the
    resolved padding ``((top, bottom), (left, right))`` of a window op.

    ``sources``: every tensor the layer reads, in the order of the spec's ``inputs``
    (``(inputs,)`` for a one-input layer); ``reads``: their positions (0 the network input, k the
    output of layer k); ``batch``: N for a batched network (per-example tensors then have the
    leading axis N), 0 otherwise; ``intermediates``: named intermediates the layer defines before
    its carrier, each with the tensor of its ∂C/∂ symbols, in forward order (batch norm's mean,
    standard deviation and normalised input); ``constants``: scalar symbols its definitions read
    that are no one's output and have no gradient (batch norm's symbolic ε).
    """

    index: int
    spec: Any
    inputs: SymTensor
    out: SymTensor
    weight: SymTensor | None = None
    bias: SymTensor | None = None
    pre: SymTensor | None = None
    delta: SymTensor | None = None
    adjoint: SymTensor | None = None
    pad: Pad2 | None = None
    sources: tuple[SymTensor, ...] = ()
    reads: tuple[int, ...] = ()
    batch: int = 0
    intermediates: tuple[tuple[SymTensor, SymTensor], ...] = ()
    constants: tuple = ()

    def __post_init__(self):
        if not self.sources:
            object.__setattr__(self, "sources", (self.inputs,))
        if not self.reads:
            object.__setattr__(self, "reads", tuple(_position(t) for t in self.sources))

    @property
    def carrier(self) -> SymTensor:
        """The tensor whose definitions the layer's reads enter: ``pre`` when there is an
        activation, else ``out`` (the tensor δ is the gradient of)."""
        return self.pre if self.pre is not None else self.out

    def tensors(self) -> tuple[SymTensor, ...]:
        """Every tensor the layer creates: parameters, intermediates, ``pre``, ``out``."""
        own = [self.weight, self.bias, *(t for t, _ in self.intermediates), self.pre, self.out]
        return tuple(t for t in own if t is not None and t.layer == self.index)

    def upstreams(self) -> tuple[tuple[SymTensor, SymTensor], ...]:
        """``(tensor, its ∂C/∂ symbols)`` of every named tensor of the layer that has them:
        the carrier with δ, ``out`` with ∂C/∂o, the intermediates with theirs."""
        pairs = list(self.intermediates)
        if self.delta is not None:
            pairs.append((self.carrier, self.delta))
        if self.adjoint is not None:
            pairs.append((self.out, self.adjoint))
        return tuple(pairs)


def _position(t: SymTensor) -> int:
    """The position of the layer that made ``t`` (0 for the network input)."""
    return 0 if t.role == "input" else t.layer


def example_shape(t: SymTensor, batch: int) -> tuple[int, ...]:
    """The shape of one example of a per-example tensor (its batch axis dropped when batched)."""
    return t.shape[1:] if batch else t.shape


def example_tensor(table: SymbolTable, role: str, position: int, shape: tuple[int, ...], batch: int) -> SymTensor:
    """A new per-example tensor of ``shape`` per example: with the leading batch axis N when the
    network is batched (``batch`` = N > 0)."""
    return table.new_tensor(role, position, ((batch,) if batch else ()) + tuple(shape))


def example_slice(t: SymTensor | None, n: int) -> SymTensor | None:
    """Example ``n`` of a batched per-example tensor: the same symbols, the batch axis dropped."""
    if t is None:
        return None
    size = len(t) // t.shape[0]
    return SymTensor(t.role, t.layer, t.shape[1:], t.symbols[n * size:(n + 1) * size])


def examples(layer: LayerNet) -> list[LayerNet]:
    """Per-example views of a layer (``[layer]`` when unbatched): every per-example tensor cut to
    one example, parameters kept, ``batch`` 0. The symbols are the layer's own."""
    if not layer.batch:
        return [layer]
    views = []
    for n in range(layer.batch):
        cut = lambda t, n=n: example_slice(t, n)  # noqa: E731
        views.append(replace(
            layer, inputs=cut(layer.inputs), out=cut(layer.out), pre=cut(layer.pre), delta=cut(layer.delta),
            adjoint=cut(layer.adjoint), sources=tuple(cut(t) for t in layer.sources), batch=0,
            intermediates=tuple((cut(t), cut(a)) for t, a in layer.intermediates),
        ))
    return views


@dataclass(frozen=True)
class Context:
    """What a layer's rules need to know of the whole network: ``flip`` is True under
    ``convention = "convolution"`` (the kernel is flipped in the forward pass)."""

    flip: bool = False


@dataclass(frozen=True)
class PrintContext:
    """What a layer's printed formulas need: the document's :class:`~symconv.notation.Namer`
    (letters, style, index base), the convention, and the index variable names chosen so that
    no index letter collides with a tensor letter (``pos`` for output rows/columns, ``channel``
    for output channels, ``example`` for the example of a batch; :mod:`symconv.indices`)."""

    namer: Namer
    flip: bool
    pos: tuple[str, str]
    channel: str
    example: str = "s"

    @property
    def base(self) -> int:
        return self.namer.base

    @property
    def cost(self) -> str:
        return self.namer.latex_letter("cost")

    def grad(self, of: str) -> str:
        """``\\frac{\\partial C}{\\partial of}`` in the document's cost letter."""
        return rf"\frac{{\partial {self.cost}}}{{\partial {of}}}"

    def el(self, layer: LayerNet, role: str, at: int | None, subscripts) -> str:
        """A general element of a tensor of ``layer``'s network: ``role`` of layer ``at`` (0 or
        None for the network input) with the printed ``subscripts`` of one example, the example
        index put first when the network is batched and the tensor is per-example."""
        per_example = role not in PARAMETER_ROLES
        idx = ([self.example] if layer.batch and per_example else []) + list(subscripts)
        return self.namer.element_latex(role, at, idx)

    def source(self, layer: LayerNet, p: int = 0) -> tuple[str, int]:
        """``(role, layer)`` of the ``p``-th tensor ``layer`` reads, for :meth:`el` and
        :meth:`tensor`."""
        t = layer.sources[p]
        return t.role, (t.layer if t.role != "input" else 0)

    def tensor(self, layer: LayerNet, role: str, at: int | None, accent: str = "") -> str:
        """A whole tensor in a closed form: ``o^{1}`` (under ``accent``, e.g. ``\\tilde``), then
        ``[s]`` (example s) when the network is batched and the tensor per-example."""
        text = self.namer.tensor_latex(role, at)
        if accent:
            text = rf"{accent}{{{text}}}"
        return rf"{text}[{self.example}]" if layer.batch and role not in PARAMETER_ROLES else text

    def batch_sum(self, layer: LayerNet) -> str:
        """``\\sum_{s}`` over the examples of a batch ("" when unbatched): a parameter's gradient
        is the sum of its per-example gradients."""
        if not layer.batch:
            return ""
        return rf"\sum_{{{self.example}={self.base}}}^{{{layer.batch - 1 + self.base}}} "


@dataclass(frozen=True)
class Formulas:
    """A layer's general index formulas, as LaTeX in the document's notation (None: none).

    ``forward``: the defining sum of its outputs; ``weight``, ``input``, ``bias``: the gradient
    of the cost with respect to a general element of each; ``input_rhs`` the right-hand side
    of ``input`` alone, indexed by ``input_index`` (the previous layer's δ is written through
    it); ``note``/``weight_note``/``forward_note``: reading notes (which terms count).
    """

    forward: str | None = None
    weight: str | None = None
    input: str | None = None
    bias: str | None = None
    note: str = ""
    weight_note: str = ""
    forward_note: str = ""
    input_rhs: str | None = None
    input_index: tuple[str, ...] | None = None


class LayerKind:
    """One kind of layer (see the module docstring for its hooks). Subclasses set ``type`` and
    ``keys`` and implement the hooks; defaults say "nothing of this" (no closed forms, no index
    formulas, no mistaken forms)."""

    type: str = ""
    keys: tuple[str, ...] = ("type",)
    min_inputs: int = 1
    max_inputs: int | None = 1
    """How many tensors the layer reads (``max_inputs`` None: no upper bound)."""
    spatial: int | None = None
    """The rank of the feature maps it reads (2 for ``(C, H, W)``, 1 for ``(C, L)``); None when
    any will do. The first layer that has one says how ``input.shape`` is read."""
    batched: bool = False
    """True when its outputs mix the examples of a batch (batch norm): its ``example_*`` hooks
    then receive the whole batched layer, not per-example views."""
    reshape_only: bool = False
    """True for a layer that only renames its input's elements (flatten): no definitions, and its
    input's gradient is already the previous layer's output gradient."""
    mistake_modes: tuple[str, ...] = ()
    """The placement mistakes :meth:`mistaken_partials` knows for this kind (``"true"`` first:
    the exact partials); empty when none apply."""
    weighted: bool = False
    """True when its outputs read its input through weights (conv, dense): the third column of a
    receptive-field table then holds the weight involved, else the local partial."""

    # ----------------------------------------------------------------- spec and shapes
    def parse(self, table: Mapping[str, Any], where: str):
        """The layer's spec (a frozen dataclass with ``type``) from its TOML table, whose keys
        have been checked against :attr:`keys`. Raises :class:`SpecError` naming the key."""
        raise NotImplementedError

    def output_shape(self, spec, in_shape: tuple[int, ...], where: str) -> tuple[int, ...]:
        """The output shape of one example for an input example of ``in_shape``; raises
        :class:`SpecError` naming ``where`` (``layers[k]``) when the input cannot be read."""
        raise NotImplementedError

    def output_shape_of(self, spec, in_shapes: tuple[tuple[int, ...], ...], where: str,
                        batch: int = 0) -> tuple[int, ...]:
        """The output shape of one example from the per-example shapes of every tensor the layer
        reads (in ``inputs`` order) and the batch size N (0: unbatched); by default
        :meth:`output_shape` of the one input."""
        return self.output_shape(spec, in_shapes[0], where)

    def estimate(self, spec, in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> int:
        """Product terms of the chain-rule sums this layer adds for one example (the unit of the
        size guard), for an input of ``in_shape`` (its output is ``out_shape``)."""
        return 0

    def parameters(self, spec, in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> int:
        """How many parameter symbols (kernel, weights, biases, γ, β) the layer creates, for an
        input of ``in_shape`` (a budget of :mod:`symconv.size`; shared by a batch's examples)."""
        return 0

    def estimate_of(self, spec, in_shapes: tuple[tuple[int, ...], ...], out_shape: tuple[int, ...],
                    batch: int = 0) -> int:
        """Product terms for the whole batch: :meth:`estimate` of the first input, times N."""
        return max(batch, 1) * self.estimate(spec, in_shapes[0], out_shape)

    # ----------------------------------------------------------------- network and forward
    def build(self, spec, position: int, sources: tuple[SymTensor, ...], table: SymbolTable, where: str,
              batch: int = 0) -> LayerNet:
        """Create the layer's tensors (fresh symbols in ``table``); ``sources`` are the tensors it
        reads, in ``inputs`` order; ``batch`` is N (0: unbatched). Per-example tensors are made
        with :func:`example_tensor`. This default serves a layer without parameters that reads
        one tensor: its output o (shape :meth:`output_shape`) and the adjoint ∂C/∂o."""
        return self.map_layer(spec, position, sources, table, where, batch)

    def map_layer(self, spec, position: int, sources, table: SymbolTable, where: str, batch: int,
                  **extra) -> LayerNet:
        """A parameter-free layer reading ``sources[0]``: output o and adjoint ∂C/∂o of
        :meth:`output_shape`; ``extra`` goes to :class:`LayerNet` (e.g. ``pad``)."""
        inputs = sources[0]
        shape = self.output_shape(spec, example_shape(inputs, batch), where)
        out = example_tensor(table, "activation", position, shape, batch)
        adjoint = example_tensor(table, "adjoint", position, shape, batch)
        return LayerNet(position, spec, inputs, out, adjoint=adjoint, batch=batch, **extra)

    def example_definitions(self, layer: LayerNet, ctx: Context) -> list[Definition]:
        """Exact definitions of one example's outputs with their local partials, row-major
        (of the whole batch when :attr:`batched`)."""
        return []

    def definitions(self, layer: LayerNet, ctx: Context) -> list[Definition]:
        """Every definition of the layer: :meth:`example_definitions` of each example in turn."""
        return [d for ex in self._views(layer) for d in self.example_definitions(ex, ctx)]

    # ----------------------------------------------------------------- derivation
    def example_closed_forms(self, layer: LayerNet, ctx: Context) -> list:
        """Closed forms (:class:`~symconv.identities.ClosedForm`) of one example's gradients
        (of the whole batch when :attr:`batched`); the same kinds, in the same order, for every
        example."""
        return []

    def closed_forms(self, layer: LayerNet, ctx: Context) -> list:
        """Closed forms of the layer's gradients for the whole batch: per-example forms joined
        (see the module docstring)."""
        views = self._views(layer)
        per = [self.example_closed_forms(ex, ctx) for ex in views]
        if len(per) == 1:
            return per[0]
        joined = []
        for forms in zip(*per):
            first = forms[0]
            if first.tensor == "input":  # per-example: one example after the other
                values = tuple(chain.from_iterable(f.values for f in forms))
            else:  # a parameter shared by the examples: the sum of their gradients
                values = tuple(tuple(chain.from_iterable(f.values[k] for f in forms))
                               for k in range(len(first.values)))
            joined.append(replace(first, values=values))
        return joined

    def _views(self, layer: LayerNet) -> list[LayerNet]:
        return [layer] if self.batched else examples(layer)

    def summary(self, layer: LayerNet) -> dict:
        """The layer's settings as ``{name: value}`` for the document's network section (shapes
        of one example)."""
        info = {"type": layer.spec.type, "input shape": example_shape(layer.inputs, layer.batch),
                "output shape": example_shape(layer.out, layer.batch)}
        if layer.reads != (layer.index - 1,):
            info["reads"] = ", ".join("the input" if p == 0 else f"layer {p}" for p in layer.reads)
        return info

    # ----------------------------------------------------------------- rendering
    def closed_parts(self, layer: LayerNet, kind: str, pc: PrintContext, source: int = 0) -> tuple[str, str]:
        """The closed form ``kind`` (one of this layer's :meth:`closed_forms`) in LaTeX, as its
        two sides ``(∂C/∂tensor, right-hand side)``; ``source``: which input, for an input form."""
        raise ValueError(f"{self.type} has no closed form {kind!r}")

    def closed_statement(self, layer: LayerNet, kind: str, pc: PrintContext, source: int = 0) -> str:
        """The closed form ``kind`` as one equation ``lhs = rhs`` (:meth:`closed_parts`)."""
        lhs, rhs = self.closed_parts(layer, kind, pc, source)
        return f"{lhs} = {rhs}"

    def formulas(self, layer: LayerNet, pc: PrintContext, source: int = 0) -> Formulas:
        """General index formulas in the document's notation; ``input``, ``input_rhs`` and
        ``note`` are those of the ``source``-th input."""
        return Formulas()

    def legend(self, layer: LayerNet, pc: PrintContext) -> list[tuple[str, str]]:
        """Rows ``(LaTeX, meaning)`` this layer adds to the document's legend."""
        return []

    def notation(self, layer: LayerNet, pc: PrintContext) -> list[tuple[str, str, str]]:
        """Rows ``(symbol, meaning in words, defining index formula)`` of the operators and
        decorations this layer's printed formulas use (the document's Notation section; the
        formula is LaTeX, "" when the words suffice). By default: its legend rows, then its
        activation function's."""
        return [(sym, meaning, "") for sym, meaning in self.legend(layer, pc)] + activation_rows(layer)


    def reshape(self, layer: LayerNet, pc: PrintContext) -> dict | None:
        """For a reshape-only kind (:attr:`reshape_only`): how its output names its input's
        elements, for the forward pass (``{"source", "shape", "size", "position", "element"}``:
        element ``position`` of the output is ``element`` of ``source``); None otherwise."""
        return None

    def activation_convention(self, layer: LayerNet) -> str:
        """A sentence (LaTeX) stating the layer's activation's kink convention, or ""."""
        act = getattr(layer.spec, "activation", None)
        return rule_for(act).convention if act is not None else ""

    # ----------------------------------------------------------------- independent certificate
    def kinks(self, layer: LayerNet) -> dict:
        """``{output symbol: Kinks}``: the derivative each output's definition takes at a kink (a
        tie of a max, a piecewise boundary), stated by the spec, for forward-mode differentiation
        (:mod:`symconv.independent`). By default the activation's f'(0) at z = 0, if it has a kink."""
        if layer.pre is None:
            return {}
        h = rule_for(layer.spec.activation).at_kink
        if h is None:
            return {}
        return {o: Kinks(zero=h, arg=z) for z, o in zip(layer.pre.symbols, layer.out.symbols)}

    # ----------------------------------------------------------------- check
    def example_mistaken_partials(self, layer: LayerNet, mode: str, ctx: Context) -> dict | None:
        """``{output: [(symbol, partial), …]}`` of one example under a known placement mistake
        ``mode`` (see :mod:`symconv.check`), or None when the mistake does not apply to this kind."""
        return None

    def mistaken_partials(self, layer: LayerNet, mode: str, ctx: Context) -> dict | None:
        """:meth:`example_mistaken_partials` of every example, merged."""
        merged: dict = {}
        for ex in self._views(layer):
            part = self.example_mistaken_partials(ex, mode, ctx)
            if part is None:
                return None
            merged.update(part)
        return merged


# ----------------------------------------------------------------------------- shared by kinds

def activated_outputs(table: SymbolTable, position: int, spec, inputs: SymTensor, shape: tuple[int, ...],
                      weight: SymTensor | None, bias: SymTensor | None, pad: Pad2 | None, batch: int = 0,
                      sources: tuple[SymTensor, ...] = ()) -> LayerNet:
    """The output tensors of a layer that ends in ``spec.activation``: ``o`` and δ, plus ``z``
    and ∂C/∂o when the activation is not the identity (``shape``: one example's)."""
    def new(role):
        return example_tensor(table, role, position, shape, batch)

    if spec.activation.kind == "identity":
        out, delta = new("activation"), new("delta")
        return LayerNet(position, spec, inputs, out, weight, bias, None, delta, None, pad, sources, batch=batch)
    pre, out, delta, adjoint = new("pre_activation"), new("activation"), new("delta"), new("adjoint")
    return LayerNet(position, spec, inputs, out, weight, bias, pre, delta, adjoint, pad, sources, batch=batch)


def linear_then_activation(layer: LayerNet, terms, biases, rule: str) -> list[Definition]:
    """Definitions ``z = Σ terms + b`` (multilinear, ``rule``) of every carrier element, then
    ``a = f(z)`` when the layer has an activation."""
    carriers = layer.carrier
    defs = [multilinear(t, ts, b, rule) for t, ts, b in zip(carriers.symbols, terms, biases)]
    return defs + activation_definitions(layer)


def activation_definitions(layer: LayerNet) -> list[Definition]:
    """``a = f(z)`` for every element when the layer has an activation (else none)."""
    if layer.pre is None:
        return []
    act = rule_for(layer.spec.activation)
    return [Definition(o, act.value(z), ((z, act.derivative(z)),), act.name)
            for z, o in zip(layer.pre.symbols, layer.out.symbols)]


def example_index(layer: LayerNet, pc: PrintContext, index: tuple[str, ...]) -> tuple[str, ...]:
    """A per-example tensor's printed index: ``index``, the example's first when batched."""
    return ((pc.example,) if layer.batch else ()) + tuple(index)


def general_index(shape: tuple[int, ...]) -> tuple[str, ...]:
    """Index letters of a general element of one example of ``shape``: ``(c, u, v)`` for a
    feature map, ``(c, u)`` for a 1-D signal, ``(c,)`` for a vector."""
    return ("c", "u", "v")[:len(shape)]


def bias_parts(layer: LayerNet, pc: PrintContext, positions: tuple[str, ...] | None = None) -> tuple[str, str]:
    """The bias closed form ``∂C/∂b_o = Σ_{i,j} δ_{o,i,j}`` (``δ_o`` for a vector layer; summed
    over the examples too when batched), with the document's index letters (never a tensor
    letter: :mod:`symconv.indices`). ``positions``: how many output position variables there are
    is read from the layer; the letters are the document's (``pc.pos``)."""
    b = pc.namer.tensor_latex("bias", layer.index)
    delta = pc.namer.tensor_latex("delta", layer.index)
    o = pc.channel
    rank = len(example_shape(layer.out, layer.batch)) - 1 if positions is None else len(positions)
    spatial = list(pc.pos[:rank])
    over = ([pc.example] if layer.batch else []) + spatial
    idx = ([pc.example] if layer.batch else []) + [o] + spatial
    total = rf"\sum_{{{','.join(over)}}} " if over else ""
    return pc.grad(f"{b}_{{{o}}}"), rf"{total}{delta}_{{{','.join(idx)}}}"


def feature_map(in_shape: tuple[int, ...], type_name: str, where: str) -> tuple[int, int, int]:
    """``in_shape`` as ``(C, H, W)``; :class:`SpecError` when it is a vector (after flatten or
    dense) or a 1-D signal."""
    if len(in_shape) != 3:
        what = "it follows flatten/dense" if len(in_shape) == 1 else "the input is a 1-D signal (C, L)"
        raise SpecError(f"{where}.type", f"{type_name} needs a (C, H, W) feature map, but {what}")
    return in_shape  # type: ignore[return-value]


def signal(in_shape: tuple[int, ...], type_name: str, where: str) -> tuple[int, int]:
    """``in_shape`` as a 1-D signal ``(C, L)``; :class:`SpecError` when it is a vector (after
    flatten or dense) or a 2-D feature map."""
    if len(in_shape) != 2:
        what = "it follows flatten/dense" if len(in_shape) == 1 else "the input is a (C, H, W) feature map"
        raise SpecError(f"{where}.type", f"{type_name} needs a (C, L) signal, but {what}")
    return in_shape  # type: ignore[return-value]


def activation_rows(layer: LayerNet) -> list[tuple[str, str, str]]:
    """Notation rows of the layer's activation function (none for identity)."""
    act = getattr(layer.spec, "activation", None)
    return activation_notation(act) if act is not None and layer.pre is not None else []
