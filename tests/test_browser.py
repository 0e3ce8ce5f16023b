"""A real browser (Debian's headless Chromium, driven by Selenium) against `archive serve` in a
subprocess: search, click a facet, see the results narrow and the chip, open an article and see
its entities marked; results by article, exports, the entity browser, a facet's "more", the
co-mention graph, the timeline, the phone layout, dates, focus. Needs the `chromium` and
`chromium-driver` packages (.ci/run installs them); without them these tests fail, they do not
skip. ``ARCHIVE_SCREENSHOTS=docs`` writes the README's screenshots there."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlencode, urlparse

import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(index: Path):
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "archive", "serve", "--index",
                                str(index), "--port", str(port)],
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
                raise AssertionError("archive serve did not start: " + process.stderr.read().decode(
                    "utf-8", "replace")) from None
            time.sleep(0.2)
    return process, url


@pytest.fixture(scope="module")
def server(seed_index):
    process, url = _serve(seed_index)
    yield url
    process.terminate()
    process.wait(timeout=30)


DATED = [  # three months with a gap, and an article without a date
    {"id": "jan", "title": "قصف في يناير", "date": "2024-01-10", "source": "وكالة",
     "text": "سقطت صواريخ على كورسك في يناير."},
    {"id": "mar1", "title": "قصف في مارس", "date": "2024-03-02T10:00:00", "source": "وكالة",
     "text": "سقطت صواريخ جديدة قرب كورسك.\n\nثم صواريخ أخرى في الليل.\n\nوصواريخ ثالثة.\n\n"
             "وصواريخ رابعة قرب الحدود."},
    {"id": "mar2", "title": "صواريخ آخر مارس", "date": "2024-03-20", "text": "صواريخ في مارس."},
    {"id": "undated", "title": "خبر بلا تاريخ", "text": "صواريخ لا يعرف متى سقطت."},
]


@pytest.fixture(scope="module")
def dated_server(tmp_path_factory):
    from archive import Archive

    folder = tmp_path_factory.mktemp("dated")
    feed = folder / "feed.jsonl"
    feed.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in DATED), "utf-8")
    with Archive.open(folder / "ix", create=True) as archive:
        assert archive.index([feed]).ok
    process, url = _serve(folder / "ix")
    yield url
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(scope="module")
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


@pytest.fixture()
def page(browser):
    """The browser at desktop width, back there after the test."""
    browser.set_window_size(1280, 1000)
    yield browser
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    browser.set_window_size(1280, 1000)


def _phone(browser, width: int = 400, height: int = 900) -> None:
    """A phone's screen (headless Chromium's windows are never narrower than 500 pixels)."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": True})


def _total(driver) -> int:
    """Passages matched, from the summary ("3 مقالات (6 مقاطع)")."""
    return int(driver.find_element(By.ID, "summary").get_attribute("data-passages"))


def test_search_click_a_facet_and_open_an_article(server, page):
    browser = page
    browser.get(server + "/")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    box = browser.find_element(By.NAME, "q")
    box.send_keys("كورسك")
    _follow(browser, box, submit=True)
    assert parse_qs(urlparse(browser.current_url).query)["q"] == ["كورسك"]
    before = _total(browser)
    assert browser.find_elements(By.TAG_NAME, "mark")

    person = browser.find_element(By.CSS_SELECTOR, ".facet-person a.value")
    entity_id = person.get_attribute("data-entity")
    name = person.find_element(By.TAG_NAME, "span").text
    _follow(browser, person)
    assert parse_qs(urlparse(browser.current_url).query)["person"] == [entity_id]
    chip = browser.find_element(By.CSS_SELECTOR, "#chips .chip-person")
    assert name in chip.text
    after = _total(browser)
    assert 0 < after < before

    browser.back()  # the URL holds the state: back is the search before the facet
    assert _total(browser) == before
    browser.forward()

    _follow(browser, browser.find_element(By.CSS_SELECTOR, ".card h2 a"))
    assert "/articles/" in browser.current_url
    marks = browser.find_elements(By.CSS_SELECTOR, "article a.ent")
    assert {m.get_attribute("data-entity") for m in marks} >= {entity_id}
    kinds = {c for m in marks for c in m.get_attribute("class").split() if c.startswith("ent-")}
    assert len(kinds) >= 2  # marked in colour by type
    colour = marks[0].value_of_css_property("color")
    assert colour and colour != "rgba(0, 0, 0, 1)"


def _follow(browser, element, submit: bool = False) -> None:
    """Click a link or button (or submit the form of a field) that loads another page, and
    wait for that page: a click returns once the event is dispatched, so reading the URL
    right after it can race."""
    old = browser.find_element(By.TAG_NAME, "html")
    if submit:
        element.submit()
    else:
        element.click()
    WebDriverWait(browser, 30).until(expected_conditions.staleness_of(old))
    WebDriverWait(browser, 30).until(
        lambda driver: driver.execute_script("return document.readyState") == "complete")


def _search(browser, url: str, q: str, **params) -> None:
    browser.get(url + "/?" + urlencode({"q": q, **params}))


def _query(browser) -> dict[str, list[str]]:
    return parse_qs(urlparse(browser.current_url).query)


def test_one_card_per_article_with_its_best_passages(server, page):
    _search(page, server, "كورسك")
    cards = page.find_elements(By.CSS_SELECTOR, "article.card")
    docs = [card.get_attribute("data-doc") for card in cards]
    assert len(docs) == len(set(docs)) == 3
    first = cards[0]
    assert len(first.find_elements(By.CSS_SELECTOR, "ol.passages li")) == 3
    assert first.find_elements(By.CSS_SELECTOR, "ol.passages mark")
    more = first.find_element(By.CSS_SELECTOR, "a.more")
    assert more.text == "1 مقطع آخر في هذا المقال"
    assert page.find_element(By.ID, "summary").text.startswith("3 مقالات (6 مقاطع)")
    _follow(page, more)
    assert unquote(urlparse(page.current_url).path) == "/articles/" + docs[0]


def test_the_csv_link_downloads_every_hit_of_the_search(server, page):
    _search(page, server, "كورسك")
    link = page.find_element(By.CSS_SELECTOR, "a.export[href*='format=csv']")
    with urllib.request.urlopen(link.get_attribute("href"), timeout=30) as response:
        assert response.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(response.read().decode("utf-8"), newline="")))
    assert len(rows) == _total(page) and "doc_id" in rows[0] and "كورسك" in rows[0]["text"]
    jsonl = page.find_element(By.CSS_SELECTOR, "a.export[href*='format=jsonl']")
    assert _query_of(jsonl.get_attribute("href"))["q"] == ["كورسك"]


def _query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def test_the_entity_browser_finds_putin(server, page):
    page.get(server + "/")
    _follow(page, page.find_element(By.LINK_TEXT, "الكيانات"))
    assert urlparse(page.current_url).path == "/entities"
    names = [a.text for a in page.find_elements(By.CSS_SELECTOR, "table.entities a")]
    assert "فلاديمير بوتين" in names and len(names) == 50  # one page of 50
    _follow(page, page.find_element(By.CSS_SELECTOR, "#types a[data-type=person]"))
    box = page.find_element(By.CSS_SELECTOR, "form.filter input[name=name]")
    box.send_keys("بوتين")
    _follow(page, box, submit=True)
    assert _query(page) == {"type": ["person"], "name": ["بوتين"]}
    rows = page.find_elements(By.CSS_SELECTOR, "table.entities a")
    assert [a.text for a in rows] == ["فلاديمير بوتين"]
    _follow(page, rows[0])
    assert page.find_element(By.TAG_NAME, "h1").text == "فلاديمير بوتين"


def test_more_under_a_facet_lists_and_filters_its_values(server, page):
    _search(page, server, "كورسك")
    _follow(page, page.find_element(By.CSS_SELECTOR, ".facet-place a.more"))
    assert urlparse(page.current_url).path == "/facets/place"
    listed = page.find_elements(By.CSS_SELECTOR, "#facet-more a.value")
    assert len(listed) > len(page.find_elements(By.CSS_SELECTOR, "#facet-more a.not")) - 1 > 0
    box = page.find_element(By.CSS_SELECTOR, "form.filter input[name=name]")
    box.send_keys("كييف")
    _follow(page, box, submit=True)
    (kyiv,) = page.find_elements(By.CSS_SELECTOR, "#facet-more a.value")
    _follow(page, kyiv)
    assert _query(page)["place"] == ["place:city:703448"] and _query(page)["q"] == ["كورسك"]
    assert page.find_element(By.CSS_SELECTOR, "#chips .chip-place").text.startswith("كييف")


def test_the_co_mention_graph_links_to_entity_pages(server, page):
    page.get(server + "/entities/person:vladimir-putin")
    nodes = page.find_elements(By.CSS_SELECTOR, "svg#graph a")
    assert len(nodes) >= 8
    assert page.find_element(By.CSS_SELECTOR, "svg#graph").size["width"] > 400
    marks = page.find_elements(By.CSS_SELECTOR, ".results mark.entity-mark")
    assert {m.text for m in marks} >= {"بوتين", "فلاديمير بوتين"}  # the entity, any spelling
    assert marks[0].value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"
    target = nodes[0].get_attribute("data-entity")
    _follow(page, nodes[0])
    assert unquote(urlparse(page.current_url).path) == "/entities/" + target


def test_the_timeline_reads_right_to_left_with_every_month(dated_server, page):
    _search(page, dated_server, "صواريخ")
    months = page.find_elements(By.CSS_SELECTOR, "#timeline li")
    assert [m.get_attribute("data-month") for m in months] == ["2024-01", "2024-02", "2024-03"]
    assert months[0].location["x"] > months[-1].location["x"]  # January at the right
    assert [m.find_element(By.CSS_SELECTOR, ".n").text for m in months] == ["1", "0", "2"]
    assert "فبراير" in months[1].text
    Select(page.find_element(By.NAME, "from")).select_by_value("2024-02")
    Select(page.find_element(By.NAME, "to")).select_by_value("2024-03")
    _follow(page, page.find_element(By.CSS_SELECTOR, "form.range button"))
    query = _query(page)
    assert query["from"] == ["2024-02"] and query["to"] == ["2024-03"] and query["q"] == ["صواريخ"]
    titles = [a.text for a in page.find_elements(By.CSS_SELECTOR, ".card h2 a")]
    assert set(titles) == {"قصف في مارس", "صواريخ آخر مارس"}
    _follow(page, page.find_element(By.CSS_SELECTOR, "#timeline li[data-month='2024-03'] a"))
    assert _query(page)["from"] == ["2024-03"] == _query(page)["to"]


def test_dates_are_written_for_people(dated_server, page):
    _search(page, dated_server, "صواريخ")
    dates = {card.find_element(By.CSS_SELECTOR, "h2").text:
             [t.text for t in card.find_elements(By.TAG_NAME, "time")]
             for card in page.find_elements(By.CSS_SELECTOR, "article.card")}
    assert dates["قصف في مارس"] == ["2 مارس 2024"] and dates["قصف في يناير"] == ["10 يناير 2024"]
    assert dates["خبر بلا تاريخ"] == []
    assert not re.search(r"\d{4}-\d{2}-\d{2}", page.find_element(By.TAG_NAME, "main").text)


def test_on_a_phone_the_facets_come_before_the_results(server, page):
    _phone(page)
    _search(page, server, "كورسك")
    assert page.execute_script("return document.documentElement.scrollWidth") <= 400  # no sideways scrolling
    toggle = page.find_element(By.CSS_SELECTOR, "label.toggle-label")
    first_card = page.find_element(By.CSS_SELECTOR, "article.card")
    assert toggle.is_displayed() and toggle.location["y"] < first_card.location["y"]
    assert toggle.location["y"] < page.get_window_size()["height"]  # no scrolling to reach it
    facet = page.find_element(By.CSS_SELECTOR, ".facet-person a.value")
    assert not facet.is_displayed()  # folded until asked
    toggle.click()
    assert facet.is_displayed() and facet.location["y"] < first_card.location["y"]
    entity_id = facet.get_attribute("data-entity")
    _follow(page, facet)
    assert _query(page)["person"] == [entity_id]


def _search_box_focused(page) -> bool:
    """Whether the search box gets the focus (Chrome applies ``autofocus`` at a rendering update
    after the page loads, so it is waited for, up to 5 s)."""
    try:
        WebDriverWait(page, 5).until(
            lambda p: p.switch_to.active_element.get_attribute("name") == "q")
    except TimeoutException:
        return False
    return True


def test_focus_is_on_the_search_box_only_on_search_pages(server, page):
    page.get(server + "/")
    assert _search_box_focused(page)
    _search(page, server, "كورسك")
    assert _search_box_focused(page)
    doc_id = page.find_element(By.CSS_SELECTOR, "article.card").get_attribute("data-doc")
    for path in ("/articles/" + quote(doc_id), "/entities/person:vladimir-putin", "/entities"):
        page.get(server + path)
        assert page.switch_to.active_element.tag_name == "body", path  # Space scrolls the page


def test_title_underlines_clear_the_letters(server, page):
    _search(page, server, "كورسك")
    title = page.find_element(By.CSS_SELECTOR, ".card h2 a")
    offset = title.value_of_css_property("text-underline-offset")
    assert offset.endswith("px") and float(offset[:-2]) >= 5  # below the dots of ي, ج, ق
    assert title.value_of_css_property("text-decoration-skip-ink") == "auto"
    family = page.find_element(By.TAG_NAME, "body").value_of_css_property("font-family")
    assert family.startswith('"Noto Naskh Arabic"')


SCREENSHOTS = {  # file: (path, width)
    "search.png": ("/?q=" + quote("كورسك") + "&exclude_place=place%3Acity%3A703448", 1400),
    "article.png": ("/articles/003_cc5a21bc2bd10a71", 1400),
    "entity.png": ("/entities/person:vladimir-putin", 1400),
    "entities.png": ("/entities", 1400),
    "mobile.png": ("/?q=" + quote("كورسك"), 400),
}


def test_screenshots_of_every_page(server, page, tmp_path):
    folder = Path(os.environ.get("ARCHIVE_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    for name, (path, width) in SCREENSHOTS.items():
        page.set_window_size(max(width, 600), 1000)
        if width < 600:
            _phone(page, width)
        page.get(server + path)
        assert page.find_element(By.TAG_NAME, "main").text.strip(), name
        height = min(max(page.execute_script("return document.documentElement.scrollHeight"),
                         700), 1800)
        if width < 600:
            _phone(page, width, height)
        else:
            page.set_window_size(width, height)
        assert page.save_screenshot(str(folder / name)) and (folder / name).stat().st_size > 10_000


def test_sort_newest_and_oldest_first(dated_server, page):
    _search(page, dated_server, "صواريخ")
    _follow(page, page.find_element(By.CSS_SELECTOR, "#sort a[data-sort=date]"))
    assert _query(page)["sort"] == ["date"]
    newest = [t.get_attribute("datetime")[:10] for t in page.find_elements(By.CSS_SELECTOR, ".card time")]
    assert newest == sorted(newest, reverse=True) and len(newest) == 3
    assert page.find_elements(By.CSS_SELECTOR, ".card h2")[-1].text == "خبر بلا تاريخ"
    _follow(page, page.find_element(By.CSS_SELECTOR, "#sort a[data-sort=oldest]"))
    oldest = [t.get_attribute("datetime")[:10] for t in page.find_elements(By.CSS_SELECTOR, ".card time")]
    assert oldest == sorted(oldest) == sorted(newest)
    _follow(page, page.find_element(By.CSS_SELECTOR, "#sort a[data-sort=relevance]"))
    assert "sort" not in _query(page)


def test_not_excludes_a_facet_value_shown_struck_through(server, page):
    _search(page, server, "كورسك")
    before = _total(page)
    control = page.find_element(By.CSS_SELECTOR, ".facet-person a.not")
    entity_id = control.get_attribute("data-entity")
    _follow(page, control)
    assert _query(page)["exclude_person"] == [entity_id]
    chip = page.find_element(By.CSS_SELECTOR, "#chips .chip.excluded")
    assert "line-through" in chip.find_element(By.CLASS_NAME, "label").value_of_css_property(
        "text-decoration-line")
    assert 0 < _total(page) < before
    listed = {a.get_attribute("data-entity") for a in page.find_elements(By.CSS_SELECTOR, ".facet-person a.value")}
    assert entity_id not in listed
    _follow(page, chip)
    assert "exclude_person" not in _query(page) and _total(page) == before
