"""The language server's notebook reports, note by note, exactly what `convo validate` reports.

The server checks a note against its neighbourhood (see `convo_notes.lsp.live`), never
the whole notebook on a keystroke; these tests hold it to the whole-notebook answer,
on every note, before and after buffers change.
"""

from __future__ import annotations

import datetime as dt

from convo_notes.loader import load_notebook
from convo_notes.lsp.live import LiveNotebook

TODAY = dt.date(2026, 3, 10)
FILES = {
    "notes/people/sam.md": "---\nname: Sam\n---\n",
    "notes/people/ana.md": "---\nname: Ana\norg: acme\n---\n[[nobody]] and [[a]]\n",
    "notes/people/bo.md": "---\nname: Bo\norg: acmee\n---\n",
    "notes/orgs/acme.md": "---\nname: Acme\n---\n",
    "notes/conversations/a.md": "---\ndate: 2026-03-01\nwith: [ana, bob]\ncommitments:\n"
                                "  - {id: x, what: One, owner: anna}\n  - {id: y, what: Two}\n---\n",
    "notes/conversations/b.md": "---\ndate: 2026-03-02\nwith: ana\ncloses: [x, z]\n"
                                "commitments:\n  - {id: x, what: Again}\n---\nSee [[a]].\n",
    "notes/conversations/2026/a.md": "---\ndate: 2026-03-03\nwith: bo\nthread: t\nrecorded_by: sam\n"
                                     "referrals:\n  - {recommends: ana, for: help, by: bo, to: sammy}\n---\n",
    "notes/conversations/c.md": "---\nwith: ana\ncloses: y\n---\n",
    "notes/conversations/d.md": "---\ndate: 2026-02-01\nwith: [\"[[ana]]\", \"[[bo|Bo]]\"]\n"
                                "next: {turn: ana}\n---\n",
}


def same_as_validate(live, root, context=""):
    """Every note's diagnostics from the live notebook equal `validate`'s (one load of the saved files)."""
    found = load_notebook(root, use_cache=False).diagnostics
    for rel in live.files:
        assert live.diagnostics(rel) == [d for d in found if d.path == rel], (context, rel)
    return found


def test_every_note_gets_what_validate_reports(make_notebook):
    root = make_notebook(FILES, me="sam")
    live = LiveNotebook(root, lambda: TODAY)
    codes = {d.code for d in same_as_validate(live, root)}
    assert {"unknown-person", "unknown-org", "duplicate-id", "duplicate-slug", "unknown-id", "broken-link",
            "missing-field"} <= codes


def test_buffers_substituted_match_the_saved_notebook(make_notebook):
    root = make_notebook(FILES, me="sam")
    live = LiveNotebook(root, lambda: TODAY)
    edits = {
        "notes/conversations/b.md": "---\ndate: 2026-03-02\nwith: ana\ncloses: [y]\n---\n",
        "notes/conversations/a.md": "---\ndate: 2026-03-05\nwith: [ana, bo]\ncommitments:\n"
                                    "  - {id: z, what: One}\n---\n",
        "notes/people/bob.md": "---\nname: Bob\n---\n",
        "notes/conversations/c.md": "---\ndate: [broken\n---\n",
    }
    for rel, text in edits.items():
        live.set_buffer(rel, text)
        (root / rel).write_text(text)
        same_as_validate(live, root, rel)
    (root / "notes/people/bo.md").unlink()  # changed outside the editor
    live.mark_changed("notes/people/bo.md")
    same_as_validate(live, root)
    assert "notes/people/bo.md" not in live.files


BROKEN = [
    "",
    "---",
    "---\n",
    "---\nwith: [ana\n",
    "---\nwith: [\"[[ana\", {]\ncommitments:\n  - what: [x\n    to: \n  -\n---\n[[ana\n[[]] [[|x]] [[#]]\n",
    "---\ndate: 2026-03-01\nwith: ana\ncommitments: {id: x}\nnext: [turn]\ncloses: [[x]]\nreferrals: 7\n---\n",
    "---\ndate: 2026-03-01\nwith: ana\ncommitments:\n  - what: Send\n    to: ana\n---\n\ufeff[[ana]] \U0001f600 [[bo]]",
    "\ufeff---\r\nwith: ana\r\ncommitments:\r\n  - {what: A, to: \"[[ana\"}\r\n---\r\n",
    "---\n: :\n- - -\n  ? x\n!!python/object:os.system x\n---\n",
]


def test_every_feature_answers_on_broken_buffers_at_every_position(make_notebook):
    from lsprotocol import types as lsp

    from convo_notes.lsp import features

    root = make_notebook(FILES, me="sam")
    live = LiveNotebook(root, lambda: TODAY)
    rel = "notes/conversations/a.md"
    for text in BROKEN:
        live.set_buffer(rel, text)
        features.diagnostics(live, rel, text)
        lines = text.split("\n")
        for line in range(len(lines) + 1):
            for char in range(len(lines[line]) + 2 if line < len(lines) else 1):
                features.completion(live, rel, text, line, char)
                features.hover(live, rel, text, line, char)
                features.definition(live, rel, text, line, char)
                features.references(live, rel, text, line, char)
                features.prepare_rename(live, rel, text, line, char)
                where = lsp.Range(start=lsp.Position(line=line, character=char),
                                  end=lsp.Position(line=line, character=char))
                features.code_actions(live, rel, text, where, [])
        found = features.diagnostics(live, rel, text)
        features.code_actions(live, rel, text, lsp.Range(start=lsp.Position(line=0, character=0),
                                                         end=lsp.Position(line=0, character=0)), found)
