"""Every human-readable answer ``convo`` prints, as text: the agenda, threads, a brief,
the referral directory, one note, and the summaries of ``validate`` and ``site build``.

Each function takes query results and returns text; colour comes from
:func:`.terminal.painter` (only on a terminal, never with ``NO_COLOR``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Callable, Iterable

from ..agenda import MINE, SETTLED, THEIRS, DueItem, Thread, cadence_of, group_of
from ..dates import add_days
from ..model import Note, Notebook
from .json import names, note_to_json, party_details, turn_label
from .terminal import painter, plain, style, terminal_width

if TYPE_CHECKING:  # the referral types are imported when a referral is rendered, not by every command
    from ..brief import Brief
    from ..diagnostics import Diagnostic
    from ..referrals import Expert, Party, Recommendation, TopicEntry
    from ..site.build import BuildReport


GROUPS = ("overdue", "today", "upcoming", "later", "undated")


GROUP_TITLES = {"overdue": "Overdue", "today": "Today", "upcoming": "Upcoming", "later": "Later",
                "undated": "No date"}


KIND_LABELS = {"commitment": "commitment", "my-turn": "our turn", "waiting": "waiting",
               "keep-in-touch": "keep in touch"}


STATE_LABELS = {MINE: "our turn", THEIRS: "their turn", SETTLED: "settled"}


def kind_label(nb: Notebook, item: DueItem) -> str:
    """An item's kind, spoken to the reader: a turn is ``your turn`` or ``Alex Kim's turn``."""
    return turn_label(nb, item.owner) if item.kind == "my-turn" else KIND_LABELS[item.kind]


def when(day: dt.date | None, today: dt.date) -> str:
    """How a due date stands: ``3d late``, ``today``, ``in 2d``, or empty."""
    if day is None:
        return ""
    delta = (today - day).days
    if delta > 0:
        return f"{delta}d late"
    return "today" if delta == 0 else f"in {-delta}d"


def ago(day: dt.date, today: dt.date) -> str:
    delta = (today - day).days
    if delta == 0:
        return "today"
    if delta < 0:
        return f"in {-delta} day{'s' * (delta != -1)}"
    return f"{delta} day{'s' * (delta != 1)} ago"


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def item_marks(item: DueItem, today: dt.date) -> list[str]:
    """What else to know about an item: snoozed, recurring, a stale wait, an early warning."""
    marks = []
    if item.snoozed(today) and item.snooze:
        marks.append(f"snoozed until {item.snooze.isoformat()}")
    if item.every:
        marks.append(f"every {item.every}")
    if item.stale:
        marks.append("no reply" if item.kind == "waiting" else "no date, no news")
    if item.warning(today):
        marks.append("warning")
    return marks


def _late_text(item: DueItem, today: dt.date) -> str:
    if item.date is not None and item.deadline is not None and item.date < today <= item.deadline:
        return f"due {(today - item.date).days}d"  # inside a keep-in-touch window: due, not yet late
    return when(item.date, today)


MIN_WHAT = 20  # the text of an item is never cut shorter than this (the line wraps instead)


def _fit(text: str, room: int) -> str:
    """``text`` cut to ``room`` characters with an ellipsis (at least a few characters kept)."""
    if len(text) <= room:
        return text
    return text[:max(room, 4) - 1].rstrip() + "…"


def kind_width(nb: Notebook, items: Iterable[DueItem], labels: Labels | None = None) -> int:
    """The width of the kind column: the longest label (``Tomas Lindqvist's turn``), at least 13."""
    label = (labels or Labels(nb)).kind
    return max([13, *(len(label(item)) for item in items)])


class Labels:
    """:func:`kind_label`, :func:`names` and ``display`` of one notebook, each worked out once per slug:
    an agenda of thousands of lines names the same few people again and again."""

    __slots__ = ("nb", "_kinds", "_names", "_display", "_who")

    def __init__(self, nb: Notebook) -> None:
        self.nb = nb
        self._kinds: dict[tuple[str, str | None], str] = {}
        self._names: dict[str | None, str] = {}
        self._display: dict[str, str] = {}
        self._who: dict[tuple[str | None, str | None, tuple[str, ...] | None], str] = {}

    def display(self, slug: str) -> str:
        found = self._display.get(slug)
        if found is None:
            found = self._display[slug] = self.nb.display(slug)
        return found

    def kind(self, item: DueItem) -> str:
        key = (item.kind, item.owner if item.kind == "my-turn" else None)
        found = self._kinds.get(key)
        if found is None:
            found = self._kinds[key] = kind_label(self.nb, item)
        return found

    def names(self, slug: str | None) -> str:
        found = self._names.get(slug)
        if found is None:
            found = self._names[slug] = names(self.nb, slug)
        return found

    def who(self, item: DueItem) -> str:
        """``owner → to`` of an item; a turn of mine with nobody named is owed to the others in it."""
        key = (item.owner, item.to, item.people if item.kind == "my-turn" else None)
        found = self._who.get(key)
        if found is None:
            to = self.names(item.to) or (", ".join(self.display(s) for s in item.people if s != item.owner)
                                         if item.kind == "my-turn" else "")
            found = self._who[key] = self.names(item.owner) + (f" → {to}" if to else "")
        return found


def due_line(nb: Notebook, item: DueItem, today: dt.date, paint: Callable[..., str] | None = None,
             width: int | None = None, kinds: int = 13, labels: Labels | None = None) -> str:
    """One item on one line: date, how late, kind, owner → to, what, thread, source.

    Columns are padded before colour is added, so they stay aligned with colour on;
    with a ``width``, the ``what`` text is cut with an ellipsis to fit, the source kept whole
    (where even that leaves less than 20 characters, the ``[thread]`` is left out first).
    """
    paint = paint or style
    labels = labels or Labels(nb)
    date = item.date.isoformat() if item.date else "(no date)"
    who = labels.who(item)
    late_text = _late_text(item, today)
    late = late_text.rjust(8)
    marks = "".join(f" [{m}]" for m in item_marks(item, today)) if _marked(item) else ""
    thread = f"  [{item.thread}]" if item.thread else ""
    private = "[private] " if item.private else ""
    kind = labels.kind(item).ljust(kinds)
    what = item.what
    if width is not None:
        # the line's length but for `what`: "  DATE  LATE  KIND  [private] WHO: " MARKS THREAD "  " SOURCE
        fixed = (max(len(date), 10) + len(late) + len(kind) + len(private) + len(who) + 10
                 + len(marks) + len(thread) + 2 + len(item.source))
        if width - fixed < MIN_WHAT and thread:  # tight: the thread goes before the text does
            fixed -= len(thread)
            thread = ""
        what = _fit(what, max(width - fixed, MIN_WHAT))
    source = item.source
    if paint is not plain:  # (colour off: every paint below would give its text back)
        if late_text.endswith("late"):
            late = paint(late, fg="red", bold=True)
        if private:
            private = paint(private, fg="magenta")
        if marks:
            marks = paint(marks, fg="yellow")
        source = paint(source, dim=True)
    return f"  {date:<10}  {late}  {kind}  {private}{who}: {what}{marks}{thread}  {source}"


def _marked(item: DueItem) -> bool:
    """Whether :func:`item_marks` has anything to say of an item (most have nothing)."""
    return item.snooze is not None or bool(item.every) or item.stale or item.warn_from is not None


def window_phrase(within: int, include_all: bool) -> str:
    if include_all:
        return "everything open, dated or not"
    return f"overdue, today and the next {plural(within, 'day')}"


def render_due(nb: Notebook, items: list[DueItem], today: dt.date, within: int, include_all: bool,
               owner: str | None = None) -> str:
    """The agenda as text: a header, items grouped by when they are due, a summary line."""
    whose = f" for {names(nb, owner)}" if owner else ""
    head = f"Due as of {today.isoformat()}{whose} ({window_phrase(within, include_all)})"
    if not items:
        return f"Nothing due as of {today.isoformat()}{whose} ({window_phrase(within, include_all)})."
    paint = painter()
    width = terminal_width()
    labels = Labels(nb)
    kinds = kind_width(nb, items, labels)
    lines = [paint(head, bold=True)]
    grouped: dict[str, list[DueItem]] = {group: [] for group in GROUPS}
    for item in items:
        grouped[group_of(item, today, within)].append(item)
    counts: dict[str, int] = {}
    for group in GROUPS:
        members = grouped[group]
        if not members:
            continue
        counts[group] = len(members)
        lines.append("")
        lines.append(paint(GROUP_TITLES[group], bold=True, fg="red" if group == "overdue" else None))
        lines.extend(due_line(nb, item, today, paint, width, kinds, labels) for item in members)
    private = sum(1 for i in items if i.private)
    summary = f"{plural(len(items), 'item')}: " + ", ".join(f"{n} {g}" for g, n in counts.items())
    if private:
        summary += f" ({private} private)"
    lines += ["", summary]
    return "\n".join(lines)


def render_week(nb: Notebook, days: list[tuple[dt.date | None, list[DueItem]]], today: dt.date,
                owner: str | None = None) -> str:
    """``convo due --week``: overdue items, then each of the next 7 days with its items (or ``nothing``)."""
    paint = painter()
    width = terminal_width()
    labels = Labels(nb)
    kinds = kind_width(nb, (item for _day, items in days for item in items), labels)
    whose = f" for {names(nb, owner)}" if owner else ""
    end = add_days(today, 6)
    lines = [paint(f"Week of {today.isoformat()} to {end.isoformat()}{whose}", bold=True)]
    total = 0
    for day, items in days:
        if day is None:
            if not items:
                continue
            title = paint("Overdue", bold=True, fg="red")
        else:
            title = paint(f"{day.strftime('%a')} {day.isoformat()}" + ("  (today)" if day == today else ""),
                          bold=True)
        lines += ["", title]
        lines += [due_line(nb, item, today, paint, width, kinds, labels) for item in items] or ["  nothing"]
        total += len(items)
    lines += ["", f"{plural(total, 'item')}"]
    return "\n".join(lines)


def thread_label(nb: Notebook, t: Thread) -> str:
    """``your turn`` (the reader's only), ``Dana Reyes's turn``, ``their turn`` (several people) or ``settled``."""
    if t.state == SETTLED:
        return STATE_LABELS[t.state]
    return turn_label(nb, t.turn)


def thread_lines(nb: Notebook, found: list[Thread], today: dt.date) -> list[str]:
    """Two lines a thread: state, due date and next move; then people, size, last date and source."""
    style = painter()  # the terminal asked once, not once a line
    shown = Labels(nb)
    labels: dict[tuple[str, str | None], str] = {}
    for t in found:
        if (t.state, t.turn) not in labels:
            labels[(t.state, t.turn)] = thread_label(nb, t)
    width = max(map(len, labels.values()), default=0)
    mark = style(" [private]", fg="magenta")
    lines: list[str] = []
    for t in found:
        due_text = f"by {t.by.isoformat()} ({when(t.by, today)})" if t.by else ""
        name = t.key if t.explicit else f"\"{t.latest.title}\""
        about = f": {t.about}" if t.about else ""
        private = mark if any(nb.is_private(c) for c in t.conversations) else ""
        lines.append(f"  {labels[(t.state, t.turn)]:<{width}}  {due_text:<24}  {name}{about}{private}".rstrip())
        latest = t.latest
        source = f"{latest.path}:{latest.next.line}" if latest.next else latest.path
        lines.append(f"  {'':<{width}}  with {', '.join(shown.display(s) for s in t.people)}; "
                     f"{plural(len(t.conversations), 'conversation')}, last {latest.date.isoformat()}  "
                     + style(source, dim=True))
    return lines


def render_brief(nb: Notebook, b: Brief, today: dt.date) -> str:
    """A brief as text, on one screen: who, last contact, threads, promises, interests, referrals, history."""
    from ..model import Person

    style = painter()  # the terminal asked once, not once a line
    mark = style(" [private]", fg="magenta")
    s = b.subject
    lines = [style(f"{s.name} ({s.slug})", bold=True) + (mark if b.private else "")]
    if isinstance(s, Person):
        where = f" at {b.org.name}" if b.org else ""
        if s.role or where:
            lines.append(f"  {s.role or 'works'}{where}" + (f": {b.org.what}" if b.org and b.org.what else ""))
        for label, values in (("expertise", s.expertise), ("contact", (*s.emails, *s.phones)),
                              ("also known as", s.aliases), ("tags", s.tags)):
            if values:
                lines.append(f"  {label}: {', '.join(values)}")
        if s.team:
            lines.append("  on our team")
    else:
        lines.append("  organization" + (f": {s.what}" if s.what else ""))
        if s.website:
            lines.append(f"  website: {s.website}")
        if s.tags:
            lines.append(f"  tags: {', '.join(s.tags)}")
    for k in b.keep_in_touch:
        who = f" with {k.person.name}" if b.is_org else ""
        never = ", never contacted" if k.never else ""
        lines.append(f"  keep in touch{who} every {cadence_of(nb, k.person)[0]}: due {k.due.isoformat()} "
                     f"({when(k.due, today)}{never})")
    lines += [f"  {line}" for line in s.body.strip().splitlines()]

    if b.is_org:
        lines += ["", style("People", bold=True)]
        if not b.people:
            lines.append("  (no one in notes/people/ has this org)")
        for p in b.people:
            lines.append(f"  {p.name} ({p.slug})" + (f", {p.role}" if p.role else "")
                         + (mark if nb.is_private(p) else ""))

    lines.append("")
    if b.last is None:
        lines.append("Never spoken with (no conversations yet).")
    else:
        last_date = b.last.time.strftime("%Y-%m-%d %H:%M") if b.last.time else b.last.date.isoformat()
        lines.append(f"Last spoke {last_date} ({ago(b.last.date, today)}), recorded by "
                     f"{names(nb, b.recorders[0].slug)}: {b.last.title}")
        for r in b.recorders[1:]:
            lines.append(f"  {names(nb, r.slug)} last recorded one on {r.conversation.date.isoformat()}")
    if b.last_edit is not None:
        who = names(nb, b.last_edit.team_member) if b.last_edit.team_member else b.last_edit.author
        lines.append(f"Notes last edited {b.last_edit.date[:10]} by {who} ({b.last_edit.path})")

    def section(title: str, body: list[str]) -> None:
        if body:
            lines.extend(["", style(title, bold=True), *body])

    section("Threads", thread_lines(nb, list(b.threads), today))

    def promise_line(p: Any, fulfilled: bool = False) -> str:
        c = p.commitment
        if fulfilled:
            head = f"{p.fulfilled.isoformat():<10}"
        else:
            head = f"{c.due.isoformat() if c.due else '(no date)':<10}  {when(c.due, today):>8}"
        to = f" → {names(nb, nb.canon(c.to))}" if c.to else ""
        return (f"  {head}  {mark.strip() + ' ' if p.private else ''}{names(nb, nb.canon(c.owner))}{to}: {c.what}  "
                + style(f"{c.path}:{c.line}", dim=True))

    # named, not "they"/"we": the brief of a teammate or of our own org reads right too
    section(f"{s.name} owes", [promise_line(p) for p in b.they_owe])
    section(f"Owed to {s.name}", [promise_line(p) for p in b.we_owe])
    section("Interests", [f"  {i.text} ({i.conversation.date.isoformat()}){mark if i.private else ''}"
                          for i in b.interests])
    section("Sent", [promise_line(p, fulfilled=True) for p in b.sent])

    from ..referrals import names_index, recommended

    known = names_index(nb)  # once, not once a line

    def referral_line(label: str, e: Any) -> str:
        r = e.referral
        slug = recommended(nb, r.recommends, known)
        target = nb.display(slug) if slug else r.recommends
        note = f" ({r.note})" if r.note else ""
        return (f"  {label:<12}{e.conversation.date.isoformat()}  {names(nb, nb.canon(r.by)) or '?'} recommended "
                f"{target} for {', '.join(r.topics)} to {names(nb, nb.canon(r.to))}{note}"
                + (mark if e.private else ""))

    section("Referrals", [referral_line("given", e) for e in b.referrals_given]
            + [referral_line("received", e) for e in b.referrals_received]
            + [referral_line("about them", e) for e in b.recommended])

    history: list[str] = []
    for h in b.history:
        c = h.conversation
        day = c.time.strftime("%Y-%m-%d %H:%M") if c.time else c.date.isoformat()
        with_ = f" (with {', '.join(nb.display(x) for x in c.with_)})" if b.is_org or len(c.with_) > 1 else ""
        history.append(f"  {day:<16}  {c.channel or '':<7}  {c.title}{with_}{mark if h.private else ''}")
        history.extend(f"  {'':<16}  {'':<7}  {line}" for line in h.excerpt)
        history.append(f"  {'':<16}  {'':<7}  " + style(c.path, dim=True))
    section(f"History ({len(b.history)}, newest first)", history)
    return "\n".join(lines)


def _or(labels: list[str]) -> str:
    quoted = [f"'{lab}'" for lab in labels]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def render_no_referrals(nb: Notebook, by: str | None, to: str | None) -> str:
    """What ``convo referrals`` says when there is nothing to list."""
    if by:
        return f"{nb.display(by)} has recommended no one."
    if to:
        return f"{nb.display(to)} has received no referrals."
    return "No referrals in this notebook."


def render_entry(nb: Notebook, entry: TopicEntry, limit: int | None = None,
                 by: str | None = None, to: str | None = None) -> str:
    """One topic as text: heading, ranked parties with their recommendations, then experts."""
    others = [f for f in entry.forms if f != entry.label]
    lines = [style(entry.label, bold=True) + (f"  (also: {', '.join(others)})" if others else "")]
    shown = entry.parties if limit is None else entry.parties[:limit]
    for rank, party in enumerate(shown, 1):
        lines.extend(_party_lines(nb, rank, party))
    if limit is not None and len(entry.parties) > limit:
        rest = len(entry.parties) - limit
        lines.append(f"   … {rest} more: convo referrals {_quote(entry.label)}")
    if not entry.parties:
        whose = f" by {nb.display(by)}" if by else f" to {nb.display(to)}" if to else ""
        lines.append(f"   No recommendations{whose}.")
    if entry.experts:
        lines.append(f"Who knows about {entry.label}:")
        lines.extend(_expert_line(nb, e) for e in entry.experts)
    return "\n".join(lines)


def _quote(text: str) -> str:
    return text if all(c.isalnum() or c in "-_" for c in text) else f'"{text}"'


def _party_lines(nb: Notebook, rank: int, party: Party) -> list[str]:
    count = party.recommenders
    name = f"{party.name} ({party.slug})" if party.slug else party.name
    tag = "" if party.kind != "text" else " [no file yet]"
    head = f"{rank:>2}. {style(name, bold=True)}{tag} — {count} recommender{'s' * (count != 1)}"
    lines = [head + (" [private]" if party.private else "")]
    details = _details_line(party_details(nb, party))
    if details:
        lines.append(f"    {details}")
    lines.extend(f"    {_recommendation_line(nb, r)}" for r in party.recommendations)
    return lines


def _details_line(details: dict[str, Any]) -> str:
    bits: list[str] = []
    role, org = details.get("role"), details.get("org")
    if role and org:
        bits.append(f"{role}, {org['name']}")
    elif role:
        bits.append(role)
    elif org:
        bits.append(org["name"])
    for key in ("what", "website"):
        if details.get(key):
            bits.append(details[key])
    bits.extend(details.get("email", []))
    bits.extend(details.get("phone", []))
    return " · ".join(bits)


def _recommendation_line(nb: Notebook, rec: Recommendation) -> str:
    who = nb.display(rec.by) if rec.by else "(unknown)"
    if rec.introduction:
        text = f"introduction by {who} to {nb.display(rec.to)}, {rec.date.isoformat()}"
    else:
        text = f"by {who}, {rec.date.isoformat()}"
    if rec.note:
        text += f': "{rec.note}"'
    text += f" ({rec.source})"
    return text + (" [private]" if rec.private else "")


def _expert_line(nb: Notebook, expert: Expert) -> str:
    p = expert.person
    bits = [f"   {p.name} ({p.slug})"]
    role = p.role if not p.org else f"{p.role}, {nb.display(p.org)}" if p.role else nb.display(p.org)
    if role:
        bits.append(f" — {role}")
    bits.append(f" (knows: {', '.join(expert.matched)})")
    if expert.private:
        bits.append(" [private]")
    return "".join(bits)


def fmt_date(day: dt.date | None) -> str:
    return day.isoformat() if day else "-"


def render_note_text(nb: Notebook, note: Note) -> str:
    """A readable, normalized view of one note."""
    data = note_to_json(nb, note)
    lines = [f"{data['kind']} {note.slug}  ({note.path}){'  [private]' if data['private'] else ''}"]
    for key, value in data.items():
        if key in ("kind", "slug", "path", "private", "body") or value in (None, [], ""):
            continue
        if isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"  {key}:")
            for item in value:
                lines.append("    - " + ", ".join(f"{k}: {_flat(v)}" for k, v in item.items() if v not in (None, [])))
        else:
            lines.append(f"  {key}: {_flat(value)}")
    if note.body.strip():
        lines.append("")
        lines.append(note.body.rstrip())
    return "\n".join(lines)


def _flat(value: Any) -> str:
    if isinstance(value, dict):
        if set(value) == {"slug", "name"}:
            return f"{value['name']} ({value['slug']})"
        return ", ".join(f"{k}={_flat(v)}" for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return ", ".join(_flat(v) for v in value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def render_threads(nb: Notebook, found: list[Thread], today: dt.date, only: str | None = None) -> str:
    """The threads as text: a header, two lines a thread, a count by state."""
    if not found:
        return "No threads" + (f" in state {only}." if only else " yet: start one with `convo new`.")
    lines = [style(f"Threads as of {today.isoformat()}", bold=True), ""]
    lines += thread_lines(nb, found, today)
    counts = {s: sum(1 for t in found if t.state == s) for s in (MINE, THEIRS, SETTLED)}
    yours = sum(1 for t in found if t.state == MINE and nb.is_reader(t.turn))
    parts = [f"{n} {STATE_LABELS[s]}" + (f" ({yours} yours)" if s == MINE and yours else "")
             for s, n in counts.items() if n]
    lines += ["", f"{plural(len(found), 'thread')}: " + ", ".join(parts)]
    return "\n".join(lines)


def render_watch_report(nb: Notebook, items: list[DueItem], today: dt.date, within: int, owner: str | None) -> str:
    """What ``convo watch`` prints after each change: every diagnostic, the error count, the agenda."""
    problems = [d.format() for d in nb.diagnostics]
    count = [f"{plural(len(nb.errors), 'error')} in the notebook", ""] if nb.errors else []
    return "\n".join([*problems, *count, render_due(nb, items, today, within, False, owner)])


def render_validate_summary(notes: int, problems: list[Diagnostic]) -> str:
    """``N notes checked: E errors, W warnings``, coloured by the worst."""
    errors = sum(1 for d in problems if d.severity == "error")
    warnings = len(problems) - errors
    summary = f"{plural(notes, 'note')} checked: {plural(errors, 'error')}, {plural(warnings, 'warning')}"
    return style(summary, fg="red" if errors else ("yellow" if warnings else "green"))


def render_build_summary(report: BuildReport, today: str, shown_dir: str) -> list[str]:
    """What ``convo site build`` says it did: pages by kind, and how many notes it left out."""
    lines = [f"Built the site in {shown_dir} as of {today}: {report.pages} pages "
             f"({report.people} people, {report.orgs} orgs, {report.conversations} conversations"
             + (f", {report.attachments} attachments" if report.attachments else "") + ")."]
    marked = report.private - report.doubtful
    if marked:
        lines.append(f"Left out {plural(marked, 'private note')}.")
    if report.doubtful:
        lines.append(f"Left out {plural(report.doubtful, 'note')} whose privacy value is doubtful (empty, not "
                     "`true` or `false`, or a misspelt `private`; run `convo validate` for details).")
    if report.unreadable:
        lines.append(f"Left out {plural(report.unreadable, 'note')} that could not be read "
                     "(run `convo validate` for details).")
    if report.incremental:
        lines.append(f"Updated the previous build: rendered {plural(report.rendered, 'page')} again "
                     "(`--full` renders every page).")
    return lines


def render_no_topic(wanted: str, suggestions: list[str]) -> str:
    """The one line for a topic nobody was recommended for, with the closest topics."""
    hint = f"; did you mean {_or(suggestions)}?" if suggestions else ""
    return f"no recommendations or expertise for {wanted!r}{hint}"


def render_import_actions(actions: list[Any], dry_run: bool) -> str:
    """What ``convo import vcard`` did (or would do): one line a card, then the counts."""
    lines = []
    for action in actions:
        detail = f"{action.name}: " if action.name else ""
        detail += "; ".join(action.changes) if action.changes and action.verb != "unchanged" else ""
        lines.append(f"{action.verb:<9} {action.path}" + (f"  ({detail.rstrip(': ')})" if detail else ""))
    counts = {verb: sum(1 for a in actions if a.verb == verb) for verb in ("create", "update", "unchanged", "skip")}
    summary = (f"{counts['create']} created, {counts['update']} updated, {counts['unchanged']} unchanged, "
               f"{counts['skip']} skipped")
    lines.append(summary + (" (dry run: nothing written)" if dry_run else ""))
    return "\n".join(lines)


def render_init(result: Any) -> str:
    """What ``convo init`` did: the files written and kept, git's state, what to run next."""
    head = f"New notebook in {result.root} (me: {result.me})" if result.me else f"Notebook in {result.root}"
    lines = [style(head, bold=True)]
    lines += [f"  created {rel}" for rel in result.written]
    lines += [f"  kept    {rel} (already there)" for rel in result.kept]
    if result.committed:
        lines.append("git: repository initialized, first commit made")
    elif result.git_init:
        lines.append(f"git: repository initialized; {result.git_message}")
    else:
        lines.append(f"git: {result.git_message}")
    lines.append(f"Next: cd {result.root} && convo validate && convo due && convo site build")
    return "\n".join(lines)


def render_search(hits: list[Any], total: int, query: str) -> str:
    """Search results, best first: PATH:LINE, kind, title and date, then the excerpt with matches bold."""
    from ..search import HIT_END, HIT_START

    if not hits:
        return f"No notes match {query!r}."
    paint = painter()
    lines: list[str] = []
    for hit in hits:
        when_ = f"  {hit.date}" if hit.date else ""
        private = paint(" [private]", fg="magenta") if hit.private else ""
        lines.append(paint(f"{hit.path}:{hit.line}", dim=True) + f"  {hit.kind}  "
                     + paint(hit.title, bold=True) + when_ + private)
        if hit.excerpt:
            excerpt = " ".join(hit.excerpt.split())
            bold_on, bold_off = ("\x1b[1m", "\x1b[22m") if paint is not plain else ("[", "]")
            lines.append("    " + excerpt.replace(HIT_START, bold_on).replace(HIT_END, bold_off))
    shown = len(hits)
    more = f" (showing {shown}; --all for every one)" if shown < total else ""
    lines += ["", f"{plural(total, 'note')} matched{more}"]
    return "\n".join(lines)


def render_contacts(nb: Notebook, rows: list[Any], today: dt.date, kind: str) -> str:
    """The contact list: one line a person or org, with what stands open between us."""
    from ..model import Person

    if not rows:
        return f"No {kind} match."
    paint = painter()
    lines = []
    width = min(max(len(r.note.name) for r in rows), 32)
    for r in rows:
        note = r.note
        last = f"last {r.last.date.isoformat()} ({ago(r.last.date, today)})" if r.last else "never contacted"
        bits = [last]
        if r.next_contact is not None:
            late = when(r.next_contact, today)
            text = f"keep in touch {r.next_contact.isoformat()} ({late})"
            bits.append(paint(text, fg="red") if late.endswith("late") else text)
        if r.they_owe or r.we_owe:
            bits.append(f"open: they owe {r.they_owe}, we owe {r.we_owe}")
        if r.our_turn:
            bits.append(paint(f"our move in {plural(r.our_turn, 'thread')}", bold=True))
        if r.their_turn:
            bits.append(f"their move in {plural(r.their_turn, 'thread')}")
        where = ""
        if isinstance(note, Person) and (note.role or note.org):
            where = ", ".join(x for x in (note.role, nb.display(note.org) if note.org else None) if x)
        name = note.name if len(note.name) <= width else note.name[: width - 1] + "…"
        private = paint(" [private]", fg="magenta") if nb.is_private(note) else ""
        lines.append(f"{name:<{width}}  {paint(note.slug, dim=True)}{private}" + (f"  {where}" if where else ""))
        lines.append(f"{'':<{width}}  " + " · ".join(bits))
    lines += ["", plural(len(rows), "person" if kind == "people" else "org").replace("persons", "people")]
    return "\n".join(lines)


def render_rewrite_summary(plan: Any, dry_run: bool) -> str:
    """What ``convo rename``/``merge`` did (or would do): the rename, and how many references in how many files."""
    verb = "would rewrite" if dry_run else "rewrote"
    return f"{plan.summary}: {verb} {plural(plan.references, 'reference')} in {plural(plan.files(), 'file')}"


def render_capture_report(report: Any) -> str:
    """What ``convo import mail|chat|ics`` did (or would do): notes written, people, who is unknown."""
    would = "would be " if report.dry_run else ""
    lines: list[str] = []
    created = [o for o in report.outcomes if o.verb == "create"]
    appended = [o for o in report.outcomes if o.verb == "append"]
    if report.dry_run:
        lines += [f"create   {o.path}  ({plural(o.messages, 'message')})" for o in created]
        lines += [f"append   {o.path}  ({plural(o.messages, 'message')})" for o in appended]
    for person in report.people:
        lines.append(f"{'would create' if report.dry_run else 'created'} person {person.path}  ({person.name}"
                     + (f", {person.org}" if person.org else "") + ")")
    for o in report.outcomes:
        if o.verb == "edited":
            lines.append(f"left alone {o.path}: {o.reason}; new messages go to a new note")
    skipped = [o for o in report.outcomes if o.verb == "skip"]
    for o in skipped:
        if o.reason != "no known person took part":
            lines.append(f"not written {o.path}: {o.reason}")
    unit = getattr(report, "unit", "message")
    lines.append(f"read {plural(report.read, unit)}: {report.imported()} {would}imported in "
                 f"{plural(len(created), 'new note')} and {len(appended)} appended to, "
                 f"{report.already} already imported, {plural(report.duplicates, 'duplicate')} skipped"
                 + (f", {plural(report.threads, 'thread')}" if report.threads else ""))
    no_people = [o for o in skipped if o.reason == "no known person took part"]
    waiting = getattr(report, "waiting", 0)
    if no_people or waiting:
        where = f" in {plural(len(no_people), 'note')}" if no_people else ""
        lines.append(f"not imported: {plural(sum(o.messages for o in no_people) + waiting, unit)}{where} "
                     "with no known person (add their addresses to people notes, or use --create-people)")
    if report.unknown and not report.people:
        lines.append(f"unknown correspondents ({len(report.unknown)}; --create-people creates them):")
        ranked = sorted(report.unknown.items(), key=lambda kv: (-kv[1], kv[0]))
        lines += [f"  {who}  ({plural(n, unit)})" for who, n in ranked[:20]]
        if len(ranked) > 20:
            lines.append(f"  ... and {len(ranked) - 20} more (--json lists them all)")
    if report.attachments:
        lines.append(f"copied {plural(len(report.attachments), 'attachment')}")
    if report.dry_run:
        lines.append("dry run: nothing written")
    return "\n".join(lines)


def render_prep(nb: Notebook, meetings: list[Any], today: dt.date, days: int) -> str:
    """``convo prep``: each coming event, then the brief of each external attendee."""
    if not meetings:
        span = "today" if days == 0 else "today or tomorrow" if days == 1 else f"today or the next {days} days"
        return f"No events with external attendees {span}."
    out: list[str] = []
    for meeting in meetings:
        head = f"{meeting.start:%Y-%m-%d %H:%M}  {meeting.title}"
        out.append(style(head, bold=True) + (f"  ({meeting.url})" if meeting.url else ""))
        for who, _slug, brief in meeting.attendees:
            if brief is None:
                out.append(f"  {who}: no notes about them yet (convo new --with ... after the call)")
                continue
            out.append("")
            out.append(render_brief(nb, brief, today))
        out.append("")
    return "\n".join(out).rstrip()
