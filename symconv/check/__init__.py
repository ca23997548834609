r"""Check a claimed gradient against the exact one: verdict, difference, counterexample, diagnosis.

One home each:

* :mod:`symconv.check.verdict`: :func:`check_claim`, the stable public entry point for judging
  one claim (text or a parsed :class:`~symconv.claims.Claim`) against a
  :class:`~symconv.api.Model`; returns a :class:`Verdict` (``verdict.ok``; one :class:`Step` per
  right-hand side).
* :mod:`symconv.check.mistakes`: the mistake catalogue, one rule object per mistake
  (:data:`RULES`), each built on the layers' own rules; :data:`MISTAKES` their titles.
* :mod:`symconv.check.report`: the verdict report (text, Markdown, LaTeX).

Equality is decided by the one engine of symconv, :func:`symconv.verify.compare` (in leaf form:
inputs, weights, biases, targets; δ and intermediates replaced by their definitions). A mistake
is named only when the claim equals its mistaken form exactly.
"""

from ..verify import Comparison, compare, degree_bound, symbols_of, tree_size
from .mistakes import (
    MISTAKES,
    RULES,
    MistakenForm,
    MistakeRule,
    conv_partials,
    mistaken_forms,
    to_named,
)
from .report import (
    FORMATS,
    latex_of,
    render_report,
    render_text,
    render_verdict,
    summary_line,
    verdict_context,
)
from .verdict import (
    Diagnosis,
    Step,
    TermRow,
    Verdict,
    check_claim,
    diagnose,
    term_rows,
    tidy,
)

__all__ = [
    "FORMATS", "MISTAKES", "RULES", "Comparison", "Diagnosis", "MistakeRule", "MistakenForm", "Step", "TermRow",
    "Verdict", "check_claim", "compare", "conv_partials", "degree_bound", "diagnose", "latex_of", "mistaken_forms",
    "render_report", "render_text", "render_verdict", "summary_line", "symbols_of", "term_rows", "tidy", "to_named", "tree_size", "verdict_context",
]
