"""Issue 4's size target: a 64×64 input through two 3×3 conv layers gives default Markdown and LaTeX
documents of at most 1 MB each, eliding what is not shown. Their time targets (10 s; rendering
follows what is shown) are measured in bench/bench.py, not asserted here (a loaded machine is not a
slow program)."""

from __future__ import annotations

from symconv.api import Model
from symconv.derivation import derive
from symconv.outputs import render_all
from symconv.render import render
from symconv.spec import spec_from_dict


def _two_layer(n: int) -> Model:
    return Model(spec_from_dict({"title": f"{n}x{n}", "input": {"shape": [1, n, n]},
                                 "layers": [{"kernel_size": 3}, {"kernel_size": 3}]}, name=f"n{n}"))


def test_64x64_default_documents_within_1_mb():
    docs = render_all(_two_layer(64), ["md", "tex"])
    for fmt, blob in docs.items():
        assert len(blob) <= 1_000_000, (fmt, len(blob))
    md = docs["md"].decode()
    assert "(3840 more definitions of this layer are computed but not written.)" in md  # 62×62 − 4
    assert r"\quad (\text{3844 terms})" in md
    assert r"\quad (\text{3600 terms})" in md  # the cost: one summand per 60×60 output


def test_rendering_a_large_derivation_prints_only_what_is_shown(monkeypatch):
    """Rendering prints (with sympy's printer) only the expressions a document shows: as many
    printed expressions for a 64×64 input (3844 elided definitions) as for a 16×16 one."""
    from sympy.printing.latex import LatexPrinter

    calls = []
    real = LatexPrinter.doprint
    monkeypatch.setattr(LatexPrinter, "doprint",
                        lambda self, expr: calls.append(1) or real(self, expr))
    counts = []
    for n in (16, 64):
        d = derive(_two_layer(n))
        calls.clear()
        render(d, "md")
        render(d, "tex")
        counts.append(len(calls))
    assert counts[0] == counts[1] > 0, counts
