"""Rendering of the general proof (Markdown and LaTeX) through jinja2 templates.

Python prints the mathematics (LaTeX strings); the templates in ``templates/general`` hold the
wording and layout.  Indices are 0-based internally and rendered 1-based throughout a document:
an index variable ``v`` is printed as ``v + 1`` (so a 0-based position ``e`` is printed as the
1-based position ``e + 1`` in the printed variables), summation bounds become ``1 .. N``.

Notations:

* ``seed``: input ``i``, kernel ``w``, bias ``b``, output ``o``, ``delta = dC/do``; index
  letters ``q`` (output channel), ``c`` (input channel), ``y, x`` (output row, column),
  ``m, n`` (kernel row, column), ``u, v`` (input row, column).
* ``goodfellow`` (Goodfellow et al. sec. 9.5): input ``V``, kernel ``K``, output ``Z``, cost
  ``J``, ``G = dJ/dZ``; index letters ``i`` (output channel), ``l`` (input channel), ``j, k``
  (output row, column), ``m, n`` (kernel), ``u, v`` (input row, column).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import jinja2
import sympy as sp

from ..identities import operator_notation
from ..notation import escape_latex_text
from .algebra import Diff, Div, Eq, Range, Tensor, Term, TermSum
from .derivations import SIZES, GeneralProof, i, j, q
from .rules import RULES, Cond

SIZE_TEX = {
    "H": "H", "W": "W", "k_h": "k_h", "k_w": "k_w", "s": "s", "p": "p", "d": "d",
    "C_in": r"C_{\mathrm{in}}", "C_out": r"C_{\mathrm{out}}",
    "H_out": r"H_{\mathrm{out}}", "W_out": r"W_{\mathrm{out}}",
}
SIZE_ORDER = [x.name for x in SIZES]
INDEX_ORDER = ["q", "c", "u", "v", "i", "j", "m", "n", "U", "V"]

NOTATIONS = {
    "seed": {
        "title": "seed notation",
        "tensors": {"x": "i", "w": "w", "b": "b", "z": "o", "xp": r"\tilde{i}", "delta": r"\delta",
                    "dhat": r"\hat{\delta}", "d0": r"\bar{\delta}", "C": "C",
                    "xt": r"i^{\mathrm{T}}", "wt": r"w^{\mathrm{T}}", "zt": r"o^{\mathrm{T}}",
                    "dt": r"\delta^{\mathrm{T}}"},
        "indices": {"q": "q", "c": "c", "i": "y", "j": "x", "m": "m", "n": "n", "u": "u",
                    "v": "v", "U": r"\bar{u}", "V": r"\bar{v}"},
        "roles": [("input", "x"), ("kernel", "w"), ("bias", "b"), ("output (pre-activation)", "z"),
                  ("cost", "C")],
    },
    "goodfellow": {
        "title": "Goodfellow et al. notation",
        "tensors": {"x": "V", "w": "K", "b": "b", "z": "Z", "xp": r"\tilde{V}", "delta": "G",
                    "dhat": r"\hat{G}", "d0": r"\bar{G}", "C": "J",
                    "xt": r"V^{\mathrm{T}}", "wt": r"K^{\mathrm{T}}", "zt": r"Z^{\mathrm{T}}",
                    "dt": r"G^{\mathrm{T}}"},
        "indices": {"q": "i", "c": "l", "i": "j", "j": "k", "m": "m", "n": "n", "u": "u",
                    "v": "v", "U": r"\bar{u}", "V": r"\bar{v}"},
        # k is Goodfellow's output column: the kernel's height and width are those of K
        "sizes": {"k_h": "h_K", "k_w": "w_K"},
        "roles": [("input", "x"), ("kernel", "w"), ("bias", "b"), ("output (pre-activation)", "z"),
                  ("cost", "C")],
    },
}

ROW_WIDTH = 80
OPERATORS = ("wrot", "full", "crop")
"""Tensors printed as operators applied to other tensors (rot180, full cross-correlation, crop)."""


class Printer:
    """LaTeX printer for one notation, indices 1-based."""

    def __init__(self, notation: str):
        if notation not in NOTATIONS:
            raise ValueError(f"unknown notation {notation!r}")
        self.nt = NOTATIONS[notation]
        self.sizes = {**SIZE_TEX, **self.nt.get("sizes", {})}

    # ---- atoms
    def tname(self, name: str) -> str:
        """The printed name of a tensor; the operators (``wrot``, ``full``, ``crop``) by the names
        the per-network documents give them (:func:`symconv.identities.operator_notation`)."""
        if name in OPERATORS:
            return self.operator(name, None)
        return self.nt["tensors"][name]

    def operator(self, name: str, idx: tuple | None) -> str:
        """An operator tensor, whole (``idx`` None) or at printed indices ``idx``: ``wrot`` is
        rot180 of the kernel, ``full`` the full cross-correlation of output channel q's delta with
        the rotated kernel of (q, c), ``crop`` that cropped by the padding."""
        t = self.nt["tensors"]
        if name == "wrot":
            body = rf"\operatorname{{rot180}}\left({t['w']}\right)"
            return body if idx is None else f"{body}_{{{', '.join(idx)}}}"
        if idx is None:
            pair = rf"{t['delta']} \mathbin{{\star_{{\mathrm{{full}}}}}} \operatorname{{rot180}}\left({t['w']}\right)"
            return pair if name == "full" else rf"\operatorname{{crop}}\left({pair}\right)"
        pair = (rf"{t['delta']}_{{{idx[0]}}} \mathbin{{\star_{{\mathrm{{full}}}}}} "
                rf"\operatorname{{rot180}}\left({t['w']}_{{{idx[0]}, {idx[1]}}}\right)")
        head = r"\operatorname{crop}" if name == "crop" else ""
        return rf"{head}\bigl({pair}\bigr)_{{{idx[2]}, {idx[3]}}}"

    def var(self, v: sp.Symbol) -> str:
        base = v.name.rstrip("'")
        return self.nt["indices"][base] + "'" * (len(v.name) - len(base))

    def _is_index(self, sym) -> bool:
        return sym.name not in SIZE_TEX

    def _size_terms(self, e) -> list:
        """Signed pieces of a size-only expression, in a fixed order."""
        e = sp.expand(e)
        if e == 0:
            return []
        pieces = []
        for t in sp.Add.make_args(e):
            coeff, rest = t.as_coeff_Mul()
            if rest == 1:
                key = (1, "")
                body = str(abs(coeff))
            else:
                syms = sorted(rest.free_symbols, key=lambda s: SIZE_ORDER.index(s.name))
                key = (0, ",".join(str(SIZE_ORDER.index(s.name)) for s in syms))
                body = sp.latex(abs(coeff) * rest if coeff != -1 and coeff != 1 else rest,
                                symbol_names={s: self.sizes[s.name] for s in rest.free_symbols},
                                mul_symbol=None)
            pieces.append((key, "-" if coeff < 0 else "+", body))
        pieces.sort(key=lambda x: x[0])
        return [(sg, b) for _, sg, b in pieces]

    def _coef(self, a) -> str:
        s = sp.latex(a, symbol_names={x: self.sizes[x.name] for x in a.free_symbols})
        return f"({s})" if isinstance(a, sp.Add) else s

    def affine(self, e, position: bool) -> str:
        """Print an integer expression; ``position``: it is a 0-based position, print it 1-based."""
        e = sp.expand(sp.sympify(e, strict=True))
        num, den = sp.fraction(sp.together(e))
        if den != 1:
            body = rf"\frac{{{self.affine(sp.expand(num), False)}}}{{{self._coef(den).strip('()')}}}"
            return body + (" + 1" if position else "")
        const = sp.Integer(1) if position else sp.Integer(0)
        idx = sorted((s for s in e.free_symbols if self._is_index(s)),
                     key=lambda s: (INDEX_ORDER.index(s.name.rstrip("'")), s.name))
        pieces = []
        rest = e
        for v in idx:
            a = sp.expand(e.coeff(v))
            rest = sp.expand(rest - a * v)
            vv = self.var(v)
            if a == 1:
                pieces.append(("+", vv))
                const -= 1
            elif a == -1:
                pieces.append(("-", vv))
                const += 1
            else:
                neg = a.could_extract_minus_sign()
                pieces.append(("-" if neg else "+", f"{self._coef(-a if neg else a)}({vv} - 1)"))
        sizes = self._size_terms(rest + const)
        nums = [x for x in sizes if x[1].isdigit()]
        syms = [x for x in sizes if not x[1].isdigit()]
        pieces = ([x for x in pieces + syms if x[0] == "+"] + [x for x in pieces + syms if x[0] == "-"]
                  + nums)
        if not pieces:
            return "0"
        out = ("-" if pieces[0][0] == "-" else "") + pieces[0][1]
        for sg, b in pieces[1:]:
            out += f" {sg} {b}"
        return out

    def tensor(self, t: Tensor) -> str:
        if t.name in OPERATORS:
            return self.operator(t.name, tuple(self.affine(e, True) for e in t.idx))
        name = self.tname(t.name)
        if not t.idx:
            return name
        return f"{name}_{{{', '.join(self.affine(e, True) for e in t.idx)}}}"

    def bracket(self, b, brackets: bool = True) -> str:
        if isinstance(b, Eq):
            s = f"{self.affine(b.lhs, True)} = {self.affine(b.rhs, True)}"
        elif isinstance(b, Div):
            s = rf"{self._coef(b.a)} \mid {self.affine(b.e, False)}"
        elif isinstance(b, Range):
            s = rf"{self.affine(b.lo, True)} \le {self.affine(b.e, True)} \le {self.affine(b.hi - 1, True)}"
        else:
            raise TypeError(b)
        return rf"\bigl[{s}\bigr]" if brackets else s

    def box(self, v, lo, hi) -> str:
        return rf"\sum_{{{self.var(v)}={self.affine(lo, True)}}}^{{{self.affine(hi - 1, True)}}}"

    def factor_atoms(self, f) -> list:
        if isinstance(f, Tensor):
            return [self.tensor(f)]
        if isinstance(f, Diff):
            if isinstance(f.of, Tensor):
                return [rf"\frac{{\partial {self.tensor(f.of)}}}{{\partial {self.tensor(f.wrt)}}}"]
            inner = self.sum_atoms(f.of)
            return [rf"\frac{{\partial}}{{\partial {self.tensor(f.wrt)}}}\Bigl("] + inner + [r"\Bigr)"]
        raise TypeError(f)

    def term_atoms(self, t: Term, first: bool) -> list:
        atoms = []
        c = sp.sympify(t.coeff, strict=True)
        sign = "+"
        if c.could_extract_minus_sign():
            sign, c = "-", -c
        lead = "" if c == 1 else self._coef(c) + r"\,"
        lead = (("-" if sign == "-" else "") if first else f"{sign} ") + lead
        atoms += [self.box(*b) for b in t.box]
        atoms += [self.bracket(b) for b in t.brackets]
        for f in t.factors:
            atoms += self.factor_atoms(f)
        if not t.factors:
            atoms.append("1")
        atoms[0] = lead + atoms[0]
        return atoms

    def sum_atoms(self, s: TermSum) -> list:
        if not s.terms:
            return ["0"]
        atoms = []
        for k, t in enumerate(s.terms):
            atoms += self.term_atoms(t, k == 0)
        return atoms

    def inline(self, s: TermSum) -> str:
        return " ".join(self.sum_atoms(s))

    def rows(self, s: TermSum, width: int = ROW_WIDTH) -> list:
        return break_rows(self.sum_atoms(s), width)

    def cond(self, c: Cond) -> str:
        args = []
        for kind, val in c.args:
            if kind == "tensor":
                args.append(f"${self.tname(val)}$")
            elif kind == "expr":
                args.append(f"${self.affine(val, False)}$")
            elif kind == "var":
                args.append(f"${self.var(val)}$")
            elif kind == "bracket":
                args.append(f"${self.bracket(val)}$")
            elif kind == "sizes_eq":
                args.append(f"${self.affine(val.lhs, False)} = {self.affine(val.rhs, False)}$")
            elif kind == "eq":
                args.append(f"${self.bracket(val, brackets=False)}$")
            else:
                raise TypeError(kind)
        return c.text.format(*args)


def visual_width(s: str) -> float:
    """A rough width estimate of a LaTeX math string, in characters."""
    s = re.sub(r"\\frac\{\\partial\}\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}", r"\1", s)
    s = re.sub(r"\\frac\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}",
               lambda m: m.group(1) if len(m.group(1)) > len(m.group(2)) else m.group(2), s)
    s = re.sub(r"\\(mathrm|bigl|bigr|Bigl|Bigr|left|right|,)", "", s)
    sub = sum(len(x) for x in re.findall(r"_\{([^{}]*)\}", s))
    s2 = re.sub(r"\\[a-zA-Z]+", "x", s)
    s2 = re.sub(r"[{}_^ ]", "", s2)
    return len(s2) - 0.3 * sub


def break_rows(atoms: list, width: int) -> list:
    rows, cur, w = [], [], 0.0
    for a in atoms:
        aw = visual_width(a) + 1
        if cur and w + aw > width:
            rows.append(" ".join(cur))
            cur, w = [], 0.0
        cur.append(a)
        w += aw
    if cur:
        rows.append(" ".join(cur))
    return rows


# ----------------------------------------------------------------------------- context


def _template_dir():
    try:
        base = resources.files("symconv.templates") / "general"
        if base.is_dir():
            return Path(str(base))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover
        pass
    return Path(__file__).resolve().parents[2] / "templates" / "general"


def _env(fmt: str) -> jinja2.Environment:
    # the general templates, then templates/ for the preamble every LaTeX document shares
    loader = jinja2.FileSystemLoader([str(_template_dir()), str(_template_dir().parent)])
    common = dict(loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
                  keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    if fmt == "tex":
        env = jinja2.Environment(
            block_start_string=r"\BLOCK{", block_end_string="}",
            variable_start_string=r"\VAR{", variable_end_string="}",
            comment_start_string=r"\#{", comment_end_string="}",
            line_statement_prefix="%%", line_comment_prefix="%#", **common)
        env.filters["wrap_math"] = lambda x: f"${x}$"
        env.filters["texescape"] = escape_latex_text
        return env
    env = jinja2.Environment(**common)
    env.filters["wrap_math"] = lambda x: f"${x}$"
    return env


DEF_ORDER = ["z", "xp", "dhat", "d0", "wrot", "full", "crop", "zt"]


GENERAL_OPERATORS = ("pad", "zero_insert", "correlate", "full", "rot180", "crop")
"""The operations of :func:`symconv.identities.operator_notation` the general proof uses (its
tilde, hat, star, full cross-correlation, rot180 and crop are those of the per-network documents)."""


def notation_rows(pr: Printer) -> list[dict]:
    """The Notation section: every letter, decoration and operator the general proof prints,
    ``{"symbol", "meaning", "formula"}`` (LaTeX symbol and formula, meaning in words), 1-based.

    The operators are the rows the per-network documents use (:data:`GENERAL_OPERATORS`), so a
    reader meets one name for one operation in both."""
    T, I, S_ = pr.nt["tensors"], pr.nt["indices"], pr.sizes
    q_, c_, y_, x_, m_, n_, u_, v_ = (I[k] for k in ("q", "c", "i", "j", "m", "n", "u", "v"))
    cost = T["C"]
    rows = [
        (f"{T['x']}_{{{c_},{u_},{v_}}}", f"input: channel {c_}, row {u_}, column {v_}", ""),
        (f"{T['w']}_{{{q_},{c_},{m_},{n_}}}",
         f"kernel (weight): output channel {q_}, input channel {c_}, kernel row {m_}, column {n_}", ""),
        (f"{T['b']}_{{{q_}}}", f"bias of output channel {q_}", ""),
        (f"{T['z']}_{{{q_},{y_},{x_}}}",
         f"output (pre-activation: before any nonlinearity): channel {q_}, row {y_}, column {x_}", ""),
        (f"{T['delta']}_{{{q_},{y_},{x_}}}", "error term: the gradient of the cost with respect to the output",
         rf"{T['delta']}_{{{q_},{y_},{x_}}} = \frac{{\partial {cost}}}{{\partial {T['z']}_{{{q_},{y_},{x_}}}}}"),
        (cost, "cost", ""),
        (rf"{T['xt']}, {T['wt']}, {T['zt']}, {T['dt']}",
         "input, kernel (input channel first), output and error term of a transposed convolution "
         "(T marks the transposed layer, not a matrix transpose)", ""),
        (rf"{T['d0']}", "error term extended by zeros to every integer position",
         rf"{T['d0']}_{{{q_},{I['U']},{I['V']}}} = {T['delta']}_{{{q_},{I['U']},{I['V']}}} "
         r"\text{ (0 outside the output)}"),
        (rf"{I['U']}, {I['V']}", "row and column in a padded, zero-inserted or extended map", ""),
        (rf"{S_['H']}, {S_['W']}", "input height and width", ""),
        (rf"{S_['k_h']}, {S_['k_w']}", "kernel height and width", ""),
        (rf"{S_['s']}, {S_['d']}, {S_['p']}", "stride, dilation, zero padding (the same on all four sides)", ""),
        (rf"{S_['C_in']}, {S_['C_out']}", "input and output channels", ""),
        (rf"{S_['H_out']}, {S_['W_out']}", "output height and width (free symbols: no step uses the output-size formula)", ""),
    ]
    operators = operator_notation(S_["k_h"], S_["k_w"])
    rows += [operators[k] for k in GENERAL_OPERATORS]
    rows += [
        (r"\bigl[\varphi\bigr]", "Iverson bracket: 1 when the statement in the brackets holds, else 0", ""),
        (r"\bigl[a \mid e\bigr]", "1 when a divides e, else 0", ""),
        (r"T, S, Z, F, B_T", "in the rules: tensors, an intermediate tensor, factors, the body of a definition of T", ""),
        (r"\ell, h, \sigma", "in the rules: lower and upper summation bounds, a sign (+1 or -1)", ""),
    ]
    return [{"symbol": a, "meaning": b, "formula": f} for a, b, f in rows]


def context(proof: GeneralProof, fmt: str) -> dict:
    pr = Printer(proof.notation)
    nt = NOTATIONS[proof.notation]
    tex = fmt == "tex"

    def text(s: str) -> str:
        return s.replace("$", "$") if tex else s

    defs = []
    for name in DEF_ORDER:
        d = proof.defs[name]
        lhs = pr.tensor(Tensor(name, d.params))
        defs.append({"name": name, "tex": pr.tname(name), "description": d.description,
                     "lhs": lhs, "rows": pr.rows(d.body, ROW_WIDTH - 20)})
    legend = []
    for r in RULES:
        if r.name in [n for n, _ in proof.rules]:
            legend.append({"name": r.name, "identity": r.latex, "conditions": r.side_conditions})
    ders = []
    for der in proof.derivations:
        goal = pr.tensor(der.target)
        lhs = rf"\frac{{\partial {pr.tname('C')}}}{{\partial {goal}}}"
        hyps = [pr.bracket(h, brackets=False) for h in der.hypotheses
                if not (isinstance(h, Range))]
        steps = []
        for k, st in enumerate(der.steps, 1):
            steps.append({
                "number": k, "rule": st.rule,
                "times": st.count,
                "conditions": [text(pr.cond(c)) for c in st.conditions],
                "rows": pr.rows(st.expr),
            })
        ders.append({
            "key": der.key, "title": der.title, "lhs": lhs, "start_note": der.start_note,
            "start_rows": [] if der.start_note == "goal" else pr.rows(der.start, ROW_WIDTH - 20), "hypotheses": hyps, "steps": steps,
            "result_rows": pr.rows(der.result, ROW_WIDTH - 20),
            "free": [rf"1 \le {pr.var(v)} \le {pr.affine(n - 1, True)}" for v, n in der.free],
        })
    idx_letters = nt["indices"]
    return {
        "notation_rows": notation_rows(pr),
        "notation": proof.notation,
        "notation_title": nt["title"],
        "T": {k: v for k, v in nt["tensors"].items()},
        "I": {k: v for k, v in idx_letters.items()},
        "S": pr.sizes,
        "definitions": defs,
        "legend": legend,
        "derivations": ders,
        "delta_def": (pr.tensor(Tensor("delta", (q, i, j))) + r" = \partial " + pr.tname("C")
                      + " / \\partial " + pr.tensor(Tensor("z", (q, i, j)))),
        "delta_t_def": (pr.tensor(Tensor("dt", (q, i, j))) + r" = \partial " + pr.tname("C")
                        + " / \\partial " + pr.tensor(Tensor("zt", (q, i, j)))),
    }


def render(proof: GeneralProof, fmt: str) -> str:
    if fmt not in ("md", "tex"):
        raise ValueError(f"unknown format {fmt!r}; expected 'md' or 'tex'")
    env = _env(fmt)
    tpl = env.get_template(f"general.{fmt}.j2")
    return tpl.render(**context(proof, fmt))
