"""How big a network's derivation will be, estimated from the spec before any symbol is built.

``estimate_terms`` counts the product terms of every chain-rule sum (the unit the benchmark
reports): for a conv layer, each output element reads ``kh·kw·C_in/groups`` weight–input pairs
and contributes one term to the weight's and one to the input's gradient; dense layers likewise;
pooling one term per window element. On this project's 2-core machine type a derivation costs
about 5 µs per term, so :data:`TERM_LIMIT` (4 million) is about 20 s.
"""

from __future__ import annotations

from .errors import SpecError
from .shapes import output_shape, resolve_padding
from .spec import Conv2d, Dense, Flatten, Pool2d, Spec

TERM_LIMIT = 4_000_000


def estimate_terms(spec: Spec) -> int:
    """Product terms of all chain-rule sums of ``spec``'s network (raises SpecError on bad shapes)."""
    shape = spec.input_shape
    total = 0
    for position, layer in enumerate(spec.layers, start=1):
        where = f"layers[{position}]"
        if isinstance(layer, Conv2d) and len(shape) == 3:
            c_in, h, w = shape
            pad = resolve_padding(layer.padding, layer.kernel_size, layer.dilation)
            oh, ow = output_shape((h, w), layer.kernel_size, layer.stride, pad, layer.dilation, where)
            reads = layer.kernel_size[0] * layer.kernel_size[1] * max(c_in // layer.groups, 1)
            shape = (layer.out_channels, oh, ow)
            total += layer.out_channels * oh * ow * (2 * reads + int(layer.bias))
        elif isinstance(layer, Pool2d) and len(shape) == 3:
            c_in, h, w = shape
            oh, ow = output_shape((h, w), layer.kernel_size, layer.stride, layer.padding.amounts, (1, 1), where)
            shape = (c_in, oh, ow)
            total += c_in * oh * ow * layer.kernel_size[0] * layer.kernel_size[1]
        elif isinstance(layer, Flatten):
            n = 1
            for v in shape:
                n *= v
            shape = (n,)
        elif isinstance(layer, Dense) and len(shape) == 1:
            total += layer.out_features * (2 * shape[0] + int(layer.bias))
            shape = (layer.out_features,)
        else:
            return total  # the network build reports the shape error with its own message
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
