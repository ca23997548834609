"""The only place symbol names are chosen: Python names, LaTeX forms and index bases.

Styles (``[notation] style``):

* ``seed`` (default): the question's notation. ``i^{1}_{k}`` input (it feeds layer 1),
  ``w^{l}_{k}`` kernel, ``b^{l}_{k}`` bias, ``z^{l}_{k}`` pre-activation, ``o^{l}_{k}`` layer
  output (activation), ``\\delta^{l}_{k}``, ``y_{k}`` target; ``k`` is the flat **1-based row-major**
  index over the whole tensor — ``(c, h, w)`` for feature maps, ``(c_out, c_in, kh, kw)`` for kernels.
* ``grid``: ``x^{(l)}_{c,m,n}``, ``W^{(l)}_{o,c,m,n}``, ``b^{(l)}_{o}``, ``z``/``a``/``\\delta``
  with channel-first **1-based** grid indices (Goodfellow, Bengio & Courville, *Deep Learning*, §9.5).
* ``grid0``: as ``grid`` but **0-based** (PyTorch's indexing).

One index base holds throughout a document. Names are built from metadata (role, layer, index)
with explicit braces (reference case C07), never by letting sympy split a name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from .errors import SpecError

@dataclass(frozen=True)
class Role:
    """One role a symbol can play, with everything the stages need to know about it: its default
    letter in each style (``seed``, ``grid``; None for roles printed from others' letters), whether
    it is a ``leaf`` (a value the user gives: ``--values``), a ``parameter`` shared by the examples
    of a batch (no batch axis), listed in the JSON ``symbols`` (``json``) with a gradient there
    (``gradient``), ``positive`` (values must be > 0), a ``scalar`` (no index), and its legend row:
    ``index`` (which subscripts the legend shows: ``fmap``, ``kernel``, ``vector``, ``channel``,
    ``target`` or ``""`` for none), ``meaning`` and ``always`` (shown even when the network has no
    such tensor)."""

    name: str
    seed: str | None
    grid: str | None
    leaf: bool = False
    parameter: bool = False
    json: bool = True
    gradient: bool = True
    positive: bool = False
    scalar: bool = False
    index: str = "fmap"
    meaning: str = ""
    always: bool = False


ROLE_TABLE: tuple[Role, ...] = (
    Role("input", "i", "x", leaf=True, always=True, meaning="input"),
    Role("weight", "w", "W", leaf=True, parameter=True, index="kernel", always=True,
         meaning="kernel (weight) of layer l"),
    Role("bias", "b", "b", leaf=True, parameter=True, index="vector", always=True, meaning="bias of layer l"),
    Role("pre_activation", "z", "z", always=True,
         meaning="pre-activation of layer l (when it has an activation)"),
    Role("activation", "o", "a", always=True, meaning="output (activation) of layer l"),
    Role("delta", "delta", "delta", json=False, gradient=False, always=True,
         meaning="error term of layer l: the gradient of the cost with respect to its pre-activation"),
    Role("target", "y", "y", leaf=True, gradient=False, index="target", always=True, meaning="target"),
    Role("probability", "p", "p", gradient=False, index="target",
         meaning="softmax of the last layer's outputs, which the cross-entropy cost reads"),
    Role("cost", "C", "C", json=False, gradient=False, scalar=True, index=""),
    Role("gamma", "gamma", "gamma", leaf=True, parameter=True, index="channel",
         meaning="batch-norm scale of layer l, one per channel"),
    Role("beta", "beta", "beta", leaf=True, parameter=True, index="channel",
         meaning="batch-norm shift of layer l, one per channel"),
    Role("mean", "mu", "mu", index="channel",
         meaning="batch mean of channel c of the input of batch-norm layer l"),
    Role("variance", "var", "var", index="channel",
         meaning="biased batch variance of channel c of the input of batch-norm layer l"),
    Role("std", "sigma", "sigma", index="channel",
         meaning="batch standard deviation of channel c in layer l: the square root of the biased "
                 "variance plus epsilon"),
    Role("normalized", "xhat", "xhat", meaning="normalised input of batch-norm layer l (mean 0, variance 1)"),
    Role("epsilon", "epsilon", "epsilon", leaf=True, gradient=False, positive=True, scalar=True, index="",
         meaning="the constant added to the variance before the square root (symbolic)"),
)
"""Every role that takes a letter, in the order of the legend; ``adjoint`` (∂C/∂ of a named
intermediate) is printed from the letters of the tensor it is the gradient of and the cost."""

ROLE = {r.name: r for r in ROLE_TABLE}
ROLES = tuple(r.name for r in ROLE_TABLE)
"""The roles that take a letter (``[notation]`` keys)."""
LEAF_ROLES = tuple(r.name for r in ROLE_TABLE if r.leaf)
"""Roles of leaf symbols: values the user gives (inputs, weights, biases, targets, γ, β, ε)."""
PARAMETER_ROLES = tuple(r.name for r in ROLE_TABLE if r.parameter)
"""Roles shared by the examples of a batch (no batch axis)."""
JSON_ROLES = tuple(r.name for r in ROLE_TABLE if r.json)
"""Roles listed in the JSON ``symbols``."""
GRADIENT_ROLES = tuple(r.name for r in ROLE_TABLE if r.json and r.gradient)
"""Roles whose gradients the JSON lists (and the Python API gives)."""

STYLES = ("seed", "grid", "grid0")


@dataclass(frozen=True)
class Notation:
    """How symbols are named: a style and optional letters per role (see :class:`Namer`)."""

    style: str = "seed"
    letters: tuple[tuple[str, str], ...] = ()

    def letter(self, role: str, default: str) -> str:
        return dict(self.letters).get(role, default)


_DEFAULTS = {
    "seed": {r.name: r.seed for r in ROLE_TABLE},
    "grid": {r.name: r.grid for r in ROLE_TABLE},
}
_DEFAULTS["grid0"] = _DEFAULTS["grid"]
_FALLBACK = {"probability": "yhat"}
"""The letter of a role whose default another role's chosen letter takes (p → ŷ)."""

_GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi",
    "Omega",
}

_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
    "|": r"\textbar{}", "<": r"\textless{}", ">": r"\textgreater{}",
    "`": r"\textasciigrave{}",
}


def escape_latex_text(text: str) -> str:
    """Escape user text for LaTeX text mode (``a&b`` → ``a\\&b``, ``loss%`` → ``loss\\%``)."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in text)


_LATEX_MATH_SPECIAL = {
    "\\": r"\backslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\_", "^": r"\hat{}", "~": r"\sim{}", " ": r"\ ", "|": r"\vert{}",
}


def escape_latex_math(text: str) -> str:
    """Escape user text for use inside ``\\mathrm{...}`` in math mode (LaTeX and KaTeX alike):
    ``x_in`` → ``x\\_in``, ``a&b`` → ``a\\&b``, ``conv#1`` → ``conv\\#1``; ``|`` becomes
    ``\\vert{}`` so that Markdown tables are not cut."""
    return "".join(_LATEX_MATH_SPECIAL.get(ch, ch) for ch in text)


_MARKDOWN_INLINE = frozenset("\\`*_[]<>$|~#&")


def escape_markdown_text(text: str) -> str:
    """Escape user text for one line of Markdown after a marker (a ``#`` title), so that it stays
    literal: ``*``/``_`` (emphasis), ``[``/``]`` (links), ``<``/``>`` (HTML, autolinks), backquote,
    ``$`` (math in KaTeX/GitHub renderers), ``|`` (tables), ``~`` (strikethrough), ``#`` (closing
    heading marks), ``&`` (entities such as ``&amp;``) and the backslash get a backslash
    (CommonMark §2.4). Characters that only matter at the start of a line (``-``, ``+``, ``1.``)
    are left as typed."""
    return "".join("\\" + ch if ch in _MARKDOWN_INLINE else ch for ch in text)


def letter_latex(letter: str) -> str:
    """LaTeX for a role letter: one letter as is, a Greek name as its command, else ``\\mathrm``
    with math-safe escapes (``loss%`` → ``\\mathrm{loss\\%}``)."""
    if letter in _GREEK:
        return "\\" + letter
    if re.fullmatch(r"[A-Za-z]", letter):
        return letter
    if letter.endswith("hat") and (len(letter) == 4 and letter[0].isalpha() and letter.isascii()
                                   or letter[:-3] in _GREEK):
        return rf"\hat{{{letter_latex(letter[:-3])}}}"  # xhat: x with a hat (the normalised input)
    return r"\mathrm{" + escape_latex_math(letter) + "}"


def letter_identifier(letter: str) -> str:
    """A Python-identifier fragment for a role letter (``x_in`` → ``x_in``, ``a&b`` → ``a_b``)."""
    ident = re.sub(r"\W", "_", letter, flags=re.ASCII)
    if not ident or ident[0].isdigit():
        ident = "s" + ident
    return ident


class SymbolInfo(NamedTuple):
    """Metadata of one symbol: the Python ``name``, its ``latex``, ``role``, ``layer`` and index.

    ``layer`` is the 1-based position in ``layers`` (0 for the input, None for targets and the
    cost); ``index`` is the 0-based structured index ((c, h, w), (c_out, c_in, kh, kw), (o,), (k,)).
    ``flat`` is the 0-based row-major flat index within its tensor. ``of``: for an ``adjoint``
    (∂C/∂ of a named tensor), the role of that tensor (``activation`` for ∂C/∂o).
    """

    name: str
    latex: str
    role: str
    layer: int | None
    index: tuple[int, ...]
    flat: int
    of: str | None = None


class Namer:
    """Chooses names for every tensor element under one :class:`~symconv.spec.Notation`."""

    def __init__(self, notation: Notation):
        self.style = notation.style
        self.base = 0 if notation.style == "grid0" else 1
        self.letters = {
            role: notation.letter(role, _DEFAULTS[notation.style][role]) for role in ROLES
        }
        chosen = {letter_identifier(v) for r, v in notation.letters if r != "probability"}
        if "probability" not in dict(notation.letters) and letter_identifier(self.letters["probability"]) in chosen:
            self.letters["probability"] = _FALLBACK["probability"]  # a letter the user took for another role
        seen: dict[str, str] = {}
        for role, letter in self.letters.items():
            ident = letter_identifier(letter)
            if ident in seen:
                raise SpecError(
                    f"notation.{role}",
                    f"letter {letter!r} collides with notation.{seen[ident]}; choose distinct letters",
                )
            seen[ident] = role

    def latex_letter(self, role: str) -> str:
        """The LaTeX of a role's letter (computed once per role; called per symbol)."""
        cache = self.__dict__.setdefault("_latex_cache", {})
        if role not in cache:
            cache[role] = letter_latex(self.letters[role])
        return cache[role]

    def ident(self, role: str) -> str:
        """The Python-identifier fragment of a role's letter (computed once per role)."""
        cache = self.__dict__.setdefault("_ident_cache", {})
        if role not in cache:
            cache[role] = letter_identifier(self.letters[role])
        return cache[role]

    def layer_mark(self, layer: int) -> str:
        """The LaTeX superscript content for a layer: ``1`` (seed) or ``(1)`` (grid)."""
        return str(layer) if self.style == "seed" else f"({layer})"

    def info(
        self, role: str, layer: int | None, index: tuple[int, ...], flat: int, of: str = "activation"
    ) -> SymbolInfo:
        """Name one element. ``layer`` for the input is 0 but prints as 1 in the seed style.
        An ``adjoint`` is ∂C/∂ of the element of role ``of`` (a layer output by default)."""
        if role == "adjoint":  # ∂C/∂o, the upstream gradient of a layer output (or intermediate)
            of_info = self.info(of, layer, index, flat)
            cost = self.latex_letter("cost")
            return SymbolInfo(
                f"d{self.ident('cost')}_d{of_info.name}",
                rf"\frac{{\partial {cost}}}{{\partial {of_info.latex}}}",
                role, layer, index, flat, of,
            )
        letter = self.latex_letter(role)
        ident = self.ident(role)
        if ROLE[role].scalar:
            return SymbolInfo(ident, letter, role, None, (), 0)
        if self.style == "seed":
            k = flat + 1
            if ROLE[role].index == "target":  # targets and probabilities: no layer mark
                return SymbolInfo(f"{ident}_{k}", f"{letter}_{{{k}}}", role, layer, index, flat)
            mark = 1 if role == "input" else layer
            return SymbolInfo(
                f"{ident}{mark}_{k}", f"{letter}^{{{mark}}}_{{{k}}}", role, layer, index, flat
            )
        idx = [v + self.base for v in index]
        sub = ",".join(str(v) for v in idx)
        tail = "_".join(str(v) for v in idx)
        if ROLE[role].index == "target":
            return SymbolInfo(f"{ident}_{tail}", f"{letter}_{{{sub}}}", role, layer, index, flat)
        shown_layer = layer if role != "input" else 0
        return SymbolInfo(
            f"{ident}{shown_layer}_{tail}",
            f"{letter}^{{({shown_layer})}}_{{{sub}}}",
            role,
            layer,
            index,
            flat,
        )

    def tensor_latex(self, role: str, layer: int | None) -> str:
        """LaTeX of a whole tensor, e.g. ``w^{1}`` or ``W^{(1)}`` (for closed forms)."""
        letter = self.latex_letter(role)
        if ROLE[role].index == "target" or ROLE[role].scalar or layer is None:
            return letter
        mark = 1 if (role == "input" and self.style == "seed") else layer
        if self.style == "seed":
            return f"{letter}^{{{mark}}}"
        return f"{letter}^{{({mark})}}"

    def element_latex(self, role: str, layer: int | None, subscripts: list[str] | tuple[str, ...]) -> str:
        """LaTeX of a generic element with printed index expressions, for index formulas.

        Grid styles: ``W^{(1)}_{o,c,m,n}``. Seed style: ``w^{1}_{(o,c,m,n)}``, i.e. the element whose
        flat 1-based row-major index is the position of ``(o, c, m, n)`` (stated in the document).
        """
        sub = ",".join(subscripts)
        if ROLE[role].scalar:
            return self.latex_letter(role)
        if ROLE[role].index == "target":
            return f"{self.latex_letter(role)}_{{{sub}}}"
        if self.style == "seed" and len(subscripts) > 1:
            sub = f"({sub})"
        return f"{self.tensor_latex(role, layer)}_{{{sub}}}"

    def typed_forms(self, info: SymbolInfo) -> list[str]:
        """Ways a user may type a symbol's name (for ``--show`` and ``--values``), normalized by
        :func:`normalize_typed`: the Python name, and the LaTeX name with sub- and superscript in
        either order, with or without braces and a leading backslash (``w^1_1``, ``w_1^1``,
        ``W^{(1)}_{1,1,1,1}``, ``W_1,1,1,1^(1)``, ``delta^2_1``)."""
        forms = [info.name]
        if info.role in ("cost", "adjoint"):
            return forms
        letters = {self.letters[info.role], self.latex_letter(info.role), self.latex_letter(info.role).lstrip("\\")}
        latex = info.latex
        m = re.fullmatch(r"(.*?)(?:\^\{(.*?)\})?_\{([^{}]*)\}", latex)
        if m is None:
            return forms
        sup, sub = m.group(2), m.group(3)
        for letter in letters:
            if sup is None:
                forms.append(f"{letter}_{sub}")
                continue
            sups = {sup, sup.strip("()")}
            for up in sups:
                forms.append(f"{letter}^{up}_{sub}")
                forms.append(f"{letter}_{sub}^{up}")
        return [normalize_typed(f) for f in forms]


def unicode_script(ch: str) -> tuple[str, str] | None:
    """``("_", c)`` for a Unicode subscript character (``₁`` → ``1``, ``ₖ`` → ``k``), ``("^", c)``
    for a superscript one (``²``, ``ᵏ``), read from its Unicode compatibility decomposition
    (``unicodedata``); None for any other character. Pasted names (``w₁¹``) and claims use it."""
    if ch.isascii():
        return None
    kind, _, code = unicodedata.decomposition(ch).partition(" ")
    if kind not in ("<sub>", "<super>") or not code or " " in code:
        return None
    return ("_" if kind == "<sub>" else "^", chr(int(code, 16)))


def normalize_typed(text: str) -> str:
    """A typed symbol name without braces or spaces (``W^{(1)}_{1, 1}`` → ``W^(1)_1,1``); a run of
    Unicode sub- or superscript characters as ``_`` or ``^`` and the characters (``w₁¹`` → ``w_1^1``)."""
    out, last = [], None
    for ch in text:
        script = unicode_script(ch)
        if script is None:
            out.append(ch)
        else:
            out.append(script[1] if script[0] == last else script[0] + script[1])
        last = script[0] if script else None
    return re.sub(r"[{}\s]", "", "".join(out))
