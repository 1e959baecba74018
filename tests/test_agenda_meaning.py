"""Every rule of the format's "Meaning" section, through `convo due` / `convo threads` JSON.

Each test builds the smallest notebook that shows one rule, as of a fixed
today (2026-03-10), and asserts exactly which items come out.
"""

from __future__ import annotations

import json

TODAY = "2026-03-10"
PEOPLE = {
    "notes/people/sam.md": "---\nname: Sam Stone\nteam: true\n---\n",
    "notes/people/ana.md": "---\nname: Ana Lima\n---\n",
    "notes/people/ben.md": "---\nname: Ben Ode\n---\n",
}


def conv(date: str, with_: str, extra: str = "", body: str = "") -> str:
    return f"---\ndate: {date}\nwith: {with_}\n{extra}---\n{body}"


def due(cli, root, *args: str, env: dict[str, str] | None = None) -> list[tuple[str, str | None, str]]:
    """(kind, date, what) of every item `convo due --json` lists."""
    result = cli("-C", str(root), "--today", TODAY, "due", "--json", *args, env=env)
    assert result.code in (0, 1), result.err
    return [(i["kind"], i["date"], i["what"]) for i in json.loads(result.out)["items"]]


def thread_states(cli, root) -> dict[str, tuple[str, str | None]]:
    result = cli("-C", str(root), "--today", TODAY, "threads", "--json")
    assert result.code == 0, result.err
    return {t["key"]: (t["state"], t["by"]) for t in json.loads(result.out)["threads"]}


# --- threads and whose turn -----------------------------------------------------------

def test_a_later_conversation_supersedes_an_earlier_next(cli, make_notebook):
    root = make_notebook({**PEOPLE,
        "notes/c/a.md": conv("2026-03-01", "ana", "thread: deal\nnext:\n  turn: me\n  by: 2026-03-05\n"
                             "  about: Old move\n"),
        "notes/c/b.md": conv("2026-03-02", "ben", "thread: deal\nnext:\n  turn: them\n  by: 2026-03-20\n"
                             "  about: New move\n"),
    })
    assert due(cli, root) == []  # neither the superseded "my turn" nor a not-yet-late wait
    assert thread_states(cli, root) == {"deal": ("theirs", "2026-03-20")}


def test_a_latest_conversation_without_next_settles_the_thread(cli, make_notebook):
    root = make_notebook({**PEOPLE,
        "notes/c/a.md": conv("2026-03-01", "ana", "thread: deal\nnext:\n  turn: me\n  by: 2026-03-05\n"),
        "notes/c/b.md": conv("2026-03-02", "ana", "thread: deal\n"),
    })
    assert due(cli, root, "--all") == []
    assert thread_states(cli, root) == {"deal": ("settled", None)}


def test_without_thread_the_with_set_is_the_thread_in_any_order(cli, make_notebook):
    root = make_notebook({**PEOPLE,
        "notes/c/a.md": conv("2026-03-01", "[ana, ben]", "next:\n  turn: me\n  by: 2026-03-04\n  about: Old\n"),
        "notes/c/b.md": conv("2026-03-03", "[ben, ana]", "next:\n  turn: me\n  by: 2026-03-12\n  about: New\n"),
        "notes/c/c.md": conv("2026-03-04", "ana", "next:\n  turn: me\n  by: 2026-03-11\n  about: Ana alone\n"),
    })
    assert due(cli, root) == [("my-turn", "2026-03-11", "Ana alone"), ("my-turn", "2026-03-12", "New")]
    assert thread_states(cli, root) == {"ana+ben": ("mine", "2026-03-12"), "ana": ("mine", "2026-03-11")}


def test_latest_is_by_date_then_time_then_path(cli, make_notebook):
    root = make_notebook({**PEOPLE,
        "notes/c/b.md": conv("2026-03-01", "ana", "thread: t\nnext:\n  turn: me\n  by: 2026-03-11\n  about: From b\n"),
        "notes/c/a.md": conv("2026-03-01", "ana", "thread: t\nnext:\n  turn: me\n  by: 2026-03-11\n  about: From a\n"),
        "notes/c/e.md": conv("2026-03-02T09:00", "ben", "thread: u\nnext:\n  turn: me\n  about: Morning\n"),
        "notes/c/d.md": conv("2026-03-02T17:30", "ben", "thread: u\nnext:\n  turn: me\n  about: Evening\n"),
    })
    assert due(cli, root, "--all") == [("my-turn", "2026-03-11", "From b"), ("my-turn", None, "Evening")]


def test_waiting_on_them_only_once_by_has_passed(cli, make_notebook):
    root = make_notebook({**PEOPLE,
        "notes/c/a.md": conv("2026-03-01", "ana", "next:\n  turn: them\n  by: 2026-03-09\n  about: Ana replies\n"),
        "notes/c/b.md": conv("2026-03-01", "ben", "next:\n  turn: ben\n  by: 2026-03-10\n  about: Ben replies\n"),
        "notes/c/c.md": conv("2026-03-01", "[ana, ben]", "next:\n  turn: them\n  about: No date\n"),
    })
    result = cli("-C", str(root), "--today", TODAY, "due", "--json", "--all")
    items = json.loads(result.out)["items"]
    # ben's `by` has not passed; the wait with no `by` went stale after the 7-day follow-up window
    assert [(i["kind"], i["date"], i["days_overdue"], i["owner"]["slug"], i["to"]["slug"], i["stale"])
            for i in items] == [("waiting", "2026-03-08", 2, "ana+ben", "sam", True),
                                ("waiting", "2026-03-09", 1, "ana", "sam", False)]
    assert thread_states(cli, root)["ben"] == ("theirs", "2026-03-10")
    early = json.loads(cli("-C", str(root), "--today", "2026-03-08", "due", "--json", "--all").out)["items"]
    assert [(i["date"], i["owner"]["slug"]) for i in early] == []  # 03-08 is the window's last day


# --- commitments ----------------------------------------------------------------------

def test_done_and_closed_commitments_are_not_open(cli, make_notebook):
    root = make_notebook({**PEOPLE,
        "notes/c/a.md": conv("2026-03-01", "ana", "commitments:\n"
                             "  - {id: deck, what: Send deck, due: 2026-03-02}\n"
                             "  - {what: Already done, due: 2026-03-02, done: 2026-03-03}\n"
                             "  - {id: early, what: Closed by an earlier note, due: 2026-03-02}\n"
                             "  - {what: Still open, due: 2026-03-02}\n"),
        "notes/c/b.md": conv("2026-03-05", "ana", "closes: [deck]\n"),
        "notes/c/0.md": conv("2026-02-01", "ben", "closes: early\n"),
    })
    assert due(cli, root, "--all") == [("commitment", "2026-03-02", "Still open")]


def test_window_edges(cli, make_notebook):
    items = "".join(f"  - what: Due {d}\n    due: {d}\n" for d in
                    ("2026-01-01", "2026-03-09", "2026-03-10", "2026-03-17", "2026-03-18"))
    root = make_notebook({**PEOPLE, "notes/c/a.md": conv("2026-03-01", "ana", "commitments:\n" + items
                                                         + "  - what: No date\n")})
    assert [w for _, _, w in due(cli, root)] == ["Due 2026-01-01", "Due 2026-03-09", "Due 2026-03-10",
                                                 "Due 2026-03-17"]  # today+7 in, today+8 out
    assert [w for _, _, w in due(cli, root, "--within", "0")] == ["Due 2026-01-01", "Due 2026-03-09",
                                                                  "Due 2026-03-10"]
    assert [w for _, _, w in due(cli, root, "--within", "8")][-1] == "Due 2026-03-18"
    assert [w for _, _, w in due(cli, root, "--all")][-2:] == ["Due 2026-03-18", "No date"]
    result = cli("-C", str(root), "--today", TODAY, "due", "--json", "--all")
    assert [i["group"] for i in json.loads(result.out)["items"]] == [
        "overdue", "overdue", "today", "upcoming", "later", "undated"]


# --- keep in touch ----------------------------------------------------------------------

def test_keep_in_touch_with_and_without_history(cli, make_notebook):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam Stone\ncadence: 1w\n---\n",  # me: never my own reminder
        "notes/people/ana.md": "---\nname: Ana Lima\ncadence: 1m\n---\n",
        "notes/people/ben.md": "---\nname: Ben Ode\ncadence: 2w\n---\n",
        "notes/people/cy.md": "---\nname: Cy Park\ncadence: 14d\n---\n",
        "notes/c/a.md": conv("2026-01-31", "ana"),  # + 1 calendar month = 2026-02-28
        "notes/c/b.md": conv("2026-02-20", "[cy, sam]"),  # + 14 days = 2026-03-06
        "notes/c/c.md": conv("2026-03-01", "cy"),  # the latest counts: 2026-03-15
    })
    assert due(cli, root) == [
        ("keep-in-touch", "2026-02-28", "keep in touch with Ana Lima (every 1m)"),
        ("keep-in-touch", "2026-03-10", "keep in touch with Ben Ode (every 2w), never contacted"),
        ("keep-in-touch", "2026-03-15", "keep in touch with Cy Park (every 14d)"),
    ]


# --- me and CONVO_ME --------------------------------------------------------------------

ME_NOTES = {
    **PEOPLE,
    "notes/c/a.md": conv("2026-03-01", "ana", "next:\n  turn: me\n  by: 2026-03-11\n  about: Turn me\n"),
    "notes/c/b.md": conv("2026-03-01", "ben", "next:\n  turn: sam\n  by: 2026-03-12\n  about: Turn sam\n"
                         "commitments:\n  - {what: Owner sam, owner: sam, due: 2026-03-12}\n"
                         "  - {what: Owner ben, owner: ben, to: me, due: 2026-03-13}\n"),
}


def test_me_and_my_own_slug_are_the_same(cli, make_notebook):
    root = make_notebook(ME_NOTES)
    result = cli("-C", str(root), "--today", TODAY, "due", "--json", "--mine")
    items = json.loads(result.out)["items"]
    assert [(i["kind"], i["what"], i["owner"]["slug"]) for i in items] == [
        ("my-turn", "Turn me", "sam"), ("commitment", "Owner sam", "sam"), ("my-turn", "Turn sam", "sam")]
    assert [i["to"] for i in json.loads(cli("-C", str(root), "--today", TODAY, "due", "--json",
                                            "--owner", "ben").out)["items"]] == [{"slug": "sam", "name": "Sam Stone"}]


def test_convo_me_changes_only_whose_view_it_is(cli, make_notebook):
    root = make_notebook(ME_NOTES)
    env = {"CONVO_ME": "ben"}
    # Format v1.1: the notes were written by the notebook's `me` (sam), whoever reads them.
    # As Ben, `--mine` is what Ben must act on, and `turn: me` stays Sam's turn.
    assert due(cli, root, "--mine", env=env) == [("commitment", "2026-03-13", "Owner ben")]
    assert due(cli, root, env=env) == due(cli, root)
    assert thread_states(cli, root) == {"ana": ("mine", "2026-03-11"), "ben": ("mine", "2026-03-12")}
    as_ben = json.loads(cli("-C", str(root), "--today", TODAY, "threads", "--json", env=env).out)["threads"]
    as_sam = json.loads(cli("-C", str(root), "--today", TODAY, "threads", "--json").out)["threads"]
    assert [(t["key"], t["state"], t["turn"]) for t in as_ben] == [(t["key"], t["state"], t["turn"]) for t in as_sam]
    assert [(t["label"], t["yours"]) for t in as_sam] == [("your turn", True), ("your turn", True)]
    assert [(t["label"], t["yours"]) for t in as_ben] == [("Sam Stone's turn", False)] * 2


# --- private ------------------------------------------------------------------------------

def test_private_notes_count_and_are_marked(cli, make_notebook):
    root = make_notebook({**PEOPLE,
        "notes/people/dee.md": "---\nname: Dee Vo\nprivate: true\ncadence: 1y\n---\n",
        "notes/c/a.md": conv("2026-03-01", "dee", "private: true\ncommitments:\n  - what: Secret promise\n"
                             "    to: dee\n    due: 2026-03-10\n"),
    })
    result = cli("-C", str(root), "--today", TODAY, "due", "--json")
    items = json.loads(result.out)["items"]
    assert [(i["what"], i["private"]) for i in items] == [("Secret promise", True)]
    text = cli("-C", str(root), "--today", TODAY, "due").out
    assert "[private] Sam Stone → Dee Vo: Secret promise" in text
    assert "(1 private)" in text
    assert [(i["kind"], i["private"]) for i in json.loads(
        cli("-C", str(root), "--today", TODAY, "due", "--json", "--all").out)["items"]] == [
        ("commitment", True), ("keep-in-touch", True)]
