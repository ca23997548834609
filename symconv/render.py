"""Rendering: a derivation becomes a context of printed strings, and jinja2 templates lay it out.

Templates never see sympy objects: they receive LaTeX already printed by
:class:`~symconv.latex.NotationPrinter`, plus structure (layers, tensors, elements, rows).
Environments use ``StrictUndefined`` and no autoescape; ``.tex`` templates use LaTeX-safe
delimiters (``\\BLOCK{…}``, ``\\VAR{…}``, ``\\#{…}``; reference case C14). User template folders
are searched before the built-in ones, so a user template may extend a built-in one.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Sequence

import jinja2
import sympy

from .derivation import Derivation, ElementProof, TensorProof
from .latex import NotationPrinter, expr_terms, join_terms, product_latex, split_rows
from .notation import escape_latex_text

PER_ROW = 4  # terms per displayed row
ROW_CHARS = 150  # printed LaTeX characters above which a sum is split over rows


def builtin_template_dir() -> Path:
    """The folder of the built-in templates (``symconv.templates``, i.e. the repo's templates/)."""
    try:
        return Path(str(resources.files("symconv.templates")))
    except (ModuleNotFoundError, TypeError):  # running from a source tree without install
        return Path(__file__).resolve().parent.parent / "templates"


def environment(fmt: str, user_dirs: Sequence[str | Path] = ()) -> jinja2.Environment:
    """A jinja2 environment for ``fmt`` (``"tex"`` gets LaTeX-safe delimiters)."""
    loader = jinja2.FileSystemLoader([str(d) for d in user_dirs] + [str(builtin_template_dir())])
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
    env.filters["mathblocks"] = math_blocks
    return env


def equation_lines(eq: dict) -> list[str]:
    """Lines of one ``{"lhs", "rows"}`` equation for an ``aligned``/``align*`` environment."""
    rows = eq["rows"]
    lines = [f"{eq['lhs']} &= {rows[0]}"]
    lines += [rf"&\quad {r}" for r in rows[1:]]
    return lines


def math_blocks(equations: Sequence[dict], limit: int = 900) -> list[list[str]]:
    """Group equations into blocks of at most ``limit`` characters (Markdown renderers choke on
    longer ``$$`` blocks); an equation is never split across blocks."""
    blocks: list[list[str]] = []
    size = limit + 1
    for eq in equations:
        lines = equation_lines(eq)
        length = sum(len(x) + 4 for x in lines)
        if size + length > limit:
            blocks.append([])
            size = 0
        blocks[-1].extend(lines)
        size += length
    return blocks


# ----------------------------------------------------------------------------- printing helpers

class Printer:
    """Prints a derivation's expressions in its notation and splits long sums into rows."""

    def __init__(self, derivation: Derivation):
        self.d = derivation
        self.table = derivation.model.network.table
        self.namer = self.table.namer
        self.p = NotationPrinter(self.table)

    def __call__(self, expr) -> str:
        return self.p.doprint(expr)

    def rows(self, expr) -> list[str]:
        """``expr`` printed as rows: a long sum is split by terms; a long product whose last
        factor is a sum keeps its prefix on the first row and splits the sum in ``\\bigl( \\bigr)``."""
        text = self(expr)
        if len(text) <= ROW_CHARS:
            return [text]
        if isinstance(expr, sympy.Add):
            return split_rows(expr_terms(self.p, expr), PER_ROW)
        if isinstance(expr, sympy.Mul):
            factors = list(expr.args)
            sums = [f for f in factors if isinstance(f, sympy.Add)]
            if sums:
                inner = max(sums, key=lambda f: len(f.args))
                rest = [f for f in factors if f is not inner]
                prefix = product_latex(self.p, rest)
                body = split_rows(expr_terms(self.p, inner), PER_ROW)
                body[0] = (prefix + " " if prefix != "1" else "") + r"\bigl(" + body[0]
                body[-1] = body[-1] + r"\bigr)"
                return body
        return [text]

    def sum_rows(self, printed_terms: list[str]) -> list[str]:
        return split_rows(printed_terms, PER_ROW) if len(join_terms(printed_terms)) > ROW_CHARS else [join_terms(printed_terms)]

    def grad(self, s) -> str:
        cost = self.namer.latex_letter("cost")
        return rf"\frac{{\partial {cost}}}{{\partial {self(s)}}}"

    def partial(self, num, den) -> str:
        return rf"\frac{{\partial {self(num)}}}{{\partial {self(den)}}}"


def _cert_text(cert) -> str:
    return f"{cert.method}: {cert.detail}" if cert.equal else f"FAILED ({cert.method}): {cert.detail}"


def _element(pr: Printer, e: ElementProof) -> dict:
    chain_terms = [rf"{pr.grad(t.via) if t.upstream != 1 else ''} {pr.partial(t.via, e.wrt)}".strip()
                   for t in e.terms]
    # ∂C/∂via is named: δ or an adjoint symbol; print that name in the sum of products
    products = [product_latex(pr.p, [t.upstream, t.partial]) for t in e.terms]
    touches = [
        {"output": pr(t.via), "upstream": pr(t.upstream), "partial": pr(t.partial)}
        for t in e.terms
    ]
    closed = None
    if e.closed is not None:
        kind, pairs, cert = e.closed
        printed = [product_latex(pr.p, [a] if b is None else [a, b]) for a, b in pairs]
        closed = {"kind": kind, "rows": pr.sum_rows(printed) if printed else ["0"],
                  "certificate": _cert_text(cert), "ok": cert.equal}
    return {
        "wrt": pr(e.wrt),
        "name": e.wrt.name,
        "grad": pr.grad(e.wrt),
        "chain": pr.sum_rows(chain_terms) if chain_terms else ["0"],
        "touches": touches,
        "sum": pr.sum_rows(products) if products else ["0"],
        "named": pr.rows(e.named) if e.named is not None else None,
        "closed": closed,
        "full": _cert_text(e.full) if e.full is not None else None,
        "zero": not e.terms,
    }


def _tensor(pr: Printer, t: TensorProof, layer_index: int) -> dict:
    role = t.role
    layer = t.layer
    return {
        "role": role,
        "layer": layer,
        "letter": pr.namer.tensor_latex(role if role != "activation" else "activation", layer if role != "input" else 0),
        "shape": " \\times ".join(str(v) for v in t.shape),
        "shape_text": "x".join(str(v) for v in t.shape),
        "closed_kind": t.closed_kind,
        "closed_statement": closed_statement(pr, t.closed_kind, layer_index) if t.closed_kind else None,
        "elements": [_element(pr, e) for e in t.elements],
        "omitted": t.omitted,
        "all_closed_certified": t.all_closed_certified,
    }


def closed_statement(pr: Printer, kind: str, layer_index: int) -> str:
    """The general closed form of a tensor's gradient, in the document's notation."""
    net = pr.d.model.network
    layer = net.layers[layer_index - 1]
    nm = pr.namer
    cost = nm.latex_letter("cost")
    a = nm.tensor_latex(layer.inputs.role, layer.inputs.layer if layer.inputs.role != "input" else 0)
    w = nm.tensor_latex("weight", layer_index)
    delta = nm.tensor_latex("delta", layer_index)
    flip = pr.d.model.spec.convention == "convolution"
    if kind == "conv_weight":
        core = rf"\tilde{{{a}}} \star \hat{{{delta}}}"
        core = rf"\operatorname{{rot180}}\left({core}\right)" if flip else core
        return rf"\frac{{\partial {cost}}}{{\partial {w}}} = {core}"
    if kind == "conv_input":
        kernel = w if flip else rf"\operatorname{{rot180}}\left({w}_{{d}}\right)"
        return (rf"\frac{{\partial {cost}}}{{\partial {a}}} = \operatorname{{crop}}\left("
                rf"\sum_{{o}} \hat{{{delta}}} \mathbin{{\star_{{\mathrm{{full}}}}}} {kernel}\right)")
    if kind == "bias":
        b = nm.tensor_latex("bias", layer_index)
        return rf"\frac{{\partial {cost}}}{{\partial {b}_{{o}}}} = \sum_{{i,j}} {delta}_{{o,i,j}}"
    if kind == "dense_weight":
        return rf"\frac{{\partial {cost}}}{{\partial {w}}} = {delta} \, ({a})^{{\top}}"
    if kind == "dense_input":
        return rf"\frac{{\partial {cost}}}{{\partial {a}}} = ({w})^{{\top}} {delta}"
    raise ValueError(kind)


def _definition_rows(pr: Printer, d) -> list[str]:
    if d.terms:
        printed = [product_latex(pr.p, [t.coeff, t.value, t.weight] if t.weight is not None else [t.coeff, t.value])
                   for t in d.terms]
        if d.bias is not None:
            printed.append(pr(d.bias))
        return pr.sum_rows(printed)
    return pr.rows(d.expr)


def _delta_equations(pr: Printer, s, terms, named) -> list[dict]:
    """δ = Σ upstream · partial, then (if it reads differently) the substituted form."""
    chain = pr.sum_rows([product_latex(pr.p, [t.upstream, t.partial]) for t in terms]) if terms else ["0"]
    substituted = pr.rows(named) if named is not None else chain
    eqs = [{"lhs": pr(s), "rows": chain}]
    if substituted != chain:
        eqs.append({"lhs": "", "rows": substituted})
    return eqs


def build_context(d: Derivation) -> dict:
    """Everything the templates need, as strings and lists (no sympy objects)."""
    pr = Printer(d)
    spec = d.model.spec
    net = d.model.network
    nm = pr.namer
    layers = []
    for lp in d.layers:
        layer = net.layers[lp.index - 1]
        layers.append({
            "index": lp.index,
            "kind": lp.kind,
            "summary": [(k, _fmt(v)) for k, v in lp.summary.items()],
            "forward": [{"lhs": pr(x.target), "rows": _definition_rows(pr, x)} for x in lp.forward],
            "activation": [{"lhs": pr(x.target), "rows": pr.rows(x.expr)} for x in lp.activation],
            "activation_convention": _activation_convention(layer),
            "delta_equations": [eq for s, terms, named in lp.deltas for eq in _delta_equations(pr, s, terms, named)],
            "delta_omitted": lp.delta_omitted,
            "tensors": [_tensor(pr, t, lp.index) for t in lp.tensors],
        })
    return {
        "title": spec.title,
        "name": spec.name,
        "convention": spec.convention,
        "input_shape": "x".join(str(v) for v in spec.input_shape),
        "cost_type": spec.cost.type,
        "cost": {"lhs": pr(d.cost.target), "rows": pr.rows(d.cost.expr)},
        "cost_letter": nm.latex_letter("cost"),
        "layers": layers,
        "input": _tensor(pr, d.input_proof, 1),
        "index_base": nm.base,
        "style": nm.style,
        "certificates": d.certificate_count,
        "failures": list(d.certificate_failures),
        "full_cost_terms": d.full_cost_terms,
        "legend": _legend(pr),
    }


def _activation_convention(layer) -> str:
    from .activations import rule_for

    act = getattr(layer.spec, "activation", None)
    return rule_for(act).convention if act is not None else ""


def _legend(pr: Printer) -> list[tuple[str, str]]:
    """(symbol pattern, meaning) rows in the document's notation."""
    nm = pr.namer
    seed = nm.style == "seed"
    mark = "l" if seed else "(l)"
    fmap, kern, vec = ("k", "k", "k") if seed else ("c,m,n", "o,c,m,n", "o")
    first = "1" if seed else "(0)"
    letter = nm.latex_letter
    return [
        (rf"{letter('input')}^{{{first}}}_{{{fmap}}}", "input"),
        (rf"{letter('weight')}^{{{mark}}}_{{{kern}}}", "kernel (weight) of layer l"),
        (rf"{letter('bias')}^{{{mark}}}_{{{vec}}}", "bias of layer l"),
        (rf"{letter('pre_activation')}^{{{mark}}}_{{{fmap}}}", "pre-activation of layer l (when it has an activation)"),
        (rf"{letter('activation')}^{{{mark}}}_{{{fmap}}}", "output (activation) of layer l"),
        (rf"{letter('delta')}^{{{mark}}}_{{{fmap}}}", "error term of layer l: the gradient of the cost with respect to its pre-activation"),
        (rf"{letter('target')}_{{k}}", "target"),
    ]


def _fmt(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_fmt(v) for v in value) + ")"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def render(d: Derivation, fmt: str, user_dirs: Sequence[str | Path] = ()) -> str:
    """The derivation as ``"md"`` or ``"tex"`` text."""
    env = environment(fmt, user_dirs)
    template = env.get_template(f"derivation.{fmt}.j2")
    return template.render(**build_context(d))
