"""General (symbolic-size) derivations of the convolution gradients in index notation."""
