"""PyTorch float64 oracle and an exact/high-precision evaluator of symconv's gradients.

``torch_gradients(model, values)`` rebuilds the network of a :class:`~symconv.api.Model` in PyTorch
from its :class:`~symconv.spec.Spec` alone (padding words are handed to PyTorch where it has them,
explicit or asymmetric padding is applied with ``F.pad``), runs autograd and returns ∂C/∂s for every
symbol ``s`` of the network (inputs, weights, biases, pre-activations, activations) keyed by
symconv's Python names. The symbol tensors are used only to name the elements; their shapes are
checked against PyTorch's.

``symconv_gradients(model, values)`` evaluates symconv's NAMED gradients (forward intermediates o, z
and leaves) at the same values: forward values first, layer by layer, at 40 significant digits.

The generic activation ``f`` is made concrete as sin (so f' = cos) on both sides.
"""

from __future__ import annotations

import math
import random

import sympy
import torch
import torch.nn.functional as F

from symconv.activations import f as f_generic, fprime
from symconv.notation import LEAF_ROLES, ROLE
from symconv.layers.add import Add
from symconv.layers.batch_norm import SYMBOLIC, BatchNorm
from symconv.layers.concat import Concat
from symconv.layers.conv1d import Conv1d
from symconv.layers.conv2d import Conv2d
from symconv.layers.conv_transpose2d import ConvTranspose2d
from symconv.layers.dense import Dense
from symconv.layers.flatten import Flatten
from symconv.layers.global_pool import GlobalAvgPool2d
from symconv.layers.pool2d import Pool2d
from symconv.layers.softmax import Softmax
from symconv.layers.upsample import UpsampleNearest2d

PREC = 40
RTOL = 1e-10


def random_values(model, seed: int = 0) -> dict[sympy.Symbol, float]:
    """Random doubles for every leaf (inputs, weights, biases, targets).

    Targets are in (0, 1) for bce; for cross-entropy they are a probability vector (a one-hot
    vector per example under ``[cost] targets = "one_hot"``).
    """
    rng = random.Random(seed)
    net = model.network
    values: dict[sympy.Symbol, float] = {}
    for s, info in net.table.info.items():
        if info.role in LEAF_ROLES and info.role != "target":
            values[s] = rng.uniform(0.001, 0.1) if ROLE[info.role].positive else rng.uniform(-1.0, 1.0)
    cost = model.spec.cost.type
    ys = net.targets.symbols
    if cost == "bce":
        for s in ys:
            values[s] = rng.uniform(0.05, 0.95)
    elif cost == "cross_entropy" and model.spec.cost.targets == "one_hot":
        per = len(ys) // max(net.batch, 1)  # one-hot: one class per example is 1, the others 0
        for e in range(0, len(ys), per):
            hot = rng.randrange(per)
            for k in range(per):
                values[ys[e + k]] = 1.0 if k == hot else 0.0
    elif cost == "cross_entropy":
        raw = [rng.uniform(0.05, 1.0) for _ in ys]
        for s, r in zip(ys, raw):
            values[s] = r / sum(raw)
    else:
        for s in ys:
            values[s] = rng.uniform(-1.0, 1.0)
    return values


def _activation(x, act):
    kind = act.kind
    if kind == "identity":
        return x
    if kind == "relu":
        return torch.relu(x)
    if kind == "leaky_relu":
        return F.leaky_relu(x, float(sympy.Rational(act.negative_slope)))
    if kind == "sigmoid":
        return torch.sigmoid(x)
    if kind == "tanh":
        return torch.tanh(x)
    if kind == "f":
        return torch.sin(x)
    raise ValueError(kind)


def _padded(x, amounts, value=0.0):
    (top, bottom), (left, right) = amounts
    if top == bottom == left == right == 0:
        return x
    return F.pad(x, (left, right, top, bottom), value=value)


def _tensor(values, symtensor, shape):
    data = [values[s] for s in symtensor.symbols]
    return torch.tensor(data, dtype=torch.float64).reshape(shape).requires_grad_(True)


def torch_gradients(model, values) -> dict[str, float]:
    """∂C/∂s from PyTorch autograd for every symbol of the network, keyed by symconv's names.

    Unbatched networks run as a batch of one; every layer reads the tensors its spec names
    (``inputs``), so skip connections and concatenations are PyTorch's own ``+`` and
    ``torch.cat``."""
    spec, net = model.spec, model.network
    flip = spec.convention == "convolution"
    batch = max(spec.batch, 1)
    x = _tensor(values, net.input, (batch,) + tuple(spec.input_shape))
    watched = [(x, net.input)]  # (torch tensor, symconv SymTensor) pairs to read .grad from
    made = [x]  # the output of every position (0: the network input)
    for layer, ln, reads in zip(spec.layers, net.layers, spec.graph):
        ins = [made[p] for p in reads]
        a = ins[0]
        if isinstance(layer, Conv2d):
            w = _tensor(values, ln.weight, ln.weight.shape)
            watched.append((w, ln.weight))
            b = None
            if layer.bias:
                b = _tensor(values, ln.bias, ln.bias.shape)
                watched.append((b, ln.bias))
            kernel = w.flip(-2, -1) if flip else w
            pad = layer.padding
            if pad.mode == "same":
                z = F.conv2d(a, kernel, b, stride=layer.stride, padding="same",
                             dilation=layer.dilation, groups=layer.groups)
            else:
                if pad.mode == "full":
                    ph = layer.dilation[0] * (layer.kernel_size[0] - 1)
                    pw = layer.dilation[1] * (layer.kernel_size[1] - 1)
                    amounts = ((ph, ph), (pw, pw))
                else:
                    amounts = pad.amounts
                z = F.conv2d(_padded(a, amounts), kernel, b, stride=layer.stride,
                             dilation=layer.dilation, groups=layer.groups)
            a = _after_linear(z, layer.activation, ln, watched)
        elif isinstance(layer, Conv1d):
            w = _tensor(values, ln.weight, ln.weight.shape)
            watched.append((w, ln.weight))
            b = None
            if layer.bias:
                b = _tensor(values, ln.bias, ln.bias.shape)
                watched.append((b, ln.bias))
            kernel = w.flip(-1) if flip else w
            if layer.padding.mode == "same":
                z = F.conv1d(a, kernel, b, stride=layer.stride, padding="same", dilation=layer.dilation,
                             groups=layer.groups)
            else:
                before, after = ((layer.dilation * (layer.kernel_size - 1),) * 2 if layer.padding.mode == "full"
                                 else layer.padding.amounts[1])
                z = F.conv1d(F.pad(a, (before, after)), kernel, b, stride=layer.stride, dilation=layer.dilation,
                             groups=layer.groups)
            a = _after_linear(z, layer.activation, ln, watched)
        elif isinstance(layer, ConvTranspose2d):
            w = _tensor(values, ln.weight, ln.weight.shape)
            watched.append((w, ln.weight))
            b = None
            if layer.bias:
                b = _tensor(values, ln.bias, ln.bias.shape)
                watched.append((b, ln.bias))
            kernel = w.flip(-2, -1) if flip else w
            z = F.conv_transpose2d(a, kernel, b, stride=layer.stride, padding=layer.padding,
                                   output_padding=layer.output_padding, groups=layer.groups, dilation=layer.dilation)
            a = _after_linear(z, layer.activation, ln, watched)
        elif isinstance(layer, Dense):
            w = _tensor(values, ln.weight, ln.weight.shape)
            watched.append((w, ln.weight))
            z = a @ w.T
            if layer.bias:
                b = _tensor(values, ln.bias, ln.bias.shape)
                watched.append((b, ln.bias))
                z = z + b
            a = _after_linear(z, layer.activation, ln, watched)
        elif isinstance(layer, Pool2d):
            (top, bottom), (left, right) = layer.padding.amounts
            symmetric = top == bottom and left == right
            if layer.type == "max_pool2d":
                if symmetric:
                    a = F.max_pool2d(a, layer.kernel_size, layer.stride, padding=(top, left))
                else:
                    a = F.max_pool2d(_padded(a, layer.padding.amounts, -math.inf),
                                     layer.kernel_size, layer.stride)
            else:
                if symmetric:
                    a = F.avg_pool2d(a, layer.kernel_size, layer.stride, padding=(top, left),
                                     count_include_pad=True)
                else:
                    a = F.avg_pool2d(_padded(a, layer.padding.amounts), layer.kernel_size, layer.stride)
            a.retain_grad()
            watched.append((a, ln.out))
        elif isinstance(layer, Flatten):
            a = a.reshape(batch, -1)
            if a.requires_grad and not a.is_leaf:
                a.retain_grad()
        elif isinstance(layer, Add):
            z = ins[0]
            for other in ins[1:]:
                z = z + other
            a = _after_linear(z, layer.activation, ln, watched)
        elif isinstance(layer, GlobalAvgPool2d):
            a = F.adaptive_avg_pool2d(a, 1)
            a.retain_grad()
            watched.append((a, ln.out))
        elif isinstance(layer, UpsampleNearest2d):
            a = F.interpolate(a, scale_factor=tuple(float(s) for s in layer.scale_factor), mode="nearest")
            a.retain_grad()
            watched.append((a, ln.out))
        elif isinstance(layer, BatchNorm):
            a = _batch_norm(a, layer, ln, values, watched)
        elif isinstance(layer, Softmax):
            a = F.softmax(a.reshape(batch, -1), dim=1).reshape(a.shape)
            a.retain_grad()
            watched.append((a, ln.out))
        elif isinstance(layer, Concat):
            a = torch.cat(ins, dim=1)
            a.retain_grad()
            watched.append((a, ln.out))
        else:
            raise TypeError(layer)
        made.append(a)
    o = made[-1].reshape(batch, -1)
    y = torch.tensor([values[s] for s in net.targets.symbols], dtype=torch.float64).reshape(batch, -1)
    kind = spec.cost.type
    if kind == "sse":
        cost = ((o - y) ** 2).sum()
    elif kind == "half_sse":
        cost = 0.5 * ((o - y) ** 2).sum()
    elif kind == "mse":
        cost = ((o - y) ** 2).sum() / o.shape[1]
    elif kind == "cross_entropy":
        cost = F.cross_entropy(o, y, reduction="sum")  # probability targets
    elif kind == "bce":
        cost = F.binary_cross_entropy(o, y, reduction="sum")
    else:
        raise ValueError(kind)
    if spec.cost.reduction == "mean":
        cost = cost / batch
    cost.backward()
    grads: dict[str, float] = {}
    for tensor, symtensor in watched:
        shape = tuple(tensor.shape[1:]) if tensor.dim() == len(symtensor.shape) + 1 else tuple(tensor.shape)
        assert shape == tuple(symtensor.shape), (shape, symtensor.shape)
        g = tensor.grad
        flat = torch.zeros(len(symtensor)) if g is None else g.reshape(-1)
        for s, v in zip(symtensor.symbols, flat.tolist()):
            grads[s.name] = v
    grads["C"] = cost.item()
    return grads


def _after_linear(z, act, ln, watched):
    if ln.pre is None:  # identity: z is the layer output o
        z.retain_grad()
        watched.append((z, ln.out))
        return z
    z.retain_grad()
    watched.append((z, ln.pre))
    a = _activation(z, act)
    a.retain_grad()
    watched.append((a, ln.out))
    return a


def _batch_norm(x, layer, ln, values, watched):
    """Batch norm in training mode written out (mean, biased variance, σ, x̂, γ x̂ + β), so that
    autograd reports the gradients of the intermediates too; the written-out graph is checked
    against ``F.batch_norm(training=True)`` (output and vector-Jacobian product) first."""
    eps = values[ln.constants[0]] if layer.eps == SYMBOLIC else float(sympy.Rational(layer.eps))
    dims = tuple(d for d in range(x.dim()) if d != 1)
    gamma = beta = None
    if layer.affine:
        gamma = _tensor(values, ln.weight, ln.weight.shape)
        beta = _tensor(values, ln.bias, ln.bias.shape)
        watched.extend([(gamma, ln.weight), (beta, ln.bias)])
    view = (1, -1) + (1,) * (x.dim() - 2)

    def written(x, gamma, beta):
        mean = x.mean(dim=dims)
        var = ((x - mean.reshape(view)) ** 2).mean(dim=dims)
        std = torch.sqrt(var + eps)
        xhat = (x - mean.reshape(view)) / std.reshape(view)
        z = xhat * gamma.reshape(view) + beta.reshape(view) if gamma is not None else xhat
        return mean, var, std, xhat, z

    # the written-out graph is PyTorch's batch norm: same output, same vector-Jacobian product
    probe = x.detach().clone().requires_grad_(True)
    params = [p.detach().clone().requires_grad_(True) for p in (gamma, beta)] if layer.affine else [None, None]
    theirs = F.batch_norm(probe, None, None, params[0], params[1], training=True, eps=eps)
    ours = written(probe, *params)[4]
    assert torch.allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    v = torch.randn_like(theirs, dtype=torch.float64)
    wrt = [probe] + [p for p in params if p is not None]
    for g1, g2 in zip(torch.autograd.grad(ours, wrt, v, retain_graph=True), torch.autograd.grad(theirs, wrt, v)):
        assert torch.allclose(g1, g2, rtol=1e-9, atol=1e-10), (g1, g2)

    mean, var, std, xhat, z = written(x, gamma, beta)
    for t, sym in ((mean, ln.intermediates[0][0]), (var, ln.intermediates[1][0]), (std, ln.intermediates[2][0])):
        t.retain_grad()
        watched.append((t, sym))
    if layer.affine:
        xhat.retain_grad()
        watched.append((xhat, ln.intermediates[3][0]))
    return _after_linear(z, layer.activation, ln, watched)


# ----------------------------------------------------------------------------- symconv side

def concrete(expr: sympy.Expr) -> sympy.Expr:
    """Replace the generic activation f by sin (and f' by cos)."""
    if expr.has(f_generic) or expr.has(fprime):
        expr = expr.replace(f_generic, sympy.sin).replace(fprime, sympy.cos)
    return expr


def _num(expr) -> sympy.Expr:
    return concrete(sympy.sympify(expr)).evalf(PREC)


def substitute(expr: sympy.Expr, vals: dict, memo: dict) -> sympy.Expr:
    """``expr.xreplace(vals)`` with a memo shared across calls.

    Named forms share their upstream sub-expressions (δ of a later layer appears in every
    gradient of an earlier one), so a plain tree walk revisits them many times.
    """
    stack = [expr]
    while stack:
        e = stack[-1]
        if e in memo:
            stack.pop()
            continue
        if e in vals:
            memo[e] = vals[e]
            stack.pop()
            continue
        if not e.args:
            memo[e] = e
            stack.pop()
            continue
        pending = [a for a in e.args if a not in memo]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        memo[e] = e.func(*[memo[a] for a in e.args])
    return memo[expr]


def forward_values(model, values) -> dict:
    """Leaf values (as 40-digit Floats) plus every forward intermediate, in forward order."""
    vals = {s: sympy.Float(v, PREC) for s, v in values.items()}
    for d in model.forward.definitions:
        vals[d.target] = _num(d.expr.xreplace(vals))
    return vals


def gradient_symbols(model) -> list[sympy.Symbol]:
    """Every symbol a gradient is compared for: inputs, and every tensor each layer makes
    (weights, biases, intermediates, z and o)."""
    net = model.network
    out = list(net.input.symbols)
    for layer in net.layers:
        for t in layer.tensors():
            out.extend(t.symbols)
    return list(dict.fromkeys(out))


def symconv_gradients(model, values, form: str = "named") -> dict[str, float]:
    """symconv's ∂C/∂s for every symbol, evaluated at ``values``.

    ``form="named"`` substitutes the forward values of o/z and the leaves into the named form;
    ``form="leaf"`` substitutes leaves into the leaf form (small networks only).
    """
    vals = forward_values(model, values)
    g = model.gradients
    result = {}
    memo: dict = {}
    for s in gradient_symbols(model):
        expr = g.named(s) if form == "named" else g.leaf(s)
        v = _num(substitute(expr, vals, memo))
        assert v.is_number and v.is_real, (s, v)
        result[s.name] = float(v)
    result["C"] = float(vals[model.network.cost])
    return result


def close(a: float, b: float, rtol: float = RTOL) -> bool:
    return abs(a - b) <= rtol * max(abs(a), abs(b)) + 1e-13


def compare(model, seed: int = 0, form: str = "named") -> int:
    """Assert symconv equals PyTorch for every gradient; returns how many values were compared."""
    values = random_values(model, seed)
    theirs = torch_gradients(model, values)
    ours = symconv_gradients(model, values, form)
    assert set(ours) == set(theirs), sorted(set(ours) ^ set(theirs))
    bad = [(k, ours[k], theirs[k]) for k in ours if not close(ours[k], theirs[k])]
    assert not bad, f"{len(bad)} of {len(ours)} gradients differ from torch, e.g. {bad[:5]}"
    return len(ours)
