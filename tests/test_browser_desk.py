"""Chromium (as in test_browser) against `archive serve` on 127.0.0.1:8800-8899: the batch
form with a pasted and an uploaded list, and the copies line of a re-published story."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import CORPUS, run_cli, write_jsonl
from test_browser import browser  # noqa: F401 - the same Chromium fixture
from test_desk import COPY, ORIGINAL, _copy_text


def _port() -> int:
    for port in range(8800, 8900):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in 8800-8899")


@pytest.fixture(scope="module")
def desk_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("desk-browser")
    write_jsonl(folder / "copy.jsonl", [{"id": COPY, "title": "نشر", "source": "وكالة أخرى",
                                         "date": "2024-11-05", "text": _copy_text()}])
    run_cli("index", CORPUS, folder / "copy.jsonl", "--index", folder / "ix", check=0)
    port = _port()
    process = subprocess.Popen([sys.executable, "-m", "archive", "serve", "--index",
                                str(folder / "ix"), "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/api/entities?limit=1", timeout=2).read()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.2)
    yield url, folder
    process.terminate()
    process.wait(timeout=30)


def _batch_rows(browser) -> list:
    """The result rows of the batch page the form's submission loads (waited for: the click
    returns before the answer's page is there)."""
    return WebDriverWait(browser, 60).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, "#batch-results tr.batch-row"))


def test_the_batch_form_with_a_pasted_and_an_uploaded_list(desk_server, browser):  # noqa: F811
    url, folder = desk_server
    browser.get(url + "/")
    browser.find_element(By.LINK_TEXT, "بحث بقائمة").click()
    browser.find_element(By.ID, "batch-lines").send_keys("كورسك\n--person كيم")
    browser.find_element(By.CSS_SELECTOR, "#batch-form button").click()
    rows = _batch_rows(browser)
    assert [r.get_attribute("data-line") for r in rows] == ["1", "2"]
    assert rows[0].get_attribute("data-passages") == "10"  # كورسك: seed corpus and copy
    assert "failed" in rows[1].get_attribute("class") and "could be" in rows[1].text
    rows[0].find_element(By.TAG_NAME, "a").click()
    assert browser.find_element(By.ID, "summary").get_attribute("data-passages") == "10"

    listing = folder / "names.txt"
    listing.write_text("بوتين\nخاركيف\n", "utf-8")
    browser.get(url + "/batch")
    browser.find_element(By.ID, "batch-file").send_keys(str(listing))
    browser.find_element(By.CSS_SELECTOR, "#batch-form button").click()
    rows = _batch_rows(browser)
    assert [r.find_element(By.TAG_NAME, "a").text for r in rows] == ["بوتين", "خاركيف"]
    assert all(int(r.get_attribute("data-passages")) > 0 for r in rows)


def test_a_story_is_shown_once_with_where_else_it_appeared(desk_server, browser):  # noqa: F811
    url, _ = desk_server
    browser.get(url + "/?q=" + urllib.request.quote("كورسك"))
    cards = [c.get_attribute("data-doc") for c in browser.find_elements(By.CSS_SELECTOR, "article.card")]
    assert (ORIGINAL in cards) != (COPY in cards)
    line = browser.find_element(By.CSS_SELECTOR, "article.card .copies")
    other = COPY if ORIGINAL in cards else ORIGINAL
    assert line.get_attribute("data-copies") == other
    link = line.find_element(By.TAG_NAME, "a")
    link.click()
    assert browser.current_url.endswith("/articles/" + other)
    browser.back()
    browser.find_element(By.CSS_SELECTOR, "#collapse a").click()  # show every copy
    assert "collapse=0" in browser.current_url
    cards = [c.get_attribute("data-doc") for c in browser.find_elements(By.CSS_SELECTOR, "article.card")]
    assert {ORIGINAL, COPY} <= set(cards) and not browser.find_elements(By.CSS_SELECTOR, ".copies")
    browser.find_element(By.CSS_SELECTOR, "#collapse a").click()  # each story once again
    assert "collapse" not in browser.current_url
    assert len(browser.find_elements(By.CSS_SELECTOR, "article.card .copies")) == 1
