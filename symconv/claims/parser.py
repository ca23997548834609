"""The claim parser: tokens to an AST of :class:`Node` s (recursive descent; grammar in
:mod:`symconv.claims`)."""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..errors import SpecError
from .lexer import _FRACS, _FUNCTIONS, _MULS, _PAIRS, Token, TokenCursor, _display
from .vocabulary import Vocabulary, _head_text, _show_head


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
    later ones, each claimed equal to ∂C/∂wrt. ``notes``: how implicit parts were read (the
    range of a ``\\sum_k``), stated in the verdict.
    """

    text: str
    wrt: sympy.Symbol
    lhs: Side
    rhs: tuple[Side, ...]
    notes: tuple[str, ...] = ()


# ----------------------------------------------------------------------------- parser


class _Parser(TokenCursor):
    def __init__(self, text: str, voc: Vocabulary):
        super().__init__(text, voc.names)
        self.voc = voc

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
        if t.kind in ("num", "letter", "name"):
            return True
        if t.kind == "op":
            return t.text in ("(", "[", "{", "\\{")
        if t.kind == "cmd":
            return t.text not in _MULS and t.text not in ("to", "rfloor", "rceil", "le", "ge", "leq", "geq", "neq")
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
                    "claim", f"ambiguous {what} '{t.text}' at column {t.pos}: it reads as {{{t.text}}} or as "
                             f"{{{t.text[0]}}} followed by {t.text[1:]}; write it in braces, {{{t.text}}}"
                )
            self.take()
            return Node("num", t.pos, value=t.text)
        if t.kind == "letter":
            self.take()
            return Node("var", t.pos, value=t.text)
        if self.at("("):  # x**(-1) in the plain-text form
            self.take()
            node = self.side()
            self.expect(")", f"to close the {what}")
            return node
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
        if t.kind == "name":
            self.take()
            return Node("name", t.pos, value=t.text), True
        if t.kind == "cmd" and t.text.startswith("fn:"):
            return self.function(), True
        if t.kind == "cmd" and t.text == "mathrm:route":
            return self.route(), True
        if t.kind == "cmd":
            name = t.text
            if name in _FRACS:
                return self.frac(), True
            if name == "partial":
                return self.partial_slash(), True
            if name == "sum":
                return self.summation(), False
            if name in ("lfloor", "lceil"):
                self.take()
                inner = self.side()
                close = "\\rfloor" if name == "lfloor" else "\\rceil"
                self.expect(close, f"to close '\\{name}' from column {t.pos}")
                return Node("floor" if name == "lfloor" else "ceil", t.pos, (inner,)), True
            nxt = self.toks[self.k + 1]
            if _head_text(t) in self.voc.marks and not (name in _FUNCTIONS and nxt.kind == "op" and nxt.text == "("):
                return self.symbol()  # \sigma^{2}_{1} (batch norm's σ) is a symbol, \sigma(z) the sigmoid
            if name in _FUNCTIONS:
                return self.function(), True
            raise SpecError("claim", f"unknown symbol '{_display(t)}' at column {t.pos}")
        if t.kind == "letter":
            nxt = self.toks[self.k + 1]
            if t.text == "f" and "f" not in self.voc.marks:
                return self.function(), True
            if t.text == "H" and nxt.kind == "op" and nxt.text == "(" and "H" not in self.voc.marks:
                return self.function(), True
            if t.text == "e" and nxt.kind == "op" and nxt.text == "^":
                if "e" in self.voc.marks and not self.voc.needs_index("e"):
                    raise SpecError(
                        "claim", f"ambiguous 'e^' at column {t.pos}: it reads as the exponential \\exp(...) or as "
                                 "the symbol e of this network to a power; write \\exp(...) or (e)^{...}")
                if "e" not in self.voc.marks:
                    self.take()
                    caret = self.take()
                    exponent = self.script_body("exponent")
                    return Node("func", caret.pos, (exponent,), value="exp"), True
            if t.text not in self.voc.marks:  # a summation variable, or an unknown letter
                nxt = self.toks[self.k + 1]
                if nxt.kind == "op" and nxt.text in "_^":
                    raise SpecError("claim", f"unknown symbol '{t.text}' at column {t.pos}")
                self.take()
                return Node("var", t.pos, value=t.text), True
            return self.symbol()
        raise self.error("expected a number, symbol or '('")

    def function(self) -> Node:
        """``name(args)``: one argument, or a comma list in parentheses (``\\max(a, b)``,
        ``Heaviside(z, 0)``, ``MaxRoute(j, rule, v...)``); ``f'`` and ``H`` as printed."""
        t = self.take()
        name = t.text.removeprefix("fn:")
        if self.at("'"):
            self.take()
            name += "'"
        if self.at("^") and name not in ("f", "f'", "H"):  # \tanh^{2}(z), as sympy prints (tanh z)^2
            caret = self.take()
            exponent = self.script_body("exponent")
            return Node("pow", caret.pos, (self.function_after(t, name), exponent))
        return self.function_after(t, name)

    def function_after(self, t: Token, name: str) -> Node:
        """The argument(s) of function ``name`` (its token ``t`` already taken)."""
        if self.at("{") and self.toks[self.k + 1].kind == "op" and self.toks[self.k + 1].text == "(":
            # sympy prints \\tanh{\\left(z \\right)}: a braced parenthesised argument
            self.take()
            node = self.function_args(name, t)
            self.expect("}", f"to close the argument of {name}")
            return node
        if self.at("("):
            return self.function_args(name, t)
        if self.at("[") or self.at("{") or self.at("\\{"):
            arg, _ = self.primary()
        elif name not in ("max", "H", "MaxRoute") and self.starts_primary():
            arg = self.power()  # \\exp x, \\log 2
        else:
            raise self.error(f"expected '(' after {name}")
        return Node("func", t.pos, (arg,), value=name)

    def function_args(self, name: str, t: Token) -> Node:
        self.expect("(", f"after {name}")
        args = [self.side()]
        while self.at(","):
            self.take()
            args.append(self.side())
        self.expect(")", f"to close {name}(")
        return Node("func", t.pos, tuple(args), value=name)

    def route(self) -> Node:
        r"""``\mathrm{route}_{\max}(x \to o)`` (optionally ``^{\mathrm{split}}``): the share of
        ∂C/∂o that max pooling routes to ``x``; or ``(x; v_1, ..., v_n)`` with the whole window."""
        t = self.take()
        split = False
        for _ in range(2):
            if self.at("_"):
                self.take()
                braced = self.at("{")
                if braced:
                    self.take()
                self.expect("\\max", "in \\mathrm{route}_{\\max}")
                if braced:
                    self.expect("}", "to close the subscript of route")
            elif self.at("^"):
                self.take()
                braced = self.at("{")
                if braced:
                    self.take()
                if self.tok.kind != "cmd" or self.tok.text != "mathrm:split":
                    raise self.error("expected \\mathrm{split} (the tie rule) in the superscript of route")
                self.take()
                split = True
                if braced:
                    self.expect("}", "to close the superscript of route")
        self.expect("(", "after \\mathrm{route}_{\\max}")
        x = self.side()
        if self.at("\\to"):
            self.take()
            out = self.side()
            self.expect(")", "to close route(x \\to o)")
            return Node("route", t.pos, (x, out), value=("to", split))
        self.expect(";", "or '\\to' in route(x \\to o)")
        window = [self.side()]
        while self.at(","):
            self.take()
            window.append(self.side())
        self.expect(")", "to close route(x; window)")
        return Node("route", t.pos, (x, *window), value=("window", split))

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
        if sub is None and self.voc.needs_index(head) and not any(
                self.voc.single(head, m) is not None for m in self.voc.marks[head]):
            raise SpecError(
                "claim", f"'{_show_head(head)}' at column {t.pos} needs a subscript index, e.g. {_show_head(head)}_1"
                + ("^1" if takes_mark else "") + " (only a one-element tensor may leave it off)"
            )
        if takes_mark and sup is None:
            marks = self.voc.layer_marks(head)
            if len(marks) > 1:  # ambiguous: name the readings
                shown = _show_head(head)
                readings = " or ".join(f"{shown}^{{{m}}}" for m in marks)
                raise SpecError(
                    "claim", f"'{shown}' at column {t.pos} needs a layer mark: this network has {shown} in layers "
                             f"{', '.join(map(str, marks))} ({readings}); write e.g. {shown}_1^{marks[0]}",
                )
            # one layer has this letter: the mark is implied (the evaluator reads it and notes it)
        return Node("sym", t.pos, (sup, sub), value=head), True

    def index_list(self) -> list[Node]:
        """A subscript: one token, or a braced comma-separated list of index expressions."""
        items = self.braced_list(self.side)
        if items is not None:
            return items
        t = self.tok
        if t.kind == "num" and len(t.text) > 1:
            raise SpecError(
                "claim", f"ambiguous subscript '_{t.text}' at column {t.pos}: it reads as _{{{t.text}}} or as "
                         f"_{{{t.text[0]}}} times {t.text[1:]}; write it in braces, _{{{t.text}}}"
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
        if tok.kind == "name":
            self.take()
            return Node("name", tok.pos, value=tok.text)
        if tok.kind not in ("letter", "cmd") or (tok.kind == "cmd" and tok.text in _FUNCTIONS | _FRACS | {"sum", "partial"}
                                                  and _head_text(tok) not in self.voc.marks):  # \sigma: batch norm's σ
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
        r"""``\sum_{k=a}^{b} body``, or ``\sum_k body`` / ``\sum_{k} body`` with the range left
        implicit: every k for which the indexed symbols of the body exist (the evaluator finds
        it and the verdict states it)."""
        t = self.take()
        lower = upper = None
        var = None
        for _ in range(2):
            if self.at("_") and var is None:
                self.take()
                braced = self.at("{")
                if braced:
                    self.take()
                v = self.tok
                if v.kind != "letter":
                    raise self.error("expected a summation variable such as k")
                self.take()
                var = v.text
                if braced and self.at("="):
                    self.take()
                    lower = self.side()
                    self.expect("}", "to close the lower bound of \\sum")
                elif braced:
                    self.expect("}", "to close the summation variable (write \\sum_{k} or \\sum_{k=1}^{4})")
            elif self.at("^") and upper is None:
                self.take()
                upper = self.script_body("upper bound of \\sum")
        if var is None:
            raise SpecError("claim", f"'\\sum' at column {t.pos} needs a summation variable, e.g. \\sum_k or \\sum_{{k=1}}^{{4}}")
        if (lower is None) != (upper is None):
            raise SpecError("claim", f"'\\sum' at column {t.pos} states only one bound; give both, e.g. "
                                     "\\sum_{k=1}^{4}, or neither, \\sum_k (every k for which the symbols exist)")
        if not self.starts_primary() and not (self.at("-") or self.at("+")):
            raise self.error("expected the body of \\sum")
        body = self.term()
        return Node("sum", t.pos, (lower, upper, body), value=var)
