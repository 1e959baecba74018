"""The team site: a real MkDocs build of the sample notebook, golden pages, and the build's rules."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from conftest import REPO
from convo_notes.loader import load_notebook
from convo_notes.site.build import SiteError, check_out_dir
from convo_notes.site.model import SiteModel
from convo_notes.site.pages import PageSet, make_env
from convo_notes.site.public import public_view

TODAY = dt.date(2026, 11, 22)


def sample_pages() -> dict[str, str]:
    """The sample notebook's generated Markdown (no git dates, so it does not depend on history)."""
    nb = load_notebook(REPO)
    site = SiteModel(public_view(nb), TODAY)
    return dict(PageSet(site, make_env(REPO / "site_templates"), lambda note: note.body).pages())


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """The sample notebook built once, strict, through the real CLI."""
    from conftest import run_cli

    out = tmp_path_factory.mktemp("sample") / "site"
    result = run_cli("-C", str(REPO), "--today", "2026-11-22", "site", "build", "-d", str(out), "--strict")
    return out, result


def test_sample_builds_strict_with_exact_summary(sample_site):
    out, result = sample_site
    assert result.code == 0, result.err
    assert result.err == ""
    assert result.out == (
        f"Built the site in {out} as of 2026-11-22: 115 pages (18 people, 5 orgs, 37 conversations).\n"
        "Left out 3 private notes.\n"
    )
    for page in ("index.html", "people/dana-reyes/index.html", "orgs/harbor-logistics/index.html",
                 "threads/harbor-renewal/index.html", "commitments/index.html", "referrals/index.html",
                 "tags/index.html", "map/index.html", "calendar.ics", "calendar-events.ics",
                 "search/search_index.json", "sitemap.xml"):
        assert (out / page).is_file(), page


def test_sample_home_shows_overdue_items_of_the_build_date(sample_site):
    out, _ = sample_site
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "Dashboard as of <strong>2026-11-22</strong>: 8 overdue" in home
    overdue = home.split('id="overdue"')[1].split('id="due-this-week"')[0]
    for item in ("Send revised SLA pricing with the volume tiers", "Export Q3 POS data for all six stores",
                 "keep in touch with Oliver Grant"):
        assert item in overdue
    assert "Send the budget narrative draft" not in overdue  # due 11-26: this week, not overdue
    assert 'href="calendar.ics"' in home


def test_sample_theme_settings_from_its_mkdocs_yml_are_honoured(sample_site):
    out, _ = sample_site
    home = (out / "index.html").read_text(encoding="utf-8")
    assert 'data-md-color-primary="indigo"' in home  # teal links failed WCAG contrast (axe-core)
    assert 'data-md-color-scheme="slate"' in home  # the dark-mode toggle
    assert "md-tabs" in home  # navigation.tabs


def test_sample_search_index_holds_people_tags_interests_and_bodies(sample_site):
    import json

    out, _ = sample_site
    docs = json.loads((out / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    by_location = {d["location"]: d for d in docs}
    dana = by_location["people/dana-reyes/"]
    assert dana["title"] == "Dana Reyes"
    assert "supplier scorecards" in dana["text"] and "decision-maker" in dana["text"]
    texts = " ".join(d["text"] for d in docs)
    assert "stand at the gate with us" in texts  # a conversation body
    assert "pilot measurement" in texts  # interests


def test_search_indexes_a_notes_own_facts_not_the_lists_of_other_notes(sample_site):
    import json

    out, _ = sample_site
    docs = json.loads((out / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    dana = " ".join(d["text"] for d in docs if d["location"].startswith("people/dana-reyes/"))
    assert "Head of Procurement" in dana and "Harbor Logistics" in dana  # her facts
    assert "Harbor renewal kickoff" not in dana  # her timeline lists it; its own page is what search finds
    assert "Harbor renewal kickoff" in (out / "people" / "dana-reyes" / "index.html").read_text("utf-8")
    kickoff = [d for d in docs if d["location"].startswith("conversations/2026-06-09-harbor-renewal-kickoff/")]
    assert [d["title"] for d in kickoff] == ["Harbor renewal kickoff"]  # one result per conversation
    assert "Dana Reyes" in kickoff[0]["text"]
    assert not any(d["location"] == "people/" and "Dana Reyes" in d["text"] for d in docs)  # the index table


def test_nav_stays_small(sample_site):
    out, _ = sample_site
    page = (out / "conversations" / "2026-10-03-supplier-choice-cultural-fit" / "index.html").read_text("utf-8")
    tabs = re.findall(r'class="md-tabs__link"', page)
    assert len(tabs) == 8


@pytest.mark.parametrize("page", [
    "index.md",
    "conversations/2026-10-03-supplier-choice-cultural-fit.md",
    "people/dana-reyes.md",
    "threads/harbor-renewal.md",
    "referrals/index.md",
    "commitments/index.md",
    "orgs/harbor-logistics.md",
    "people/index.md",
    "orgs/index.md",
    "threads/index.md",
    "tags/index.md",
    "tags/client.md",
    "map/index.md",
])
def test_golden_pages(golden, page):
    golden("site/" + page, sample_pages()[page])


def test_sample_override_template_is_used():
    home = sample_pages()["index.md"]
    assert "This is the sample notebook of **convo-notes**." in home


def test_wiki_links_become_links_or_text(make_notebook):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/dana.md": "---\nname: Dana\n---\n",
        "notes/people/hidden.md": "---\nname: Hidden Person\nprivate: true\n---\n",
        "notes/c.md": "---\ndate: 2026-11-01\nwith: dana\n---\n"
                      "See [[dana]], [[dana|our Dana]], [[hidden]], [[nobody-yet]] and `[[dana]]`.\n",
    })
    nb = load_notebook(root)
    pageset = PageSet(SiteModel(public_view(nb), TODAY), make_env(None), lambda n: n.body)
    pages = dict(pageset.pages())
    body = pages["conversations/c.md"].split("<h2>Notes</h2>\x1e\n\n")[1]
    assert body.startswith("See [[dana]], [[dana|our Dana]], [[hidden]], [[nobody-yet]] and `[[dana]]`.")
    # The links are decided when the page is parsed (by the parser MkDocs uses; here the default one).
    pageset.links.page = "conversations/c.md"
    html = pageset.parser.reset().convert(body)
    assert html.startswith('<p>See <a href="../people/dana.md">Dana</a>, <a href="../people/dana.md">our Dana</a>, '
                           "someone (private), nobody-yet and <code>[[dana]]</code>.</p>")


def test_attachments_are_copied_only_when_a_public_note_links_them(make_notebook, cli, tmp_path):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/dana.md": "---\nname: Dana\n---\n",
        "notes/2026/c.md": "---\ndate: 2026-11-01\nwith: dana\n---\n"
                           "The [plan](files/plan.pdf), an ![photo](files/photo.png) and a [page](files/evil.html).\n",
        "notes/2026/files/plan.pdf": b"%PDF-1.4 plan",
        "notes/2026/files/photo.png": b"\x89PNG photo",
        "notes/2026/files/evil.html": "<script>alert(1)</script>",
        "notes/2026/files/unlinked.pdf": b"%PDF-1.4 unlinked",
    })
    out = tmp_path / "out"
    result = cli("-C", str(root), "--today", "2026-11-22", "site", "build", "-d", str(out))
    assert result.code == 0, result.err
    assert result.err == ("warning: notes/2026/c.md: link to `2026/files/evil.html` is not published "
                          "(a file type browsers run)\n")
    assert "2 attachments" in result.out
    copied = sorted(p.relative_to(out).as_posix() for p in (out / "attachments").rglob("*") if p.is_file())
    assert copied == ["attachments/2026/files/photo.png", "attachments/2026/files/plan.pdf"]
    html = (out / "conversations" / "c" / "index.html").read_text("utf-8")
    assert 'href="../../attachments/2026/files/plan.pdf"' in html
    assert "evil.html" not in html


def test_notebook_mkdocs_yml_extra_css_and_theme_are_used(make_notebook, cli, tmp_path):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "mkdocs.yml": "site_name: Our team\ntheme:\n  name: material\n  palette:\n    primary: red\n"
                      "extra_css:\n  - css/extra.css\nplugins:\n  - search\n",
        "docs/css/extra.css": "body { color: #123456; }\n",
        "docs/secret.md": "# never copied\n",
    })
    out = tmp_path / "out"
    result = cli("-C", str(root), "--today", "2026-11-22", "site", "build", "-d", str(out), "--strict")
    assert result.code == 0, result.err
    home = (out / "index.html").read_text("utf-8")
    assert "<title>Our team</title>" in home
    assert 'data-md-color-primary="red"' in home
    assert 'href="css/extra.css"' in home
    assert (out / "css" / "extra.css").read_text() == "body { color: #123456; }\n"
    assert not (out / "secret").exists()


def test_default_site_dir(make_notebook, cli):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/c.md": "---\ndate: 2026-11-01\nwith: sam\n---\nHello.\n",
    })
    result = cli("--today", "2026-11-22", "site", "build", cwd=root)
    assert result.code == 0, result.err
    assert result.out == "Built the site in site as of 2026-11-22: 11 pages (1 people, 0 orgs, 1 conversations).\n"
    assert (root / "site" / "index.html").is_file()


def test_strict_fails_on_a_mkdocs_warning(make_notebook, cli, tmp_path):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/c.md": "---\ndate: 2026-11-01\nwith: sam\n---\nSee [the anchor](#nowhere).\n",
        "mkdocs.yml": "site_name: Strict\ntheme:\n  name: material\nvalidation:\n  anchors: warn\n",
    })
    args = ("-C", str(root), "--today", "2026-11-22", "site", "build", "-d", str(tmp_path / "out"))
    relaxed = cli(*args)
    assert relaxed.code == 0
    assert "contains a link '#nowhere', but there is no such anchor on this page" in relaxed.err
    strict = cli(*args, "--strict")
    assert strict.code == 1
    assert strict.err.splitlines()[-1] == ("convo: MkDocs build failed: Aborted with 1 warnings in strict mode!")


def test_refuses_to_build_into_the_notebook(make_notebook, cli):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n"})
    for target in (root, root / "notes", root.parent):
        result = cli("-C", str(root), "site", "build", "-d", str(target))
        assert result.code == 1
        assert "refusing to build into" in result.err
    assert (root / "notes" / "people" / "sam.md").is_file()


def test_refuses_to_stage_inside_notes(make_notebook, cli, tmp_path):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n"})
    result = cli("-C", str(root), "site", "build", "-d", str(tmp_path / "out"), "--staging", str(root / "notes" / "x"))
    assert result.code == 1
    assert result.err == (f"convo: refusing to stage the site in {root / 'notes' / 'x'}: "
                          "choose a folder outside notes/\n")
    assert not (root / "notes" / "x").exists()


def test_refuses_a_non_empty_folder_that_is_not_a_site(tmp_path, make_notebook):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n"})
    other = tmp_path / "documents"
    other.mkdir()
    (other / "thesis.txt").write_text("precious")
    with pytest.raises(SiteError, match="not empty"):
        check_out_dir(root, other)


def test_serve_rejects_a_bad_address(cli, make_notebook):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n"})
    result = cli("-C", str(root), "site", "serve", "-a", "localhost:http")
    assert result.code == 2
    assert result.err == ("convo: -a/--dev-addr: 'localhost:http' is not HOST:PORT "
                          "(for example 127.0.0.1:8000)\n")
