"""A fuzzer for the patched snapshots (issue 19): random sequences of edits of the sample
notebook, each step compared with a full load.

Each example copies the sample notebook, makes the three snapshots, then runs a few steps. A
step edits one to three conversations (every kind of edit of ``test_cache_patch`` and more:
dates sharing a day, times, threads joined by name or by their ``with`` set, ``me`` in ``with``,
authors, turns of the team, snoozes, tags, orgs, titles and headings, wiki links, referrals
naming a person by name, recurring commitments, broken references), sometimes with an event a
patch cannot follow (a note undated or unreadable, a commitment id or ``closes``, a person
renamed, put on the team or given a cadence, a note added or deleted, a snapshot damaged or
truncated). Then the ``agenda``, ``threads`` and ``referrals`` views (patched, then read again
from what the patch wrote) are compared with a full load, and so is the text and JSON of
``due``, ``threads`` and ``referrals`` with the cache on and off; the CLI runs first or the
views do, so the CLI answers from a patch and from a patched snapshot alike. A step is either
settled (the snapshots are written) or racy (nothing written: the next step patches the older
snapshot with every edit since); for speed the racy window is set to nothing or to everything
rather than waited out. Where every edit since a snapshot was written is one a patch follows,
the first command must have patched.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import test_cache_patch as patch_tests
from conftest import REPO, run_cli
from convo_notes.agenda import agenda_entries, find_due, threads
from convo_notes.cache import records, views
from convo_notes.checks import unique_problems
from convo_notes.loader import is_unreadable, load_notebook, read_file
from convo_notes.model import Conversation, Notebook
from convo_notes.referrals import directory, suggest_topics
from convo_notes.render.json import entry_to_json, thread_json
from test_cache_snapshot import touch_old

DAYS = (dt.date(2026, 6, 1), dt.date(2026, 11, 22), dt.date(2027, 3, 1))
OPTIONS: list[dict[str, Any]] = [{}, {"include_all": True}, {"owner": "me"}, {"owner": "dana-reyes", "within": 30}]
TOPICS = (None, "accounting", "plumbers", "repairs", "drains", "gardening", "no such topic")
OFF = {"CONVO_CACHE_DIR": "off"}
COMMANDS = [("due",), ("due", "--all", "--json"), ("due", "--week"), ("threads",),
            ("threads", "--json", "--sort", "recent"), ("threads", "--state", "mine", "--json"), ("referrals",),
            ("referrals", "--json"), ("referrals", "plumbing"), ("referrals", "--by", "tomas-lindqvist", "--json")]
KINDS = ("agenda", "threads", "referrals")
Edit = Callable[[dict[str, Any], str], str]


# --- the edits: each changes a conversation's front matter (and maybe its body) -----------------

def _with(data: dict[str, Any]) -> list[str]:
    people = data.get("with") or []
    return [people] if isinstance(people, str) else list(people)


def _edit(name: str, change: Callable[[dict[str, Any]], Any]) -> Edit:
    def edit(data: dict[str, Any], body: str) -> str:
        change(data)
        return body

    edit.__name__ = name
    return edit


def _body(name: str, change: Callable[[str], str]) -> Edit:
    def edit(_data: dict[str, Any], body: str) -> str:
        return change(body)

    edit.__name__ = name
    return edit


def _referrals(data: dict[str, Any], *made: dict[str, Any]) -> None:
    several = len(_with(data)) > 1
    data["referrals"] = [{**r, "by": "me"} if several and "by" not in r and r.get("needs_by") is None else
                         {k: v for k, v in r.items() if k != "needs_by"} for r in made]


def _heading(data: dict[str, Any], body: str) -> str:
    data.pop("title", None)
    return "# A heading of its own\n\n" + body


EDITS: list[Edit] = [
    *(_edit(e.__name__, e) for e in patch_tests.PATCHED),
    _edit("same_day_as_others", lambda d: d.update(date=dt.date(2026, 10, 26))),  # ties broken by path
    _edit("a_time_that_day", lambda d: d.update(date=dt.datetime(2026, 10, 26, 9, 30))),
    _edit("last_second_of_a_day", lambda d: d.update(date=dt.datetime(2026, 11, 19, 23, 59, 59))),
    _edit("joins_an_explicit_thread", lambda d: d.update(thread="crumb-pilot")),
    _edit("joins_kims_thread_by_with", lambda d: (d.update({"with": ["kim-nakamura"]}), d.pop("thread", None))),
    _edit("thread_named_as_a_with_set", lambda d: d.update(thread="kim-nakamura")),
    _edit("no_thread", lambda d: d.pop("thread", None)),
    _edit("onto_a_crumb_pilot_day", lambda d: d.update(thread="crumb-pilot", date=dt.date(2026, 10, 14))),
    _edit("onto_a_harbor_renewal_day", lambda d: d.update(thread="harbor-renewal", date=dt.date(2026, 11, 13))),
    _edit("with_nobody", lambda d: (d.update({"with": []}), d.pop("thread", None))),
    _edit("with_one_twice", lambda d: d.update({"with": ["dana-reyes", "dana-reyes"]})),
    _edit("only_me", lambda d: (d.update({"with": ["me"]}), d.pop("thread", None))),
    _edit("private_not_a_boolean", lambda d: d.update(private="perhaps")),
    _edit("me_in_with", lambda d: d.update({"with": ["me", "dana-reyes"]})),
    _edit("no_author", lambda d: d.pop("recorded_by", None)),
    _edit("author_me", lambda d: d.update(recorded_by="me")),
    _edit("author_on_the_team", lambda d: d.update(recorded_by="priya-natarajan")),
    _edit("unknown_author", lambda d: d.update(recorded_by="nobody-we-know")),
    _edit("turn_of_the_team", lambda d: d.update(next={"turn": "tomas-lindqvist", "by": dt.date(2026, 11, 24)})),
    _edit("turn_of_someone", lambda d: d.update(next={"turn": (_with(d) or ["dana-reyes"])[0], "about": "Reply"})),
    _edit("turn_of_nobody_known", lambda d: d.update(next={"turn": "nobody-we-know", "by": dt.date(2026, 11, 1)})),
    _edit("snoozed_turn", lambda d: d.update(next={"turn": "me", "by": dt.date(2026, 11, 20),
                                                   "snooze": dt.date(2026, 12, 5)})),
    _edit("turn_by_no_date", lambda d: d.update(next={"turn": "me", "by": "next week"})),
    _edit("tags", lambda d: d.update(tags=["client", "urgent"])),
    _edit("org", lambda d: d.update(org="harbor-logistics")),
    _edit("unknown_org", lambda d: d.update(org="no-such-org")),
    _edit("title", lambda d: d.update(title="A retitled conversation")),
    _heading,
    _body("body_text", lambda b: b + "\nOne more line.\n"),
    _body("wiki_links", lambda b: b + "\nSee [[ken-ito]] and [[2026-10-26-blocked-drain-at-the-office]].\n"),
    _body("broken_link", lambda b: b + "\nSee [[no-such-page]].\n"),
    _edit("recommends_by_name", lambda d: _referrals(d, {"recommends": "Ken Ito", "for": ["plumbing", "drains"]},
                                                    {"recommends": "Crumb & Co", "for": "repairs"})),
    _edit("referral_to_someone", lambda d: _referrals(d, {"recommends": "dmitri-sokolov", "for": "drains",
                                                         "to": "dana-reyes", "note": "Ask for the camera"})),
    _edit("referral_by_nobody_known", lambda d: _referrals(d, {"recommends": "nadia-haddad", "for": "accounting",
                                                              "by": "ghost-person"})),
    _edit("referral_needing_by", lambda d: (d.update({"with": ["dana-reyes", "kim-nakamura"]}), d.pop("thread", None),
                                            _referrals(d, {"recommends": "Green Thumb Gardens", "for": "gardening",
                                                           "needs_by": True}))),
    _edit("recommends_me", lambda d: _referrals(d, {"recommends": "me", "for": ["Accounting", "strategy"]})),
    _edit("unknown_recommendation", lambda d: _referrals(d, {"recommends": "no-such-slug", "for": "repairs"})),
    _edit("recurring_commitment", lambda d: d.update(commitments=[
        {"what": "Weekly check-in", "owner": "me", "due": dt.date(2026, 11, 23), "every": "1w", "warn": "3d"}])),
    _edit("commitment_of_nobody_known", lambda d: d.update(commitments=[
        {"what": "Call back", "owner": "nobody-we-know", "to": "me", "due": dt.date(2026, 11, 10)}])),
    _edit("snoozed_commitment_owed_to_us", lambda d: d.update(commitments=[
        {"what": "Send the figures", "owner": (_with(d) or ["dana-reyes"])[0], "to": "me",
         "snooze": dt.date(2026, 11, 30)}])),
]


def _front(path: Path) -> tuple[dict[str, Any], str] | None:
    try:
        _, head, body = path.read_text(encoding="utf-8").split("---\n", 2)
        data = yaml.safe_load(head)
    except (ValueError, yaml.YAMLError):
        return None
    return (data, body) if isinstance(data, dict) else None


# Notes added to the sample: paths that do not sort as their dates (ties on a day broken by path
# against the order the index was made in), a duplicate id, a duplicate slug and a closer.
EXTRA = {
    "notes/conversations/0-harbor-late.md":  # the thread's latest, until moved onto its day before
        "date: 2026-11-15\nwith: [dana-reyes]\nthread: harbor-renewal\nrecorded_by: priya-natarajan\n"
        "next: {turn: them, by: 2026-11-30}\n",
    "notes/conversations/zz-crumb-early.md":
        "date: 2026-06-01\nwith: [marguerite-bell]\nthread: crumb-pilot\n"
        "commitments:\n  - {what: Send the menu, id: dup-id, due: 2026-11-25}\n",
    "notes/conversations/zz-crumb-late.md":
        "date: 2026-10-14\nwith: [marguerite-bell]\nthread: crumb-pilot\nnext: {turn: me}\n"
        "commitments:\n  - {what: The menu again, id: dup-id}\n",
    "notes/conversations/2025/2026-10-26-blocked-drain-at-the-office.md":
        "date: 2025-05-05\nwith: tomas-lindqvist\nreferrals:\n  - {recommends: Ken Ito, for: drains}\n",
    "notes/conversations/zz-plumbers.md":  # moved onto 2026-10-26: after the one there, by path
        "date: 2025-05-05\nwith: tomas-lindqvist\nreferrals:\n  - {recommends: dmitri-sokolov, for: Plumbers}\n",
    "notes/conversations/zz-closer.md": "date: 2026-11-20\nwith: [jonah-feld]\ncloses: [harbor-sla-pricing]\n",
}


def apply(path: Path, edit: Edit) -> None:
    """``edit`` of a note as a person would make it; a note that no longer parses is only saved again."""
    found = _front(path)
    if found is not None:
        data, body = found
        body = edit(data, body)
        path.write_text("---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True) + "---\n" + body,
                        encoding="utf-8")
    touch_old(path, 120)


def placed(root: Path, rel: str) -> Conversation | None:
    note, problems = read_file(root, rel)
    return note if isinstance(note, Conversation) and not is_unreadable(note, problems) else None


# --- the events a patch cannot follow (the full load takes over) ---------------------------------

def _conversations(root: Path) -> list[Path]:
    return sorted((root / "notes" / "conversations").rglob("*.md"))


def undated(root: Path, n: int) -> set[str]:
    apply(_conversations(root)[n % len(_conversations(root))], _edit("undated", lambda d: d.pop("date", None)))
    return set(KINDS)


def unreadable(root: Path, n: int) -> set[str]:
    path = _conversations(root)[n % len(_conversations(root))]
    path.write_text(path.read_text(encoding="utf-8").replace("\ndate:", "\ndate: [", 1), encoding="utf-8")
    touch_old(path, 60)
    return set(KINDS)


def new_id(root: Path, n: int) -> set[str]:  # the same id each time: duplicates across notes, too
    apply(_conversations(root)[n % len(_conversations(root))], _edit("new_id", lambda d: d.update(
        commitments=[{"what": "Fuzzed", "owner": "me", "id": "fuzz-id"}])))
    return set(KINDS)


def closes(root: Path, n: int) -> set[str]:
    apply(_conversations(root)[n % len(_conversations(root))], _edit("closes", lambda d: d.update(closes=["fuzz-id"])))
    return set(KINDS)


def _person(root: Path, slug: str, change: Callable[[dict[str, Any]], Any]) -> set[str]:
    apply(root / "notes" / "people" / f"{slug}.md", _edit("person", change))
    return set(KINDS)


def person_cadence(root: Path, _n: int) -> set[str]:
    return _person(root, "dana-reyes", lambda d: d.update(cadence="1w" if d.get("cadence") != "1w" else "2w"))


def person_renamed(root: Path, _n: int) -> set[str]:  # `recommends: Ken Ito` names them, or no one
    return _person(root, "ken-ito", lambda d: d.update(name="Kenji Ito" if d.get("name") == "Ken Ito" else "Ken Ito"))


def person_on_the_team(root: Path, _n: int) -> set[str]:  # whose turn is "ours" changes in her threads
    return _person(root, "kim-nakamura", lambda d: d.update(team=not d.get("team", False)))


def new_conversation(root: Path, n: int) -> set[str]:
    path = root / f"notes/conversations/2026/2026-11-21-fuzz-{n}.md"
    path.write_text("---\ndate: 2026-11-21\nwith: ken-ito\nnext: {turn: me}\n---\n", encoding="utf-8")
    touch_old(path, 60)
    return set(KINDS)


def deleted(root: Path, n: int) -> set[str]:
    _conversations(root)[n % len(_conversations(root))].unlink()
    return set(KINDS)


def far_future(root: Path, n: int) -> set[str]:
    """A note modified past 2262 (a wrong clock, a copied archive): too recent to trust from then on."""
    path = _conversations(root)[n % len(_conversations(root))]
    os.utime(path, ns=(1 << 64, 1 << 64))
    return set(KINDS)


def _damage(kind: str, truncate: bool) -> Callable[[Path, int], set[str]]:
    def damage(root: Path, n: int) -> set[str]:
        target = views.snapshot_file(root, kind)
        assert target is not None
        data = bytearray(target.read_bytes())
        at = n % len(data)
        if truncate:
            del data[at:]
        else:
            data[at] ^= 0x5A
        target.write_bytes(bytes(data))
        return {kind}

    damage.__name__ = f"{'truncated' if truncate else 'damaged'}_{kind}"
    return damage


EVENTS: list[Callable[[Path, int], set[str]]] = [
    undated, unreadable, new_id, closes, person_cadence, person_renamed, person_on_the_team, new_conversation,
    deleted, far_future, *(_damage(kind, truncate) for kind in KINDS for truncate in (False, True))]


# --- the comparisons with a full load --------------------------------------------------------

def same_agenda(view: views.AgendaView, full: Notebook) -> None:
    assert sorted(view.entries, key=repr) == sorted(agenda_entries(full), key=repr)
    for today in DAYS:
        for options in OPTIONS:
            assert find_due(view.notebook, today, entries=view.entries, **options) == \
                find_due(full, today, **options), (today, options)


def same_threads(view: views.ThreadsView, full: Notebook) -> None:
    every = threads(full)
    assert sorted(t.key for t in view.threads) == sorted(t.key for t in every)  # each once
    for today in DAYS:
        assert {t.key: thread_json(view.notebook, t, today) for t in view.threads} == \
            {t.key: thread_json(full, t, today) for t in every}


def same_referrals(view: views.ReferralsView, full: Notebook) -> None:
    if view.from_snapshot:  # in the notebook's order: the first spelling of a topic is its label
        assert [c.path for c in view.notebook.conversations] == [c.path for c in full.conversations if c.referrals]
    for topic in TOPICS:
        for by, to in ((None, None), ("tomas-lindqvist", None), (None, "me"), ("me", None)):
            assert [entry_to_json(view.notebook, e) for e in directory(view.notebook, topic, by=by, to=to)] == \
                [entry_to_json(full, e) for e in directory(full, topic, by=by, to=to)], (topic, by, to)
    assert suggest_topics(view.notebook, "plumbng") == suggest_topics(full, "plumbng")


SAME: dict[str, Callable[[Any, Notebook], None]] = {
    "agenda": same_agenda, "threads": same_threads, "referrals": same_referrals}
MAKE: dict[str, Callable[[Path], Any]] = {
    "agenda": views.agenda_view, "threads": views.threads_view, "referrals": views.referrals_view}


def view_as_full(kind: str, root: Path, full: Notebook) -> Any:
    view = MAKE[kind](root)
    SAME[kind](view, full)
    nb = view.notebook
    assert nb.errors == full.errors
    if view.from_snapshot:  # a snapshot keeps the errors alone
        assert nb.diagnostics == full.errors
    assert (nb.people, nb.orgs, nb.files, nb.unreadable) == (full.people, full.orgs, full.files, full.unreadable)
    return view


def answers(root: Path, env: dict[str, str], today: str) -> list[tuple[tuple[str, ...], int, str, str]]:
    out = []
    for args in COMMANDS:
        result = run_cli("-C", str(root), "--today", today, *args, env=env)
        assert "Traceback" not in result.err
        out.append((args, result.code, result.out, result.err))
    return out


@contextmanager
def racy_window(racy: bool, rewrite: int | None = None) -> Iterator[None]:
    """Every note too recent to trust (nothing written), or none (for speed: no waiting it out);
    ``rewrite``: the agenda's parts written whole again after that many notes patched."""
    was = records.RACY_CTIME_NS, views.REWRITE_INDEX
    records.RACY_CTIME_NS = 1 << 62 if racy else 0
    views.REWRITE_INDEX = views.REWRITE_INDEX if rewrite is None else rewrite
    try:
        yield
    finally:
        records.RACY_CTIME_NS, views.REWRITE_INDEX = was


SETTINGS = ("agenda: {follow_up: 3d, warn: 2d}\n"
            "keep_in_touch: {client: 2w, neighbour: 1m..2m, tradesperson: 6m}\n")
CONFIGS = {  # convo.yml as in the sample; naming nobody (the reader named by CONVO_ME); with more settings
    "sample": lambda text: text,
    "no-me": lambda text: text.replace("me: sam-okafor\n", ""),
    "settings": lambda text: text.replace("private_by_default: false", "private_by_default: true") + SETTINGS,
}


@contextmanager
def sample_notebook(config: str = "sample") -> Iterator[Path]:
    """The sample notebook in a fresh folder, its files an hour old, with a cache of its own."""
    where = Path(tempfile.mkdtemp(prefix="convo-fuzz-"))
    env_was = {name: os.environ.get(name) for name in ("CONVO_CACHE_DIR", "CONVO_ME")}
    try:
        root = where / "nb"
        shutil.copytree(REPO / "notes", root / "notes")
        (root / "convo.yml").write_text(CONFIGS[config]((REPO / "convo.yml").read_text(encoding="utf-8")),
                                        encoding="utf-8")
        if config == "no-me":
            os.environ["CONVO_ME"] = "sam-okafor"
        for rel, head in EXTRA.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(f"---\n{head}---\nBody.\n", encoding="utf-8")
        for path in root.rglob("*"):
            touch_old(path, 3600)
        os.environ["CONVO_CACHE_DIR"] = str(where / "cache")
        yield root
    finally:
        for name, value in env_was.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(where, ignore_errors=True)


# ties on a day against the order the index was made in: an added note moved onto the day of one
# of its thread, or of its people, or of its topic, whose path sorts after its own (or before)
EDIT = {e.__name__: e for e in EDITS}
TIES = [("nb/notes/conversations/0-harbor-late.md", EDIT["onto_a_harbor_renewal_day"]),
        ("nb/notes/conversations/zz-plumbers.md", EDIT["same_day_as_others"]),
        ("nb/notes/conversations/zz-crumb-early.md", EDIT["onto_a_crumb_pilot_day"]),
        ("nb/notes/conversations/zz-plumbers.md", EDIT["a_time_that_day"])]
EXTRA_PATHS = [f"nb/{rel}" for rel in EXTRA]


def _pick(kind: int, n: int, edit: Edit) -> tuple[int | str, Edit]:
    """Mostly any conversation with any edit; now and then an added note, or a tie."""
    if kind < 6:
        return n, edit
    if kind < 8:
        return EXTRA_PATHS[n % len(EXTRA_PATHS)], edit
    return TIES[n % len(TIES)]


# the edits that make an error (and, often chosen too, those that take it away again)
ERRORS = [e for e in EDITS if e.__name__ in (
    "unknown_person", "unknown_author", "turn_of_nobody_known", "turn_by_no_date", "unknown_org",
    "referral_by_nobody_known", "referral_needing_by", "unknown_recommendation", "commitment_of_nobody_known",
    "private_not_a_boolean", "settled", "no_referrals", "other_people", "body_line")]
PICK = st.builds(_pick, st.integers(0, 9), st.integers(0, 1000), st.sampled_from(EDITS + ERRORS * 3))
STEP = st.tuples(
    st.lists(PICK, min_size=1, max_size=3),
    st.sampled_from([None] * 12 + EVENTS),  # now and then an event a patch cannot follow
    st.integers(0, 1 << 20),  # where the event strikes
    st.booleans(),  # racy: nothing written this step
    st.booleans(),  # the CLI runs before the views
    st.sampled_from(("2026-06-01", "2026-11-22", "2027-03-01")),
)


@settings(max_examples=50, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(CONFIGS)), st.sampled_from((256, 8, 2)),
       st.lists(st.integers(0, 1000), min_size=2, max_size=8), st.lists(STEP, min_size=1, max_size=5))
def test_random_edits_patched_answer_as_a_full_load(config, rewrite, focus, steps):
    """(``focus``: the few conversations an example edits, so that a note is edited again, and
    the errors an edit made are those a later patch replaces.)"""
    with sample_notebook(config) as root, racy_window(False, rewrite):
        for kind in KINDS:
            assert not MAKE[kind](root).from_snapshot
        may_fall_back = dict.fromkeys(KINDS, False)  # since the snapshot was written: an edit a patch cannot follow
        edited: set[str] = set()  # the conversations edited since
        future = False  # a note dated past 2262: every step is racy from then on
        for picks, event, where, racy, cli_first, today in steps:
            paths = _conversations(root)
            for n, edit in picks:
                path = root.parent / n if isinstance(n, str) else paths[focus[n % len(focus)] % len(paths)]
                if not path.exists():  # deleted: nothing edited, and perhaps nothing to patch
                    may_fall_back.update(dict.fromkeys(KINDS, True))
                    continue
                rel = path.relative_to(root).as_posix()
                edited.add(rel)
                before = placed(root, rel)
                apply(path, edit)
                after = placed(root, rel)
                if before is None or after is None or views._shape(before) != views._shape(after):
                    may_fall_back.update(dict.fromkeys(KINDS, True))
            if event is not None:
                for kind in event(root, where):
                    may_fall_back[kind] = True
                future = future or event is far_future
            racy = racy or future
            full = load_notebook(root, use_cache=False)  # the answer, read without any cache
            if edited & {p for paths_of, _ in unique_problems(full) for p in paths_of}:
                may_fall_back.update(dict.fromkeys(KINDS, True))  # a note in a problem between notes
            with racy_window(racy):
                if cli_first:
                    assert answers(root, {}, today) == answers(root, OFF, today)
                for kind in KINDS:
                    view = view_as_full(kind, root, full)
                    if cli_first and not racy:  # the CLI patched and wrote it
                        assert (view.from_snapshot, view.patched) == (True, False), kind
                    elif not may_fall_back[kind]:
                        assert view.patched, (kind, [e.__name__ for _, e in picks])
                    again = view_as_full(kind, root, full)  # what the patch wrote, or patched again
                    if not racy:
                        assert (again.from_snapshot, again.patched) == (True, False), kind
                if not cli_first:
                    assert answers(root, {}, today) == answers(root, OFF, today)
            if not racy:
                may_fall_back, edited = dict.fromkeys(KINDS, False), set()
