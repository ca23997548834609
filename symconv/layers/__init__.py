"""The layer registry: one module per layer kind, one row per kind in :data:`LAYERS`.

Adding a layer kind is one module in this package (a :class:`~symconv.layers.base.LayerKind`
with its spec dataclass and hooks), one line below, and its tests. Nothing outside this package
branches on a layer type; the stages ask :func:`kind_of`.
"""

from __future__ import annotations

from . import (
    add, batch_norm, concat, conv1d, conv2d, conv_transpose2d, dense, flatten, global_pool, pool2d, softmax, upsample,
)
from .base import Context, Formulas, LayerKind, LayerNet, PrintContext

LAYERS: dict[str, LayerKind] = {
    "conv2d": conv2d.KIND,
    "conv1d": conv1d.KIND,
    "conv_transpose2d": conv_transpose2d.KIND,
    "max_pool2d": pool2d.MAX,
    "avg_pool2d": pool2d.AVG,
    "flatten": flatten.KIND,
    "dense": dense.KIND,
    "add": add.KIND,
    "concat": concat.KIND,
    "global_avg_pool2d": global_pool.KIND,
    "upsample_nearest2d": upsample.KIND,
    "softmax": softmax.KIND,
    "batch_norm2d": batch_norm.BN2D,
    "batch_norm1d": batch_norm.BN1D,
}
"""Every layer kind by its spec ``type``."""

DEFAULT_TYPE = "conv2d"
"""The ``type`` of a ``[[layers]]`` table that gives none."""


def kind_of(layer) -> LayerKind:
    """The kind of a layer spec or of a built layer (:class:`LayerNet`)."""
    spec = getattr(layer, "spec", layer)
    return LAYERS[spec.type]


__all__ = ["DEFAULT_TYPE", "LAYERS", "Context", "Formulas", "LayerKind", "LayerNet", "PrintContext", "kind_of"]
