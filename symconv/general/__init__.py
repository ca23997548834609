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
    """Derive the convolution gradients for symbolic sizes, one rule application at a time.

    Forward (0-based internally): ``z[q,i,j] = b[q] + sum_{c,m,n} w[q,c,m,n] *
    xp[c, s*i + d*m, s*j + d*n]`` with ``xp`` the input zero-padded by ``p`` on every side and
    ``i < H_out``, ``j < W_out`` for free symbols ``H_out``, ``W_out`` (the output-size formula is
    never used).  With ``delta = dC/dz`` the derivations give

    * ``dC/dw[q,c,m,n] = sum_{i,j} delta[q,i,j] xp[c, s*i + d*m, s*j + d*n]``;
    * ``dC/db[q] = sum_{i,j} delta[q,i,j]``;
    * ``dC/dx[c,u,v] = sum_{q,i,j,m,n} [s*i + d*m = u + p][s*j + d*n = v + p] delta[q,i,j] w[q,c,m,n]``,
      the same with the output position summed out (divisibility brackets ``[s | u + p - d*m]``),
      and ``sum_{q,m,n} w[q,c,m,n] dhat[q, u + p - d*m, v + p - d*n]`` (``dhat`` zero-inserted);
    * for ``s = d = 1``: the full convolution of the padded delta with the 180-degree rotated kernel;
    * the transposed convolution ``zt[q,i,j] = sum_{c,u,v,m,n} [i = s*u + d*m - p]
      [j = s*v + d*n - p] wt[c,q,m,n] xt[c,u,v]`` (PyTorch ``ConvTranspose2d``, kernel indexed
      input channel first), with ``dt = dC/dzt``: ``dC/dwt[c,q,m,n] = sum_{u,v} [0 <= s*u + d*m - p
      < H_out][...] dt[q, s*u + d*m - p, s*v + d*n - p] xt[c,u,v]`` and ``dC/dxt[c,u,v] =
      sum_{q,m,n} [...] dt[q, s*u + d*m - p, s*v + d*n - p] wt[c,q,m,n]`` (an ordinary strided,
      dilated cross-correlation of dt with the kernel).

    ``notation`` only selects the letters used when rendering: ``"seed"`` (input ``i``, kernel
    ``w``, bias ``b``, output ``o``, ``delta``; index letters q, c, y, x, m, n, u, v) or
    ``"goodfellow"`` (input ``V``, kernel ``K``, output ``Z``, cost ``J``, ``G = dJ/dZ``; index
    letters i, l, j, k, m, n, u, v).  Rendered documents are 1-based throughout.

    Raises ``ValueError`` for an unknown notation; a rule whose side condition cannot be proved
    raises :class:`RuleRefused` (never for the shipped derivations).

    Source: Goodfellow, Bengio & Courville, *Deep Learning*, sec. 9.5, eqs 9.11-9.13;
    Dumoulin & Visin (2016).
    """
    from .derivations import DEFS, build_derivations, rules_used

    if notation not in NOTATIONS:
        raise ValueError(f"unknown notation {notation!r}; expected one of {', '.join(NOTATIONS)}")
    ders = build_derivations()
    return GeneralProof(notation, DEFS, ders, rules_used(ders))


def render_general(proof: GeneralProof, fmt: str) -> str:
    """Render ``proof`` as Markdown (``"md"``) or a standalone LaTeX document (``"tex"``).

    Each proof line names the rule that justifies it and the side conditions checked; a legend
    states every rule.  Indices are 1-based in the whole document.  The output is deterministic
    (byte-identical between runs).  The ``.tex`` document (article, amsmath, amssymb,
    ``\\allowdisplaybreaks``, geometry margins) compiles with pdflatex without overfull boxes.

    Raises ``ValueError`` for a format other than ``"md"`` or ``"tex"``.
    """
    from .render import render

    if not isinstance(proof, GeneralProof):
        raise ValueError(f"expected a GeneralProof from prove_general(), got {type(proof).__name__}")
    return render(proof, fmt)
