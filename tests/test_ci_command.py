"""CI runs README.md's test command: the command in the "Run the tests" block is the last line of
.ci/run (with pip's -q), so the two cannot drift apart."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"Run the tests.*?```sh\n(.*?)\n```", readme, flags=re.DOTALL)
    assert block, "README.md has no 'Run the tests' command block"
    command = block.group(1).strip()
    assert "python -m pytest" in command and "-n auto" in command
    last = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert last == command.replace("pip install -e", "pip install -q -e"), (last, command)
