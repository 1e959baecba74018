"""Items due the same day are listed in file order (line 9 before line 10, not as text)."""

import datetime as dt

from convo_notes.agenda import find_due
from convo_notes.loader import load_notebook


def test_same_day_items_in_file_order(make_notebook):
    commitments = "".join(f"  - what: Task {name}\n    due: 2026-11-25\n" for name in "ABCD")
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n",
                          "notes/people/kim.md": "---\nname: Kim\n---\n",
                          "notes/c.md": f"---\ndate: 2026-11-18\nwith: kim\ncommitments:\n{commitments}---\n"})
    items = find_due(load_notebook(root), dt.date(2026, 11, 22))
    assert [(i.what, i.source) for i in items] == [
        ("Task A", "notes/c.md:5"), ("Task B", "notes/c.md:7"), ("Task C", "notes/c.md:9"),
        ("Task D", "notes/c.md:11")]
