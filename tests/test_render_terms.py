"""Full documents by string formatting (issue 15 item 2): the rows of every element equal the
generic printing (``product_latex``, ``split_rows`` over ``visible_len``), the streamed pieces
join to the rendered text, and element contexts are built only while the template writes them."""

from __future__ import annotations

import pytest
import sympy

import symconv
from symconv import costs
from symconv.derivation import derive, shown_indices
from symconv.latex import product_latex, split_rows, visible_len
from symconv.render import render, render_chunks
from symconv.render import context as ctx
from symconv.render.printer import Printer
from symconv.render.rows import listed_rows
from symconv.render.terms import _unit_sum
from symconv.values import evaluate, random_values

SPECS = {
    "two-layer": {"input": {"shape": [1, 7, 7]}, "layers": [{"kernel_size": 3}, {"kernel_size": 3}],
                  "cost": {"type": "half_sse"}},
    "tanh-pool-dense": {"input": {"shape": [1, 6, 6]}, "layers": [
        {"kernel_size": 3, "bias": True, "activation": "tanh"}, {"type": "avg_pool2d", "kernel_size": 2},
        {"type": "flatten"}, {"type": "dense", "out_features": 2, "bias": True}], "cost": {"type": "cross_entropy"}},
    "stride-padding": {"input": {"shape": [2, 5, 5]}, "layers": [
        {"kernel_size": 3, "out_channels": 2, "stride": 2, "padding": 1, "activation": "relu"},
        {"type": "max_pool2d", "kernel_size": 2}], "cost": {"type": "half_sse"}},
}


def _expected(pr, e) -> dict:
    """The element's rows printed term by term by the generic printers (no caches)."""
    terms = list(e.terms)
    wrt = e.wrt
    chain = listed_rows(terms, lambda t: rf"{pr.grad(t.via) if t.upstream != 1 else ''} {pr.partial(t.via, wrt)}"
                        .strip(), e.written)
    products = listed_rows(terms, lambda t: product_latex(pr.p, [t.upstream, t.partial]), e.written)
    touches = [(pr(t.via), pr(t.upstream), pr(t.partial)) for t in (terms if e.written else terms[:8])]
    closed = None
    if e.closed is not None:
        closed = listed_rows(list(e.closed[1]), lambda ab: product_latex(pr.p, [ab[0]] if ab[1] is None else list(ab)),
                             e.written)
    numbers = None
    if pr.np is not None:
        numbers = listed_rows(terms, lambda t: product_latex(pr.np, [t.upstream, t.partial]), e.written)
    return {"chain": chain, "sum": products, "touches": touches, "closed": closed, "numbers": numbers}


def _elements(d):
    for lp in d.layers:
        for t in lp.tensors:
            yield from t.elements
    yield from d.input_proof.elements


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("full", [False, True])
def test_element_rows_equal_the_generic_printing(name, full):
    m = symconv.load(SPECS[name])
    d = derive(m, full=full)
    view = evaluate(m, random_values(m, 1))
    for numeric in (None, view):
        pr = Printer(d, numeric)
        count = 0
        for e in _elements(d):
            got = ctx._element(pr, e)
            want = _expected(pr, e)
            assert got["chain"] == want["chain"], e.wrt
            assert got["sum"] == want["sum"], e.wrt
            assert [tuple(r) for r in got["touches"]] == want["touches"], e.wrt
            assert (got["closed"]["rows"] if got["closed"] else None) == want["closed"], e.wrt
            assert (got["numeric"]["numbers"] if got["numeric"] else None) == want["numbers"], e.wrt
            count += 1
        assert count > 0


@pytest.mark.parametrize("name", sorted(SPECS))
def test_forward_definition_rows_equal_the_generic_printing(name):
    m = symconv.load(SPECS[name])
    d = derive(m, full=True)
    pr = Printer(d)
    multilinear = [x for x in m.forward.definitions if x.terms]
    assert multilinear
    for x in multilinear:
        printed = [product_latex(pr.p, [t.coeff, t.value, t.weight] if t.weight is not None else [t.coeff, t.value])
                   for t in x.terms] + ([pr.p._print(x.bias)] if x.bias is not None else [])
        assert ctx._definition_rows(pr, x) == split_rows(printed), x.target


@pytest.mark.parametrize("kind", ["sse", "half_sse", "mse", "bce"])
def test_cost_rows_equal_the_generic_printing(kind):
    """The cost's summands (printed from one placeholder summand for the squared errors) are the
    printing of each summand built on its own, in the notation and with numbers."""
    spec = {"input": {"shape": [1, 3, 3]}, "layers": [{"kernel_size": 1}],
            "cost": {"type": kind}, "notation": {"activation": "v", "target": "b_t"}}
    m = symconv.load(spec)
    d = derive(m, full=True)
    pr = Printer(d, evaluate(m, random_values(m, 1)))
    pairs = list(zip(d.network.output.symbols, d.network.targets.symbols))
    summands = [costs.summand(kind, o, y, len(pairs)) for o, y in pairs]
    built = []
    real = pr.st.cost_summand
    pr.st.cost_summand = lambda o, y, n: built.append(o) or real(o, y, n)
    eqs = ctx._cost_equation(pr, d)
    assert eqs[0]["rows"] == split_rows([pr.p.doprint(x) for x in summands])
    assert eqs[1]["rows"] == split_rows([pr.np.doprint(x) for x in summands])
    # the squared errors build one summand per printer (the check of the first pair), no more
    assert len(built) == (2 * len(pairs) if kind == "bce" else 2) and len(pairs) == 9


def test_widths_add_up_over_the_parts():
    m = symconv.load(SPECS["tanh-pool-dense"])
    pr = Printer(derive(m, full=True))
    tp = pr.terms
    for g in m.gradients.by_wrt.values():
        for t in g.terms:
            text, width = tp.product2(t.upstream, t.partial)
            assert width == visible_len(text), text
            text, width = tp.partial(t.via, g.wrt)
            assert width == visible_len(text), text
            text, width = tp.grad(t.via)
            assert width == visible_len(text), text


def test_unit_sums_are_what_factor_terms_leaves_alone():
    x, y, z = sympy.symbols("x y z")
    for e in (x - y, x + y, -x + y - z, -x - y, x - 2 * y, 2 * x + 2 * y, x * y + x, -x - y - z):
        if _unit_sum(e):
            assert sympy.factor_terms(e) == e and sympy.factor_terms(e).func is e.func, e
    assert _unit_sum(x - y) and not _unit_sum(-x - y) and not _unit_sum(2 * x + 2 * y)


@pytest.mark.parametrize("fmt", ["md", "tex"])
def test_streamed_full_document_is_the_rendered_one(fmt):
    m = symconv.load(SPECS["two-layer"])
    d = derive(m, full=True)
    pieces = list(render_chunks(d, fmt))
    assert len(pieces) > 100
    assert "".join(pieces) == render(d, fmt)


def test_element_contexts_are_built_while_the_template_writes(monkeypatch):
    m = symconv.load(SPECS["two-layer"])
    d = derive(m, full=True)
    built = []
    real = ctx._element
    monkeypatch.setattr(ctx, "_element", lambda pr, e: built.append(e.wrt) or real(pr, e))
    context = ctx.build_context(d)
    assert built == []  # nothing printed yet
    chunks = render_chunks(d, "md")
    next(chunks)
    assert len(built) < len(list(_elements(d)))
    for _ in chunks:
        pass
    assert len(built) >= len(list(_elements(d)))
    assert len(context["input"]["elements"]) == len(d.input_proof.elements)


def test_full_documents_write_every_element_and_substitute_the_default_ones():
    m = symconv.load(SPECS["two-layer"])
    full, default = derive(m, full=True), derive(m)
    for tf, td in zip([t for lp in full.layers for t in lp.tensors] + [full.input_proof],
                      [t for lp in default.layers for t in lp.tensors] + [default.input_proof]):
        assert tf.omitted == 0 and all(e.written for e in tf.elements)
        shown = {e.wrt: e for e in td.elements}
        assert set(shown) == {tf.elements[k].wrt for k in shown_indices(tf.shape)}
        for e in tf.elements:
            if e.wrt in shown:
                if shown[e.wrt].named is not None:
                    assert e.named == shown[e.wrt].named, e.wrt
            else:
                assert e.named is None, e.wrt  # the sum of products, δ written above


def test_default_document_element_contexts_are_built_once_and_kept():
    m = symconv.load(SPECS["two-layer"])
    context = ctx.build_context(derive(m))
    elements = context["input"]["elements"]
    first = list(elements)
    first[0]["marked"] = True  # code between the context and the template may annotate them
    assert list(elements)[0]["marked"] is True and len(list(elements)) == len(first)
