"""The agenda's new rules, each on the smallest notebook that shows it, with exact answers:
snoozes, stale waits, warning periods, keep-in-touch by tag and windows, filters, `--week`,
dates as people say them, the calendar's RRULE, and output that fits."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from convo_notes.humandates import BadDate, parse_human_date

TODAY = "2026-03-10"  # a Tuesday
PEOPLE = {
    "notes/people/sam.md": "---\nname: Sam Stone\n---\n",
    "notes/people/ana.md": "---\nname: Ana Lima\norg: acme\ntags: [clients, Friends]\n---\n",
    "notes/people/ben.md": "---\nname: Ben Ode\ntags: [neighbours]\n---\n",
    "notes/orgs/acme.md": "---\nname: Acme\n---\n",
}


def conv(date: str, with_: str, extra: str = "") -> str:
    return f"---\ndate: {date}\nwith: {with_}\n{extra}---\n"


def items(cli, root, *args: str, today: str = TODAY) -> list[tuple]:
    result = cli("-C", str(root), "--today", today, "due", "--json", *args)
    assert result.code in (0, 1), result.err
    return [(i["kind"], i["date"], i["group"], i["what"]) for i in json.loads(result.out)["items"]]


# --- snooze -----------------------------------------------------------------------------

def test_a_snoozed_item_is_hidden_until_its_date_and_marked_with_all(cli, make_notebook):
    root = make_notebook({**PEOPLE, "notes/c/a.md": conv("2026-03-01", "ana", "commitments:\n"
                          "  - {what: Deck, due: 2026-03-09, snooze: 2026-03-12}\n"
                          "next: {turn: me, by: 2026-03-11, snooze: 2026-03-11}\n")})
    assert items(cli, root) == []
    assert items(cli, root, today="2026-03-11") == [("my-turn", "2026-03-11", "today", "next move in a")]
    assert items(cli, root, today="2026-03-12") == [("commitment", "2026-03-09", "overdue", "Deck"),
                                                    ("my-turn", "2026-03-11", "overdue", "next move in a")]
    every = json.loads(cli("-C", str(root), "--today", TODAY, "due", "--json", "--all").out)["items"]
    assert [(i["what"], i["snoozed"], i["snooze"]) for i in every] == [
        ("Deck", True, "2026-03-12"), ("next move in a", True, "2026-03-11")]
    text = cli("-C", str(root), "--today", TODAY, "due", "--all").out
    assert "Deck [snoozed until 2026-03-12]  [ana]" in text


def test_a_snoozed_person_has_no_keep_in_touch_until_then(cli, make_notebook):
    root = make_notebook({**PEOPLE, "notes/people/ben.md": "---\nname: Ben Ode\ncadence: 1w\nsnooze: 2026-03-20\n---\n",
                          "notes/c/a.md": conv("2026-02-01", "ben")})
    assert items(cli, root) == []
    assert items(cli, root, today="2026-03-20") == [
        ("keep-in-touch", "2026-02-08", "overdue", "keep in touch with Ben Ode (every 1w)")]
    losing = cli("-C", str(root), "--today", TODAY, "people", "--losing-touch", "--json")
    assert json.loads(losing.out)["people"] == []


# --- stale waits --------------------------------------------------------------------------

def test_a_wait_without_by_goes_stale_after_the_follow_up_window(cli, make_notebook):
    root = make_notebook({**PEOPLE,
                          "notes/c/a.md": conv("2026-03-01", "ana", "next: {turn: them, about: Ana replies}\n")})
    assert items(cli, root, today="2026-03-08") == []  # the window's last day
    assert items(cli, root, today="2026-03-09") == [("waiting", "2026-03-08", "overdue", "Ana replies")]
    got = json.loads(cli("-C", str(root), "--today", "2026-03-09", "due", "--json").out)["items"][0]
    assert (got["stale"], got["follow_up"], got["days_overdue"]) == (True, "2026-03-08", 1)


def test_the_follow_up_window_is_a_setting(cli, make_notebook):
    root = make_notebook({**PEOPLE, "convo.yml": "me: sam\nagenda:\n  follow_up: 2w\n",
                          "notes/c/a.md": conv("2026-03-01", "ana", "next: {turn: ana}\n"
                                               "commitments:\n  - {what: Ana sends data, owner: ana}\n"
                                               "  - {what: Ana tells Ben, owner: ana, to: ben}\n"
                                               "  - {what: I send data}\n")})
    assert items(cli, root, today="2026-03-15") == []
    assert items(cli, root, today="2026-03-16") == [
        ("commitment", "2026-03-15", "overdue", "Ana sends data"),
        ("waiting", "2026-03-15", "overdue", "next move in a")]
    # before the window an undated commitment owed to us is simply undated
    assert ("commitment", None, "undated", "Ana sends data") in items(cli, root, "--all", today="2026-03-15")


# --- warning periods ------------------------------------------------------------------------

def test_a_warning_period_lists_a_commitment_early(cli, make_notebook):
    root = make_notebook({**PEOPLE, "convo.yml": "me: sam\nagenda:\n  warn: 10d\n",
                          "notes/c/a.md": conv("2026-03-01", "ana", "commitments:\n"
                                               "  - {what: Own warn, due: 2026-04-09, warn: 1m}\n"
                                               "  - {what: Default warn, due: 2026-03-20}\n"
                                               "  - {what: Too far, due: 2026-03-21}\n")})
    assert items(cli, root) == [("commitment", "2026-03-20", "upcoming", "Default warn"),
                                ("commitment", "2026-04-09", "upcoming", "Own warn")]
    got = json.loads(cli("-C", str(root), "--today", TODAY, "due", "--json").out)["items"]
    assert [(i["warning"], i["warn_from"]) for i in got] == [(True, "2026-03-10"), (True, "2026-03-09")]
    assert items(cli, root, "--within", "0", today="2026-03-08") == []


# --- keep in touch ----------------------------------------------------------------------------

def test_keep_in_touch_by_tag_own_cadence_wins_and_windows(cli, make_notebook):
    root = make_notebook({**PEOPLE, "convo.yml": "me: sam\nkeep_in_touch:\n  friends: 1w\n  clients: 2w..4w\n"
                                                 "  neighbours: 3m\n",
                          "notes/people/cy.md": "---\nname: Cy\ntags: [clients]\ncadence: 5d\n---\n",
                          "notes/c/a.md": conv("2026-02-01", "[ana, cy]"),
                          "notes/c/b.md": conv("2026-02-20", "ana")})
    got = json.loads(cli("-C", str(root), "--today", TODAY, "due", "--json", "--all").out)["items"]
    assert [(i["what"], i["date"], i["deadline"], i["group"]) for i in got] == [
        ("keep in touch with Cy (every 5d)", "2026-02-06", None, "overdue"),
        ("keep in touch with Ana Lima (every 2w..4w, clients)", "2026-03-06", "2026-03-20", "today"),
        ("keep in touch with Ben Ode (every 3m, neighbours), never contacted", TODAY, None, "today")]
    assert items(cli, root, today="2026-03-21")[1] == (
        "keep-in-touch", "2026-03-06", "overdue", "keep in touch with Ana Lima (every 2w..4w, clients)")
    text = cli("-C", str(root), "--today", TODAY, "due").out
    assert "  2026-03-06    due 4d  keep in touch  Sam Stone → Ana Lima:" in text
    losing = json.loads(cli("-C", str(root), "--today", TODAY, "people", "--losing-touch", "--json").out)
    assert [(p["slug"], p["cadence"], p["next_contact"]) for p in losing["people"]] == [
        ("cy", "5d", "2026-02-06"), ("ana", "2w..4w", "2026-03-06")]


def test_a_bad_cadence_window_or_repeat_is_an_error(cli, make_notebook):
    root = make_notebook({**PEOPLE, "notes/people/cy.md": "---\nname: Cy\ncadence: 4w..2w\n---\n",
                          "notes/c/a.md": conv("2026-03-01", "ana", "commitments:\n  - {what: X, every: weekly}\n"),
                          "convo.yml": "me: sam\nkeep_in_touch:\n  clients: often\n"})
    result = cli("-C", str(root), "validate")
    assert result.code == 1
    assert "notes/people/cy.md:3:10: error[bad-duration]: `cadence: 4w..2w` is not a duration" in result.out
    assert "notes/c/a.md:5:22: error[bad-duration]: `every: weekly` is not a repeat like 1w" in result.out
    assert "convo.yml:3:12: error[bad-config]: `clients: often` is not a duration like 14d" in result.out + result.err


# --- filters and --week -------------------------------------------------------------------------

FILTERED = {
    **PEOPLE,
    "notes/c/a.md": conv("2026-03-01", "ana", "thread: deal\ntags: [sales]\ncommitments:\n"
                         "  - {what: Deck, due: 2026-03-11}\n  - {what: Ana pays, owner: ana, due: 2026-03-12}\n"),
    "notes/c/b.md": conv("2026-03-02", "ben", "commitments:\n  - {what: Ladder, due: 2026-03-13}\n"
                         "next: {turn: me, by: 2026-03-16, about: Call Ben}\n"),
}


@pytest.mark.parametrize(("args", "expected"), [
    (("--tag", "sales"), ["Deck", "Ana pays"]),
    (("--tag", "CLIENTS", "--tag", "friends"), ["Deck", "Ana pays"]),  # a person's tags count too
    (("--tag", "neighbours", "--kind", "commitment"), ["Ladder"]),
    (("--org", "Acme"), ["Deck", "Ana pays"]),
    (("--person", "Ben Ode"), ["Ladder", "Call Ben"]),
    (("--person", "ana", "--mine"), ["Deck"]),
    (("--thread", "deal", "--kind", "commitment", "--tag", "sales"), ["Deck", "Ana pays"]),
    (("--thread", "deal", "--tag", "neighbours"), []),
    (("--kind", "my-turn"), ["Call Ben"]),
])
def test_filters_combine_with_and(cli, make_notebook, args, expected):
    root = make_notebook(FILTERED)
    assert [what for *_, what in items(cli, root, *args)] == expected


def test_an_unknown_name_in_a_filter_is_a_usage_error(cli, make_notebook):
    root = make_notebook(FILTERED)
    result = cli("-C", str(root), "--today", TODAY, "due", "--org", "globex")
    assert result.code == 2 and "--org:" in result.err


def test_threads_take_the_same_filters(cli, make_notebook):
    root = make_notebook(FILTERED)

    def keys(*args: str) -> list[str]:
        result = cli("-C", str(root), "--today", TODAY, "threads", "--json", *args)
        assert result.code == 0, result.err
        return [t["key"] for t in json.loads(result.out)["threads"]]

    assert keys() == ["ben", "deal"]
    assert keys("--tag", "sales") == ["deal"]
    assert keys("--org", "acme") == ["deal"]
    assert keys("--person", "ben") == ["ben"]
    assert keys("--kind", "my-turn", "--tag", "neighbours") == ["ben"]
    assert keys("--thread", "deal", "--person", "ben") == []


def test_week_is_a_day_by_day_agenda_and_takes_filters(cli, make_notebook):
    root = make_notebook({**FILTERED, "notes/c/c.md": conv("2026-02-01", "ana", "thread: old\ncommitments:\n"
                                                            "  - {what: Late one, due: 2026-03-02}\n"
                                                            "  - {what: Far one, due: 2026-03-17}\n")})
    result = cli("-C", str(root), "--today", TODAY, "due", "--week", "--person", "ana")
    assert result.code == 0, result.err
    assert result.out == """\
Week of 2026-03-10 to 2026-03-16

Overdue
  2026-03-02   8d late  commitment     Sam Stone: Late one  [old]  notes/c/c.md:6

Tue 2026-03-10  (today)
  nothing

Wed 2026-03-11
  2026-03-11     in 1d  commitment     Sam Stone: Deck  [deal]  notes/c/a.md:7

Thu 2026-03-12
  2026-03-12     in 2d  commitment     Ana Lima: Ana pays  [deal]  notes/c/a.md:8

Fri 2026-03-13
  nothing

Sat 2026-03-14
  nothing

Sun 2026-03-15
  nothing

Mon 2026-03-16
  nothing

3 items
"""
    as_json = json.loads(cli("-C", str(root), "--today", TODAY, "due", "--week", "--json").out)
    assert [i["what"] for i in as_json["items"]] == ["Late one", "Deck", "Ana pays", "Ladder", "Call Ben"]


# --- dates as people say them -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("today", "2026-03-10"), ("Tomorrow", "2026-03-11"), ("yesterday", "2026-03-09"),
    ("fri", "2026-03-13"), ("friday", "2026-03-13"), ("tue", "2026-03-17"), ("mon", "2026-03-16"),
    ("+3d", "2026-03-13"), ("-2w", "2026-02-24"), ("+1m", "2026-04-10"), ("+1y", "2027-03-10"),
    (" 2026-12-04 ", "2026-12-04"),
])
def test_dates_as_people_say_them(text, expected):
    assert parse_human_date(text, dt.date(2026, 3, 10)).isoformat() == expected


def test_a_month_later_lands_on_the_last_day():
    assert parse_human_date("+1m", dt.date(2026, 1, 31)) == dt.date(2026, 2, 28)
    assert parse_human_date("-1m", dt.date(2026, 3, 31)) == dt.date(2026, 2, 28)


@pytest.mark.parametrize(("text", "message"), [
    ("2026-13-01", "2026-13-01 is not a real date"),
    ("2026-02-30", "2026-02-30 is not a real date"),
    ("someday", "'someday' is not a date: use YYYY-MM-DD, today, tomorrow"),
    ("+99999y", r"\+99999y is too far from 2026-03-10"),
])
def test_impossible_dates_say_why(text, message):
    with pytest.raises(BadDate, match=message):
        parse_human_date(text, dt.date(2026, 3, 10))


def test_relative_dates_work_everywhere_a_date_is_typed(cli, make_notebook):
    root = make_notebook({**PEOPLE, "notes/c/a.md": conv("2026-03-01", "ana", "commitments:\n"
                                                         "  - {what: Deck, id: deck, due: 2026-03-20}\n")})
    # --today counts from the real today; everything else from --today
    assert items(cli, root, today="2026-03-13") == [("commitment", "2026-03-20", "upcoming", "Deck")]
    result = cli("-C", str(root), "--today", "fri", "due", "--json")
    assert result.code == 0 and json.loads(result.out)["today"] > dt.date.today().isoformat()
    assert cli("-C", str(root), "--today", TODAY, "done", "deck", "--date", "yesterday").code == 0
    assert "done: 2026-03-09" in (root / "notes/c/a.md").read_text()
    bad = cli("-C", str(root), "--today", "2026-13-01", "due")
    assert bad.code == 2 and "2026-13-01 is not a real date" in bad.err
    bad = cli("-C", str(root), "snooze", "deck", "--until", "2026-02-30")
    assert bad.code == 2 and "2026-02-30 is not a real date" in bad.err
    created = cli("-C", str(root), "--today", TODAY, "new", "--with", "ana", "--date", "-1w", "--no-edit")
    assert created.code == 0 and "notes/conversations/2026/2026-03-03-" in created.out


# --- the calendar ----------------------------------------------------------------------------------

def test_a_recurring_commitment_has_an_rrule(cli, make_notebook):
    icalendar = pytest.importorskip("icalendar")
    root = make_notebook({**PEOPLE, "notes/c/a.md": conv("2026-03-01", "ana", "commitments:\n"
                                                         "  - {what: Report, due: 2026-03-13, every: 2w}\n"
                                                         "  - {what: Plants, due: 2026-03-12, every: .+1m}\n")})
    result = cli("-C", str(root), "--today", TODAY, "ics")
    assert result.code == 0, result.err
    todos = {str(c["SUMMARY"]): c for c in icalendar.Calendar.from_ical(result.out).walk("VTODO")}
    assert todos["Report"]["RRULE"].to_ical() == b"FREQ=WEEKLY;INTERVAL=2"
    assert todos["Report"]["DTSTART"].dt == dt.date(2026, 3, 13) == todos["Report"]["DUE"].dt
    assert todos["Plants"]["RRULE"].to_ical() == b"FREQ=MONTHLY;INTERVAL=1"


# --- output that fits ---------------------------------------------------------------------------------

def test_due_fits_the_width_and_keeps_the_source(cli, make_notebook):
    what = "Send the long and detailed quarterly report with every appendix"
    root = make_notebook({**PEOPLE, "notes/c/a.md": conv("2026-03-01", "ana", "commitments:\n"
                                                         f"  - {{what: {what}, due: 2026-03-11}}\n")})
    result = cli("-C", str(root), "--today", TODAY, "due", env={"COLUMNS": "90"})
    line = result.out.splitlines()[3]
    assert line == "  2026-03-11     in 1d  commitment     Sam Stone: Send the long and detai…  notes/c/a.md:5"
    assert len(line) == 90  # with less than 20 characters left for the text, the [thread] went first
    wider = cli("-C", str(root), "--today", TODAY, "due", env={"COLUMNS": "100"}).out.splitlines()[3]
    assert wider == ("  2026-03-11     in 1d  commitment     Sam Stone: Send the long and detailed…  [ana]  "
                     "notes/c/a.md:5")
    wide = cli("-C", str(root), "--today", TODAY, "due").out  # not a terminal: never cut
    assert "with every appendix  [ana]  notes/c/a.md:5" in wide


def test_columns_stay_aligned_with_colour(make_notebook):
    import click

    from convo_notes.agenda import DueItem
    from convo_notes.loader import load_notebook
    from convo_notes.render.text import due_line

    root = make_notebook(PEOPLE)
    nb = load_notebook(root)
    today = dt.date(2026, 3, 10)
    lines = [due_line(nb, DueItem("commitment", day, "sam", None, "X", None, (), "n.md:1", False), today,
                      click.style) for day in (dt.date(2026, 3, 1), dt.date(2026, 3, 12))]
    plain = [click.unstyle(line) for line in lines]
    assert plain[0].index("commitment") == plain[1].index("commitment") == 24
    assert "\x1b[" in lines[0]


def test_a_snoozed_item_never_fails_the_overdue_check(cli, make_notebook):
    root = make_notebook({**PEOPLE, "notes/c/a.md": conv("2026-03-01", "ana", "commitments:\n"
                                                         "  - {what: Deck, due: 2026-03-09, snooze: 2026-03-12}\n")})
    assert cli("-C", str(root), "--today", TODAY, "due", "--all", "--fail-on-overdue").code == 0
    assert cli("-C", str(root), "--today", "2026-03-12", "due", "--fail-on-overdue").code == 1


def test_a_line_in_colour_is_the_plain_line_painted(make_notebook):
    """`due_line` builds one line and paints it only when colour is on: unstyled, every coloured
    line (late, private, marked, cut to a width or not) is the plain one."""
    import click

    from convo_notes.agenda import find_due
    from convo_notes.loader import load_notebook
    from convo_notes.render.terminal import plain
    from convo_notes.render.text import due_line

    root = make_notebook({**PEOPLE, "notes/c/a.md": conv("2026-03-01", "ana", (
        "commitments:\n"
        "  - {what: Weekly report to the whole board of directors and the auditors, due: 2026-03-09, every: 1w}\n"
        "  - {what: Deck, due: 2026-03-09, snooze: 2026-03-12}\n"
        "  - {what: Contract, due: 2026-03-14, warn: 7d}\n")),
        "notes/c/b.md": conv("2026-03-02", "ben", "private: true\nnext: {turn: them}\n")})
    nb = load_notebook(root)
    seen = set()
    for today in (dt.date(2026, 3, 10), dt.date(2026, 3, 13), dt.date(2026, 5, 1)):
        for item in find_due(nb, today, include_all=True):
            for width in (None, 60, 120):
                coloured, line = due_line(nb, item, today, click.style, width), due_line(nb, item, today, plain, width)
                assert click.unstyle(coloured) == line and "\x1b" not in line
                seen |= {part for part in ("late", "[private]", "…", "[every ", "[snoozed until ", "[no reply]",
                                           "[warning]") if part in line}
    assert seen == {"late", "[private]", "…", "[every ", "[snoozed until ", "[no reply]", "[warning]"}, seen
