r"""Parse a hand-derived claim, written in LaTeX in the document's notation, into sympy (no eval).

A claim is a chain of sides joined by ``=``, e.g.
``\frac{\partial C}{\partial w_1^1} = 2(o_1^2 - y_1)(w_1^2 i_1^1 + w_2^2 i_2^1 + w_3^2 i_4^1 + w_4^2 i_5^1)``.
The first side names what is claimed: ``\frac{\partial C}{\partial x}`` or ``\partial C/\partial x``
(the gradient of the cost with respect to a symbol ``x``) or a δ symbol (``\delta_k^l``, which is
∂C/∂z). Every later side is claimed equal to it; several sides form a derivation whose first
wrong step :mod:`symconv.check` reports.

Grammar (a hand-written recursive descent; the symbol vocabulary comes from the network's symbol
table, so every notation style and custom letter is understood)::

    claim   := side ('=' side)*
    side    := term (('+' | '-') term)*
    term    := unary (('*' | '\cdot' | '\times' | '/' | <implicit>) unary)*
    unary   := ('-' | '+') unary | power
    power   := primary ('^' exponent)?
    primary := number | symbol | '(' side ')' | '[' side ']' | '{' side '}' | '\{' side '\}'
             | '\frac' group group | '\partial' symbol '/' '\partial' symbol
             | '\sum' '_{' var '=' index '}' '^' index term | function '(' side ')'

* **Symbols.** A symbol is a letter of the table (``w``, ``\delta``, ``W``, ``\mathrm{x\_in}``)
  with a subscript and, for tensors that have layers, a superscript in either order:
  ``w_1^1 = w^1_1 = w^{1}_{1} = w_{1}^{1}``. Braces are optional for one character.
  ``w_{12}^1`` needs braces: ``w_12`` is refused as ambiguous. Grid styles take comma lists
  (``W^{(1)}_{1,1,2,2}``; the parentheses of the layer mark may be omitted). Subscripts may use a
  summation variable: ``w_k^2``, ``i_{k+1}^1``, ``x^{(0)}_{1,k,2k}``.
* **Superscripts.** On a letter that carries a layer (every tensor letter except targets and the
  cost), the first superscript is the *layer mark*, never a power. A power is written on a
  parenthesised or braced group, a number, a symbol of a letter without layers (``y_1^2``), or as
  a second superscript after the layer mark (``w_1^1^2`` is ``(w_1^1)^2``; the parenthesised form
  is clearer). So ``(o_1^2 - y_1)^2`` is a square and ``w_1^2`` is the first weight of layer 2.
* **Numbers** are exact: ``0.5`` is 1/2. ``\frac12`` and ``\frac{1}{2}`` both work.
* **Derivatives.** ``\partial C/\partial x`` and ``\frac{\partial C}{\partial x}`` anywhere mean the
  exact ∂C/∂x of the network; ``\partial u/\partial v`` with ``u`` not the cost is understood when
  ``v`` is a leaf (input, weight, bias, target): it is d(u in leaves)/dv.
* **Sums.** ``\sum_{k=1}^{4} body``: ``body`` is one product term (``\sum_{k=1}^{4} w_k^2 i_k^1``);
  wrap a longer body in parentheses. Both bounds are inclusive integers.
* **Functions**: ``f(·)``, ``f'(·)`` (the generic activation), ``\sigma``, ``\tanh``, ``\exp``,
  ``\log``, ``\ln``, ``\max``.
* Ignored: spacing (``\,`` ``\;`` ``\!`` ``\quad``), ``\left``/``\right``/``\big``-sizes, ``&``.
* Pasted Unicode ``∂ δ − · × ∑`` reads as ``\partial \delta - \cdot \times \sum``.

Every error is a :class:`~symconv.errors.SpecError` whose message names the offending token and
its 1-based column, e.g. ``unknown symbol 'q' at column 12``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sympy

from .errors import SpecError
from .notation import LEAF_ROLES
from .size import claim_text_budget, expression_budget

if TYPE_CHECKING:  # pragma: no cover
    from .api import Model
    from .tensors import SymbolTable

MAX_SUM_TERMS = 20_000
"""Upper bound on the total number of terms all ``\\sum`` in one claim may expand to."""

_SKIP_COMMANDS = {
    "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl",
    "biggr", "Biggl", "Biggr", "quad", "qquad", "displaystyle", "textstyle", "middle",
}
_FUNCTIONS = {"sigma", "tanh", "exp", "log", "ln", "max"}
_FRACS = {"frac", "dfrac", "tfrac"}
_MULS = {"cdot", "times", "ast"}


# ----------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    """One lexical token: ``kind`` in {cmd, letter, num, op, end}; ``pos`` is the 1-based column."""

    kind: str
    text: str
    pos: int


_OPS = set("+-*/^_=()[]{},'<>|")
_DIGITS = set("0123456789")
_UNICODE = {  # pasted math: read as the LaTeX command it shows
    "∂": ("cmd", "partial"), "δ": ("cmd", "delta"), "−": ("op", "-"), "·": ("cmd", "cdot"),
    "×": ("cmd", "times"), "∑": ("cmd", "sum"), "Σ": ("cmd", "sum"),
}


def tokenize(text: str) -> list[Token]:
    """Split LaTeX into tokens; braces, parentheses and brackets must balance.

    Raises :class:`SpecError` (field ``claim``) for an unexpected character or an unbalanced
    delimiter, naming it and its column.
    """
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        col = i + 1
        if ch.isspace() or ch in "&~":
            i += 1
            continue
        if ch == "\\":
            m = re.compile(r"\\([A-Za-z]+)").match(text, i)
            if m:
                name = m.group(1)
                i = m.end()
                if name == "mathrm" or name == "operatorname" or name == "text":
                    m2 = re.compile(r"\s*\{((?:[^{}\\]|\\.)*)\}").match(text, i)
                    if not m2:
                        raise SpecError("claim", f"'\\{name}' at column {col} needs a braced name like \\{name}{{ReLU}}")
                    tokens.append(Token("cmd", "mathrm:" + m2.group(1), col))
                    i = m2.end()
                    continue
                if name in _SKIP_COMMANDS:
                    continue
                tokens.append(Token("cmd", name, col))
                continue
            if i + 1 < n and text[i + 1] in ",;:! ":
                i += 2
                continue
            if i + 1 < n and text[i + 1] in "{}":
                tokens.append(Token("op", "\\" + text[i + 1], col))
                i += 2
                continue
            raise SpecError("claim", f"unexpected '{text[i:i + 2]}' at column {col}")
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            m = re.compile(r"\d*\.?\d+|\d+").match(text, i)
            tokens.append(Token("num", m.group(0), col))
            i = m.end()
            continue
        if ch.isascii() and ch.isalpha():
            tokens.append(Token("letter", ch, col))
            i += 1
            continue
        if ch in _OPS:
            tokens.append(Token("op", ch, col))
            i += 1
            continue
        if ch in _UNICODE:
            kind, name = _UNICODE[ch]
            tokens.append(Token(kind, name, col))
            i += 1
            continue
        raise SpecError("claim", f"unexpected character {ch!r} at column {col}")
    _check_balance(tokens)
    tokens.append(Token("end", "", n + 1))
    return tokens


_PAIRS = {"{": "}", "(": ")", "[": "]", "\\{": "\\}"}
_CLOSERS = {v: k for k, v in _PAIRS.items()}


def _check_balance(tokens: list[Token]) -> None:
    stack: list[Token] = []
    for t in tokens:
        if t.kind != "op":
            continue
        if t.text in _PAIRS:
            stack.append(t)
        elif t.text in _CLOSERS:
            if not stack:
                raise SpecError("claim", f"unbalanced '{t.text}' at column {t.pos}: nothing to close")
            top = stack.pop()
            if _PAIRS[top.text] != t.text:
                raise SpecError(
                    "claim",
                    f"unbalanced '{t.text}' at column {t.pos}: it closes '{top.text}' from column {top.pos}",
                )
    if stack:
        t = stack[-1]
        raise SpecError("claim", f"unbalanced '{t.text}' at column {t.pos}: never closed")


# ----------------------------------------------------------------------------- the vocabulary


@dataclass
class Vocabulary:
    """The symbol vocabulary of a network, read from the LaTeX of its symbol table.

    ``keys[(head, mark, index)]`` is the symbol, where ``head`` is the letter (``"w"``,
    ``"\\delta"``, ``"mathrm:x\\_in"``), ``mark`` the layer mark as an int (None for letters
    without layers) and ``index`` the tuple of printed (document-base) indices.
    """

    keys: dict = field(default_factory=dict)
    marks: dict = field(default_factory=dict)  # head -> set of marks
    ranges: dict = field(default_factory=dict)  # (head, mark) -> list of (lo, hi) per position

    @classmethod
    def from_table(cls, table: "SymbolTable") -> "Vocabulary":
        voc = cls()
        for symbol, info in table.info.items():
            if info.role == "adjoint":  # written as \partial C/\partial o
                continue
            head, mark, index = _key_of_latex(info.latex)
            voc.keys[(head, mark, index)] = symbol
            voc.marks.setdefault(head, set()).add(mark)
            rng = voc.ranges.setdefault((head, mark), [[v, v] for v in index])
            for r, v in zip(rng, index):
                r[0], r[1] = min(r[0], v), max(r[1], v)
        return voc

    def needs_index(self, head: str) -> bool:
        return any(len(self.ranges[(head, m)]) > 0 for m in self.marks.get(head, ()))

    def takes_mark(self, head: str) -> bool:
        return any(m is not None for m in self.marks.get(head, ()))


def _head_text(tok: Token) -> str:
    return tok.text if tok.kind == "letter" or tok.text.startswith("mathrm:") else "\\" + tok.text


def _show_head(head: str) -> str:
    return "\\mathrm{" + head[7:] + "}" if head.startswith("mathrm:") else head


def _key_of_latex(latex: str) -> tuple:
    """``w^{1}_{1}`` → ``("w", 1, (1,))``; ``x^{(0)}_{1,2,3}`` → ``("x", 0, (1, 2, 3))``."""
    toks = tokenize(latex)
    head = _head_text(toks[0])
    mark, index = None, ()
    k = 1
    while toks[k].kind != "end":
        script = toks[k].text
        body, k = _raw_group(toks, k + 1)
        if script == "^":
            mark = int(body.strip("()"))
        else:
            index = tuple(int(v) for v in body.split(","))
    return head, mark, index


def _raw_group(toks: list[Token], k: int) -> tuple[str, int]:
    if toks[k].text != "{":
        return toks[k].text, k + 1
    depth, parts = 0, []
    while True:
        t = toks[k]
        if t.text == "{":
            depth += 1
            if depth > 1:
                parts.append(t.text)
        elif t.text == "}":
            depth -= 1
            if depth == 0:
                return "".join(parts), k + 1
            parts.append(t.text)
        else:
            parts.append(t.text)
        k += 1


# ----------------------------------------------------------------------------- AST


@dataclass(frozen=True)
class Node:
    op: str  # num, sym, var, add, mul, div, pow, neg, sum, grad, func
    pos: int
    args: tuple = ()
    value: object = None


@dataclass(frozen=True)
class Side:
    """One side of a claim: its source ``text`` and ``expr`` in table symbols (δ kept as symbols)."""

    text: str
    expr: sympy.Expr


@dataclass(frozen=True)
class Claim:
    """A parsed claim.

    ``wrt`` is the symbol whose gradient the first side names (for ``\\delta^l_k``: the
    pre-activation, or output, that δ is the gradient of); ``lhs`` the first side and ``rhs`` the
    later ones, each claimed equal to ∂C/∂wrt.
    """

    text: str
    wrt: sympy.Symbol
    lhs: Side
    rhs: tuple[Side, ...]


# ----------------------------------------------------------------------------- parser


class _Parser:
    def __init__(self, text: str, voc: Vocabulary):
        self.text = text
        self.toks = tokenize(text)
        self.k = 0
        self.voc = voc

    # token helpers
    @property
    def tok(self) -> Token:
        return self.toks[self.k]

    def at(self, text: str) -> bool:
        t = self.tok
        return (t.kind == "op" and t.text == text) or (t.kind == "cmd" and "\\" + t.text == text)

    def take(self) -> Token:
        t = self.tok
        self.k += 1
        return t

    def expect(self, text: str, what: str) -> Token:
        if not self.at(text):
            raise self.error(f"expected '{text}' {what}")
        return self.take()

    def error(self, message: str, tok: Token | None = None) -> SpecError:
        t = tok or self.tok
        shown = "end of claim" if t.kind == "end" else f"'{_display(t)}'"
        return SpecError("claim", f"{message}, found {shown} at column {t.pos}")

    # grammar
    def sides(self) -> list[tuple[Node, str]]:
        out = []
        start = 1
        while True:
            node = self.side()
            out.append((node, self.text[start - 1:self.tok.pos - 1].strip()))
            if self.at("="):
                start = self.take().pos + 1
                continue
            if self.tok.kind != "end":
                raise self.error("expected an operator or '='")
            return out

    def side(self) -> Node:
        left = self.term()
        while self.at("+") or self.at("-"):
            t = self.take()
            right = self.term()
            left = Node("add", t.pos, (left, right if t.text == "+" else Node("neg", t.pos, (right,))))
        return left

    def starts_primary(self) -> bool:
        t = self.tok
        if t.kind in ("num", "letter"):
            return True
        if t.kind == "op":
            return t.text in ("(", "[", "{", "\\{")
        if t.kind == "cmd":
            return t.text not in _MULS
        return False

    def term(self) -> Node:
        left = self.unary()
        while True:
            t = self.tok
            if t.kind == "op" and t.text in "*/" or (t.kind == "cmd" and t.text in _MULS):
                self.take()
                right = self.unary()
                left = Node("div" if t.text == "/" else "mul", t.pos, (left, right))
            elif self.starts_primary():
                right = self.unary(implicit=True)
                left = Node("mul", t.pos, (left, right))
            else:
                return left

    def unary(self, implicit: bool = False) -> Node:
        if not implicit and (self.at("-") or self.at("+")):
            t = self.take()
            inner = self.unary()
            return Node("neg", t.pos, (inner,)) if t.text == "-" else inner
        return self.power()

    def power(self) -> Node:
        base, can_power = self.primary()
        if self.at("^"):
            t = self.take()
            if not can_power:
                raise self.error("a second superscript needs parentheses, e.g. (w_1^1)^2", t)
            exponent = self.script_body("exponent")
            base = Node("pow", t.pos, (base, exponent))
        return base

    def script_body(self, what: str) -> Node:
        """A braced group parsed as a side, or a single token (one digit or letter)."""
        t = self.tok
        if self.at("{"):
            self.take()
            if self.at("}"):
                raise self.error(f"empty {what}")
            node = self.side()
            self.expect("}", f"to close the {what}")
            return node
        if t.kind == "num":
            if len(t.text) > 1:
                raise SpecError(
                    "claim", f"ambiguous {what} '{t.text}' at column {t.pos}: write it in braces, {{{t.text}}}"
                )
            self.take()
            return Node("num", t.pos, value=t.text)
        if t.kind == "letter":
            self.take()
            return Node("var", t.pos, value=t.text)
        if self.at("-") and self.toks[self.k + 1].kind == "num":
            self.take()
            inner = self.script_body(what)
            return Node("neg", t.pos, (inner,))
        raise self.error(f"expected a {what}")

    def primary(self) -> tuple[Node, bool]:
        """A primary and whether a following '^' is a power."""
        t = self.tok
        if t.kind == "num":
            self.take()
            return Node("num", t.pos, value=t.text), True
        if t.kind == "op" and t.text in ("(", "[", "{", "\\{"):
            self.take()
            if self.tok.kind == "op" and self.tok.text == _PAIRS[t.text]:
                raise self.error(f"empty group '{t.text}{_PAIRS[t.text]}'")
            node = self.side()
            self.expect(_PAIRS[t.text], f"to close '{t.text}' from column {t.pos}")
            return node, True
        if t.kind == "cmd":
            name = t.text
            if name in _FRACS:
                return self.frac(), True
            if name == "partial":
                return self.partial_slash(), True
            if name == "sum":
                return self.summation(), False
            if _head_text(t) in self.voc.marks:
                return self.symbol()
            if name in _FUNCTIONS:
                return self.function(), True
            raise SpecError("claim", f"unknown symbol '{_display(t)}' at column {t.pos}")
        if t.kind == "letter":
            if t.text == "f" and "f" not in self.voc.marks:
                return self.function(), True
            if t.text not in self.voc.marks:  # a summation variable, or an unknown letter
                nxt = self.toks[self.k + 1]
                if nxt.kind == "op" and nxt.text in "_^":
                    raise SpecError("claim", f"unknown symbol '{t.text}' at column {t.pos}")
                self.take()
                return Node("var", t.pos, value=t.text), True
            return self.symbol()
        raise self.error("expected a number, symbol or '('")

    def function(self) -> Node:
        t = self.take()
        name = t.text
        if self.at("'"):
            self.take()
            name += "'"
        if name == "max":
            self.expect("(", "after \\max")
            args = [self.side()]
            while self.at(","):
                self.take()
                args.append(self.side())
            self.expect(")", "to close \\max(")
            return Node("func", t.pos, tuple(args), value=name)
        if self.at("(") or self.at("[") or self.at("{") or self.at("\\{"):
            arg, _ = self.primary()
        else:
            raise self.error(f"expected '(' after {name}")
        return Node("func", t.pos, (arg,), value=name)

    def symbol(self) -> tuple[Node, bool]:
        t = self.take()
        head = _head_text(t)
        if head not in self.voc.marks:
            raise SpecError("claim", f"unknown symbol '{_display(t)}' at column {t.pos}")
        takes_mark = self.voc.takes_mark(head)
        sub = sup = None
        for _ in range(2):
            if self.at("_") and sub is None:
                s = self.take()
                sub = (self.index_list(), s.pos)
            elif self.at("^") and sup is None and takes_mark:
                s = self.take()
                sup = (self.script_body("layer mark"), s.pos)
        if sub is None and self.voc.needs_index(head):
            raise SpecError(
                "claim", f"'{_show_head(head)}' at column {t.pos} needs a subscript index, e.g. {_show_head(head)}_1"
            )
        if takes_mark and sup is None:
            raise SpecError(
                "claim",
                f"'{_show_head(head)}' at column {t.pos} needs a layer mark, e.g. {_show_head(head)}_1^1",
            )
        return Node("sym", t.pos, (sup, sub), value=head), (sup is not None or not takes_mark)

    def index_list(self) -> list[Node]:
        """A subscript: one token, or a braced comma-separated list of index expressions."""
        t = self.tok
        if self.at("{"):
            self.take()
            items = [self.side()]
            while self.at(","):
                self.take()
                items.append(self.side())
            self.expect("}", "to close the subscript")
            return items
        if t.kind == "num" and len(t.text) > 1:
            raise SpecError(
                "claim", f"ambiguous subscript '_{t.text}' at column {t.pos}: write it in braces, _{{{t.text}}}"
            )
        return [self.script_body("subscript")]

    def frac(self) -> Node:
        t = self.take()
        if self.at("{") and self.toks[self.k + 1].kind == "cmd" and self.toks[self.k + 1].text == "partial":
            self.take()
            self.take()
            num = self.partial_operand()
            self.expect("}", "to close the numerator of \\frac")
            self.expect("{", "to open the denominator of \\frac")
            self.expect("\\partial", "in the denominator of a derivative")
            den = self.partial_operand()
            self.expect("}", "to close the denominator of \\frac")
            return Node("grad", t.pos, (num, den))
        num = self.frac_arg("numerator")
        den = self.frac_arg("denominator")
        return Node("div", t.pos, (num, den))

    def frac_arg(self, what: str) -> Node:
        """A \\frac argument: a braced group or one character (``\\frac12`` is 1/2)."""
        t = self.tok
        if t.kind == "num" and len(t.text) > 1 and t.text.isdigit():
            self.toks[self.k] = Token("num", t.text[1:], t.pos + 1)
            return Node("num", t.pos, value=t.text[0])
        return self.script_body(f"{what} of \\frac")

    def partial_operand(self) -> Node:
        tok = self.tok
        if tok.kind not in ("letter", "cmd") or (tok.kind == "cmd" and tok.text in _FUNCTIONS | _FRACS | {"sum", "partial"}):
            raise self.error("expected a symbol after \\partial")
        node, _ = self.symbol()
        return node

    def partial_slash(self) -> Node:
        t = self.take()
        num = self.partial_operand()
        self.expect("/", "between \\partial C and \\partial x")
        self.expect("\\partial", "in the denominator of a derivative")
        den = self.partial_operand()
        return Node("grad", t.pos, (num, den))

    def summation(self) -> Node:
        t = self.take()
        lower = upper = None
        for _ in range(2):
            if self.at("_") and lower is None:
                self.take()
                self.expect("{", "after \\sum_ (write \\sum_{k=1}^{4})")
                var = self.tok
                if var.kind != "letter":
                    raise self.error("expected a summation variable such as k")
                self.take()
                self.expect("=", "after the summation variable (write \\sum_{k=1}^{4})")
                lo = self.side()
                self.expect("}", "to close the lower bound of \\sum")
                lower = (var.text, lo)
            elif self.at("^") and upper is None:
                self.take()
                upper = self.script_body("upper bound of \\sum")
        if lower is None or upper is None:
            raise SpecError("claim", f"'\\sum' at column {t.pos} needs a stated range, e.g. \\sum_{{k=1}}^{{4}}")
        if not self.starts_primary() and not (self.at("-") or self.at("+")):
            raise self.error("expected the body of \\sum")
        body = self.term()
        return Node("sum", t.pos, (lower[1], upper, body), value=lower[0])


def _display(t: Token) -> str:
    if t.kind == "cmd":
        return "\\mathrm{" + t.text[7:] + "}" if t.text.startswith("mathrm:") else "\\" + t.text
    return t.text


# ----------------------------------------------------------------------------- evaluation


class _Evaluator:
    def __init__(self, model: "Model", voc: Vocabulary):
        self.model = model
        self.voc = voc
        self.env: dict[str, int] = {}
        self.budget = MAX_SUM_TERMS

    def int_of(self, node: Node, what: str) -> int:
        value = self.eval(node)
        if not (value.is_Integer):
            raise SpecError("claim", f"{what} at column {node.pos} must be an integer, got {value}")
        return int(value)

    def resolve(self, node: Node) -> sympy.Symbol:
        head = node.value
        sup, sub = node.args
        mark = self.int_of(sup[0], "layer mark") if sup is not None else None
        index = tuple(self.int_of(n, "index") for n in sub[0]) if sub is not None else ()
        shown = _show_head(head)
        if mark not in self.voc.marks[head]:
            layers = sorted(m for m in self.voc.marks[head] if m is not None)
            raise SpecError(
                "claim",
                f"layer {mark} does not exist for '{shown}' at column {sup[1]}: "
                f"this network has {shown} in layers {', '.join(map(str, layers))}",
            )
        symbol = self.voc.keys.get((head, mark, index))
        if symbol is None:
            rng = self.voc.ranges[(head, mark)]
            where = sub[1] if sub is not None else node.pos
            name = shown if mark is None else f"{shown}^{{{mark}}}"
            if len(index) != len(rng):
                raise SpecError(
                    "claim",
                    f"'{name}' at column {node.pos} takes {len(rng)} index(es), got {len(index)}",
                )
            limits = ", ".join(f"{lo}..{hi}" for lo, hi in rng)
            got = ",".join(map(str, index))
            raise SpecError(
                "claim", f"index {got} out of range for '{name}' at column {where}: valid {limits}"
            )
        return symbol

    def eval(self, node: Node) -> sympy.Expr:
        op = node.op
        if op == "num":
            return sympy.Rational(node.value)
        if op == "var":
            if node.value in self.env:
                return sympy.Integer(self.env[node.value])
            if node.value in self.voc.marks:  # a bare letter of the table, e.g. the cost C
                return self.resolve(Node("sym", node.pos, (None, None), value=node.value))
            raise SpecError("claim", f"unknown symbol '{node.value}' at column {node.pos}")
        if op == "sym":
            return self.resolve(node)
        if op == "add":
            return sympy.Add(*_flatten(self, node, "add"))
        if op == "mul":
            return sympy.Mul(*_flatten(self, node, "mul"))
        if op == "neg":
            return -self.eval(node.args[0])
        if op == "div":
            num, den = self.eval(node.args[0]), self.eval(node.args[1])
            if den == 0:
                raise SpecError("claim", f"division by zero at column {node.pos}")
            return num / den
        if op == "pow":
            base, exponent = self.eval(node.args[0]), self.eval(node.args[1])
            if base == 0 and (exponent.is_negative or exponent == 0):
                raise SpecError("claim", f"0 to a non-positive power at column {node.pos}")
            if exponent.is_Integer and abs(int(exponent)) > 64:
                raise SpecError("claim", f"exponent {exponent} at column {node.pos} is too large (at most 64)")
            return base ** exponent
        if op == "sum":
            lo_node, hi_node, body = node.args
            lo, hi = self.int_of(lo_node, "lower bound"), self.int_of(hi_node, "upper bound")
            var = node.value
            if var in self.env:
                raise SpecError("claim", f"summation variable '{var}' at column {node.pos} is already in use")
            count = max(0, hi - lo + 1)
            self.budget -= count
            if self.budget < 0:
                raise SpecError("claim", f"'\\sum' at column {node.pos} expands to too many terms (at most {MAX_SUM_TERMS})")
            items = []
            for v in range(lo, hi + 1):
                self.env[var] = v
                try:
                    items.append(self.eval(body))
                finally:
                    del self.env[var]
            return sympy.Add(*items)
        if op == "grad":
            return self.gradient(node)
        if op == "func":
            return self.function(node)
        raise AssertionError(op)  # pragma: no cover

    def gradient(self, node: Node) -> sympy.Expr:
        num, den = (self.resolve(n) for n in node.args)
        model = self.model
        x = _gradient_target(model, den)
        if num == model.network.cost:
            return model.gradients.named(x)
        table = model.network.table
        if table.info[den].role not in LEAF_ROLES:
            raise SpecError(
                "claim",
                f"'\\partial {table.info[num].latex}/\\partial {table.info[den].latex}' at column {node.pos}: "
                "∂u/∂v is understood for u = the cost, or v an input, weight, bias or target",
            )
        return sympy.diff(to_leaf(model, num), den)

    def function(self, node: Node) -> sympy.Expr:
        from .activations import f, fprime

        args = [self.eval(a) for a in node.args]
        name = node.value
        table = {
            "f": f, "f'": fprime, "sigma": lambda z: 1 / (1 + sympy.exp(-z)), "tanh": sympy.tanh,
            "exp": sympy.exp, "log": sympy.log, "ln": sympy.log,
        }
        if name == "max":
            return sympy.Max(*args)
        if name not in table:
            raise SpecError("claim", f"unknown function '{name}' at column {node.pos}")
        return table[name](args[0])


def _flatten(ev: _Evaluator, node: Node, op: str) -> list:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if n.op == op:
            stack.extend(reversed(n.args))
        else:
            out.append(ev.eval(n))
    return out


def _gradient_target(model: "Model", symbol: sympy.Symbol) -> sympy.Symbol:
    """The symbol whose ∂C/∂· a symbol names: a δ (or adjoint) maps to its target, others to itself."""
    target = model.gradients.upstream_symbols().get(symbol)
    return target if target is not None else symbol


def to_leaf(model: "Model", expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with δ/adjoint symbols and intermediates (o, z) replaced by their definitions."""
    expr = sympy.sympify(expr, strict=True)
    ups = model.gradients.upstream_symbols()
    subs = {s: model.gradients.named(s) for s in expr.free_symbols if s in ups}
    if subs:
        expr = expr.xreplace(subs)
    return model.forward.leaf(expr)


def vocabulary(model: "Model") -> Vocabulary:
    """The (cached) :class:`Vocabulary` of a model's symbol table."""
    voc = getattr(model, "_claims_vocabulary", None)
    if voc is None:
        voc = Vocabulary.from_table(model.network.table)
        model._claims_vocabulary = voc
    return voc


def parse_expression(model: "Model", text: str) -> sympy.Expr:
    """Parse one side (no ``=``) into a sympy expression in the model's symbols."""
    if not text or not text.strip():
        raise SpecError("claim", "empty expression; write e.g. 2(o_1^2 - y_1)")
    claim_text_budget(text)
    parser = _Parser(text, vocabulary(model))
    nodes = parser.sides()
    if len(nodes) != 1:
        raise SpecError("claim", "an expression has no '='; give one side only")
    expr = _Evaluator(model, parser.voc).eval(nodes[0][0])
    expression_budget(expr)
    return expr


def parse_claim(model: "Model", text: str) -> Claim:
    """Parse ``LHS = RHS (= RHS ...)`` against ``model``'s notation.

    The LHS must be ``∂C/∂x`` (either spelling) or a δ symbol. Raises :class:`SpecError`
    (field ``claim``) naming the token and its 1-based column for every malformed claim.
    """
    if not text or not text.strip():
        raise SpecError("claim", "empty claim; write e.g. \\frac{\\partial C}{\\partial w_1^1} = ...")
    claim_text_budget(text)
    parser = _Parser(text, vocabulary(model))
    nodes = parser.sides()
    if len(nodes) < 2:
        raise SpecError(
            "claim",
            "no '=' in the claim; write it as \\frac{\\partial C}{\\partial x} = your expression",
        )
    ev = _Evaluator(model, parser.voc)
    lhs_node = nodes[0][0]
    if lhs_node.op == "grad":
        num, den = (ev.resolve(n) for n in lhs_node.args)
        if num != model.network.cost:
            raise SpecError(
                "claim",
                f"the left side at column {lhs_node.pos} must be the gradient of the cost, \\partial C/\\partial x",
            )
        target = model.gradients.upstream_symbols().get(den)
        if target is not None:  # ∂C/∂δ: δ is itself a gradient
            info = model.network.table.info
            delta, of = info[den].latex, info[target].latex
            raise SpecError(
                "claim",
                f"the left side at column {lhs_node.pos} differentiates by {delta}, which is itself the "
                f"gradient \\partial C/\\partial {of}; write {delta} = ... or \\partial C/\\partial {of} = ...",
            )
        wrt = _gradient_target(model, den)
    elif lhs_node.op == "sym" and ev.resolve(lhs_node) in model.gradients.upstream_symbols():
        wrt = _gradient_target(model, ev.resolve(lhs_node))
    else:
        raise SpecError(
            "claim",
            f"the left side at column {lhs_node.pos} must be \\frac{{\\partial C}}{{\\partial x}} or a \\delta symbol",
        )
    if wrt not in model.gradients.by_wrt:
        role = model.network.table.info[wrt].role
        what = "the cost itself" if role == "cost" else f"a {role}, which symconv does not differentiate by"
        raise SpecError("claim", f"the left side at column {lhs_node.pos} is {what}; name an input, weight, "
                                 "bias or intermediate x in \\partial C/\\partial x")
    lhs = Side(nodes[0][1], ev.eval(lhs_node))
    rhs = tuple(Side(src, ev.eval(node)) for node, src in nodes[1:])
    for side in rhs:
        expression_budget(side.expr)
    return Claim(text, wrt, lhs, rhs)
