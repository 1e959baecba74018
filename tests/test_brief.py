"""`convo brief`: golden text and JSON for a person and an org, and what a brief must hold."""

from __future__ import annotations

import datetime as dt
import json

from convo_notes.brief import build_brief, excerpt
from convo_notes.loader import load_notebook
from test_agenda_cli import NOTES, TODAY


def run(cli, root, *args: str):
    return cli("-C", str(root), "--today", TODAY, *args)


def test_brief_person_golden(cli, make_notebook, golden):
    root = make_notebook(NOTES)
    text = run(cli, root, "brief", "ana")
    assert (text.code, text.err) == (0, "")
    golden("brief_person.txt", text.out)
    golden("brief_person.json", run(cli, root, "brief", "ana", "--json").out)


def test_brief_org_golden(cli, make_notebook, golden):
    root = make_notebook(NOTES)
    text = run(cli, root, "brief", "globex")
    assert (text.code, text.err) == (0, "")
    golden("brief_org.txt", text.out)
    golden("brief_org.json", run(cli, root, "brief", "globex", "--json").out)


def test_brief_private_person_is_included_and_marked(cli, make_notebook, golden):
    root = make_notebook(NOTES)
    text = run(cli, root, "brief", "dee").out
    golden("brief_private.txt", text)
    assert text.splitlines()[0] == "Dee Vo (dee) [private]"
    assert "Confidential [private]" in text and "Dee proposed a merger." in text
    doc = json.loads(run(cli, root, "brief", "dee", "--json").out)
    assert doc["subject"]["private"] is True
    assert [h["private"] for h in doc["history"]] == [True]


def test_brief_contents_for_a_person(make_notebook):
    nb = load_notebook(make_notebook(NOTES))
    b = build_brief(nb, "ana", dt.date(2026, 3, 10))
    assert b.org is not None and b.org.slug == "globex"
    assert b.last is not None and b.last.slug == "2026-03-01-quote"
    assert [r.slug for r in b.recorders] == ["cy", "sam"]  # recorded_by, else me
    assert [(t.key, t.state) for t in b.threads] == [("ana+eli", "mine"), ("globex-deal", "mine")]
    assert [p.commitment.what for p in b.they_owe] == ["Send the widget specs"]
    assert [p.commitment.what for p in b.we_owe] == ["Draft the contract"]
    assert [(p.commitment.what, p.fulfilled) for p in b.sent] == [("Send the deck", dt.date(2026, 2, 20))]
    assert [i.text for i in b.interests] == ["three-year terms", "volume pricing"]
    assert [e.referral.recommends for e in b.referrals_given] == ["eli"]
    assert [e.referral.recommends for e in b.referrals_received] == ["Green Thumb Gardens"]
    assert [h.conversation.slug for h in b.history] == [
        "2026-03-01-quote", "2026-02-20-deck-follow-up", "2026-02-15-three-way", "2026-02-01-kickoff"]
    assert b.history[0].excerpt == ("Ana asked for three-year terms.",)  # the heading is skipped


def test_brief_for_an_org_covers_all_its_people(make_notebook):
    nb = load_notebook(make_notebook(NOTES))
    b = build_brief(nb, "globex", dt.date(2026, 3, 10))
    assert [p.slug for p in b.people] == ["ana", "ben"]
    assert [h.conversation.slug for h in b.history][-2:] == ["2026-01-20-ben-coffee", "2026-01-10-ben-lunch"]
    assert [k.person.slug for k in b.keep_in_touch] == ["ana", "ben"]
    assert "2026-01-20-ben-coffee" in {t.latest.slug for t in b.threads}


def test_brief_of_someone_never_contacted(cli, make_notebook):
    root = make_notebook({**NOTES, "notes/people/new.md": "---\nname: New Person\ncadence: 1m\n---\n"})
    result = run(cli, root, "brief", "new")
    assert result.out == ("New Person (new)\n"
                          "  keep in touch every 1m: due 2026-03-10 (today, never contacted)\n"
                          "\nNever spoken with (no conversations yet).\n")
    doc = json.loads(run(cli, root, "brief", "new", "--json").out)
    assert (doc["last_spoke"], doc["history"], doc["threads"]) == (None, [], [])


def test_brief_unknown_slug_is_a_usage_error(cli, make_notebook):
    root = make_notebook(NOTES)
    result = run(cli, root, "brief", "anna")
    assert (result.code, result.out) == (2, "")
    assert result.err == "convo: no person or org `anna` in this notebook (did you mean `ana`?)\n"


def test_excerpt_skips_blank_lines_and_heading_and_cuts_long_lines():
    assert excerpt("# Title\n\none\n\ntwo\nthree\nfour\n") == ("one", "two", "three")
    assert excerpt("x" * 150, width=10) == ("x" * 9 + "…",)
    assert excerpt("") == ()


def test_brief_by_name_or_alias(cli, notebook):
    by_slug = cli("-C", str(notebook), "--today", "2026-11-22", "brief", "dana-reyes")
    for name in ("Dana Reyes", "dana  reyes", "Dana R."):
        by_name = cli("-C", str(notebook), "--today", "2026-11-22", "brief", name)
        assert (by_name.code, by_name.out) == (by_slug.code, by_slug.out)
    assert cli("-C", str(notebook), "brief", "Nobody Here").code == 2
