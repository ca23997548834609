"""The Sphinx extension (issue 14 item 3): a real ``sphinx-build -b html`` of a small documentation
project using ``symconv.sphinx``'s three directives in reStructuredText and in MyST Markdown; the
math is in the built pages. Needs sphinx and myst-parser (the test extra); skipped without them
except under CI=true."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import IN_CI

ROOT = Path(__file__).resolve().parent.parent

try:
    import myst_parser  # noqa: F401
    import sphinx  # noqa: F401
except ImportError:  # pragma: no cover - the test extra installs them
    if IN_CI:
        raise
    pytest.skip("sphinx/myst-parser missing: pip install -e '.[test]'", allow_module_level=True)

CLAIM_RIGHT = r"\frac{\partial C}{\partial w_1^1} = \delta_1^1 i_1^1 + \delta_2^1 i_2^1 + \delta_3^1 i_4^1 + \delta_4^1 i_5^1"
CLAIM_WRONG = r"\frac{\partial C}{\partial w_1^1} = 2(o_1^2 - y_1)(i_1^1 + i_2^1 + i_4^1 + i_5^1)(w_1^2 + w_2^2 + w_3^2 + w_4^2)"

INDEX_RST = f"""\
Gradients
=========

.. toctree::

   page

The weight gradient of the seed:

.. symconv-formula:: dC/dw_1^1
   :spec: seed.toml

.. symconv-formula:: general:w^1
   :example: seed

.. symconv-claim:: {CLAIM_WRONG}
   :example: seed

.. symconv-derivation::
   :example: seed
"""

PAGE_MD = f"""\
# In MyST

```{{symconv-formula}} \\frac{{\\partial C}}{{\\partial i_5^1}}
:example: seed
:form: leaf
```

```{{symconv-claim}} {CLAIM_RIGHT}
:example: seed
```

```{{symconv-formula}} dC/dv_9
:example: seed
```
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    src = tmp_path_factory.mktemp("docs")
    (src / "conf.py").write_text(textwrap.dedent("""\
        project = "symconv sphinx test"
        extensions = ["symconv.sphinx", "myst_parser"]
        source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
        """))
    (src / "index.rst").write_text(INDEX_RST, encoding="utf-8")
    (src / "page.md").write_text(PAGE_MD, encoding="utf-8")
    (src / "seed.toml").write_text((ROOT / "examples" / "seed.toml").read_text(encoding="utf-8"), encoding="utf-8")
    out = src / "_build"
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", str(src), str(out)],
                          capture_output=True, text=True, timeout=600)
    return proc, out


def test_sphinx_build_succeeds(built):
    proc, out = built
    assert proc.returncode == 0, proc.stderr
    assert (out / "index.html").exists() and (out / "page.html").exists()


def test_rst_directives_put_math_in_the_page(built):
    _, out = built
    html = (out / "index.html").read_text(encoding="utf-8")
    assert ("\\frac{\\partial C}{\\partial w^{1}_{1}} = i^{1}_{1} \\delta^{1}_{1} + i^{1}_{2} \\delta^{1}_{2} + "
            "i^{1}_{4} \\delta^{1}_{3} + i^{1}_{5} \\delta^{1}_{4}") in html
    assert '<div class="math' in html and "mathjax" in html.lower()
    assert "\\sum_{p=1}^{2}\\sum_{q=1}^{2} \\delta^{1}_{(r,p,q)}" in html
    assert "<strong>WRONG: </strong>" in html
    assert 'class="symconv-derivation"' in html and html.count("<details") == 21 and "<math" in html


def test_myst_directives_and_errors(built):
    proc, out = built
    html = (out / "page.html").read_text(encoding="utf-8")
    assert "\\begin{aligned}" in html and "\\frac{\\partial C}{\\partial i^{1}_{5}} &amp;= 2" in html
    assert "<strong>RIGHT: </strong>" in html
    errors = [line for line in proc.stderr.splitlines() if "symconv:" in line]
    assert len(errors) == 1 and "page.md" in errors[0] and "target:" in errors[0], proc.stderr
