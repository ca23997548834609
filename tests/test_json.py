"""The JSON contract: every gradient parses back with sympy.parse_expr and equals the model's."""

from __future__ import annotations

import json

import pytest
import sympy
from sympy.parsing.sympy_parser import parse_expr

import symconv

from .conftest import assert_same


def test_seed_json_round_trips(seed):
    doc = json.loads(seed.render("json"))
    assert list(doc)[:7] == ["name", "title", "convention", "form", "symbols", "cost", "gradients"]
    names = {s["name"]: sympy.Symbol(s["name"]) for s in doc["symbols"]}
    roles = {s["name"]: s["role"] for s in doc["symbols"]}
    assert roles["i1_5"] == "input" and roles["w2_3"] == "weight" and roles["o1_2"] == "activation"
    assert roles["y_1"] == "target"
    by_name = {s["name"]: s for s in doc["symbols"]}
    assert by_name["i1_5"]["layer"] == 0 and by_name["i1_5"]["index"] == [0, 1, 1]
    assert by_name["w2_3"]["layer"] == 2 and by_name["w2_3"]["index"] == [0, 0, 1, 0]
    assert by_name["y_1"]["layer"] is None and by_name["y_1"]["index"] == [0]
    wrt = [g["wrt"] for g in doc["gradients"]]
    assert set(wrt) == {n for n, r in roles.items() if r != "target"}
    for g in doc["gradients"]:
        expr = parse_expr(g["expr"], local_dict=names)
        assert expr.free_symbols <= {names[n] for n, r in roles.items() if r in ("input", "weight", "bias", "target")}
        assert_same(expr, seed.gradient(g["wrt"], form="leaf"))
    cost = parse_expr(doc["cost"], local_dict=names)
    assert_same(cost, seed.cost("leaf"))


def test_large_networks_use_named_intermediates_with_definitions():
    m = symconv.load({"input": {"shape": [1, 12, 12]}, "layers": [{"kernel_size": 3}, {"kernel_size": 3}, {"kernel_size": 3}]})
    doc = json.loads(m.render("json"))
    assert doc["form"] == "named"
    names = [d["name"] for d in doc["definitions"]]
    assert names[0] == "o1_1" and names[names.index("C") + 1] == "delta3_36" and names[-1] == "delta1_1"
    roles = {s["name"]: s["role"] for s in doc["symbols"]}
    leaves = {n for n, r in roles.items() if r in ("input", "weight", "bias", "target")}
    defined: dict = {}
    for d in doc["definitions"]:  # topological: each uses only leaves and earlier names
        expr = parse_expr(d["expr"], local_dict={n: sympy.Symbol(n) for n in list(roles) + list(defined)})
        free = {s.name for s in expr.free_symbols}
        assert free - leaves <= set(defined), d["name"]
        defined[d["name"]] = expr
    # evaluating the definitions in order at a point gives the gradient's value there
    point = {n: sympy.Rational(k % 7 - 3, 1 + k % 3) for k, n in enumerate(sorted(leaves))}
    values = {sympy.Symbol(n): v for n, v in point.items()}
    for name, expr in defined.items():
        values[sympy.Symbol(name)] = expr.xreplace(values)
    for wrt in ("w1_1", "w3_5", "i1_40"):
        g = next(g for g in doc["gradients"] if g["wrt"] == wrt)
        got = parse_expr(g["expr"], local_dict={n: sympy.Symbol(n) for n in list(roles) + list(defined)})
        named = m.gradient(wrt, form="named", factor=False)
        forward = {s: values[sympy.Symbol(s.name)] for s in named.free_symbols}
        assert got.xreplace(values) == named.xreplace(forward), wrt


def test_json_is_deterministic(seed):
    assert symconv.load(symconv.example("seed")).render("json") == seed.render("json")


def test_large_sums_print_in_stored_order_and_parse_back():
    import sympy

    from symconv.jsonout import SORTED_TERMS_UP_TO, _text

    xs = sympy.symbols(f"x0:{SORTED_TERMS_UP_TO + 1}")
    ws = sympy.symbols(f"w0:{SORTED_TERMS_UP_TO + 1}")
    small = sympy.Add(*[x * w for x, w in zip(xs[:3], ws)])
    large = 2 * sympy.Add(*[x * w for x, w in zip(xs, ws)]) - sympy.Symbol("y")
    assert _text(small) == str(small)
    assert _text(large) == sympy.sstr(large, order="none") != str(large)
    assert sympy.parse_expr(_text(large)) == large


@pytest.mark.parametrize("activation", [None, "tanh", "sigmoid"])
def test_named_form_gradients_and_definitions_are_exactly_the_chain_rule_sums(activation):
    first = {"kernel_size": 3, "bias": True} | ({"activation": activation} if activation else {})
    m = symconv.load({"input": {"shape": [1, 12, 12]}, "layers": [
        first, {"type": "avg_pool2d", "kernel_size": 2}, {"kernel_size": 2}]})
    doc = json.loads(m.render("json"))
    assert doc["form"] == "named"
    names = {s.name: s for s in m.network.table.info}
    defined = {d["name"] for d in doc["definitions"]}
    by_name = 0
    for g in doc["gradients"]:
        s = names[g["wrt"]]
        if g["expr"] in defined:  # the sum is defined once, under its δ or adjoint name
            assert names[g["expr"]] == m.gradients.upstream_of[s], g["wrt"]
            by_name += 1
        else:
            assert parse_expr(g["expr"], local_dict=names) == m.gradients[s].delta_form, g["wrt"]
    # every pre-activation and every pooled activation names its δ / ∂C/∂o; leaves write sums
    assert by_name == sum(1 for d in m.forward.definitions[:-1])
    for d in doc["definitions"]:
        s = names[d["name"]]
        target = m.gradients.upstream_symbols().get(s)
        expected = m.gradients[target].delta_form if target is not None else m.forward.definition(s).expr
        assert parse_expr(d["expr"], local_dict=names) == expected, d["name"]


def test_json_layout_is_one_compact_line_per_item():
    """No whitespace but one line per list item; every value written as json.dumps would."""
    from symconv.jsonout import _encode, dumps

    doc = {"name": "x", "symbols": [{"name": "a", "latex": "\\alpha é \"q\"", "layer": None, "index": [0, 1]}],
           "empty": [], "bound": 1e-30, "passed": True}
    text = dumps(doc)
    assert text == ('{\n"name":"x",\n"symbols":[\n'
                    '{"name":"a","latex":"\\\\alpha é \\"q\\"","layer":null,"index":[0,1]}\n],\n'
                    '"empty":[],\n"bound":1e-30,\n"passed":true\n}\n')
    assert json.loads(text) == doc
    for value in [*doc.values(), {"f": 0.1, "n": -3, "s": "\u2202\n"}, ["ü", 2.5e300]]:
        assert _encode(value) == json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def test_partials_printed_once_per_shape_read_as_sympy_prints_them():
    from symconv.jsonout import _printed, _text

    shapes: dict = {}
    forms = [lambda z: 1 - sympy.tanh(z) ** 2, lambda z: sympy.exp(-z) / (1 + sympy.exp(-z)) ** 2,
             lambda z: sympy.Heaviside(z, 0), lambda z: sympy.Piecewise((1, z > 0), (sympy.Rational(1, 100), True)),
             lambda z: z ** 2 - 3 * z + sympy.log(z), lambda z: 2 * z / 7 - sympy.sqrt(z)]
    names = ["z1_1", "a", "zz9_10", "o3_1200", "Zeta", "x_0", "b", "delta1_1"]
    for form in forms:
        for name in names:
            expr = form(sympy.Symbol(name))
            assert _printed(expr, shapes) == _text(expr) == str(expr), (name, expr)
    assert 0 < len(shapes) <= len(forms)
    # expressions of several symbols are printed directly
    a, b = sympy.symbols("b a")
    assert _printed(a * b - a, shapes) == str(a * b - a)
