"""``--format html`` (issue 14 item 4): one self-contained page that works offline, loaded in a
real headless Chromium (Debian's chromium + chromium-driver, driven by selenium): no console
error, math rendered as MathML (no raw ``$$`` or LaTeX on the page, every formula laid out with
a size), the derivation collapsible per element, and clicking a kernel weight highlights the
input cells it multiplies. Skipped without chromium, chromedriver or selenium, except under
CI=true (then it fails)."""

from __future__ import annotations

import shutil

import pytest

import symconv
from symconv.cli import main
from symconv.render import network_notation
from symconv.statements import Statements

from .conftest import IN_CI


@pytest.fixture(scope="module")
def seed_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("html")
    assert main(["derive", "--example", "seed", "--format", "html", "--out", str(out)]) == 0
    return out / "seed.html"


def test_page_is_self_contained_and_deterministic(seed_page):
    html = seed_page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "$$" not in html and "\\frac" not in html
    assert "src=" not in html and "href=" not in html and "@import" not in html  # nothing loaded from anywhere
    assert html.count("<details") == 21 and html.count('class="weight"') == 4 and html.count('class="cell"') == 9
    assert symconv.load(symconv.example("seed")).render("html") == html


@pytest.mark.slow
def test_every_example_page_renders():
    from pathlib import Path

    from .example_outputs import EXAMPLE_OUTPUTS

    root = Path(__file__).resolve().parent.parent
    for _, stem, _ in EXAMPLE_OUTPUTS:
        path = root / "examples" / f"{stem}.toml"
        model = symconv.load(path if path.exists() else symconv.example(stem))
        html = model.render("html")
        assert "<math" in html and "$$" not in html and "\\frac" not in html, stem
        # every symbol defined on the page that uses it: the derivations' Notation section, one row
        # per letter and operator, and the one-hot assumption where the spec makes it
        notation = html.split('<h2 id="notation">Notation</h2>')[1].split("</table>")[0]
        st = Statements(model.network)
        assert notation.count("<tr><td>") == len(network_notation(model.network, st.pc)), stem
        assert "error term of layer l" in notation, stem
        assert ("Assumed: <math" in notation) == (model.spec.cost.targets == "one_hot"), stem
        # the document's one rule for showing a substituted form holds in the page too: batch
        # norm's elements read every example of the batch (factoring them took minutes)
        assert html.count("too large to write") == (24 if stem == "resnet_block" else 0), stem


def _driver():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        selenium = None
    else:
        selenium = webdriver
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver_path = shutil.which("chromedriver")
    if selenium is None or browser is None or driver_path is None:
        reason = "headless browser test needs chromium, chromium-driver (apt) and selenium (pip)"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,1600"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver_path), options=options)


def test_seed_page_in_headless_chromium(seed_page, tmp_path):
    from selenium.webdriver.common.by import By

    driver = _driver()
    try:
        driver.get(seed_page.as_uri())
        errors = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
        assert errors == []
        text = driver.find_element(By.TAG_NAME, "body").text
        assert "$$" not in text and "\\frac" not in text and "\\partial" not in text
        sizes = driver.execute_script(
            "return Array.from(document.querySelectorAll('table math')).map(function (m) {"
            " var r = m.getBoundingClientRect(); return [r.width, r.height]; });")
        assert len(sizes) >= 6 and all(w > 5 and h > 5 for w, h in sizes), sizes
        # a fraction is laid out as a fraction: its numerator sits above its denominator
        stacked = driver.execute_script(
            "var f = document.querySelector('table mfrac'); var a = f.children[0].getBoundingClientRect();"
            " var b = f.children[1].getBoundingClientRect(); return a.bottom <= b.top + 1;")
        assert stacked
        details = driver.find_element(By.ID, "d-w1_1")
        assert details.get_attribute("open") is None
        details.find_element(By.TAG_NAME, "summary").click()
        assert details.get_attribute("open") is not None
        driver.find_element(By.ID, "k0_0").click()
        lit = driver.execute_script("return Array.from(document.querySelectorAll('.cell.hl')).map(c => c.id);")
        assert sorted(lit) == ["x0_0", "x0_1", "x1_0", "x1_1"]
        driver.find_element(By.ID, "k1_1").click()
        lit = driver.execute_script("return Array.from(document.querySelectorAll('.cell.hl')).map(c => c.id);")
        assert sorted(lit) == ["x1_1", "x1_2", "x2_1", "x2_2"]
        shot = tmp_path / "seed.png"
        assert driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
        assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")] == []
    finally:
        driver.quit()
