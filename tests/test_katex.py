"""Every math fragment of every example Markdown file renders with KaTeX (``throwOnError``).

Fragments come from every committed output/**/*.md and from freshly rendered documents with escaped
user letters (tests/weird.py) and with the numeric view. Needs node and ``npm ci --prefix
tests/katex``; skipped with the reason when they are missing, except under CI=true (then fails).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from symconv.api import Model
from symconv.outputs import render_all
from symconv.spec import example, spec_from_dict
from symconv.values import evaluate, random_values

from .conftest import IN_CI
from .example_outputs import EXAMPLE_OUTPUTS
from .weird import MIXED, weird_spec

ROOT = Path(__file__).resolve().parent.parent
KATEX_DIR = Path(__file__).resolve().parent / "katex"
BLOCK = re.compile(r"^\$\$\n(.*?)\n\$\$$", re.S | re.M)
INLINE = re.compile(r"(?<![\\$])\$([^$\n]+?)\$(?!\$)")


def math_fragments(markdown: str) -> list[str]:
    """The ``$$`` display blocks and the ``$...$`` inline fragments of a Markdown text (code spans
    in backticks are skipped)."""
    blocks = BLOCK.findall(markdown)
    rest = BLOCK.sub("", markdown)
    rest = re.sub(r"`[^`\n]*`", "", rest)
    return blocks + INLINE.findall(rest)


def test_math_fragments_finds_blocks_and_inline_math():
    text = "# T\n\nSee $a_{1}$ and `$not$`.\n\n$$\n\\begin{aligned}\nx &= 1\n\\end{aligned}\n$$\n| $b$ | c |\n"
    assert math_fragments(text) == ["\\begin{aligned}\nx &= 1\n\\end{aligned}", "a_{1}", "b"]


def _katex_failures(fragments: list[str]) -> list[dict]:
    if shutil.which("node") is None or not (KATEX_DIR / "node_modules" / "katex").is_dir():
        reason = "node or KaTeX missing; run: npm ci --prefix tests/katex"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    proc = subprocess.run(["node", str(KATEX_DIR / "render.js")], input=json.dumps(fragments),
                          capture_output=True, text=True, timeout=120, check=True)
    return json.loads(proc.stdout)


def _documents(tmp_path) -> dict[str, str]:
    docs = {str(path.relative_to(ROOT)): path.read_text(encoding="utf-8")
            for path in sorted((ROOT / "output").glob("**/*.md"))}
    assert {f"output/{name}.md" for _, name, formats in EXAMPLE_OUTPUTS if "md" in formats} <= set(docs)
    for style in ("seed", "grid", "grid0"):
        model = Model(spec_from_dict(weird_spec(style), name=f"weird_{style}"))
        docs[f"weird_{style}"] = render_all(model, ["md"])["md"].decode("utf-8")
    mixed = Model(spec_from_dict(MIXED, name="mixed"))
    docs["mixed --random 3"] = render_all(mixed, ["md"], values=evaluate(mixed, random_values(mixed, 3)))["md"].decode()
    seed = Model(example("seed"))
    docs["seed --random 1"] = render_all(seed, ["md"], values=evaluate(seed, random_values(seed, 1)))["md"].decode()
    return docs


def test_every_markdown_math_fragment_renders_with_katex(tmp_path):
    docs = _documents(tmp_path)
    fragments, origin = [], []
    for name, text in docs.items():
        for frag in math_fragments(text):
            fragments.append(frag)
            origin.append(name)
    assert len(fragments) > 500
    failures = _katex_failures(fragments)
    report = [f"{origin[f['index']]}: {f['error']}\n  {fragments[f['index']][:300]}" for f in failures]
    assert not report, "\n".join(report[:10])


def test_katex_rejects_broken_latex():
    """The check can fail: an unbalanced brace and an unknown command are reported."""
    failures = _katex_failures(["x^{1", r"\notacommand{x}", r"\frac{\partial C}{\partial w^{1}_{1}}"])
    assert [f["index"] for f in failures] == [0, 1]


def test_markdown_blocks_are_short_and_break_after_every_row():
    for path in sorted((ROOT / "output").glob("**/*.md")):
        name, text = path.name, path.read_text(encoding="utf-8")
        for block in BLOCK.findall(text):
            assert len(block) < 1000, (name, block[:200])
            assert "\\\\ " not in block.replace("\\\\\n", ""), (name, block[:200])
