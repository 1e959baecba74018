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
    "notes/people/harriet-quill.md": "---\nname: Harriet Quill\nrole: Glazier\nexpertise: [stained glass]\n---\n"
                                     "Restores church windows.\n",
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
    result = wait.until(ec.element_to_be_clickable(
        (By.XPATH, "//li[contains(@class,'md-search-result__item')]//a[.//h1[contains(., 'Harriet Quill')]]")))
    result.click()
    wait.until(ec.url_contains("/people/harriet-quill/"))
    heading = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "article h1")))
    assert heading.text == "Harriet Quill"
    assert "Glazier" in browser.find_element(By.CSS_SELECTOR, "article").text
