"""Small NumPy backward implementations for ``symconv check-code``: one correct, one per mistake.

Conv layers: x (1, C, H, W), w (F, C, k, k), b (F,), dout (1, F, H', W'), cross-correlation
``out[f, i, j] = sum_c,u,v w[f, c, u, v] * xpad[c, i*s + u, j*s + v] + b[f]``.
"""

import numpy as np


def conv_backward(dout, cache):
    """Correct (layer-cache style of course assignments)."""
    x, w, b, param = cache
    s, p = param["stride"], param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    F, C, k, _ = w.shape
    _, _, Ho, Wo = dout.shape
    for f in range(F):
        for i in range(Ho):
            for j in range(Wo):
                g = dout[0, f, i, j]
                dxp[0, :, i * s:i * s + k, j * s:j * s + k] += w[f] * g
                dw[f] += xp[0, :, i * s:i * s + k, j * s:j * s + k] * g
    db = dout.sum(axis=(0, 2, 3))
    return dxp[:, :, p:p + x.shape[2], p:p + x.shape[3]], dw, db


def conv_backward_plain(x, w, dout, stride, pad):
    """Correct (plain signature)."""
    dx, dw, _ = conv_backward(dout, (x, w, np.zeros(w.shape[0]), {"stride": stride, "pad": pad}))
    return dx, dw


def _full_conv_dx(dout, w, s, x_shape, p, rotate=True, dilate=True):
    """dx as the 'full convolution' of the stride-dilated δ with the rotated kernel (textbook form)."""
    F, C, k, _ = w.shape
    _, _, Ho, Wo = dout.shape
    if dilate:
        d = np.zeros((F, (Ho - 1) * s + 1, (Wo - 1) * s + 1))
        d[:, ::s, ::s] = dout[0]
    else:
        d = dout[0]
    Hp, Wp = x_shape[2] + 2 * p, x_shape[3] + 2 * p
    padded = np.zeros((F, Hp + 2 * (k - 1), Wp + 2 * (k - 1)))
    padded[:, k - 1:k - 1 + d.shape[1], k - 1:k - 1 + d.shape[2]] = d
    kern = w[:, :, ::-1, ::-1] if rotate else w
    dxp = np.zeros((C, Hp, Wp))
    for c in range(C):
        for i in range(Hp):
            for j in range(Wp):
                dxp[c, i, j] = sum((padded[f, i:i + k, j:j + k] * kern[f, c]).sum() for f in range(F))
    return dxp


def conv_backward_textbook(dout, cache):
    """Correct: the full-convolution form."""
    x, w, b, param = cache
    s, p = param["stride"], param["pad"]
    dxp = _full_conv_dx(dout, w, s, x.shape, p)
    _, dw, db = conv_backward(dout, cache)
    return dxp[None, :, p:p + x.shape[2], p:p + x.shape[3]], dw, db


def conv_backward_no_stride_zeros(dout, cache):
    """Bug: δ not dilated by the stride."""
    x, w, b, param = cache
    s, p = param["stride"], param["pad"]
    dxp = _full_conv_dx(dout, w, s, x.shape, p, dilate=False)
    _, dw, db = conv_backward(dout, cache)
    return dxp[None, :, p:p + x.shape[2], p:p + x.shape[3]], dw, db


def conv_backward_not_rotated(dout, cache):
    """Bug: the kernel is never rotated."""
    x, w, b, param = cache
    s, p = param["stride"], param["pad"]
    dxp = _full_conv_dx(dout, w, s, x.shape, p, rotate=False)
    _, dw, db = conv_backward(dout, cache)
    return dxp[None, :, p:p + x.shape[2], p:p + x.shape[3]], dw, db


def conv_backward_padding_not_cropped(dout, cache):
    """Bug: the gradient of the padded input is cropped at the wrong corner."""
    x, w, b, param = cache
    s, p = param["stride"], param["pad"]
    dxp = _full_conv_dx(dout, w, s, x.shape, p)
    _, dw, db = conv_backward(dout, cache)
    return dxp[None, :, :x.shape[2], :x.shape[3]], dw, db


def conv_backward_convention_swapped(dout, cache):
    """Bug: dw computed for the convolution (flipped kernel) though the forward is cross-correlation."""
    dx, dw, db = conv_backward(dout, cache)
    return dx, dw[:, :, ::-1, ::-1], db


def conv_backward_overwrite(dout, cache):
    """Bug: overlapping windows overwrite dx instead of accumulating."""
    x, w, b, param = cache
    s, p = param["stride"], param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    F, C, k, _ = w.shape
    _, _, Ho, Wo = dout.shape
    for f in range(F):
        for i in range(Ho):
            for j in range(Wo):
                g = dout[0, f, i, j]
                dxp[0, :, i * s:i * s + k, j * s:j * s + k] = w[f] * g
                dw[f] += xp[0, :, i * s:i * s + k, j * s:j * s + k] * g
    return dxp[:, :, p:p + x.shape[2], p:p + x.shape[3]], dw, dout.sum(axis=(0, 2, 3))


def conv_backward_first_window(dout, cache):
    """Bug: returns inside the loop, after the first window."""
    x, w, b, param = cache
    s, p = param["stride"], param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    k = w.shape[2]
    for f in range(w.shape[0]):
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                g = dout[0, f, i, j]
                dxp[0, :, i * s:i * s + k, j * s:j * s + k] += w[f] * g
                dw[f] += xp[0, :, i * s:i * s + k, j * s:j * s + k] * g
                db = np.zeros(w.shape[0])
                db[f] += g
                return dxp[:, :, p:p + x.shape[2], p:p + x.shape[3]], dw, db


def conv_relu_backward(dout, cache):
    """Correct: conv followed by ReLU, dout = dC/d(relu output)."""
    x, w, b, param = cache
    z = _conv_forward(x, w, b, param)
    return conv_backward(dout * (z > 0), cache)


def conv_relu_backward_no_derivative(dout, cache):
    """Bug: the ReLU derivative is left out."""
    return conv_backward(dout, cache)


def _conv_forward(x, w, b, param):
    s, p = param["stride"], param["pad"]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    F, C, k, _ = w.shape
    Ho = (xp.shape[2] - k) // s + 1
    Wo = (xp.shape[3] - k) // s + 1
    z = np.zeros((1, F, Ho, Wo))
    for f in range(F):
        for i in range(Ho):
            for j in range(Wo):
                z[0, f, i, j] = (xp[0, :, i * s:i * s + k, j * s:j * s + k] * w[f]).sum() + b[f]
    return z


def conv_backward_factor_2(dout, cache):
    """Bug: the cost's factor 2 applied again."""
    dx, dw, db = conv_backward(dout, cache)
    return 2 * dx, 2 * dw, 2 * db


def maxpool_backward(dout, cache):
    """Correct: all of δ to the first maximum (row-major), accumulated over overlapping windows."""
    x, param = cache
    k, s = param["pool_height"], param["stride"]
    dx = np.zeros_like(x)
    _, C, Ho, Wo = dout.shape
    for c in range(C):
        for i in range(Ho):
            for j in range(Wo):
                win = x[0, c, i * s:i * s + k, j * s:j * s + k]
                u, v = np.unravel_index(np.argmax(win), win.shape)
                dx[0, c, i * s + u, j * s + v] += dout[0, c, i, j]
    return dx


def maxpool_backward_overwrite(dout, cache):
    """Bug: each window's mask overwrites dx (overlapping windows, stride < kernel)."""
    x, param = cache
    k, s = param["pool_height"], param["stride"]
    dx = np.zeros_like(x)
    _, C, Ho, Wo = dout.shape
    for c in range(C):
        for i in range(Ho):
            for j in range(Wo):
                win = x[0, c, i * s:i * s + k, j * s:j * s + k]
                mask = np.zeros_like(win)
                u, v = np.unravel_index(np.argmax(win), win.shape)
                mask[u, v] = 1
                dx[0, c, i * s:i * s + k, j * s:j * s + k] = mask * dout[0, c, i, j]
    return dx


def maxpool_backward_ties(dout, cache):
    """Bug: the mask x == max sends δ to every tied maximum."""
    x, param = cache
    k, s = param["pool_height"], param["stride"]
    dx = np.zeros_like(x)
    _, C, Ho, Wo = dout.shape
    for c in range(C):
        for i in range(Ho):
            for j in range(Wo):
                win = x[0, c, i * s:i * s + k, j * s:j * s + k]
                dx[0, c, i * s:i * s + k, j * s:j * s + k] += (win == win.max()) * dout[0, c, i, j]
    return dx
