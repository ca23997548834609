"""Sphinx extension: symconv's formulas, claim verdicts and whole derivations in your documentation.

Add ``"symconv.sphinx"`` to ``extensions`` in ``conf.py``; the directives work in
reStructuredText and in MyST Markdown (with ``myst_parser``)::

    .. symconv-formula:: dC/dw_1^1
       :example: seed
       :form: closed

    .. symconv-claim:: \\frac{\\partial C}{\\partial w_1^1} = \\delta_1^1 i_1^1 + \\delta_2^1 i_2^1 + \\delta_3^1 i_4^1 + \\delta_4^1 i_5^1
       :spec: nets/seed.toml

    .. symconv-derivation::
       :example: seed

Every directive takes the network as ``:spec: PATH`` (relative to the document's folder, or
absolute) or ``:example: NAME``. ``symconv-formula`` takes the targets, ``:form:`` and
``:width:`` of :func:`symconv.formula` and becomes a display-math node (rendered by Sphinx's
math setup, MathJax by default); ``symconv-claim`` checks the claim
(:func:`symconv.check.check_claim`) and writes the verdict (RIGHT or WRONG) with the exact
gradient; ``symconv-derivation`` embeds the whole derivation (the body of ``--format html``:
result table, collapsible derivation per element, receptive field, MathML) in HTML builders.
Bad input is reported as a Sphinx error at the directive's line, naming the field.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

from .errors import SpecError

_MODELS: dict = {}  # models built in this process, by spec path or example name

_SOURCE_OPTIONS = {"spec": directives.unchanged, "example": directives.unchanged}


class _SymconvDirective(SphinxDirective):
    """Shared: the model named by ``:spec:`` or ``:example:`` (loaded once per build)."""

    option_spec = dict(_SOURCE_OPTIONS)

    def model(self):
        from .api import load

        spec, example = self.options.get("spec"), self.options.get("example")
        if (spec is None) == (example is None):
            raise SpecError(":spec:", "give exactly one of :spec: PATH or :example: NAME")
        if spec is not None:
            path = Path(spec)
            if not path.is_absolute():
                path = Path(self.env.doc2path(self.env.docname)).parent / path
            key = str(path.resolve())
            self.env.note_dependency(key)
        else:
            key = "example:" + example
        if key not in _MODELS:
            _MODELS[key] = load(key if example is not None else Path(key))
        return _MODELS[key]

    def failed(self, exc: SpecError) -> list:
        return [self.state.document.reporter.error(f"symconv: {exc}", line=self.lineno)]


class FormulaDirective(_SymconvDirective):
    """``.. symconv-formula:: TARGET``: one formula as display math."""

    required_arguments = 1
    final_argument_whitespace = True
    option_spec = {**_SOURCE_OPTIONS, "form": directives.unchanged, "width": directives.unchanged}

    def run(self) -> list:
        from .formulas import A4_COLUMN, formula

        try:
            width = self.options.get("width", A4_COLUMN)
            width = int(width) if str(width).strip().isdigit() else width
            f = formula(self.model(), self.arguments[0], form=self.options.get("form", "closed"), width=width)
        except SpecError as exc:
            return self.failed(exc)
        node = nodes.math_block(f.latex, f.latex, nowrap=False, number=None)
        node["docname"] = self.env.docname
        return [node]


class ClaimDirective(_SymconvDirective):
    """``.. symconv-claim:: CLAIM``: the verdict on a hand derivation."""

    required_arguments = 1
    final_argument_whitespace = True

    def run(self) -> list:
        from .check import check_claim

        try:
            model = self.model()
            verdict = check_claim(model, self.arguments[0])
            truth = model.latex(verdict.truth)
            lhs = model.formula(verdict.claim.wrt.name, form="named").latex.split(" = ", 1)[0]
        except SpecError as exc:
            return self.failed(exc)
        word = "RIGHT" if verdict.ok else "WRONG"
        para = nodes.paragraph()
        para += nodes.strong(text=f"{word}: ")
        para += nodes.Text("the claim " + ("equals" if verdict.ok else "differs from") + " the exact gradient:")
        claim = nodes.math_block(self.arguments[0], self.arguments[0], nowrap=False, number=None)
        exact = nodes.math_block(f"{lhs} = {truth}", f"{lhs} = {truth}", nowrap=False, number=None)
        for node in (claim, exact):
            node["docname"] = self.env.docname
        box = nodes.container(classes=["symconv-verdict", word.lower()])
        box += [claim, para, exact]
        return [box]


class DerivationDirective(_SymconvDirective):
    """``.. symconv-derivation::``: the whole derivation (HTML builders)."""

    def run(self) -> list:
        from .derivation import derive
        from .htmlout import to_html

        try:
            model = self.model()
            body = to_html(model, derive(model.gradients), standalone=False)
        except SpecError as exc:
            return self.failed(exc)
        return [nodes.raw("", body, format="html")]


def setup(app) -> dict:
    """Register the directives (Sphinx entry point)."""
    app.add_directive("symconv-formula", FormulaDirective)
    app.add_directive("symconv-claim", ClaimDirective)
    app.add_directive("symconv-derivation", DerivationDirective)
    from . import __version__

    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
