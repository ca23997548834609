r"""Check a claimed gradient against the exact one: verdict, difference, counterexample, diagnosis.

Comparison is in leaf form (inputs, weights, biases, targets; δ and intermediates replaced by
their definitions), by :func:`compare`:

1. the difference ``D = claim − truth`` is evaluated exactly at seeded random small-integer points;
   a point where ``D ≠ 0`` *proves* the two differ and is the counterexample;
2. otherwise, if ``D`` is small enough (``EXPAND_LIMIT`` tree nodes), ``D`` is expanded (over a
   common denominator when it has one); ``0`` *proves* equality (polynomial identity);
3. a larger ``D`` is evaluated exactly at ``RANDOM_POINTS`` random integer points in
   ``[1, 2^32]``. By the Schwartz–Zippel lemma a nonzero polynomial of total degree ``d`` vanishes
   at all of them with probability at most ``(d / 2^32)^RANDOM_POINTS``; the verdict states ``d``
   and that bound.

Generic activations ``f(·)``, ``f'(·)`` are treated as independent unknowns (one per distinct
argument, arguments expanded), so a counterexample may give them values too. Other functions
(``exp``, ``Max``, ``Heaviside``) are evaluated; when an expression is not rational in its unknowns,
points are compared to 60 significant digits and equality falls back to ``sympy.simplify``.

Mistake diagnoses (:data:`MISTAKES`) are *proven*: each mistaken form is built from the network
and the claim is reported as that mistake only when it equals the form exactly (by
:func:`compare`). See :func:`mistaken_forms` for the precise definition of each.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import sympy

from .claims import Claim, Side, parse_claim, to_leaf

if TYPE_CHECKING:  # pragma: no cover
    from .api import Model

EXPAND_LIMIT = 20_000
RANDOM_POINTS = 8
SEARCH_POINTS = 60

MISTAKES = {
    "product_of_sums": "product of sums instead of sum of products",
    "kernel_not_rotated": "kernel not rotated by 180 degrees",
    "convention_swapped": "convolution and cross-correlation swapped",
    "stride_zeros_missing": "stride zeros missing ($\\delta$ not dilated by the stride)",
    "padding_not_cropped": "padding not cropped",
    "factor_2": "an extra factor 2 (the cost's factor)",
    "factor_half": "a missing factor 2 (a stray one half of the cost)",
    "wrong_layer": "wrong layer",
    "missing_activation_derivative": "a missing activation derivative",
}
"""Known mistake kinds: key → the short title shown in verdicts (ASCII; math in ``$...$``)."""


# ----------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare`.

    ``equal``; ``method`` one of ``"counterexample"``, ``"expansion"``, ``"random points"``,
    ``"simplify"``, ``"numeric"``, ``"undefined"`` (the claim is undefined wherever it was
    tried); ``note`` a sentence for the verdict (the false-pass bound for
    random points); ``point`` (when unequal) maps each unknown to its value, ``values`` the
    (claim, truth) values there.
    """

    equal: bool
    method: str
    note: str = ""
    point: dict = field(default_factory=dict)
    values: tuple = ()


def _generic_apps(expr: sympy.Expr) -> dict:
    """Map every application of the generic activation f / f' to a fresh unknown (args expanded)."""
    from .activations import f, fprime

    apps = {}
    found = _collect(expr, lambda node: isinstance(node, (f, fprime)))
    for app in sorted(found, key=sympy.default_sort_key):
        canon = app.func(*[sympy.expand(a) for a in app.args])
        apps[app] = canon
    return apps


def _atomize(a: sympy.Expr, b: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr, dict]:
    """Replace f/f' applications in ``a`` and ``b`` by shared unknowns; returns their map too."""
    apps = _generic_apps(a)
    apps.update(_generic_apps(b))
    unknowns: dict = {}
    subs = {}
    for app, canon in apps.items():
        if canon not in unknowns:
            unknowns[canon] = sympy.Dummy(f"{canon.func.__name__}{len(unknowns)}")
        subs[app] = unknowns[canon]
    if subs:
        # innermost first is not needed: leaf expressions nest f only inside f's arguments
        a, b = a.xreplace(subs), b.xreplace(subs)
    return a, b, {v: k for k, v in unknowns.items()}


class _FastRational:
    """Exact evaluation of a rational expression (Add, Mul, integer Pow, symbols, rationals) with
    Python ``Fraction`` over a post-order node list (shared subtrees evaluated once).

    ``_FastRational.build(expr)`` returns None when ``expr`` holds anything else (functions, ...).
    """

    def __init__(self, order, index):
        self.order = order
        self.index = index

    @classmethod
    def build(cls, expr: sympy.Expr):
        from fractions import Fraction

        order, index = [], {}
        stack = [(expr, False)]
        while stack:
            node, done = stack.pop()
            if node in index:
                continue
            if node.is_Symbol:
                op = ("sym", node)
            elif node.is_Rational:
                op = ("num", int(node.p) if node.q == 1 else Fraction(int(node.p), int(node.q)))
            elif node.is_Add or node.is_Mul or (node.is_Pow and node.exp.is_Integer):
                if not done:
                    stack.append((node, True))
                    stack.extend((a, False) for a in node.args if a not in index)
                    continue
                if node.is_Pow:
                    op = ("pow", index[node.base], int(node.exp))
                else:
                    op = ("add" if node.is_Add else "mul", tuple(index[a] for a in node.args))
            else:
                return None
            index[node] = len(order)
            order.append(op)
        return cls(order, index[expr])

    def __call__(self, point: dict):
        from fractions import Fraction

        vals = []
        for op in self.order:
            kind = op[0]
            if kind == "sym":
                v = point.get(op[1], 0)
                if isinstance(v, sympy.Rational):
                    v = int(v.p) if v.q == 1 else Fraction(int(v.p), int(v.q))
                vals.append(v)
            elif kind == "num":
                vals.append(op[1])
            elif kind == "add":
                vals.append(sum(vals[k] for k in op[1]))
            elif kind == "mul":
                acc = 1
                for k in op[1]:
                    acc *= vals[k]
                vals.append(acc)
            else:
                base, e = vals[op[1]], op[2]
                if e < 0:
                    if base == 0:
                        return None
                    vals.append(Fraction(1) / Fraction(base) ** -e)
                else:
                    vals.append(base**e)
        v = Fraction(vals[self.index])
        return sympy.Rational(v.numerator, v.denominator)


def _collect(expr: sympy.Expr, wanted) -> set:
    """The subexpressions of ``expr`` for which ``wanted(node)`` holds, visiting each distinct
    subtree once (sympy's ``free_symbols``/``atoms`` do not share work between repeated subtrees,
    which leaf expansions are full of)."""
    seen, found = set(), set()
    stack = [sympy.sympify(expr, strict=True)]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if wanted(node):
            found.add(node)
        stack.extend(a for a in node.args if isinstance(a, sympy.Basic) and a not in seen)
    return found


def symbols_of(expr: sympy.Expr) -> set:
    """The free symbols of ``expr`` (see :func:`_collect`)."""
    return _collect(expr, lambda node: node.is_Symbol)


def _evaluator(expr: sympy.Expr):
    """A function ``point -> exact value or None``: fast for rational expressions, else sympy."""
    fast = _FastRational.build(expr)
    if fast is not None:
        return fast
    return lambda point: _value(expr, point)


def _value(expr: sympy.Expr, point: dict):
    """Exact value of ``expr`` at ``point``, or None when undefined (division by zero, ...)."""
    try:
        v = expr.xreplace(point)
        v = sympy.sympify(v, strict=True)
        if v.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo) or v.free_symbols:
            return None
        return v
    except (ZeroDivisionError, TypeError, ValueError):
        return None


def _nonzero(v: sympy.Expr) -> bool | None:
    if v.is_Rational:
        return v != 0
    try:
        num = sympy.N(v, 60)
    except (TypeError, ValueError):  # pragma: no cover
        return None
    if not num.is_number:
        return None
    return abs(num) > sympy.Float("1e-40")


def _shrink(fa, fb, point: dict) -> tuple[dict, sympy.Expr, sympy.Expr]:
    """Make a counterexample smaller: set each unknown to 0, else 1, while the sides still differ.

    ``fa``, ``fb``: evaluators (see :func:`_evaluator`) of the two sides.
    """
    point = dict(point)
    for s in sorted(point, key=sympy.default_sort_key) * 2:
        for candidate in (sympy.Integer(0), sympy.Integer(1)):
            if point[s] == candidate:
                break
            trial = {**point, s: candidate}
            va, vb = fa(trial), fb(trial)
            if va is not None and vb is not None and _nonzero(va - vb):
                point = trial
                break
    return point, fa(point), fb(point)


def _fold(expr: sympy.Expr, leaf, combine) -> int:
    """Fold over the tree of ``expr`` computing each distinct subtree once (post-order)."""
    memo: dict = {}
    stack = [(sympy.sympify(expr, strict=True), False)]
    while stack:
        node, done = stack.pop()
        if node in memo:
            continue
        kids = [a for a in node.args if isinstance(a, sympy.Basic)]
        if not kids or not (node.is_Add or node.is_Mul or node.is_Pow):
            memo[node] = leaf(node)
        elif done:
            memo[node] = combine(node, [memo[a] for a in kids])
        else:
            stack.append((node, True))
            stack.extend((a, False) for a in kids if a not in memo)
    return memo[sympy.sympify(expr, strict=True)]


def degree_bound(expr: sympy.Expr) -> int:
    """An upper bound on the total degree of a polynomial expression (unexpanded is fine)."""

    def leaf(node):
        return 0 if node.is_number else 1  # a symbol, or a function application as one unknown

    def combine(node, ds):
        if node.is_Add:
            return max(ds)
        if node.is_Mul:
            return sum(ds)
        if node.exp.is_Integer:
            return abs(int(node.exp)) * ds[0]
        return 1

    return _fold(expr, leaf, combine)


def tree_size(expr: sympy.Expr) -> int:
    """The number of nodes of ``expr`` as a tree (repeated subtrees counted each time), in time
    linear in its distinct subtrees: a cheap predictor of the cost of ``expand``."""
    return _fold(expr, lambda node: 1, lambda node, sizes: 1 + sum(sizes))


def compare(claim: sympy.Expr, truth: sympy.Expr, seed: int = 0, shrink: bool = True) -> Comparison:
    """Decide ``claim == truth`` exactly (both in leaf symbols; see the module docstring).

    With ``shrink`` a counterexample is made small (unknowns set to 0 or 1 where possible).
    """
    a, b, generic = _atomize(sympy.sympify(claim, strict=True), sympy.sympify(truth, strict=True))
    diff = a - b
    unknowns = sorted(symbols_of(a) | symbols_of(b), key=sympy.default_sort_key)
    if diff == 0:
        return Comparison(True, "expansion", "the two sides are identical")
    rng = random.Random(seed)
    tried_any = False
    claim_undefined = None  # a point where the truth is defined and the claim is not
    fa, fb = _evaluator(a), _evaluator(b)
    for attempt in range(SEARCH_POINTS):
        radius = 1 + attempt // 10
        point = {s: sympy.Integer(rng.randint(-radius, radius + 1)) for s in unknowns}
        va, vb = fa(point), fb(point)
        if va is None and vb is not None and claim_undefined is None:
            claim_undefined = (point, vb)
        if va is None or vb is None:
            continue
        tried_any = True
        nz = _nonzero(va - vb)
        if nz:
            if shrink:
                point, va, vb = _shrink(fa, fb, point)
            shown = {generic.get(s, s): v for s, v in point.items()}
            exact = (va - vb).is_Rational
            return Comparison(
                False,
                "counterexample",
                "" if exact else "the values differ when evaluated to 60 significant digits",
                shown,
                (va, vb),
            )
    rational = _FastRational.build(diff) is not None
    ops = tree_size(diff)
    if ops <= EXPAND_LIMIT:
        num = sympy.together(diff).as_numer_denom()[0] if rational else diff
        if sympy.expand(num) == 0:
            return Comparison(True, "expansion", "claim - truth expands to 0 (an exact identity)")
        if rational:
            return Comparison(False, "expansion", "claim - truth does not expand to 0")
        if sympy.simplify(diff) == 0:
            return Comparison(True, "simplify", "claim - truth simplifies to 0 (sympy.simplify)")
    if rational:
        num = sympy.together(diff).as_numer_denom()[0] if ops <= EXPAND_LIMIT else diff
        d = degree_bound(num)
        for _ in range(RANDOM_POINTS):
            point = {s: sympy.Integer(rng.randint(1, 2**32)) for s in unknowns}
            va, vb = fa(point), fb(point)
            if va is None or vb is None:
                continue
            if va != vb:
                shown = {generic.get(s, s): val for s, val in point.items()}
                return Comparison(False, "random points", "", shown, (va, vb))
        return Comparison(
            True,
            "random points",
            f"claim - truth is 0 at {RANDOM_POINTS} random integer points in [1, 2^32]; its degree is "
            f"at most {d}, so a false pass has probability at most ({d}/2^32)^{RANDOM_POINTS} "
            "(Schwartz-Zippel)",
        )
    if not tried_any:
        # Nothing could be compared: the claim (e.g. log 0) is undefined wherever it was tried.
        # Where the gradient is defined there, they are not the same function.
        if claim_undefined is not None:
            point, vb = claim_undefined
            shown = {generic.get(s, s): v for s, v in point.items()}
            return Comparison(False, "undefined", "the claim is undefined at every point tried, "
                                                  "including this one, where the gradient is defined",
                              shown, (None, vb))
        return Comparison(False, "undefined", "neither side is defined at any point tried; nothing was compared")
    return Comparison(True, "numeric", "not proven: claim - truth was 0 (to 60 digits) at every point tried")


# ----------------------------------------------------------------------------- mistakes


@dataclass(frozen=True)
class MistakenForm:
    """One mistaken version of ∂C/∂wrt: ``kind`` (a key of :data:`MISTAKES`), a ``label`` saying
    exactly which variant, the form in named symbols (``named``) and in leaves (``leaf``)."""

    kind: str
    label: str
    named: sympy.Expr
    leaf: sympy.Expr


def _activation_rules() -> set[str]:
    return {"relu", "leaky_relu", "sigmoid", "tanh", "f"}


def _rebuilt(model: "Model", wrt: sympy.Symbol, partials_of) -> sympy.Expr:
    """∂C/∂wrt (named) by reverse accumulation with each definition's partials replaced by
    ``partials_of(definition)`` (None keeps them)."""
    from .forward import Forward
    from .gradients import build_gradients

    fwd = model.forward
    defs = []
    for d in fwd.definitions:
        new = partials_of(d)
        defs.append(d if new is None else replace(d, partials=tuple(new)))
    forward = Forward(fwd.network, tuple(defs), {d.target: d for d in defs})
    return build_gradients(forward).named(wrt)


def _placement_layers(model: "Model"):
    """The layers whose kind has placement mistakes (:meth:`~symconv.layers.LayerKind.mistaken_partials`)."""
    from .layers import kind_of

    return [layer for layer in model.network.layers if kind_of(layer).mistake_modes]


def conv_partials(model: "Model", layer, mode: str) -> dict:
    """The (symbol, partial) pairs of every output of ``layer`` under a placement ``mode``
    (``"true"``, ``"unrotated"``, ``"no_stride_zeros"``, ``"uncropped"``), by the layer's kind:
    see :meth:`symconv.layers.conv2d.Conv2dKind.mistaken_partials`."""
    from .layers import Context, kind_of

    return kind_of(layer).mistaken_partials(layer, mode, Context(flip=model.spec.convention == "convolution"))


def mistaken_forms(model: "Model", wrt: sympy.Symbol) -> list[MistakenForm]:
    """Every known mistaken version of ∂C/∂wrt that applies to this network and differs from it.

    * ``product_of_sums``: the chain-rule sum Σ_t u_t·p_t (u_t the named upstream gradient, p_t the
      local partial) taken as (Σ_t u_t)·(Σ_t p_t); only when there are ≥ 2 terms.
    * ``kernel_not_rotated``: δ propagated back through conv layer ℓ (or all conv layers) with the
      un-rotated kernel (:func:`conv_partials` mode ``"unrotated"``).
    * ``convention_swapped``: the chain-rule expression (named: δ, o, z) of the same network under
      the other ``convention``, read with this network's forward pass (the backward formulas of the
      other convention); or that network's gradient throughout (its own forward pass too).
    * ``stride_zeros_missing``: conv layer ℓ with stride > 1 treated as if δ were not dilated
      (mode ``"no_stride_zeros"``).
    * ``padding_not_cropped``: conv layer ℓ with top/left padding, input gradient uncropped
      (mode ``"uncropped"``).
    * ``factor_2`` / ``factor_half``: 2·truth and truth/2.
    * ``wrong_layer``: ∂C/∂v for v the same role and flat index in another layer.
    * ``missing_activation_derivative``: every f′(z) factor of layer ℓ (or of all layers) set to 1.
    """
    truth = model.gradients.named(wrt)
    leaf = lambda e: to_leaf(model, e)  # noqa: E731
    table = model.network.table
    forms: list[MistakenForm] = []

    terms = model.gradients[wrt].terms if wrt in model.gradients.by_wrt else ()
    if len(terms) >= 2:
        ups = sympy.Add(*[to_named(model, t.upstream) for t in terms])
        parts = sympy.Add(*[t.partial for t in terms])
        form = ups * parts
        forms.append(MistakenForm("product_of_sums", "the sum of the upstream gradients times the sum of the local partials", form, leaf(form)))

    forms.append(MistakenForm("factor_2", "2 times the gradient", 2 * truth, 2 * leaf(truth)))
    forms.append(MistakenForm("factor_half", "one half of the gradient", truth / 2, leaf(truth) / 2))

    info = table.info[wrt]
    if info.role not in ("input", "target", "adjoint", "delta") and info.layer is not None:
        for layer in model.network.layers:
            if layer.index == info.layer:
                continue
            tensor = next((t for t in layer.tensors() if t.role == info.role), None)
            if tensor is None or info.flat >= len(tensor):
                continue
            other = tensor.symbols[info.flat]
            if other not in model.gradients.by_wrt:
                continue
            form = model.gradients.named(other)
            forms.append(MistakenForm(
                "wrong_layer", f"$\\partial C/\\partial {table.info[other].latex}$: layer {layer.index} instead of layer {info.layer}",
                form, leaf(form),
            ))

    from .forward import build_forward
    from .gradients import build_gradients
    from .network import build_network

    other_conv = "cross-correlation" if model.spec.convention == "convolution" else "convolution"
    if _placement_layers(model):
        swapped = build_gradients(build_forward(build_network(replace(model.spec, convention=other_conv))))
        sym = swapped.forward.network.table.by_name[info.name]
        form = swapped.named(sym)
        forms.append(MistakenForm(
            "convention_swapped", f"the backward formulas of {other_conv} applied to this forward pass",
            form, leaf(form),
        ))
        forms.append(MistakenForm(
            "convention_swapped", f"the gradient of the whole network computed as {other_conv}",
            form, swapped.forward.leaf(form),  # a named form: no δ left to substitute
        ))

    convs = _placement_layers(model)
    for mode, kind, applies in (
        ("unrotated", "kernel_not_rotated", lambda L: L.spec.kernel_size != (1, 1)),
        ("no_stride_zeros", "stride_zeros_missing", lambda L: L.spec.stride != (1, 1)),
        ("uncropped", "padding_not_cropped", lambda L: L.pad[0][0] > 0 or L.pad[1][0] > 0),
    ):
        chosen = [L for L in convs if applies(L)]
        variants = [([L], f"in layer {L.index}") for L in chosen]
        if len(chosen) > 1:
            variants.append((chosen, "in every conv layer"))
        for layers, where in variants:
            table_of = {}
            for L in layers:
                table_of.update(conv_partials(model, L, mode))
            form = _rebuilt(model, wrt, lambda d, t=table_of: t.get(d.target))
            forms.append(MistakenForm(kind, f"{MISTAKES[kind]} {where}", form, leaf(form)))

    act_layers = [L for L in model.network.layers if L.pre is not None]
    variants = [([L], f"$f'$ of layer {L.index} left out") for L in act_layers]
    if len(act_layers) > 1:
        variants.append((act_layers, "every $f'$ left out"))
    for layers, label in variants:
        outs = {o for L in layers for o in L.out.symbols}

        def drop(d, outs=outs):
            if d.target in outs and d.rule in _activation_rules():
                return [(v, sympy.Integer(1)) for v, _ in d.partials]
            return None

        form = _rebuilt(model, wrt, drop)
        forms.append(MistakenForm("missing_activation_derivative", label, form, leaf(form)))
    truth_leaf = leaf(truth)
    # a mistake that does not change this gradient (e.g. a rotation in a layer it does not pass) is no mistake
    return [f for f in forms if f.named != truth and not compare(f.leaf, truth_leaf, shrink=False).equal]


def tidy(expr: sympy.Expr) -> sympy.Expr:
    """An exactly equal, more readable form: ``sympy.factor`` for small expressions, else common
    factors pulled out (``sympy.factor_terms``)."""
    expr = sympy.sympify(expr, strict=True)
    if sympy.count_ops(expr) <= 400 and not expr.atoms(sympy.Function):
        return sympy.factor(expr)
    return sympy.factor_terms(expr)


def to_named(model: "Model", expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with δ and adjoint symbols replaced by their named definitions (o, z kept)."""
    expr = sympy.sympify(expr, strict=True)
    ups = model.gradients.upstream_symbols()
    subs = {s: model.gradients.named(s) for s in expr.free_symbols if s in ups}
    return expr.xreplace(subs) if subs else expr


# ----------------------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class Diagnosis:
    """A proven mistake: the claim equals ``form`` (a :class:`MistakenForm`) exactly."""

    kind: str
    title: str
    label: str
    form: sympy.Expr


@dataclass(frozen=True)
class TermRow:
    """One monomial whose coefficient differs (expanded named forms): ``claim`` vs ``truth``."""

    monomial: sympy.Expr
    claim: sympy.Expr
    truth: sympy.Expr


@dataclass(frozen=True)
class Step:
    """The check of one right-hand side against ∂C/∂wrt.

    ``difference`` = side − truth in named symbols (exactly equal to it; factored where sympy can);
    ``terms`` the monomials whose coefficients differ (at most ``MAX_ROWS``; ``more_terms`` counts the
    rest); the counterexample is ``comparison.point`` (unknowns left out are 0) with
    ``comparison.values`` = (side, truth) there, and ``intermediates`` the values of the named
    intermediates (o, z) at that point, for checking by hand.
    """

    side: Side
    comparison: Comparison
    named: sympy.Expr
    difference: sympy.Expr | None = None
    terms: tuple[TermRow, ...] = ()
    more_terms: int = 0
    diagnoses: tuple[Diagnosis, ...] = ()
    intermediates: tuple[tuple[sympy.Symbol, sympy.Expr], ...] = ()

    @property
    def equal(self) -> bool:
        return self.comparison.equal


@dataclass(frozen=True)
class Verdict:
    """The verdict on a :class:`~symconv.claims.Claim`: ``ok`` when every side equals ∂C/∂wrt."""

    claim: Claim
    truth: sympy.Expr  # named form
    steps: tuple[Step, ...]
    model: object = field(repr=False, compare=False, default=None)

    @property
    def ok(self) -> bool:
        return all(s.equal for s in self.steps)

    @property
    def first_wrong(self) -> Step | None:
        return next((s for s in self.steps if not s.equal), None)


MAX_ROWS = 12


def term_rows(claim: sympy.Expr, truth: sympy.Expr, limit: int = MAX_ROWS) -> tuple[tuple[TermRow, ...], int]:
    """The monomials of ``expand(claim)`` and ``expand(truth)`` whose coefficients differ.

    Returns (rows, how many more rows were left out). Rows are sorted by monomial.
    """
    ca = sympy.expand(claim).as_coefficients_dict()
    cb = sympy.expand(truth).as_coefficients_dict()
    rows = []
    for mono in sorted(set(ca) | set(cb), key=sympy.default_sort_key):
        a, b = ca.get(mono, sympy.Integer(0)), cb.get(mono, sympy.Integer(0))
        if sympy.simplify(a - b) != 0 if not (a.is_number and b.is_number) else a != b:
            rows.append(TermRow(mono, a, b))
    return tuple(rows[:limit]), max(0, len(rows) - limit)


def diagnose(model: "Model", wrt: sympy.Symbol, side_leaf: sympy.Expr) -> tuple[Diagnosis, ...]:
    """The known mistakes the claim (in leaves) equals exactly; empty when none."""
    found = []
    for form in mistaken_forms(model, wrt):
        cmp = compare(side_leaf, form.leaf, shrink=False)
        if cmp.equal and cmp.method != "numeric":
            found.append(Diagnosis(form.kind, MISTAKES[form.kind], form.label, tidy(form.named)))
    return tuple(found)


def _intermediate_values(model: "Model", exprs, point: dict) -> tuple:
    """Values of the forward intermediates (o, z) in ``exprs`` at a counterexample point."""
    if not point or any(not isinstance(k, sympy.Symbol) for k in point):
        return ()
    by_target = model.forward.by_target
    names = sorted({s for e in exprs for s in symbols_of(e) if s in by_target},
                   key=lambda s: model.network.table.info[s].name)
    values = []
    for s in names:
        leaf = model.forward.leaf(s)
        v = _evaluator(leaf)({x: point.get(x, sympy.Integer(0)) for x in symbols_of(leaf)})
        if v is None:
            return ()
        values.append((s, v))
    return tuple(values)


def check_claim(model: "Model", claim: Claim | str) -> Verdict:
    """Check every right-hand side of ``claim`` (text or parsed) against the exact ∂C/∂wrt.

    Raises :class:`~symconv.errors.SpecError` for a malformed claim (see :mod:`symconv.claims`).
    """
    if isinstance(claim, str):
        claim = parse_claim(model, claim)
    wrt = claim.wrt
    truth_named = model.gradients.named(wrt)
    truth_leaf = to_leaf(model, truth_named)
    steps = []
    for side in claim.rhs:
        named = to_named(model, side.expr)
        side_leaf = to_leaf(model, side.expr)
        cmp = compare(side_leaf, truth_leaf)
        if cmp.equal:
            steps.append(Step(side, cmp, named))
            continue
        difference = tidy(sympy.expand(named - truth_named))
        rows, more = term_rows(named, truth_named)
        steps.append(Step(
            side, cmp, named, difference, rows, more, diagnose(model, wrt, side_leaf),
            _intermediate_values(model, (named, truth_named), cmp.point),
        ))
    return Verdict(claim, truth_named, tuple(steps), model)


# ----------------------------------------------------------------------------- rendering

FORMATS = ("text", "md", "tex")


def latex_of(model: "Model", expr) -> str:
    """LaTeX of ``expr`` in the model's notation (the shared :mod:`symconv.latex` printer)."""
    from .latex import latex_of as _latex_of

    return _latex_of(model.network.table, sympy.sympify(expr, strict=True))


def _template_environment(fmt: str):
    """The jinja2 Environment for the verdict templates: the shared one of :mod:`symconv.render`
    (``.tex`` uses ``\\BLOCK{}``, ``\\VAR{}``, ``\\#{}``; StrictUndefined; no autoescape)."""
    from .render import environment

    return environment(fmt)


def verdict_context(verdict: Verdict) -> dict:
    """Plain strings for the templates: every expression already printed as LaTeX."""
    from .notation import escape_latex_text

    model = verdict.model
    table = model.network.table
    wrt = table.info[verdict.claim.wrt].latex
    steps = []
    for k, step in enumerate(verdict.steps, start=1):
        cmp = step.comparison
        entry = {
            "number": k,
            "source": step.side.text,
            "source_tex": escape_latex_text(step.side.text),
            "latex": latex_of(model, step.side.expr),
            "named": latex_of(model, step.named),
            "equal": step.equal,
            "method": cmp.method,
            "note": cmp.note,
            "note_tex": escape_latex_text(cmp.note),
            "difference": latex_of(model, step.difference) if step.difference is not None else "",
            "terms": [
                {"monomial": latex_of(model, r.monomial), "claim": latex_of(model, r.claim),
                 "truth": latex_of(model, r.truth)}
                for r in step.terms
            ],
            "more_terms": step.more_terms,
            "point": [
                {"symbol": latex_of(model, s), "value": latex_of(model, v)}
                for s, v in sorted(cmp.point.items(), key=lambda kv: sympy.default_sort_key(kv[0]))
                if v != 0
            ],
            "zeros": any(v == 0 for v in cmp.point.values()),
            "intermediates": [
                {"symbol": latex_of(model, k), "value": latex_of(model, v)} for k, v in step.intermediates
            ],
            "rewritten": step.named != step.side.expr,
            "claim_value": (r"\text{undefined}" if cmp.values[0] is None else latex_of(model, cmp.values[0]))
            if cmp.values else "",
            "truth_value": latex_of(model, cmp.values[1]) if cmp.values else "",
            "diagnoses": [
                {"kind": d.kind, "title": d.title, "label": d.label, "form": latex_of(model, d.form)}
                for d in step.diagnoses
            ],
        }
        steps.append(entry)
    first = verdict.first_wrong
    return {
        "claim": verdict.claim.text,
        "claim_tex": escape_latex_text(verdict.claim.text),
        "network": escape_latex_text(model.spec.title),
        "network_md": model.spec.title,
        "wrt": wrt,
        "lhs": verdict.claim.lhs.text,
        "truth": latex_of(model, tidy(verdict.truth)),
        "ok": verdict.ok,
        "steps": steps,
        "parted": (verdict.steps.index(first) + 1) if first is not None else 0,
    }


def render_text(verdict: Verdict) -> str:
    """A few plain lines for the terminal: verdict, difference, counterexample, diagnosis."""
    ctx = verdict_context(verdict)
    lines = [f"claim: {ctx['claim']}"]
    lines.append(f"exact: \\frac{{\\partial C}}{{\\partial {ctx['wrt']}}} = {ctx['truth']}")
    for s in ctx["steps"]:
        head = f"step {s['number']}" if len(ctx["steps"]) > 1 else "verdict"
        if s["equal"]:
            lines.append(f"{head}: RIGHT ({s['note']})")
            continue
        lines.append(f"{head}: WRONG: {s['source']}")
        if s["difference"]:
            lines.append(f"  claim - truth = {s['difference']}")
        if s["point"]:
            values = ", ".join(f"{p['symbol']} = {p['value']}" for p in s["point"])
            rest = ", every other symbol = 0" if s["zeros"] else ""
            lines.append(f"  counterexample: {values}{rest}")
            there = "".join(f", {p['symbol']} = {p['value']}" for p in s["intermediates"])
            lines.append(f"    claim = {s['claim_value']}, truth = {s['truth_value']}{there}")
        if s["diagnoses"]:
            for d in s["diagnoses"]:
                lines.append(f"  diagnosis: {d['title']} ({d['label']}); proven: the claim equals {d['form']}")
        else:
            lines.append("  diagnosis: the claim matches no known mistake")
    lines.append("RIGHT" if ctx["ok"] else "WRONG")
    return "\n".join(lines) + "\n"


def render_verdict(verdict: Verdict, fmt: str = "text") -> str:
    """The verdict as ``text``, ``md`` (Markdown with MathJax) or ``tex`` (a LaTeX document)."""
    if fmt == "text":
        return render_text(verdict)
    template = _template_environment(fmt).get_template(f"check.{fmt}.j2")
    return template.render(**verdict_context(verdict))
