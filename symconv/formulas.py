"""One formula, to embed elsewhere: :func:`formula` (``symconv.formula``, ``symconv formula``).

Targets, as the command line takes them:

* one element's gradient: ``dC/dw_1^1``, ``∂C/∂w_1^1``, ``\\frac{\\partial C}{\\partial w_1^1}``
  or just the element (``w_1^1``, ``W^{(1)}_{1,1,1,1}``, the Python name ``w1_1``);
* a whole tensor (``w^1``, ``dC/dw^1``, ``W^{(1)}``, ``i^1``, ``o^1``): its closed form
  (∂C/∂w = ĩ ⋆ δ̂ for a kernel), where its layer has one;
* ``general:`` and a tensor (``general:w^1``, ``general:delta^2``): the general index formula
  of its gradient (Σ over positions), or of δ of a layer.

Forms of one element's gradient: ``closed`` (the default: the closed form at that element; the
chain-rule sum where none applies), ``sum`` (Σ upstream gradient · local partial), ``named``
(the upstream gradients substituted, in forward intermediates) and ``leaf`` (inputs, weights,
biases and targets only). Formats: ``tex`` (one line when it fits ``width``, else an
``aligned`` environment with one row per line, to put inside ``\\[ … \\]``), ``md`` (a ``$$``
block of ``aligned`` rows) and ``text`` (sympy's plain text with Python names).

Rows are broken by the project's one row breaker (:func:`symconv.latex.split_rows` and
:func:`symconv.render.rows.expr_rows`), at a width in visible characters: ``width`` is an int
(characters) or a TeX length (``"345pt"``, ``"12cm"``, ``"6in"``) read at :data:`PT_PER_CHAR`
points per character of 10 pt math. The default, :data:`A4_COLUMN`, is the text column of a
standard ``article`` on A4 paper (345 pt).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sympy

from .errors import SpecError

FORMS = ("closed", "sum", "named", "leaf")
FORMATS = ("tex", "md", "text")
A4_COLUMN = "345pt"  # \textwidth of the standard article class on A4 paper (10 pt)
PT_PER_CHAR = 6.5  # points per visible character of 10 pt display math (an overestimate: rows err narrow)
_UNITS = {"pt": 1.0, "bp": 72.27 / 72, "mm": 72.27 / 25.4, "cm": 72.27 / 2.54, "in": 72.27}


def width_chars(width: Any, field: str = "width") -> int:
    """``width`` in visible characters: an int ≥ 10 as is, a TeX length (``"345pt"``,
    ``"12cm"``) divided by :data:`PT_PER_CHAR`. Raises :class:`SpecError` naming ``field``."""
    if isinstance(width, int) and not isinstance(width, bool):
        chars = width
    elif isinstance(width, str) and (m := re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(pt|bp|mm|cm|in)\s*", width)):
        chars = int(float(m.group(1)) * _UNITS[m.group(2)] / PT_PER_CHAR)
    else:
        raise SpecError(field, f"must be a number of characters (an int) or a length such as 345pt, 12cm or "
                               f"6in; got {width!r}")
    if not 10 <= chars <= 10_000:
        raise SpecError(field, f"must be between 10 and 10000 characters wide (80pt to 80000pt); got {width!r}")
    return chars


class Formula(str):
    """The text of one formula in the format asked for (a ``str``: print it, write it, compare
    it), which also displays itself in Jupyter (``_repr_latex_``, ``_repr_markdown_``).

    ``latex``: the display LaTeX (one equation, or an ``aligned`` environment of rows);
    ``rows``: the right-hand side's rows (LaTeX; rows after the first start with their operator);
    ``expr``: the sympy expression of the right-hand side (None for a general statement)."""

    latex: str
    rows: tuple[str, ...]

    def __new__(cls, text: str, latex: str, rows=(), expr=None):
        obj = super().__new__(cls, text)
        obj.latex, obj.rows, obj._expr = latex, tuple(rows), expr
        return obj

    @property
    def expr(self) -> sympy.Expr | None:
        """The right-hand side as a sympy expression (built on first use)."""
        if callable(self._expr):
            self._expr = self._expr()
        return self._expr

    def _repr_latex_(self) -> str:
        return f"$$\n{self.latex}\n$$"

    def _repr_markdown_(self) -> str:
        return f"$$\n{self.latex}\n$$\n"


def display_latex(lhs: str, rows) -> str:
    """``lhs = rows[0]`` on one line for one row, else an ``aligned`` environment (the
    project's equation lines: continuation rows indented by ``\\quad``)."""
    from .render import equation_lines

    rows = list(rows)
    if len(rows) == 1:
        return f"{lhs} = {rows[0]}" if lhs else rows[0]
    return "\\begin{aligned}\n" + " \\\\\n".join(equation_lines({"lhs": lhs, "rows": rows})) + "\n\\end{aligned}"


def parse_target(text: str, cost_letters: tuple[str, ...]) -> str:
    """The symbol or tensor name in ``dC/dNAME``, ``∂C/∂NAME``, ``\\frac{\\partial C}{\\partial
    NAME}`` or ``NAME``."""
    d = r"(?:d|∂|\\partial\s*)"
    for c in cost_letters:
        c = re.escape(c)
        m = (re.fullmatch(rf"\s*{d}\s*{c}\s*/\s*{d}\s*(.+?)\s*", text)
             or re.fullmatch(rf"\s*\\[dt]?frac\s*\{{\s*{d}\s*\{{?{c}\}}?\s*\}}\s*\{{\s*{d}\s*(.+?)\s*\}}\s*", text))
        if m:
            return m.group(1)
    return text.strip()


def formula(model, target: str, form: str = "closed", fmt: str = "tex", width: Any = A4_COLUMN) -> Formula:
    """One formula of ``model`` (a :class:`symconv.Model`) as text in ``fmt``, ending with a
    newline; see the module docstring for targets, forms, formats and ``width``.

    >>> import symconv
    >>> m = symconv.load(symconv.example("seed"))
    >>> print(symconv.formula(m, "dC/dw_1^1"), end="")
    \\frac{\\partial C}{\\partial w^{1}_{1}} = i^{1}_{1} \\delta^{1}_{1} + i^{1}_{2} \\delta^{1}_{2} + i^{1}_{4} \\delta^{1}_{3} + i^{1}_{5} \\delta^{1}_{4}

    Raises :class:`SpecError` naming ``target``, ``form``, ``format`` or ``width``.
    """
    from .latex import join_terms, product_latex, split_rows, visible_len
    from .render import expr_rows

    if not isinstance(form, str) or form not in FORMS:
        raise SpecError("form", f"must be one of {', '.join(FORMS)}; got {form!r}")
    if not isinstance(fmt, str) or fmt not in FORMATS:
        raise SpecError("format", f"must be one of {', '.join(FORMATS)}; got {fmt!r}")
    chars = width_chars(width)
    if not isinstance(target, str) or not target.strip():
        raise SpecError("target", f'give the gradient to print, e.g. "dC/dw_1^1" or a tensor "w^1"; got {target!r}')
    table = model.network.table
    nm = table.namer
    general = target.strip().startswith("general:")
    name = parse_target(target.strip().removeprefix("general:"), (nm.letters["cost"], nm.latex_letter("cost"), "C"))
    tensor = _tensor_named(model, name)
    if general or (tensor is not None and not _is_symbol(model, name)):
        return _statement(model, name, tensor, general, fmt, chars)
    s = model.symbol(name, "target")
    grads = model.gradients
    if s not in grads.by_wrt:
        raise SpecError("target", f"{name!r} is not a gradient symconv computes (inputs, weights, biases, z and o); "
                                  "no gradient to print")
    p = model.printer
    terms = None
    if form == "closed":
        pairs = _closed(model, s)
        if pairs is None:
            form = "sum"
        else:
            expr = lambda: sympy.Add(*[a if b is None else a * b for a, b in pairs])  # noqa: E731
            expr = expr() if fmt == "text" else expr
            terms = [product_latex(p, [a] if b is None else [a, b]) for a, b in pairs]
    if form == "sum":
        g = grads[s]
        expr = (lambda: g.delta_form) if fmt != "text" else g.delta_form
        terms = [product_latex(p, [t.upstream, t.partial]) for t in g.terms]
    elif form in ("named", "leaf"):
        expr = model.gradient(s, form=form)  # factored; refused above the size budget
    lhs = gradient_lhs(model, s)
    if fmt == "text":
        latex = p.doprint(expr)
        return Formula(f"d{nm.ident('cost')}/d{s.name} = {expr}\n", f"{lhs} = {latex}", [latex], expr)
    room = max(chars - visible_len(lhs) - 3, 10)
    if terms is not None:
        one_line = join_terms(terms)
        rows = [one_line] if visible_len(one_line) <= room else split_rows(terms, width=room)
    else:
        rows = expr_rows(p, expr, width=room, nested=True)
    return _laid_out([{"lhs": lhs, "rows": rows}], fmt, expr)


def gradient_lhs(model, s) -> str:
    """``\\frac{\\partial C}{\\partial x}`` for the symbol ``s``, in the document's letters."""
    table = model.network.table
    return rf"\frac{{\partial {table.namer.latex_letter('cost')}}}{{\partial {table.info[s].latex}}}"


def _laid_out(equations: list[dict], fmt: str, expr=None) -> Formula:
    """The text of ``equations`` (``{"lhs", "rows"}``) in ``fmt``: tex one line for one row,
    else ``aligned``; md ``$$`` blocks of ``aligned`` rows of bounded size."""
    from .render import equation_lines, math_blocks

    rows = [r for eq in equations for r in eq["rows"]]
    if len(equations) == 1:
        latex = display_latex(equations[0]["lhs"], equations[0]["rows"])
    else:
        lines = [line for eq in equations for line in equation_lines(eq)]
        latex = "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"
    if fmt == "tex":
        return Formula(latex + "\n", latex, rows, expr)
    blocks = math_blocks(equations)
    text = "".join("$$\n\\begin{aligned}\n" + " \\\\\n".join(b) + "\n\\end{aligned}\n$$\n" for b in blocks)
    return Formula(text, latex, rows, expr)


def _is_symbol(model, name: str) -> bool:
    try:
        model.symbol(name, "target")
    except SpecError:
        return False
    return True


def _closed(model, s):
    """The closed form's products ``(a, b)`` (meaning Σ a·b; ``b`` None for a lone factor) at ``s``
    (weights, biases, inputs of layers with closed forms), or None when no closed form covers it."""
    from .derivation import closed_forms_by_symbol
    from .layers import Context

    found = model.__dict__.get("_formula_closed")
    if found is None:  # computed once per model: every element's formula reads it
        found = closed_forms_by_symbol(model.network, Context(flip=model.spec.convention == "convolution"))
        model.__dict__["_formula_closed"] = found
    return found.get(s)


@dataclass(frozen=True)
class _Tensor:
    """A whole tensor a target names: its role, layer (0 for the input), readers and the kind of
    its closed form (as the derivation shows them)."""

    role: str
    layer: int
    readers: tuple
    closed_kind: str | None
    layer_index: int
    net_layer: Any = None


def _tensors(model) -> dict:
    """``{normalized printed name: _Tensor}`` of every whole tensor that has a statement: the
    weights and biases, the tensors layers read (the input, layer outputs), and δ of each layer."""
    from .derivation import paths_form
    from .layers import Context, kind_of
    from .notation import normalize_typed

    net = model.network
    nm = net.table.namer
    ctx = Context(flip=model.spec.convention == "convolution")
    forms_of = {layer.index: kind_of(layer).closed_forms(layer, ctx) for layer in net.layers}
    found: dict = {}

    def put(role, layer, readers, kind, layer_index, net_layer=None):
        for letters in {nm.letters[role], nm.latex_letter(role), nm.latex_letter(role).lstrip("\\")}:
            mark = nm.tensor_latex(role, layer)
            key = normalize_typed(letters + mark[len(nm.latex_letter(role)):])
            found.setdefault(key, _Tensor(role, layer, readers, kind, layer_index, net_layer))

    for layer in net.layers:
        own = {f.tensor: f for f in forms_of[layer.index]}
        for field_name in ("weight", "bias"):
            t = getattr(layer, field_name)
            if t is not None:
                put(t.role, layer.index, (), own[field_name].kind if field_name in own else None, layer.index)
        if layer.delta is not None:
            put("delta", layer.index, (), None, layer.index, layer)
    readers, _ = net.readers()
    for reading in readers.values():
        reader, p = reading[0]
        source = reader.sources[p]
        form = paths_form(forms_of, reading)
        by = tuple((r.index, q) for r, q in reading)
        put(source.role, source.layer if source.role != "input" else 0, by, form.kind if form else None, reader.index)
    return found


def _tensor_named(model, name: str):
    from .notation import normalize_typed

    found = model.__dict__.get("_formula_tensors")
    if found is None:
        found = model.__dict__["_formula_tensors"] = _tensors(model)
    return found.get(normalize_typed(name))


def _statement(model, name: str, tensor, general: bool, fmt: str, chars: int) -> Formula:
    """A whole tensor's closed form, or (``general``) its general index formula / δ's."""
    from .render import formula_equations
    from .statements import Statements

    if tensor is None:
        raise SpecError("target", f"{name!r} names no tensor; give a whole tensor as printed, e.g. "
                                  f"{_example_tensor(model)}, or general:{_example_tensor(model)}")
    st = Statements(model.network)
    if general:
        if tensor.role == "delta":
            text = st.delta_formula(tensor.net_layer)
        else:
            found = st.index_formula(tensor.role, tensor.layer, tensor.readers, tensor.layer_index)
            text = found["formula"] if found else None
    else:
        text = None if tensor.closed_kind is None else st.tensor_closed_statement(
            tensor.closed_kind, tensor.readers, tensor.layer_index)
    if text is None:
        what = "general index formula" if general else "closed form"
        raise SpecError("target", f"{name!r} has no {what} in this network; ask for one element, e.g. "
                                  f"dC/d{_example_element(model)}")
    eqs = formula_equations(text)
    if fmt == "text":
        return Formula(text + "\n", text, [r for eq in eqs for r in eq["rows"]])
    return _laid_out(eqs, fmt)


def _example_tensor(model) -> str:
    nm = model.network.table.namer
    return nm.tensor_latex("weight", 1) if model.network.layers[0].weight is not None else nm.tensor_latex("input", 0)


def _example_element(model) -> str:
    return model._example_name()


def model_markdown(model) -> str:
    """A model as Markdown (its Jupyter display): the title, convention and cost, a table of
    its layers (type, input and output shapes, details) and the result table: every tensor's
    gradient in closed form where its layer has one, else its general index formula."""
    from .layers import kind_of

    spec = model.spec
    lines = [f"**{_md_escape(spec.title or spec.name)}** — {spec.convention}, cost `{spec.cost.type}`", "",
             "| layer | type | input shape | output shape | details |", "|---|---|---|---|---|"]
    for layer in model.network.layers:
        summary = dict(kind_of(layer).summary(layer))
        kind = summary.pop("type", layer.spec.type)
        shape_in, shape_out = summary.pop("input shape", ""), summary.pop("output shape", "")
        details = ", ".join(f"{k} {_plain(v)}" for k, v in summary.items())
        lines.append(f"| {layer.index} | {kind} | {_plain(shape_in)} | {_plain(shape_out)} | {details} |")
    lines += ["", "| gradient | formula |", "|---|---|"]
    for name, t in _tensors(model).items():
        if t.role == "delta" or name != _key(model, t):
            continue
        try:
            f = formula(model, name) if t.closed_kind else formula(model, "general:" + name)
        except SpecError:
            continue
        lhs, _, rhs = f.latex.partition(" = ")
        if "\\begin{aligned}" in f.latex or not rhs:
            continue
        lines.append(f"| ${lhs}$ | ${rhs}$ |")
    return "\n".join(lines) + "\n"


def _key(model, t) -> str:
    """The normalized printed name of a tensor (its first key in :func:`_tensors`)."""
    from .notation import normalize_typed

    return normalize_typed(model.network.table.namer.tensor_latex(t.role, t.layer))


def _plain(value) -> str:
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        return "×".join(str(v) for v in value)
    return str(value).replace("|", "\\|")


def _md_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_[]<>|#" else ch for ch in text)


class Checked:
    """A claim's verdict (:func:`symconv.check.check_claim`) that displays itself in Jupyter:
    RIGHT or WRONG, the claim and the exact gradient in the document's notation
    (``_repr_markdown_``, ``_repr_latex_``). ``verdict`` is the full
    :class:`~symconv.check.Verdict`; ``ok`` says whether every side of the claim is right."""

    def __init__(self, model, claim: str):
        from .check import check_claim

        self.verdict = check_claim(model, claim)
        self.claim = claim
        wrt = self.verdict.claim.wrt
        self.exact = formula(model, wrt.name, form="named", width=10_000).latex

    @property
    def ok(self) -> bool:
        return self.verdict.ok

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return f"<symconv verdict: {'RIGHT' if self.ok else 'WRONG'}>"

    def _repr_markdown_(self) -> str:
        word = "RIGHT" if self.ok else "WRONG"
        relation = "equals" if self.ok else "differs from"
        return f"**{word}**: the claim\n\n$$\n{self.claim}\n$$\n\n{relation} the exact gradient\n\n$$\n{self.exact}\n$$\n"

    def _repr_latex_(self) -> str:
        word = "RIGHT" if self.ok else "WRONG"
        return f"$$\n\\text{{{word}: }}\\quad {self.exact}\n$$"
