"""The JSON contract: symbols, cost and every gradient, readable back with ``sympy.parse_expr``.

Keys (added to over time, never renamed or dropped):

* ``symbols``: ``[{"name", "latex", "role", "layer", "index"}]`` — ``role`` in input, weight,
  bias, target, pre_activation, activation; ``layer`` 1-based position in ``layers`` (0 for the
  input, null for targets); ``index`` 0-based: (c, h, w) for inputs and feature maps,
  (c_out, c_in, kh, kw) for kernels, (c_out,) for biases, (k,) for targets.
* ``cost``: the cost in leaf symbols (string).
* ``gradients``: ``[{"wrt", "expr"}]`` for every input, weight, bias, pre-activation and
  activation symbol. ``form = "leaf"`` (small networks): ``expr`` in leaf symbols, and ``named``
  gives the same gradient in forward intermediates (o, z). ``form = "named"`` (large networks,
  whose leaf forms would be huge): ``expr`` is the chain-rule sum of products in named
  intermediates — δ (``delta…``), ∂C/∂o (``dC_d…``), o and z — and ``definitions``
  (``[{"name", "expr"}]``, topological order: the forward pass, the cost, then δ and ∂C/∂o
  from the last layer back) defines every intermediate.
* ``deltas``: ``[{"name", "latex", "layer", "index", "expr"}]``: δ = ∂C/∂z per layer (named form).
* ``functions``: names of non-sympy functions that may appear (``MaxRoute``, ``f``, ``fprime``).
* ``form``: ``"leaf"`` or ``"named"``; ``convention``, ``title``, ``name``.
"""

from __future__ import annotations

import json

import sympy

from .api import Model

ROLES = ("input", "weight", "bias", "target", "pre_activation", "activation")
LEAF_SIZE_LIMIT = 20_000  # estimated operations of the leaf cost above which JSON uses named form


def leaf_size_estimate(model: Model) -> int:
    """Size of the cost written in leaf symbols, counted from definition sizes (no expansion)."""
    size: dict = {}
    total = 0
    for d in model.forward.definitions:
        s = 1 + sum(size.get(v, 1) for v, _ in d.partials)
        size[d.target] = s
        total = s
    return total


def to_json(model: Model) -> str:
    """The JSON document (deterministic: sorted by symbol creation order, stable key order)."""
    table = model.network.table
    grads = model.gradients
    leaf_form = leaf_size_estimate(model) <= LEAF_SIZE_LIMIT
    symbols = [
        {"name": i.name, "latex": i.latex, "role": i.role, "layer": i.layer, "index": list(i.index)}
        for s, i in table.info.items() if i.role in ROLES
    ]
    gradients = []
    for s, i in table.info.items():
        if i.role not in ROLES or i.role == "target":
            continue
        if leaf_form:
            named = grads.named(s)
            gradients.append({"wrt": i.name, "expr": str(grads.leaf(s)), "named": str(named)})
        else:
            gradients.append({"wrt": i.name, "expr": str(grads[s].delta_form)})
    deltas = []
    for layer in model.network.layers:
        if layer.delta is None:
            continue
        for s in layer.delta.symbols:
            i = table.info[s]
            entry = {"name": i.name, "latex": i.latex, "layer": i.layer, "index": list(i.index)}
            if leaf_form:
                entry["expr"] = str(grads.named(s))
            deltas.append(entry)
    doc = {
        "name": model.spec.name,
        "title": model.spec.title,
        "convention": model.spec.convention,
        "form": "leaf" if leaf_form else "named",
        "symbols": symbols,
        "cost": str(model.forward.leaf(model.forward.cost.expr)) if leaf_form else str(model.forward.cost.expr),
        "gradients": gradients,
        "deltas": deltas,
        "functions": ["MaxRoute", "f", "fprime", "Heaviside", "Max", "Piecewise"],
    }
    if not leaf_form:
        definitions = [{"name": d.target.name, "expr": str(d.expr)} for d in model.forward.definitions]
        for d in reversed(model.forward.definitions[:-1]):
            up = grads.upstream_of.get(d.target)
            if isinstance(up, sympy.Symbol):
                definitions.append({"name": up.name, "expr": str(grads[d.target].delta_form)})
        doc["definitions"] = definitions
    return dumps(doc)


def dumps(doc: dict) -> str:
    """JSON with one line per list item (readable diffs, stable bytes)."""
    lines = ["{"]
    items = list(doc.items())
    for k, (key, value) in enumerate(items):
        comma = "," if k < len(items) - 1 else ""
        if isinstance(value, list):
            inner = [json.dumps(v, ensure_ascii=False) for v in value]
            body = ",\n".join("    " + x for x in inner)
            lines.append(f"  {json.dumps(key)}: [\n{body}\n  ]{comma}" if inner else f"  {json.dumps(key)}: []{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"
