r"""Budgets on expression growth (issue 16 item 1): the size of a gradient written in named or leaf
form is estimated from the chain-rule terms before it is built, and a form too large to build is
refused in one line naming the field, unless ``allow_large``.

The estimates (:meth:`Gradients.leaf_size`, :meth:`Gradients.named_size`) grow exponentially with
depth on deep networks (tests/hostile/deep_dense.toml: 10^21 at the first dense layer), which
is exactly what used to hang ``formula --form leaf`` and ``check`` for minutes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy

import symconv
from symconv import size
from symconv.errors import SpecError

ROOT = Path(__file__).resolve().parent.parent
DEEP = ROOT / "tests" / "hostile" / "deep_dense.toml"


def occurrences(expr) -> int:
    return sum(1 for node in sympy.preorder_traversal(expr) if node.is_Symbol)


@pytest.mark.parametrize("source", ["example:seed", str(ROOT / "examples" / "two_channel_stride2.toml"),
                                    str(ROOT / "examples" / "signal_1d.toml")])
def test_the_leaf_size_estimate_tracks_the_leaf_forms_built(source):
    """Within a factor of 10 of the symbol occurrences of every leaf-form gradient built."""
    model = symconv.load(source)
    grads = model.gradients
    for s in grads.by_wrt:
        built = occurrences(grads.leaf(s))
        if built:
            assert built / 10 <= grads.leaf_size(s) <= 10 * built, s


def test_seed_sizes_are_exact_numbers():
    """By hand: o1_k = Σ of 4 products reads 8 leaves (size 1 + 8 = 9); o2 reads w2 (4 × 1) and
    o1 (4 × 9): 41; C = (o2 − y)² reads o2: 42. ∂C/∂o2 = 2(o2 − y): 1 (the cost) + 1 + 41 + 1 =
    44; ∂C/∂o1_k = ∂C/∂o2 · w2_k: 45; ∂C/∂w1_1 = Σ over 4 outputs of (45 + 1 for i): 184."""
    model = symconv.load("example:seed")
    w = model.symbol("w1_1")
    assert (model.gradients.leaf_size(w), model.gradients.named_size(w)) == (184, 40)
    assert model.forward.leaf_size(model.network.cost) == 42


def test_a_deep_network_s_forms_are_refused_through_the_api():
    model = symconv.load(DEEP)
    w = model.symbol("w2_1")
    assert model.gradients.leaf_size(w) > 10**20
    for form in ("named", "leaf"):
        with pytest.raises(SpecError) as info:
            model.gradient(w, form=form, factor=False)
        assert info.value.field == "form"
        assert f"∂C/∂w2_1 in {form} form would have about 10^" in str(info.value)
    with pytest.raises(SpecError) as info:
        model.cost(form="leaf")
    assert info.value.field == "form"
    assert model.gradient(w, form="delta") != 0  # the chain-rule sum is always affordable
    with pytest.raises(SpecError) as info:
        model.check(r"\partial C/\partial w_1^{2} = 0")
    assert info.value.field == "claim"


def test_allow_large_goes_on_past_the_form_budget(monkeypatch):
    monkeypatch.setattr(size, "FORM_SIZE_LIMIT", 10)
    with pytest.raises(SpecError):
        symconv.load("example:seed").gradient("w1_1", form="leaf")
    expr = symconv.load("example:seed", allow_large=True).gradient("w1_1", form="leaf", factor=False)
    assert expr == symconv.load("example:seed").gradients.leaf(sympy.Symbol("w1_1"))
