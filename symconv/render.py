"""Rendering: a derivation becomes a context of printed strings, and jinja2 templates lay it out.

Templates never see sympy objects: they receive LaTeX already printed by
:class:`~symconv.latex.NotationPrinter`, plus structure (layers, tensors, elements, rows).
Environments use ``StrictUndefined`` and no autoescape; ``.tex`` templates use LaTeX-safe
delimiters (``\\BLOCK{…}``, ``\\VAR{…}``, ``\\#{…}``; reference case C14). Template folders given
with ``--templates`` are searched before the built-in ones; the built-ins are also reachable as
``builtin/NAME``, so a user's ``derivation.md.j2`` may ``{% extends "builtin/derivation.md.j2" %}``
or extend ``base.md.j2`` and override its named blocks.

Size: printing cost is proportional to what is shown. Every tensor gets its closed form, its
general index formula (Σ over positions) and a receptive-field table per shown element; the sums
of an element are written in full only for small sums, for ``--show`` elements and under
``--full``; otherwise their first terms, ``⋯``, the last term and the term count are printed.
Receptive-field tables are truncated at :data:`TABLE_ROWS` rows with a stated count.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Sequence

import jinja2
import sympy

from .derivation import Derivation, ElementProof, TensorProof, shown_indices
from .errors import SpecError
from .functions import route_outputs
from .gcpause import gc_paused
from .indices import channel_var, example_var, position_vars
from .latex import (
    ROW_SOURCE, ROW_WIDTH, NotationPrinter, NumericPrinter, elided_rows, expr_terms, product_latex,
    split_rows, visible_len,
)
from .layers import Context, Formulas, PrintContext, kind_of
from .notation import PARAMETER_ROLES, ROLE_TABLE, escape_latex_text, escape_markdown_text

HEAD_TERMS = 3  # terms printed before "⋯" in an elided sum
TABLE_ROWS = 8  # rows of a receptive-field table before it is truncated (unless written in full)
MD_BLOCK_LIMIT = 900  # characters of one Markdown $$ block (renderers choke on long ones)


def builtin_template_dir() -> Path:
    """The folder of the built-in templates (``symconv.templates``, i.e. the repo's templates/)."""
    try:
        return Path(str(resources.files("symconv.templates")))
    except (ModuleNotFoundError, TypeError):  # running from a source tree without install
        return Path(__file__).resolve().parent.parent / "templates"


def environment(fmt: str, user_dirs: Sequence[str | Path] = ()) -> jinja2.Environment:
    """A jinja2 environment for ``fmt`` (``"md"`` or ``"tex"``; ``"tex"`` gets LaTeX-safe
    delimiters). ``user_dirs`` are searched first; ``builtin/NAME`` always names a built-in.

    Environments are cached per (format, folders), so templates compile once per process
    (jinja2 re-reads a template whose file changed)."""
    return _environment(fmt, tuple(str(Path(d).resolve()) for d in user_dirs))


@functools.lru_cache(maxsize=32)
def _environment(fmt: str, user_dirs: tuple[str, ...]) -> jinja2.Environment:
    builtin = jinja2.FileSystemLoader(str(builtin_template_dir()))
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader([str(d) for d in user_dirs]),
        builtin,
        jinja2.PrefixLoader({"builtin": builtin}),
    ])
    options = dict(
        loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
    )
    if fmt == "tex":
        options.update(
            block_start_string=r"\BLOCK{", block_end_string="}",
            variable_start_string=r"\VAR{", variable_end_string="}",
            comment_start_string=r"\#{", comment_end_string="}",
            line_statement_prefix="%%", line_comment_prefix="%#",
        )
    env = jinja2.Environment(**options)
    env.filters["texescape"] = escape_latex_text
    env.filters["mdescape"] = escape_markdown_text
    env.filters["mathblocks"] = math_blocks
    env.filters["equations"] = formula_equations
    return env


def formula_equations(formula: str) -> list[dict]:
    """A general formula ``a = b = c,\\quad d = e`` as aligned equations, one ``=`` a row
    (so that long general formulas never run past the margin)."""
    eqs = []
    for part in formula.split(r",\quad "):
        pieces = part.split(" = ")
        rows = [pieces[1]] + [rf"= {x}" for x in pieces[2:]] if len(pieces) > 1 else [""]
        eqs.append({"lhs": pieces[0], "rows": rows})
    return eqs


def equation_lines(eq: dict) -> list[str]:
    """Lines of one ``{"lhs", "rows"}`` equation for an ``aligned``/``align*`` environment."""
    rows = eq["rows"]
    lines = [f"{eq['lhs']} &{eq.get('rel', '=')} {rows[0]}"]
    lines += [f"&= {r[2:]}" if r.startswith("= ") else rf"&\quad {r}" for r in rows[1:]]
    return lines


def math_blocks(equations: Sequence[dict], limit: int = MD_BLOCK_LIMIT) -> list[list[str]]:
    """Group the lines of equations into blocks of at most ``limit`` characters (Markdown renderers
    choke on longer ``$$`` blocks). An equation that fits in a block is never split; a longer one
    continues in the next block: its continuation lines start with ``&``, so each block is a
    valid ``aligned`` on its own."""
    blocks: list[list[str]] = []
    size = limit + 1
    for eq in equations:
        lines = equation_lines(eq)
        whole = sum(len(line) + 4 for line in lines)
        if size + whole > limit and whole <= limit:
            size = limit + 1  # start the equation in a new block rather than split it
        for line in lines:
            length = len(line) + 4
            if size + length > limit:
                blocks.append([])
                size = 0
            blocks[-1].append(line)
            size += length
    return blocks


# ----------------------------------------------------------------------------- printing helpers

class Printer:
    """Prints a derivation's expressions in its notation and splits long sums into rows."""

    def __init__(self, derivation: Derivation, numeric=None):
        self.d = derivation
        self.table = derivation.network.table
        self.namer = self.table.namer
        self.pc = PrintContext(self.namer, derivation.network.spec.convention == "convolution",
                               position_vars(self.namer), channel_var(self.namer), example_var(self.namer))
        self._forms: dict = {}
        self.p = NotationPrinter(self.table, pooled=route_outputs(derivation.forward.definitions))
        self.numeric = numeric
        self.np = NumericPrinter(self.table, numeric.value) if numeric is not None else None

    def __call__(self, expr) -> str:
        return self.p.doprint(expr)

    def forms_of(self, layer) -> list:
        """The layer's closed forms (computed once per layer)."""
        if layer.index not in self._forms:
            self._forms[layer.index] = kind_of(layer).closed_forms(layer, Context(flip=self.pc.flip))
        return self._forms[layer.index]

    def rows(self, expr, printer=None) -> list[str]:
        """``expr`` printed as rows (see :func:`expr_rows`)."""
        return expr_rows(printer or self.p, expr)

    def sum_rows(self, printed_terms: list[str]) -> list[str]:
        return split_rows(printed_terms)

    def grad(self, s) -> str:
        cost = self.namer.latex_letter("cost")
        return rf"\frac{{\partial {cost}}}{{\partial {self(s)}}}"

    def partial(self, num, den) -> str:
        return rf"\frac{{\partial {self(num)}}}{{\partial {self(den)}}}"


def expr_rows(p: NotationPrinter, expr) -> list[str]:
    """``expr`` printed as rows of at most ``ROW_WIDTH`` visible characters where possible: a sum
    is split between terms; a wide product between factors (later rows start with ``\\cdot``),
    and a wide sum inside it is split inside ``\\bigl( … \\bigr)``."""
    if isinstance(expr, sympy.Add):
        return split_rows(expr_terms(p, expr))
    text = p.doprint(expr)
    if not isinstance(expr, sympy.Mul) or visible_len(text) <= ROW_WIDTH:
        return [text]
    rows = [""]

    def put(piece: str) -> None:
        if rows[-1] and visible_len(rows[-1]) + visible_len(piece) > ROW_WIDTH:
            rows.append(r"\cdot " + piece)
        else:
            rows[-1] = (rows[-1] + " " + piece).strip()

    for f in expr.as_ordered_factors():
        if isinstance(f, sympy.Add):
            inner = rf"\left({p.doprint(f)}\right)"
            if visible_len(inner) <= ROW_WIDTH:
                put(inner)
                continue
            body = split_rows(expr_terms(p, f))
            put(r"\bigl(" + body[0])
            rows.extend(body[1:])
            rows[-1] += r"\bigr)"
        else:
            put(product_latex(p, [f]))
    return rows


def readable_rows(pr: "Printer", expr) -> list[str] | None:
    """Rows of a substituted form, or None when it is None or a row would be too long to read
    (more than twice ``ROW_SOURCE`` characters or ``ROW_WIDTH`` visible ones: nested fractions of
    exponentials, for instance);
    the document then keeps the sum of products, whose upstream gradients are defined above."""
    if expr is None:
        return None
    rows = pr.rows(expr)
    too_long = any(len(r) > 2 * ROW_SOURCE or visible_len(r) > 2 * ROW_WIDTH for r in rows)
    return None if too_long else rows


def listed_rows(items: Sequence, show, written: bool) -> list[str]:
    """Rows of a sum of ``items`` printed by ``show(item)``: all of them when ``written``, else
    the first :data:`HEAD_TERMS`, ``⋯`` and the last with the count (only those are printed)."""
    if not items:
        return ["0"]
    if written or len(items) <= HEAD_TERMS + 2:
        return split_rows([show(x) for x in items])
    return elided_rows([show(x) for x in items[:HEAD_TERMS]], show(items[-1]), len(items))


def _cert_text(cert) -> str:
    return f"{cert.method}: {cert.detail}" if cert.equal else f"FAILED ({cert.method}): {cert.detail}"


VALUE_CHARS = 120  # printed characters above which an irrational exact value is shown as a decimal


def _value_latex(value) -> str:
    """An exact value (Rational or exact expression) in LaTeX."""
    return sympy.latex(value)


def value_equation(value) -> dict:
    """The last row of a numeric view: ``= value`` exactly (a Rational, or a short exact expression
    followed by its 12-digit decimal), or ``≈ decimal`` for a long irrational expression."""
    exact = sympy.latex(value)
    if value.is_Rational:
        return {"lhs": "", "rows": [exact]}
    decimal = sympy.latex(sympy.N(value, 12))
    if len(exact) <= VALUE_CHARS:
        return {"lhs": "", "rows": [exact, rf"\approx {decimal}"]}
    return {"lhs": "", "rel": r"\approx", "rows": [decimal]}


def _element(pr: Printer, e: ElementProof) -> dict:
    written = e.written
    terms = list(e.terms)
    chain = listed_rows(
        terms, lambda t: rf"{pr.grad(t.via) if t.upstream != 1 else ''} {pr.partial(t.via, e.wrt)}".strip(), written
    )
    shown_touches = terms if written else terms[:TABLE_ROWS]
    touches = [
        {"output": pr(t.via), "upstream": pr(t.upstream), "partial": pr(t.partial)}
        for t in shown_touches
    ]
    products = listed_rows(terms, lambda t: product_latex(pr.p, [t.upstream, t.partial]), written)
    closed = None
    if e.closed is not None:
        kind, pairs, cert = e.closed  # the closed form's products (a, b), meaning Σ a·b
        closed = {"kind": kind, "rows": listed_rows(
            list(pairs), lambda ab: product_latex(pr.p, [ab[0]] if ab[1] is None else list(ab)), written),
            "certificate": _cert_text(cert), "ok": cert.equal}
    numeric = None
    if pr.numeric is not None:
        numbers = listed_rows(terms, lambda t: product_latex(pr.np, [t.upstream, t.partial]), written)
        numeric = {"numbers": numbers, "value": value_equation(pr.numeric.grad[e.wrt])}
    return {
        "wrt": pr(e.wrt),
        "name": e.wrt.name,
        "grad": pr.grad(e.wrt),
        "written": written,
        "count": len(terms),
        "chain": chain,
        "touches": touches,
        "touches_omitted": len(terms) - len(shown_touches),
        "sum": products,
        "named": readable_rows(pr, e.named),
        "closed": closed,
        "numeric": numeric,
        "full": _cert_text(e.full) if e.full is not None else None,
        "zero": not e.terms,
    }


_PARAMETER_ROLES = frozenset(PARAMETER_ROLES)
_RF_HEADERS = {
    "weight": ("output it touches", "upstream gradient", "input it pairs with"),
    "bias": ("output it touches", "upstream gradient", "local partial"),
    "input": ("output it feeds", "upstream gradient", "weight involved"),
    "activation": ("output it feeds", "upstream gradient", "weight involved"),
    "gamma": ("output it touches", "upstream gradient", "local partial"),
    "beta": ("output it touches", "upstream gradient", "local partial"),
}


def _rf_headers(pr: Printer, role: str, layer_index: int, readers=()) -> tuple[str, str, str]:
    """Column names of a receptive-field table: what the third column holds depends on the layers
    that read the tensor (a weight for conv and dense, a routing or averaging factor else)."""
    consumers = [pr.d.network.layers[r - 1] for r, _ in readers] or [pr.d.network.layers[layer_index - 1]]
    if role not in _PARAMETER_ROLES and not all(kind_of(c).weighted for c in consumers):
        return ("output it feeds", "upstream gradient", "local partial")
    return _RF_HEADERS.get(role, ("output", "upstream gradient", "local partial"))


def _tensor(pr: Printer, t: TensorProof, layer_index: int) -> dict:
    role = t.role
    layer = t.layer
    count = 1
    for n in t.shape:
        count *= n
    return {
        "role": role,
        "layer": layer,
        "letter": pr.namer.tensor_latex(role, layer if role != "input" else 0),
        "shape": " \\times ".join(str(v) for v in t.shape),
        "shape_text": "x".join(str(v) for v in t.shape),
        "closed_kind": t.closed_kind,
        "closed_statement": _closed_statement_of(pr, t, layer_index) if t.closed_kind else None,
        "index_formula": index_formula(pr, t, layer_index),
        "rf_headers": _rf_headers(pr, role, layer_index, t.readers),
        "elements": [_element(pr, e) for e in t.elements],
        "count": count,
        "omitted": t.omitted,
        "all_closed_certified": t.all_closed_certified,
    }


def closed_statement(pr: Printer, kind: str, layer_index: int, source: int = 0) -> str:
    """The general closed form of a tensor's gradient, in the document's notation (stated by the
    kind of the layer it belongs to, or that reads it: ``source`` is which of its inputs)."""
    layer = pr.d.network.layers[layer_index - 1]
    return kind_of(layer).closed_statement(layer, kind, pr.pc, source)


def _closed_statement_of(pr: Printer, t: TensorProof, layer_index: int) -> str:
    """A tensor's closed form: its layer's (a parameter), its one reader's, or the sum of the
    paths through every reader (each reader's right-hand side)."""
    if not t.readers:
        return closed_statement(pr, t.closed_kind, layer_index)
    if len(t.readers) == 1:
        return closed_statement(pr, t.closed_kind, *t.readers[0])
    layers = pr.d.network.layers
    parts = []
    for r, p in t.readers:
        reader = layers[r - 1]
        form = next(f for f in pr.forms_of(reader) if f.tensor == "input" and f.source == p)
        parts.append(kind_of(reader).closed_parts(reader, form.kind, pr.pc, p))
    return f"{parts[0][0]} = " + " + ".join(rhs for _, rhs in parts)


def layer_formulas(pr: Printer, layer, source: int = 0) -> Formulas:
    """General index formulas of one layer, from its kind, in the document's notation
    (``source``: which of its inputs the input-gradient formula is of)."""
    return kind_of(layer).formulas(layer, pr.pc, source)


_FORMULA_KEYS = {"weight": "weight", "gamma": "weight", "bias": "bias", "beta": "bias"}


def index_formula(pr: Printer, t: TensorProof, layer_index: int) -> dict | None:
    """The general index formula of a tensor's gradient: ``{"formula", "note"}`` or None (for a
    tensor read by several layers: the sum of the paths, when their formulas share an index)."""
    if t.readers:
        paths = _paths(pr, t.readers)
        if paths is None:
            return None
        if len(t.readers) == 1:
            f = layer_formulas(pr, pr.d.network.layers[t.readers[0][0] - 1], t.readers[0][1])
            return {"formula": f.input, "note": f.note} if f.input is not None else None
        index, rhs, note = paths
        x = pr.namer.element_latex(t.role, t.layer if t.role != "input" else 0, list(index))
        return {"formula": f"{pr.pc.grad(x)} = {rhs}", "note": note}
    f = layer_formulas(pr, pr.d.network.layers[layer_index - 1])
    key = _FORMULA_KEYS.get(t.role)
    if key is None or getattr(f, key) is None:
        return None
    note = f.weight_note if key == "weight" else ""
    return {"formula": getattr(f, key), "note": note}


def _paths(pr: Printer, readers) -> tuple[tuple[str, ...], str, str] | None:
    """``(index, right-hand side, note)`` of the gradient of a tensor read by ``readers``
    (``(layer index, input position)`` pairs): the sum of each reader's input-gradient formula,
    when every reader has one and they share an index; None otherwise."""
    layers = pr.d.network.layers
    parts = [(r, layer_formulas(pr, layers[r - 1], p)) for r, p in readers]
    if any(f.input_rhs is None or f.input_index is None for _, f in parts):
        return None
    if len({f.input_index for _, f in parts}) != 1:
        return None
    if len(parts) == 1:
        f = parts[0][1]
        return f.input_index, f.input_rhs, f.note
    layers_text = ", ".join(str(r) for r, _ in parts[:-1]) + f" and {parts[-1][0]}"
    notes = [f"the terms are the paths through layers {layers_text}, in that order: a tensor read by "
             "several layers gets the sum of their contributions."]
    notes += [f"Through layer {r}, {f.note}" for r, f in parts if f.note]
    return parts[0][1].input_index, " + ".join(f.input_rhs for _, f in parts), " ".join(notes)


def _seed_note(pr: Printer) -> str:
    """How to read the indices of the general formulas (seed: structured indices stand for a flat
    one; every style: which target a ``y_k`` is)."""
    target = pr.namer.element_latex("target", None, _target_index(pr))
    batch = ""
    if pr.d.network.batch:
        batch = (f" The index ${pr.pc.example}$ counts the examples of the batch (from {pr.namer.base}); "
                 "the parameters (kernels, biases) are shared by every example.")
    if pr.namer.style != "seed":
        return (f"In the general formulas, ${target}$ is the target of the output element at "
                f"row-major position $k$ (counted from {pr.namer.base}){' of example $' + pr.pc.example + '$' if pr.d.network.batch else ''}."
                + batch)
    return ("In the general formulas, an index in parentheses such as $(c, u, v)$ names the element "
            "whose flat index $k$ is the 1-based row-major position of $(c, u, v)$ in its tensor, "
            f"and $k$ in a target ${target}$ is the row-major position of the output element it meets." + batch)


def _target_index(pr: Printer) -> list[str]:
    """Printed index of a general target: ``k``, or ``s, k`` (example s) in a batched grid style."""
    return [pr.pc.example, "k"] if pr.d.network.batch and pr.namer.style != "seed" else ["k"]


def _direct_readers(pr: Printer, tensor) -> list[tuple[int, int]]:
    """``(layer index, input position)`` of the layers that read ``tensor`` itself (not through
    a reshape)."""
    return [(r.index, p) for r in pr.d.network.layers for p, src in enumerate(r.sources)
            if (src.role, src.layer, src.shape) == (tensor.role, tensor.layer, tensor.shape)]


def _delta_formula(pr: Printer, layer, next_layer=None) -> str | None:
    """δ of a layer in general: from the cost for the last layer, else through the input-gradient
    formulas of the layers that read its output (their sum, one path each), when they have one."""
    nm = pr.namer
    cost = nm.latex_letter("cost")
    li = layer.index
    if layer.delta is None:
        return None
    readers = _direct_readers(pr, layer.out)
    paths = _paths(pr, readers) if readers else None
    if paths is not None:
        idx = list(paths[0])
    else:
        rank = len(layer.out.shape) - (1 if layer.batch else 0)
        idx = [pr.pc.channel, *pr.pc.pos][:rank] if rank > 1 else ["r"]
        idx = ([pr.pc.example] if layer.batch else []) + idx
    carrier_role = "pre_activation" if layer.pre is not None else "activation"
    d = nm.element_latex("delta", li, idx)
    z = nm.element_latex(carrier_role, li, idx)
    o = nm.element_latex("activation", li, idx)
    head = rf"{d} = \frac{{\partial {cost}}}{{\partial {z}}}"
    if layer.pre is not None:
        head += rf" = \frac{{\partial {cost}}}{{\partial {o}}} \, f'\left({z}\right)"
    if not readers and pr.d.network.spec.cost.type != "cross_entropy":
        from .costs import reduction_scale, summand

        os_, ys = sympy.Symbol("o__gen"), sympy.Symbol("y__gen")
        net = pr.d.network
        kind = net.spec.cost.type
        examples = max(net.batch, 1)
        deriv = sympy.diff(summand(kind, os_, ys, len(layer.out) // examples,
                                   reduction_scale(net.spec.cost.reduction, examples)), os_)

        class _Gen(NotationPrinter):
            def _print_Symbol(self, expr, style="plain"):
                if expr == os_:
                    return o
                if expr == ys:
                    return nm.element_latex("target", None, _target_index(pr))
                return super()._print_Symbol(expr, style)

        g = _Gen(pr.table).doprint(sympy.factor_terms(deriv))
        if layer.pre is None:
            return head + f" = {g}"
        return head + rf",\quad \frac{{\partial {cost}}}{{\partial {o}}} = {g}"
    if paths is not None:
        if layer.pre is None:
            return head + " = " + paths[1]
        return head + rf",\quad \frac{{\partial {cost}}}{{\partial {o}}} = " + paths[1]
    return head


def _delta_note(pr: Printer, layer, next_layer=None) -> str:
    """The reading note of the readers' input-gradient formulas when :func:`_delta_formula`
    writes δ through them (which terms count, what a routing factor is); "" otherwise."""
    if layer.delta is None:
        return ""
    readers = _direct_readers(pr, layer.out)
    paths = _paths(pr, readers) if readers else None
    return paths[2] if paths is not None else ""


def _definition_rows(pr: Printer, d, printer=None) -> list[str]:
    p = printer or pr.p
    if d.terms:
        printed = [product_latex(p, [t.coeff, t.value, t.weight] if t.weight is not None else [t.coeff, t.value])
                   for t in d.terms]
        if d.bias is not None:
            printed.append(p._print(d.bias))
        return split_rows(printed)
    if d.rule == "max" and len(d.partials) > 1:
        # the window in row-major order (sympy's Max keeps its arguments in its own sorted order)
        return [r"\max\left(" + ", ".join(p._print(v) for v, _ in d.partials) + r"\right)"]
    return pr.rows(d.expr, p)


def _with_numbers(pr: Printer, eq: dict, d) -> list[dict]:
    """A forward definition followed (numeric view) by its numbers and its value."""
    if pr.numeric is None:
        return [eq]
    return [eq, {"lhs": "", "rows": _definition_rows(pr, d, pr.np)},
            value_equation(pr.numeric.value[d.target])]


def _delta_equations(pr: Printer, s, terms, named, written: bool) -> list[dict]:
    """δ = Σ upstream · partial, then (if it reads differently) the substituted form, then (numeric
    view) the numbers and the value. A long, unasked-for sum is elided."""
    chain = listed_rows(list(terms), lambda t: product_latex(pr.p, [t.upstream, t.partial]), written)
    eqs = [{"lhs": pr(s), "rows": chain}]
    substituted = readable_rows(pr, named)
    if substituted is not None:
        if substituted != chain:
            eqs.append({"lhs": "", "rows": substituted})
    if pr.numeric is not None:
        eqs.append({"lhs": "", "rows": listed_rows(list(terms), lambda t: product_latex(pr.np, [t.upstream, t.partial]), written)})
        eqs.append(value_equation(pr.numeric.value[s]))
    return eqs


def _cost_equation(pr: Printer, d) -> list[dict]:
    """The cost's definition (elided when it has more than 16 summands, unless ``--full``), then
    (numeric view) its numbers and its value. Only the printed summands are built (the whole
    cost of a large network is never constructed here)."""
    from .costs import _summand

    cost = d.cost
    net = d.network
    kind = net.spec.cost.type
    pairs = list(zip(net.output.symbols, net.targets.symbols))
    n = len(pairs)
    written = d.full or n <= 16
    if kind == "cross_entropy":
        if written:
            rows = pr.rows(cost.expr)
        else:
            nm = pr.namer
            o = nm.element_latex("activation", len(net.layers), ["k"])
            oj = nm.element_latex("activation", len(net.layers), ["j"])
            y = nm.element_latex("target", None, ["k"])
            rows = [rf"-\sum_{{k}} {y} \left({o} - \log \sum_{{j}} e^{{{oj}}}\right) \quad (\text{{{n} terms}})"]
        numbers = pr.rows(cost.expr, pr.np) if pr.numeric is not None and written else None
    else:
        summand = lambda oy: _summand(kind, oy[0], oy[1], n)  # noqa: E731
        rows = listed_rows(pairs, lambda oy: pr(summand(oy)), written)
        numbers = listed_rows(pairs, lambda oy: pr.np.doprint(summand(oy)), written) if pr.numeric is not None else None
    eqs = [{"lhs": pr(cost.target), "rows": rows}]
    if pr.numeric is not None:
        if numbers is not None:
            eqs.append({"lhs": "", "rows": numbers})
        eqs.append(value_equation(pr.numeric.value[cost.target]))
    return eqs


def build_context(d: Derivation, numeric=None) -> dict:
    """Everything the templates need, as strings and lists (no sympy objects).

    ``numeric``: a :class:`~symconv.values.NumericView`; each formula is then followed by its
    numbers substituted and its value.
    """
    pr = Printer(d, numeric)
    net = d.network
    spec = net.spec
    fw = d.forward
    nm = pr.namer
    show_flats = d.show
    layers = []
    for lp in d.layers:
        layer = net.layers[lp.index - 1]
        carrier = layer.pre if layer.pre is not None else layer.out
        formulas = layer_formulas(pr, layer)
        forward, forward_omitted = [], 0
        if lp.forward:
            for defined in [t for t, _ in layer.intermediates] + [carrier]:
                idx = shown_indices(defined.shape, d.full,
                                    {k for k, s in enumerate(defined.symbols) if s in show_flats})
                for k in idx:
                    x = fw.definition(defined.symbols[k])
                    forward.extend(_with_numbers(pr, {"lhs": pr(x.target), "rows": _definition_rows(pr, x)}, x))
                forward_omitted += len(defined) - len(idx)
        activation = []
        if lp.activation:
            idx = shown_indices(layer.out.shape, d.full, {k for k, s in enumerate(layer.out.symbols) if s in show_flats})
            for k in idx:
                x = fw.definition(layer.out.symbols[k])
                activation.extend(_with_numbers(pr, {"lhs": pr(x.target), "rows": pr.rows(x.expr)}, x))
        layers.append({
            "index": lp.index,
            "kind": lp.kind,
            "summary": [(k, _fmt(v)) for k, v in lp.summary.items()],
            "forward_formula": formulas.forward,
            "forward_note": formulas.forward_note,
            "forward": forward,
            "forward_omitted": forward_omitted,
            "activation": activation,
            "activation_convention": kind_of(layer).activation_convention(layer),
            "delta_formula": _delta_formula(pr, layer, net.layers[lp.index] if lp.index < len(net.layers) else None),
            "delta_note": _delta_note(pr, layer, net.layers[lp.index] if lp.index < len(net.layers) else None),
            "delta_equations": [eq for s, terms, named, written in lp.deltas
                                for eq in _delta_equations(pr, s, terms, named, written)],
            "delta_omitted": lp.delta_omitted,
            "tensors": [_tensor(pr, t, lp.index) for t in lp.tensors],
        })
    return {
        "title": spec.title,
        "name": spec.name,
        "convention": spec.convention,
        "input_shape": "x".join(str(v) for v in ((spec.batch,) if spec.batch else ()) + tuple(spec.input_shape)),
        "input_axes": _input_axes(spec),
        "cost_type": spec.cost.type,
        "cost_equations": _cost_equation(pr, d),
        "cost_letter": nm.latex_letter("cost"),
        "layers": layers,
        "input": _tensor(pr, d.input_proof, 1),
        "index_base": nm.base,
        "style": nm.style,
        "seed_note": _seed_note(pr),
        "full": d.full,
        "numeric": numeric is not None,
        "certificates": d.certificate_count,
        "failures": list(d.certificate_failures),
        "full_cost_terms": d.full_cost_terms,
        "legend": _legend(pr),
    }


def _legend(pr: Printer) -> list[tuple[str, str]]:
    """(symbol pattern, meaning) rows in the document's notation: one per role of
    :data:`~symconv.notation.ROLE_TABLE` that is always shown or that the network has, then the
    rows its layers add."""
    nm = pr.namer
    seed = nm.style == "seed"
    batched = pr.d.network.batch > 0
    mark = "l" if seed else "(l)"
    ex = f"{pr.pc.example}," if batched and not seed else ""
    signals = len(pr.d.network.input.shape) - batched == 2  # a 1-D network: (C, L) per example
    subscripts = {"fmap": "k", "kernel": "k", "vector": "k", "channel": "k", "target": "k"} if seed else {
        "fmap": ex + ("c,u" if signals else "c,u,v"), "kernel": "o,c,m" if signals else "o,c,m,n", "vector": "o",
        "channel": "c", "target": ex + "k"}
    present = {info.role for info in pr.table.info.values()}
    rows = []
    for role in ROLE_TABLE:
        if not role.meaning or not (role.always or role.name in present):
            continue
        letter = nm.latex_letter(role.name)
        if role.scalar:
            rows.append((letter, role.meaning))
        elif role.name == "target":
            rows.append((rf"{letter}_{{{subscripts['target']}}}", role.meaning))
        else:
            up = ("1" if seed else "(0)") if role.name == "input" else mark
            rows.append((rf"{letter}^{{{up}}}_{{{subscripts[role.index]}}}", role.meaning))
    if batched:
        rows.append((pr.pc.example, "the example of the batch an element belongs to (the first index of a "
                                    "per-example tensor)"))
    return rows + list(dict.fromkeys(row for layer in pr.d.network.layers
                                     for row in kind_of(layer).legend(layer, pr.pc)))


def _input_axes(spec) -> list[str]:
    """The axes of the network input, as the network section names them."""
    axes = ["channels", "height", "width"] if len(spec.input_shape) == 3 else ["channels", "length"]
    return (["batch"] if spec.batch else []) + axes


def _fmt(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@gc_paused
def render(d: Derivation, fmt: str, user_dirs: Sequence[str | Path] = (), numeric=None) -> str:
    """The derivation as ``"md"`` or ``"tex"`` text (deterministic: same input, same bytes)."""
    env = environment(fmt, user_dirs)
    try:
        template = env.get_template(f"derivation.{fmt}.j2")
        return template.render(**build_context(d, numeric))
    except jinja2.TemplateError as exc:  # a user template (--templates) that fails
        raise template_failure(exc) from None


def template_failure(exc: jinja2.TemplateError) -> SpecError:
    """A one-line :class:`SpecError` for a template that does not compile or render, naming the
    template file and line (for errors raised while rendering, the innermost template frame)."""
    name = getattr(exc, "filename", None) or getattr(exc, "name", None)
    line = getattr(exc, "lineno", None)
    if name is None:
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename.endswith(".j2"):
                name, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
            tb = tb.tb_next
    field = f"{name}:{line}" if name and line else str(name or "templates")
    return SpecError(field, f"template error: {exc.message}; fix the template")
