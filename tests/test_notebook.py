"""Jupyter (issue 14 item 1): a real notebook executed by nbclient in an IPython kernel shows a
Model as its network and result table, a formula as LaTeX in the document's notation, and
``Model.latex`` prints in that notation. Needs nbclient, nbformat and ipykernel (the test extra);
skipped without them except under CI=true."""

from __future__ import annotations

import pytest

from .conftest import IN_CI

try:
    import nbformat
    from nbclient import NotebookClient
except ImportError:  # pragma: no cover - the test extra installs them
    if IN_CI:
        raise
    pytest.skip("nbclient/nbformat missing: pip install -e '.[test]'", allow_module_level=True)

CELLS = [
    'import symconv\nm = symconv.load(symconv.example("seed"))\nm',
    'symconv.formula(m, "dC/dw_1^1")',
    'm.latex(m.gradient("w1_1"))',
    'print(symconv.formula(m, "w^1"), end="")',
    'symconv.formula(m, r"\\frac{\\partial C}{\\partial i_5^1}", form="sum", fmt="md")',
    'm.check(r"\\frac{\\partial C}{\\partial w_1^1} = 2(o_1^2 - y_1)(i_1^1 + i_2^1 + i_4^1 + i_5^1)'
    '(w_1^2 + w_2^2 + w_3^2 + w_4^2)")',
]


@pytest.fixture(scope="module")
def executed():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    NotebookClient(nb, kernel_name="python3", timeout=300).execute()
    return nb.cells


def test_model_displays_its_network_and_result_table(executed):
    data = executed[0].outputs[0]["data"]
    md = data["text/markdown"]
    assert md.startswith("**Seed network** — cross-correlation, cost `sse`\n")
    assert "| 1 | conv2d | 1×3×3 | 1×2×2 |" in md
    assert "| $\\frac{\\partial C}{\\partial w^{1}}$ | $\\tilde{i^{1}} \\star \\hat{\\delta^{1}}$ |" in md
    assert data["text/plain"] == "<symconv.Model 'seed': 2 layers>"


def test_formula_displays_as_latex_in_the_document_notation(executed):
    data = executed[1].outputs[0]["data"]
    assert data["text/latex"] == (
        "$$\n\\frac{\\partial C}{\\partial w^{1}_{1}} = i^{1}_{1} \\delta^{1}_{1} + i^{1}_{2} \\delta^{1}_{2} + "
        "i^{1}_{4} \\delta^{1}_{3} + i^{1}_{5} \\delta^{1}_{4}\n$$")
    assert data["text/markdown"] == data["text/latex"] + "\n"


def test_model_latex_prints_the_document_notation(executed):
    assert executed[2].outputs[0]["data"]["text/plain"] == repr(
        r"2 \left(o^{2}_{1} - y_{1}\right) \left(i^{1}_{1} w^{2}_{1} + i^{1}_{2} w^{2}_{2} + "
        r"i^{1}_{4} w^{2}_{3} + i^{1}_{5} w^{2}_{4}\right)")


def test_whole_tensor_closed_form_prints(executed):
    out = executed[3].outputs[0]
    assert out["name"] == "stdout"
    assert out["text"] == "\\frac{\\partial C}{\\partial w^{1}} = \\tilde{i^{1}} \\star \\hat{\\delta^{1}}\n"


def test_markdown_formula_displays_as_markdown(executed):
    data = executed[4].outputs[0]["data"]
    assert data["text/markdown"] == (
        "$$\n\\frac{\\partial C}{\\partial i^{1}_{5}} = \\delta^{1}_{1} w^{1}_{4} + \\delta^{1}_{2} w^{1}_{3} + "
        "\\delta^{1}_{3} w^{1}_{2} + \\delta^{1}_{4} w^{1}_{1}\n$$\n")


def test_verdict_displays_itself(executed):
    data = executed[5].outputs[0]["data"]
    md = data["text/markdown"]
    assert md.startswith("**WRONG**: the claim\n\n$$\n\\frac{\\partial C}{\\partial w_1^1} = 2(o_1^2 - y_1)")
    assert md.endswith("differs from the exact gradient\n\n$$\n\\frac{\\partial C}{\\partial w^{1}_{1}} = "
                       "2 \\left(o^{2}_{1} - y_{1}\\right) \\left(i^{1}_{1} w^{2}_{1} + i^{1}_{2} w^{2}_{2} + "
                       "i^{1}_{4} w^{2}_{3} + i^{1}_{5} w^{2}_{4}\\right)\n$$\n")
    assert data["text/plain"] == "<symconv verdict: WRONG>"
