"""Facts README.md states that the code decides: they are checked so that they cannot drift."""

from __future__ import annotations

import re
from pathlib import Path

from symconv.spec import EXAMPLES

ROOT = Path(__file__).resolve().parent.parent


def test_readme_lists_every_built_in_example():
    line = next(line for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
                if line.startswith("Built-in examples (`--example`):"))
    listed = re.findall(r"`([a-z0-9_]+)`", line.split(":", 1)[1].split(";", 1)[0])
    assert listed == list(EXAMPLES)
