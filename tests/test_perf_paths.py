"""The fast paths every warm command takes give exactly what the plain ways give.

(No timings here: speed is measured by ``bench/run.py``; these tests only pin
down that each shortcut answers the same as the long way round.)
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from convo_notes import agenda
from convo_notes.loader import load_notebook, scan_note_files
from convo_notes.model import body_of, source_of


def walk_notes(root: Path) -> dict[str, tuple[int, int, int, int]]:
    """The scan the long way: os.walk, hidden files and folders skipped, sorted."""
    found = {}
    for folder, dirs, files in os.walk(root / "notes", followlinks=True):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.endswith(".md") and not name.startswith("."):
                path = Path(folder) / name
                st = path.stat()
                rel = path.relative_to(root).as_posix()
                found[rel] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, os.lstat(path).st_ino)
    return dict(sorted(found.items()))


def test_scan_matches_a_plain_walk(make_notebook):
    root = make_notebook({
        "notes/people/a.md": "---\nname: A\n---\n",
        "notes/people/.hidden.md": "x",
        "notes/.trash/old.md": "x",
        "notes/conversations/2026/2026-01-02-x.md": "x" * 10,
        "notes/conversations/2026/2026-01-02-x-y.md": "y",  # sorts before the folder below
        "notes/conversations/2026/2026-01-02-x/deep.md": "z",
        "notes/conversations/2025/b.txt": "not a note",
        "notes/c.md": "",
    })
    scanned = scan_note_files(root)
    assert scanned == walk_notes(root)
    assert list(scanned) == sorted(scanned)
    assert "notes/people/.hidden.md" not in scanned and "notes/.trash/old.md" not in scanned
    assert "notes/conversations/2026/2026-01-02-x/deep.md" in scanned


def test_scan_of_a_notebook_without_notes_is_empty(tmp_path):
    assert scan_note_files(tmp_path) == {}


@pytest.mark.parametrize("raw", [
    b"", b"---", b"---\n", b"no front matter\n", b"---\na: 1\n", b"---\na: [\n---\nbody",
    b"\xff\xfe not utf-8", b"\xef\xbb\xbf---\r\na: 1\r\n---\r\nbody\r\nmore\r\n", b"---\n---",
    b"---\na: 1\n---   \nx", b"---\ntitle: T\n---\n# Heading\n\ntext\n",
])
def test_body_without_yaml_is_the_parsed_body(tmp_path, raw):
    path = tmp_path / "n.md"
    path.write_bytes(raw)
    assert body_of(str(path)) == source_of(str(path)).body


def test_body_of_a_missing_file_is_empty(tmp_path):
    assert body_of(str(tmp_path / "gone.md")) == source_of(str(tmp_path / "gone.md")).body == ""


def test_body_follows_the_file(tmp_path):
    path = tmp_path / "n.md"
    path.write_text("---\na: 1\n---\none\n")
    assert body_of(str(path)) == "one\n"
    path.write_text("---\na: 1\n---\ntwo, longer\n")
    assert body_of(str(path)) == "two, longer\n"


def test_threads_keep_first_seen_people_order(notebook):
    nb = load_notebook(notebook, check=False)
    for thread in agenda.threads(nb):
        expected: list[str] = []
        for conv in thread.conversations:
            for slug in conv.with_:
                slug = nb.canon(slug) or slug
                if slug not in expected:
                    expected.append(slug)
        assert list(thread.people) == expected
