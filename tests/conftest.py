"""Shared fixtures: the seed model and helpers for exact comparisons."""

from __future__ import annotations

import os
import shutil

import pytest
import sympy

import symconv

IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` run first (in their collected order), the rest after: under
    pytest-xdist (README's ``-n auto``) a long test collected late would otherwise start when the
    other workers are nearly done and set the suite's wall time alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def require_tool(name: str) -> None:
    """Skip when an external tool is missing, except under CI (CI=true), where it must exist."""
    if shutil.which(name) is None:
        if IN_CI:
            pytest.fail(f"{name} is required under CI but is not installed")
        pytest.skip(f"{name} is not installed")


@pytest.fixture(scope="session")
def seed():
    return symconv.load(symconv.example("seed"))


def S(model, name: str) -> sympy.Symbol:
    return model.symbol(name)


def assert_same(a, b) -> None:
    """Exact symbolic identity: expand(a − b) == 0."""
    assert sympy.expand(a - b) == 0, f"{a}  !=  {b}"
