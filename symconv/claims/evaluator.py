"""The claim evaluator: an AST to sympy in the network's symbols; the public readers
:func:`parse_claim` and :func:`parse_expression`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sympy

from ..errors import SpecError
from ..notation import LEAF_ROLES
from ..size import claim_text_budget, expression_budget
from .parser import Claim, Node, Side, _Parser
from .vocabulary import Vocabulary, _show_head

if TYPE_CHECKING:  # pragma: no cover
    from ..api import Model

MAX_SUM_TERMS = 20_000
"""Upper bound on the total number of terms all ``\\sum`` in one claim may expand to."""


class MissingElement(SpecError):
    """An index out of range (or a layer that does not exist): the symbol is not in the network.
    An implicit-range ``\\sum_k`` skips the k that give one."""



class _Evaluator:
    def __init__(self, model: Model, voc: Vocabulary):
        self.model = model
        self.voc = voc
        self.env: dict[str, int] = {}
        self.budget = MAX_SUM_TERMS
        self.notes: list[str] = []  # how implicit parts were read, for the verdict
        self._steps = None

    def int_of(self, node: Node, what: str) -> int:
        value = self.eval(node)
        if not (value.is_Integer):
            raise SpecError("claim", f"{what} at column {node.pos} must be an integer, got {value}")
        return int(value)

    def resolve(self, node: Node) -> sympy.Symbol:
        if node.op == "name":
            return self.voc.names[node.value]
        head = node.value
        sup, sub = node.args
        mark = self.int_of(sup[0], "layer mark") if sup is not None else None
        index = tuple(self.int_of(n, "index") for n in sub[0]) if sub is not None else ()
        shown = _show_head(head)
        if sup is None and self.voc.takes_mark(head):  # the parser allows it for a letter of one layer
            (mark,) = self.voc.layer_marks(head)
            note = f"{shown} without a layer mark read as {shown}^{{{mark}}}: the only layer with {shown}"
            if note not in self.notes:
                self.notes.append(note)
        if mark not in self.voc.marks[head]:
            layers = self.voc.layer_marks(head)
            raise MissingElement(
                "claim",
                f"layer {mark} does not exist for '{shown}' at column {sup[1]}: "
                f"this network has {shown} in layers {', '.join(map(str, layers))}",
            )
        if sub is None and self.voc.needs_index(head):
            single = self.voc.single(head, mark)
            if single is None:
                raise SpecError(
                    "claim", f"'{shown}' at column {node.pos} needs a subscript index, e.g. {shown}_1"
                    + (f"^{mark}" if mark is not None else "") + " (only a one-element tensor may leave it off)"
                )
            index = single
        symbol = self.voc.keys.get((head, mark, index))
        if symbol in self.voc.aliases:
            self.notes.append(f"\\delta^{{{mark}}} of layer {mark}, which has no activation (a pooling layer), read as "
                              f"\\partial C/\\partial o^{{{mark}}}, the gradient of its output")
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
            raise MissingElement(
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
        if op in ("sym", "name"):
            return self.resolve(node)
        if op == "route":
            return self.route(node)
        if op in ("floor", "ceil"):
            inner = self.eval(node.args[0])
            return sympy.floor(inner) if op == "floor" else sympy.ceiling(inner)
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
            var = node.value
            if var in self.env:
                raise SpecError("claim", f"summation variable '{var}' at column {node.pos} is already in use")
            if lo_node is None:
                return self.implicit_sum(node)
            lo, hi = self.int_of(lo_node, "lower bound"), self.int_of(hi_node, "upper bound")
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

    def implicit_sum(self, node: Node) -> sympy.Expr:
        """``\\sum_k body`` over every k for which every indexed symbol of the body exists (k
        tried over twice the largest index of the network, both signs); the range read is noted."""
        _, _, body = node.args
        var = node.value
        bound = 2 * max([abs(v) for rng in self.voc.ranges.values() for r in rng for v in r] or [0]) + 2
        items, used = [], []
        for v in range(-bound, bound + 1):
            self.env[var] = v
            try:
                items.append(self.eval(body))
                used.append(v)
            except MissingElement:
                continue
            finally:
                del self.env[var]
            self.budget -= 1
            if self.budget < 0:
                raise SpecError("claim", f"'\\sum' at column {node.pos} expands to too many terms (at most {MAX_SUM_TERMS})")
        if not used:
            raise SpecError("claim", f"'\\sum_{var}' at column {node.pos}: no {var} gives symbols that exist in "
                                     f"this network; state the range, e.g. \\sum_{{{var}=1}}^{{4}}")
        contiguous = used == list(range(used[0], used[-1] + 1))
        values = f"{used[0]}..{used[-1]}" if contiguous else ", ".join(map(str, used))
        self.notes.append(f"\\sum_{var} at column {node.pos} read as {var} = {values}: every {var} for which "
                          "the indexed symbols exist")
        return sympy.Add(*items)

    def route(self, node: Node) -> sympy.Expr:
        """``route_max(x → o)`` / ``route_max(x; window)``: :class:`~symconv.functions.MaxRoute`
        of ``x`` in the max-pooling window of ``o`` (or the window given)."""
        from ..functions import MaxRoute

        kind, split = node.value
        x = self.eval(node.args[0])
        if kind == "to":
            out = self.eval(node.args[1])
            windows = {o: w for w, o in self.model.forward.route_outputs.items()}
            window = windows.get(out)
            if window is None:
                raise SpecError("claim", f"route at column {node.pos}: {out} is not the output of a max-pooling "
                                         "window of this network")
        else:
            window = tuple(self.eval(a) for a in node.args[1:])
        if x not in window:
            raise SpecError("claim", f"route at column {node.pos}: {x} is not in the window it is routed from")
        return MaxRoute(sympy.Integer(window.index(x)), sympy.Integer(1 if split else 0), *window)

    def heaviside(self, arg: sympy.Expr, pos: int) -> sympy.Expr:
        """``H(z)`` with the value at 0 the network uses for ``z`` (the activation's setting):
        read from the Heaviside factors of the forward pass; 0 when the network has none."""
        if self._steps is None:
            found = {}
            for d in self.model.forward.definitions:
                for _, p in d.partials:
                    for h in (p.atoms(sympy.Heaviside) if isinstance(p, sympy.Basic) else ()):
                        found[h.args[0]] = h.args[1] if len(h.args) > 1 else sympy.Rational(1, 2)
            self._steps = found
        h = self._steps.get(arg)
        if h is None:
            values = set(self._steps.values())
            if len(values) > 1:
                shown = " or ".join(sorted(map(str, values)))
                raise SpecError("claim", f"H(...) at column {pos} is ambiguous: H(0) is {shown} in this "
                                         "network; write H of a pre-activation z, or Heaviside(x, h)")
            h = values.pop() if values else sympy.Integer(0)
        return sympy.Heaviside(arg, h)

    def gradient(self, node: Node) -> sympy.Expr:
        num, den = (self.resolve(n) for n in node.args)
        model = self.model
        x = _gradient_target(model, den)
        if num == model.network.cost:
            # the network's own name for ∂C/∂x (a δ or ∂C/∂o symbol) where it has one: compact, and
            # compared by its definition (to_named); else the named gradient itself
            upstream = self._upstream_of(x)
            return upstream if upstream is not None else model.gradients.named(x)
        table = model.network.table
        if table.info[den].role not in LEAF_ROLES:
            raise SpecError(
                "claim",
                f"'\\partial {table.info[num].latex}/\\partial {table.info[den].latex}' at column {node.pos}: "
                "∂u/∂v is understood for u = the cost, or v an input, weight, bias or target",
            )
        return sympy.diff(to_leaf(model, num), den)

    def _upstream_of(self, x) -> sympy.Symbol | None:
        """The ∂C/∂o adjoint symbol of ``x`` (the symbol ``\\partial C/\\partial o`` prints as),
        or None (δ symbols are written as δ)."""
        u = self.model.gradients.upstream_of.get(x)
        return u if u is not None and self.model.network.table.info[u].role == "adjoint" else None

    def function(self, node: Node) -> sympy.Expr:
        from ..functions import MaxRoute, f, fprime

        args = [self.eval(a) for a in node.args]
        name = node.value
        table = {
            "f": f, "f'": fprime, "sigma": lambda z: 1 / (1 + sympy.exp(-z)), "tanh": sympy.tanh,
            "exp": sympy.exp, "log": sympy.log, "ln": sympy.log,
        }
        if name == "max":
            if all(a.is_number for a in args):
                return sympy.Max(*args)
            # unevaluated: sympy's Max compares its arguments pairwise (factor_terms of every
            # difference), minutes for the ReLUs of a printed leaf form; its value is the same
            return sympy.Max(*args, evaluate=False)
        if name == "MaxRoute":
            if len(args) < 3 or not (args[0].is_Integer and args[1].is_Integer) or not 0 <= args[0] < len(args) - 2:
                raise SpecError("claim", f"MaxRoute at column {node.pos} takes (j, rule, v_0, ..., v_n-1) with "
                                         "0 <= j < n")
            return MaxRoute(*args)
        if name == "H":
            if len(args) == 2:
                return sympy.Heaviside(args[0], args[1])
            if len(args) != 1:
                raise SpecError("claim", f"H at column {node.pos} takes one argument, H(z)")
            return self.heaviside(args[0], node.pos)
        if name not in table:
            raise SpecError("claim", f"unknown function '{name}' at column {node.pos}")
        if len(args) != 1:
            raise SpecError("claim", f"{name} at column {node.pos} takes one argument, got {len(args)}")
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


def _gradient_target(model: Model, symbol: sympy.Symbol) -> sympy.Symbol:
    """The symbol whose ∂C/∂· a symbol names: a δ (or adjoint) maps to its target, others to itself."""
    target = model.gradients.upstream_symbols().get(symbol)
    return target if target is not None else symbol


def to_leaf(model: Model, expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with δ/adjoint symbols and intermediates (o, z) replaced by their definitions."""
    expr = sympy.sympify(expr, strict=True)
    ups = model.gradients.upstream_symbols()
    subs = {s: model.gradients.named(s) for s in expr.free_symbols if s in ups}
    if subs:
        expr = expr.xreplace(subs)
    return model.forward.leaf(expr)


def leaf_size(model: Model, expr: sympy.Expr) -> int:
    """An estimate of the size of :func:`to_leaf` ``(model, expr)`` without building it: 1 plus,
    for each free symbol, its leaf size (a δ or adjoint: its gradient's,
    :meth:`~symconv.gradients.Gradients.leaf_size`; an intermediate or leaf:
    :meth:`~symconv.forward.Forward.leaf_size`)."""
    ups = model.gradients.upstream_symbols()
    return 1 + sum(model.gradients.leaf_size(s) if s in ups else model.forward.leaf_size(s)
                   for s in sympy.sympify(expr, strict=True).free_symbols)


def vocabulary(model: Model) -> Vocabulary:
    """The (cached) :class:`Vocabulary` of a model's symbol table."""
    voc = getattr(model, "_claims_vocabulary", None)
    if voc is None:
        voc = Vocabulary.from_table(model.network.table)
        model._claims_vocabulary = voc
    return voc


def parse_expression(model: Model, text: str) -> sympy.Expr:
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


def parse_claim(model: Model, text: str) -> Claim:
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
    elif lhs_node.op in ("sym", "name") and ev.resolve(lhs_node) in model.gradients.upstream_symbols():
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
    return Claim(text, wrt, lhs, rhs, tuple(dict.fromkeys(ev.notes)))
