"""``batch_norm2d`` and ``batch_norm1d``: batch normalisation in training mode (batch mean,
biased batch variance), then an optional affine map and activation (Ioffe & Szegedy, *Batch
Normalization*, ICML 2015, Algorithm 1; PyTorch ``F.batch_norm(training=True)``).

For channel ``c`` the statistics run over the ``M`` elements of that channel in every example
(``M = N·H·W`` for ``batch_norm2d`` on ``(C, H, W)``; ``M = N`` for ``batch_norm1d`` on a vector
``(C,)`` after a dense layer, ``M = N·L`` on ``(C, L)``), 0-based::

    μ[c] = (1/M) Σ x[n, c, …]                        (the batch mean)
    v[c] = (1/M) Σ (x[n, c, …] − μ[c])²               (the biased batch variance)
    σ[c] = sqrt(v[c] + ε)
    x̂[n, c, …] = (x[n, c, …] − μ[c]) / σ[c]           (the normalised input)
    z[n, c, …] = γ[c] · x̂[n, c, …] + β[c]              (affine = true; else z is x̂ itself)
    o = f(z)

``ε`` is a number kept exact as a rational (default 1e-5 = 1/100000, PyTorch's) or the symbol
ε (``eps = "symbolic"``). μ, v, σ and x̂ are named intermediates with their own ∂C/∂ symbols;
every definition carries its local partials (∂v/∂x = 2(x − μ)/M, ∂σ/∂v = 1/(2σ), ∂x̂/∂x = 1/σ,
∂x̂/∂μ = −1/σ, ∂x̂/∂σ = −x̂/σ), so reverse accumulation gives the element-wise gradients. The
variance is a function of the channel's inputs alone (μ in its expression is their mean, written
by name): its partial through μ, −(2/M) Σ (x − μ), is 0 identically, so v reads x only. Closed forms, with δ = ∂C/∂z and sums over the channel's M elements:

* ``∂C/∂γ[c] = Σ δ · x̂``, ``∂C/∂β[c] = Σ δ`` (certified monomial by monomial);
* the input, in the paper's compact form::

      ∂C/∂x = (γ / (M σ)) · (M·δ − Σ δ − x̂ · Σ (δ · x̂))

  proven equal to the element-wise chain-rule sum at every element by exact evaluation at
  random rational points (Schwartz–Zippel): μ and x̂ from their definitions, σ free (the
  identity holds for any σ ≠ 0, so its square root is never evaluated).

The whole batch is one layer here (:attr:`LayerKind.batched`): its outputs mix the examples.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from typing import Any, Mapping

import sympy

from ..activations import ACTIVATION_KEYS, Activation, parse_activation
from ..errors import SpecError
from ..fields import flag, number_text
from ..identities import ClosedForm
from ..ops import Definition, Term, multilinear
from ..tensors import SymbolTable, SymTensor
from ..verify import Certificate
from .base import (
    Context, Formulas, LayerKind, LayerNet, PrintContext, activated_outputs, activation_definitions, example_index,
    example_shape, example_tensor, general_index,
)

SYMBOLIC = "symbolic"
DEFAULT_EPS = "1/100000"  # PyTorch's 1e-5
CHANNEL_ROLES = ("mean", "variance", "std")  # one value per channel
POINTS = 4  # random points of the input closed form's certificate
DEGREE = 6  # a bound on the degree of σ³·(a − b) in the leaves, γ, δ and σ


@dataclass(frozen=True)
class BatchNorm:
    """Batch normalisation in training mode over the channel axis; ``eps`` the exact text of a
    positive rational (``"1/100000"``) or ``"symbolic"``; ``affine``: learnable γ, β."""

    eps: str = DEFAULT_EPS
    affine: bool = True
    activation: Activation = Activation()
    type: str = "batch_norm2d"


def channel_positions(t: SymTensor, batch: int, c: int) -> list[int]:
    """Flat positions of channel ``c``'s elements in every example of a per-example tensor
    ``(N, C, …)`` (or ``(C, …)`` unbatched), example first, then row-major."""
    shape = example_shape(t, batch)
    per, channels = math.prod(shape[1:]), shape[0]
    return [(n * channels + c) * per + s for n in range(max(batch, 1)) for s in range(per)]


def count(in_shape: tuple[int, ...], batch: int) -> int:
    """M: the elements one channel's statistics run over (examples × positions)."""
    return max(batch, 1) * math.prod(in_shape[1:])


class BatchNormKind(LayerKind):
    """``batch_norm2d`` (``rank`` 2: ``(C, H, W)``) or ``batch_norm1d`` (``(C,)`` or ``(C, L)``)."""

    keys = ("type", "eps", "affine") + ACTIVATION_KEYS
    batched = True
    weighted = False

    def __init__(self, type_name: str, rank: int):
        self.type = type_name
        self.rank = rank
        self.spatial = 2 if rank == 2 else None

    # ----------------------------------------------------------------- spec and shapes
    def parse(self, table: Mapping[str, Any], where: str) -> BatchNorm:
        eps = table.get("eps", DEFAULT_EPS)
        if eps != SYMBOLIC:
            text = number_text(eps, f"{where}.eps")
            if sympy.Rational(text) <= 0 or len(text) > 60:
                raise SpecError(f"{where}.eps", f"must be a positive number such as 1e-5 or \"symbolic\", "
                                f"got {eps!r}"[:160])
            eps = text
        return BatchNorm(eps=eps, affine=flag(table.get("affine", True), f"{where}.affine"),
                         activation=parse_activation(table, where), type=self.type)

    def output_shape(self, spec: BatchNorm, in_shape, where):
        if self.rank == 2 and len(in_shape) != 3:
            what = "it follows flatten/dense" if len(in_shape) == 1 else "the input is a 1-D signal (C, L)"
            raise SpecError(f"{where}.type", f"batch_norm2d needs a (C, H, W) feature map, but {what}; "
                            "use batch_norm1d")
        if self.rank == 1 and len(in_shape) not in (1, 2):
            raise SpecError(f"{where}.type", "batch_norm1d needs a vector (C,) or a signal (C, L); use batch_norm2d")
        return tuple(in_shape)

    def output_shape_of(self, spec, in_shapes, where, batch: int = 0):
        shape = self.output_shape(spec, in_shapes[0], where)
        if count(shape, batch) < 2:
            raise SpecError(f"{where}.type", f"{self.type} in training mode needs more than 1 value per channel "
                            "(batch x positions), as PyTorch; give input.shape a batch axis [N, ...] with N >= 2")
        return shape

    def estimate_of(self, spec, in_shapes, out_shape, batch: int = 0) -> int:
        """Per channel of M elements: μ and v read M each, σ reads v, x̂ reads 3 per element, z
        3 per element (γ, x̂, β) and the activation 1: at most 9·M + 1; counted as 10·M + 2."""
        return in_shapes[0][0] * (10 * count(in_shapes[0], batch) + 2)

    # ----------------------------------------------------------------- network and forward
    def build(self, spec: BatchNorm, position: int, sources, table: SymbolTable, where: str,
              batch: int = 0) -> LayerNet:
        inputs = sources[0]
        shape = self.output_shape_of(spec, (example_shape(inputs, batch),), where, batch)
        channels = shape[0]
        gamma = table.new_tensor("gamma", position, (channels,)) if spec.affine else None
        beta = table.new_tensor("beta", position, (channels,)) if spec.affine else None
        inter = []
        for role in ("mean", "variance", "std"):
            t = table.new_tensor(role, position, (channels,))
            inter.append((t, table.new_tensor("adjoint", position, (channels,), of=role)))
        if spec.affine:
            xhat = example_tensor(table, "normalized", position, shape, batch)
            n_shape = ((batch,) if batch else ()) + tuple(shape)
            inter.append((xhat, table.new_tensor("adjoint", position, n_shape, of="normalized")))
        constants = (table.shared_scalar("epsilon"),) if spec.eps == SYMBOLIC else ()
        layer = activated_outputs(table, position, spec, inputs, shape, gamma, beta, None, batch)
        return replace(layer, intermediates=tuple(inter), constants=constants)

    def _parts(self, layer: LayerNet):
        """``(μ, v, σ, x̂)``: x̂ is the carrier itself without the affine map."""
        mean, var, std = (t for t, _ in layer.intermediates[:3])
        xhat = layer.intermediates[3][0] if layer.spec.affine else layer.carrier
        return mean, var, std, xhat

    def example_definitions(self, layer: LayerNet, ctx: Context) -> list[Definition]:
        mean, var, std, xhat = self._parts(layer)
        x = layer.inputs
        m = count(example_shape(x, layer.batch), layer.batch)
        inv = sympy.Rational(1, m)
        eps = _eps_symbol(layer)
        defs_mean, defs_var, defs_std, defs_hat, defs_z = [], [], [], [], []
        hat_of = {}
        for c, (mu, v2, sigma) in enumerate(zip(mean.symbols, var.symbols, std.symbols)):
            pos = channel_positions(x, layer.batch, c)
            xs = [x.symbols[k] for k in pos]
            defs_mean.append(multilinear(mu, [Term(inv, None, v) for v in xs], None, "batch_mean"))
            centred = [v - mu for v in xs]
            defs_var.append(Definition(v2, sympy.Add(*[inv * d ** 2 for d in centred]),
                                       tuple((v, 2 * inv * d) for v, d in zip(xs, centred)), "batch_variance"))
            defs_std.append(Definition(sigma, sympy.sqrt(v2 + eps), ((v2, 1 / (2 * sigma)),), "batch_std"))
            for k, v in zip(pos, xs):
                h = xhat.symbols[k]
                hat_of[k] = (h, c)
                defs_hat.append(Definition(h, (v - mu) / sigma,
                                           ((v, 1 / sigma), (mu, -1 / sigma), (sigma, -h / sigma)), "normalize"))
        defs_hat.sort(key=lambda d: xhat.symbols.index(d.target))
        if layer.spec.affine:
            for k, z in enumerate(layer.carrier.symbols):
                h, c = hat_of[k]
                defs_z.append(multilinear(z, [Term(sympy.S.One, layer.weight.symbols[c], h)],
                                          layer.bias.symbols[c], "batch_norm"))
        return defs_mean + defs_var + defs_std + defs_hat + defs_z + activation_definitions(layer)

    # ----------------------------------------------------------------- closed forms
    def example_closed_forms(self, layer: LayerNet, ctx: Context) -> list[ClosedForm]:
        """γ: Σ δ·x̂; β: Σ δ; input: the compact form with its own certificate (module docstring)."""
        mean, _, std, xhat = self._parts(layer)
        x, delta = layer.inputs, layer.delta
        m = count(example_shape(x, layer.batch), layer.batch)
        forms = []
        by_channel = [channel_positions(x, layer.batch, c) for c in range(len(mean))]
        if layer.spec.affine:
            forms.append(ClosedForm("bn_gamma", "weight", tuple(
                tuple((delta.symbols[k], xhat.symbols[k]) for k in pos) for pos in by_channel)))
            forms.append(ClosedForm("bn_beta", "bias", tuple(
                tuple((delta.symbols[k], None) for k in pos) for pos in by_channel)))
        channel_of = {k: c for c, pos in enumerate(by_channel) for k in pos}
        values = []
        for k in range(len(x)):
            c = channel_of[k]
            pos = by_channel[c]
            g = layer.weight.symbols[c] if layer.spec.affine else sympy.S.One
            a = g / (m * std.symbols[c])
            products = [(g / std.symbols[c], delta.symbols[k])]
            products += [(-a, delta.symbols[j]) for j in pos]
            products += [(-a * xhat.symbols[k], delta.symbols[j] * xhat.symbols[j]) for j in pos]
            values.append(tuple(products))
        form = ClosedForm("bn_input", "input", tuple(values))
        forms.append(replace(form, certify=_InputCertifier(layer, form, m)))
        return forms

    # ----------------------------------------------------------------- rendering
    def summary(self, layer: LayerNet) -> dict:
        spec = layer.spec
        m = count(example_shape(layer.inputs, layer.batch), layer.batch)
        return super().summary(layer) | {"eps": spec.eps, "affine": spec.affine, "values per channel": m,
                                         "activation": spec.activation.kind}

    def _letters(self, layer: LayerNet, pc: PrintContext):
        """Printed general elements: x, μ_c, σ_c, x̂, z, δ, γ_c, β_c and the reduction indices."""
        nm, li = pc.namer, layer.index
        idx = general_index(example_shape(layer.out, layer.batch))
        role, at = pc.source(layer)
        red = ([pc.example] if layer.batch else []) + list(idx[1:])
        prime = [v + "'" for v in red]

        def el(r, li_, sub):  # sub: (example?, c, rest…) already in order
            return nm.element_latex(r, li_, sub)

        here = (([pc.example] if layer.batch else []) + ["c"] + list(idx[1:]))
        there = (([prime[0]] if layer.batch else []) + ["c"] + (prime[1:] if layer.batch else prime))
        carrier_role = "pre_activation" if layer.pre is not None else "activation"
        hat_role = "normalized" if layer.spec.affine else carrier_role
        return dict(
            x=el(role, at, here), x2=el(role, at, there),
            mu=el("mean", li, ["c"]), var=el("variance", li, ["c"]), sigma=el("std", li, ["c"]),
            hat=el(hat_role, li, here), hat2=el(hat_role, li, there),
            z=el(carrier_role, li, here), d=el("delta", li, here), d2=el("delta", li, there),
            gamma=el("gamma", li, ["c"]) if layer.spec.affine else None,
            beta=el("beta", li, ["c"]) if layer.spec.affine else None,
            sums=rf"\sum_{{{','.join(red)}}}", sums2=rf"\sum_{{{','.join(there[:1] + there[2:])}}}",
            here=tuple(here), m=count(example_shape(layer.inputs, layer.batch), layer.batch),
        )

    def _eps_latex(self, layer: LayerNet, pc: PrintContext) -> str:
        spec = layer.spec
        return pc.namer.latex_letter("epsilon") if spec.eps == SYMBOLIC else sympy.latex(sympy.Rational(spec.eps))

    def _input_rhs(self, layer: LayerNet, pc: PrintContext) -> str:
        L = self._letters(layer, pc)
        scale = L["gamma"] if L["gamma"] else "1"
        return (rf"\frac{{{scale}}}{{{L['m']} \, {L['sigma']}}} \left({L['m']} \, {L['d']} - {L['sums2']} {L['d2']} "
                rf"- {L['hat']} {L['sums2']} {L['d2']} \, {L['hat2']}\right)")

    def closed_parts(self, layer: LayerNet, kind: str, pc: PrintContext, source: int = 0) -> tuple[str, str]:
        L = self._letters(layer, pc)
        if kind == "bn_gamma":
            return pc.grad(L["gamma"]), rf"{L['sums']} {L['d']} \, {L['hat']}"
        if kind == "bn_beta":
            return pc.grad(L["beta"]), rf"{L['sums']} {L['d']}"
        if kind == "bn_input":  # whole tensors, per channel (short enough to run in a line of text)
            li = layer.index
            role, at = pc.source(layer)
            hat_role = "normalized" if layer.spec.affine else ("pre_activation" if layer.pre is not None else "activation")
            d, h = pc.tensor(layer, "delta", li), pc.tensor(layer, hat_role, li)
            g = pc.namer.tensor_latex("gamma", li) if layer.spec.affine else "1"
            s = pc.namer.tensor_latex("std", li)
            m = L["m"]
            return (pc.grad(pc.tensor(layer, role, at)),
                    rf"\frac{{{g}}}{{{m} \, {s}}} ({m} \, {d} - \sum {d} - {h} \sum {d} \, {h})")
        return super().closed_parts(layer, kind, pc, source)

    def formulas(self, layer: LayerNet, pc: PrintContext, source: int = 0) -> Formulas:
        L = self._letters(layer, pc)
        m = L["m"]
        frac = rf"\frac{{1}}{{{m}}}"
        forward = [rf"{L['mu']} = {frac} {L['sums']} {L['x']}",
                   rf"{L['var']} = {frac} {L['sums']} \left({L['x']} - {L['mu']}\right)^{{2}}",
                   rf"{L['sigma']} = \sqrt{{{L['var']} + {self._eps_latex(layer, pc)}}}",
                   rf"{L['hat']} = \frac{{{L['x']} - {L['mu']}}}{{{L['sigma']}}}"]
        if layer.spec.affine:
            forward.append(rf"{L['z']} = {L['gamma']} \, {L['hat']} + {L['beta']}")
        rhs = self._input_rhs(layer, pc)
        sums_note = f"the sums run over the {m} elements of channel c in every example"
        return Formulas(
            forward=r",\quad ".join(forward),
            weight=rf"{pc.grad(L['gamma'])} = {L['sums']} {L['d']} \, {L['hat']}" if layer.spec.affine else None,
            bias=rf"{pc.grad(L['beta'])} = {L['sums']} {L['d']}" if layer.spec.affine else None,
            input=rf"{pc.grad(L['x'])} = {rhs}", input_rhs=rhs, input_index=example_index(layer, pc, L["here"][1:] if layer.batch else L["here"]),
            note=sums_note + " (Ioffe and Szegedy 2015); the batch mean and variance make every element's "
                 "gradient depend on the whole batch.",
            forward_note=sums_note + "; the variance is the biased one (divided by " + str(m) + ").",
            weight_note=sums_note + ".",
        )


def _eps_symbol(layer: LayerNet) -> sympy.Expr:
    """ε of a built layer: the exact rational, or the network's ε symbol."""
    if layer.spec.eps != SYMBOLIC:
        return sympy.Rational(layer.spec.eps)
    return layer.constants[0]


class _InputCertifier:
    """The certificate of the compact input form at flat index ``k``: the chain-rule sum of the
    input element, with the layer's intermediates' ∂C/∂ (x̂, σ, v, μ) written through δ, equals the
    compact form, evaluated exactly at ``POINTS`` random rational points: leaves, γ, δ and 1/σ
    drawn; μ and x̂ from their definitions (σ free: no square root is taken)."""

    def __init__(self, layer: LayerNet, form: ClosedForm, m: int):
        self.layer, self.form, self.m = layer, form, m

    def __call__(self, k: int, grads) -> Certificate:
        layer = self.layer
        mean, _, std, xhat = BN2D._parts(layer)
        x = layer.inputs
        adjoints = [(t, a) for t, a in layer.intermediates]
        ups = {s for _, a in adjoints for s in a.symbols} | set(layer.delta.symbols)
        target = x.symbols[k]
        local = [t for t in grads[target].terms if t.upstream in ups]
        c = next(c for c in range(len(mean)) if k in channel_positions(x, layer.batch, c))
        pos = channel_positions(x, layer.batch, c)
        rng = random.Random(k)
        for _ in range(POINTS):
            val: dict = {}
            for j in pos:
                val[x.symbols[j]] = _draw(rng)
                val[layer.delta.symbols[j]] = _draw(rng)
            if layer.spec.affine:
                val[layer.weight.symbols[c]] = _draw(rng)
            tau = _draw(rng) or sympy.Rational(1, 3)
            sigma, mu = std.symbols[c], mean.symbols[c]
            val[sigma] = 1 / tau
            val[mu] = sympy.Add(*[val[x.symbols[j]] for j in pos]) / self.m
            for j in pos:
                val[xhat.symbols[j]] = (val[x.symbols[j]] - val[mu]) * tau
            # the intermediates' gradients from the last back: x̂, then σ, then μ
            for t, a in reversed(adjoints):
                for j, s in enumerate(t.symbols):
                    if s in val and a.symbols[j] in val:
                        continue
                    if t.role in CHANNEL_ROLES:
                        if j != c:
                            continue
                    elif j not in pos:
                        continue
                    terms = [u for u in grads[s].terms if u.upstream in ups]
                    val[a.symbols[j]] = sympy.Add(*[val[u.upstream] * u.partial.xreplace(val) for u in terms])
            lhs = sympy.Add(*[val[u.upstream] * u.partial.xreplace(val) for u in local])
            rhs = self.form.expr(k).xreplace(val)
            if lhs != rhs:
                shown = tuple((str(s), str(v)) for s, v in val.items() if s in (sigma, mu))
                return Certificate(False, "random-rational", f"a - b = {lhs - rhs} at a random point", shown)
        return Certificate(True, "random-rational",
                           f"a - b = 0 exactly at {POINTS} random rational points (x, gamma, delta and 1/sigma drawn, "
                           f"mu and x-hat from their definitions; sigma^3 (a - b) is a polynomial of degree <= {DEGREE}: "
                           f"false pass probability at most ({DEGREE}/2e12)^{POINTS})")


def _draw(rng: random.Random) -> sympy.Rational:
    return sympy.Rational(rng.randint(-10**6, 10**6), rng.randint(1, 10**6))


BN2D = BatchNormKind("batch_norm2d", 2)
BN1D = BatchNormKind("batch_norm1d", 1)
