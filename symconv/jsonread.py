"""Reading a symconv JSON document back: :func:`read_json` (``symconv.read_json``).

Every expression string of the document (``cost``, ``gradients[].expr`` and ``named``,
``deltas[].expr``, ``definitions[].expr``) is read by :func:`read_expr`, a restricted reader: the
text is parsed by Python's own parser into a syntax tree (``ast.parse``; nothing is executed) and
the tree is walked, accepting only numbers, the names the document declares, ``+ - * / **``,
calls of the functions of :data:`FUNCTIONS` and, inside ``Piecewise``, comparisons and ``True``.
Anything else (attributes, subscripts, lambdas, strings, unknown names or functions) is refused
with a :class:`~symconv.errors.SpecError` naming the field. No ``eval``, ``sympify`` or
``parse_expr`` touches the text.

The functions a document may call (the JSON contract; README.md "JSON" states them):

* ``MaxRoute(j, rule, v_0, …, v_{n−1})``: ∂ max(v)/∂v_j, ``j`` 0-based; ``rule`` 0 routes
  all to the first maximum in row-major order (PyTorch), 1 shares it equally among tied maxima;
* ``Heaviside(x, h)``: 1 for x > 0, 0 for x < 0, ``h`` at 0 (ReLU′ with ReLU′(0) = h);
* ``f(x)``, ``fprime(x)``: the generic activation and its derivative (symbolic);
* sympy's ``exp``, ``log``, ``tanh``, ``sqrt``, ``Abs``, ``sign``, ``Max``, ``Min`` and
  ``Piecewise((value, condition), …, (value, True))``.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Mapping

import sympy

from .errors import SpecError
from .functions import MaxRoute, f, fprime
from .notation import LEAF_ROLES

FUNCTIONS: dict[str, Any] = {
    "MaxRoute": MaxRoute, "Heaviside": sympy.Heaviside, "f": f, "fprime": fprime,
    "exp": sympy.exp, "log": sympy.log, "tanh": sympy.tanh, "sqrt": sympy.sqrt, "Abs": sympy.Abs,
    "sign": sympy.sign, "Max": sympy.Max, "Min": sympy.Min, "Piecewise": sympy.Piecewise,
}
"""Every function a JSON expression may call, by its printed name."""

CONSTANTS = {"E": sympy.E, "pi": sympy.pi}
MAX_BITS = 333  # longest integer literal accepted (about 100 digits)
MAX_EXPONENT = 1000  # largest |n| in x**n accepted for a number n
MAX_DEPTH = 400  # deepest expression tree accepted

_BINARY = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: lambda a, b: a / b}
_COMPARE = {ast.Gt: sympy.StrictGreaterThan, ast.Lt: sympy.StrictLessThan, ast.GtE: sympy.GreaterThan,
            ast.LtE: sympy.LessThan}


def read_expr(text: Any, names: Mapping[str, sympy.Symbol], field: str = "expr") -> sympy.Expr:
    """The sympy expression of one JSON expression string (sympy's ``str`` printing), with every
    name looked up in ``names`` and every call in :data:`FUNCTIONS`. Raises :class:`SpecError`
    naming ``field`` for anything else (see the module docstring)."""
    if not isinstance(text, str) or not text.strip():
        raise SpecError(field, f"must be a non-empty expression string; got {text!r}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise SpecError(field, "is not an expression in sympy's printed form; regenerate the file "
                               "with symconv derive") from None
    return _Reader(names, field).read(tree.body, 0)


class _Reader:
    """Walks a parsed expression, building sympy objects from accepted nodes only."""

    def __init__(self, names: Mapping[str, sympy.Symbol], field: str):
        self.names = names
        self.field = field

    def fail(self, what: str) -> SpecError:
        return SpecError(self.field, f"{what}; a symconv JSON expression holds only numbers, declared names, "
                                     f"+ - * / ** and the functions {', '.join(FUNCTIONS)}")

    def read(self, node: ast.AST, depth: int, condition: bool = False):
        if depth > MAX_DEPTH:
            raise self.fail(f"nests deeper than {MAX_DEPTH} levels")
        d = depth + 1
        if isinstance(node, ast.Constant) and type(node.value) is int:
            if node.value.bit_length() > MAX_BITS:
                raise self.fail("has an integer of more than 100 digits")
            return sympy.Integer(node.value)
        if isinstance(node, ast.Constant) and type(node.value) is float:
            return sympy.Float(node.value)
        if isinstance(node, ast.Constant) and node.value is True and condition:
            return sympy.true
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            raise self.fail(f"uses the undeclared name {node.id!r}")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = self.read(node.operand, d)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return _BINARY[type(node.op)](self.read(node.left, d), self.read(node.right, d))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            base, exponent = self.read(node.left, d), self.read(node.right, d)
            if exponent.is_Number and abs(exponent) > MAX_EXPONENT:
                raise self.fail(f"raises to a power above {MAX_EXPONENT}")
            return base ** exponent
        if isinstance(node, ast.Compare) and condition and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE:
            return _COMPARE[type(node.ops[0])](self.read(node.left, d), self.read(node.comparators[0], d))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            name = node.func.id
            if name not in FUNCTIONS:
                raise self.fail(f"calls the unknown function {name!r}")
            if name == "Piecewise":
                return sympy.Piecewise(*[self.piece(arg, d) for arg in node.args])
            args = [self.read(arg, d) for arg in node.args]
            try:
                return FUNCTIONS[name](*args)
            except (TypeError, ValueError) as exc:
                raise self.fail(f"calls {name} with unusable arguments ({exc})") from None
        raise self.fail(f"holds {_shown(node)} (a Python {type(node).__name__}), which is not accepted")

    def piece(self, node: ast.AST, depth: int):
        if not (isinstance(node, ast.Tuple) and len(node.elts) == 2):
            raise self.fail("has a Piecewise argument that is not a (value, condition) pair")
        return (self.read(node.elts[0], depth + 1), self.read(node.elts[1], depth + 1, condition=True))


def _shown(node: ast.AST) -> str:
    """Up to 30 characters of the source of ``node``, quoted."""
    try:
        text = ast.unparse(node)
    except (RecursionError, ValueError):
        text = type(node).__name__
    return repr(text if len(text) <= 30 else text[:29] + "…")


@dataclass(frozen=True)
class JsonDerivation:
    """A symconv JSON document read back (:func:`read_json`), every expression a sympy object.

    ``symbols``: Python name → Symbol for every symbol listed (and every name ``definitions``
    defines); ``roles``: name → role; ``cost``: C (in leaves when ``form`` is ``"leaf"``, else in
    named intermediates); ``gradients``: wrt name → ∂C/∂wrt as written (``form`` ``"leaf"``:
    in leaf symbols; ``"named"``: in the intermediates ``definitions`` defines); ``named``: wrt →
    the same gradient in forward intermediates (leaf-form documents); ``deltas``: name → δ;
    ``definitions``: name → expression, in topological order (named-form documents; empty
    otherwise); ``assumptions``: the expressions the gradients assume to be 0 (under one-hot
    targets Σ_k y_k − 1 per example; empty otherwise), which :meth:`evaluate` checks at the values
    given; ``document``: the parsed JSON itself.
    """

    name: str
    form: str
    symbols: dict[str, sympy.Symbol]
    roles: dict[str, str]
    cost: sympy.Expr
    gradients: dict[str, sympy.Expr]
    named: dict[str, sympy.Expr]
    deltas: dict[str, sympy.Expr]
    definitions: dict[str, sympy.Expr]
    document: dict = field(repr=False)
    assumptions: tuple[sympy.Expr, ...] = ()

    @property
    def leaves(self) -> tuple[str, ...]:
        """Names of the values a caller gives (roles input, weight, bias, target and the other leaf
        roles of :data:`symconv.notation.LEAF_ROLES`), in the document's order."""
        return tuple(n for n, r in self.roles.items() if r in LEAF_ROLES)

    def evaluate(self, values: Mapping[str, Any]) -> dict[str, sympy.Expr]:
        """Every gradient's value at ``values`` (leaf name → number: int, Fraction, float, sympy
        number): the definitions evaluated in order first (named form), then each gradient.
        Exact for exact values; floats are taken at 30 significant digits. Raises
        :class:`SpecError` naming ``values`` when a leaf is missing or not a number, or when the
        values break an assumption of the document (one-hot targets that do not sum to 1: the
        gradients, such as δ = p − y of softmax cross-entropy, hold only under it)."""
        point = {}
        for n in self.leaves:
            v = values.get(n) if isinstance(values, Mapping) else None
            if isinstance(v, bool) or not isinstance(v, int | float | Fraction | sympy.Number):
                raise SpecError("values", f"no number for {n!r}; give a number for every leaf")
            point[self.symbols[n]] = sympy.Float(v, 30) if isinstance(v, float) else sympy.Rational(v)
        for assumed in self.assumptions:
            total = assumed.xreplace(point) + 1
            if abs(total - 1) > sympy.Float("1e-25"):
                shown = total if total.is_Rational else f"{float(total):.6g}"
                raise SpecError("values", f"{assumed + 1} = {shown}, but the document assumes one-hot targets (they "
                                          "sum to 1); give targets that sum to 1")
        for n, expr in self.definitions.items():
            point[self.symbols[n]] = expr.xreplace(point)
        return {wrt: expr.xreplace(point) for wrt, expr in self.gradients.items()}


def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of the document ``derive --format json`` writes, shipped in
    the package as ``symconv/derivation.schema.json``."""
    from importlib.resources import files

    return json.loads(files("symconv").joinpath("derivation.schema.json").read_text(encoding="utf-8"))


def read_json(path: str | Path) -> JsonDerivation:
    """Read ``path`` (a symconv JSON document) into a :class:`JsonDerivation`: every expression
    parsed by the restricted reader :func:`read_expr` (never evaluated as code), every name
    resolved to a Symbol of the document (symbols, then definitions in order) and every function
    to sympy's or symconv's (:data:`FUNCTIONS`). Raises :class:`SpecError` naming the file and
    field for an unreadable file, a missing key, an unknown name or function."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(str(p), f"cannot read ({exc.strerror or exc}); check the path") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise SpecError(str(p), f"is not JSON ({exc}); give a file written by symconv derive") from None
    return read_document(doc, str(p))


def read_document(doc: Any, where: str = "JSON") -> JsonDerivation:
    """:func:`read_json` for an already parsed document (a dict); errors name ``where``."""
    def need(container, key, kind, at):
        if not isinstance(container, dict) or not isinstance(container.get(key), kind):
            raise SpecError(f"{where}: {at}{key}", f"is missing or not a {kind.__name__}; give a file written by "
                                                   "symconv derive")
        return container[key]

    symbols: dict[str, sympy.Symbol] = {}
    roles: dict[str, str] = {}
    for k, s in enumerate(need(doc, "symbols", list, "")):
        name, role = need(s, "name", str, f"symbols[{k}]."), need(s, "role", str, f"symbols[{k}].")
        if not name.isidentifier() or name in FUNCTIONS or name in CONSTANTS or name in symbols:
            raise SpecError(f"{where}: symbols[{k}].name", f"{name!r} is not a usable name (a new identifier)")
        symbols[name], roles[name] = sympy.Symbol(name), role
    form = need(doc, "form", str, "")
    definitions: dict[str, sympy.Expr] = {}
    raw_defs = doc.get("definitions", []) if form == "named" else []
    if not isinstance(raw_defs, list):
        raise SpecError(f"{where}: definitions", "must be a list")
    later = {d.get("name") for d in raw_defs if isinstance(d, dict)}
    known = {n: s for n, s in symbols.items() if n not in later}  # a definition reads earlier names only
    for k, d in enumerate(raw_defs):
        name = need(d, "name", str, f"definitions[{k}].")
        if not name.isidentifier() or name in FUNCTIONS or name in CONSTANTS or name in definitions:
            raise SpecError(f"{where}: definitions[{k}].name", f"{name!r} is not a usable name")
        definitions[name] = read_expr(need(d, "expr", str, f"definitions[{k}]."), known,
                                      f"{where}: definitions[{k}].expr")
        known[name] = symbols.setdefault(name, sympy.Symbol(name))
    cost = read_expr(need(doc, "cost", str, ""), symbols, f"{where}: cost")
    gradients, named = {}, {}
    for k, g in enumerate(need(doc, "gradients", list, "")):
        wrt = need(g, "wrt", str, f"gradients[{k}].")
        gradients[wrt] = read_expr(need(g, "expr", str, f"gradients[{k}]."), symbols, f"{where}: gradients[{k}].expr")
        if "named" in g:
            named[wrt] = read_expr(g["named"], symbols, f"{where}: gradients[{k}].named")
    deltas = {}
    for k, d in enumerate(doc.get("deltas", [])):
        if isinstance(d, dict) and "expr" in d:
            deltas[need(d, "name", str, f"deltas[{k}].")] = read_expr(d["expr"], symbols, f"{where}: deltas[{k}].expr")
    raw_assumptions = doc.get("assumptions", [])
    if not isinstance(raw_assumptions, list):
        raise SpecError(f"{where}: assumptions", "must be a list")
    assumed = tuple(read_expr(need(a, "expr", str, f"assumptions[{k}]."), symbols, f"{where}: assumptions[{k}].expr")
                    for k, a in enumerate(raw_assumptions))
    return JsonDerivation(name=str(doc.get("name", "")), form=form, symbols=symbols, roles=roles, cost=cost,
                          gradients=gradients, named=named, deltas=deltas, definitions=definitions, document=doc,
                          assumptions=assumed)

