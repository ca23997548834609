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
    shapes = [tuple(spec.input_shape)]  # one example's shape at every position (0: the input)
    total = 0
    for position, (layer, reads) in enumerate(zip(spec.layers, spec.graph), start=1):
        kind = kind_of(layer)
        ins = tuple(shapes[p] for p in reads)
        out = kind.output_shape_of(layer, ins, f"layers[{position}]", spec.batch)
        total += kind.estimate_of(layer, ins, out, spec.batch)
        shapes.append(out)
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
