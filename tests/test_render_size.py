"""Issue 4's size target: a 64×64 input through two 3×3 conv layers gives its default Markdown and
LaTeX documents in at most 10 s, each at most 1 MB; rendering cost follows what is shown."""

from __future__ import annotations

import time

from symconv.api import Model
from symconv.derivation import derive
from symconv.outputs import render_all
from symconv.render import render
from symconv.spec import spec_from_dict


def _two_layer(n: int) -> Model:
    return Model(spec_from_dict({"title": f"{n}x{n}", "input": {"shape": [1, n, n]},
                                 "layers": [{"kernel_size": 3}, {"kernel_size": 3}]}, name=f"n{n}"))


def test_64x64_default_documents_within_10_s_and_1_mb():
    start = time.perf_counter()
    docs = render_all(_two_layer(64), ["md", "tex"])
    elapsed = time.perf_counter() - start
    assert elapsed <= 10, f"{elapsed:.1f} s"
    for fmt, blob in docs.items():
        assert len(blob) <= 1_000_000, (fmt, len(blob))
    md = docs["md"].decode()
    assert "(3840 more definitions of this layer are computed but not written.)" in md  # 62×62 − 4
    assert r"\quad (\text{3844 terms})" in md
    assert r"\quad (\text{3600 terms})" in md  # the cost: one summand per 60×60 output


def test_rendering_a_large_derivation_prints_only_what_is_shown():
    d = derive(_two_layer(64))
    start = time.perf_counter()
    render(d, "md")
    render(d, "tex")
    assert time.perf_counter() - start < 2.0
