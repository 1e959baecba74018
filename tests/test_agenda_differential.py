"""docs/daily.md's agenda rules, implemented again here from the documentation alone, compared item
for item with `convo due --json` over generated notebooks on several days (before and after
snoozes, recurrences, stale-wait windows and warning periods), and again after `convo done`
moved recurring commitments (the file must then be exactly what the rules say it becomes).

The reference below never imports convo_notes: it works from the generator's own data.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run_cli

ME = "sam"
OTHERS = ("ana", "ben", "cy", "dee")
TAGS = ("clients", "friends", "neighbours")
D0 = dt.date(2026, 2, 1)
TODAYS = (dt.date(2026, 2, 20), dt.date(2026, 3, 4), dt.date(2026, 3, 11), dt.date(2026, 3, 30))
KIND_ORDER = ("commitment", "my-turn", "waiting", "keep-in-touch")


# --- the reference: durations and the rules of docs/daily.md ----------------------------------

def shift(day: dt.date, text: str, sign: int = 1) -> dt.date:
    """``day`` plus (or minus) ``14d``/``2w``/``3m``/``1y``; months clamp to the month's last day."""
    count, unit = int(text[:-1]), text[-1]
    if unit == "d":
        return day + dt.timedelta(days=sign * count)
    if unit == "w":
        return day + dt.timedelta(days=7 * sign * count)
    months = day.year * 12 + day.month - 1 + sign * count * (12 if unit == "y" else 1)
    year, month = divmod(months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass
class Promise:
    what: str
    owner: str | None = None  # None: not written (me)
    to: str | None = None
    id: str | None = None
    due: dt.date | None = None
    done: dt.date | None = None
    snooze: dt.date | None = None
    every: str | None = None  # "1w", "+1w", ".+3d"
    warn: str | None = None
    last_done: dt.date | None = None
    line: int = 0


@dataclass
class Next:
    turn: str
    by: dt.date | None = None
    snooze: dt.date | None = None
    line: int = 0


@dataclass
class Conv:
    path: str
    date: dt.date
    with_: tuple[str, ...]
    thread: str | None = None
    promises: list[Promise] = field(default_factory=list)
    next: Next | None = None
    closes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass
class Who:
    slug: str
    tags: tuple[str, ...] = ()
    cadence: str | None = None
    snooze: dt.date | None = None


@dataclass
class Book:
    people: list[Who]
    convs: list[Conv]
    follow_up: str | None = None
    warn: str | None = None
    keep_in_touch: dict[str, str] = field(default_factory=dict)


def write_conv(c: Conv) -> str:
    """The note's text; sets each promise's and the next's line as a side effect."""
    lines = ["---", f"date: {c.date.isoformat()}", f"with: [{', '.join(c.with_)}]"]
    if c.thread:
        lines.append(f"thread: {c.thread}")
    if c.tags:
        lines.append(f"tags: [{', '.join(c.tags)}]")
    if c.promises:
        lines.append("commitments:")
        for p in c.promises:
            p.line = len(lines) + 1
            fields = [("what", p.what), ("owner", p.owner), ("to", p.to), ("id", p.id), ("due", p.due),
                      ("done", p.done), ("snooze", p.snooze), ("every", p.every), ("warn", p.warn),
                      ("last_done", p.last_done)]
            written = [(k, v) for k, v in fields if v is not None]
            for number, (key, value) in enumerate(written):
                text = value.isoformat() if isinstance(value, dt.date) else value
                lines.append(f"{'  - ' if number == 0 else '    '}{key}: {text}")
    if c.next:
        c.next.line = len(lines) + 2  # where the mapping's value starts: its first field
        lines.append("next:")
        lines.append(f"  turn: {c.next.turn}")
        if c.next.by:
            lines.append(f"  by: {c.next.by.isoformat()}")
        if c.next.snooze:
            lines.append(f"  snooze: {c.next.snooze.isoformat()}")
    if c.closes:
        lines.append(f"closes: [{', '.join(c.closes)}]")
    return "\n".join([*lines, "---", "Notes.", ""])


def write_book(root: Path, book: Book) -> None:
    (root / "notes" / "people").mkdir(parents=True, exist_ok=True)
    (root / "notes" / "c").mkdir(parents=True, exist_ok=True)
    config = [f"me: {ME}"]
    if book.follow_up or book.warn:
        config.append("agenda:")
        config += [f"  {k}: {v}" for k, v in (("follow_up", book.follow_up), ("warn", book.warn)) if v]
    if book.keep_in_touch:
        config.append("keep_in_touch:")
        config += [f"  {tag}: {rule}" for tag, rule in book.keep_in_touch.items()]
    (root / "convo.yml").write_text("\n".join(config) + "\n")
    (root / "notes/people/sam.md").write_text("---\nname: Sam\n---\n")
    for who in book.people:
        lines = ["---", f"name: {who.slug.title()}"]
        if who.tags:
            lines.append(f"tags: [{', '.join(who.tags)}]")
        if who.cadence:
            lines.append(f"cadence: {who.cadence}")
        if who.snooze:
            lines.append(f"snooze: {who.snooze.isoformat()}")
        (root / f"notes/people/{who.slug}.md").write_text("\n".join([*lines, "---", ""]))
    for conv in book.convs:
        (root / conv.path).write_text(write_conv(conv))


def reference(book: Book, today: dt.date, within: int = 7, show_all: bool = False,
              tag: str | None = None, involving: str | None = None) -> list[tuple]:
    """The agenda by the rules of docs/daily.md, as (kind, date, group, source, snoozed, stale,
    warning, deadline, recurring) tuples in the documented order; ``tag`` and ``involving`` are
    ``--tag`` and ``--person``."""
    def me(slug: str | None) -> bool:
        return slug in ("me", ME)

    def canon(slug: str | None) -> str | None:
        return ME if slug == "me" else slug

    tags_of = {w.slug: set(w.tags) for w in book.people}

    follow_up = book.follow_up or "7d"
    convs = sorted(book.convs, key=lambda c: (c.date, c.path))
    closed = {ident for c in convs for ident in c.closes}
    found: list[dict] = []
    for c in convs:
        for p in c.promises:
            if p.done or (p.id and p.id in closed):
                continue
            item = {"kind": "commitment", "date": p.due, "source": (c.path, p.line), "snooze": p.snooze,
                    "people": set(c.with_), "tags": set(c.tags),
                    "involved": {canon(p.owner or "me"), canon(p.to)},
                    "stale": False, "deadline": None, "warn_from": None,
                    "recurring": p.every.lstrip("+") if p.every and not p.every.startswith(".") else p.every}
            period = p.warn or book.warn
            if period and p.due:
                item["warn_from"] = shift(p.due, period, -1)
            if p.due is None and not me(p.owner or "me") and (p.to is None or me(p.to)):
                stale_from = shift(c.date, follow_up)
                if stale_from < today:
                    item.update(date=stale_from, stale=True)
            found.append(item)
    latest: dict[str, Conv] = {}
    for c in convs:
        latest[c.thread or "+".join(sorted({ME if me(s) else s for s in c.with_}))] = c
    for c in latest.values():
        n = c.next
        if n is None:
            continue
        base = {"source": (c.path, n.line), "snooze": n.snooze, "stale": False, "deadline": None,
                "warn_from": None, "recurring": None, "people": set(c.with_), "tags": set(c.tags),
                "involved": {ME, *(c.with_ if n.turn == "them" else (canon(n.turn),))}}
        if me(n.turn):
            found.append({**base, "kind": "my-turn", "date": n.by})
        elif n.by is not None:
            if n.by < today:
                found.append({**base, "kind": "waiting", "date": n.by})
        elif shift(c.date, follow_up) < today:
            found.append({**base, "kind": "waiting", "date": shift(c.date, follow_up), "stale": True})
    for who in book.people:
        rule = who.cadence or next((book.keep_in_touch[t] for t in who.tags if t in book.keep_in_touch), None)
        if rule is None:
            continue
        ideal, _, maximum = rule.partition("..")
        last = [c for c in convs if who.slug in c.with_]
        date = shift(last[-1].date, ideal) if last else today
        deadline = shift(last[-1].date, maximum) if last and maximum else None
        found.append({"kind": "keep-in-touch", "date": date, "source": (f"notes/people/{who.slug}.md",
                      3 + bool(who.tags) if who.cadence else 1), "snooze": who.snooze, "stale": False,
                      "deadline": deadline, "warn_from": None, "recurring": None, "people": {who.slug},
                      "tags": set(), "involved": {ME}})
    horizon = today + dt.timedelta(days=within)
    out = []
    for item in found:
        all_tags = item["tags"].union(*(tags_of.get(s, set()) for s in item["people"]))
        if (tag and tag not in all_tags) or (involving and involving not in item["people"] | item["involved"]):
            continue
        date = item["date"]
        warning = bool(item["warn_from"] and date and item["warn_from"] <= today < date)
        snoozed = bool(item["snooze"] and today < item["snooze"])
        if not show_all and (snoozed or date is None or (date > horizon and not warning)):
            continue
        if date is None:
            group = "undated"
        elif (item["deadline"] or date) < today:
            group = "overdue"
        elif date <= today:
            group = "today"
        else:
            group = "upcoming" if date <= horizon or warning else "later"
        out.append((KIND_ORDER.index(item["kind"]), item["kind"], date, group, item["source"], snoozed,
                    item["stale"], warning, item["deadline"], item["recurring"]))
    out.sort(key=lambda t: (t[2] or dt.date.max, t[0], t[4][0], t[4][1]))
    return [(kind, date.isoformat() if date else None, group, f"{path}:{line}", snoozed, stale, warning,
             deadline.isoformat() if deadline else None, recurring)
            for _, kind, date, group, (path, line), snoozed, stale, warning, deadline, recurring in out]


def actual(root: Path, today: dt.date, *args: str) -> list[tuple]:
    result = run_cli("-C", str(root), "--today", today.isoformat(), "due", "--json", *args)
    assert result.code == 0, result.err
    return [(i["kind"], i["date"], i["group"], i["source"], i["snoozed"], i["stale"], i["warning"], i["deadline"],
             i["recurring"]) for i in json.loads(result.out)["items"]]


# --- generated notebooks ---------------------------------------------------------------------------

days = st.integers(min_value=0, max_value=70).map(lambda n: D0 + dt.timedelta(days=n))
maybe_day = st.none() | days
person = st.sampled_from(("me", *OTHERS))


@st.composite
def books(draw: st.DrawFn) -> Book:
    people = [Who(slug, tuple(draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True))),
                  draw(st.none() | st.sampled_from(("5d", "2w", "1w..3w", "1m"))), draw(st.none() | days))
              for slug in OTHERS]
    ids = iter(f"c{n}" for n in range(100))
    convs = []
    for number in range(draw(st.integers(min_value=1, max_value=6))):
        with_ = tuple(draw(st.lists(st.sampled_from(OTHERS), min_size=1, max_size=2, unique=True)))
        promises = []
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            every = draw(st.none() | st.sampled_from(("1w", "+2w", ".+3d", "1m")))
            promises.append(Promise(
                what=f"Promise {len(promises)} of {number}", owner=draw(st.none() | person),
                to=draw(st.none() | person), id=next(ids) if draw(st.booleans()) or every else None,
                due=draw(days) if every else draw(maybe_day), done=draw(st.none() | st.none() | days),
                snooze=draw(st.none() | days), every=every, warn=draw(st.none() | st.sampled_from(("3d", "2w")))))
        earlier = [p.id for c in convs for p in c.promises if p.id]
        convs.append(Conv(
            f"notes/c/{number:02d}.md", draw(days), with_, draw(st.none() | st.sampled_from(("t1", "t2"))),
            promises, draw(st.none() | st.builds(Next, person | st.just("them"), maybe_day, st.none() | days)),
            tuple(draw(st.lists(st.sampled_from(earlier), max_size=1))) if earlier else (),
            tuple(draw(st.lists(st.sampled_from(TAGS), max_size=2, unique=True)))))
    return Book(people, convs, draw(st.none() | st.sampled_from(("3d", "2w"))),
                draw(st.none() | st.sampled_from(("2d", "10d"))),
                draw(st.dictionaries(st.sampled_from(TAGS), st.sampled_from(("2w", "1m..2m", "10d")), max_size=2)))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(book=books(), done_on=days, tag=st.sampled_from(TAGS), who=st.sampled_from(OTHERS))
def test_the_agenda_is_what_the_documented_rules_give(book: Book, done_on: dt.date, tag: str, who: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_book(root, book)
        for today in TODAYS:
            assert actual(root, today) == reference(book, today), today
            assert actual(root, today, "--all") == reference(book, today, show_all=True), today
        assert actual(root, TODAYS[1], "--within", "30") == reference(book, TODAYS[1], within=30)
        assert actual(root, TODAYS[2], "--all", "--tag", tag, "--person", who) == \
            reference(book, TODAYS[2], show_all=True, tag=tag, involving=who)
        # `convo done` on each open recurring commitment: last_done, and due moved by the documented rule
        closed = {ident for c in book.convs for ident in c.closes}
        for conv in book.convs:
            for p in conv.promises:
                if not p.every or p.done or p.id in closed:
                    continue
                result = run_cli("-C", str(root), "done", str(p.id), "--date", done_on.isoformat())
                assert result.code == 0, result.err
                interval = p.every.lstrip(".+")
                base = done_on if p.every.startswith(".") else p.due
                p.due, p.last_done = shift(base, interval) if base else shift(done_on, interval), done_on
                assert (root / conv.path).read_text() == write_conv(conv)
        for today in TODAYS:
            assert actual(root, today) == reference(book, today), today


def test_the_reference_itself_on_a_hand_computed_case() -> None:
    """The reference agrees with a hand-computed agenda (so a shared mistake would show)."""
    book = Book([Who("ana", ("clients",)), Who("ben", (), "2w", dt.date(2026, 3, 20))], [
        Conv("notes/c/00.md", dt.date(2026, 3, 1), ("ana",), None,
             [Promise("Deck", due=dt.date(2026, 3, 12), warn="3d"),
              Promise("Data", owner="ana"),
              Promise("Report", id="r", due=dt.date(2026, 3, 6), every="1w")],
             Next("them")),
        Conv("notes/c/01.md", dt.date(2026, 2, 10), ("ben",))], keep_in_touch={"clients": "1w..3w"})
    for conv in book.convs:
        write_conv(conv)
    assert reference(book, dt.date(2026, 3, 10), within=1) == [
        ("commitment", "2026-03-06", "overdue", "notes/c/00.md:10", False, False, False, None, "1w"),
        ("commitment", "2026-03-08", "overdue", "notes/c/00.md:8", False, True, False, None, None),
        ("waiting", "2026-03-08", "overdue", "notes/c/00.md:15", False, True, False, None, None),
        ("keep-in-touch", "2026-03-08", "today", "notes/people/ana.md:1", False, False, False, "2026-03-22", None),
        ("commitment", "2026-03-12", "upcoming", "notes/c/00.md:5", False, False, True, None, None),
    ]
