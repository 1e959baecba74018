"""The agenda and threads snapshots patched after an edit (issue 19) give what a full load gives.

After every kind of edit of a conversation of the sample notebook (its body, its
``next``, its date, its people, its thread, its commitments, its privacy, its author,
a broken reference), one edit after another and several at once, the patched agenda's
entries, due items on several days and with several options, and errors equal a full
load's, and so does every patched thread (its JSON on several days) and the errors;
edits a patch cannot follow (a commitment id, ``closes``, a note that no longer reads,
a new or deleted note, a person, a personal overlay) fall back to a full load, and a
warm run afterwards uses the snapshot the patch wrote.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

from convo_notes.agenda import agenda_entries, find_due, threads
from convo_notes.cache import views
from convo_notes.loader import load_notebook
from convo_notes.referrals import directory, suggest_topics
from convo_notes.render.json import entry_to_json, thread_json
from test_cache_snapshot import _brief_outputs, backdate, settle, touch_old

DAYS = (dt.date(2026, 6, 1), dt.date(2026, 11, 22), dt.date(2027, 3, 1))
OPTIONS: list[dict[str, Any]] = [{}, {"include_all": True}, {"owner": "me"}, {"owner": "dana-reyes", "within": 30}]
Edit = Callable[[dict[str, Any]], None]


def _front(path: Path) -> tuple[dict[str, Any], str]:
    text = path.read_text(encoding="utf-8")
    _, head, body = text.split("---\n", 2)
    return yaml.safe_load(head), body


def rewrite(path: Path, edit: Edit) -> None:
    """Change a note's front matter as a person would, its body kept; dated back as an earlier save."""
    data, body = _front(path)
    edit(data)
    path.write_text("---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True) + "---\n" + body,
                    encoding="utf-8")
    touch_old(path, 120)


def body_line(data: dict[str, Any]) -> None:  # changes nothing the agenda reads: the key alone moves
    data["channel"] = "email" if data.get("channel") != "email" else "call"


def my_turn(data: dict[str, Any]) -> None:
    data["next"] = {"turn": "me", "by": dt.date(2026, 11, 30), "about": "Send the follow-up"}


def their_turn(data: dict[str, Any]) -> None:
    data["next"] = {"turn": "them", "by": dt.date(2026, 10, 1)}


def dateless_wait(data: dict[str, Any]) -> None:
    data["next"] = {"turn": "them"}


def settled(data: dict[str, Any]) -> None:
    data.pop("next", None)


def earlier(data: dict[str, Any]) -> None:  # no longer its thread's latest, nor anyone's last contact
    data["date"] = dt.date(2025, 1, 15)


def later(data: dict[str, Any]) -> None:
    data["date"] = dt.date(2026, 12, 1)


def other_people(data: dict[str, Any]) -> None:  # another thread, other keep-in-touch dates
    data["with"] = ["kim-nakamura", "oliver-grant"]
    data.pop("thread", None)


def own_thread(data: dict[str, Any]) -> None:
    data["thread"] = "a-thread-of-its-own"


def commitments(data: dict[str, Any]) -> None:
    data["commitments"] = [
        {"owner": "me", "what": "Write up the options", "due": dt.date(2026, 11, 25)},
        {"owner": "them", "to": "me", "what": "Send the numbers"},
    ]
    for c in data["commitments"]:
        if c["owner"] == "them":
            c["owner"] = (data["with"] if isinstance(data["with"], str) else data["with"][0])


def all_done(data: dict[str, Any]) -> None:
    for c in data.get("commitments") or []:
        c["done"] = dt.date(2026, 11, 2)


def private(data: dict[str, Any]) -> None:
    data["private"] = not data.get("private", False)


def other_author(data: dict[str, Any]) -> None:
    data["recorded_by"] = "dana-reyes" if data.get("recorded_by") != "dana-reyes" else "sam-okafor"


def unknown_person(data: dict[str, Any]) -> None:  # an error the checks across notes find
    people = data["with"] if isinstance(data["with"], list) else [data["with"]]
    data["with"] = [*people, "nobody-we-know"]


def recommends(data: dict[str, Any]) -> None:  # a referral made, or another one
    data["referrals"] = [{"recommends": "ken-ito", "for": ["plumbing", "Plumber"]},
                         {"recommends": "A Handyman Nobody Knows", "for": "repairs"}]


def no_referrals(data: dict[str, Any]) -> None:
    data.pop("referrals", None)


PATCHED: list[Edit] = [body_line, my_turn, their_turn, dateless_wait, settled, earlier, later, other_people,
                       own_thread, commitments, all_done, private, other_author, unknown_person, recommends,
                       no_referrals]


def conversations(root: Path) -> list[Path]:
    return sorted((root / "notes" / "conversations").rglob("*.md"))


def plain(root: Path) -> list[Path]:
    """Conversations without commitment ids or ``closes`` (a patch keeps those unchanged)."""
    out = []
    for path in conversations(root):
        data, _ = _front(path)
        if not data.get("closes") and not any("id" in c for c in data.get("commitments") or []):
            out.append(path)
    return out


def assert_same_as_full(root: Path, view: views.AgendaView) -> None:
    full = load_notebook(root)  # checked across notes, as the agenda's full load is
    assert sorted(view.entries, key=repr) == sorted(agenda_entries(full), key=repr)
    assert view.notebook.errors == full.errors
    if view.from_snapshot:  # a snapshot keeps the errors alone (warnings are validate's)
        assert view.notebook.diagnostics == full.errors
    assert view.notebook.people == full.people and view.notebook.files == full.files
    for today in DAYS:
        for options in OPTIONS:
            assert find_due(view.notebook, today, entries=view.entries, **options) == \
                find_due(full, today, **options), (today, options)


def assert_threads_as_full(root: Path, view: views.ThreadsView) -> None:
    full = load_notebook(root)
    for today in DAYS:
        expected = {t.key: thread_json(full, t, today) for t in threads(full)}
        assert {t.key: thread_json(view.notebook, t, today) for t in view.threads} == expected
    assert view.notebook.errors == full.errors
    if view.from_snapshot:
        assert view.notebook.diagnostics == full.errors


def assert_referrals_as_full(root: Path, view: views.ReferralsView) -> None:
    full = load_notebook(root)
    for topic in (None, "accounting", "plumbers", "repairs", "no such topic"):
        assert [entry_to_json(view.notebook, e) for e in directory(view.notebook, topic)] == \
            [entry_to_json(full, e) for e in directory(full, topic)], topic
    assert suggest_topics(view.notebook, "plumbng") == suggest_topics(full, "plumbng")
    assert view.notebook.errors == full.errors
    if view.from_snapshot:
        assert view.notebook.diagnostics == full.errors


# each patched view: how it is made, and how it is compared with a full load
VIEWS = {"agenda": (views.agenda_view, assert_same_as_full), "threads": (views.threads_view, assert_threads_as_full),
         "referrals": (views.referrals_view, assert_referrals_as_full)}


@pytest.fixture
def root(notebook: Path) -> Path:
    backdate(notebook)
    for make, _same in VIEWS.values():  # the snapshots
        make(notebook)
    views.brief_view(notebook, "dana-reyes")
    return notebook


@pytest.fixture(params=sorted(VIEWS))
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.parametrize("edit", PATCHED, ids=lambda e: e.__name__)
def test_each_kind_of_edit_is_patched_and_equals_a_full_load(root, edit, kind):
    make, same_as_full = VIEWS[kind]
    for path in plain(root)[::3]:  # a dozen conversations: first, latest and middle of threads
        rewrite(path, edit)
        view = make(root)
        assert view.patched, path
        same_as_full(root, view)


def test_edits_one_after_another_patch_the_patched_snapshot(root, kind):
    make, same_as_full = VIEWS[kind]
    paths = plain(root)
    for n, edit in enumerate(PATCHED * 2):
        rewrite(paths[(5 * n) % len(paths)], edit)
        settle()  # the patched snapshot is written: the next edit patches it
        view = make(root)
        assert view.patched, edit.__name__
        same_as_full(root, view)
        warm = make(root)
        assert (warm.from_snapshot, warm.patched) == (True, False)
        same_as_full(root, warm)


def thread_blobs(root: Path) -> list[int]:
    """Where the threads snapshot keeps its chunks of threads."""
    found = views.scan(root)
    target = views.snapshot_file(root, "threads")
    assert target is not None
    blobs = views._read(target, found.key(), lambda reader: reader.payload()["thread_blobs"])
    assert blobs is not None
    return list(blobs)


def test_threads_in_many_chunks_are_patched_chunk_by_chunk(root, monkeypatch):
    monkeypatch.setattr(views, "THREADS_CHUNK", 2)
    monkeypatch.setattr(views, "THREADS_SPARE", 1)
    views.snapshot_file(root, "threads").unlink()
    assert_threads_as_full(root, views.threads_view(root))  # made again, two threads a chunk
    every = len(views.threads_view(root).threads)
    assert len(thread_blobs(root)) == -(-every // 2) > 2
    paths = plain(root)
    counts = []
    for n, edit in enumerate(PATCHED * 2):
        rewrite(paths[(7 * n) % len(paths)], edit)
        settle()
        view = views.threads_view(root)
        assert view.patched, edit.__name__
        assert_threads_as_full(root, view)
        assert_threads_as_full(root, views.threads_view(root))  # the patched snapshot, read back
        counts.append(len(thread_blobs(root)))
        # a patch adds a chunk of the threads it remade, until the spare is used: then all are chunked again
        assert counts[-1] <= -(-len(view.threads) // 2) + 1
    assert len(set(counts)) > 1


def test_the_index_is_written_whole_again_after_many_patches(root, monkeypatch):
    monkeypatch.setattr(views, "REWRITE_INDEX", 2)
    paths = plain(root)
    for n in range(6):
        rewrite(paths[n], my_turn if n % 2 else their_turn)
        settle()
        view = views.agenda_view(root)
        assert view.patched
        assert_same_as_full(root, view)


def test_several_edits_at_once_are_one_patch(root, kind):
    make, same_as_full = VIEWS[kind]
    paths = plain(root)
    for path, edit in zip(paths[::2], PATCHED):
        rewrite(path, edit)
    view = make(root)
    assert view.patched
    same_as_full(root, view)


def _new_note(root: Path) -> None:
    path = root / "notes/conversations/2026/2026-11-20-new.md"
    path.write_text("---\ndate: 2026-11-20\nwith: ken-ito\nnext: {turn: me}\n---\n", encoding="utf-8")
    touch_old(path, 60)


def _person(root: Path) -> None:
    rewrite(root / "notes/people/dana-reyes.md", lambda d: d.update(cadence="2w"))


def _unreadable(root: Path) -> None:
    path = plain(root)[0]
    path.write_text(path.read_text(encoding="utf-8").replace("date:", "date: [", 1), encoding="utf-8")
    touch_old(path, 60)


def _new_id(root: Path) -> None:
    rewrite(plain(root)[1], lambda d: d.update(commitments=[{"owner": "me", "what": "x", "id": "fresh-id"}]))


def _closes(root: Path) -> None:
    rewrite(plain(root)[1], lambda d: d.update(closes=["no-such-id"]))


def _with_id(root: Path) -> None:  # a conversation whose commitments have ids: its shape is kept, so patched
    path = next(p for p in conversations(root) if "id:" in p.read_text(encoding="utf-8"))
    rewrite(path, my_turn)


def _too_many(root: Path) -> None:
    for path in conversations(root)[: views.PATCH_LIMIT + 1]:
        rewrite(path, body_line)


def _deleted(root: Path) -> None:
    plain(root)[2].unlink()


@pytest.mark.parametrize(("change", "patched"), [
    (_new_note, False), (_person, False), (_unreadable, False), (_new_id, False), (_closes, False),
    (_too_many, False), (_deleted, False), (_with_id, True),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_what_a_patch_cannot_follow_is_loaded_whole(root, change, patched, kind):
    make, same_as_full = VIEWS[kind]
    change(root)
    view = make(root)
    assert view.patched is patched
    same_as_full(root, view)


def test_a_personal_overlay_is_never_patched(root, tmp_path):
    overlay = tmp_path / "mine"
    (overlay / "notes" / "conversations").mkdir(parents=True)
    (overlay / "notes" / "conversations" / "2026-11-01-mine.md").write_text(
        "---\ndate: 2026-11-01\nwith: ken-ito\nnext: {turn: me}\n---\n", encoding="utf-8")
    config = tmp_path / "config.yml"
    config.write_text(f"overlay: {overlay}\n", encoding="utf-8")
    env = {**os.environ, "CONVO_CONFIG": str(config)}
    backdate(overlay)
    for make, _same in VIEWS.values():
        make(root, env=env, overlay=True)
    rewrite(plain(root)[0], my_turn)
    for make, _same in VIEWS.values():
        view = make(root, env=env, overlay=True)
        assert not view.patched
        assert not view.from_snapshot


def test_a_note_dated_past_2262_is_still_read_and_patched(root, kind):
    """A file time past what 64 bits of nanoseconds hold (a wrong clock, a copied archive)."""
    make, same_as_full = VIEWS[kind]
    far = plain(root)[4]
    os.utime(far, ns=(1 << 64, 1 << 64))  # the year 2554
    view = make(root)
    same_as_full(root, view)
    settle()
    rewrite(plain(root)[7], my_turn)
    view = make(root)
    assert view.patched
    same_as_full(root, view)


def test_conversations_holding_referrals_keep_the_notebook_s_order_when_patched(root):
    """The directory's first-seen spellings follow the notebook's order: a referral moved to
    another date, made, or taken away is patched into its place."""
    holding = [p for p in conversations(root) if "referrals:" in p.read_text(encoding="utf-8")]
    assert len(holding) >= 3
    for n, edit in enumerate([earlier, later, no_referrals, recommends, earlier, recommends]):
        rewrite(holding[n % len(holding)], edit)
        settle()
        view = views.referrals_view(root)
        assert view.patched, edit.__name__
        assert_referrals_as_full(root, view)


def assert_briefs_as_full(root: Path) -> None:
    """Every person's and org's brief, text and JSON, from the patched brief snapshot, as a full load's."""
    full = load_notebook(root)
    for slug in [*full.people, *full.orgs, "me"]:
        view = views.brief_view(root, slug)
        assert view.from_snapshot and view.patched, slug
        assert view.notebook.errors == full.errors
        for today in DAYS[1:]:
            assert _brief_outputs(view.notebook, slug, today) == _brief_outputs(full, slug, today), slug


@pytest.mark.parametrize("edit", PATCHED, ids=lambda e: e.__name__)
def test_briefs_after_each_kind_of_edit_equal_a_full_load_s(root, edit, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    for path in plain(root)[1::5]:
        rewrite(path, edit)
    assert_briefs_as_full(root)


def test_briefs_after_edits_one_after_another_and_a_move_between_threads(root, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    paths = plain(root)
    for n, edit in enumerate([other_people, own_thread, earlier, later, recommends, commitments, private]):
        rewrite(paths[(7 * n) % len(paths)], edit)
        settle()
        assert_briefs_as_full(root)
