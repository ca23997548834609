"""``--format html``: one self-contained page that works offline.

Math is MathML converted on the server from the document's LaTeX (``latex2mathml``; browsers
render MathML natively, so the page loads no script or font from anywhere). The page holds the
result table (every tensor's closed form and general index formula), the Notation section of the
derivations (every symbol the page uses, once; the one-hot assumption), a collapsible derivation
per shown element (closed form, Σ upstream gradient · local partial, the named form) and, for a
network whose first layer is a 2-D kernel over the input, the receptive-field picture as SVG:
hovering or clicking a weight of the kernel highlights the input cells it multiplies (the
inputs its gradient's chain-rule terms read). Layout and wording live in
``templates/html/derivation.html.j2``; this module computes the strings it shows.
"""

from __future__ import annotations

from .derivation import substituted_shown
from .errors import ToolMissing
from .formulas import _tensors, formula, gradient_lhs

INSTALL_HINT = "the html format needs latex2mathml: pip install latex2mathml (or pip install 'symconv[html]')"
CELL = 28  # pixels per cell of the receptive-field picture


def mathml(latex: str, display: bool = True) -> str:
    """MathML of one LaTeX formula (``display`` block or inline). Raises :class:`ToolMissing`
    without latex2mathml."""
    try:
        from latex2mathml.converter import convert
    except ImportError:
        raise ToolMissing(INSTALL_HINT) from None
    return convert(latex, display="block" if display else "inline")


def require_mathml() -> None:
    """Fail early (exit 3) when the html format cannot be written."""
    try:
        import latex2mathml.converter  # noqa: F401
    except ImportError:
        raise ToolMissing(INSTALL_HINT) from None


def _element_formulas(model, s, written: bool, count: int) -> list[dict]:
    """The derivation of one element as ``{"label", "math"}`` blocks: when the element is
    written out (small sums, ``--show``, ``--full``) its closed form (when one covers it), the
    chain-rule sum and the named form; otherwise a note with the sum's term count."""
    if not written:  # the tensor's closed form is in the result table
        return [{"label": f"a sum of {count} chain-rule products: written out with --full or --show", "math": ""}]
    out = []
    if _has_closed(model, s):
        out.append({"label": "closed form", "math": mathml(formula(model, s.name, form="closed").latex)})
    out.append({"label": "chain rule: Σ upstream gradient · local partial",
                "math": mathml(formula(model, s.name, form="sum").latex)})
    if substituted_shown(model.gradients, s):
        out.append({"label": "upstream gradients substituted",
                    "math": mathml(formula(model, s.name, form="named").latex)})
    else:
        out.append({"label": "upstream gradients substituted: too large to write (the sum above reads "
                             "the upstream gradients by name)", "math": ""})
    return out


def _has_closed(model, s) -> bool:
    from .formulas import _closed

    return _closed(model, s) is not None


def _results(model) -> list[dict]:
    """The result table: each tensor's closed form and general index formula (MathML)."""
    from .errors import SpecError
    from .notation import normalize_typed

    rows = []
    nm = model.network.table.namer
    for name, t in _tensors(model).items():
        if t.role == "delta" or name != normalize_typed(nm.tensor_latex(t.role, t.layer)):
            continue
        cells = {}
        for key, target in (("closed", name), ("general", "general:" + name)):
            try:
                cells[key] = mathml(formula(model, target).latex)
            except SpecError:
                cells[key] = ""
        if cells["closed"] or cells["general"]:
            rows.append({"tensor": mathml(nm.tensor_latex(t.role, t.layer), display=False), **cells})
    return rows


def _receptive_field(model) -> dict | None:
    """The picture's layout around the geometry of :func:`symconv.figures.kernel_field`
    (which input cells each weight of the first kernel multiplies); None when there is none."""
    from .figures import kernel_field

    field = kernel_field(model.network, model.gradients)
    if field is None:
        return None
    width, height, kh, kw = field["width"], field["height"], field["kh"], field["kw"]
    return {**field, "cell": CELL, "gap": 2 * CELL,
            "svg_width": (width + kw) * CELL + 3 * CELL, "svg_height": max(height, kh) * CELL + CELL}


def _notation(model) -> dict:
    """The Notation section, as a derivation prints it (:func:`symconv.render.document_notation`:
    every letter, decoration and operator the page's formulas use, once), in MathML: ``notation``
    rows ``{"symbol", "meaning", "formula"}``, ``seed_note`` (text pieces and MathML, alternating),
    ``assumption`` (the one-hot assumption, or "")."""
    from .render import document_notation
    from .statements import Statements

    st = Statements(model.network)
    rows = [{"symbol": mathml(r["symbol"], display=False), "meaning": r["meaning"],
             "formula": mathml(r["formula"], display=False) if r["formula"] else ""}
            for r in document_notation(st)]
    pieces = (st.seed_note() or "").split("$")  # text, math, text, ...: the note's inline math
    seed_note = [{"text": piece, "math": ""} if k % 2 == 0 else {"text": "", "math": mathml(piece, display=False)}
                 for k, piece in enumerate(pieces) if piece]
    assumption = st.targets_assumption()
    return {"notation": rows, "seed_note": seed_note, "assumption": mathml(assumption, display=False) if assumption else ""}


def html_context(model, derivation) -> dict:
    """Everything the page shows, as strings (MathML already converted)."""
    spec = model.spec
    elements = []
    proofs = [derivation.input_proof] + [t for layer in derivation.layers for t in layer.tensors]
    table = model.network.table
    for t in proofs:
        for e in t.elements:
            s = e.wrt
            lhs = gradient_lhs(model, s)
            elements.append({"id": s.name, "title": mathml(lhs, display=False), "role": table.info[s].role,
                             "blocks": _element_formulas(model, s, e.written, len(e.terms))})
    return {
        "title": spec.title or spec.name,
        "name": spec.name,
        "convention": spec.convention,
        "cost": spec.cost.type,
        "results": _results(model),
        "elements": elements,
        "rf": _receptive_field(model),
        **_notation(model),
    }


def to_html(model, derivation, standalone: bool = True) -> str:
    """The page of ``model`` (deterministic: same input, same bytes); with ``standalone``
    False only its content (style, sections, script) to embed in another page (the Sphinx
    directive). Raises :class:`ToolMissing` without latex2mathml."""
    import jinja2

    from .render import builtin_template_dir

    require_mathml()
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(builtin_template_dir() / "html")),
                             autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["safe_math"] = lambda x: jinja2.utils.markupsafe.Markup(x)
    return env.get_template("derivation.html.j2").render(standalone=standalone, **html_context(model, derivation))
