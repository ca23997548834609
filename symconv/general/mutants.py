"""Deliberately wrong variants of the rules and definitions (for the mutation tests).

Each mutant must be caught by :func:`symconv.general.check.run_check` (or refused by the real
rule).  None of them is used by :func:`symconv.general.prove_general`.
"""

from __future__ import annotations

from .algebra import Definition, Eq, Tensor, Term, TermSum
from .derivations import DEFS, SHAPES, build_derivations, derive_db, derive_dw, derive_dx, derive_dx_solved, toolkit
from .rules import ChainRule, Fold, SumOut, _replace_term

__all__ = ["MUTANTS", "mutant_derivations"]


class SumOutNoDivisibility(SumOut):
    """MUTANT: sums out without keeping the divisibility bracket [a | r]."""

    keep_divisibility = False


class SumOutNoRange(SumOut):
    """MUTANT: sums out without keeping the range bracket."""

    keep_range = False


class ChainRuleShortBox(ChainRule):
    """MUTANT: the chain-rule box misses the last output row."""

    def box(self, vars_):
        box = list(super().box(vars_))
        v, lo, hi = box[1]
        box[1] = (v, lo, hi - 1)
        return tuple(box)


class FoldWrongIndex(Fold):
    """MUTANT: folds the zero-inserted delta with its row index off by one, unverified."""

    def apply(self, expr, k, name, args, absorb):
        new = self.build(expr.terms[k], name, args, absorb)
        f = new.factors[-1]
        if name == "dhat":
            f = Tensor(f.name, (f.idx[0], f.idx[1] + 1) + tuple(f.idx[2:]))
        new = Term(new.coeff, new.box, new.brackets, new.factors[:-1] + (f,))
        return _replace_term(expr, k, [new]), []


def padding_off_by_one_defs() -> dict:
    """MUTANT definitions: the zero padding shifted by one ([U = u + p + 1])."""
    defs = dict(DEFS)
    xp = defs["xp"]
    t = xp.body.terms[0]
    (e0, e1) = t.brackets
    brs = (Eq(e0.lhs, e0.rhs + 1), e1)
    defs["xp"] = Definition("xp", xp.params, TermSum((Term(t.coeff, t.box, brs, t.factors),)),
                            xp.description)
    return defs


def mutant_derivations(kind: str):
    """(derivations, defs) built with one mutation."""
    defs = DEFS
    if kind == "no-divisibility":
        kit = toolkit(sumout=SumOutNoDivisibility())
    elif kind == "no-range":
        kit = toolkit(sumout=SumOutNoRange())
    elif kind == "padding-off-by-one":
        defs = padding_off_by_one_defs()
        kit = toolkit(defs)
        # the later input-gradient forms refuse to fold/rearrange the shifted brackets
        return [derive_dw(kit), derive_db(kit), derive_dx(kit)], defs
    elif kind == "chain-box-short":
        kit = toolkit(chain=ChainRuleShortBox("C", "z", "delta", SHAPES["z"], DEFS))
        dx = derive_dx(kit)
        # folding the zero-inserted delta refuses the short box; the rest must be caught
        return [derive_dw(kit), derive_db(kit), dx, derive_dx_solved(kit, dx)], defs
    elif kind == "wrong-fold-index":
        kit = toolkit(fold=FoldWrongIndex(DEFS))
    else:
        raise ValueError(f"unknown mutant {kind!r}")
    return build_derivations(kit), defs


MUTANTS = ("no-divisibility", "no-range", "padding-off-by-one", "chain-box-short",
           "wrong-fold-index")
