"""Shared pieces of the spec-file fuzz tests: garbage TOML values and the contract every spec
file must keep, whatever it holds (``derive`` succeeds, or exits 2 with one line on stderr, no
traceback, and writes nothing)."""

from __future__ import annotations

import json
import math

from hypothesis import strategies as st

from symconv.cli import main


def toml_value(value) -> str:
    """A TOML value (inline) for the fuzz: ints, floats, bools, strings, lists, tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


garbage = st.recursive(
    st.one_of(st.integers(-2, 4), st.booleans(), st.floats(allow_nan=True), st.text(max_size=5),
              st.sampled_from(["input", "c1", "c2", "sum", "mean", "add", "concat", "1x", ""])),
    lambda inner: st.lists(inner, max_size=3), max_leaves=6)
"""Small garbage values: numbers, booleans, short strings, layer and reduction names, nested lists."""


def derive_spec_lines(folder, lines: list[str], capsys) -> tuple[int, str]:
    """Write ``lines`` as ``folder/spec.toml``, run ``symconv derive … --format json`` into
    ``folder/out`` and assert the contract for spec files: no traceback; a failure is exit status
    2 with one line on stderr and nothing written. Returns (exit status, stderr)."""
    path = folder / "spec.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = folder / "out"
    status = main(["derive", str(path), "--out", str(out), "--format", "json"])
    _, err = capsys.readouterr()
    assert "Traceback" not in err
    if status != 0:
        assert status == 2, err
        assert err.count("\n") == 1, err
        assert not out.exists() or not any(out.iterdir())
    return status, err
