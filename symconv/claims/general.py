r"""The reader of *general* claims: index formulas in symbolic sizes and free indices, such as

    \frac{\partial L}{\partial X_{u,v}} = \sum_{i=1}^{H_{out}} \sum_{m=1}^{k_h} [(i-1)s + 1 + (m-1)d - p = u] \delta_{i,j} K_{m,n}

Grammar (tokens of :mod:`symconv.claims.lexer`)::

    claim  := lhs '=' expr
    lhs    := '\partial' L '/' '\partial' X '_' indices | '\frac{\partial' L '}{\partial' X '_' indices '}'
    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/' | '\cdot' | '\times' | <implicit>) unary)*
    unary  := ('-' | '+') unary | factor
    factor := number | letter | size | tensor | '(' expr ')' | '{' expr '}' | '[' expr rel expr ']'
            | '\lfloor' expr '\rfloor' | '\lceil' expr '\rceil' | '\frac' '{' expr '}' '{' expr '}'
            | ('\max' | '\min') '(' expr (',' expr)* ')' | '\sum' ('_{' var ('=' expr)? '}' | '_' var)
              ('^{' expr '}' | '^' factor)? term
    size   := letter '_{out}' | letter '_\mathrm{out}' | 'k_h' | 'k_w' | 'k_{h}' | 'k_{w}'
    tensor := ('\delta' | letter) '_' (letter | digit | '{' expr (',' expr)* '}')
    rel    := '=' | '<' | '>' | '\le' | '\leq' | '\ge' | '\geq' | '\ne' | '\neq' | '\mid'

What the letters mean (which is the input, the kernel, a size) is decided by
:func:`symconv.check.general.read_general`; this module only parses.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import SpecError
from .lexer import TokenCursor

__all__ = ["GNode", "GeneralParser"]


@dataclass(frozen=True)
class GNode:
    """A node of a parsed general claim: ``op`` (``num``, ``var``, ``add``, ``sub``, ``neg``,
    ``mul``, ``div``, ``floor``, ``ceil``, ``max``, ``min``, ``iverson``, ``tensor``, ``sum``),
    its 1-based column ``pos``, child nodes ``args`` and ``value`` (a number, a letter, a relation,
    a tensor or summation-variable name)."""

    op: str
    pos: int
    args: tuple = ()
    value: object = None


_RELATIONS = {"=": "eq", "le": "le", "leq": "le", "<": "lt", "ge": "ge", "geq": "ge", ">": "gt",
              "ne": "ne", "neq": "ne", "mid": "mid"}


class GeneralParser(TokenCursor):
    """The recursive-descent parser of a general claim (grammar: the module docstring); each
    method reads one production and returns :class:`GNode` s; errors are one-line
    :class:`~symconv.errors.SpecError` s (field ``claim``) naming the token and its column."""

    # claim := lhs '=' expr
    def claim(self):
        lhs = self.lhs()
        self.expect("=", "after the left side")
        rhs = self.expr()
        if self.tok.kind != "end":
            raise self.error("expected an operator or the end of the claim")
        return lhs, rhs

    def lhs(self):
        """``\\partial L/\\partial X_{q}`` or ``\\frac{\\partial L}{\\partial X_{q}}``."""
        frac = self.at("\\frac") or self.at("\\dfrac")
        if frac:
            self.take()
            self.expect("{", "to open the numerator of \\frac")
        self.expect("\\partial", "to begin the left side, \\partial L/\\partial X_p")
        cost = self.take()
        if cost.kind != "letter":
            raise SpecError("claim", f"expected the cost letter after \\partial at column {cost.pos}")
        if frac:
            self.expect("}", "to close the numerator of \\frac")
            self.expect("{", "to open the denominator of \\frac")
        else:
            self.expect("/", "between \\partial L and \\partial X")
        self.expect("\\partial", "in the denominator, \\partial X_p")
        name, indices = self.tensor_head()
        if frac:
            self.expect("}", "to close the denominator of \\frac")
        idx = []
        for node in indices:
            if node.op != "var":
                raise SpecError("claim", f"the index of {name} at column {node.pos} on the left side must be "
                                         "one letter (the free index), e.g. X_p or X_{p,q}")
            idx.append(node.value)
        if len(set(idx)) != len(idx):
            raise SpecError("claim", f"the free indices of {name} on the left side must differ")
        return cost.text, name, tuple(idx)

    def tensor_head(self):
        t = self.take()
        if t.kind == "letter":
            name = t.text
        elif t.kind == "cmd" and t.text == "delta":
            name = "\\" + t.text
        else:
            raise SpecError("claim", f"expected a tensor letter at column {t.pos}")
        if not self.at("_"):
            raise SpecError("claim", f"'{name}' at column {t.pos} needs its index, e.g. {name}_i")
        self.take()
        return name, self.index_list()

    def index_list(self):
        items = self.braced_list(self.expr)
        if items is not None:
            return items
        t = self.take()
        if t.kind == "letter":
            return [GNode("var", t.pos, value=t.text)]
        if t.kind == "num" and len(t.text) == 1:
            return [GNode("num", t.pos, value=Fraction(t.text))]
        raise SpecError("claim", f"expected an index at column {t.pos}; write several characters in braces, _{{i+1}}")

    def expr(self) -> GNode:
        left = self.term()
        while self.at("+") or self.at("-"):
            t = self.take()
            right = self.term()
            left = GNode("add" if t.text == "+" else "sub", t.pos, (left, right))
        return left

    def starts_factor(self) -> bool:
        t = self.tok
        if t.kind in ("num", "letter"):
            return True
        if t.kind == "op":
            return t.text in ("(", "{", "[")
        if t.kind == "cmd":
            return t.text in ("lfloor", "lceil", "sum", "max", "min", "delta", "frac", "dfrac", "Delta") or \
                t.text.startswith("mathrm:") or t.text in ("left",)
        return False

    def term(self) -> GNode:
        left = self.unary()
        while True:
            t = self.tok
            if (t.kind == "op" and t.text in "*/") or (t.kind == "cmd" and t.text in ("cdot", "times")):
                self.take()
                right = self.unary()
                left = GNode("div" if t.text == "/" else "mul", t.pos, (left, right))
            elif self.starts_factor():
                right = self.unary()
                left = GNode("mul", t.pos, (left, right))
            else:
                return left

    def unary(self) -> GNode:
        if self.at("-"):
            t = self.take()
            return GNode("neg", t.pos, (self.unary(),))
        if self.at("+"):
            self.take()
            return self.unary()
        return self.factor()

    def factor(self) -> GNode:
        t = self.tok
        if t.kind == "num":
            self.take()
            return GNode("num", t.pos, value=Fraction(t.text))
        if self.at("("):
            self.take()
            node = self.expr()
            self.expect(")", f"to close '(' from column {t.pos}")
            return node
        if self.at("{"):
            self.take()
            node = self.expr()
            self.expect("}", f"to close '{{' from column {t.pos}")
            return node
        if self.at("["):
            return self.iverson()
        if t.kind == "cmd":
            if t.text in ("lfloor", "lceil"):
                self.take()
                inner = self.expr()
                self.expect("\\rfloor" if t.text == "lfloor" else "\\rceil", f"to close '\\{t.text}' from column {t.pos}")
                return GNode("floor" if t.text == "lfloor" else "ceil", t.pos, (inner,))
            if t.text in ("frac", "dfrac"):
                self.take()
                self.expect("{", "to open the numerator of \\frac")
                num = self.expr()
                self.expect("}", "to close the numerator of \\frac")
                self.expect("{", "to open the denominator of \\frac")
                den = self.expr()
                self.expect("}", "to close the denominator of \\frac")
                return GNode("div", t.pos, (num, den))
            if t.text in ("max", "min"):
                self.take()
                self.expect("(", f"after \\{t.text}")
                args = [self.expr()]
                while self.at(","):
                    self.take()
                    args.append(self.expr())
                self.expect(")", f"to close \\{t.text}(")
                return GNode(t.text, t.pos, tuple(args))
            if t.text == "sum":
                return self.summation()
            if t.text == "delta":
                name, idx = self.tensor_head()
                return GNode("tensor", t.pos, tuple(idx), value=name)
            raise SpecError("claim", f"unknown symbol '\\{t.text}' at column {t.pos}")
        if t.kind == "letter":
            nxt = self.toks[self.k + 1]
            if nxt.kind == "op" and nxt.text == "_":
                # a tensor, or a size with a subscript such as H_{out}
                after = self.toks[self.k + 2]
                if after.kind == "op" and after.text == "{" and self.toks[self.k + 3].kind == "letter" and \
                        "".join(x.text for x in self.toks[self.k + 3:self.k + 6]) == "out":
                    self.k += 7
                    return GNode("var", t.pos, value=t.text + "_out")
                if after.kind == "cmd" and after.text in ("mathrm:out", "text:out"):
                    self.k += 3
                    return GNode("var", t.pos, value=t.text + "_out")
                axis = self._kernel_axis()
                if axis:
                    return GNode("var", t.pos, value="k_" + axis)
                name, idx = self.tensor_head()
                return GNode("tensor", t.pos, tuple(idx), value=name)
            self.take()
            return GNode("var", t.pos, value=t.text)
        raise self.error("expected a number, an index, a size or a tensor entry")

    def _kernel_axis(self) -> str:
        """At ``k_h``, ``k_w``, ``k_{h}`` or ``k_{w}`` (the kernel height and width): consume it and
        return ``"h"`` or ``"w"``; elsewhere "" (nothing consumed)."""
        toks, k = self.toks, self.k
        if toks[k].text != "k":
            return ""
        nxt = toks[k + 2]
        if nxt.kind == "letter" and nxt.text in ("h", "w"):
            self.k += 3
            return nxt.text
        if nxt.kind == "op" and nxt.text == "{" and toks[k + 3].kind == "letter" and toks[k + 3].text in ("h", "w") \
                and toks[k + 4].kind == "op" and toks[k + 4].text == "}":
            self.k += 5
            return toks[k + 3].text
        return ""

    def iverson(self) -> GNode:
        t = self.take()
        left = self.expr()
        rel = self.tok
        key = rel.text if rel.kind == "op" else rel.text if rel.kind == "cmd" else None
        if key not in _RELATIONS or (rel.kind == "op" and key not in ("=", "<", ">")):
            raise self.error("expected a relation (=, <, >, \\le, \\ge, \\ne, \\mid) in the Iverson bracket")
        self.take()
        right = self.expr()
        self.expect("]", f"to close the Iverson bracket '[' from column {t.pos}")
        return GNode("iverson", t.pos, (left, right), value=_RELATIONS[key])

    def summation(self) -> GNode:
        t = self.take()
        var = lo = hi = None
        for _ in range(2):
            if self.at("_") and var is None:
                self.take()
                braced = self.at("{")
                if braced:
                    self.take()
                v = self.take()
                if v.kind != "letter":
                    raise SpecError("claim", f"expected a summation variable such as i at column {v.pos}")
                var = v.text
                if braced and self.at("="):
                    self.take()
                    lo = self.expr()
                if braced:
                    self.expect("}", "to close the subscript of \\sum")
            elif self.at("^") and hi is None:
                self.take()
                if self.at("{"):
                    self.take()
                    hi = self.expr()
                    self.expect("}", "to close the upper bound of \\sum")
                else:
                    hi = self.factor()
        if var is None:
            raise SpecError("claim", f"'\\sum' at column {t.pos} needs a summation variable, e.g. \\sum_{{i=1}}^{{n}}")
        if (lo is None) != (hi is None):
            raise SpecError("claim", f"'\\sum' at column {t.pos} states only one bound; give both or neither")
        body = self.term()
        return GNode("sum", t.pos, (lo, hi, body), value=var)
