"""The font types a PDF embeds, read with poppler's pdffonts (a test helper)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import IN_CI


def font_types(pdf: Path) -> list[str]:
    """One entry per font of ``pdf``, e.g. ``"Type 1"`` or ``"Type 3"`` (a bitmap font). Skips the
    test when pdffonts is not installed; fails under CI, which installs it (poppler-utils)."""
    tool = shutil.which("pdffonts")
    if tool is None:
        if IN_CI:
            pytest.fail("pdffonts (poppler-utils) is required under CI")
        pytest.skip("pdffonts (poppler-utils) is not installed")
    listing = subprocess.run([tool, str(pdf)], capture_output=True, text=True, check=True).stdout
    # columns: name, type (two words), encoding, emb, sub, uni, object, ID
    return [" ".join(line.split()[-8:-6]) for line in listing.splitlines()[2:]]
