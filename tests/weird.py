"""Specs with user letters and titles that need escaping (shared by the notation, KaTeX and PDF
tests): ``x_in``, ``my_weight_1``, ``loss%``, ``a&b``, ``conv#1``, ``delta``."""

WEIRD_LETTERS = {
    "input": "x_in", "weight": "my_weight_1", "cost": "loss%", "activation": "a&b",
    "bias": "conv#1", "delta": "delta", "pre_activation": "pre act", "target": "t~^\\|",
}


def weird_spec(style: str) -> dict:
    """A 3×3 input, a biased ReLU conv layer and a plain conv layer, with every letter escaped."""
    return {
        "title": "Weird: x_in my_weight_1 loss% a&b conv#1 delta {braces} $5 ~^\\ a|b <c>",
        "input": {"shape": [1, 3, 3]},
        "layers": [
            {"type": "conv2d", "kernel_size": 2, "bias": True, "activation": "relu"},
            {"type": "conv2d", "kernel_size": 2},
        ],
        "cost": {"type": "half_sse"},
        "notation": {"style": style, **WEIRD_LETTERS},
    }


MIXED = {
    "title": "Mixed: conv (flipped), ReLU, max pool, flatten, dense, sigmoid, cross-entropy",
    "convention": "convolution",
    "input": {"shape": [1, 6, 6]},
    "layers": [
        {"type": "conv2d", "out_channels": 2, "kernel_size": 3, "bias": True, "activation": "relu"},
        {"type": "max_pool2d", "kernel_size": 2},
        {"type": "flatten"},
        {"type": "dense", "out_features": 3, "bias": True, "activation": "sigmoid"},
    ],
    "cost": {"type": "cross_entropy"},
    "notation": {"style": "grid"},
}
"""Every layer type, a nonlinear cost and irrational values (decimals in the numeric view)."""
