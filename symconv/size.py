"""How big a network's derivation will be, estimated from the spec before any symbol is built.

``estimate_terms`` counts the product terms of every chain-rule sum (the unit the benchmark
reports), each layer's count given by its kind (:meth:`symconv.layers.LayerKind.estimate`). On
this project's 2-core machine type a derivation costs about 5 µs per term, so
:data:`TERM_LIMIT` (4 million) is about 20 s.
"""

from __future__ import annotations

from .errors import SpecError
from .layers import kind_of
from .spec import Spec

TERM_LIMIT = 4_000_000


def estimate_terms(spec: Spec) -> int:
    """Product terms of all chain-rule sums of ``spec``'s network, from each layer kind's
    ``estimate`` (raises the network build's :class:`SpecError` on a bad shape)."""
    shape = spec.input_shape
    total = 0
    for position, layer in enumerate(spec.layers, start=1):
        kind = kind_of(layer)
        out = kind.output_shape(layer, shape, f"layers[{position}]")
        total += kind.estimate(layer, shape, out)
        shape = out
    return total


def guard(spec: Spec, allow_large: bool) -> int:
    """The estimate; raises :class:`SpecError` (exit 2) above :data:`TERM_LIMIT` unless allowed."""
    terms = estimate_terms(spec)
    if terms > TERM_LIMIT and not allow_large:
        seconds = terms * 5e-6
        raise SpecError(
            "--allow-large",
            f"this network has about {terms:,} product terms (roughly {seconds:.0f} s or more); "
            "pass --allow-large to derive it anyway",
        )
    return terms
