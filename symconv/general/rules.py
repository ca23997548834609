"""The rules of the index algebra.

Each rule is a class with a one-line docstring stating its identity (modelled on the rule tree
of sympy's ``integrals/manualintegrate.py``).  Every identity holds for every integer value of
the sizes; each rule checks its side conditions at every application and raises
:class:`RuleRefused` (naming the rule and the failed condition) when one cannot be proved.
``apply`` returns ``(after, conditions)`` where ``conditions`` lists the side conditions that
were checked.  Indices are 0-based internally.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .algebra import (
    Diff, Div, Eq, Range, Tensor, Term, TermSum, _all_symbols, _x, canon_term, free_symbols,
    fresh,
)

__all__ = [
    "RuleRefused", "Rule", "ChainRule", "Linearity", "TensorDerivative", "SumOut",
    "Substitute", "DropBracket", "Unfold", "Fold", "Reindex", "Rearrange", "RULES",
]


@dataclass(frozen=True)
class Cond:
    """A checked side condition: ``text`` with ``{0}``, ``{1}`` ... filled by ``args``.

    Each arg is ``(kind, value)`` with kind ``tensor`` (a tensor name), ``expr`` (an integer
    expression), ``var`` (an index variable, a position), ``bracket`` (an Iverson bracket) or
    ``eq`` (an equality between positions, printed without brackets).
    """

    text: str
    args: tuple = ()

    def __str__(self) -> str:
        return self.text.format(*[str(a[1]) for a in self.args])


def T_(name):
    return ("tensor", name)


def E_(e):
    return ("expr", sp.sympify(e, strict=True))


class RuleRefused(Exception):
    """A rule's side condition could not be proved; the message names rule and condition."""

    def __init__(self, rule: str, condition: str):
        super().__init__(f"{rule} refused: {condition}")
        self.rule = rule
        self.condition = condition


def _replace_term(expr: TermSum, k: int, new_terms) -> TermSum:
    terms = list(expr.terms)
    if not 0 <= k < len(terms):
        raise IndexError(f"no term {k}")
    return TermSum(tuple(terms[:k]) + tuple(new_terms) + tuple(terms[k + 1:]))


def _depends(defs: dict, name: str, on: str, seen=None) -> bool:
    """Does tensor ``name`` (transitively through definitions) mention tensor ``on``?"""
    if name == on:
        return True
    if name not in defs:
        return False
    seen = set() if seen is None else seen
    if name in seen:
        return False
    seen.add(name)
    for t in defs[name].body.terms:
        for f in t.factors:
            n = f.name if isinstance(f, Tensor) else None
            if n is not None and _depends(defs, n, on, seen):
                return True
    return False


def _is_pos_int(a) -> bool:
    a = sp.sympify(a, strict=True)
    return bool(a.is_integer) and bool(a.is_positive)


class Rule:
    """Base class; ``name`` is the label printed next to each proof line."""

    name = "rule"

    @classmethod
    def identity(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0]

    def refuse(self, condition: str):
        raise RuleRefused(self.name, condition)


class ChainRule(Rule):
    """dC/dT[a] = sum over the full domain of z of dC/dz[q,i,j] * dz[q,i,j]/dT[a], C a function of z."""

    latex = '\\frac{\\partial C}{\\partial T_{a}} = \\sum_{t} \\frac{\\partial C}{\\partial Z_{t}}\\,\\frac{\\partial Z_{t}}{\\partial T_{a}}'
    side_conditions = 'the sum runs over the full index domain of $Z$; $C$ depends on $T$ only through $Z$.'
    name = "chain rule"

    def __init__(self, cost: str, via: str, delta: str, domain: tuple, defs: dict):
        self.cost, self.via, self.delta, self.domain, self.defs = cost, via, delta, domain, defs

    def box(self, vars_):
        return tuple((v, sp.Integer(0), n) for v, n in zip(vars_, self.domain))

    def apply(self, expr: TermSum, vars_: tuple):
        if len(expr.terms) != 1:
            self.refuse("expects the single term dC/dT[a]")
        t = expr.terms[0]
        if t.box or t.brackets or len(t.factors) != 1 or not isinstance(t.factors[0], Diff):
            self.refuse("expects the single term dC/dT[a]")
        f = t.factors[0]
        if not (isinstance(f.of, Tensor) and f.of.name == self.cost and f.of.idx == ()):
            self.refuse(f"the differentiated quantity is not the cost {self.cost}")
        if f.wrt.name in self.defs:
            self.refuse(f"{f.wrt.name} is not a primitive tensor")
        if not _depends(self.defs, self.via, f.wrt.name):
            self.refuse(f"{self.via} does not depend on {f.wrt.name}")
        taken = _all_symbols(t)
        if set(vars_) & taken or len(set(vars_)) != len(vars_):
            self.refuse("summation variables are not fresh")
        box = self.box(vars_)
        new = Term(t.coeff, box, (), (Tensor(self.delta, vars_), Diff(Tensor(self.via, vars_), f.wrt)))
        conds = [
            Cond("{0} depends on {1} only through {2}", (T_(self.cost), T_(f.wrt.name), T_(self.via))),
            Cond("the box is the full domain of {0}", (T_(self.via),)),
        ]
        return TermSum((new,)), conds


class Linearity(Rule):
    """d/dS[a] sum_box [P] c*F_1...F_r = sum_box [P] c*sum_l F_1..dF_l/dS[a]..F_r (brackets, boxes and c free of tensors)."""

    latex = '\\frac{\\partial}{\\partial S_{a}} \\sum_{v} [P]\\, c\\, F_1 \\cdots F_r = \\sum_{v} [P]\\, c \\sum_{l=1}^{r} F_1 \\cdots \\frac{\\partial F_l}{\\partial S_{a}} \\cdots F_r'
    side_conditions = 'brackets, bounds and the coefficient $c$ do not involve tensors; inner summation variables are renamed apart.'
    name = "linearity, product rule"

    def apply(self, expr: TermSum, k: int, f: int):
        t = expr.terms[k]
        fac = t.factors[f]
        if not (isinstance(fac, Diff) and isinstance(fac.of, TermSum)):
            self.refuse("the factor is not the derivative of a sum")
        taken = _all_symbols(Term(t.coeff, t.box, t.brackets, t.factors[:f] + t.factors[f + 1:]))
        taken |= _all_symbols(fac.wrt)
        out = []
        for inner in fac.of.terms:
            ren = {}
            for v in inner.bound:
                if v in taken:
                    nv = fresh(v, taken | _all_symbols(inner))
                    ren[v] = nv
                    taken = taken | {nv}
            inner = inner.rename_bound(ren) if ren else inner
            taken = taken | set(inner.bound)
            for l in range(len(inner.factors)):
                fl = inner.factors[l]
                if isinstance(fl, Diff):
                    self.refuse("nested derivatives are not supported")
                facs = inner.factors[:l] + (Diff(fl, fac.wrt),) + inner.factors[l + 1:]
                out.append(Term(
                    _x(t.coeff * inner.coeff), t.box + inner.box, t.brackets + inner.brackets,
                    t.factors[:f] + facs + t.factors[f + 1:],
                ))
        conds = [Cond("brackets, bounds and coefficients do not involve tensors"),
                 Cond("inner summation variables renamed apart")]
        return _replace_term(expr, k, out), conds


class TensorDerivative(Rule):
    """dT[e]/dT[a] = prod_k [e_k = a_k]; dT[e]/dS[a] = 0 when T does not depend on S."""

    latex = '\\frac{\\partial T_{e_1,\\dots,e_r}}{\\partial T_{a_1,\\dots,a_r}} = \\prod_{k=1}^{r} [e_k = a_k], \\qquad \\frac{\\partial T_{e}}{\\partial S_{a}} = 0'
    side_conditions = 'the elements of a primitive tensor are independent variables; the second form when $T$ does not depend on $S$ (checked through the definitions).'
    name = "tensor derivative"

    def __init__(self, defs: dict):
        self.defs = defs

    def apply(self, expr: TermSum):
        out = []
        conds = set()
        changed = False
        for t in expr.terms:
            brackets = list(t.brackets)
            factors = []
            dead = False
            for fac in t.factors:
                if isinstance(fac, Diff) and isinstance(fac.of, Tensor):
                    T, S = fac.of, fac.wrt
                    if S.name in self.defs:
                        self.refuse(f"{S.name} is not a primitive tensor")
                    if T.name == S.name:
                        if len(T.idx) != len(S.idx):
                            self.refuse(f"rank mismatch for {T.name}")
                        brackets += [Eq(_x(e), _x(a)) for e, a in zip(T.idx, S.idx)]
                        conds.add(Cond("the elements of {0} are independent variables", (T_(T.name),)))
                    elif not _depends(self.defs, T.name, S.name):
                        dead = True
                        conds.add(Cond("{0} does not depend on {1}", (T_(T.name), T_(S.name))))
                    else:
                        factors.append(fac)  # defined and depends on S: unfold it first
                        continue
                    changed = True
                else:
                    factors.append(fac)
            if not dead:
                out.append(Term(t.coeff, t.box, tuple(brackets), tuple(factors)))
        if not changed:
            self.refuse("no derivative of a tensor element to evaluate")
        return TermSum(tuple(out)), sorted(conds, key=str)


class SumOut(Rule):
    """sum_{lo<=v<hi} [a*v + r = 0] F(v) = [a | r] [lo <= -r/a < hi] F(-r/a), a a positive integer free of bound variables, r an integer."""

    latex = '\\sum_{v=\\ell}^{h} [a v + r = 0]\\, F(v) = [a \\mid r]\\, [\\ell \\le -r/a \\le h]\\, F(-r/a)'
    side_conditions = '$a$ provably a positive integer containing no summation variable, $r$ provably an integer, no other bound depending on $v$; refused otherwise.'
    name = "sum out"
    keep_divisibility = True
    keep_range = True

    def apply(self, expr: TermSum, k: int, v: sp.Symbol, bracket: int | None = None):
        t = expr.terms[k]
        if v not in t.bound:
            self.refuse(f"{v} is not a summation variable")
        pos = t.bound.index(v)
        _, lo, hi = t.box[pos]
        cands = [b for b in range(len(t.brackets)) if isinstance(t.brackets[b], Eq)
                 and v in (t.brackets[b].lhs - t.brackets[b].rhs).free_symbols]
        if bracket is None:
            if not cands:
                self.refuse(f"no equality bracket constrains {v}")
            bracket = cands[0]
        elif bracket not in cands:
            self.refuse(f"bracket {bracket} is not an equality involving {v}")
        br = t.brackets[bracket]
        e = _x(br.lhs - br.rhs)
        a = _x(e.coeff(v))
        r = _x(e - a * v)
        if v in r.free_symbols or v in a.free_symbols:
            self.refuse(f"the equality is not affine in {v}")
        bound = set(t.bound)
        if a.free_symbols & bound:
            self.refuse(f"the coefficient {a} of {v} contains a bound variable")
        conds = []
        if bool(a.is_integer) and bool(a.is_negative):
            a, r = _x(-a), _x(-r)
            conds.append(Cond("equality oriented so that the coefficient is positive"))
        if not _is_pos_int(a):
            self.refuse(f"the coefficient {a} of {v} is not provably a positive integer")
        if not r.is_integer:
            self.refuse(f"the remainder {r} is not provably an integer")
        for w, lo2, hi2 in t.box[pos + 1:]:
            if v in lo2.free_symbols | hi2.free_symbols:
                self.refuse(f"the bounds of {w} depend on {v}")
        val = _x(-r / a)
        rest = Term(t.coeff, t.box[:pos] + t.box[pos + 1:],
                    t.brackets[:bracket] + t.brackets[bracket + 1:], t.factors)
        # v is no longer bound in ``rest``; substitute it as a free symbol
        new = rest.sub({v: val})
        extra = []
        if a != 1 and self.keep_divisibility:
            extra.append(Div(a, _x(-r)))
        if self.keep_range:
            extra.append(Range(val, lo, hi))
        conds.append(Cond("the coefficient {0} of {1} is a positive integer free of summation variables",
                          (E_(a), ("var", v))))
        if a == 1:
            conds.append(Cond("the solution {0} is an integer, so the divisibility bracket is true",
                              (("eq", Eq(v, val)),)))
        else:
            conds.append(Cond("{0} is an integer", (E_(_x(-r)),)))
            if self.keep_divisibility:
                conds.append(Cond("divisibility bracket {0} kept", (("bracket", Div(a, _x(-r))),)))
        if self.keep_range:
            conds.append(Cond("range bracket kept"))
        new = Term(new.coeff, new.box, new.brackets + tuple(extra), new.factors)
        return _replace_term(expr, k, [new]), conds


class Substitute(Rule):
    """[v = e] F(v) = [v = e] F(e); and F(v) = F(e) under a stated hypothesis v = e."""

    latex = '[v = e]\\, F(v) = [v = e]\\, F(e)'
    side_conditions = '$e$ does not contain $v$; also $F(v) = F(e)$ under a stated hypothesis $v = e$.'
    name = "substitution"

    def apply(self, expr: TermSum, k: int | None, v: sp.Symbol, e, bracket: int | None = None,
              hypotheses: tuple = ()):
        e = _x(e)
        if v in e.free_symbols:
            self.refuse(f"{v} occurs in {e}")
        if bracket is None:
            hyp = [h for h in hypotheses if isinstance(h, Eq) and _x(h.lhs - h.rhs - (v - e)) == 0]
            if not hyp:
                self.refuse(f"{v} = {e} is not a stated hypothesis")
            for t in expr.terms:
                if v in t.bound:
                    self.refuse(f"{v} is bound")
            return expr.sub({v: e}), [Cond("hypothesis {0}", (("sizes_eq", Eq(v, e)),))]
        t = expr.terms[k]
        br = t.brackets[bracket]
        if not isinstance(br, Eq):
            self.refuse("the bracket is not an equality")
        d = _x(br.lhs - br.rhs)
        if not (_x(d - (v - e)) == 0 or _x(d + (v - e)) == 0):
            self.refuse(f"the bracket is not [{v} = {e}]")
        m = {v: e}
        others = tuple(b if i == bracket else b.sub(m) for i, b in enumerate(t.brackets))
        new = Term(t.coeff, t.box, others, tuple(f.sub(m) for f in t.factors))
        if v in t.bound:
            for w, lo, hi in t.box:
                if v in lo.free_symbols | hi.free_symbols:
                    self.refuse(f"the bounds of {w} depend on {v}")
        return _replace_term(expr, k, [new]), [Cond("bracket {0} kept", (("bracket", br),))]


class DropBracket(Rule):
    """[P] F = F when P is trivially true or is a stated hypothesis."""

    latex = '[P]\\, F = F'
    side_conditions = '$P$ trivially true (for every admissible value of the sizes) or a stated hypothesis on free indices.'
    name = "drop bracket"

    def apply(self, expr: TermSum, k: int, bracket: int, hypotheses: tuple = ()):
        t = expr.terms[k]
        br = t.brackets[bracket]
        why = None
        if isinstance(br, Eq) and _x(br.lhs - br.rhs) == 0:
            why = "trivially true"
        elif isinstance(br, Div):
            q = _x(sp.sympify(br.e, strict=True) / br.a)
            if br.a == 1 or q.is_integer:
                why = "trivially true"
        elif isinstance(br, Range):
            # for integers: x >= 0 iff x + 1 > 0, and e < hi iff hi - e > 0
            if (_x(br.e - br.lo + 1).is_positive or _x(br.e - br.lo).is_nonnegative) and \
                    _x(br.hi - br.e).is_positive:
                why = "trivially true"
        if why is None and any(h.canon() == br.canon() for h in hypotheses):
            why = "a stated hypothesis"
        if why is None:
            self.refuse("the bracket is neither trivially true nor a stated hypothesis")
        syms = set().union(*[sp.sympify(x, strict=True).free_symbols for x in br.exprs()])
        if why != "trivially true" and syms & set(t.bound):
            self.refuse("a hypothesis cannot mention summation variables")
        new = Term(t.coeff, t.box, t.brackets[:bracket] + t.brackets[bracket + 1:], t.factors)
        return _replace_term(expr, k, [new]), [Cond("{0} is " + why, (("bracket", br),))]


class Unfold(Rule):
    """T[e] = body_T(e) for a definition T[p] := body_T(p) (bound variables renamed apart)."""

    latex = 'T_{e} = B_T(e) \\quad\\text{for a definition } T_{p} := B_T(p)'
    side_conditions = 'bound variables of the body renamed apart.'
    name = "unfold definition"

    def __init__(self, defs: dict):
        self.defs = defs

    def apply(self, expr: TermSum, k: int, f: int):
        t = expr.terms[k]
        fac = t.factors[f]
        if isinstance(fac, Diff):
            if not isinstance(fac.of, Tensor) or fac.of.name not in self.defs:
                self.refuse("the factor is not the derivative of a defined tensor")
            body = self.defs[fac.of.name].instantiate(fac.of.idx, _all_symbols(t))
            new = Term(t.coeff, t.box, t.brackets,
                       t.factors[:f] + (Diff(body, fac.wrt),) + t.factors[f + 1:])
            return _replace_term(expr, k, [new]), [Cond("definition of {0}", (T_(fac.of.name),))]
        if not (isinstance(fac, Tensor) and fac.name in self.defs):
            self.refuse("the factor is not a defined tensor")
        body = self.defs[fac.name].instantiate(fac.idx, _all_symbols(t))
        out = [_merge(t, f, inner) for inner in body.terms]
        return _replace_term(expr, k, out), [Cond("definition of {0}", (T_(fac.name),))]


def _merge(t: Term, f: int, inner: Term) -> Term:
    """t with factor f replaced by the (renamed-apart) term ``inner``."""
    return Term(_x(t.coeff * inner.coeff), t.box + inner.box, t.brackets + inner.brackets,
                t.factors[:f] + inner.factors + t.factors[f + 1:])


class Fold(Rule):
    """body_T(e) = T[e]: replace an occurrence of a definition's body by T[e], only when unfolding T[e] reproduces the term."""

    latex = 'B_T(e) = T_{e}'
    side_conditions = 'applied only when unfolding the new factor reproduces the term exactly.'
    name = "fold definition"

    def __init__(self, defs: dict):
        self.defs = defs

    def build(self, t: Term, name: str, args: tuple, absorb: tuple) -> Term:
        d = self.defs[name]
        if len(d.body.terms) != 1:
            self.refuse(f"{name} has more than one term")
        body = d.body.terms[0]
        if len(body.bound) != len(absorb):
            self.refuse(f"{name} binds {len(body.bound)} variables, {len(absorb)} given")
        inst = body.rename_bound(dict(zip(body.bound, absorb))).sub(dict(zip(d.params, args)))
        box = list(t.box)
        for entry in inst.box:
            if entry not in box:
                self.refuse(f"the summation {entry[0]} in [{entry[1]}, {entry[2]}) is not in the term")
            box.remove(entry)
        brs = list(t.brackets)
        for b in inst.brackets:
            hit = [x for x in brs if x.canon() == b.canon()]
            if not hit:
                self.refuse(f"the bracket {b} is not in the term")
            brs.remove(hit[0])
        facs = list(t.factors)
        for fc in inst.factors:
            hit = [x for x in facs if x.canon() == fc.canon()]
            if not hit:
                self.refuse(f"the factor {fc.name}{list(fc.idx)} is not in the term")
            facs.remove(hit[0])
        coeff = _x(t.coeff / inst.coeff)
        return Term(coeff, tuple(box), tuple(brs), tuple(facs) + (Tensor(name, tuple(_x(a) for a in args)),))

    def apply(self, expr: TermSum, k: int, name: str, args: tuple, absorb: tuple):
        if name not in self.defs:
            self.refuse(f"{name} is not defined")
        t = expr.terms[k]
        new = self.build(t, name, args, absorb)
        # verification: unfolding the new factor (with the absorbed names) reproduces the term
        d = self.defs[name]
        body = d.body.terms[0]
        back = body.rename_bound(dict(zip(body.bound, absorb))).sub(dict(zip(d.params, new.factors[-1].idx)))
        for v in absorb:
            if v in free_symbols(new):
                self.refuse(f"{v} is still used outside the folded part")
        redo = _merge(new, len(new.factors) - 1, back)
        if canon_term(redo) != canon_term(t):
            self.refuse("unfolding the folded term does not reproduce the term")
        return _replace_term(expr, k, [new]), [Cond("unfolding {0} reproduces the term", (T_(name),))]


class Reindex(Rule):
    """sum_{lo<=v<hi} F(v) = sum_{v'} F(sigma*v' + t), v = sigma*v' + t a bijection (sigma = +-1) onto [lo, hi)."""

    latex = "\\sum_{v=\\ell}^{h} F(v) = \\sum_{v'=\\ell'}^{h'} F(\\sigma v' + t), \\quad \\sigma = \\pm 1"
    side_conditions = '$t$ an integer free of $v$ and of inner summation variables, so $v = \\sigma v\' + t$ is a bijection between the ranges.'
    name = "re-index"

    def apply(self, expr: TermSum, k: int, v: sp.Symbol, new: sp.Symbol, sigma: int, shift):
        t = expr.terms[k]
        shift = _x(shift)
        if v not in t.bound:
            self.refuse(f"{v} is not a summation variable")
        if sigma not in (1, -1):
            self.refuse(f"sigma = {sigma} is not +-1: the map is not a bijection of the integers")
        if new in _all_symbols(t) and new != v:
            self.refuse(f"{new} is not fresh")
        pos = t.bound.index(v)
        inner = set(t.bound[pos:])
        if shift.free_symbols & inner:
            self.refuse("the shift depends on the variable or on inner summation variables")
        if not shift.is_integer:
            self.refuse("the shift is not provably an integer")
        _, lo, hi = t.box[pos]
        if sigma == 1:
            nlo, nhi = _x(lo - shift), _x(hi - shift)
        else:
            nlo, nhi = _x(shift - hi + 1), _x(shift - lo + 1)
        m = {v: _x(sigma * new + shift)}
        rest = Term(t.coeff, t.box[:pos] + t.box[pos + 1:], t.brackets, t.factors).sub(m)
        box = list(rest.box)
        box.insert(pos, (new, nlo, nhi))
        out = Term(rest.coeff, tuple(box), rest.brackets, rest.factors)
        return _replace_term(expr, k, [out]), [Cond(
            "{0} maps the range of {1} one-to-one onto the range of {2}",
            (("eq", Eq(v, m[v])), ("var", new), ("var", v)))]


class Rearrange(Rule):
    """[A = B] = [A' = B'] when A - B = +-(A' - B')."""

    latex = "[A = B] = [A' = B'] \\quad\\text{when } A - B = \\pm (A' - B')"
    side_conditions = 'the two equalities have the same solutions.'
    name = "rearrange bracket"

    def apply(self, expr: TermSum, k: int, bracket: int, lhs, rhs):
        t = expr.terms[k]
        br = t.brackets[bracket]
        if not isinstance(br, Eq):
            self.refuse("the bracket is not an equality")
        d, d2 = _x(br.lhs - br.rhs), _x(sp.sympify(lhs, strict=True) - rhs)
        if not (_x(d - d2) == 0 or _x(d + d2) == 0):
            self.refuse("the two equalities differ")
        brs = list(t.brackets)
        brs[bracket] = Eq(_x(lhs), _x(rhs))
        new = Term(t.coeff, t.box, tuple(brs), t.factors)
        return _replace_term(expr, k, [new]), [Cond("both sides differ only by a sign")]


RULES = [ChainRule, Linearity, TensorDerivative, SumOut, Substitute, DropBracket, Unfold, Fold,
         Reindex, Rearrange]
