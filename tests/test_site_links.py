"""Every link on the built site leads to a built file, with and without MkDocs' directory URLs.

The generated parts of the pages (facts, tables, timelines) are raw HTML whose
URLs convo computes itself (MkDocs neither rewrites nor checks links in raw
HTML, so `--strict` does not see them). This builds the sample notebook both
ways and follows every relative `href` and `src` of every HTML page.
"""

from __future__ import annotations

import html.parser
import posixpath
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import REPO


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.urls.append(value)


def _relative_urls(page: Path) -> list[str]:
    parser = _Links()
    parser.feed(page.read_text("utf-8"))
    parser.close()
    out = []
    for url in parser.urls:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or url.startswith("#") or not parts.path:
            continue
        out.append(parts.path)
    return out


def _dead_links(out: Path, directory_urls: bool) -> tuple[int, list[str]]:
    """(links followed, links that lead nowhere) over every HTML page of the site in ``out``."""
    followed, dead = 0, []
    for page in sorted(out.rglob("*.html")):
        rel_page = page.relative_to(out).as_posix()
        if rel_page == "404.html":  # served at any depth: its links are relative to the site root
            continue
        for path in _relative_urls(page):
            followed += 1
            target = posixpath.normpath(posixpath.join(posixpath.dirname(rel_page), unquote(path)))
            if target.startswith(".."):
                dead.append(f"{rel_page}: {path} (leaves the site)")
                continue
            file = out / target
            if path.endswith("/") or file.is_dir():
                if not directory_urls:  # opened from disk, a folder does not become its index.html
                    dead.append(f"{rel_page}: {path} (a folder)")
                    continue
                file = file / "index.html"
            if not file.is_file():
                dead.append(f"{rel_page}: {path}")
    return followed, dead


@pytest.mark.parametrize("directory_urls", [True, False])
def test_every_link_of_the_sample_site_leads_to_a_built_file(tmp_path, cli, directory_urls):
    root = tmp_path / "nb"
    shutil.copytree(REPO / "notes", root / "notes")
    shutil.copytree(REPO / "site_templates", root / "site_templates")
    shutil.copy(REPO / "convo.yml", root / "convo.yml")
    config = (REPO / "mkdocs.yml").read_text("utf-8")
    (root / "mkdocs.yml").write_text(config + f"use_directory_urls: {'true' if directory_urls else 'false'}\n",
                                     "utf-8")
    out = tmp_path / "site"
    result = cli("-C", str(root), "--today", "2026-11-22", "site", "build", "-d", str(out), "--strict")
    assert result.code == 0, result.err
    followed, dead = _dead_links(out, directory_urls)
    assert dead == []
    assert followed > 3000  # the generated facts, tables and timelines, not only the theme's links
    # A conversation's facts link its people, org, thread and tags where MkDocs publishes them.
    conv = "conversations/2026-10-03-supplier-choice-cultural-fit"
    page = out / (f"{conv}/index.html" if directory_urls else f"{conv}.html")
    hrefs = set(_relative_urls(page))
    if directory_urls:
        assert {"../../people/dana-reyes/", "../../orgs/harbor-logistics/", "../../threads/harbor-renewal/",
                "../../tags/pilot/", "../2026-10-09-pilot-plan-sent/"} <= hrefs
    else:
        assert {"../people/dana-reyes.html", "../orgs/harbor-logistics.html", "../threads/harbor-renewal.html",
                "../tags/pilot.html", "2026-10-09-pilot-plan-sent.html"} <= hrefs


def test_urls_mirror_mkdocs_files():
    """convo's URL arithmetic gives what MkDocs' own File.url and get_relative_url give."""
    from mkdocs.structure.files import File
    from mkdocs.utils import get_relative_url

    from convo_notes.site.pages import Urls

    pages = ["index.md", "people/index.md", "people/ann.md", "people/bo b.md", "orgs/acme.md",
             "conversations/2026-01-01-x.md", "calendar.ics", "attachments/2026/files/plan.pdf"]
    for directory_urls in (True, False):
        urls = Urls(directory_urls)
        for source in pages[:6]:
            base = urls.base(source)
            source_url = File(source, "/docs", "/site", directory_urls).url
            for target in pages:
                target_url = File(target, "/docs", "/site", directory_urls).url
                assert urls.url(target) == target_url
                ours = posixpath.normpath(posixpath.join(posixpath.dirname(
                    source_url if not source_url.endswith("/") else source_url + "x"), urls.relative(base, target)))
                theirs = posixpath.normpath(posixpath.join(posixpath.dirname(
                    source_url if not source_url.endswith("/") else source_url + "x"),
                    get_relative_url(target_url, source_url)))
                assert ours == theirs, (directory_urls, source, target)
