"""The Python API: load a network, get any gradient in any form, derive and render.

>>> import symconv
>>> m = symconv.load(symconv.example("seed"))
>>> m.gradient("w1_1", form="named")          # ∂C/∂w^1_1 in named intermediates
2*(o2_1 - y_1)*(i1_1*w2_1 + i1_2*w2_2 + i1_4*w2_3 + i1_5*w2_4)

Symbols are addressed by their Python name (``m.symbol("w1_1")``), by their name as printed
(``m.symbol("w_1^1")``) or passed as sympy Symbols.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

import sympy

from . import views
from .errors import SpecError
from .forward import Forward, build_forward
from .gradients import Gradients, build_gradients
from .network import Network, build_network
from .notation import normalize_typed
from .spec import Spec, example, load_spec, spec_from_dict

FORMS = ("delta", "named", "leaf")


class Model:
    """A network with its forward pass and every gradient, built on demand.

    ``spec``: a :class:`~symconv.spec.Spec`. All stages are exact sympy; nothing is numeric.
    """

    def __init__(self, spec: Spec, allow_large: bool = False):
        self.spec = spec
        self.allow_large = views.flag(allow_large, "allow_large")

    @cached_property
    def network(self) -> Network:
        """The network's symbols; first the size budgets (:func:`symconv.size.guard`): above
        them a :class:`SpecError` naming the field and the estimate, unless ``allow_large``."""
        from .size import guard

        guard(self.spec, self.allow_large)
        return build_network(self.spec)

    @cached_property
    def forward(self) -> Forward:
        return build_forward(self.network)

    @cached_property
    def gradients(self) -> Gradients:
        return build_gradients(self.forward)

    @property
    def certificate(self):
        """The independent certificate of every gradient
        (:class:`~symconv.independent.IndependentCertificate`): forward-mode differentiation of the
        forward definitions against the chain-rule sums at random points, computed once."""
        from .independent import certificate_of

        return certificate_of(self.gradients)

    @property
    def name(self) -> str:
        return self.spec.name

    def symbol(self, name: str | sympy.Symbol, field: str = "symbol") -> sympy.Symbol:
        """The symbol of a Python name (``"w1_1"``, ``"W1_1_1_1_1"`` in grid notation) or of a
        name as printed in the documents (``"w_1^1"``, ``"W^{(1)}_{1,1,1,1}"``); a sympy Symbol of
        this network is returned as is. Raises :class:`SpecError` naming ``field`` if unknown."""
        table = self.network.table
        if isinstance(name, sympy.Symbol):
            if name in table.info:
                return name
            name = name.name
        if not isinstance(name, str):
            raise SpecError(field, f"must be a symbol name such as {self._example_name()} or a sympy Symbol; got {name!r}")
        found = table.by_name.get(name)
        if found is None:
            found = self._typed_names.get(normalize_typed(name))
        if found is None:
            raise SpecError(field, f"unknown symbol {name!r}; use a name as printed in the document or a "
                                   f"Python name such as {self._example_name()}")
        return found

    def _example_name(self) -> str:
        weight = next((s for s, i in self.network.table.info.items() if i.role == "weight"), None)
        return weight.name if weight is not None else next(iter(self.network.table.by_name))

    @cached_property
    def _typed_names(self) -> dict:
        """Every accepted typed form of every symbol's name (normalized by
        :meth:`~symconv.notation.Namer.typed_forms`) → the symbol; built on the first lookup by a
        printed name (linear in the network's size)."""
        table = self.network.table
        lookup: dict = {}
        for s, info in table.info.items():
            for form in table.namer.typed_forms(info):
                lookup.setdefault(form, s)
        return lookup

    def gradient_symbol(self, wrt: str | sympy.Symbol, field: str = "wrt") -> sympy.Symbol:
        """The symbol ``wrt`` names (as :meth:`symbol`), checked to have a gradient: raises
        :class:`SpecError` naming ``field`` for the cost, a target or an unknown name."""
        s = self.symbol(wrt, field)
        if s not in self.gradients.by_wrt:
            role = self.network.table.info[s].role
            raise SpecError(field, f"{s.name} is {'the cost' if role == 'cost' else 'a ' + role}; gradients are "
                                   "taken with respect to inputs, weights, biases, pre-activations and activations")
        return s

    def gradient(self, wrt: str | sympy.Symbol, form: str = "named", factor: bool = True) -> sympy.Expr:
        """∂C/∂``wrt`` as a sympy expression.

        ``form``: ``"delta"`` (Σ δ · local partial), ``"named"`` (in forward intermediates o, z and
        leaves; δ substituted) or ``"leaf"`` (inputs, weights, biases, targets only). With
        ``factor`` the common factors are pulled out (``sympy.factor_terms``; an exact rewrite).
        Raises :class:`SpecError` naming ``wrt`` for an unknown symbol, ``form`` for an unknown
        form or when the named / leaf form's estimated size passes
        :data:`~symconv.size.FORM_SIZE_LIMIT` (:data:`~symconv.size.COMPARE_SIZE_LIMIT` without
        ``factor``; deep networks), unless ``allow_large``.
        """
        s = self.gradient_symbol(wrt)
        if form == "delta":
            expr = self.gradients[s].delta_form
        elif form in ("named", "leaf"):
            from .size import COMPARE_SIZE_LIMIT, FORM_SIZE_LIMIT, form_budget

            limit = FORM_SIZE_LIMIT if factor else COMPARE_SIZE_LIMIT  # factoring is the costly step
            size = self.gradients.named_size(s) if form == "named" else self.gradients.leaf_size(s)
            fix = 'write it as the chain-rule sum (--form sum; form="delta" in Python) or ask for a gradient nearer the cost'
            form_budget(size, limit, "form", f"∂C/∂{s.name} in {form} form", fix, self.allow_large)
            expr = self.gradients.named(s) if form == "named" else self.gradients.leaf(s)
        else:
            raise SpecError("form", f"must be one of {', '.join(FORMS)}; got {form!r}")
        if not factor:
            return expr
        if (s, form) not in self._factored:  # factoring a named or leaf form is the costly step
            self._factored[(s, form)] = sympy.factor_terms(expr)
        return self._factored[(s, form)]

    @cached_property
    def printer(self):
        """The LaTeX printer of this network's notation (:class:`symconv.latex.NotationPrinter`,
        max-pool routes named by their output), remembering what it printed: the gradients of one
        network share most subexpressions."""
        from .latex import NotationPrinter

        return NotationPrinter(self.network.table, pooled=self.forward.route_outputs, memo=True)

    @cached_property
    def _factored(self) -> dict:
        """Factored gradients already built, by (symbol, form): ``formula`` prints one form in
        several formats."""
        return {}

    def derivation(self, full: bool = False, show=()):
        """The proof steps (:class:`symconv.derivation.Derivation`).

        ``full`` shows every element; ``show``: elements to show with every sum written in full,
        as symbols, Python names (``"w1_1"``) or names as printed (``"w_1^1"``,
        ``"W^{(1)}_{1,1,1,1}"``), like ``--show``. Raises :class:`SpecError` for an unknown name.
        """
        from .derivation import derive

        return derive(self.gradients, full=views.flag(full, "full"), show=views.show_symbols(self, show))

    def render(self, fmt: str = "md", full: bool = False, show=(), templates=(), values=None) -> str | bytes:
        """The derivation as text: ``"md"``, ``"tex"``, ``"json"`` or ``"html"`` (one offline page,
        MathML); ``"pdf"`` gives bytes
        (raises :class:`~symconv.errors.ToolMissing` without TeX).

        ``show`` as for :meth:`derivation`; ``templates``: folders searched before the built-in
        templates (``--templates``); ``values``: a mapping from every leaf's name to a number
        (``--values``) or a seed ≥ 0 for small random exact values (``--random``), giving the
        numeric view. Raises :class:`SpecError` naming the option on bad input (a user
        template that fails: naming its file and line).
        """
        from .outputs import render_all

        if fmt not in views.FORMATS:
            raise SpecError("format", f"must be md, tex, json, pdf or html; got {fmt!r}")
        options = views.view_options(self, show, templates, values)
        data = render_all(self, [fmt], full=views.flag(full, "full"), **options)[fmt]
        return data if fmt == "pdf" else data.decode("utf-8")

    def write(self, out: str | Path = "output", formats=None, full: bool = False,
              show=(), templates=(), values=None, progress: bool = False) -> list[Path]:
        """Write ``out/NAME.<fmt>`` atomically for each format (``("md", "json")`` or
        ``"md,json"``), and with the Markdown the SVG figures it links to
        (``out/NAME.figures/ID.svg``); returns the paths, the formats' first. Nothing is written
        unless every format renders.
        ``formats=None`` writes every format, less the PDF without TeX (then a
        :class:`UserWarning` says so and how to install TeX); asking for ``"pdf"`` without TeX
        raises :class:`~symconv.errors.ToolMissing`. ``progress`` forces the progress line on
        stderr. Other options as for :meth:`render`."""
        import warnings

        from .outputs import write_outputs

        folder = views.out_folder(out)
        note = None
        if formats is None:
            chosen, note = views.default_formats()
        else:
            chosen = views.formats(formats)
        options = views.view_options(self, show, templates, values)
        paths = write_outputs(self, folder, chosen, full=views.flag(full, "full"),
                              progress=views.flag(progress, "progress"), field="out", **options)
        if note is not None:
            warnings.warn(note, stacklevel=2)
        return paths

    def _repr_markdown_(self) -> str:
        """Jupyter: the network (layers and shapes) and the result table (closed forms)."""
        from .formulas import model_markdown

        return model_markdown(self)

    def __repr__(self) -> str:
        return f"<symconv.Model {self.spec.name!r}: {len(self.spec.layers)} layers>"

    def latex(self, expr: Any) -> str:
        """LaTeX of any sympy expression in this document's notation (``i^{1}_{1}``, not sympy's
        ``i_{1 1}``; max-pool routes named by their output; ``H`` for Heaviside, ``f'``); terms
        in their stored order. A name (``"w1_1"``, ``"w_1^1"``) prints its symbol. Raises
        :class:`SpecError` naming ``expr`` for anything that is not a sympy expression."""
        if isinstance(expr, str):
            expr = self.symbol(expr, "expr")
        if isinstance(expr, int) and not isinstance(expr, bool):
            expr = sympy.Integer(expr)
        elif isinstance(expr, float):
            expr = sympy.Float(expr)
        if not isinstance(expr, sympy.Basic):
            raise SpecError("expr", f"must be a sympy expression or a symbol name; got {expr!r}")
        return self.printer.doprint(expr)

    def formula(self, target: str, form: str = "closed", fmt: str = "tex", width: Any = "345pt"):
        """:func:`symconv.formula` of this model (one formula as text that displays itself in
        Jupyter)."""
        from .formulas import formula

        return formula(self, target, form=form, fmt=fmt, width=width)

    def check(self, claim: str):
        """The verdict on a hand derivation (``symconv check``'s claim text, e.g.
        ``"\\frac{\\partial C}{\\partial w_1^1} = …"``) as a
        :class:`~symconv.formulas.Checked`: truthy when right, displayed in Jupyter as RIGHT or
        WRONG with the exact gradient; ``.verdict`` holds the full verdict. Raises
        :class:`SpecError` for a malformed claim."""
        from .formulas import Checked

        return Checked(self, claim)

    def cost(self, form: str = "leaf") -> sympy.Expr:
        """The cost C in leaf symbols (``form="leaf"``) or in the last layer's outputs (``"named"``).
        Raises :class:`SpecError` naming ``form`` when the leaf form's estimated size passes
        :data:`~symconv.size.FORM_SIZE_LIMIT` (unless ``allow_large``)."""
        if form not in ("leaf", "named"):
            raise SpecError("form", f"must be leaf or named; got {form!r}")
        expr = self.forward.cost.expr
        if form == "named":
            return expr
        from .size import FORM_SIZE_LIMIT, form_budget

        form_budget(self.forward.leaf_size(self.network.cost), FORM_SIZE_LIMIT, "form", "the cost in leaf form",
                    "ask for form named", self.allow_large)
        return self.forward.leaf(expr)


def load(source: Spec | str | Path | Mapping[str, Any], allow_large: bool = False) -> Model:
    """A :class:`Model` from a Spec, a TOML path, a dict, or ``"example:NAME"``.
    Raises :class:`SpecError` for a bad spec or a source of another type; a network above the
    size budgets (:mod:`symconv.size`) raises it when first built, unless ``allow_large``."""
    if not isinstance(source, Spec | str | Path | Mapping):
        raise SpecError("source", f"give a TOML path, a dict, a Spec or 'example:NAME'; got {source!r}")
    if isinstance(source, Spec):
        return Model(source, allow_large)
    if isinstance(source, Mapping):
        return Model(spec_from_dict(source), allow_large)
    text = str(source)
    if text.startswith("example:"):
        return Model(example(text.split(":", 1)[1]), allow_large)
    return Model(load_spec(source), allow_large)
