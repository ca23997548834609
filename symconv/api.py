"""The Python API: load a network, get any gradient in any form, derive and render.

>>> import symconv
>>> m = symconv.load(symconv.example("seed"))
>>> m.gradient("w1_1", form="named")          # ∂C/∂w^1_1 in named intermediates
2*(o2_1 - y_1)*(i1_1*w2_1 + i1_2*w2_2 + i1_4*w2_3 + i1_5*w2_4)

Symbols are addressed by their Python name (``m.symbol("w1_1")``) or passed as sympy Symbols.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

import sympy

from .errors import SpecError
from .forward import Forward, build_forward
from .gradients import Gradients, build_gradients
from .network import Network, build_network
from .spec import Spec, example, load_spec, spec_from_dict

FORMS = ("delta", "named", "leaf")


class Model:
    """A network with its forward pass and every gradient, built on demand.

    ``spec``: a :class:`~symconv.spec.Spec`. All stages are exact sympy; nothing is numeric.
    """

    def __init__(self, spec: Spec):
        self.spec = spec

    @cached_property
    def network(self) -> Network:
        return build_network(self.spec)

    @cached_property
    def forward(self) -> Forward:
        return build_forward(self.network)

    @cached_property
    def gradients(self) -> Gradients:
        return build_gradients(self.forward)

    @property
    def name(self) -> str:
        return self.spec.name

    def symbol(self, name: str | sympy.Symbol) -> sympy.Symbol:
        """The symbol of a Python name such as ``"w1_1"``; raises :class:`SpecError` if unknown."""
        if isinstance(name, sympy.Symbol):
            if name in self.network.table.info:
                return name
            name = name.name
        try:
            return self.network.table.by_name[name]
        except KeyError:
            raise SpecError("symbol", f"no symbol named {name!r} in this network") from None

    def gradient(self, wrt: str | sympy.Symbol, form: str = "named", factor: bool = True) -> sympy.Expr:
        """∂C/∂``wrt`` as a sympy expression.

        ``form``: ``"delta"`` (Σ δ · local partial), ``"named"`` (in forward intermediates o, z and
        leaves; δ substituted) or ``"leaf"`` (inputs, weights, biases, targets only). With
        ``factor`` the common factors are pulled out (``sympy.factor_terms``; an exact rewrite).
        """
        s = self.symbol(wrt)
        if form == "delta":
            expr = self.gradients[s].delta_form
        elif form == "named":
            expr = self.gradients.named(s)
        elif form == "leaf":
            expr = self.gradients.leaf(s)
        else:
            raise SpecError("form", f"must be one of {', '.join(FORMS)}; got {form!r}")
        return sympy.factor_terms(expr) if factor else expr

    def derivation(self, full: bool = False, show=()):
        """The proof steps (:class:`symconv.derivation.Derivation`).

        ``full`` shows every element; ``show``: elements to show with every sum written in full,
        as symbols, Python names (``"w1_1"``) or names as printed (``"w_1^1"``,
        ``"W^{(1)}_{1,1,1,1}"``), like ``--show``. Raises :class:`SpecError` for an unknown name.
        """
        from .derivation import derive

        return derive(self, full=full, show=self._show(show))

    def render(self, fmt: str = "md", full: bool = False, show=(), templates=(), values=None) -> str | bytes:
        """The derivation as text: ``"md"``, ``"tex"`` or ``"json"``; ``"pdf"`` gives bytes
        (raises :class:`~symconv.errors.ToolMissing` without TeX).

        ``show`` as for :meth:`derivation`; ``templates``: folders searched before the built-in
        templates (``--templates``); ``values``: a mapping from every leaf's name to a number
        (``--values``) or an int seed for small random exact values (``--random``), giving the
        numeric view. Raises :class:`SpecError` naming ``format``, ``show`` or ``values``.
        """
        from .outputs import render_all

        if fmt not in ("md", "tex", "json", "pdf"):
            raise SpecError("format", f"must be md, tex, json or pdf; got {fmt!r}")
        data = render_all(self, [fmt], full=full, **self.view_options(show, templates, values))[fmt]
        return data if fmt == "pdf" else data.decode("utf-8")

    def write(self, out: str | Path = "output", formats=("md", "tex", "pdf", "json"), full: bool = False,
              show=(), templates=(), values=None) -> list[Path]:
        """Write ``out/NAME.<fmt>`` atomically for each format; returns the paths. Options as for
        :meth:`render`."""
        from .outputs import write_outputs

        return write_outputs(self, Path(out), tuple(formats), full=full, **self.view_options(show, templates, values))

    def _show(self, show, option: str = "show") -> frozenset:
        from .values import resolve_names

        if isinstance(show, str | sympy.Symbol):
            show = [show]
        return frozenset(self.symbol(s) if isinstance(s, sympy.Symbol) else resolve_names(self, [s], option)[0]
                         for s in show)

    def view_options(self, show=(), templates=(), values=None, dash: str = "") -> dict:
        """The ``show``, ``templates`` and ``values`` keyword arguments of rendering, checked.
        Errors name the option as ``dash + name`` (``--show`` from the command line)."""
        from .values import evaluate, random_values, values_from_mapping

        if isinstance(templates, str | Path):
            templates = [templates]
        for folder in templates:
            if not Path(folder).is_dir():
                raise SpecError(f"{dash}templates", f"{folder} is not a folder; give a folder of .j2 templates")
        view = None
        if isinstance(values, bool) or not (values is None or isinstance(values, int | Mapping)):
            raise SpecError(f"{dash}values", "must be a mapping of leaf names to numbers or an int seed")
        if isinstance(values, int):
            view = evaluate(self, random_values(self, values))
        elif values is not None:
            named = {k.name if isinstance(k, sympy.Symbol) else str(k): v for k, v in values.items()}
            view = evaluate(self, values_from_mapping(self, named, f"{dash}values"))
        return {"show": self._show(show, f"{dash}show"), "templates": tuple(str(t) for t in templates),
                "values": view}

    def cost(self, form: str = "leaf") -> sympy.Expr:
        """The cost C in leaf symbols (``form="leaf"``) or in the last layer's outputs (``"named"``)."""
        expr = self.forward.cost.expr
        return self.forward.leaf(expr) if form == "leaf" else expr


def load(source: Spec | str | Path | Mapping[str, Any]) -> Model:
    """A :class:`Model` from a Spec, a TOML path, a dict, or ``"example:NAME"``."""
    if isinstance(source, Spec):
        return Model(source)
    if isinstance(source, Mapping):
        return Model(spec_from_dict(source))
    text = str(source)
    if text.startswith("example:"):
        return Model(example(text.split(":", 1)[1]))
    return Model(load_spec(source))
