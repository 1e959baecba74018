"""`convo ics`: an RFC 5545 feed that parses, holds every open commitment, leaks nothing private,
and is the same from run to run."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import SAMPLE_PRIVATE_WORDS
from convo_notes.agenda import open_commitments
from convo_notes.ics import build_calendar, escape_text, fold, uid
from convo_notes.loader import load_notebook

icalendar = pytest.importorskip("icalendar")
TODAY = "2026-11-22"



def components(text: str, kind: str = "VTODO") -> list:
    return [c for c in icalendar.Calendar.from_ical(text).walk() if c.name == kind]


def source_of(component) -> str:
    return str(component["DESCRIPTION"]).rsplit("Source: ", 1)[1]


def test_feed_holds_each_public_open_commitment_with_its_due_date(cli, notebook):
    result = cli("-C", str(notebook), "--today", TODAY, "ics")
    assert result.code == 0, result.err
    todos = components(result.out)
    got = {source_of(c): (c["DUE"].dt if "DUE" in c else None) for c in todos
           if str(c["CATEGORIES"].cats[0]) == "commitment"}
    nb = load_notebook(notebook)
    private = {p.slug for p in nb.people.values() if nb.is_private(p)}
    expected = {f"{c.path}:{c.line}": c.due for conv, c in open_commitments(nb)
                if not nb.is_private(conv) and not private & {c.owner, c.to, *conv.with_}}
    assert got == expected
    assert len(expected) == 11
    assert got["notes/conversations/2026/2026-11-13-pilot-sign-off-and-pricing-questions.md:9"] == dt.date(2026, 11, 19)
    assert all(str(c["STATUS"]) == "NEEDS-ACTION" for c in todos)


def test_no_private_item_unless_asked(cli, notebook):
    public = cli("-C", str(notebook), "--today", TODAY, "ics").out
    unfolded = public.replace("\r\n ", "")
    for word in SAMPLE_PRIVATE_WORDS:
        assert word not in unfolded
    everything = cli("-C", str(notebook), "--today", TODAY, "ics", "--include-private").out
    unfolded = everything.replace("\r\n ", "")
    assert "Vesna Marlowe" in unfolded
    assert len(components(everything)) > len(components(public))


def test_uids_and_bytes_are_the_same_on_a_second_run(cli, notebook):
    first = cli("-C", str(notebook), "--today", TODAY, "ics").out
    second = cli("-C", str(notebook), "--today", TODAY, "ics").out
    assert first == second
    uids = [str(c["UID"]) for c in components(first)]
    assert len(uids) == len(set(uids))
    assert all(u.endswith("@convo-notes") for u in uids)
    # a day later the same items keep their UIDs; only DTSTAMP moves
    later = cli("-C", str(notebook), "--today", "2026-11-23", "ics").out
    assert [str(c["UID"]) for c in components(later)] == uids


def test_commitment_uid_survives_an_edit_of_its_text(cli, notebook):
    path = notebook / "notes/conversations/2026/2026-11-13-pilot-sign-off-and-pricing-questions.md"
    before = {str(c["UID"]) for c in components(cli("-C", str(notebook), "--today", TODAY, "ics").out)}
    path.write_text(path.read_text(encoding="utf-8").replace("Send revised SLA pricing", "Send new SLA pricing"),
                    encoding="utf-8")
    after = {str(c["UID"]) for c in components(cli("-C", str(notebook), "--today", TODAY, "ics").out)}
    assert before == after


def test_lines_are_crlf_and_folded_at_75_octets(cli, notebook):
    out = cli("-C", str(notebook), "--today", TODAY, "ics", "--include-private").out
    raw = out.encode("utf-8")
    assert raw.startswith(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)


def test_my_turn_and_keep_in_touch_items(cli, notebook):
    todos = components(cli("-C", str(notebook), "--today", TODAY, "ics").out)
    by_category = {}
    for c in todos:
        by_category.setdefault(str(c["CATEGORIES"].cats[0]), []).append(c)
    turns = {str(c["SUMMARY"]): c["DUE"].dt for c in by_category["my-turn"]}
    assert turns == {
        "My turn: Send revised pricing and confirm the site visit": dt.date(2026, 11, 20),
        "My turn: Return the ladder before the gutter cleaning": dt.date(2026, 11, 24),
        "My turn: Send the budget narrative draft": dt.date(2026, 11, 26),
        # a teammate's turn names them: the feed speaks for its reader only
        "Tomas Lindqvist's turn: Chase Crumb & Co on the board decision": dt.date(2026, 11, 21),
        "Priya Natarajan's turn: Draft the MOU for Rafael to take to the dean": dt.date(2026, 12, 4),
    }
    keep = {str(c["SUMMARY"]): c["DUE"].dt for c in by_category["keep-in-touch"]}
    assert keep["Keep in touch: Oliver Grant"] == dt.date(2026, 10, 30)
    assert keep["Keep in touch: Helen Park"] == dt.date(2026, 11, 22)
    assert len(keep) == 8


def test_include_done_marks_completed(cli, notebook):
    out = cli("-C", str(notebook), "--today", TODAY, "ics", "--include-done").out
    done = [c for c in components(out) if str(c["STATUS"]) == "COMPLETED"]
    closed = {source_of(c): c["COMPLETED"].dt for c in done}
    assert len(done) == 11  # 9 with `done:`, 2 closed from a later conversation
    # closed by id from a later conversation: completed on that conversation's date
    pilot = next(c for c in done if str(c["SUMMARY"]) == "Send the pilot plan with measurement milestones")
    assert pilot["COMPLETED"].dt == dt.datetime(2026, 10, 9, tzinfo=dt.timezone.utc)
    assert all(v.tzinfo is not None for v in closed.values())
    open_out = cli("-C", str(notebook), "--today", TODAY, "ics").out
    open_uids = {str(c["UID"]) for c in components(open_out)}
    assert open_uids < {str(c["UID"]) for c in components(out)}


def test_events_form_for_calendars_that_ignore_tasks(cli, notebook):
    out = cli("-C", str(notebook), "--today", TODAY, "ics", "--events").out
    events = components(out, "VEVENT")
    assert events and all(e["DTEND"].dt - e["DTSTART"].dt == dt.timedelta(days=1) for e in events)
    undated = components(out)
    assert all("DUE" not in c for c in undated)


def test_output_file(cli, notebook, tmp_path):
    target = tmp_path / "feeds" / "due.ics"
    result = cli("-C", str(notebook), "--today", TODAY, "ics", "-o", str(target))
    assert result.code == 0
    text = target.read_bytes().decode("utf-8")
    assert result.out == f"wrote {len(components(text))} items to {target}\n"
    assert text == cli("-C", str(notebook), "--today", TODAY, "ics").out


def test_escaping_and_non_ascii(make_notebook):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/zoe.md": "---\nname: Zoë Müller\n---\n",
        "notes/c.md": """\
            ---
            title: "Prix; délais, et suite"
            date: 2026-11-01
            with: zoe
            commitments:
              - what: "Send the quote; check terms, then call \\\\ confirm"
                to: zoe
                due: 2026-11-30
            ---
            """,
    })
    nb = load_notebook(root)
    text = build_calendar(nb, dt.date(2026, 11, 22))
    assert "SUMMARY:Send the quote\\; check terms\\, then call \\\\ confirm\r\n" in text
    todo = components(text)[0]
    assert str(todo["SUMMARY"]) == "Send the quote; check terms, then call \\ confirm"
    assert str(todo["DESCRIPTION"]).splitlines()[:3] == ["Owner: Sam", "To: Zoë Müller",
                                                        "From: Prix; délais, et suite (2026-11-01)"]
    assert str(todo["DTSTAMP"].dt) == "2026-11-22 00:00:00+00:00"


def test_fold_never_splits_a_character():
    line = "SUMMARY:" + "é" * 100
    folded = fold(line).encode("utf-8")
    parts = folded.split(b"\r\n")[:-1]
    assert all(len(p) <= 75 for p in parts)
    for part in parts:
        part.decode("utf-8")  # each physical line is whole UTF-8
    assert b"".join(p[1:] if i else p for i, p in enumerate(parts)).decode("utf-8") == line
    assert fold("SHORT:x") == "SHORT:x\r\n"


def test_escape_text():
    assert escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"


def test_uid_is_a_pure_function_of_identity():
    assert uid("commitment:harbor-sla-pricing") == uid("commitment:harbor-sla-pricing")
    assert uid("commitment:a") != uid("commitment:b")


def test_private_person_in_a_public_note_stays_off_the_feed(make_notebook, cli):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/dana.md": "---\nname: Dana\n---\n",
        "notes/people/secret.md": "---\nname: Secret Person\nprivate: true\ncadence: 1m\n---\n",
        "notes/c.md": """\
            ---
            date: 2026-11-01
            with: dana
            commitments:
              - what: Introduce Dana
                to: secret
                due: 2026-11-30
              - what: Send Dana the notes
                due: 2026-11-25
            ---
            """,
    })
    out = cli("-C", str(root), "--today", TODAY, "ics").out
    assert [str(c["SUMMARY"]) for c in components(out)] == ["Send Dana the notes"]
    private = cli("-C", str(root), "--today", TODAY, "ics", "--include-private").out
    assert sorted(str(c["SUMMARY"]) for c in components(private)) == [
        "Introduce Dana", "Keep in touch: Secret Person", "Send Dana the notes"]
