"""convo import ics and convo prep: calendars built with icalendar, recurring events and time zones."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from pathlib import Path

import icalendar

from conftest import run_cli
from convo_notes.capture.calendar import read_occurrences
from convo_notes.loader import load_notebook

NY = zoneinfo.ZoneInfo("America/New_York")
PEOPLE = {
    "notes/people/sam.md": "---\nname: Sam Okafor\nemail: sam@us.example\nteam: true\n---\n",
    "notes/people/dana.md": "---\nname: Dana Reyes\nemail: dana@harbor.example\nrole: Procurement\n---\n",
    "notes/people/kim.md": "---\nname: Kim Nakamura\nemail: kim@harbor.example\n---\n",
    "notes/2026/kickoff.md": "---\ndate: 2026-10-01\nwith: dana\ncommitments:\n  - what: Send the pilot plan\n"
                             "    due: 2026-11-25\n---\nKickoff.\n",
}


def attendee(addr: str, name: str = "") -> icalendar.vCalAddress:
    value = icalendar.vCalAddress(f"mailto:{addr}")
    if name:
        value.params["cn"] = name
    return value


def calendar(path: Path) -> Path:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//convo-notes tests//EN")
    cal.add("version", "2.0")
    weekly = icalendar.Event()
    weekly.add("uid", "weekly@harbor.example")
    weekly.add("summary", "Harbor weekly")
    weekly.add("dtstart", dt.datetime(2026, 11, 2, 9, 0, tzinfo=NY))
    weekly.add("dtend", dt.datetime(2026, 11, 2, 9, 30, tzinfo=NY))
    weekly.add("rrule", {"freq": "weekly", "until": dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.timezone.utc)})
    weekly.add("exdate", dt.datetime(2026, 11, 9, 9, 0, tzinfo=NY))
    weekly.add("attendee", attendee("dana@harbor.example", "Dana Reyes"))
    weekly.add("attendee", attendee("sam@us.example", "Sam"))
    weekly.add("location", "https://meet.google.com/abc-defg-hij")
    cal.add_component(weekly)
    moved = icalendar.Event()
    moved.add("uid", "weekly@harbor.example")
    moved.add("recurrence-id", dt.datetime(2026, 11, 16, 9, 0, tzinfo=NY))
    moved.add("summary", "Harbor weekly (moved)")
    moved.add("dtstart", dt.datetime(2026, 11, 17, 14, 0, tzinfo=NY))
    moved.add("attendee", attendee("dana@harbor.example", "Dana Reyes"))
    cal.add_component(moved)
    lunch = icalendar.Event()
    lunch.add("uid", "lunch@x")
    lunch.add("summary", "Lunch with Kim")
    lunch.add("dtstart", dt.datetime(2026, 11, 21, 12, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo")))
    lunch.add("organizer", attendee("sam@us.example"))
    lunch.add("attendee", attendee("kim@harbor.example", "Kim"))
    lunch.add("attendee", attendee("new.person@elsewhere.example", "New Person"))
    cal.add_component(lunch)
    solo = icalendar.Event()
    solo.add("uid", "focus@x")
    solo.add("summary", "Focus time")
    solo.add("dtstart", dt.datetime(2026, 11, 4, 9, 0))
    cal.add_component(solo)
    cancelled = icalendar.Event()
    cancelled.add("uid", "cancelled@x")
    cancelled.add("summary", "Cancelled call")
    cancelled.add("status", "CANCELLED")
    cancelled.add("dtstart", dt.datetime(2026, 11, 5, 9, 0, tzinfo=NY))
    cancelled.add("attendee", attendee("dana@harbor.example"))
    cal.add_component(cancelled)
    path.write_bytes(cal.to_ical())
    return path


def test_recurrences_exdates_overrides_and_time_zones(tmp_path):
    found, problems = read_occurrences(calendar(tmp_path / "cal.ics"), dt.datetime(2026, 12, 31))
    assert problems == []
    assert [(o.title, o.start, o.recurrence) for o in found if o.uid == "weekly@harbor.example"] == [
        ("Harbor weekly", dt.datetime(2026, 11, 2, 9, 0), "2026-11-02T09:00:00"),
        ("Harbor weekly (moved)", dt.datetime(2026, 11, 17, 14, 0), "2026-11-16T09:00:00"),
        ("Harbor weekly", dt.datetime(2026, 11, 23, 9, 0), "2026-11-23T09:00:00"),
        ("Harbor weekly", dt.datetime(2026, 11, 30, 9, 0), "2026-11-30T09:00:00"),  # UNTIL is 19:00 in New York
    ]
    assert "Cancelled call" not in {o.title for o in found}
    lunch = next(o for o in found if o.uid == "lunch@x")
    assert lunch.start == dt.datetime(2026, 11, 21, 12, 0)  # the event's own wall-clock time


def test_import_makes_stubs_for_past_meetings_once(make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    ics = calendar(tmp_path / "cal.ics")
    result = run_cli("-C", str(root), "--today", "2026-11-20", "import", "ics", str(ics))
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == ("read 3 events: 2 imported in 2 new notes and 0 appended to, "
                                           "0 already imported, 0 duplicates skipped")
    stub = (root / "notes/meetings/2026-11-02-harbor-weekly.md").read_text(encoding="utf-8")
    assert stub == (
        "---\ntitle: Harbor weekly\ndate: 2026-11-02T09:00\nwith: [dana]\nchannel: video\nprivate: true\n---\n"
        "Meeting imported from the calendar: Harbor weekly, 2026-11-02 09:00.\n\nAttendees: Dana Reyes.\n\n"
        "Link: <https://meet.google.com/abc-defg-hij>\n\n(What was said, promised and decided goes here.)\n")
    assert (root / "notes/meetings/2026-11-17-harbor-weekly-moved.md").exists()
    again = run_cli("-C", str(root), "--today", "2026-11-20", "import", "ics", str(ics))
    assert again.out.splitlines()[-1].startswith("read 3 events: 0 imported in 0 new notes and 0 appended to, "
                                                 "2 already imported")
    later = run_cli("-C", str(root), "--today", "2026-11-24", "import", "ics", str(ics))
    assert "read 5 events: 2 imported in 2 new notes and 0 appended to, 2 already imported" in later.out
    assert "  New Person <new.person@elsewhere.example>  (1 event)" in later.out
    assert load_notebook(root, check=True).errors == []


def test_prep_prints_the_briefs_of_tomorrows_external_attendees(make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    ics = calendar(tmp_path / "cal.ics")
    result = run_cli("-C", str(root), "--today", "2026-11-20", "prep", "--calendar", str(ics))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "2026-11-21 12:00  Lunch with Kim"
    assert "Kim Nakamura (kim)" in result.out
    assert "  New Person <new.person@elsewhere.example>: no notes about them yet" in result.out
    assert "Sam Okafor (sam)" not in result.out  # our side is not briefed
    week = run_cli("-C", str(root), "--today", "2026-11-22", "prep", "--calendar", str(ics), "--days", "1",
                   "--json")
    doc = json.loads(week.out)
    assert [(e["title"], e["start"]) for e in doc["events"]] == [("Harbor weekly", "2026-11-23T09:00:00")]
    (brief,) = [a["brief"] for a in doc["events"][0]["attendees"]]
    assert brief["subject"]["slug"] == "dana"
    nothing = run_cli("-C", str(root), "--today", "2026-12-20", "prep", "--calendar", str(ics))
    assert nothing.out == "No events with external attendees today or tomorrow.\n"


def test_prep_without_a_calendar_is_a_usage_error(make_notebook):
    root = make_notebook(PEOPLE)
    result = run_cli("-C", str(root), "prep")
    assert result.code == 2
    assert result.err == ("convo: give the calendar file: convo prep --calendar FILE.ics "
                          "(or set capture.calendar in convo.yml)\n")


def test_a_long_running_daily_meeting_is_found_tomorrow_and_imported_latest_first(make_notebook, tmp_path):
    cal = icalendar.Calendar()
    cal.add("prodid", "-//convo-notes tests//EN")
    cal.add("version", "2.0")
    standup = icalendar.Event()
    standup.add("uid", "standup@x")
    standup.add("summary", "Daily with Dana")
    standup.add("dtstart", dt.datetime(2020, 1, 6, 9, 0, tzinfo=NY))
    standup.add("rrule", {"freq": "daily"})
    standup.add("attendee", attendee("dana@harbor.example"))
    cal.add_component(standup)
    ics = tmp_path / "daily.ics"
    ics.write_bytes(cal.to_ical())
    root = make_notebook(PEOPLE)
    prep = run_cli("-C", str(root), "--today", "2026-11-20", "prep", "--calendar", str(ics), "--days", "0")
    assert prep.out.splitlines()[0] == "2026-11-20 09:00  Daily with Dana"
    imported = run_cli("-C", str(root), "--today", "2026-11-20", "import", "ics", str(ics), "--json")
    doc = json.loads(imported.out)
    assert doc["imported"] == 500
    assert doc["warnings"] == [{"where": f"{ics}:1", "message": "event standup@x: more than 500 occurrences; "
                                "only the latest 500 are read", "skipped": False}]
    assert (root / "notes/meetings/2026-11-20-daily-with-dana.md").exists()


def test_an_event_with_a_date_that_is_no_date_is_skipped_with_a_warning(tmp_path, make_notebook, cli):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\nteam: true\nemail: sam@us.example\n---\n"})
    ics = tmp_path / "bad.ics"
    ics.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
                   "BEGIN:VEVENT\r\nUID:a@t\r\nDTSTART:bad\r\nSUMMARY:Broken start\r\nEND:VEVENT\r\n"
                   "BEGIN:VEVENT\r\nUID:b@t\r\nDTSTART:20261101T100000Z\r\nRECURRENCE-ID:bad\r\n"
                   "SUMMARY:Broken override\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", encoding="utf-8")
    result = cli("-C", str(root), "--today", "2026-11-22", "import", "ics", "--dry-run", "--json", str(ics))
    assert "Traceback" not in result.err and "internal error" not in result.err
    assert result.code == 0, result.err
    assert result.err.count("import-skipped") == 2
