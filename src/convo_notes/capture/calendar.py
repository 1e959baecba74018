"""Calendars: past meetings become conversation stubs, coming ones a list of briefs to read.

Events are read with the ``icalendar`` package. A recurring event (``RRULE``,
``RDATE``, ``EXDATE``) is expanded into its occurrences with ``dateutil``'s
``rrule`` in the event's own time zone (``TZID``); an occurrence moved or
changed by a ``RECURRENCE-ID`` override is replaced by it, and cancelled ones
are left out. Times are kept as the event's local wall-clock time.

``import ics`` turns each occurrence up to and including today that has at
least one attendee other than us into a stub note under ``notes/meetings/``
(``channel: video`` when the event has a meeting link, else ``meeting``),
keyed by UID and recurrence id in the import index, so a re-import skips it.
``prep`` lists the events of the coming days with the brief of each external
attendee.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CommandFailed
from ..model import Notebook
from .mail import Problem
from .notes import Directory, Entry, Group, ImportIndex, NoteWriter, Report, escape_text, write_groups

MAX_OCCURRENCES = 500  # of one recurring event, per run: the latest ones
SCAN_LIMIT = 100_000  # occurrences of one rule looked at, at most (a minutely rule over years)
_MEETING_URL = re.compile(r"https://[^\s<>\"']*(zoom\.us|meet\.google\.com|teams\.microsoft\.com|teams\.live\.com|"
                          r"webex\.com|whereby\.com|meet\.jit\.si|gotomeeting\.com|chime\.aws)[^\s<>\"']*",
                          re.IGNORECASE)


@dataclass
class Attendee:
    """One attendee: address and name as the calendar gives them."""

    addr: str
    name: str


@dataclass
class Occurrence:
    """One occurrence of an event."""

    uid: str
    recurrence: str  # the occurrence's original start (ISO), "" for a single event
    title: str
    start: dt.datetime  # local wall-clock time of the event's zone, naive
    url: str | None
    attendees: list[Attendee]
    organizer: Attendee | None

    @property
    def key(self) -> str:
        return f"ics:{self.uid}|{self.recurrence}"


@dataclass
class CalendarOptions:
    """The choices of one ``convo import ics`` run."""

    create_people: bool = False
    public: bool = False
    dry_run: bool = False
    me_addresses: tuple[str, ...] = ()


@dataclass
class Meeting:
    """A coming event for ``convo prep``: its external attendees, with the brief of each known one."""

    title: str
    start: dt.datetime
    url: str | None
    attendees: list[tuple[str, str | None, Any]] = field(default_factory=list)  # (who, slug, Brief | None)


def _naive(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None, microsecond=0)
    return dt.datetime.combine(value, dt.time())


def _decoded_when(event: Any, name: str) -> dt.date | None:
    """An event's date or date-time property, or None when it is not one (``DTSTART:bad``)."""
    try:
        value = event.decoded(name)
    except Exception:  # noqa: BLE001 - icalendar raises several kinds on a malformed value
        return None
    return value if isinstance(value, dt.date) else None


def _address(prop: Any) -> Attendee | None:
    text = str(prop)
    if text.lower().startswith("mailto:"):
        text = text[7:]
    addr = text.strip().lower()
    if "@" not in addr:
        return None
    params = getattr(prop, "params", {}) or {}
    return Attendee(addr, str(params.get("CN", "")).strip().strip('"'))


def _attendees(event: Any) -> list[Attendee]:
    raw = event.get("ATTENDEE")
    props = raw if isinstance(raw, list) else [raw] if raw is not None else []
    found = [a for a in (_address(p) for p in props) if a is not None]
    return list({a.addr: a for a in found}.values())


def _url(event: Any) -> str | None:
    for name in ("URL", "X-GOOGLE-CONFERENCE", "X-MICROSOFT-ONLINEMEETINGCONFLINK"):
        value = event.get(name)
        if value and _MEETING_URL.search(str(value)):
            return str(value)
    for name in ("LOCATION", "DESCRIPTION"):
        match = _MEETING_URL.search(str(event.get(name) or ""))
        if match:
            return match.group(0)
    return None


def _dates(event: Any, name: str) -> list[Any]:
    raw = event.get(name)
    props = raw if isinstance(raw, list) else [raw] if raw is not None else []
    out: list[Any] = []
    for prop in props:
        out.extend(d.dt for d in getattr(prop, "dts", []))
    return out


def _starts(event: Any, until: dt.datetime, since: dt.datetime | None = None) -> tuple[list[tuple[Any, bool]], bool]:
    """The event's occurrence starts (aware or naive, as the calendar has them) from ``since``
    up to ``until`` (naive wall-clock times), each with whether it is one of a recurrence;
    at most the latest :data:`MAX_OCCURRENCES`, and whether some were left out."""
    from collections import deque

    from dateutil.rrule import rruleset, rrulestr

    start = event.decoded("DTSTART")
    if "RRULE" not in event and "RDATE" not in event:
        return [(start, False)], False
    is_date = not isinstance(start, dt.datetime)
    anchor = dt.datetime.combine(start, dt.time()) if is_date else start
    rules = rruleset()
    rrule_prop = event.get("RRULE")
    for prop in (rrule_prop if isinstance(rrule_prop, list) else [rrule_prop] if rrule_prop else []):
        text = prop.to_ical().decode()
        if anchor.tzinfo is not None:  # dateutil wants UNTIL in UTC when DTSTART has a zone
            text = re.sub(r"UNTIL=(\d{8}T\d{6})(?!Z)", lambda m: f"UNTIL={_until_utc(m.group(1), anchor)}", text)
            text = re.sub(r"UNTIL=(\d{8})(?![T\d])", lambda m: f"UNTIL={_until_utc(m.group(1) + 'T235959', anchor)}",
                          text)
        rules.rrule(rrulestr(text, dtstart=anchor, ignoretz=anchor.tzinfo is None))
    for extra in _dates(event, "RDATE"):
        rules.rdate(extra if isinstance(extra, dt.datetime) else dt.datetime.combine(extra, dt.time(),
                                                                                      anchor.tzinfo))
    for skip in _dates(event, "EXDATE"):
        rules.exdate(skip if isinstance(skip, dt.datetime) else dt.datetime.combine(skip, dt.time(),
                                                                                    anchor.tzinfo))
    bound = until.replace(tzinfo=anchor.tzinfo)
    low = anchor if since is None else max(anchor, since.replace(tzinfo=anchor.tzinfo))
    recent: deque[dt.datetime] = deque(maxlen=MAX_OCCURRENCES)
    seen = 0
    for when in rules.xafter(low, count=SCAN_LIMIT, inc=True):
        if when > bound:
            break
        recent.append(when)
        seen += 1
    return [((when.date() if is_date else when), True) for when in recent], seen > MAX_OCCURRENCES


def _until_utc(stamp: str, anchor: dt.datetime) -> str:
    """A floating UNTIL, read in the zone of DTSTART, as UTC."""
    local = dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S").replace(tzinfo=anchor.tzinfo)
    return local.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def read_occurrences(file: Path, until: dt.datetime,
                     since: dt.datetime | None = None) -> tuple[list[Occurrence], list[Problem]]:
    """Every occurrence of every event in ``file`` starting up to ``until`` (naive wall-clock time),
    and of a recurring event only those from ``since`` on when it is given."""
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(file.read_bytes())
    except OSError as exc:
        raise CommandFailed(f"{file}: cannot read ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise CommandFailed(f"{file}: not an iCalendar file ({exc})") from None
    problems: list[Problem] = []
    overrides: dict[tuple[str, str], Any] = {}
    events: list[Any] = []
    for event in calendar.walk("VEVENT"):
        uid = str(event.get("UID") or "")
        if not uid or "DTSTART" not in event:
            problems.append(Problem(f"{file}:1", f"event {str(event.get('SUMMARY') or '?')!r}: no UID or "
                                    "DTSTART; skipped"))
            continue
        recurrence_id = _decoded_when(event, "RECURRENCE-ID") if "RECURRENCE-ID" in event else None
        if _decoded_when(event, "DTSTART") is None or ("RECURRENCE-ID" in event and recurrence_id is None):
            problems.append(Problem(f"{file}:1", f"event {uid}: DTSTART or RECURRENCE-ID is not a date; skipped"))
            continue
        if recurrence_id is not None:
            overrides[(uid, _naive(recurrence_id).isoformat())] = event
        else:
            events.append(event)
    found: list[Occurrence] = []
    for event in events:
        uid = str(event.get("UID"))
        try:
            starts, cut = _starts(event, until, since)
        except (ValueError, TypeError) as exc:
            problems.append(Problem(f"{file}:1", f"event {uid}: its recurrence cannot be read ({exc}); skipped"))
            continue
        if cut:
            problems.append(Problem(f"{file}:1", f"event {uid}: more than {MAX_OCCURRENCES} occurrences; "
                                    f"only the latest {MAX_OCCURRENCES} are read", False))
        for start, recurring in starts:
            recurrence = _naive(start).isoformat() if recurring else ""
            override = overrides.pop((uid, _naive(start).isoformat()), None) if recurring else None
            occurrence = (_occurrence(override, uid, recurrence) if override is not None
                          else _occurrence(event, uid, recurrence, _naive(start)))
            if occurrence is not None and occurrence.start <= until:
                found.append(occurrence)
    for (uid, recurrence), event in overrides.items():  # an override of an occurrence the rule does not make
        occurrence = _occurrence(event, uid, recurrence)
        if occurrence is not None and occurrence.start <= until:
            found.append(occurrence)
    found.sort(key=lambda o: (o.start, o.uid))
    return found, problems


def _occurrence(event: Any, uid: str, recurrence: str, start: dt.datetime | None = None) -> Occurrence | None:
    """One occurrence of ``event`` (at ``start``, for one of a recurrence), None when it is cancelled."""
    if str(event.get("STATUS") or "").upper() == "CANCELLED":
        return None
    start = start or _naive(event.decoded("DTSTART"))
    organizer = _address(event["ORGANIZER"]) if "ORGANIZER" in event else None
    return Occurrence(uid, recurrence, " ".join(str(event.get("SUMMARY") or "Meeting").split()), start,
                      _url(event), _attendees(event), organizer)


def _external(directory: Directory, occurrence: Occurrence) -> list[Attendee]:
    people = list(occurrence.attendees)
    if occurrence.organizer and occurrence.organizer.addr not in {a.addr for a in people}:
        people.append(occurrence.organizer)
    return [a for a in people if not directory.is_ours(a.addr)]


def import_calendar(nb: Notebook, file: Path, today: dt.date, options: CalendarOptions) -> Report:
    """Stubs for the past events of ``file`` with external attendees (see the module); what was done."""
    until = dt.datetime.combine(today, dt.time(23, 59, 59))
    occurrences, problems = read_occurrences(file, until)
    report = Report(str(file), options.dry_run, unit="event", problems=list(problems))
    index = ImportIndex(nb.root)
    directory = Directory(nb, options.me_addresses, create=options.create_people)
    writer = NoteWriter(nb, index, private=not options.public, follow_up_days=0, dry_run=options.dry_run)
    groups: list[Group] = []
    for occurrence in occurrences:
        report.read += 1
        if occurrence.key in index.imported:
            report.already += 1
            continue
        external = _external(directory, occurrence)
        if not external:
            continue
        slugs = [directory.find(a.addr, a.name) for a in external]
        people = tuple(dict.fromkeys(s for s in slugs if s and s not in directory.ours))
        names = ", ".join(directory.display(s, a.name or a.addr) for s, a in zip(slugs, external))
        lines = [f"Meeting imported from the calendar: {escape_text(occurrence.title)}, "
                 f"{occurrence.start:%Y-%m-%d %H:%M}.", "", f"Attendees: {escape_text(names)}."]
        if occurrence.url:
            lines += ["", f"Link: <{occurrence.url}>"]
        lines += ["", "(What was said, promised and decided goes here.)"]
        entry = Entry(occurrence.key, occurrence.start, False, people, "", "\n".join(lines) + "\n")
        groups.append(Group(occurrence.key, "meetings", None, occurrence.title,
                            "video" if occurrence.url else "meeting", [entry], turns=False))
    return write_groups(nb, report, directory, writer, index, groups, options.public, options.dry_run)


def plan_prep(nb: Notebook, file: Path, start: dt.datetime, end: dt.datetime,
              me_addresses: tuple[str, ...] = ()) -> list[Meeting]:
    """The events of ``file`` starting in ``[start, end)`` with external attendees, each with their briefs."""
    from ..brief import build_brief

    occurrences, _ = read_occurrences(file, end, since=start)
    directory = Directory(nb, tuple(a.lower() for a in me_addresses))
    meetings: list[Meeting] = []
    for occurrence in occurrences:
        if not start <= occurrence.start < end:
            continue
        external = _external(directory, occurrence)
        if not external:
            continue
        meeting = Meeting(occurrence.title, occurrence.start, occurrence.url)
        for attendee in external:
            slug = directory.find(attendee.addr, attendee.name, create=False)
            label = f"{attendee.name} <{attendee.addr}>" if attendee.name else attendee.addr
            meeting.attendees.append((label, slug, build_brief(nb, slug, start.date()) if slug else None))
        meetings.append(meeting)
    return meetings
