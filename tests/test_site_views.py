"""The site's new views from notes written here: Markdown links found by the tokenizer, backlinks from
every kind of reference, bounded relationship maps, contact-history strips, relative dates."""

from __future__ import annotations

import datetime as dt

import pytest

from convo_notes.loader import load_notebook
from convo_notes.site import charts
from convo_notes.site.backlinks import markdown_targets, note_target
from convo_notes.site.model import SiteModel
from convo_notes.site.pages import PageSet, initials, make_env, relative
from convo_notes.site.public import public_view

TODAY = dt.date(2026, 3, 10)


def test_markdown_targets_skip_code_and_keep_nested_brackets():
    body = ("See [Ann](../people/ann.md) and [the [draft] deck](<files/deck one.pdf> \"title\").\n"
            "`[not](code.md)` and ``[nor](this.md)``\n\n"
            "```\n[fenced](fenced.md)\n```\n\n"
            "    [indented](indented.md)\n\n"
            "![img](pic.png) \\[escaped](no.md) [bare] text (paren)\n")
    assert markdown_targets(body) == ["../people/ann.md", "files/deck one.pdf", "pic.png"]


@pytest.mark.parametrize(("dest", "expected"), [
    ("../people/ann.md", "notes/people/ann.md"),
    ("other.md#part", "notes/2026/other.md"),
    ("a%20b.md", "notes/2026/a b.md"),
    ("https://example.com/x.md", None),
    ("mailto:x@example.com", None),
    ("#anchor", None),
    ("/abs.md", None),
    ("../../outside.md", None),
    ("file.pdf", None),
])
def test_note_target(dest, expected):
    assert note_target(dest, "notes/2026/2026-03-01-a.md") == expected


def test_relative_dates_and_initials():
    assert [relative(TODAY + dt.timedelta(days=d), TODAY) for d in (0, 1, 2, -1, -3, -20, -90)] == \
        ["today", "tomorrow", "in 2 days", "1 day late", "3 days late", "2 weeks late", "3 months late"]
    assert relative(TODAY - dt.timedelta(days=1), TODAY, "ago") == "yesterday"
    assert [initials(n) for n in ("Dana Reyes", "Cher", "Jean-Luc Picard", "", "Ann B. Carter")] == \
        ["DR", "C", "JP", "?", "AC"]


NOTES = {
    "notes/people/me.md": "---\nname: Morgan\n---\n",
    "notes/people/ann.md": "---\nname: Ann Archer\norg: acme\ncadence: 2w\n---\n",
    "notes/people/bo.md": "---\nname: Bo Baker\n---\nKnows [Ann](ann.md).\n",
    "notes/people/cy.md": "---\nname: Cy Secret\nprivate: true\n---\n",
    "notes/orgs/acme.md": "---\nname: Acme\n---\n",
    "notes/2026/2026-03-01-kickoff.md": "---\ndate: 2026-03-01\nwith: bo\ntitle: Kickoff\n---\n"
                                        "Talked about [[ann]] and [[cy]].\n",
    "notes/2026/2026-03-02-intro.md": "---\ndate: 2026-03-02\nwith: [bo, cy]\ntitle: Intro\n"
                                      "referrals:\n  - recommends: ann\n    for: sales\n    to: bo\n---\n",
    "notes/2026/2026-03-03-secret.md": "---\ndate: 2026-03-03\nwith: ann\ntitle: Secret\nprivate: true\n---\n"
                                       "[[bo]] [Bo](../people/bo.md)\n",
}


def test_backlinks_come_from_links_and_front_matter_of_public_notes(make_notebook):
    root = make_notebook(NOTES, me="me")
    nb = load_notebook(root)
    site = SiteModel(public_view(nb), TODAY)
    pageset = PageSet(site, make_env(), lambda note: note.body)
    pages = dict(pageset.pages())
    ann = {note.path: how for note, how in site.backlinks("people/ann.md")}
    assert ann == {"notes/2026/2026-03-01-kickoff.md": ["link"], "notes/2026/2026-03-02-intro.md": ["referral"],
                   "notes/people/bo.md": ["link"]}
    bo = {note.path: how for note, how in site.backlinks("people/bo.md")}
    assert bo == {"notes/2026/2026-03-02-intro.md": ["referral"]}  # `with` alone is the timeline's
    assert site.backlinks("orgs/acme.md")[0][0].slug == "ann"  # ann works there
    assert 'id="mentioned-in"' in pages["people/ann.md"] and "Kickoff" in pages["people/ann.md"]
    joined = "".join(pages.values())
    assert "Secret" not in joined and "cy" not in site.graph.kind


def test_maps_are_bounded_and_link_every_node(make_notebook):
    notes = {"notes/people/me.md": "---\nname: Morgan\n---\n"}
    for i in range(30):
        notes[f"notes/people/p{i}.md"] = f"---\nname: Person {i}\n---\n"
        notes[f"notes/2026/2026-03-{i % 28 + 1:02d}-c{i}.md"] = \
            f"---\ndate: 2026-03-{i % 28 + 1:02d}\nwith: [p0, p{i}]\ntitle: C{i}\n---\n"
    root = make_notebook(notes, me="me")
    site = SiteModel(public_view(load_notebook(root)), TODAY)
    graph = site.graph
    assert len(graph.local("p0")) == charts.LOCAL_NODES
    assert "me" not in graph.local("p0")  # the owner is in every neighbourhood: shown in none
    svg = charts.local_svg(graph, "p0", lambda s: f"{s}/", "p0")
    assert svg.count("<a href=") == charts.LOCAL_NODES + 1
    top = graph.top(10)
    assert len(top) == 10 and top[0] in ("me", "p0")
    assert charts.graph_svg(graph, top, lambda s: f"{s}/", "map").count("<a href=") == 10
    assert graph.touched_by(["me"]) == {"me"}


def test_history_strip_counts_months_and_marks_the_window():
    dates = [dt.date(2026, 1, 5), dt.date(2026, 1, 20), dt.date(2025, 3, 1), dt.date(2020, 1, 1)]
    svg = charts.history_svg(dates, TODAY, (dt.date(2026, 1, 20), dt.date(2026, 2, 3)), "history")
    assert svg.count('class="convo-bar') == charts.HISTORY_MONTHS
    assert "<title>2026-01: 2 conversations</title>" in svg
    assert "<title>2025-03: 1 conversation</title>" in svg
    assert "2020-01" not in svg  # older than the strip
    assert "convo-window convo-window--late" in svg and "(overdue)" in svg


def test_the_site_publishes_a_tasks_feed_and_an_events_feed_of_the_same_items(make_notebook):
    from convo_notes import ics

    root = make_notebook(NOTES, me="me")
    nb = public_view(load_notebook(root)).nb
    tasks, events = ics.build_feeds(nb, TODAY)
    assert tasks == ics.build_calendar(nb, TODAY) and events == ics.build_calendar(nb, TODAY, events=True)
    assert events.count("BEGIN:VEVENT") == tasks.count("BEGIN:VTODO") > 0
    assert "Secret" not in tasks + events
