"""General statements of a derivation, in the document's notation: the closed form of each
tensor's gradient, its general index formula (Σ over positions), the general δ of each layer
(from the cost, or through the input-gradient formulas of the layers that read its output),
the elided cost definition and the note on how the general formulas' indices are read.

This is the mathematics a document states; rendering (:mod:`symconv.render`) receives the
strings printed here and lays them out, it computes none of them. Indices are as the
document's :class:`~symconv.notation.Namer` prints them (1-based flat ``k`` in the seed style,
row-major; ``(c, u, v)`` grid indices from the namer's base otherwise). Formulas come from the
layer kinds (:meth:`~symconv.layers.LayerKind.formulas`, ``closed_statement``,
``closed_parts``) and the cost's summand (:func:`symconv.costs.summand`); nothing raises for a
well-formed network.
"""

from __future__ import annotations

import sympy

from .costs import _summand, reduction_scale, summand, summand_template
from .indices import channel_var, example_var, position_vars
from .latex import NotationPrinter
from .layers import Context, Formulas, PrintContext, kind_of

_FORMULA_KEYS = {"weight": "weight", "gamma": "weight", "bias": "bias", "beta": "bias"}


def print_context(network) -> PrintContext:
    """The :class:`~symconv.layers.PrintContext` of ``network``'s document (its namer, its
    convention, index letters that collide with no tensor letter)."""
    namer = network.table.namer
    letters = set(namer.letters.values())
    if network.probabilities is None:  # the softmax's letter is used only with a cross-entropy cost
        letters.discard(namer.letters["probability"])
    return PrintContext(namer, network.spec.convention == "convolution", position_vars(namer, letters),
                        channel_var(namer, letters), example_var(namer, letters))


class Statements:
    """The general statements of one network's document (see the module docstring).

    ``network``: a built :class:`~symconv.network.Network`. Layers are addressed by their
    1-based index; a tensor's readers are ``(layer index, input position)`` pairs."""

    def __init__(self, network):
        self.network = network
        self.table = network.table
        self.namer = network.table.namer
        self.pc = print_context(network)
        self._forms: dict = {}

    # ------------------------------------------------------------------ per layer kind

    def forms_of(self, layer) -> list:
        """The layer's closed forms (computed once per layer)."""
        if layer.index not in self._forms:
            self._forms[layer.index] = kind_of(layer).closed_forms(layer, Context(flip=self.pc.flip))
        return self._forms[layer.index]

    def layer_formulas(self, layer, source: int = 0) -> Formulas:
        """General index formulas of one layer, from its kind, in the document's notation
        (``source``: which of its inputs the input-gradient formula is of)."""
        return kind_of(layer).formulas(layer, self.pc, source)

    def closed_statement(self, kind: str, layer_index: int, source: int = 0) -> str:
        """The general closed form of a tensor's gradient, in the document's notation (stated by
        the kind of the layer it belongs to, or that reads it: ``source`` is which of its inputs)."""
        layer = self.network.layers[layer_index - 1]
        return kind_of(layer).closed_statement(layer, kind, self.pc, source)

    # ------------------------------------------------------------------ per tensor

    def tensor_closed_statement(self, closed_kind: str, readers, layer_index: int) -> str:
        """A tensor's closed form: its layer's (a parameter), its one reader's, or the sum of the
        paths through every reader (each reader's right-hand side)."""
        if not readers:
            return self.closed_statement(closed_kind, layer_index)
        if len(readers) == 1:
            return self.closed_statement(closed_kind, *readers[0])
        layers = self.network.layers
        parts = []
        for r, p in readers:
            reader = layers[r - 1]
            form = next(f for f in self.forms_of(reader) if f.tensor == "input" and f.source == p)
            parts.append(kind_of(reader).closed_parts(reader, form.kind, self.pc, p))
        return f"{parts[0][0]} = " + " + ".join(rhs for _, rhs in parts)

    def index_formula(self, role: str, tensor_layer: int, readers, layer_index: int) -> dict | None:
        """The general index formula of a tensor's gradient: ``{"formula", "note"}`` or None (for
        a tensor read by several layers: the sum of the paths, when their formulas share an index)."""
        if readers:
            paths = self.paths(readers)
            if paths is None:
                return None
            if len(readers) == 1:
                f = self.layer_formulas(self.network.layers[readers[0][0] - 1], readers[0][1])
                return {"formula": f.input, "note": f.note} if f.input is not None else None
            index, rhs, note = paths
            x = self.namer.element_latex(role, tensor_layer if role != "input" else 0, list(index))
            return {"formula": f"{self.pc.grad(x)} = {rhs}", "note": note}
        f = self.layer_formulas(self.network.layers[layer_index - 1])
        key = _FORMULA_KEYS.get(role)
        if key is None or getattr(f, key) is None:
            return None
        note = f.weight_note if key == "weight" else ""
        return {"formula": getattr(f, key), "note": note}

    def paths(self, readers) -> tuple[tuple[str, ...], str, str] | None:
        """``(index, right-hand side, note)`` of the gradient of a tensor read by ``readers``: the
        sum of each reader's input-gradient formula, when every reader has one and they share an
        index; None otherwise."""
        layers = self.network.layers
        parts = [(r, self.layer_formulas(layers[r - 1], p)) for r, p in readers]
        if any(f.input_rhs is None or f.input_index is None for _, f in parts):
            return None
        if len({f.input_index for _, f in parts}) != 1:
            return None
        if len(parts) == 1:
            f = parts[0][1]
            return f.input_index, f.input_rhs, f.note
        layers_text = ", ".join(str(r) for r, _ in parts[:-1]) + f" and {parts[-1][0]}"
        notes = [f"the terms are the paths through layers {layers_text}, in that order: a tensor read by "
                 "several layers gets the sum of their contributions."]
        notes += [f"Through layer {r}, {f.note}" for r, f in parts if f.note]
        return parts[0][1].input_index, " + ".join(f.input_rhs for _, f in parts), " ".join(notes)

    def direct_readers(self, tensor) -> list[tuple[int, int]]:
        """``(layer index, input position)`` of the layers that read ``tensor`` itself (not
        through a reshape)."""
        return [(r.index, p) for r in self.network.layers for p, src in enumerate(r.sources)
                if (src.role, src.layer, src.shape) == (tensor.role, tensor.layer, tensor.shape)]

    # ------------------------------------------------------------------ δ and the cost

    def target_index(self) -> list[str]:
        """Printed index of a general target: ``k``, or ``s, k`` (example s) in a batched grid style."""
        return [self.pc.example, "k"] if self.network.batch and self.namer.style != "seed" else ["k"]

    def seed_note(self) -> str:
        """How to read the indices of the general formulas (seed: structured indices stand for a
        flat one; every style: which target a ``y_k`` is)."""
        target = self.namer.element_latex("target", None, self.target_index())
        batch = ""
        if self.network.batch:
            batch = (f" The index ${self.pc.example}$ counts the examples of the batch (from {self.namer.base}); "
                     "the parameters (kernels, biases) are shared by every example.")
        if self.namer.style != "seed":
            return (f"In the general formulas, ${target}$ is the target of the output element at "
                    f"row-major position $k$ (counted from {self.namer.base})"
                    f"{' of example $' + self.pc.example + '$' if self.network.batch else ''}." + batch)
        return ("In the general formulas, an index in parentheses such as $(c, u, v)$ names the element "
                "whose flat index $k$ is the 1-based row-major position of $(c, u, v)$ in its tensor, "
                f"and $k$ in a target ${target}$ is the row-major position of the output element it meets." + batch)

    def delta_formula(self, layer) -> str | None:
        """δ of a layer in general: from the cost for the last layer, else through the
        input-gradient formulas of the layers that read its output (their sum, one path each),
        when they have one."""
        nm = self.namer
        pc = self.pc
        cost = nm.latex_letter("cost")
        li = layer.index
        if layer.delta is None:
            return None
        readers = self.direct_readers(layer.out)
        paths = self.paths(readers) if readers else None
        if paths is not None:
            idx = list(paths[0])
        else:
            rank = len(layer.out.shape) - (1 if layer.batch else 0)
            idx = [pc.channel, *pc.pos][:rank] if rank > 1 else ["r"]
            idx = ([pc.example] if layer.batch else []) + idx
        carrier_role = "pre_activation" if layer.pre is not None else "activation"
        d = nm.element_latex("delta", li, idx)
        z = nm.element_latex(carrier_role, li, idx)
        o = nm.element_latex("activation", li, idx)
        head = rf"{d} = \frac{{\partial {cost}}}{{\partial {z}}}"
        if layer.pre is not None:
            head += rf" = \frac{{\partial {cost}}}{{\partial {o}}} \, f'\left({z}\right)"
        net = self.network
        if not readers:
            os_, ys = sympy.Symbol("o__gen"), sympy.Symbol("y__gen")
            kind = net.spec.cost.type
            examples = max(net.batch, 1)
            scale = reduction_scale(net.spec.cost.reduction, examples)
            target = nm.element_latex("target", None, self.target_index())
            names = {os_: o, ys: target}
            if kind == "cross_entropy":  # through the softmax: p_k Σ_j y_j − y_k, or p_k − y_k
                ps, total = sympy.Symbol("p__gen"), sympy.Symbol("ysum__gen")
                names[ps] = nm.element_latex("probability", None, self.target_index())
                names[total] = rf"\sum_{{j}} {nm.element_latex('target', None, self.target_index()[:-1] + ['j'])}"
                deriv = scale * (ps * (1 if net.spec.cost.targets == "one_hot" else total) - ys)
            else:
                deriv = sympy.diff(summand(kind, os_, ys, len(layer.out) // examples, scale), os_)

            class _Gen(NotationPrinter):
                def _print_Symbol(self, expr, style="plain"):
                    if expr in names:
                        return names[expr]
                    return super()._print_Symbol(expr, style)

            g = _Gen(self.table).doprint(sympy.factor_terms(deriv))
            if layer.pre is None:
                return head + f" = {g}"
            return head + rf",\quad \frac{{\partial {cost}}}{{\partial {o}}} = {g}"
        if paths is not None:
            if layer.pre is None:
                return head + " = " + paths[1]
            return head + rf",\quad \frac{{\partial {cost}}}{{\partial {o}}} = " + paths[1]
        return head

    def delta_note(self, layer) -> str:
        """The reading note of the readers' input-gradient formulas when :meth:`delta_formula`
        writes δ through them (which terms count, what a route is); "" otherwise."""
        if layer.delta is None:
            return ""
        readers = self.direct_readers(layer.out)
        paths = self.paths(readers) if readers else None
        return paths[2] if paths is not None else ""

    def targets_assumption(self) -> str | None:
        """The assumption on the targets, ``Σ_k y_k = 1`` (one-hot targets, each example),
        or None when the spec assumes nothing (``[cost] targets = "any"``)."""
        return self.sum_to_one() if self.network.spec.cost.targets == "one_hot" else None

    def sum_to_one(self) -> str:
        """``Σ_k y_k = 1``: the targets of an example sum to 1 (assumed or not)."""
        y = self.namer.element_latex("target", None, self.target_index())
        return rf"\sum_{{k}} {y} = 1"

    def softmax(self) -> dict | None:
        """The softmax of a cross-entropy cost in the document's notation (None for another
        cost): ``formula`` p_k = e^{o_k} / Σ_j e^{o_j} in general, ``p`` and ``y`` the general
        elements, ``assumed`` whether Σ_k y_k = 1 is (``sum_to_one``; one-hot targets), ``textbook`` p_k − y_k and
        ``general`` p_k Σ_j y_j − y_k (δ of the logits with and without the assumption)."""
        net = self.network
        if net.probabilities is None:
            return None
        nm = self.namer
        last = len(net.layers)
        idx = self.target_index()
        p, y = nm.element_latex("probability", None, idx), nm.element_latex("target", None, idx)
        o = nm.element_latex("activation", last, idx)
        oj = nm.element_latex("activation", last, idx[:-1] + ["j"])
        yj = nm.element_latex("target", None, idx[:-1] + ["j"])
        return {
            "formula": rf"{p} = \frac{{e^{{{o}}}}}{{\sum_{{j}} e^{{{oj}}}}}",
            "p": p, "y": y, "assumed": self.targets_assumption() is not None, "sum_to_one": self.sum_to_one(),
            "textbook": f"{p} - {y}", "general": rf"{p} \sum_{{j}} {yj} - {y}",
        }

    def cross_entropy_general(self, outputs: int) -> str:
        """The cross-entropy cost in general (``-Σ_k y_k (o_k - log Σ_j e^{o_j})``) with its count
        of ``outputs`` terms, for a cost too long to write in full."""
        nm = self.namer
        last = len(self.network.layers)
        o = nm.element_latex("activation", last, ["k"])
        oj = nm.element_latex("activation", last, ["j"])
        y = nm.element_latex("target", None, ["k"])
        return rf"-\sum_{{k}} {y} \left({o} - \log \sum_{{j}} e^{{{oj}}}\right) \quad (\text{{{outputs} terms}})"

    def cost_summand(self, output, target, outputs: int):
        """The cost's summand for one (output, target) pair of ``outputs`` (sympy expression)."""
        return _summand(self.network.spec.cost.type, output, target, outputs)

    def cost_summand_template(self, outputs: int):
        """``(summand, (o_, y_))`` on placeholder symbols, standing for every pair's
        :meth:`cost_summand` (:func:`symconv.costs.summand_template`), or None."""
        return summand_template(self.network.spec.cost.type, outputs)
