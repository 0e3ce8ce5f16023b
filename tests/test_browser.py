"""A real browser (Debian's headless Chromium, driven by Selenium) against `archive serve` in a
subprocess: search, click a facet, see the results narrow and the chip, open an article and see
its entities marked. Needs the `chromium` and `chromium-driver` packages (.ci/run installs
them); without them this test fails, it does not skip."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def server(seed_index):
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "archive", "serve", "--index",
                                str(seed_index), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/api/entities?limit=1", timeout=2).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError("archive serve did not start: "
                                     + process.stderr.read().decode("utf-8", "replace"))
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture()
def browser():
    assert os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER), (
        "the browser test needs Debian's chromium and chromium-driver: "
        "apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                 "--lang=ar"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _total(driver) -> int:
    return int(driver.find_element(By.ID, "summary").text.split()[0])


def test_search_click_a_facet_and_open_an_article(server, browser, tmp_path):
    browser.get(server + "/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    box = browser.find_element(By.NAME, "q")
    box.send_keys("كورسك")
    box.submit()
    assert parse_qs(urlparse(browser.current_url).query)["q"] == ["كورسك"]
    before = _total(browser)
    assert browser.find_elements(By.TAG_NAME, "mark")

    person = browser.find_element(By.CSS_SELECTOR, ".facet-person a.value")
    entity_id = person.get_attribute("data-entity")
    name = person.find_element(By.TAG_NAME, "span").text
    person.click()
    assert parse_qs(urlparse(browser.current_url).query)["person"] == [entity_id]
    chip = browser.find_element(By.CSS_SELECTOR, "#chips .chip-person")
    assert name in chip.text
    after = _total(browser)
    assert 0 < after < before

    browser.back()  # the URL holds the state: back is the search before the facet
    assert _total(browser) == before
    browser.forward()

    browser.find_element(By.CSS_SELECTOR, ".card h2 a").click()
    assert "/articles/" in browser.current_url
    marks = browser.find_elements(By.CSS_SELECTOR, "article a.ent")
    assert {m.get_attribute("data-entity") for m in marks} >= {entity_id}
    kinds = {c for m in marks for c in m.get_attribute("class").split() if c.startswith("ent-")}
    assert len(kinds) >= 2  # marked in colour by type
    colour = marks[0].value_of_css_property("color")
    assert colour and colour != "rgba(0, 0, 0, 1)"

    shot = Path(os.environ.get("ARCHIVE_SCREENSHOT", tmp_path / "article.png"))
    browser.get(server + "/?q=" + quote("كورسك"))
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
