"""What every layer kind provides: the interface of the registry's rows, and the built layer.

A *layer kind* (``conv2d``, ``max_pool2d``, …) is one object, in one module of this package,
that knows everything about its kind, in the order the pipeline asks for it (in the spirit of
HIPS/autograd's VJP table and JAX's per-primitive rules):

==========================  ===============================================================
hook                        stage and meaning
==========================  ===============================================================
``keys``, ``parse``         spec: the TOML keys it takes and their validation
``output_shape``            spec/network: shape arithmetic, refusing impossible shapes
``estimate``                size guard: product terms of its chain-rule sums
``build``                   network: its symbolic tensors (:class:`LayerNet`)
``definitions``             forward: exact definitions of its outputs with local partials
``closed_forms``            derivation: tensor-level closed forms, certified element-wise
``closed_statement``        rendering: a closed form stated in the document's notation
``formulas``                rendering: its general index formulas (:class:`Formulas`)
``summary``, ``legend``     rendering: its settings, and the notation it adds
``kinks``                   independent certificate: the derivative its outputs take at a kink
``mistaken_partials``       check: partials under a known mistake (None: none apply)
==========================  ===============================================================

Nothing outside :mod:`symconv.layers` branches on a layer type: stages ask the kind
(:func:`symconv.layers.kind_of`). Shapes are 0-based internally: ``(C, H, W)`` for feature
maps, ``(C_out, C_in/groups, kh, kw)`` for kernels, ``(C_out,)`` for biases, ``(n,)`` vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..activations import rule_for
from ..dual import Kinks
from ..errors import SpecError
from ..notation import Namer
from ..ops import Definition, multilinear
from ..shapes import Pad2
from ..tensors import SymbolTable, SymTensor


@dataclass(frozen=True)
class LayerNet:
    """One layer of a built network, with its tensors.

    ``index`` is the 1-based position in the spec's ``layers``; ``spec`` the layer's spec
    (the frozen dataclass its kind parsed); ``inputs`` the tensor the layer reads (the previous
    ``out``); ``pre`` the pre-activation ``z`` (None when the activation is the identity, or for
    layers whose output is ``out`` itself); ``out`` the layer output ``o`` (activation);
    ``delta`` the tensor of δ = ∂C/∂z symbols (of ``out`` when ``pre`` is None); ``adjoint`` the
    ∂C/∂o symbols of a layer whose ``out`` is not the δ carrier; ``pad`` the resolved padding
    ``((top, bottom), (left, right))`` of a window op.
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

    @property
    def carrier(self) -> SymTensor:
        """The tensor whose definitions the layer's reads enter: ``pre`` when there is an
        activation, else ``out`` (the tensor δ is the gradient of)."""
        return self.pre if self.pre is not None else self.out


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
    for output channels; :mod:`symconv.indices`)."""

    namer: Namer
    flip: bool
    pos: tuple[str, str]
    channel: str

    @property
    def base(self) -> int:
        return self.namer.base

    @property
    def cost(self) -> str:
        return self.namer.latex_letter("cost")

    def grad(self, of: str) -> str:
        """``\\frac{\\partial C}{\\partial of}`` in the document's cost letter."""
        return rf"\frac{{\partial {self.cost}}}{{\partial {of}}}"


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
        """The output shape for an input of ``in_shape``; raises :class:`SpecError` naming
        ``where`` (``layers[k]``) when the input cannot be read by this layer."""
        raise NotImplementedError

    def estimate(self, spec, in_shape: tuple[int, ...], out_shape: tuple[int, ...]) -> int:
        """Product terms of the chain-rule sums this layer adds (the unit of the size guard),
        for an input of ``in_shape`` (its output is ``out_shape``, from :meth:`output_shape`)."""
        return 0

    # ----------------------------------------------------------------- network and forward
    def build(self, spec, position: int, inputs: SymTensor, table: SymbolTable, where: str) -> LayerNet:
        """Create the layer's tensors (fresh symbols in ``table``)."""
        raise NotImplementedError

    def definitions(self, layer: LayerNet, ctx: Context) -> list[Definition]:
        """Exact definitions of the layer's outputs with their local partials, row-major."""
        return []

    # ----------------------------------------------------------------- derivation
    def closed_forms(self, layer: LayerNet, ctx: Context) -> list:
        """Closed forms (:class:`~symconv.identities.ClosedForm`) of its tensors' gradients."""
        return []

    def summary(self, layer: LayerNet) -> dict:
        """The layer's settings as ``{name: value}`` for the document's network section."""
        return {"type": layer.spec.type, "input shape": layer.inputs.shape, "output shape": layer.out.shape}

    # ----------------------------------------------------------------- rendering
    def closed_statement(self, layer: LayerNet, kind: str, pc: PrintContext) -> str:
        """The closed form ``kind`` (one of this layer's :meth:`closed_forms`) in LaTeX."""
        raise ValueError(f"{self.type} has no closed form {kind!r}")

    def formulas(self, layer: LayerNet, pc: PrintContext) -> Formulas:
        """General index formulas in the document's notation."""
        return Formulas()

    def legend(self, layer: LayerNet, pc: PrintContext) -> list[tuple[str, str]]:
        """Rows ``(LaTeX, meaning)`` this layer adds to the document's legend."""
        return []

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
    def mistaken_partials(self, layer: LayerNet, mode: str, ctx: Context) -> dict | None:
        """``{output: [(symbol, partial), …]}`` under a known placement mistake ``mode``
        (see :mod:`symconv.check`), or None when the mistake does not apply to this kind."""
        return None


# ----------------------------------------------------------------------------- shared by kinds

def activated_outputs(table: SymbolTable, position: int, spec, inputs: SymTensor, shape: tuple[int, ...],
                      weight: SymTensor | None, bias: SymTensor | None, pad: Pad2 | None) -> LayerNet:
    """The output tensors of a layer that ends in ``spec.activation``: ``o`` and δ, plus ``z``
    and ∂C/∂o when the activation is not the identity."""
    if spec.activation.kind == "identity":
        out = table.new_tensor("activation", position, shape)
        delta = table.new_tensor("delta", position, shape)
        return LayerNet(position, spec, inputs, out, weight, bias, None, delta, None, pad)
    pre = table.new_tensor("pre_activation", position, shape)
    out = table.new_tensor("activation", position, shape)
    delta = table.new_tensor("delta", position, shape)
    adjoint = table.new_tensor("adjoint", position, shape)
    return LayerNet(position, spec, inputs, out, weight, bias, pre, delta, adjoint, pad)


def linear_then_activation(layer: LayerNet, terms, biases, rule: str) -> list[Definition]:
    """Definitions ``z = Σ terms + b`` (multilinear, ``rule``) of every carrier element, then
    ``a = f(z)`` when the layer has an activation."""
    carriers = layer.carrier
    defs = [multilinear(t, ts, b, rule) for t, ts, b in zip(carriers.symbols, terms, biases)]
    if layer.pre is None:
        return defs
    act = rule_for(layer.spec.activation)
    for z, o in zip(layer.pre.symbols, layer.out.symbols):
        defs.append(Definition(o, act.value(z), ((z, act.derivative(z)),), act.name))
    return defs


def feature_map(in_shape: tuple[int, ...], type_name: str, where: str) -> tuple[int, int, int]:
    """``in_shape`` as ``(C, H, W)``; :class:`SpecError` when it is a vector (after flatten or
    dense)."""
    if len(in_shape) != 3:
        raise SpecError(f"{where}.type", f"{type_name} needs a (C, H, W) feature map, but it follows flatten/dense")
    return in_shape  # type: ignore[return-value]
