"""report.html rendered in headless Chromium: every image loads, the Chinese font loads, no error.

The browser is Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them where
missing and sets ``MFGPLAN_REQUIRE_BROWSER=1``, so CI fails rather than skips without them).
A full-page screenshot is kept in ``outputs/screenshots/`` (``MFGPLAN_SCREENSHOTS`` elsewhere).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mfgplan.cli import main
from tests.conftest import small_scenario

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        if os.environ.get("MFGPLAN_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium and chromedriver are required (MFGPLAN_REQUIRE_BROWSER=1)")
        pytest.skip("no chromium/chromedriver on this machine (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1200,1000"):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def _render(browser, page: Path, shot: str) -> dict:
    browser.get(page.resolve().as_uri())
    state = browser.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        document.fonts.ready.then(() => done({
          ready: document.readyState,
          images: Array.from(document.images).map(i => [i.complete, i.naturalWidth]),
          cjk: document.fonts.check('16px "mfgplan CJK"', '制造业'),
          height: document.documentElement.scrollHeight,
          text: document.body.innerText,
        }));
        """
    )
    browser.set_window_size(1200, min(int(state["height"]) + 40, 16000))
    folder = Path(os.environ.get("MFGPLAN_SCREENSHOTS", ROOT / "outputs" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(folder / shot))
    state["log"] = browser.get_log("browser")
    return state


def test_the_run_report_renders_with_every_image_and_the_chinese_font(tmp_path, browser):
    out = tmp_path / "run"
    scenario = small_scenario(tmp_path, "plan-2016.yaml", name="plan")
    assert main(["run", str(scenario), "--out", str(out), "-q"]) == 0
    state = _render(browser, out / "report.html", "report.png")
    assert state["ready"] == "complete"
    # the eight fan charts, each loaded and decoded
    assert len(state["images"]) == 8
    assert all(complete and width > 1000 for complete, width in state["images"])
    assert state["cjk"]  # the inlined Chinese font, not tofu
    assert not [e for e in state["log"] if e["level"] == "SEVERE"], state["log"]
    text = state["text"]
    for words in ("结论", "The verdict", "达标概率", "亿元", "技术改造项目补助", "注意事项"):
        assert words in text, words


def test_an_english_comparison_report_renders(tmp_path, browser):
    out = tmp_path / "cmp"
    a = small_scenario(tmp_path, "plan-2016.yaml", name="plan")
    b = small_scenario(tmp_path, "no-programme.yaml", name="none")
    assert main(["compare", str(a), str(b), "--out", str(out), "-q", "--lang", "en"]) == 0
    state = _render(browser, out / "report.html", "compare.png")
    assert len(state["images"]) == 8 and all(c and w > 1000 for c, w in state["images"])
    assert not [e for e in state["log"] if e["level"] == "SEVERE"], state["log"]
    assert "Scenario comparison" in state["text"] and "结论" not in state["text"]
