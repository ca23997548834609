"""General (symbolic-size) derivations of the convolution gradients in index notation.

Public API (wired into ``symconv prove --general`` by the CLI):

* :func:`prove_general` -- run the derivations (symbolic H, W, k_h, k_w, s, p, d, C_in, C_out,
  H_out, W_out; 0-based internally) and return a :class:`GeneralProof`;
* :func:`render_general` -- render a proof as Markdown (``"md"``) or a standalone LaTeX
  document (``"tex"``), indices 1-based;
* :func:`check_general` -- the ``--check N`` link to concrete sizes, returning a
  :class:`CheckReport`.

Source: Goodfellow, Bengio & Courville, *Deep Learning*, sec. 9.5, eqs 9.11-9.13;
Dumoulin & Visin, *A guide to convolution arithmetic for deep learning* (2016).
"""

from .check import CheckReport, check_general
from .derivations import GeneralProof
from .rules import RuleRefused

__all__ = ["prove_general", "render_general", "check_general", "GeneralProof", "CheckReport",
           "RuleRefused", "NOTATIONS"]

NOTATIONS = ("seed", "goodfellow")


def prove_general(notation: str = "seed") -> GeneralProof:
    """Derive the general gradients; ``notation`` is ``"seed"`` or ``"goodfellow"``.

    Raises ``ValueError`` for an unknown notation.
    """
    from .derivations import DEFS, build_derivations, rules_used

    if notation not in NOTATIONS:
        raise ValueError(f"unknown notation {notation!r}; expected one of {', '.join(NOTATIONS)}")
    ders = build_derivations()
    return GeneralProof(notation, DEFS, ders, rules_used(ders))


def render_general(proof: GeneralProof, fmt: str) -> str:
    """Render ``proof`` as ``"md"`` or ``"tex"``; raises ``ValueError`` for another format."""
    from .render import render

    return render(proof, fmt)
