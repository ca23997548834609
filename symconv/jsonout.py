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
  from the last layer back) defines every intermediate. The sum of an intermediate's gradient
  is written once: its ``gradients`` entry is the name (δ or ``dC_d…``) that ``definitions``
  defines.
* ``deltas``: ``[{"name", "latex", "layer", "index", "expr"}]``: δ = ∂C/∂z per layer (named form).
* ``functions``: names of non-sympy functions that may appear (``MaxRoute``, ``f``, ``fprime``).
* ``form``: ``"leaf"`` or ``"named"``; ``convention``, ``title``, ``name``.
* ``assumptions``: ``[{"name", "expr", "latex", "substitute", "by"}]``: what the gradients
  assume (``"one_hot"``: ``expr`` = Σ_k y_k − 1 is 0 for each example, under ``[cost] targets =
  "one_hot"``; certificates substitute ``by`` for ``substitute``); empty: nothing assumed.
* ``certificates``: ``[{"name", "passed", "method", "regime", "arithmetic", "points", "sample_set",
  "sample_size", "degree", "bound", "tolerance", "covers", "entries", "conventions", "statement",
  "located", "more", "reason"}]``: how the gradients are certified. ``"independent"`` (every
  gradient, every entry): forward-mode differentiation of the forward definitions against the
  chain-rule sums at random points (:mod:`symconv.independent`); ``covers`` lists the tensors
  (``role``, ``layer``, ``shape``, ``entries``), ``located`` the wrong entries on failure.
"""

from __future__ import annotations

import json
from itertools import repeat
from operator import attrgetter, is_, is_not, itemgetter

import sympy

from .gcpause import gc_paused
from .costs import one_hot_blocks
from .independent import certificate_of
from .latex import NotationPrinter
from .notation import GRADIENT_ROLES, JSON_ROLES

ROLES = JSON_ROLES
LEAF_SIZE_LIMIT = 50_000  # estimated leaf size of cost + gradients above which JSON uses named form


def leaf_size_estimate(model) -> int:
    """Estimated size (in symbol occurrences) of the cost and every gradient written in leaf
    symbols, counted from the definitions without building any expression
    (:meth:`symconv.forward.Forward.leaf_size`, :meth:`symconv.gradients.Gradients.leaf_size`);
    stops counting once it passes ten times :data:`LEAF_SIZE_LIMIT`."""
    grads = model.gradients
    total = model.forward.leaf_size(model.network.cost)
    seen: set = set()
    for d in reversed(model.forward.definitions):
        for v, _ in d.partials:
            if v in seen:
                continue
            seen.add(v)
            total += grads.leaf_size(v)
            if total > 10 * LEAF_SIZE_LIMIT:
                return total
    return total


@gc_paused
def to_json(model) -> str:
    """The JSON document of ``model`` (anything with ``spec``, ``network``, ``forward`` and
    ``gradients``, such as a :class:`symconv.Model`); deterministic: sorted by symbol creation
    order, stable key order."""
    table = model.network.table
    grads = model.gradients
    leaf_form = leaf_size_estimate(model) <= LEAF_SIZE_LIMIT
    pieces: dict = {}  # each distinct partial printed once (see _product_text)
    symbols = [
        {"name": i.name, "latex": i.latex, "role": i.role, "layer": i.layer, "index": list(i.index)}
        for s, i in table.info.items() if i.role in ROLES
    ]
    # named form: ∂C/∂t of a definition's target t is defined once, under its δ or adjoint name
    # (``definitions``); the target's gradient refers to that name instead of repeating the sum
    defined_upstream = {} if leaf_form else {
        d.target: up.name for d in model.forward.definitions[:-1]
        if isinstance(up := grads.upstream_of.get(d.target), sympy.Symbol)}
    gradients = []
    for s, i in table.info.items():
        if i.role not in GRADIENT_ROLES:
            continue
        if leaf_form:
            named = grads.named(s)
            gradients.append({"wrt": i.name, "expr": _text(grads.leaf(s)), "named": _text(named)})
        elif s in defined_upstream:
            gradients.append({"wrt": i.name, "expr": defined_upstream[s]})
        else:
            gradients.append({"wrt": i.name, "expr": _chain_text(grads[s], pieces)})
    deltas = []
    for layer in model.network.layers:
        if layer.delta is None:
            continue
        for s in layer.delta.symbols:
            i = table.info[s]
            entry = {"name": i.name, "latex": i.latex, "layer": i.layer, "index": list(i.index)}
            if leaf_form:
                entry["expr"] = _text(grads.named(s))
            deltas.append(entry)
    doc = {
        "name": model.spec.name,
        "title": model.spec.title,
        "convention": model.spec.convention,
        "form": "leaf" if leaf_form else "named",
        "symbols": symbols,
        "cost": _text(model.forward.leaf(model.forward.cost.expr)) if leaf_form else _text(model.forward.cost.expr),
        "gradients": gradients,
        "deltas": deltas,
        "functions": ["MaxRoute", "f", "fprime", "Heaviside", "Max", "Piecewise"],
    }
    if not leaf_form:
        definitions = [{"name": d.target.name, "expr": _definition_text(d, pieces)} for d in model.forward.definitions]
        for d in reversed(model.forward.definitions[:-1]):
            up = grads.upstream_of.get(d.target)
            if isinstance(up, sympy.Symbol):
                definitions.append({"name": up.name, "expr": _chain_text(grads[d.target], pieces)})
        doc["definitions"] = definitions
    doc["certificates"] = [{"name": "independent", **certificate_of(grads).as_dict()}]
    doc["assumptions"] = assumptions(model)
    return dumps(doc)


def assumptions(model) -> list[dict]:
    """The assumptions the gradients hold under, ``[{"name", "expr", "latex", "substitute",
    "by"}]``: under one-hot targets one per example, ``expr`` = Σ_k y_k − 1 (assumed 0), and the
    substitution every certificate makes (``substitute`` = ``by``: the example's last target
    = 1 − the sum of the others); empty without an assumption."""
    fw = model.forward
    if not fw.assumed:
        return []
    net = model.network
    printer = NotationPrinter(net.table)
    out = []
    for ys in one_hot_blocks(net.targets.symbols, max(net.batch, 1)):
        total = sympy.Add(*ys)
        out.append({"name": "one_hot", "expr": _text(total - 1), "latex": f"{printer.doprint(total)} = 1",
                    "substitute": ys[-1].name, "by": _text(fw.assumed[ys[-1]])})
    return out


SORTED_TERMS_UP_TO = 64  # terms of a sum up to which sympy's printed (sorted) order is kept


def _text(expr) -> str:
    """``expr`` as sympy's ``str`` (readable by ``sympy.parse_expr``). Sums of more than
    ``SORTED_TERMS_UP_TO`` terms print in sympy's stored argument order instead of its display
    order: sorting them for display costs time that grows with terms × symbols (minutes for a
    3000-channel layer), and the stored order is as deterministic."""
    large = any(node.is_Add and len(node.args) > SORTED_TERMS_UP_TO for node in sympy.preorder_traversal(expr))
    return sympy.sstr(expr, order="none") if large else str(expr)


_first, _second, _third = itemgetter(0), itemgetter(1), itemgetter(2)
_name = attrgetter("name")
_is_symbol = attrgetter("is_Symbol")
_product = "{}*{}".format


def _chain_text(gradient, pieces: dict) -> str:
    """``Σ upstream·partial`` of a gradient's chain-rule terms, in their order, written with
    plain string formatting from the symbols' names and the printed partials (each distinct
    partial printed by sympy once; no sympy expression is built per term), when every upstream
    factor is a symbol; otherwise sympy's printing of :attr:`Gradient.delta_form` (the cost's
    own terms, whose upstream is 1). ``pieces``: :func:`_partial_pieces` by ``id`` of the
    partial, shared by one document's calls."""
    terms = gradient.terms
    ups = list(map(_second, terms))
    if not all(map(_is_symbol, ups)):
        return _text(gradient.delta_form)
    partials = list(map(_third, terms))
    if all(map(_is_symbol, partials)):  # the common case (conv, dense): "delta1_1*i1_1 + …"
        return " + ".join(map(_product, map(_name, ups), map(_name, partials))) if terms else "0"
    return _join(list(map(_product_text, map(_name, ups), partials, repeat(pieces, len(partials)))))


def _join(pieces) -> str:
    """``a + b - c``: the pieces of a sum (``-`` when a piece starts with a minus sign)."""
    if not pieces:
        return "0"
    out = [pieces[0]]
    for p in pieces[1:]:
        out.append(f" - {p[1:]}" if p[0] == "-" else f" + {p}")
    return "".join(out)


def _product_text(name: str, partial, pieces: dict) -> str:
    """``name · partial`` as sympy's ``str`` would read it back: ``name`` (partial 1),
    ``name*w`` (a symbol), ``name/4``, ``-3*name/4``, ``name*(1 - tanh(z)**2)``."""
    if partial.is_Symbol:
        return f"{name}*{partial.name}"
    got = pieces.get(id(partial))
    if got is None:
        got = pieces[id(partial)] = (partial, *_partial_pieces(partial, pieces.setdefault(_SHAPES, {})))  # keeps it alive
    _, kind, a, b = got
    if kind == "one":
        return name
    if kind == "rational":
        return f"{a}{name}{b}"
    return f"{name}*{a}"


def _partial_pieces(partial, shapes: dict | None = None) -> tuple[str, str, str]:
    """How a partial joins a name in a product: ``("one"|"rational"|"expr", before, after)``;
    ``shapes`` as for :func:`_printed`."""
    from sympy.printing.precedence import PRECEDENCE, precedence

    if partial is sympy.S.One:
        return ("one", "", "")
    if partial.is_Rational:
        p, q = partial.p, partial.q
        head = "-" if p == -1 else "" if p == 1 else f"{p}*"
        return ("rational", head, "" if q == 1 else f"/{q}")
    text = _text(partial) if shapes is None else _printed(partial, shapes)
    if precedence(partial) < PRECEDENCE["Mul"] or text.startswith("-"):
        text = f"({text})"
    return ("expr", text, "")


_SHAPES = "shapes"  # the key of _printed's shapes in a document's ``pieces`` (the others are ids)
_MARK = "\u039e"  # Ξ: a placeholder name no symbol of a network has (names are ASCII)
_PLACEHOLDER = sympy.Symbol(_MARK)


def _printed(expr, shapes: dict) -> str:
    """:func:`_text` of ``expr``, printed by sympy once per *shape* for an expression of one
    symbol (the local partial ``1 - tanh(z1_1)**2`` of each of thousands of elements):
    ``shapes`` maps the expression with its symbol replaced by a placeholder to its printed
    text, into which each expression's symbol name is put back. Renaming the only symbol does
    not change how sympy orders or brackets the printed terms (its names are compared only with
    each other); the first expression of each shape is also printed directly, and the shape is
    only reused when both agree."""
    symbols = expr.free_symbols
    if len(symbols) != 1:
        return _text(expr)
    (symbol,) = symbols
    if not isinstance(symbol, sympy.Symbol) or _MARK in symbol.name:
        return _text(expr)
    key = expr.xreplace({symbol: _PLACEHOLDER})
    template = shapes.get(key)
    if template is None:
        text = _text(expr)
        shaped = _text(key)
        shapes[key] = shaped if shaped.replace(_MARK, symbol.name) == text else False
        return text
    if template is False:
        return _text(expr)
    return template.replace(_MARK, symbol.name)


def _definition_text(d, pieces: dict) -> str:
    """A forward definition's expression: ``w*x + … + b`` from its terms when it is multilinear
    with rational coefficients (in the written order), ``f(z)`` for a function of one symbol,
    else sympy's printing of ``d.expr``."""
    terms = d.terms
    if terms and all(map(is_, map(_first, terms), repeat(sympy.S.One))) and all(map(is_not, map(_second, terms), repeat(None))):
        # coefficients 1, every term weighted (conv, dense): "w1_1*i1_1 + … + b1_1"
        text = " + ".join(map(_product, map(_name, map(_second, terms)), map(_name, map(_third, terms))))
        return text if d.bias is None else f"{text} + {d.bias.name}"
    if terms and all(t.coeff.is_Rational for t in terms):
        texts = [_product_text(t.value.name if t.weight is None else f"{t.weight.name}*{t.value.name}", t.coeff,
                               pieces) for t in terms]
        if d.bias is not None:
            texts.append(d.bias.name)
        return _join(texts)
    if not d.terms and d.given_expr is not None:
        e = d.given_expr
        if e.is_Function and len(e.args) == 1 and e.args[0].is_Symbol and _plain_function(type(e)):
            return f"{type(e).__name__}({e.args[0].name})"
    return _text(d.expr)


def _plain_function(cls) -> bool:
    """Whether sympy's ``str`` prints ``cls(x)`` as ``Name(x)`` (its generic function printing)."""
    from sympy.printing.str import StrPrinter

    for c in cls.__mro__:
        if c is sympy.Function:
            return True
        if hasattr(StrPrinter, f"_print_{c.__name__}"):
            return False
    return False


def _compact_encoder():
    """``value → its JSON text``, compact (no space after ``,`` and ``:``), non-ASCII kept:
    ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, with the C encoder built
    once instead of once per value (one call per list item of a large document)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # no C accelerator: the documented call
        return json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    fail = json.JSONEncoder().default
    encode = make(None, fail, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    return lambda value: "".join(encode(value, 0))


_encode = _compact_encoder()


def dumps(doc: dict) -> str:
    """JSON with one line per list item (readable diffs, stable bytes) and no other whitespace:
    no indentation and no space after ``,`` or ``:`` (a large network's document has hundreds
    of thousands of items; JSON readers ignore whitespace)."""
    lines = ["{"]
    items = list(doc.items())
    for k, (key, value) in enumerate(items):
        comma = "," if k < len(items) - 1 else ""
        if isinstance(value, list) and value:
            lines.append(f"{_encode(key)}:[\n" + ",\n".join(map(_encode, value)) + f"\n]{comma}")
        else:
            lines.append(f"{_encode(key)}:{_encode(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"
