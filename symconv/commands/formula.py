"""``symconv formula SPEC.toml | --example NAME "dC/dw_1^1" [--form closed|sum|named|leaf]
[--format tex|md|text]``: one gradient formula, printed to embed in other documents.

The target is ``dC/dNAME`` (also ``∂C/∂NAME``, ``\\frac{\\partial C}{\\partial NAME}`` or just ``NAME``), with NAME as printed in the
document's notation (``w_1^1``, ``W^{(1)}_{1,1,1,1}``) or a Python name (``w1_1``). Forms:
``closed`` the closed form at that element (the default; the chain-rule sum where no closed form
applies), ``sum`` Σ upstream gradient · local partial, ``named`` the upstream gradients
substituted, ``leaf`` in inputs, weights, biases and targets only. Formats: ``tex`` one display
line, ``md`` a ``$$`` block with ``aligned`` rows, ``text`` sympy's plain text with Python names.
Unknown names or forms raise :class:`~symconv.errors.SpecError` (exit 2).
"""

from __future__ import annotations

import argparse
import re

from ..errors import SpecError
from .derive import add_spec_source, spec_from_args

FORMS = ("closed", "sum", "named", "leaf")
FORMATS = ("tex", "md", "text")


def add_parser(sub) -> None:
    p = sub.add_parser("formula", help="print one gradient formula (tex, md or text) to embed elsewhere")
    add_spec_source(p)
    p.add_argument("target", help='the gradient, e.g. "dC/dw_1^1" or w1_1')
    p.add_argument("--form", default="closed", help="closed (default), sum, named or leaf")
    p.add_argument("--format", default="tex", help="tex (default), md or text")
    p.set_defaults(run=run)


def _split_args(args: argparse.Namespace) -> None:
    """``formula --example seed "dC/dw_1^1"``: argparse reads the target as SPEC; move it."""
    if args.example is not None and args.spec is not None and args.target is None:
        args.target, args.spec = args.spec, None


def parse_target(text: str, cost_letters: tuple[str, ...]) -> str:
    """The symbol name in ``dC/dNAME``, ``∂C/∂NAME`` or ``NAME``."""
    for c in cost_letters:
        m = re.fullmatch(rf"\s*(?:d|∂|\\partial\s*){re.escape(c)}\s*/\s*(?:d|∂|\\partial\s*)(.+?)\s*", text)
        if m:
            return m.group(1)
        m = re.fullmatch(rf"\s*\\[dt]?frac\s*\{{\s*(?:∂|\\partial)\s*{re.escape(c)}\s*\}}\s*"
                         r"\{\s*(?:∂|\\partial)\s*(.+?)\s*\}\s*", text)
        if m:
            return m.group(1)
    return text.strip()


def formula(model, target: str, form: str = "closed", fmt: str = "tex") -> str:
    """The text of one formula (see module docstring); ends with a newline."""
    import sympy

    from ..functions import route_outputs
    from ..latex import NotationPrinter
    from ..latex import product_latex, split_rows
    from ..render import expr_rows, math_blocks

    if form not in FORMS:
        raise SpecError("--form", f"must be one of {', '.join(FORMS)}; got {form!r}")
    if fmt not in FORMATS:
        raise SpecError("--format", f"must be one of {', '.join(FORMATS)}; got {fmt!r}")
    table = model.network.table
    nm = table.namer
    name = parse_target(target, (nm.letters["cost"], nm.latex_letter("cost"), "C"))
    s = model.symbol(name, "target")
    grads = model.gradients
    if s not in grads.by_wrt:
        raise SpecError("target", f"{name!r} is not read by the network; no gradient to print")
    p = NotationPrinter(table, pooled=route_outputs(model.forward.definitions))
    terms = None
    if form == "closed":
        pairs = _closed(model, s)
        if pairs is None:
            form = "sum"
        else:
            expr = sympy.Add(*[a if b is None else a * b for a, b in pairs])
            terms = [product_latex(p, [a] if b is None else [a, b]) for a, b in pairs] or ["0"]
    if form == "sum":
        g = grads[s]
        expr = g.delta_form
        terms = [product_latex(p, [t.upstream, t.partial]) for t in g.terms]
    elif form == "named":
        expr = sympy.factor_terms(grads.named(s))
    elif form == "leaf":
        expr = sympy.factor_terms(grads.leaf(s))
    if fmt == "text":
        return f"d{nm.ident('cost')}/d{s.name} = {expr}\n"
    lhs = rf"\frac{{\partial {nm.latex_letter('cost')}}}{{\partial {table.info[s].latex}}}"
    if fmt == "tex":
        body = " + ".join(terms).replace("+ -", "- ") if terms else p.doprint(expr)
        return f"{lhs} = {body or '0'}\n"
    rows = split_rows(terms) if terms is not None else expr_rows(p, expr)
    blocks = math_blocks([{"lhs": lhs, "rows": rows}])
    return "".join("$$\n\\begin{aligned}\n" + " \\\\\n".join(b) + "\n\\end{aligned}\n$$\n" for b in blocks)


def _closed(model, s):
    """The closed form's products ``(a, b)`` (meaning Σ a·b; ``b`` None for a lone factor) at ``s``
    (weights, biases, inputs of layers with closed forms), or None when no closed form covers it."""
    from ..derivation import closed_forms_by_symbol
    from ..layers import Context

    ctx = Context(flip=model.spec.convention == "convolution")
    return closed_forms_by_symbol(model.network, ctx).get(s)


def run(args: argparse.Namespace) -> int:
    from ..api import Model

    _split_args(args)
    if args.target is None:
        raise SpecError("TARGET", 'give the gradient to print, e.g. "dC/dw_1^1"')
    model = Model(spec_from_args(args))
    print(formula(model, args.target, args.form, args.format), end="")
    return 0
