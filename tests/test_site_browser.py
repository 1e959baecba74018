"""A real browser on a built site: Debian's Chromium, headless, driven by Selenium.

A notebook written here (not the repository's sample) is built with `convo
site build`, served over HTTP on 127.0.0.1 from a thread, and opened: the
home page shows the overdue items of the build date, and typing a person's
name into Material's search box leads to their page.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", "--window-size=1280,1000")

if os.environ.get("CI") and not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    raise RuntimeError("CI must run the browser test: .ci/run installs Debian's chromium and chromium-driver")
pytestmark = pytest.mark.skipif(not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
                                reason="needs /usr/bin/chromium and /usr/bin/chromedriver (Debian: "
                                       "apt-get install chromium chromium-driver)")

NOTEBOOK = {
    "notes/people/me.md": "---\nname: Morgan Teamlead\nteam: true\n---\n",
    "notes/people/harriet-quill.md": "---\nname: Harriet Quill\nrole: Glazier\norg: glassworks\n"
                                     "email: harriet@glassworks.example\nphone: +1 555 0100\ncadence: 2w\n"
                                     "expertise: [stained glass]\n---\nRestores church windows.\n",
    "notes/orgs/glassworks.md": "---\nname: Quill Glassworks\nwhat: Restores and makes leaded windows\n---\n",
    "notes/2026/2026-03-04-glass-supplier.md": "---\ndate: 2026-03-04\nwith: otto-brandt\nchannel: call\n"
                                               "title: Glass supplier\n---\nOtto buys from [Harriet](../people/"
                                               "harriet-quill.md) too.\n",
    "notes/people/otto-brandt.md": "---\nname: Otto Brandt\n---\n",
    "notes/2026/2026-03-01-window-quote.md": """\
---
date: 2026-03-01
with: harriet-quill
title: Window quote
commitments:
  - what: Send Harriet the window measurements
    to: harriet-quill
    due: 2026-03-05
  - what: Book the scaffolding
    due: 2026-03-20
---
Harriet can start in April.
""",
    "notes/2026/2026-03-02-secret.md": """\
---
date: 2026-03-02
with: otto-brandt
title: Confidential chat
private: true
commitments:
  - what: Secret overdue task
    due: 2026-03-03
---
""",
}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def _serve(out: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server


@pytest.fixture(scope="module")
def sample_served(tmp_path_factory):
    """The repository's sample notebook (its own mkdocs.yml palette), built and served."""
    from conftest import REPO, run_cli

    out = tmp_path_factory.mktemp("sample-browser") / "site"
    result = run_cli("-C", str(REPO), "--today", "2026-11-22", "site", "build", "-d", str(out))
    assert result.code == 0, result.err
    server = _serve(out)
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def served_site(make_notebook, cli, tmp_path):
    root = make_notebook(NOTEBOOK, me="me")
    out = tmp_path / "out"
    result = cli("-C", str(root), "--today", "2026-03-10", "site", "build", "-d", str(out))
    assert result.code == 0, result.err
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tmp_path / "chromium-profile"
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def test_home_shows_overdue_and_search_leads_to_a_person(served_site, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 20)
    browser.get(served_site)
    article = browser.find_element(By.CSS_SELECTOR, "article")
    assert "Dashboard as of 2026-03-10: 1 overdue" in article.text
    overdue = browser.find_element(By.XPATH, "//h2[@id='overdue']/following-sibling::*[1]")
    assert "Send Harriet the window measurements" in overdue.text
    assert "2026-03-05" in overdue.text
    assert "Book the scaffolding" not in overdue.text
    assert "Secret overdue task" not in browser.page_source

    box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "input.md-search__input")))
    box.click()
    box.send_keys("Harriet")
    first = wait.until(ec.element_to_be_clickable(
        (By.CSS_SELECTOR, "li.md-search-result__item:first-child a")))
    assert "Harriet Quill" in first.find_element(By.CSS_SELECTOR, "h1").text  # her page ranks first
    assert "Glazier at Quill Glassworks" in first.text  # a readable sentence, no field labels
    assert "Role:" not in first.text
    first.click()
    wait.until(ec.url_contains("/people/harriet-quill/"))
    heading = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "article h1")))
    assert heading.text == "Harriet Quill"
    assert "Glazier" in browser.find_element(By.CSS_SELECTOR, "article").text


AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
PAGE_TYPES = ("", "people/", "people/harriet-quill/", "orgs/glassworks/", "threads/", "commitments/",
              "referrals/", "tags/", "map/", "conversations/2026-03-01-window-quote/")
SAMPLE_PAGES = ("", "people/dana-reyes/", "orgs/harbor-logistics/", "threads/harbor-renewal/",
                "conversations/2026-10-03-supplier-choice-cultural-fit/", "map/", "commitments/")


def _axe_serious(browser, url: str) -> list[str]:
    browser.get(url)
    browser.execute_script(AXE.read_text("utf-8"))
    result = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map("
        "v => [v.id, v.impact, v.nodes.length, v.nodes.slice(0, 3).map(n => n.target.join(' '))])));")
    return [f"{url}: {v[0]} ({v[1]}, {v[2]} nodes: {v[3]})" for v in result if v[1] in ("serious", "critical")]


def _foreign_requests(browser, base: str) -> list[str]:
    entries = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return [e for e in entries if not e.startswith(base)]


def test_axe_finds_no_serious_violation_on_any_page_type(served_site, sample_served, browser):
    browser.set_script_timeout(60)
    found = []
    for page in PAGE_TYPES:
        found += _axe_serious(browser, served_site + page)
        found += [f"{page}: requested {r}" for r in _foreign_requests(browser, served_site)]
    for page in SAMPLE_PAGES:
        found += _axe_serious(browser, sample_served + page)
        found += [f"{page}: requested {r}" for r in _foreign_requests(browser, sample_served)]
    # The dark-mode toggle: switch, and check the same pages in the dark scheme.
    from selenium.webdriver.common.by import By

    for base, pages in ((served_site, PAGE_TYPES), (sample_served, SAMPLE_PAGES)):
        browser.get(base)
        browser.find_element(By.CSS_SELECTOR, "form[data-md-component=palette] label:not([hidden])").click()
        assert browser.execute_script("return document.body.getAttribute('data-md-color-scheme')") == "slate"
        for page in pages:
            found += [f"dark {v}" for v in _axe_serious(browser, base + page)]
        browser.execute_script("localStorage.clear()")
    assert found == [], "\n".join(found)


def test_dashboard_cards_backlinks_and_map(served_site, browser):
    from selenium.webdriver.common.by import By

    browser.get(served_site)
    cards = {c.get_attribute("class").split("convo-card--")[1].split()[0]:
             c.find_element(By.CSS_SELECTOR, ".convo-count").text
             for c in browser.find_elements(By.CSS_SELECTOR, "li.convo-card")}
    assert cards == {"overdue": "1", "today": "0", "week": "1", "waiting": "0", "touch": "1"}
    overdue = browser.find_element(By.CSS_SELECTOR, "li.convo-card--overdue a")
    assert overdue.get_attribute("href").endswith("#overdue")
    item = browser.find_element(By.XPATH, "//h2[@id='overdue']/following-sibling::ul[1]/li")
    assert "5 days late" in item.text and "convo-item--late" in item.get_attribute("class")
    assert "calendar-events.ics" in browser.find_element(By.CSS_SELECTOR, "article").text

    browser.get(served_site + "people/harriet-quill/")
    mentioned = browser.find_element(By.XPATH, "//h2[@id='mentioned-in']/following-sibling::ul[1]")
    assert "Glass supplier" in mentioned.text  # a Markdown link in another note's body
    assert browser.find_element(By.CSS_SELECTOR, "a[href='mailto:harriet@glassworks.example']")
    assert browser.find_element(By.CSS_SELECTOR, "a[href='tel:+15550100']")
    assert browser.find_elements(By.CSS_SELECTOR, "svg.convo-history rect.convo-bar")
    local = [a.get_attribute("data-slug") for a in browser.find_elements(By.CSS_SELECTOR, "svg.convo-graph a")]
    assert "harriet-quill" in local and "glassworks" in local
    tab = browser.find_element(By.CSS_SELECTOR, ".md-tabs__item--active")
    assert tab.text == "People"  # the section of a note's page is marked

    browser.get(served_site + "map/")
    nodes = browser.find_elements(By.CSS_SELECTOR, "svg.convo-graph a.convo-node")
    assert {n.get_attribute("data-slug") for n in nodes} >= {"harriet-quill", "glassworks", "otto-brandt"}
    assert all(n.size["width"] > 0 for n in nodes)  # drawn, not only present
    nodes[0].click()
    assert "/people/" in browser.current_url or "/orgs/" in browser.current_url


def test_phone_width_shows_what_who_and_when_without_scrolling_sideways(served_site, browser):
    from selenium.webdriver.common.by import By

    browser.set_window_size(390, 900)
    width = browser.execute_script("return document.documentElement.clientWidth")
    assert width <= 390
    for page, selector in (("", ".convo-items .convo-when, .convo-items .convo-what, .convo-items .convo-who"),
                           ("people/harriet-quill/", ".convo-profile p, .convo-stack td")):
        browser.get(served_site + page)
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width, page
        cells = browser.find_elements(By.CSS_SELECTOR, selector)
        assert cells, page
        for cell in cells:
            if cell.is_displayed():
                right = browser.execute_script("return arguments[0].getBoundingClientRect().right", cell)
                assert right <= width + 0.5, (page, cell.text)
