"""`convo site serve`'s quick refresh: a front-matter edit shows on its own page first, as a full build
shows it; the pages it reaches follow (``settle``); privacy and the leak gate are never weaker."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from convo_notes.loader import load_notebook
from convo_notes.site import gate
from convo_notes.site.public import public_view
from convo_notes.site.serve import LiveSite
from test_site_serve import NOTES, TODAY, assert_same_as_full_build, edit, fetch, make_live, page, serving, wait_for

CONV = "notes/2026/2026-03-05-follow-up.md"
CONV_PAGE = "conversations/2026-03-05-follow-up"


@pytest.fixture
def live(make_notebook, tmp_path):
    return make_live(make_notebook, tmp_path)


def full_build(live: LiveSite, where: Path) -> Path:
    """The site a fresh full build of the same notebook serves (its output folder)."""
    fresh = LiveSite(live.root, live.today, where / "out", where / "staging", None, lambda s: None)
    fresh.build()
    return fresh.out_dir


def served_files(folder: Path) -> dict[str, object]:
    """Every output file's bytes; the search index's entries in order of location (a page added while
    serving has its entries at the end of the index)."""
    files: dict[str, object] = {p.relative_to(folder).as_posix(): p.read_bytes()
                                for p in folder.rglob("*") if p.is_file()}
    index = json.loads(files.pop("search/search_index.json"))  # type: ignore[arg-type]
    files["search entries"] = sorted(index.pop("docs"), key=lambda e: json.dumps(e, sort_keys=True))
    files["search config"] = index
    return files


def test_a_title_edit_shows_its_page_first_then_every_page(live, tmp_path):
    edit(live.root / CONV, "thread: deal\n", "thread: deal\ntitle: Pricing talk WALRUS\n")
    assert live.refresh(quick=True) == (1, 0)
    assert live.path == "quick"
    assert live.pending == {CONV}
    # the edited page is byte for byte what a full build serves...
    expected = full_build(live, tmp_path / "a")
    assert (live.out_dir / CONV_PAGE / "index.html").read_bytes() == \
        (expected / CONV_PAGE / "index.html").read_bytes()
    assert "WALRUS" in page(live, CONV_PAGE)
    # ...and the pages it reaches (and the search index) still show the old title until settle() makes them
    assert "WALRUS" not in page(live, "threads/deal")
    assert "WALRUS" not in (live.out_dir / "search/search_index.json").read_text("utf-8")
    assert "WALRUS" in (expected / "threads/deal/index.html").read_text("utf-8")
    asked: list[bool] = []  # while settle() makes pages, requests are answered (the serving lock is free)
    changed, removed = live.settle(interrupted=lambda: asked.append(live.serving.locked()) or False)
    assert changed >= 1 and removed == 0
    assert asked and not any(asked)
    assert not live.serving.locked()
    assert live.pending is None and live.settle() is None
    assert "WALRUS" in page(live, "threads/deal")
    assert "WALRUS" in (live.out_dir / "search/search_index.json").read_text("utf-8")
    assert_same_as_full_build(live)
    assert served_files(live.out_dir) == served_files(expected)


def test_quick_edits_of_many_kinds_match_full_builds(live, tmp_path):
    """Tags, next move, commitments, dates, people who exist: each quick page equals a full build's,
    two quick edits in a row settle together, and after settle every served file equals a full build."""
    root = live.root
    steps = [
        (CONV, "thread: deal\n", "thread: deal\ntags: [pricing, fresh-tag]\n"),
        (CONV, "turn: them", "turn: me"),
        ("notes/2026/2026-03-01-kickoff.md", "due: 2026-03-04", "due: 2026-03-09"),
        ("notes/2026/2026-03-01-kickoff.md", "date: 2026-03-01", "date: 2026-03-02"),
        ("notes/2026/2026-03-06-bo.md", "with: bo\n", "with: [bo, ann]\n"),
    ]
    for n, (rel, old, new) in enumerate(steps):
        edit(root / rel, old, new)
        live.refresh(quick=True)
        assert live.path == "quick", rel
        slug_page = "conversations/" + Path(rel).stem
        expected = full_build(live, tmp_path / f"q{n}")
        assert (live.out_dir / slug_page / "index.html").read_bytes() == \
            (expected / slug_page / "index.html").read_bytes(), rel
        if n % 2 == 0:  # every other time, the next edit comes before the others were made
            live.settle()
            assert_same_as_full_build(live)
            assert served_files(live.out_dir) == served_files(expected)
    live.settle()
    assert served_files(live.out_dir) == served_files(full_build(live, tmp_path / "end"))


def test_what_may_change_privacy_never_takes_the_quick_way(live):
    root = live.root
    edit(root / CONV, "thread: deal\n", "thread: deal\ntitle: Walrus secret plans\n")
    live.refresh(quick=True)
    assert live.path == "quick"
    edit(root / CONV, "thread: deal\n", "thread: deal\nprivate: true\n")  # before settle() ran
    live.refresh(quick=True)
    assert live.path == "pages" and live.pending is None
    for path in live.out_dir.rglob("*"):
        if path.is_file():
            assert b"walrus" not in path.read_bytes().lower(), path
    assert not (live.out_dir / CONV_PAGE).exists()
    assert_same_as_full_build(live)
    # a person's file, a new conversation, a broken note: the usual way too
    edit(root / "notes/people/bo.md", "name: Bo Baker", "name: Bo Bakerson")
    live.refresh(quick=True)
    assert live.path == "pages"
    (root / "notes/2026/2026-03-09-new.md").write_text("---\ndate: 2026-03-09\nwith: bo\n---\n", "utf-8")
    live.refresh(quick=True)
    assert live.path == "pages"
    (root / "notes/2026/2026-03-09-new.md").write_text("---\ndate: 2026-03-09\nwith: [bo\n---\n", "utf-8")
    live.refresh(quick=True)
    assert live.path == "pages"
    assert_same_as_full_build(live)


def test_the_quick_page_is_gated(live):
    """Plant a leak in a quick refresh: a title edit whose body names a private person as text."""
    (live.root / "notes/people/quokka-secretperson.md").write_text(
        "---\nname: Quokka Secretperson\nprivate: true\n---\n", "utf-8")
    live.refresh(full=True)
    edit(live.root / CONV, "thread: deal\n", "thread: deal\ntitle: Retitled\n")
    edit(live.root / CONV, "Second body.", "Met Quokka Secretperson.")
    live.refresh(quick=True)
    assert live.path == "quick"
    assert not (live.out_dir / CONV_PAGE / "index.html").exists()
    errors = [line for line in live.said if "leak gate" in line]
    assert len(errors) == 1 and f"{CONV_PAGE}/index.html" in errors[0]
    assert not any("quokka" in line.casefold() for line in live.said)
    assert live.refused
    live.settle()  # after a refusal, settling is a full build (MkDocs holds the refused page's search entries)
    assert live.path == "full" and live.pending is None
    assert not (live.out_dir / CONV_PAGE / "index.html").exists()
    assert all("quokka" not in p.read_text("utf-8", "replace").casefold()
               for p in live.out_dir.rglob("*") if p.is_file() and p.suffix in (".html", ".json", ".xml"))


def test_new_tokens_scan_every_page(make_notebook, tmp_path):
    """Plant a leak the token index must catch: a private person's name is published on purpose by a
    public title (so it is no token) and also written in another public note's body. Retitling takes the
    name out of the public values: it becomes a token, the quick way is refused and the whole site is
    scanned, so the other note's page is no longer served."""
    notes = dict(NOTES)
    notes["notes/people/vm.md"] = "---\nname: Vesna Marlowe\nprivate: true\n---\n"
    notes["notes/2026/2026-03-07-about.md"] = "---\ndate: 2026-03-07\nwith: bo\ntitle: About Vesna Marlowe\n---\n"
    notes["notes/2026/2026-03-08-other.md"] = "---\ndate: 2026-03-08\nwith: ann\n---\nAsked Vesna Marlowe.\n"
    root = make_notebook(notes, me="me")
    said: list[str] = []
    live = LiveSite(root, TODAY, tmp_path / "out", tmp_path / "staging", None, said.append)
    live.build()
    other = live.out_dir / "conversations/2026-03-08-other/index.html"
    assert "Vesna Marlowe" in other.read_text("utf-8")
    edit(root / "notes/2026/2026-03-07-about.md", "title: About Vesna Marlowe", "title: Quarterly review")
    live.refresh(quick=True)
    assert live.path == "pages"
    assert not other.exists()
    assert any("leak gate" in line and "2026-03-08-other" in line for line in said)
    assert not any("vesna" in line.casefold() for line in said)


def test_the_token_index_equals_private_tokens_after_each_edit(tmp_path):
    from conftest import REPO

    root = tmp_path / "nb"
    subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), str(root), "--conversations", "60",
                    "--seed", "3"], check=True, capture_output=True)
    (root / "notes/people/vesna-marlowe.md").write_text("---\nname: Vesna Marlowe\nprivate: true\n---\n", "utf-8")
    nb = load_notebook(root, check=False)
    view = public_view(nb)
    index = gate.TokenIndex(nb, view, ["Site words"])
    assert index.tokens() == gate.private_tokens(nb, view, ["Site words"])
    assert "vesna marlowe" in index.tokens()
    rnd = random.Random(5)
    convs = sorted((root / "notes" / "conversations").rglob("*.md"))
    edits = [
        lambda t: re.sub(r"^title: .*$", "title: Vesna Marlowe and more", t, count=1, flags=re.M),  # names her
        lambda t: re.sub(r"^title: .*$", "title: Plain words", t, count=1, flags=re.M),
        lambda t: t.replace("---\n", "---\nprivate: true\n", 1),
        lambda t: t.replace("private: true\n", ""),
        lambda t: t.replace("---\n", "---\ntags: [marlowe]\n", 1),
        lambda t: "---\ndate: [broken\n---\n",
    ]
    seen = set()
    for step in range(24):
        target = rnd.choice(convs)
        target.write_text(edits[step % len(edits)](target.read_text("utf-8")), "utf-8")
        nb = load_notebook(root, check=False)
        view = public_view(nb, previous=view)
        index.update(nb, view)
        assert index.tokens() == gate.private_tokens(nb, view, ["Site words"]), step
        seen.add("vesna marlowe" in index.tokens())
    assert seen == {True, False}  # the name was published on purpose at some point, and not at others


def test_public_view_reuses_only_what_it_may(tmp_path, make_notebook):
    """A view made with an earlier one equals a view made afresh, also when the references change."""
    root = make_notebook(NOTES, me="me")
    nb = load_notebook(root, check=False)
    first = public_view(nb)
    again = public_view(nb, previous=first)
    assert again.nb.conversations == first.nb.conversations
    assert all(a is b for a, b in zip(again.nb.conversations, first.nb.conversations))
    edit(root / "notes/people/bo.md", "name: Bo Baker\n", "name: Bo Baker\nprivate: true\n")
    nb2 = load_notebook(root, check=False)
    nb2.conversations = [*nb.conversations]  # the very same conversation records, under new references
    nb2.settle()
    reused, fresh = public_view(nb2, previous=first), public_view(nb2)
    assert reused.nb.conversations == fresh.nb.conversations
    assert any(c.with_ != d.with_ for c, d in zip(reused.nb.conversations, first.nb.conversations))


def test_over_http_the_page_first_then_the_rest_and_privacy_after_a_quick_edit(make_notebook):
    root = make_notebook(NOTES, me="me")
    with serving(root) as (base, said):
        edit(root / CONV, "thread: deal\n", "thread: deal\ntitle: Narwhal pricing\n")
        wait_for(lambda: "Narwhal pricing" in fetch(base + CONV_PAGE + "/")[1], "the edit never showed", said)
        wait_for(lambda: "Narwhal pricing" in fetch(base + "threads/deal/")[1], "the thread page never followed",
                 said)
        wait_for(lambda: any(re.fullmatch(r"Updated \d+ more pages? in \d+\.\d s", line) for line in said),
                 "settle never said what it did", said)
        assert any(line.startswith("Updated 1 page in ") for line in said), said
        # Now a quick edit, then at once the same note made private in its front matter: once the page
        # is gone, nothing served shows its title.
        edit(root / CONV, "title: Narwhal pricing\n", "title: Narwhal secret\n")
        wait_for(lambda: "Narwhal secret" in fetch(base + CONV_PAGE + "/")[1], "the second edit never showed", said)
        edit(root / CONV, "thread: deal\n", "thread: deal\nprivate: true\n")
        wait_for(lambda: fetch(base + CONV_PAGE + "/")[0] == 404, "the page of the note made private is served",
                 said)
        for rel in ("", "threads/deal/", "people/ann/", "people/bo/", "search/search_index.json", "sitemap.xml"):
            _status, text = fetch(base + rel)
            assert "narwhal" not in text.casefold(), rel


def test_an_edit_during_settle_drops_its_work_and_the_next_refresh_makes_everything(live, tmp_path):
    edit(live.root / CONV, "thread: deal\n", "thread: deal\ntitle: First title\n")
    live.refresh(quick=True)
    staged = dict(live.pages)
    assert live.settle(interrupted=lambda: True) is None  # a save came: nothing written
    assert live.pending == {CONV} and live.pages == staged and not live.serving.locked()
    assert "First title" not in page(live, "threads/deal")
    edit(live.root / "notes/2026/2026-03-06-bo.md", "with: bo\n", "with: bo\ntags: [later]\n")
    live.refresh(quick=True)
    assert live.path == "quick" and live.pending == {CONV, "notes/2026/2026-03-06-bo.md"}
    live.settle()
    assert "First title" in page(live, "threads/deal")
    assert served_files(live.out_dir) == served_files(full_build(live, tmp_path / "full"))


def test_a_changed_large_page_is_scanned_where_it_changed():
    """Plant a leak in a large page that passed before: the parts the scan reads hold it, also when
    the change starts in the middle of the name, and when rows moved elsewhere in the page."""
    scanner = gate.Scanner({"quokka secretperson"})
    old = b"<p>filler words here</p>\n" * 40_000 + b"<p>Met Quokka Someoneelse.</p>" + b"<p>tail</p>\n" * 40_000
    assert not scanner.names_any(old)
    new = old.replace(b"Quokka Someoneelse", b"Quokka Secretperson")
    parts = gate.changed_parts(old, new)
    assert sum(map(len, parts)) < len(new) // 4
    assert any(map(scanner.names_any, parts))
    assert gate.changed_parts(old, old) == []
    assert any(map(scanner.names_any, gate.changed_parts(old, new.replace(b"Quokka", b"QUOKKA"))))
    rnd = random.Random(4)
    rows = [f"<tr><td>row {i} {rnd.random()}</td></tr>\n".encode() for i in range(60_000)]
    old = b"".join(rows)
    for _ in range(30):
        moved = list(rows)
        row = moved.pop(rnd.randrange(len(moved)))  # a row moves (a thread's urgency changed)...
        moved.insert(rnd.randrange(len(moved)), row)
        at = rnd.randrange(len(moved))  # ...and the leak lands anywhere, even across rows
        if at + 1 == len(moved):
            at -= 1
        moved[at] = b"<tr><td>Met Quokka\n  "
        moved[at + 1] = b"  Secretperson</td></tr>\n"
        new = b"".join(moved)
        assert scanner.names_any(new)
        parts = gate.changed_parts(old, new)
        assert any(map(scanner.names_any, parts)), at
        assert sum(map(len, parts)) < len(new) // 3  # the rows that stayed in place are not read again


def test_serve_gates_the_changes_of_a_page_it_kept(live, monkeypatch):
    """Every page kept after it passed (BIG_PAGE lowered): an update that writes a private name into
    one is refused all the same, and a clean page that changed stays kept with its new bytes."""
    import convo_notes.site.serve as serve

    monkeypatch.setattr(serve, "BIG_PAGE", 1)
    (live.root / "notes/people/quokka-secretperson.md").write_text(
        "---\nname: Quokka Secretperson\nprivate: true\n---\n", "utf-8")
    live.refresh(full=True)
    target = live.out_dir / CONV_PAGE / "index.html"
    assert target in live.passed
    edit(live.root / "notes/2026/2026-03-06-bo.md", "About [[ann]].", "About [[ann]], again.")
    live.refresh()
    bo = live.out_dir / "conversations/2026-03-06-bo/index.html"
    assert live.passed[bo] == bo.read_bytes() and b"again" in live.passed[bo]
    edit(live.root / CONV, "Second body.", "Met Quokka Secretperson.")
    live.refresh()
    assert live.path == "bodies"
    assert not target.exists() and target not in live.passed
    assert any("leak gate" in line and CONV_PAGE in line for line in live.said)
