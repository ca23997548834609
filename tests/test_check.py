"""Verdicts: exact comparison, counterexamples, proven mistake diagnoses, rendering, the CLI."""

import pytest
import sympy

import symconv
from symconv.check import check_claim, compare, conv_partials, mistaken_forms, render_verdict
from symconv.check.mistakes import leaf_of
from symconv.claims import to_leaf
from symconv.cli import main

PRODUCT_OF_SUMS = (
    r"\frac{\partial C}{\partial w_1^1} = 2(o_1^2 - y_1)(i_1^1 + i_2^1 + i_4^1 + i_5^1)"
    r"(w_1^2 + w_2^2 + w_3^2 + w_4^2)"
)
RIGHT = r"\frac{\partial C}{\partial w_1^1} = 2(o_1^2 - y_1)(w_1^2 i_1^1 + w_2^2 i_2^1 + w_3^2 i_4^1 + w_4^2 i_5^1)"


@pytest.fixture(scope="module")
def seed():
    return symconv.load(symconv.example("seed"))


@pytest.fixture(scope="module")
def strided():
    return symconv.load({"input": {"shape": [1, 4, 4]}, "layers": [
        {"type": "conv2d", "kernel_size": 2, "stride": 2}, {"type": "conv2d", "kernel_size": 2}]})


@pytest.fixture(scope="module")
def padded():
    return symconv.load({"input": {"shape": [1, 2, 2]}, "layers": [{"type": "conv2d", "kernel_size": 2, "padding": 1}]})


@pytest.fixture(scope="module")
def softmax_ce():
    """Softmax cross-entropy with targets not assumed one-hot (the exact δ is p Σy − y)."""
    return symconv.load({"input": {"shape": [1, 2, 2]}, "layers": [
        {"type": "flatten"}, {"type": "dense", "out_features": 3}], "cost": {"type": "cross_entropy"}})


@pytest.fixture(scope="module")
def activated():
    return symconv.load({"input": {"shape": [1, 2, 2]}, "layers": [
        {"type": "conv2d", "kernel_size": 2, "activation": "f"}]})


def S(model, name):
    return model.network.table.by_name[name]


def test_the_seed_claim_is_a_product_of_sums_with_a_counterexample(seed):
    v = check_claim(seed, PRODUCT_OF_SUMS)
    assert not v.ok
    step = v.steps[0]
    assert [d.kind for d in step.diagnoses] == ["product_of_sums"]
    # the counterexample really separates the two: recompute both sides there
    point = step.comparison.point
    assert point and all(isinstance(x, sympy.Integer) for x in point.values())
    full = {s: point.get(s, 0) for s in to_leaf(seed, v.truth).free_symbols | set(point)}
    claim_value = to_leaf(seed, step.side.expr).xreplace(full)
    truth_value = to_leaf(seed, v.truth).xreplace(full)
    assert (claim_value, truth_value) == step.comparison.values
    assert claim_value != truth_value
    # the difference is exact: claim − truth
    assert sympy.expand(to_leaf(seed, step.difference) - to_leaf(seed, step.side.expr - v.truth)) == 0


@pytest.mark.parametrize("claim", [
    RIGHT,
    # o_1^2 written out
    r"\frac{\partial C}{\partial w_1^1} = 2(w_1^2 o_1^1 + w_2^2 o_2^1 + w_3^2 o_3^1 + w_4^2 o_4^1 - y_1)"
    r"(w_1^2 i_1^1 + w_2^2 i_2^1 + w_3^2 i_4^1 + w_4^2 i_5^1)",
    # δ form, and a sum over the flat index
    r"\partial C/\partial w_1^1 = \delta_1^1 i_1^1 + \delta_2^1 i_2^1 + \delta_3^1 i_4^1 + \delta_4^1 i_5^1",
    r"\partial C/\partial w_2^2 = \delta_1^2 o_2^1",
    r"\delta_3^1 = \delta_1^2 w_3^2 = 2(o_1^2 - y_1) w_3^2",
    r"\frac{\partial C}{\partial i_5^1} = \sum_{k=1}^{4} \delta_k^1 w_{5-k}^1",
])
def test_right_claims_are_accepted(seed, claim):
    v = check_claim(seed, claim)
    assert v.ok
    assert all(s.comparison.method == "expansion" for s in v.steps)


# one claim per mistake kind; each diagnosis must be proven (the claim equals the mistaken form)
MISTAKE_CASES = [
    ("seed", PRODUCT_OF_SUMS, "product_of_sums"),
    ("seed", r"\frac{\partial C}{\partial i_5^1} = 2(o_1^2 - y_1)(w_1^1 w_1^2 + w_2^1 w_2^2 + w_3^1 w_3^2 + w_4^1 w_4^2)",
     "kernel_not_rotated"),
    ("seed", r"\frac{\partial C}{\partial w_1^1} = 2(o_1^2 - y_1)(w_4^2 i_5^1 + w_3^2 i_6^1 + w_2^2 i_8^1 + w_1^2 i_9^1)",
     "convention_swapped"),
    ("strided", r"\frac{\partial C}{\partial w_1^1} = \delta_1^1 i_1^1 + \delta_2^1 i_2^1 + \delta_3^1 i_5^1 + \delta_4^1 i_6^1",
     "stride_zeros_missing"),
    ("padded", r"\partial C/\partial i_1^1 = \delta_1^1 w_1^1", "padding_not_cropped"),
    ("seed", r"\frac{\partial C}{\partial w_1^1} = 4(o_1^2 - y_1)(w_1^2 i_1^1 + w_2^2 i_2^1 + w_3^2 i_4^1 + w_4^2 i_5^1)",
     "factor_2"),
    ("seed", r"\frac{\partial C}{\partial w_1^1} = (o_1^2 - y_1)(w_1^2 i_1^1 + w_2^2 i_2^1 + w_3^2 i_4^1 + w_4^2 i_5^1)",
     "factor_half"),
    ("seed", r"\frac{\partial C}{\partial w_1^1} = 2(o_1^2 - y_1) o_1^1", "wrong_layer"),
    ("activated", r"\partial C/\partial w_1^1 = 2(o_1^1 - y_1) i_1^1", "missing_activation_derivative"),
    ("softmax_ce", r"\delta_1^2 = p_1 - y_1", "one_hot_assumed"),
]


@pytest.mark.parametrize("which,claim,kind", MISTAKE_CASES, ids=[c[2] for c in MISTAKE_CASES])
def test_each_mistake_kind_is_diagnosed(request, which, claim, kind):
    model = request.getfixturevalue(which)
    v = check_claim(model, claim)
    assert not v.ok
    kinds = {d.kind for d in v.steps[0].diagnoses}
    assert kind in kinds
    assert render_verdict(v, "tex").isascii()
    # proven: the claim equals the reported form exactly
    for d in v.steps[0].diagnoses:
        assert sympy.expand(to_leaf(model, v.steps[0].side.expr) - to_leaf(model, d.form)) == 0


def test_every_mistake_kind_has_a_case():
    from symconv.check import MISTAKES

    assert {c[2] for c in MISTAKE_CASES} == set(MISTAKES)


def test_a_wrong_claim_that_matches_no_mistake_says_so(seed):
    v = check_claim(seed, r"\frac{\partial C}{\partial w_1^1} = 2(o_1^2 - y_1)(w_1^2 i_1^1 + w_2^2 i_2^1 + w_3^2 i_4^1)")
    assert not v.ok and v.steps[0].diagnoses == ()
    assert "diagnosis: the claim matches no known mistake" in render_verdict(v, "text")


def test_the_first_wrong_step_of_a_chain_is_where_the_claim_parts(seed):
    v = check_claim(seed, RIGHT + r" = 2(o_1^2 - y_1) o_1^1 = \delta_1^1 i_1^1 + \delta_2^1 i_2^1 + \delta_3^1 i_4^1 + \delta_4^1 i_5^1")
    assert [s.equal for s in v.steps] == [True, False, True]
    assert v.first_wrong is v.steps[1]


def test_true_placement_reproduces_the_forward_partials(strided, padded):
    for model in (strided, padded):
        for layer in model.network.layers:
            pairs = conv_partials(model, layer, "true")
            for target, got in pairs.items():
                assert set(got) == set(model.forward.definition(target).partials)


def test_mistaken_forms_differ_from_the_truth(seed):
    wrt = S(seed, "w1_1")
    truth = to_leaf(seed, seed.gradients.named(wrt))
    forms = mistaken_forms(seed, wrt)
    assert {f.kind for f in forms} == {"product_of_sums", "factor_2", "factor_half", "wrong_layer",
                                        "convention_swapped", "kernel_not_rotated"}
    for f in forms:  # the leaf form is built on demand
        assert f.leaf is None and not compare(leaf_of(seed, f), truth).equal, f.label


def test_compare_is_exact_and_states_its_method():
    x, y = sympy.symbols("x y")
    assert compare((x + y) ** 2, x**2 + 2 * x * y + y**2).method == "expansion"
    c = compare((x + y) ** 2, x**2 + y**2)
    assert not c.equal and c.method == "counterexample"
    assert c.values[0] - c.values[1] == 2 * c.point[x] * c.point[y] != 0
    assert compare(x / (x + 1) + 1 / (x + 1), sympy.Integer(1)).equal


def test_random_points_are_used_for_large_expressions(monkeypatch):
    import symconv.verify as check

    monkeypatch.setattr(check, "EXPAND_LIMIT", 0)
    x, y = sympy.symbols("x y")
    c = check.compare((x + y) ** 3, x**3 + 3 * x**2 * y + 3 * x * y**2 + y**3)
    assert c.equal and c.method == "random points"
    assert "probability at most (3/2^32)^8" in c.note


def test_markdown_and_tex_verdicts(seed):
    v = check_claim(seed, PRODUCT_OF_SUMS)
    md = render_verdict(v, "md")
    assert "**Verdict: wrong.** The claim parts from the exact gradient at step 1." in md
    assert "**product of sums instead of sum of products**" in md
    assert r"\frac{\partial C}{\partial w^{1}_{1}} = 2 \left(o^{2}_{1} - y_{1}\right)" in md
    tex = render_verdict(v, "tex")
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    assert r"\textbf{product of sums instead of sum of products}" in tex
    assert "\\VAR" not in tex and "{{" not in md
    assert tex.isascii()  # pdflatex without inputenc tricks
    ok = render_verdict(check_claim(seed, RIGHT), "md")
    assert "**Verdict: right.**" in ok and "Why:" not in ok


def test_cli_exit_status_and_output(seed, capsys, tmp_path):
    assert main(["check", "--example", "seed", PRODUCT_OF_SUMS]) == 1
    out = capsys.readouterr().out
    assert "diagnosis: product of sums instead of sum of products" in out
    assert "counterexample:" in out and out.rstrip().endswith("WRONG")
    assert main(["check", "--example", "seed", RIGHT]) == 0
    assert capsys.readouterr().out.rstrip().endswith("RIGHT")
    claims = tmp_path / "claims.tex"
    claims.write_text("% my derivation\n" + RIGHT + "\n\n" + PRODUCT_OF_SUMS + "\n", encoding="utf-8")
    assert main(["check", "--example", "seed", "--claim-file", str(claims)]) == 1
    out_file = tmp_path / "verdict.md"
    assert main(["check", "--example", "seed", RIGHT, "--format", "md", "--out", str(out_file)]) == 0
    assert out_file.read_text(encoding="utf-8").startswith("# Check of a hand derivation: Seed network")


def test_cli_bad_input_is_one_line_exit_2(capsys, tmp_path):
    assert main(["check", "--example", "seed", r"\partial C/\partial w_9^1 = 1"]) == 2
    err = capsys.readouterr().err
    assert err == "symconv: error: claim: index 9 out of range for 'w^{1}' at column 22: valid 1..4\n"
    bad = tmp_path / "c.tex"
    bad.write_text(RIGHT + "\n" + r"\partial C/\partial w_1^1 = (" + "\n", encoding="utf-8")
    assert main(["check", "--example", "seed", "--claim-file", str(bad)]) == 2
    assert capsys.readouterr().err == "symconv: error: --claim-file line 2: unbalanced '(' at column 29: never closed\n"
    assert main(["check", "--example", "seed"]) == 2
    assert "give exactly one of a claim or --claim-file" in capsys.readouterr().err
    assert main(["check", "--example", "seed", RIGHT, "--format", "pdf"]) == 2


@pytest.mark.pdf
def test_tex_verdict_compiles_with_pdflatex(seed, tmp_path):
    import subprocess

    from .conftest import require_tool

    require_tool("pdflatex")
    claim = RIGHT + r" = 2(o_1^2 - y_1) o_1^1"  # one right step, one wrong (wrong layer)
    tex = tmp_path / "verdict.tex"
    tex.write_text(render_verdict(check_claim(seed, claim), "tex"), encoding="utf-8")
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "verdict.pdf").stat().st_size > 1000


def test_counterexample_lists_intermediate_values(seed):
    step = check_claim(seed, PRODUCT_OF_SUMS).steps[0]
    o = S(seed, "o2_1")
    full = {s: step.comparison.point.get(s, 0) for s in seed.forward.leaf(o).free_symbols}
    assert step.intermediates == ((o, seed.forward.leaf(o).xreplace(full)),)


@pytest.mark.parametrize("style", ["seed", "grid", "grid0"])
def test_printed_gradients_parse_back_and_are_accepted(style):
    """Round trip: every gradient printed in the document's notation is accepted as a claim."""
    from symconv.check import latex_of

    model = symconv.load({**symconv.spec.EXAMPLES["seed"], "notation": {"style": style}})
    table = model.network.table
    checked = 0
    for s, info in table.info.items():
        if s not in model.gradients.by_wrt or info.role in ("delta", "adjoint"):
            continue
        for form in ("delta", "named"):
            text = rf"\frac{{\partial C}}{{\partial {info.latex}}} = " + latex_of(model, model.gradient(s, form=form))
            assert check_claim(model, text).ok, text
            checked += 1
    assert checked == 2 * 22  # the seed reads 22 symbols: 9 inputs, 2×4 weights, 4 + 1 outputs


def test_cli_reads_a_spec_file_in_grid_notation(tmp_path, capsys):
    spec = tmp_path / "net.toml"
    spec.write_text(
        '[input]\nshape = [1, 3, 3]\n[[layers]]\ntype = "conv2d"\nkernel_size = 2\n'
        '[[layers]]\ntype = "conv2d"\nkernel_size = 2\n[notation]\nstyle = "grid"\n',
        encoding="utf-8",
    )
    claim = r"\frac{\partial C}{\partial W^{(2)}_{1,1,1,1}} = 2(a^{(2)}_{1,1,1} - y_{1}) a^{(1)}_{1,1,1}"
    assert main(["check", str(spec), claim]) == 0
    assert capsys.readouterr().out.rstrip().endswith("RIGHT")
    assert main(["check", str(spec), claim.replace("a^{(1)}_{1,1,1}", "a^{(1)}_{1,1,2}")]) == 1
    assert main(["check", str(spec), claim.replace("W^{(2)}", "W^{(3)}")]) == 2
    assert capsys.readouterr().err == (
        "symconv: error: claim: layer 3 does not exist for 'W' at column 29: this network has W in layers 1, 2\n"
    )


@pytest.mark.parametrize("rhs", [r"\log(0) + 5", r"\log(o_1^2 - o_1^2)", r"2(o_1^2 - y_1) w_1^2 \frac{\log(0)}{\log(0)}"])
def test_a_claim_undefined_wherever_it_is_tried_is_wrong(seed, rhs):
    verdict = check_claim(seed, r"\frac{\partial C}{\partial w_1^1} = " + rhs)
    assert not verdict.ok
    (step,) = verdict.steps
    assert step.comparison.method == "undefined"
    assert step.comparison.values[0] is None and step.comparison.values[1].is_Rational


def test_a_derivative_by_delta_is_refused(capsys):
    status = main(["check", "--example", "seed", r"\partial C/\partial \delta_1^1 = 2(o_1^2 - y_1) w_1^2"])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert r"differentiates by \delta^{1}_{1}, which is itself the gradient \partial C/\partial o^{1}_{1}" in err


def test_the_mistake_catalogue_is_one_documented_rule_per_mistake():
    from symconv.check import MISTAKES, RULES

    kinds = [r.kind for r in RULES]
    assert len(kinds) == len(set(kinds)) and set(kinds) == set(MISTAKES)
    for rule in RULES:
        assert rule.title == MISTAKES[rule.kind]
        assert type(rule).__doc__ and len(type(rule).__doc__) > 40, rule.kind


def test_one_equality_engine():
    """check, testing and the derivation certificates all decide equality with verify.compare."""
    import symconv.check
    import symconv.testing
    import symconv.verify

    assert symconv.check.compare is symconv.verify.compare
    assert not hasattr(symconv.check, "_FastRational")
    x = sympy.Symbol("x")
    assert symconv.verify.certify_equal((x + 1) ** 2, x**2 + 2 * x + 1).method == "expand"
