"""review --html in a real browser: Debian's Chromium, driven by Selenium through Debian's chromedriver.

No test tool downloads a browser: the binaries are the system's (.ci/run installs them). Outside CI a
machine without them skips these tests, saying why; in CI (CI=true) a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import REVIEW_HEADER, STANDARD, csv_text, shift_month

from cspay.i18n import Words
from cspay.policy.loader import load_policy
from cspay.rollout.review import review_inputs
from cspay.rollout.review_findings import findings
from cspay.rollout.review_html import write_review_html

CHROMIUM = Path("/usr/bin/chromium")
DRIVER = Path("/usr/bin/chromedriver")
A4_PIXELS = 794  # 210 mm at the 96 pixels per inch of CSS


def _browser_missing() -> str | None:
    missing = [str(path) for path in (CHROMIUM, DRIVER) if not path.exists()]
    return f"needs {' and '.join(missing)} (apt-get install chromium chromium-driver)" if missing else None


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium with a fresh profile, A4-wide, logging the page's console."""
    reason = _browser_missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests cannot run in CI: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    profile = tmp_path_factory.mktemp("profile")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={A4_PIXELS},1200",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(DRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def written(tmp_path: Path, language: str = "en") -> Path:
    """The report of a generated month with a planted unfair night shift, grouped by shift and team."""
    month = tmp_path / "shifts.csv"
    month.write_text(csv_text(shift_month(1, few_surveys_at_night=True), header=REVIEW_HEADER), encoding="utf-8")
    _, result = review_inputs(load_policy(STANDARD), [month], by=["shift", "team"])
    words = Words(language)
    target = tmp_path / f"review-{language}.html"
    write_review_html(target, result, findings(result, words), words, {"inputs": []}, force=False)
    return target


def opened(browser: Any, page: Path) -> list[dict[str, Any]]:
    """Open the page; the console entries it logged."""
    browser.get_log("browser")  # what earlier pages logged is not this page's
    browser.get(page.as_uri())
    return list(browser.get_log("browser"))


@pytest.mark.parametrize("language", ["en", "zh"])
def test_report_loads_without_console_errors(browser, tmp_path, language):
    """The page logs nothing at level SEVERE: no error, no refused load."""
    entries = opened(browser, written(tmp_path, language))
    assert [] == [entry["message"] for entry in entries if entry["level"] == "SEVERE"]


def test_report_has_every_chart(browser, tmp_path):
    """Two charts per grouping (grades, bonus) and one per KPI, each an SVG the browser drew with a size."""
    opened(browser, written(tmp_path))
    sizes = browser.execute_script(
        "return [...document.querySelectorAll('figure.chart svg')].map(s => "
        "[s.closest('figure').dataset.chart, Math.round(s.getBoundingClientRect().width)])"
    )
    kinds = [kind for kind, _ in sizes]
    assert ([*(["grades", "bonus"] * 2), *(["kpi"] * 4)], True) == (kinds, all(width > 300 for _, width in sizes))


def test_nothing_is_wider_than_an_a4_page(browser, tmp_path):
    """In a window as wide as A4, no element reaches past the right edge and the page does not scroll sideways."""
    opened(browser, written(tmp_path))
    widest = browser.execute_script(
        "return Math.max(document.documentElement.scrollWidth, "
        "...[...document.querySelectorAll('body *')].map(e => Math.ceil(e.getBoundingClientRect().right)))"
    )
    width = browser.execute_script("return document.documentElement.clientWidth")
    assert widest <= width <= A4_PIXELS


def test_screenshot_shows_the_report(browser, tmp_path):
    """A screenshot of the report is an A4-wide PNG with drawing on it (a blank page would be one colour)."""
    opened(browser, written(tmp_path))
    picture = tmp_path / "review.png"
    assert browser.save_screenshot(str(picture))
    data = picture.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    assert (b"\x89PNG", True, True) == (data[:4], width <= A4_PIXELS, len(data) > 20_000 and height > 500)
