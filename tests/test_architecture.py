"""The architecture, enforced: data flows one way, and every layer kind lives in its own module.

* The import-layering contract in ``pyproject.toml`` (import-linter) is kept by the package, and
  it is not vacuous: the same contract run over a copy of the package with one backward import
  added (a stage importing the Python API) is reported broken.
* No module outside ``symconv/layers/`` names a layer type: no string constant equal to a
  registered ``type`` in code (docstrings and the built-in example data excepted), no import of
  a layer module's spec class. Stages ask :func:`symconv.layers.kind_of`.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from symconv.layers import LAYERS

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "symconv"
LINT = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))


def _lint(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(pythonpath))
    return subprocess.run([LINT, "--no-cache", str(ROOT / "pyproject.toml")], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_import_layers_contract_is_kept():
    result = _lint(ROOT, ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_import_layers_contract_catches_a_backward_import(tmp_path):
    copy = tmp_path / "symconv"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    spec = copy / "derivation.py"
    spec.write_text(spec.read_text(encoding="utf-8") + "\nfrom . import api  # backward\n", encoding="utf-8")
    result = _lint(tmp_path, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "symconv.derivation is not allowed to import symconv.api" in result.stdout


def _code_strings(tree: ast.AST) -> list[tuple[int, str]]:
    """String constants of a module that are not docstrings."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def _outside_layers() -> list[Path]:
    skip = {PACKAGE / "examples.py"}  # the built-in example specs: data, read like any user's spec
    return [p for p in sorted(PACKAGE.rglob("*.py"))
            if PACKAGE / "layers" not in p.parents and p not in skip]


def test_no_module_outside_layers_names_a_layer_type():
    types = set(LAYERS)
    found = []
    for path in _outside_layers():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, text in _code_strings(tree):
            if text in types:
                found.append(f"{path.relative_to(ROOT)}:{line}: {text!r}")
    assert found == []


def test_no_module_outside_layers_imports_a_layer_kind_module():
    kind_modules = {p.stem for p in (PACKAGE / "layers").glob("*.py")} - {"__init__", "base"}
    found = []
    for path in _outside_layers():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                parts = node.module.split(".")
                if "layers" in parts and parts[-1] in kind_modules:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: from {node.module}")
                if parts[-1] == "layers" and any(a.name in kind_modules for a in node.names):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {', '.join(a.name for a in node.names)}")
    assert found == []


def test_templates_do_not_name_a_layer_type():
    found = [f"{p.relative_to(ROOT)}: {t}" for p in sorted((ROOT / "templates").rglob("*.j2"))
             for t in LAYERS if f'"{t}"' in p.read_text(encoding="utf-8") or f"'{t}'" in p.read_text(encoding="utf-8")]
    assert found == []


@pytest.mark.parametrize("type_name", sorted(LAYERS))
def test_every_registered_kind_has_its_type_and_keys(type_name):
    kind = LAYERS[type_name]
    assert kind.type == type_name
    assert "type" in kind.keys
