"""`convo site serve`: page-level rebuilds that match a full build, last good pages, privacy while serving."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pytest

from convo_notes.site.build import generate
from convo_notes.site.public import public_view
from convo_notes.site.serve import LiveSite, serve_site

TODAY = dt.date(2026, 3, 10)

NOTES = {
    "notes/people/me.md": "---\nname: Morgan\n---\n",
    "notes/people/ann.md": "---\nname: Ann Archer\norg: acme\ncadence: 2w\n---\nAnn's profile.\n",
    "notes/people/bo.md": "---\nname: Bo Baker\n---\n",
    "notes/orgs/acme.md": "---\nname: Acme\n---\n",
    "notes/2026/2026-03-01-kickoff.md": "---\ndate: 2026-03-01\nwith: ann\nthread: deal\ntags: [sales]\n"
                                        "commitments:\n  - id: send-deck\n    what: Send the deck\n"
                                        "    to: ann\n    due: 2026-03-04\n---\nFirst body.\n",
    "notes/2026/2026-03-05-follow-up.md": "---\ndate: 2026-03-05\nwith: [ann, bo]\nthread: deal\n"
                                          "next:\n  turn: them\n  by: 2026-03-08\n---\nSecond body.\n",
    "notes/2026/2026-03-06-bo.md": "---\ndate: 2026-03-06\nwith: bo\n"
                                   "referrals:\n  - recommends: ann\n    for: sales\n---\nAbout [[ann]].\n",
}


def make_live(make_notebook: Callable[..., Path], tmp_path: Path) -> LiveSite:
    """A built :class:`LiveSite` of :data:`NOTES`, what it said kept in ``said``."""
    root = make_notebook(NOTES, me="me")
    said: list[str] = []
    site = LiveSite(root, TODAY, tmp_path / "out", tmp_path / "staging", None, said.append)
    site.build()
    site.said = said  # type: ignore[attr-defined]
    return site


@pytest.fixture
def live(make_notebook, tmp_path):
    return make_live(make_notebook, tmp_path)


def fetch(url: str) -> tuple[int, str]:
    """An HTTP GET: the status and the text (an error status with no text)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def wait_for(check: Callable[[], bool], what: str, said: list[str], seconds: float = 60) -> None:
    """Wait until ``check()`` holds (correctness, not speed: bench/ measures speed); else fail with ``what``."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():
            return
        time.sleep(0.05)
    pytest.fail(f"{what}: {said}")


@contextmanager
def serving(root: Path) -> Iterator[tuple[str, list[str]]]:
    """`convo site serve` of ``root`` with its watcher on a free port, in a thread: its address and
    what it said; stopped at the end (and then no longer running)."""
    said: list[str] = []
    urls: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(target=serve_site, args=(root, TODAY, "127.0.0.1", 0, None, said.append),
                              kwargs={"ready": urls.append, "stop": stop}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: bool(urls), "serve did not start", said, 30)
        yield urls[0], said
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def page(live: LiveSite, rel: str) -> str:
    return (live.out_dir / rel / "index.html").read_text("utf-8")


def assert_same_as_full_build(live: LiveSite) -> None:
    """What serve keeps in staging equals what a fresh `convo site build` would generate."""
    nb, kept = live._load()
    _files, pages, _ = generate(public_view(nb), live.today, live.root,
                               live._body_of(nb, kept), run=live.run)
    assert live.pages == {rel: text.encode("utf-8") for rel, text in pages.items()}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


def test_body_edit_rewrites_only_that_page(live):
    note = live.root / "notes/2026/2026-03-05-follow-up.md"
    before = {p: (live.out_dir / p).stat().st_mtime_ns for p in ("people/ann/index.html", "index.html")}
    edit(note, "Second body.", "Second body, edited: ZEBRA.")
    changed, removed = live.refresh()
    assert (changed, removed) == (1, 0)
    assert "ZEBRA" in page(live, "conversations/2026-03-05-follow-up")
    assert "ZEBRA" in (live.out_dir / "search" / "search_index.json").read_text("utf-8")
    assert before == {p: (live.out_dir / p).stat().st_mtime_ns for p in before}
    assert_same_as_full_build(live)


def test_field_edits_new_and_deleted_notes_match_a_full_build(live):
    root = live.root
    edit(root / "notes/2026/2026-03-01-kickoff.md", "date: 2026-03-01", "date: 2026-03-07")  # reorders the thread
    live.refresh()
    assert_same_as_full_build(live)
    thread = page(live, "threads/deal")
    assert thread.index("2026-03-05-follow-up") < thread.index("2026-03-01-kickoff")
    (root / "notes/2026/2026-03-08-new.md").write_text("---\ndate: 2026-03-08\nwith: bo\ntitle: Brand new\n"
                                                       "closes: [send-deck]\n---\n", "utf-8")
    live.refresh()
    assert_same_as_full_build(live)
    assert "Brand new" in page(live, "people/bo")
    assert "closed by" in page(live, "conversations/2026-03-01-kickoff")
    (root / "notes/2026/2026-03-06-bo.md").unlink()
    changed, removed = live.refresh()
    assert removed >= 1
    assert not (live.out_dir / "conversations" / "2026-03-06-bo").exists()
    assert_same_as_full_build(live)
    edit(root / "notes/people/ann.md", "name: Ann Archer", "name: Ann Avery")  # a rename reaches everywhere
    live.refresh()
    assert_same_as_full_build(live)
    assert "Ann Avery" in page(live, "conversations/2026-03-05-follow-up")


def test_a_note_broken_mid_edit_keeps_its_last_good_page(live):
    note = live.root / "notes/2026/2026-03-05-follow-up.md"
    good = page(live, "conversations/2026-03-05-follow-up")
    note.write_text("---\ndate: 2026-03-05\nwith: [ann, bo\n---\nHalf typed.\n", "utf-8")
    live.refresh()
    assert page(live, "conversations/2026-03-05-follow-up") == good
    assert "Half typed" not in page(live, "threads/deal")
    assert live.said[0].startswith("notes/2026/2026-03-05-follow-up.md:4:1: ")
    assert "error[yaml-syntax]" in live.said[0]
    assert live.said[-1] == "1 note cannot be read just now; the site keeps showing the last good version"


def test_a_note_made_private_while_serving_leaves_every_file(live):
    note = live.root / "notes/2026/2026-03-05-follow-up.md"
    edit(note, "Second body.", "Second body about QUOKKA.")
    live.refresh()
    assert "QUOKKA" in page(live, "conversations/2026-03-05-follow-up")
    edit(note, "thread: deal\n", "thread: deal\nprivate: true\n")
    live.refresh()
    for folder in (live.out_dir, live.staging_dir):
        for path in folder.rglob("*"):
            if path.is_file():
                assert b"QUOKKA" not in path.read_bytes(), path
                assert "follow-up" not in path.name
    assert not (live.out_dir / "conversations" / "2026-03-05-follow-up").exists()
    assert_same_as_full_build(live)
    # A broken *private* note is never brought back as a "last good" page.
    note.write_text("---\nprivate: true\nwith: [oops\n---\nQUOKKA again\n", "utf-8")
    live.refresh()
    assert not (live.out_dir / "conversations" / "2026-03-05-follow-up").exists()
    assert not any("follow-up" in line for line in live.said)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_end_to_end_with_the_watcher(make_notebook):
    root = make_notebook(NOTES, me="me")
    with serving(root) as (base, said):
        url = base + "conversations/2026-03-05-follow-up/"
        assert "Second body." in fetch(url)[1]
        edit(root / "notes/2026/2026-03-05-follow-up.md", "Second body.", "Seen live: WOMBAT.")
        wait_for(lambda: "WOMBAT" in fetch(url)[1], "the edit never showed", said)
        # The page is on disk (and served) before the watcher's refresh returns and says what it
        # did: on a loaded machine the line comes a moment after the page, so wait for it.
        wait_for(lambda: any(line.startswith("Updated 1 page in ") for line in said), "no `Updated` line", said, 30)


def test_serve_on_a_busy_port_fails_at_once(cli, make_notebook):
    root = make_notebook(NOTES, me="me")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("-C", str(root), "site", "serve", "-a", f"127.0.0.1:{port}")
    assert result.code == 1
    assert result.err.startswith(f"convo: cannot serve on 127.0.0.1:{port}: ")


def test_random_edits_on_a_generated_notebook_match_full_builds(tmp_path):
    """Page-level rebuilds equal a full build after each of many kinds of edit (bench/generate.py notebook)."""
    import random
    import re
    import subprocess
    import sys

    from conftest import REPO

    root = tmp_path / "nb"
    subprocess.run([sys.executable, str(REPO / "bench" / "generate.py"), str(root), "--conversations", "60",
                    "--seed", "7"], check=True, capture_output=True)
    (root / "mkdocs.yml").unlink()
    live = LiveSite(root, dt.date(2026, 11, 22), tmp_path / "out", tmp_path / "staging", None, lambda s: None)
    live.build()
    rnd = random.Random(11)
    convs = sorted((root / "notes" / "conversations").rglob("*.md"))
    people = sorted(p.stem for p in (root / "notes" / "people").glob("*.md"))
    edits = [
        lambda t: re.sub(r"^date: (\d{4})-(\d\d)", lambda m: f"date: {m[1]}-{'01' if m[2] != '01' else '02'}", t,
                         count=1, flags=re.M),
        lambda t: re.sub(r"^title: .*$", 'title: "Renamed here"', t, count=1, flags=re.M),
        lambda t: re.sub(r"^with: .*$", f"with: [{rnd.choice(people)}]", t, count=1, flags=re.M),
        lambda t: re.sub(r"^thread: .*\n", "", t, count=1, flags=re.M),
        lambda t: t.replace("---\n", "---\ntags: [fresh-tag]\n", 1),
        lambda t: t.replace("turn: me", "turn: them") if "turn: me" in t else t.replace("turn: them", "turn: me"),
        lambda t: t.replace("---\n", "---\nprivate: true\n", 1),
        lambda t: t + "\nA new line in the body.\n",
        lambda t: t.replace("---\n", "---\ncommitments:\n  - what: New promise\n    due: 2026-11-01\n", 1)
        if "commitments:" not in t else t,
    ]
    for step in range(14):
        target = rnd.choice(convs)
        if not target.exists():
            continue
        if step % 7 == 6:
            target.unlink()
        elif step % 5 == 4:
            (target.parent / f"2026-11-0{step % 9 + 1}-added-{step}.md").write_text(target.read_text("utf-8"), "utf-8")
        else:
            target.write_text(edits[step % len(edits)](target.read_text("utf-8")), "utf-8")
        live.refresh()
        assert_same_as_full_build(live)


def test_a_configuration_change_rebuilds_everything(live):
    assert 'data-md-color-primary="green"' not in page(live, "people/ann")
    (live.root / "mkdocs.yml").write_text("site_name: Renamed site\ntheme:\n  name: material\n  palette:\n"
                                          "    primary: green\n", "utf-8")
    live.refresh(full=True)
    assert 'data-md-color-primary="green"' in page(live, "people/ann")
    assert "<title>Ann Archer - Renamed site</title>" in page(live, "people/ann")
    assert_same_as_full_build(live)


def test_serve_answers_404_for_a_note_made_private_and_lists_no_folder(make_notebook):
    root = make_notebook(NOTES, me="me")
    with serving(root) as (base, said):
        page_url = base + "conversations/2026-03-06-bo/"
        assert fetch(page_url)[0] == 200
        assert fetch(base + "conversations/")[0] == 404  # a folder without index.html: never a listing
        edit(root / "notes/2026/2026-03-06-bo.md", "with: bo\n", "with: bo\nprivate: true\n")
        wait_for(lambda: fetch(page_url)[0] == 404, "the page of the note made private is still served", said)
        assert fetch(base + "conversations/2026-03-06-bo")[0] == 404  # no redirect to a listing either
        assert "2026-03-06-bo" not in fetch(base + "sitemap.xml")[1]


def test_serve_gates_each_update(live):
    """A body that writes a private note's name as text: the update's page is removed, named, not served."""
    (live.root / "notes/people/quokka-secretperson.md").write_text(
        "---\nname: Quokka Secretperson\nprivate: true\n---\n", "utf-8")
    live.refresh(full=True)
    assert (live.out_dir / "conversations/2026-03-05-follow-up/index.html").is_file()
    edit(live.root / "notes/2026/2026-03-05-follow-up.md", "Second body.", "Met Quokka Secretperson.")
    live.refresh()
    assert not (live.out_dir / "conversations/2026-03-05-follow-up/index.html").exists()
    assert not (live.out_dir / "search/search_index.json").exists()
    errors = [line for line in live.said if "leak gate" in line]
    assert len(errors) == 1 and "conversations/2026-03-05-follow-up/index.html" in errors[0]
    assert not any("quokka" in line.casefold() for line in live.said)
    # MkDocs still holds the refused page's search entries: an unrelated edit must not publish them again
    edit(live.root / "notes/2026/2026-03-06-bo.md", "About [[ann]].", "About [[ann]], again.")
    live.refresh()
    assert live.path == "full"
    assert all("quokka" not in p.read_text("utf-8", "replace").casefold()
               for p in live.out_dir.rglob("*") if p.is_file() and p.suffix in (".html", ".json", ".xml"))
    assert not (live.out_dir / "conversations/2026-03-05-follow-up/index.html").exists()
    # once the text is gone, the page is served again and the next edit takes the quick way
    edit(live.root / "notes/2026/2026-03-05-follow-up.md", "Met Quokka Secretperson.", "Second body.")
    live.refresh()
    assert (live.out_dir / "conversations/2026-03-05-follow-up/index.html").is_file()
    assert (live.out_dir / "search/search_index.json").is_file()
    edit(live.root / "notes/2026/2026-03-06-bo.md", "About [[ann]], again.", "About [[ann]], again and again.")
    live.refresh()
    assert live.path == "bodies"


def search_index(live: LiveSite) -> str:
    return (live.out_dir / "search" / "search_index.json").read_text("utf-8")


def test_a_body_edit_takes_the_quick_way_and_matches_a_full_build(live):
    note = live.root / "notes/2026/2026-03-06-bo.md"
    edit(note, "About [[ann]].", "Intro line.\n\nAbout [[ann]], now with KOALA.")  # the wiki link moves down
    assert live.refresh() == (1, 0)
    assert live.path == "bodies"
    assert "KOALA" in page(live, "conversations/2026-03-06-bo")
    assert "KOALA" in search_index(live)
    assert_same_as_full_build(live)
    # A body that now links to another note adds a backlink there: the usual way.
    def mentions_of_acme() -> list[str]:
        return [line for line in page(live, "orgs/acme").split("Mentioned in", 1)[1].splitlines()
                if "2026-03-06-bo" in line]

    assert mentions_of_acme() == []
    edit(note, "now with KOALA.", "now with KOALA and [Acme](../orgs/acme.md).")
    live.refresh()
    assert live.path == "pages"
    assert len(mentions_of_acme()) == 1 and "(link)" in mentions_of_acme()[0]
    assert_same_as_full_build(live)
    # A new link to an attachment in a body edit: the file is copied and served.
    (live.root / "notes/2026/files").mkdir()
    (live.root / "notes/2026/files/plan.pdf").write_bytes(b"%PDF-1.4 plan")
    edit(note, "now with KOALA", "now with the [plan](files/plan.pdf) and KOALA")
    live.refresh()
    assert live.path == "bodies"
    assert (live.out_dir / "attachments/2026/files/plan.pdf").read_bytes() == b"%PDF-1.4 plan"
    assert 'href="../../attachments/2026/files/plan.pdf"' in page(live, "conversations/2026-03-06-bo")
    assert_same_as_full_build(live)


def test_a_private_notes_body_edit_publishes_nothing(live):
    (live.root / "notes/2026/2026-03-07-secret.md").write_text(
        "---\ndate: 2026-03-07\nwith: ann\nprivate: true\n---\nHush.\n", "utf-8")
    live.refresh()
    before = {p: p.read_bytes() for p in live.out_dir.rglob("*") if p.is_file()}
    edit(live.root / "notes/2026/2026-03-07-secret.md", "Hush.", "Hush about PLATYPUS.")
    assert live.refresh() == (0, 0)
    assert live.path == "bodies"
    assert before == {p: p.read_bytes() for p in live.out_dir.rglob("*") if p.is_file()}
    assert_same_as_full_build(live)


def test_serve_shows_edits_renames_privacy_and_deletions_over_http(make_notebook):
    """Through the watcher and the HTTP server: a body edit, a renamed person, a note made private
    (gone from its page and the search index) and a deleted note (its page answers 404)."""
    root = make_notebook(NOTES, me="me")
    with serving(root) as (base, said):
        def get(rel: str) -> tuple[int, str]:
            return fetch(base + rel)

        edit(root / "notes/2026/2026-03-05-follow-up.md", "Second body.", "Second body, NUMBAT.")
        wait_for(lambda: "NUMBAT" in get("conversations/2026-03-05-follow-up/")[1], "the body edit never showed",
                 said)
        assert "NUMBAT" in get("search/search_index.json")[1]
        edit(root / "notes/people/ann.md", "name: Ann Archer", "name: Ann Avery")
        wait_for(lambda: "Ann Avery" in get("conversations/2026-03-06-bo/")[1], "the rename never showed", said)
        for rel in ("people/", "threads/deal/", "conversations/2026-03-01-kickoff/", "orgs/acme/", ""):
            status, text = get(rel)
            assert status == 200 and "Ann Avery" in text and "Ann Archer" not in text, rel
        assert "Ann Archer" not in get("search/search_index.json")[1]
        edit(root / "notes/2026/2026-03-05-follow-up.md", "thread: deal\n", "thread: deal\nprivate: true\n")
        wait_for(lambda: get("conversations/2026-03-05-follow-up/")[0] == 404, "the private note is still served",
                 said)
        assert "NUMBAT" not in get("search/search_index.json")[1]
        assert "NUMBAT" not in get("threads/deal/")[1]
        (root / "notes/2026/2026-03-06-bo.md").unlink()
        wait_for(lambda: get("conversations/2026-03-06-bo/")[0] == 404, "the deleted note is still served", said)
        assert "2026-03-06-bo" not in get("sitemap.xml")[1]
        assert "2026-03-06-bo" not in get("people/bo/")[1]


def test_a_body_edit_with_a_configuration_change_is_not_taken_the_quick_way(live):
    """`convo.yml` read again on each refresh: private by default hides every note without `private:`,
    even when the only note edited changed its body alone."""
    edit(live.root / "notes/2026/2026-03-06-bo.md", "About [[ann]].", "About [[ann]]: WALLABY.")
    (live.root / "convo.yml").write_text("me: me\nsite:\n  private_by_default: true\n", "utf-8")
    live.refresh()
    assert live.path == "pages"
    for folder in (live.out_dir, live.staging_dir):
        for path in folder.rglob("*"):
            if path.is_file():
                assert b"WALLABY" not in path.read_bytes(), path
    assert not (live.out_dir / "conversations/2026-03-06-bo").exists()
    assert_same_as_full_build(live)


def test_an_update_that_failed_is_made_again_at_the_next_refresh(live):
    """The notes read by a refresh that failed midway count as changed until a refresh goes through."""
    out = live.out_dir / "conversations/2026-03-05-follow-up/index.html"
    out.unlink()
    out.mkdir()  # the page cannot be written: MkDocs fails
    edit(live.root / "notes/2026/2026-03-05-follow-up.md", "Second body.", "Second body, ECHIDNA.")
    with pytest.raises(IsADirectoryError):
        live.refresh()
    out.rmdir()
    live.refresh()  # no file changed since: a full build makes the failed update again
    assert live.path == "full"
    assert "ECHIDNA" in page(live, "conversations/2026-03-05-follow-up")
    assert "ECHIDNA" in search_index(live)
    assert_same_as_full_build(live)


def test_a_page_linking_to_a_retitled_or_deleted_note_is_rendered_again(notebook, tmp_path):
    """A body's ``[[link]]`` shows the linked note's title in HTML its own Markdown does not hold (found by a
    privacy review: a title changed because it said too much stayed on the pages linking to it)."""
    helen = notebook / "notes/people/helen-park.md"
    helen.write_text(helen.read_text("utf-8") + "\nSee [[2026-06-09-harbor-renewal-kickoff]].\n", "utf-8")
    live = LiveSite(notebook, TODAY, tmp_path / "out", tmp_path / "staging", None, lambda s: None)
    live.build()
    assert "Harbor renewal kickoff" in page(live, "people/helen-park")
    kickoff = notebook / "notes/conversations/2026/2026-06-09-harbor-renewal-kickoff.md"
    edit(kickoff, "title: Harbor renewal kickoff", "title: Harbor renewal call")
    live.refresh()
    assert live.path == "pages"
    assert "Harbor renewal kickoff" not in page(live, "people/helen-park")
    assert "Harbor renewal call" in page(live, "people/helen-park")
    kickoff.unlink()
    live.refresh()
    assert "Harbor renewal call" not in page(live, "people/helen-park")
    assert_same_as_full_build(live)
