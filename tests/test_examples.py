"""Every built-in example (``--example NAME``) is the spec of its file examples/NAME.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from symconv.spec import EXAMPLES, example, load_spec

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_builtin_example_is_its_file(name):
    assert load_spec(ROOT / "examples" / f"{name}.toml") == example(name)
