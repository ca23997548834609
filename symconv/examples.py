"""The built-in example specs (``--example NAME``), as the dicts their TOML files would load to.

Data only: each is read by :func:`symconv.spec.spec_from_dict` like any user's spec.
"""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, dict[str, Any]] = {
    "seed": {
        "title": "Seed network",
        "convention": "cross-correlation",
        "input": {"shape": [1, 3, 3]},
        "layers": [
            {"type": "conv2d", "out_channels": 1, "kernel_size": 2},
            {"type": "conv2d", "kernel_size": 2},
        ],
        "cost": {"type": "sse"},
        # the question the seed network was built to answer (examples/seed.toml)
        "claims": [{"text": r"\frac{\partial C}{\partial w_1^1} = 2(o_1^2 - y_1)(i_1^1 + i_2^1 + i_4^1 + i_5^1)"
                            r"(w_1^2 + w_2^2 + w_3^2 + w_4^2)"}],
    },
    # examples/two_channel_stride2.toml
    "two_channel_stride2": {
        "title": "Two channels, stride 2, padding 1",
        "convention": "cross-correlation",
        "input": {"shape": [2, 5, 5]},
        "layers": [
            {"type": "conv2d", "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1,
             "bias": True},
        ],
        "cost": {"type": "half_sse"},
        "notation": {"style": "grid0"},
    },
    # examples/lenet_small.toml
    "lenet_small": {
        "title": "Small LeNet: conv, ReLU, max-pool, dense, cross-entropy",
        "convention": "cross-correlation",
        "input": {"shape": [1, 6, 6]},
        "layers": [
            {"type": "conv2d", "out_channels": 2, "kernel_size": 3, "bias": True,
             "activation": "relu", "derivative_at_zero": 0},
            {"type": "max_pool2d", "kernel_size": 2, "ties": "first"},
            {"type": "flatten"},
            {"type": "dense", "out_features": 3, "bias": True},
        ],
        "cost": {"type": "cross_entropy", "targets": "one_hot"},
    },
    # examples/lenet5.toml
    "lenet5": {
        "title": "LeNet-5",
        "convention": "cross-correlation",
        "input": {"shape": [1, 32, 32]},
        "layers": [
            {"type": "conv2d", "out_channels": 6, "kernel_size": 5, "bias": True, "activation": "tanh"},
            {"type": "avg_pool2d", "kernel_size": 2},
            {"type": "conv2d", "out_channels": 16, "kernel_size": 5, "bias": True, "activation": "tanh"},
            {"type": "avg_pool2d", "kernel_size": 2},
            {"type": "flatten"},
            {"type": "dense", "out_features": 120, "bias": True, "activation": "tanh"},
            {"type": "dense", "out_features": 84, "bias": True, "activation": "tanh"},
            {"type": "dense", "out_features": 10, "bias": True},
        ],
        "cost": {"type": "cross_entropy"},
    },
}
