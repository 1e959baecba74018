"""`convo due` and `convo threads`: golden text and JSON on a notebook built here, and the options."""

from __future__ import annotations

import json

TODAY = "2026-03-10"

# One small notebook with every kind of item, used by the golden tests here and in test_brief.py.
NOTES = {
    "notes/people/sam.md": "---\nname: Sam Stone\norg: acme\nteam: true\n---\nThat's me.\n",
    "notes/people/cy.md": "---\nname: Cy Park\norg: acme\nteam: true\n---\n",
    "notes/people/ana.md": """\
        ---
        name: Ana Lima
        org: globex
        role: Head of Buying
        email: ana@globex.example
        phone: "+1 555 0100"
        expertise: [widgets, supplier audits]
        aliases: [Annie]
        tags: [client]
        cadence: 2w
        ---
        Decides on the widget contract. Prefers email.
        """,
    "notes/people/ben.md": "---\nname: Ben Ode\norg: globex\nrole: Engineer\ncadence: 1m\n---\n",
    "notes/people/eli.md": "---\nname: Eli Moss\ncadence: 3m\n---\n",
    "notes/people/dee.md": "---\nname: Dee Vo\nprivate: true\n---\nConfidential contact.\n",
    "notes/orgs/globex.md": "---\nname: Globex\nwhat: Makes widgets for ports\nwebsite: https://globex.example\n---\n",
    "notes/orgs/acme.md": "---\nname: Acme Advisory\n---\n",
    "notes/conversations/2026/2026-02-01-kickoff.md": """\
        ---
        title: Kickoff
        date: 2026-02-01
        with: [ana, ben]
        channel: meeting
        thread: globex-deal
        interests: [volume pricing]
        commitments:
          - id: deck
            what: Send the deck
            to: ana
            due: 2026-02-05
          - owner: ana
            to: me
            what: Send the widget specs
            due: 2026-03-12
          - what: Book the room
            done: 2026-02-02
        next:
          turn: them
          by: 2026-02-10
          about: Superseded wait
        ---
        Ana wants volume pricing.
        Ben will look at the specs.
        """,
    "notes/conversations/2026/2026-02-20-deck-follow-up.md": """\
        ---
        title: Deck follow-up
        date: 2026-02-20
        with: ana
        channel: call
        thread: globex-deal
        closes: [deck]
        referrals:
          - recommends: eli
            for: logistics
            note: Ran the port pilot
        ---
        She got the deck.
        """,
    "notes/conversations/2026/2026-03-01-quote.md": """\
        ---
        title: Quote
        date: 2026-03-01T15:30
        with: ana
        channel: email
        thread: globex-deal
        recorded_by: cy
        interests: [three-year terms]
        commitments:
          - what: Draft the contract
            to: ana
            due: 2026-03-18
        next:
          turn: me
          by: 2026-03-17
          about: Send the revised quote
        ---
        # Quote

        Ana asked for three-year terms.
        """,
    "notes/conversations/2026/2026-01-05-port-visit.md": """\
        ---
        date: 2026-01-05
        with: eli
        next:
          turn: eli
          by: 2026-03-01
          about: Eli sends the port numbers
        ---
        # Port visit

        Eli showed us the gates.
        """,
    "notes/conversations/2026/2026-02-15-three-way.md": """\
        ---
        title: Three-way call
        date: 2026-02-15
        with: [ana, eli]
        channel: video
        next:
          turn: sam
          by: 2026-03-03
          about: Introduce Eli's team
        commitments:
          - owner: sam
            to: eli
            what: Share the pilot report
            due: 2026-03-03
          - owner: eli
            to: me
            what: Send the gate data
        referrals:
          - recommends: Green Thumb Gardens
            for: [gardening]
            by: eli
            to: ana
        ---
        """,
    "notes/conversations/2026/2026-03-05-team-sync.md": """\
        ---
        title: Team sync
        date: 2026-03-05
        with: cy
        channel: chat
        next:
          turn: them
          by: 2026-03-20
          about: Cy reviews the quote
        ---
        """,
    "notes/conversations/2026/2026-03-02-confidential.md": """\
        ---
        title: Confidential
        date: 2026-03-02
        with: dee
        channel: meeting
        private: true
        commitments:
          - what: Send the NDA
            to: dee
            due: 2026-03-10
        next:
          turn: me
          by: 2026-03-11
          about: Decide on the NDA
        ---
        Dee proposed a merger.
        """,
    "notes/conversations/2026/2026-01-10-ben-lunch.md": """\
        ---
        title: Lunch with Ben
        date: 2026-01-10
        with: ben
        channel: meeting
        next:
          turn: me
          by: 2026-01-15
          about: Superseded turn
        ---
        """,
    "notes/conversations/2026/2026-01-20-ben-coffee.md": """\
        ---
        title: Coffee with Ben
        date: 2026-01-20
        with: ben
        channel: other
        ---
        Ben is happy; nothing pending.
        """,
}


def run(cli, root, *args: str):
    return cli("-C", str(root), "--today", TODAY, *args)


def test_due_golden_text_and_json(cli, make_notebook, golden):
    root = make_notebook(NOTES)
    text = run(cli, root, "due")
    assert (text.code, text.err) == (0, "")
    assert "Superseded" not in text.out and "Send the deck" not in text.out and "Book the room" not in text.out
    golden("due.txt", text.out)
    golden("due.json", run(cli, root, "due", "--json").out)
    golden("due_all.txt", run(cli, root, "due", "--all").out)


def test_threads_golden_text_and_json(cli, make_notebook, golden):
    root = make_notebook(NOTES)
    text = run(cli, root, "threads")
    assert text.code == 0, text.err
    golden("threads.txt", text.out)
    golden("threads.json", run(cli, root, "threads", "--json").out)
    recent = run(cli, root, "threads", "--sort", "recent", "--state", "mine")
    golden("threads_recent_mine.txt", recent.out)


def test_due_exit_codes(cli, make_notebook):
    root = make_notebook(NOTES)
    assert run(cli, root, "due").code == 0
    assert run(cli, root, "due", "--fail-on-overdue").code == 1
    assert run(cli, root, "due", "--fail-on-overdue", "--owner", "cy").code == 0
    assert run(cli, root, "due", "--fail-on-overdue", "--owner", "eli").code == 1


def test_due_owner_and_mine_filters(cli, make_notebook):
    root = make_notebook(NOTES)
    mine = json.loads(run(cli, root, "due", "--json", "--mine").out)
    assert {i["owner"]["slug"] for i in mine["items"]} == {"sam"}
    assert mine["owner"] == {"slug": "sam", "name": "Sam Stone"}
    ana = json.loads(run(cli, root, "due", "--json", "--owner", "ana", "--all").out)["items"]
    assert [(i["kind"], i["what"]) for i in ana] == [("commitment", "Send the widget specs")]
    # format v1.1: in the quote Cy recorded, `turn: me` and the default owner are Cy
    cy = json.loads(run(cli, root, "due", "--json", "--owner", "cy", "--all").out)["items"]
    # (and keeping in touch with Ana falls to Cy, who spoke with her last)
    assert [(i["kind"], i["what"], i["label"]) for i in cy] == [
        ("keep-in-touch", "keep in touch with Ana Lima (every 2w)", "keep in touch"),
        ("my-turn", "Send the revised quote", "Cy Park's turn"), ("commitment", "Draft the contract", "commitment")]
    as_cy = json.loads(run(cli, root, "--me", "cy", "due", "--json", "--mine", "--all").out)["items"]
    assert [(i["what"], i["label"], i["yours"]) for i in as_cy][1:] == [
        ("Send the revised quote", "your turn", True), ("Draft the contract", "commitment", True)]


def test_due_usage_errors(cli, make_notebook):
    root = make_notebook(NOTES)
    both = run(cli, root, "due", "--mine", "--owner", "ana")
    assert (both.code, both.err) == (2, "convo: give --owner SLUG or --mine, not both\n")
    unknown = run(cli, root, "due", "--owner", "anna")
    assert (unknown.code, unknown.err) == (
        2, "convo: --owner: no person `anna` in notes/people/ (did you mean `ana`?)\n")
    assert run(cli, root, "due", "--within", "-1").code == 2


def test_due_with_errors_in_the_notebook_still_lists_and_exits_1(cli, make_notebook):
    root = make_notebook({**NOTES, "notes/conversations/broken.md": "---\ndate: 2026-13-01\nwith: ana\n---\n"})
    result = run(cli, root, "due")
    assert result.code == 1
    assert "Send the widget specs" in result.out
    assert result.err == ("notes/conversations/broken.md:2:7: error[bad-date]: `date: 2026-13-01` is not a real date\n"
                          "convo: 1 error in the notebook; this answer may be incomplete (run `convo validate`)\n")
    doc = json.loads(run(cli, root, "due", "--json").out)
    assert [e["code"] for e in doc["errors"]] == ["bad-date"]


def test_due_on_an_empty_notebook(cli, make_notebook):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n"})
    result = run(cli, root, "due")
    assert (result.code, result.out) == (0, "Nothing due as of 2026-03-10 (overdue, today and the next 7 days).\n")
    assert json.loads(run(cli, root, "due", "--json").out) == {
        "today": "2026-03-10", "within": 7, "owner": None, "items": [], "errors": []}
    assert run(cli, root, "threads").out == "No threads yet: start one with `convo new`.\n"


def test_every_json_key_is_documented(cli, make_notebook):
    import re

    from conftest import REPO

    docs = (REPO / "docs" / "daily.md").read_text(encoding="utf-8")
    root = make_notebook(NOTES)
    doc = json.loads(run(cli, root, "due", "--json").out)
    documented = set(re.findall(r"^\| `items\[\]\.(\w+)`", docs, re.M))
    assert documented == set(doc["items"][0])
    assert {k for k in doc if k != "items"} <= set(re.findall(r"^\| `(\w+)` \|", docs, re.M))
    threads = json.loads(run(cli, root, "threads", "--json").out)["threads"][0]
    for key in threads:
        assert f"`{key}`" in docs, key
    brief = json.loads(run(cli, root, "brief", "ana", "--json").out)
    section = docs.split("## `convo brief SLUG`", 1)[1].split("\n## ", 1)[0]
    for key in brief:
        assert f"`{key}`" in section, key
