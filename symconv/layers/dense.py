"""``dense``: a fully connected layer ``z = W a + b``, ``o = f(z)``, on a vector input.

Shapes: input ``(n_in,)`` (flatten a feature map first), weight ``(out_features, n_in)``, bias
and output ``(out_features,)``. Closed forms (Goodfellow, Bengio & Courville, *Deep Learning*,
§6.5.4): ``∂C/∂W = δ aᵀ``, ``∂C/∂a = Wᵀ δ``, ``∂C/∂b = δ``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import sympy

from ..activations import ACTIVATION_KEYS, Activation, parse_activation
from ..errors import SpecError
from ..fields import flag, whole
from ..identities import ClosedForm
from ..indices import range_sum
from ..ops import Term
from ..tensors import SymbolTable, SymTensor
from .base import (
    Context, Formulas, LayerKind, LayerNet, PrintContext, activated_outputs, bias_parts, example_index, example_shape,
    linear_then_activation,
)


@dataclass(frozen=True)
class Dense:
    """A fully connected layer: ``z = W a + b``; weight ``(out_features, in_features)``."""

    out_features: int = 1
    bias: bool = False
    activation: Activation = Activation()
    type: str = "dense"


class DenseKind(LayerKind):
    """The ``dense`` layer kind."""

    type = "dense"
    keys = ("type", "out_features", "bias") + ACTIVATION_KEYS
    weighted = True

    def parse(self, table: Mapping[str, Any], where: str) -> Dense:
        return Dense(
            out_features=whole(table.get("out_features", 1), f"{where}.out_features"),
            bias=flag(table.get("bias", False), f"{where}.bias"),
            activation=parse_activation(table, where),
        )

    def output_shape(self, spec: Dense, in_shape, where):
        if len(in_shape) != 1:
            raise SpecError(f"{where}.type", "a dense layer needs a vector; add a flatten layer before it")
        return (spec.out_features,)

    def estimate(self, spec: Dense, in_shape, out_shape) -> int:
        """Each output reads every input through one weight: one term each in the weight's and
        the input's gradient, plus one in the bias's."""
        return spec.out_features * (2 * in_shape[0] + int(spec.bias))

    def parameters(self, spec: Dense, in_shape, out_shape) -> int:
        """The weight matrix ``(out_features, in_features)`` and the bias ``(out_features,)``."""
        return spec.out_features * (in_shape[0] + int(spec.bias))

    def build(self, spec: Dense, position: int, sources, table: SymbolTable, where: str, batch: int = 0) -> LayerNet:
        inputs = sources[0]
        in_shape = example_shape(inputs, batch)
        shape = self.output_shape(spec, in_shape, where)
        weight = table.new_tensor("weight", position, (spec.out_features, in_shape[0]))
        bias = table.new_tensor("bias", position, shape) if spec.bias else None
        return activated_outputs(table, position, spec, inputs, shape, weight, bias, None, batch)

    def example_definitions(self, layer: LayerNet, ctx: Context):
        spec = layer.spec
        one = sympy.Integer(1)
        terms = [
            [Term(one, layer.weight.at(r, c), v) for c, v in enumerate(layer.inputs.symbols)]
            for r in range(spec.out_features)
        ]
        biases = [layer.bias.symbols[r] if layer.bias else None for r in range(spec.out_features)]
        return linear_then_activation(layer, terms, biases, "dense")

    def example_closed_forms(self, layer: LayerNet, ctx: Context) -> list[ClosedForm]:
        """``∂C/∂W = δ aᵀ``, ``∂C/∂a = Wᵀ δ``, ``∂C/∂b = δ``."""
        a = layer.inputs.symbols
        delta = layer.delta.symbols
        n_out = layer.spec.out_features
        weight = tuple(((delta[r], a[c]),) for r in range(n_out) for c in range(len(a)))
        inputs = tuple(tuple((layer.weight.at(r, c), delta[r]) for r in range(n_out)) for c in range(len(a)))
        forms = [ClosedForm("dense_weight", "weight", weight), ClosedForm("dense_input", "input", inputs)]
        if layer.bias is not None:
            forms.append(ClosedForm("bias", "bias", tuple(((d, None),) for d in delta)))
        return forms

    def summary(self, layer: LayerNet) -> dict:
        spec = layer.spec
        return super().summary(layer) | dict(bias=spec.bias, activation=spec.activation.kind)

    def closed_parts(self, layer: LayerNet, kind: str, pc: PrintContext, source: int = 0) -> tuple[str, str]:
        nm = pc.namer
        in_role, in_layer = pc.source(layer)
        a = pc.tensor(layer, in_role, in_layer)
        w = nm.tensor_latex("weight", layer.index)
        delta = pc.tensor(layer, "delta", layer.index)
        if kind == "dense_weight":
            return pc.grad(w), rf"{pc.batch_sum(layer)}{delta} \, ({a})^{{\top}}"
        if kind == "dense_input":
            return pc.grad(a), rf"({w})^{{\top}} {delta}"
        if kind == "bias":
            return bias_parts(layer, pc)
        return super().closed_parts(layer, kind, pc, source)

    def notation(self, layer: LayerNet, pc: PrintContext) -> list[tuple[str, str, str]]:
        """The transpose its closed forms use (placeholder matrix A)."""
        return [(r"A^{\top}", "the transpose of A (a vector: a row)", r"(A^{\top})_{m,n} = A_{n,m}")] + \
            super().notation(layer, pc)

    def formulas(self, layer: LayerNet, pc: PrintContext, source: int = 0) -> Formulas:
        nm, b = pc.namer, pc.base
        li = layer.index
        in_role, in_layer = pc.source(layer)
        carrier_role = "pre_activation" if layer.pre is not None else "activation"
        n_out, n_in = layer.weight.shape
        W = nm.element_latex("weight", li, ["r", "c"])
        x = pc.el(layer, in_role, in_layer, ["c"])
        z = pc.el(layer, carrier_role, li, ["r"])
        d = pc.el(layer, "delta", li, ["r"])
        over = pc.batch_sum(layer)
        bias = " + " + nm.element_latex("bias", li, ["r"]) if layer.bias is not None else ""
        input_rhs = rf"{range_sum('r', n_out, b)} {W} \, {d}"
        return Formulas(
            forward=rf"{z} = {range_sum('c', n_in, b)} {W} \, {x}{bias}",
            weight=rf"{pc.grad(W)} = {over}{d} \, {x}",
            input=rf"{pc.grad(x)} = " + input_rhs,
            bias=rf"{pc.grad(nm.element_latex('bias', li, ['r']))} = {over}{d}" if layer.bias is not None else None,
            input_rhs=input_rhs,
            input_index=example_index(layer, pc, ("c",)),
        )


KIND = DenseKind()
