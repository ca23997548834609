"""The printed index formulas are the network's own index arithmetic.

For conv and pooling layers (stride, padding, dilation, both conventions, index base 0 and 1),
the window formula of the document (output (i, j) reads input (u, v) through kernel position
(m, n); input (u, v) is read by output ((u − …)/s + base, …)) is evaluated at every index and
compared with what the forward definitions actually read: the same (output, kernel position,
input) triples, both ways."""

from __future__ import annotations

import itertools

import pytest
import sympy

import symconv
from symconv.indices import WindowIndices, window_indices

CASES = [
    {"kernel_size": 3},
    {"kernel_size": [2, 3], "stride": 2, "padding": 1},
    {"kernel_size": 2, "stride": [1, 2], "dilation": [2, 1], "padding": [[1, 0], [0, 2]]},
    {"kernel_size": 3, "stride": 3, "padding": [[2, 1], [0, 2]]},
    {"kernel_size": 4, "padding": "same"},
    {"kernel_size": 3, "dilation": 2, "padding": 2},
]


def _spec(layer: dict, style: str, convention: str, shape=(1, 7, 6)) -> dict:
    return {"title": "t", "convention": convention, "notation": {"style": style},
            "input": {"shape": list(shape)}, "layers": [layer], "cost": {"type": "half_sse"}}


def _formula_triples(w: WindowIndices, base, out_hw, in_hw, kernel):
    i, j, m, n, u, v = sympy.symbols("i j m n u v")
    by_output, by_input = set(), set()
    for oi, oj, km, kn in itertools.product(range(out_hw[0]), range(out_hw[1]), range(kernel[0]), range(kernel[1])):
        at = {i: oi + base, j: oj + base, m: km + base, n: kn + base}
        ui, vi = int(w.u.subs(at)) - base, int(w.v.subs(at)) - base
        if 0 <= ui < in_hw[0] and 0 <= vi < in_hw[1]:
            by_output.add(((oi, oj), (km, kn), (ui, vi)))
    for ui, vi, km, kn in itertools.product(range(in_hw[0]), range(in_hw[1]), range(kernel[0]), range(kernel[1])):
        at = {u: ui + base, v: vi + base, m: km + base, n: kn + base}
        ri = sympy.Rational(w.row_numerator.subs(at), w.stride[0])
        rj = sympy.Rational(w.col_numerator.subs(at), w.stride[1])
        if ri.is_integer and rj.is_integer and 0 <= ri < out_hw[0] and 0 <= rj < out_hw[1]:
            by_input.add(((int(ri), int(rj)), (km, kn), (ui, vi)))
    return by_output, by_input


@pytest.mark.parametrize("convention", ["cross-correlation", "convolution"])
@pytest.mark.parametrize("style", ["grid", "grid0"])
@pytest.mark.parametrize("layer", CASES, ids=[str(c) for c in CASES])
def test_conv_window_formula_is_what_the_definitions_read(layer, style, convention):
    model = symconv.load(_spec(layer, style, convention))
    net = model.network
    lay = net.layers[0]
    info = net.table.info
    base = net.table.namer.base
    spec = lay.spec
    w = window_indices(spec.kernel_size, spec.stride, spec.dilation, lay.pad, base, convention == "convolution")
    read = set()
    for z in (lay.pre or lay.out).symbols:
        d = model.forward.definition(z)
        for t in d.terms:
            _, oi, oj = info[z].index
            km, kn = info[t.weight].index[2:]  # the printed kernel index is the weight's own
            _, ui, vi = info[t.value].index
            read.add(((oi, oj), (km, kn), (ui, vi)))
    by_output, by_input = _formula_triples(w, base, lay.out.shape[1:], lay.inputs.shape[1:], spec.kernel_size)
    assert read and by_output == read and by_input == read


@pytest.mark.parametrize("kind", ["max_pool2d", "avg_pool2d"])
@pytest.mark.parametrize("pool", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1},
                                  {"kernel_size": [2, 3], "stride": [1, 2]}], ids=str)
def test_pool_window_formula_is_what_the_definitions_read(kind, pool):
    model = symconv.load(_spec({"type": kind, **pool}, "grid", "cross-correlation"))
    net = model.network
    lay = net.layers[0]
    info = net.table.info
    spec = lay.spec
    w = window_indices(spec.kernel_size, spec.stride, (1, 1), lay.pad, 1)
    read = set()
    for o in lay.out.symbols:
        _, oi, oj = info[o].index
        for x, _ in model.forward.definition(o).partials:
            _, ui, vi = info[x].index
            read.add(((oi, oj), (ui, vi)))
    by_output, by_input = _formula_triples(w, 1, lay.out.shape[1:], lay.inputs.shape[1:], spec.kernel_size)
    assert read and {(a, c) for a, _, c in by_output} == read and {(a, c) for a, _, c in by_input} == read


def test_pooling_input_gradient_formula_is_printed():
    md = symconv.load(symconv.example("lenet_small")).render("md")
    section = md[md.index("### Activation $o^{1}$"):]
    assert (r"\frac{\partial C}{\partial o^{1}_{(c,u,v)}} = \sum_{m=1}^{2}\sum_{n=1}^{2} "
            r"\frac{\partial C}{\partial o^{2}_{(c,\frac{u-m}{2}+1,\frac{v-n}{2}+1)}} \, \mathrm{route}_{\max}") in section
