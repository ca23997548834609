r"""The mistake catalogue: one rule object per known mistake in a hand-derived gradient.

Each rule builds the *mistaken* version(s) of ∂C/∂x for a network from the network's own rules
(the forward definitions and their local partials, and the layer kinds'
:meth:`~symconv.layers.LayerKind.mistaken_partials` hooks), never from printed text. A verdict
names a mistake only when the claim equals one of its forms exactly (proven by
:func:`symconv.verify.compare`). The docstring of each rule states its mistaken formula, with
``δ`` the named upstream gradient, ``∂z/∂v`` the local partials of the chain rule
``∂C/∂v = Σ_t δ_t · ∂t/∂v`` and ``truth`` the exact gradient.

:data:`RULES` lists every rule in the order verdicts report them; :data:`MISTAKES` maps each
kind to its short title.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar

import sympy

from ..claims import to_leaf
from ..verify import Through, compare, compare_through

if TYPE_CHECKING:  # pragma: no cover
    from ..api import Model


@dataclass(frozen=True)
class MistakenForm:
    """One mistaken version of ∂C/∂wrt: ``kind`` (a key of :data:`MISTAKES`), a ``label`` saying
    exactly which variant, the form in named symbols (``named``), and ``gradients`` when those
    are another network's (the network rebuilt under the other convention; None: this
    network's). The leaf form, which can be enormous, is built only on demand (:func:`leaf_of`);
    ``leaf`` holds it when a rule has it at hand."""

    kind: str
    label: str
    named: sympy.Expr
    leaf: sympy.Expr | None = None
    gradients: object = None


class MistakeRule:
    """A known mistake: ``kind`` (stable key), ``title`` (short ASCII title; math in ``$...$``)
    and :meth:`forms`, the mistaken versions of ∂C/∂wrt it gives for a network (empty when it
    does not apply)."""

    kind: ClassVar[str] = ""
    title: ClassVar[str] = ""

    def forms(self, model: Model, wrt: sympy.Symbol) -> list[MistakenForm]:  # pragma: no cover
        raise NotImplementedError

    def _form(self, model: Model, label: str, named: sympy.Expr, gradients=None) -> MistakenForm:
        return MistakenForm(self.kind, label, named, gradients=gradients)


def leaf_of(model: Model, form: MistakenForm) -> sympy.Expr:
    """The leaf form of a :class:`MistakenForm` (through its own network's definitions)."""
    if form.leaf is not None:
        return form.leaf
    if form.gradients is not None:
        return form.gradients.forward.leaf(form.named)  # a named form: no δ left to substitute
    return to_leaf(model, form.named)


def through_of(gradients):
    """The :class:`~symconv.verify.Through` of a network's forward definitions (made once, kept
    in ``gradients.derived``)."""
    got = gradients.derived.get("through")
    if got is None:
        fw = gradients.forward
        got = gradients.derived["through"] = Through(fw.definitions, fw.assumed)
    return got


LEAF_JUDGED_SIZE = 2000
"""Claims about a network without transcendental functions whose exact gradient has at most this
many leaf-symbol occurrences (:meth:`~symconv.gradients.Gradients.leaf_size`) are judged in leaf
form (an exact expansion where it is small); all others through the forward definitions at
points (:func:`~symconv.verify.compare_through`)."""


def judged_through(model: Model, wrt: sympy.Symbol) -> bool:
    """Whether claims about ∂C/∂wrt are judged through the forward definitions (see
    :data:`LEAF_JUDGED_SIZE`) rather than in leaf form."""
    from ..dual import TRANSCENDENTAL, functions_in

    derived = model.gradients.derived
    funcs = derived.get("functions")
    if funcs is None:
        seen: set = set()
        funcs = derived["functions"] = frozenset().union(
            *(functions_in(d.expr, seen) for d in model.forward.definitions))
    return bool(funcs & TRANSCENDENTAL) or model.gradients.leaf_size(wrt) > LEAF_JUDGED_SIZE


# ----------------------------------------------------------------------------- shared machinery


def to_named(model: Model, expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with δ and adjoint symbols replaced by their named definitions (o, z kept)."""
    expr = sympy.sympify(expr, strict=True)
    ups = model.gradients.upstream_symbols()
    subs = {s: model.gradients.named(s) for s in expr.free_symbols if s in ups}
    return expr.xreplace(subs) if subs else expr


def _activation_rules() -> set[str]:
    return {"relu", "leaky_relu", "sigmoid", "tanh", "f"}


def rebuilt(model: Model, wrt: sympy.Symbol, partials_of) -> sympy.Expr:
    """∂C/∂wrt (named) by reverse accumulation with each forward definition's local partials
    replaced by ``partials_of(definition)`` (None keeps them): the network's own chain rule with
    one rule changed."""
    from ..forward import Forward
    from ..gradients import build_gradients

    fwd = model.forward
    defs = []
    for d in fwd.definitions:
        new = partials_of(d)
        defs.append(d if new is None else replace(d, partials=tuple(new)))
    forward = Forward(fwd.network, tuple(defs), {d.target: d for d in defs})
    return build_gradients(forward).named(wrt)


def placement_layers(model: Model):
    """The layers whose kind has placement mistakes (:meth:`~symconv.layers.LayerKind.mistaken_partials`)."""
    from ..layers import kind_of

    return [layer for layer in model.network.layers if kind_of(layer).mistake_modes]


def conv_partials(model: Model, layer, mode: str) -> dict:
    """The (symbol, partial) pairs of every output of ``layer`` under a placement ``mode``
    (``"true"``, ``"unrotated"``, ``"no_stride_zeros"``, ``"uncropped"``), by the layer's kind:
    see :meth:`symconv.layers.conv2d.Conv2dKind.mistaken_partials`."""
    from ..layers import Context, kind_of

    return kind_of(layer).mistaken_partials(layer, mode, Context(flip=model.spec.convention == "convolution"))


# ----------------------------------------------------------------------------- the rules


class ProductOfSums(MistakeRule):
    r"""The chain-rule sum taken as a product of sums: ``(Σ_t δ_t)·(Σ_t ∂t/∂v)`` instead of
    ``Σ_t δ_t·∂t/∂v`` (only when ∂C/∂v has at least two terms)."""

    kind = "product_of_sums"
    title = "product of sums instead of sum of products"

    def forms(self, model, wrt):
        terms = model.gradients[wrt].terms if wrt in model.gradients.by_wrt else ()
        if len(terms) < 2:
            return []
        ups = sympy.Add(*[to_named(model, t.upstream) for t in terms])
        parts = sympy.Add(*[t.partial for t in terms])
        return [self._form(model, "the sum of the upstream gradients times the sum of the local partials", ups * parts)]


class FactorTwo(MistakeRule):
    """The cost's factor counted twice: ``2 · truth``."""

    kind = "factor_2"
    title = "an extra factor 2 (the cost's factor)"

    def forms(self, model, wrt):
        truth = model.gradients.named(wrt)
        return [self._form(model, "2 times the gradient", 2 * truth)]


class FactorHalf(MistakeRule):
    """A stray one half of the cost: ``truth / 2``."""

    kind = "factor_half"
    title = "a missing factor 2 (a stray one half of the cost)"

    def forms(self, model, wrt):
        truth = model.gradients.named(wrt)
        return [self._form(model, "one half of the gradient", truth / 2)]


class WrongLayer(MistakeRule):
    """The gradient of the same role and flat index in another layer: ``∂C/∂v'`` with ``v'`` in
    layer ℓ' ≠ ℓ (e.g. ``∂C/∂w_1^2`` written for ``∂C/∂w_1^1``)."""

    kind = "wrong_layer"
    title = "wrong layer"

    def forms(self, model, wrt):
        table = model.network.table
        info = table.info[wrt]
        if info.role in ("input", "target", "adjoint", "delta") or info.layer is None:
            return []
        out = []
        for layer in model.network.layers:
            if layer.index == info.layer:
                continue
            tensor = next((t for t in layer.tensors() if t.role == info.role), None)
            if tensor is None or info.flat >= len(tensor):
                continue
            other = tensor.symbols[info.flat]
            if other not in model.gradients.by_wrt:
                continue
            out.append(self._form(
                model, f"$\\partial C/\\partial {table.info[other].latex}$: layer {layer.index} instead of layer {info.layer}",
                model.gradients.named(other),
            ))
        return out


class ConventionSwapped(MistakeRule):
    """Convolution and cross-correlation swapped: the chain-rule expression (named: δ, o, z) of
    the same network under the other ``convention``, read with this network's forward pass (the
    backward formulas of the other convention); or that network's gradient throughout (its own
    forward pass too)."""

    kind = "convention_swapped"
    title = "convolution and cross-correlation swapped"

    def forms(self, model, wrt):
        from ..forward import build_forward
        from ..gradients import build_gradients
        from ..network import build_network

        if not placement_layers(model):
            return []
        info = model.network.table.info[wrt]
        other_conv = "cross-correlation" if model.spec.convention == "convolution" else "convolution"
        swapped = build_gradients(build_forward(build_network(replace(model.spec, convention=other_conv))))
        sym = swapped.forward.network.table.by_name[info.name]
        form = swapped.named(sym)
        return [
            self._form(model, f"the backward formulas of {other_conv} applied to this forward pass", form),
            self._form(model, f"the gradient of the whole network computed as {other_conv}", form, swapped),
        ]


class _PlacementRule(MistakeRule):
    """A placement mistake of the layers' own backward rule (``mode`` of
    :meth:`~symconv.layers.LayerKind.mistaken_partials`), in one layer at a time and in every
    layer it applies to."""

    mode: ClassVar[str] = ""

    def applies(self, layer) -> bool:  # pragma: no cover
        raise NotImplementedError

    def forms(self, model, wrt):
        chosen = [L for L in placement_layers(model) if self.applies(L)]
        variants = [([L], f"in layer {L.index}") for L in chosen]
        if len(chosen) > 1:
            variants.append((chosen, "in every conv layer"))
        out = []
        for layers, where in variants:
            table_of = {}
            for L in layers:
                table_of.update(conv_partials(model, L, self.mode))
            form = rebuilt(model, wrt, lambda d, t=table_of: t.get(d.target))
            out.append(self._form(model, f"{self.title} {where}", form))
        return out


class KernelNotRotated(_PlacementRule):
    """δ propagated back through a conv layer with the un-rotated kernel: ``∂C/∂x_p =
    Σ_q δ_q w_{p−q}`` where the layer's rule pairs δ_q with the kernel entry rotated by 180°
    (mode ``"unrotated"``)."""

    kind = "kernel_not_rotated"
    title = "kernel not rotated by 180 degrees"
    mode = "unrotated"

    def applies(self, layer):
        return layer.spec.kernel_size != (1, 1)


class StrideZerosMissing(_PlacementRule):
    """A strided conv layer's δ used as if it were not dilated by the stride: output ``q`` read as
    if it sat at input offset ``q`` instead of ``s·q`` (mode ``"no_stride_zeros"``)."""

    kind = "stride_zeros_missing"
    title = "stride zeros missing ($\\delta$ not dilated by the stride)"
    mode = "no_stride_zeros"

    def applies(self, layer):
        return layer.spec.stride != (1, 1)


class PaddingNotCropped(_PlacementRule):
    """A padded conv layer's input gradient taken from the padded input without cropping: every
    position shifted by the top/left padding (mode ``"uncropped"``)."""

    kind = "padding_not_cropped"
    title = "padding not cropped"
    mode = "uncropped"

    def applies(self, layer):
        return layer.pad[0][0] > 0 or layer.pad[1][0] > 0


class MissingActivationDerivative(MistakeRule):
    """Every ``f'(z)`` factor of layer ℓ (or of every layer) set to 1: ``δ^ℓ = (∂C/∂a^ℓ)``
    instead of ``(∂C/∂a^ℓ) ⊙ f'(z^ℓ)``."""

    kind = "missing_activation_derivative"
    title = "a missing activation derivative"

    def forms(self, model, wrt):
        act_layers = [L for L in model.network.layers if L.pre is not None]
        variants = [([L], f"$f'$ of layer {L.index} left out") for L in act_layers]
        if len(act_layers) > 1:
            variants.append((act_layers, "every $f'$ left out"))
        out = []
        for layers, label in variants:
            outs = {o for L in layers for o in L.out.symbols}

            def drop(d, outs=outs):
                if d.target in outs and d.rule in _activation_rules():
                    return [(v, sympy.Integer(1)) for v, _ in d.partials]
                return None

            out.append(self._form(model, label, rebuilt(model, wrt, drop)))
        return out


class OneHotAssumed(MistakeRule):
    """Softmax cross-entropy's textbook ``δ_k = p_k − y_k`` where the targets are not assumed to
    sum to 1: the exact partial is ``p_k Σ_j y_j − y_k`` (:mod:`symconv.costs`); the two agree
    exactly when Σ_j y_j = 1 (``[cost] targets = "one_hot"`` assumes it)."""

    kind = "one_hot_assumed"
    title = "the textbook $p - y$, which holds when $\\sum_k y_k = 1$ (one-hot targets)"

    def forms(self, model, wrt):
        net = model.network
        if net.probabilities is None or model.spec.cost.targets == "one_hot":
            return []
        n = len(net.targets) // max(net.batch, 1)
        sums = {sympy.Add(*ys): sympy.Integer(1) for ys in (net.targets.symbols[e:e + n]
                                                            for e in range(0, len(net.targets), n))}

        def textbook(d):
            if d.target == net.cost:
                return [(v, partial.xreplace(sums)) for v, partial in d.partials]
            return None

        return [self._form(model, "targets taken to sum to 1", rebuilt(model, wrt, textbook))]


RULES: tuple[MistakeRule, ...] = (
    ProductOfSums(), FactorTwo(), FactorHalf(), WrongLayer(), ConventionSwapped(),
    KernelNotRotated(), StrideZerosMissing(), PaddingNotCropped(), MissingActivationDerivative(),
    OneHotAssumed(),
)
"""Every rule, in the order verdicts report them."""

_ORDER = ("product_of_sums", "kernel_not_rotated", "convention_swapped", "stride_zeros_missing",
          "padding_not_cropped", "factor_2", "factor_half", "wrong_layer", "missing_activation_derivative",
          "one_hot_assumed")
MISTAKES = {k: next(r.title for r in RULES if r.kind == k) for k in _ORDER}
"""Known mistake kinds: key → the short title shown in verdicts (ASCII; math in ``$...$``)."""


def mistaken_forms(model: Model, wrt: sympy.Symbol) -> list[MistakenForm]:
    """Every known mistaken version of ∂C/∂wrt (all :data:`RULES`) that applies to this network
    and differs from the exact gradient (a mistake that does not change this gradient, e.g. a
    rotation in a layer it does not pass, is no mistake)."""
    truth = model.gradients.named(wrt)
    forms = [f for rule in RULES for f in rule.forms(model, wrt)]
    # a form that differs does so at random points; the small-integer search and the expansion are
    # for verdicts (a counterexample to show, an exact identity), not for this filter
    if judged_through(model, wrt):
        through = through_of(model.gradients)
        return [f for f in forms if f.named != truth or f.gradients is not None
                if not compare_through(f.named, truth, through if f.gradients is None else through_of(f.gradients),
                                       through, shrink=False, search=0, points=2).equal]
    truth_leaf = to_leaf(model, truth)
    return [f for f in forms if f.named != truth
            and not compare(leaf_of(model, f), truth_leaf, shrink=False, search=0, expand="never").equal]
