"""The pictures of a derivation (issue 11, item 6): the geometry of symconv.figures, the SVG
files beside the Markdown (well-formed, exactly the expected cells highlighted), skipping with a
stated reason for large grids, determinism, and the links of output/*.md."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import symconv
from symconv.derivation import derive
from symconv.figures import MAX_SIDE, Figure, Skipped, element_figure, network_figure
from symconv.outputs import render_all, write_outputs
from symconv.spec import spec_from_dict

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def seed_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("seed")
    write_outputs(symconv.load(symconv.example("seed")), out, ["md", "tex"])
    return out


def rects(path: Path) -> dict[str, ET.Element]:
    root = ET.parse(path).getroot()
    assert root.tag == SVG + "svg"
    return {r.get("id"): r for r in root.iter(SVG + "rect")}


def highlighted(path: Path) -> set[str]:
    return {k for k, r in rects(path).items() if "on" in r.get("class").split()}


def test_seed_writes_three_figures_beside_the_markdown(seed_files):
    assert sorted(p.name for p in (seed_files / "seed.figures").iterdir()) == [
        "network.svg", "rf-i1_5.svg", "rf-w1_1.svg"]
    md = (seed_files / "seed.md").read_text()
    links = re.findall(r"!\[[^\]]*\]\(([^)]*)\)", md)
    assert links == ["seed.figures/network.svg", "seed.figures/rf-w1_1.svg", "seed.figures/rf-i1_5.svg"]


def test_weight_figure_highlights_the_cells_w1_1_pairs_with(seed_files):
    path = seed_files / "seed.figures" / "rf-w1_1.svg"
    assert highlighted(path) == {"i1_1", "i1_2", "i1_4", "i1_5", "w1_1", "o1_1", "o1_2", "o1_3", "o1_4"}
    cells = rects(path)
    assert set(cells) == {f"i1_{k}" for k in range(1, 10)} | {f"w1_{k}" for k in range(1, 5)} | {
        f"o1_{k}" for k in range(1, 5)}
    # 3x3 input at columns 0..2, the kernel at 5..6 and the output at 9..10, both half a cell
    # down (centred); cells of 32 px, margin 10, top 44
    assert {k: (cells[k].get("x"), cells[k].get("y")) for k in ("i1_1", "i1_5", "i1_9", "w1_1", "o1_4")} == {
        "i1_1": ("10", "44"), "i1_5": ("42", "76"), "i1_9": ("74", "108"),
        "w1_1": ("170", "60"), "o1_4": ("330", "92")}


def test_input_figure_marks_each_output_with_its_kernel_tap(seed_files):
    path = seed_files / "seed.figures" / "rf-i1_5.svg"
    assert highlighted(path) == {"i1_5", "w1_1", "w1_2", "w1_3", "w1_4", "o1_1", "o1_2", "o1_3", "o1_4"}
    root = ET.parse(path).getroot()
    notes = ["".join(t.itertext()) for t in root.iter(SVG + "text") if t.get("class") == "note"]
    assert notes == ["w4", "w3", "w2", "w1"]  # o_1 by w_4, o_2 by w_3, o_3 by w_2, o_4 by w_1


def test_network_figure_is_the_chain_3x3_2x2_1x1(seed_files):
    path = seed_files / "seed.figures" / "network.svg"
    assert highlighted(path) == set()
    ids = set(rects(path))
    assert ids == {f"i1_{k}" for k in range(1, 10)} | {f"o1_{k}" for k in range(1, 5)} | {"o2_1"}
    root = ET.parse(path).getroot()
    assert [t.text for t in root.iter(SVG + "text") if t.get("class") == "where"] == [
        "1x3x3", "1x2x2", "1x1x1", "layer 1", "layer 2"]


def test_figures_are_byte_identical_run_to_run(tmp_path):
    m = symconv.load(symconv.example("seed"))
    a, b = {}, {}
    render_all(m, ["md"], figures=a)
    render_all(symconv.load(symconv.example("seed")), ["md"], figures=b)
    assert a == b and len(a) == 3


def test_rewriting_removes_figures_the_new_markdown_no_longer_links(tmp_path):
    seed = symconv.example("seed")
    write_outputs(symconv.load(seed), tmp_path, ["md"])
    folder = tmp_path / "seed.figures"
    (folder / "rf-w9_9.svg").write_text("<svg/>")  # a figure of an earlier network
    (folder / "notes.txt").write_text("mine")  # not a figure: left alone
    write_outputs(symconv.load(seed), tmp_path, ["md"])
    assert sorted(p.name for p in folder.iterdir()) == ["network.svg", "notes.txt", "rf-i1_5.svg", "rf-w1_1.svg"]
    write_outputs(symconv.load(seed), tmp_path, ["json"])  # no Markdown written: its figures stay
    assert (folder / "rf-w1_1.svg").exists()
    # a network without figures leaves no empty folder behind
    (folder / "notes.txt").unlink()
    dense = spec_from_dict({"input": {"shape": [1, 2, 2]}, "layers": [{"type": "flatten"},
                            {"type": "dense", "out_features": 1}]}, name="seed")
    write_outputs(symconv.load(dense), tmp_path, ["md"])
    assert not folder.exists()


def test_large_grids_are_skipped_with_a_stated_reason():
    m = symconv.load(ROOT / "examples" / "mnist_two_layer.toml")
    d = derive(m.gradients)
    e = next(e for lp in d.layers for t in lp.tensors if t.role == "weight" for e in t.elements)
    assert element_figure(d.network, e) == Skipped(f"its input grid is 28x28, above {MAX_SIDE}x{MAX_SIDE} cells")
    assert network_figure(d.network) == Skipped(f"its input grid is 28x28, above {MAX_SIDE}x{MAX_SIDE} cells")
    md = render_all(m, ["md"])["md"].decode()
    assert "(No figure: its input grid is 28x28, above 16x16 cells.)" in md


def test_no_figure_where_it_does_not_help():
    """A dense weight reads one input per output: one row of its table says it all."""
    m = symconv.load(ROOT / "examples" / "lenet_small.toml")
    d = derive(m.gradients)
    kinds = {}
    for lp in d.layers:
        for t in lp.tensors:
            for e in t.elements:
                f = element_figure(d.network, e)
                kinds.setdefault((lp.kind, t.role), set()).add(type(f).__name__)
    assert kinds[("dense", "weight")] == {"NoneType"}
    assert kinds[("conv2d", "weight")] == {"Figure"}
    assert network_figure(d.network) is None  # flatten and dense: not a chain of feature maps


@pytest.mark.parametrize("md", sorted((ROOT / "output").glob("*.md")), ids=lambda p: p.name)
def test_every_figure_link_in_output_exists_and_parses(md):
    for link in re.findall(r"!\[[^\]]*\]\(([^)]*)\)", md.read_text()):
        path = md.parent / link
        assert path.is_file(), link
        ET.parse(path)


def test_tex_draws_the_seed_figures_with_tikz():
    tex = (ROOT / "output" / "seed.tex").read_text()
    assert r"\usepackage{tikz}" in tex
    assert tex.count(r"\begin{tikzpicture}") == 3  # the network, w_1^1, i_5^1
    pictures = tex.split(r"\begin{tikzpicture}")[1:]
    # highlighted cells: none in the network; 4 inputs + the weight + 4 outputs; i_5 + 4 taps + 4 outputs
    assert [p.split(r"\end{tikzpicture}")[0].count(r"\draw[on]") for p in pictures] == [0, 9, 9]
    assert r"\draw[on] (1,1) rectangle ++(1,1);" in pictures[1]  # i_5 of the 3x3 input (row 2, column 2)


@pytest.mark.parametrize("name", ["seed", "unet_step"])
def test_pdf_with_figures_builds_without_overfull_boxes(name):
    from symconv.pdf import build_pdf, tex_command

    from .conftest import IN_CI

    if tex_command() is None:
        if IN_CI:
            pytest.fail("TeX is required under CI")
        pytest.skip("TeX is not installed")
    result = build_pdf((ROOT / "output" / f"{name}.tex").read_text(), jobname=name)
    assert result.errors == () and result.overfull == ()
