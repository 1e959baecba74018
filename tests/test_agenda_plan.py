"""`convo snooze`, `convo reschedule`, `convo reopen` and `convo done` on a recurring commitment:
each changes exactly the intended lines (bytes compared before and after), `--dry-run`
writes nothing and prints the diff, and a file changed underneath is refused."""

from __future__ import annotations

import json

import pytest

from convo_notes.edit import EditRefused, set_fields

TODAY = "2026-03-10"  # a Tuesday
PEOPLE = {
    "notes/people/sam.md": "---\nname: Sam Stone\n---\n",
    "notes/people/ana.md": "---\nname: Ana Lima\ntags: [clients]   # a client\ncadence: 2w\n---\nAna's note.\n",
}
NOTE = """\
---
date: 2026-03-01   # the call
with: ana
thread: deal
commitments:
  - id: deck
    what: 'Send the deck: v2'   # quoted
    to: ana
    due: "2026-03-06"
  - {what: Water the plants, id: plants, due: 2026-03-05, every: .+3d}
  - what: Weekly report
    id: weekly
    due: 2026-03-06
    every: 1w
  - what: Old promise
    id: old
    done: 2026-03-02
next:
  turn: me
  by: 2026-03-09
  about: Call Ana back
---
Body stays.
"""
PATH = "notes/c/a.md"


@pytest.fixture
def root(make_notebook):
    return make_notebook({**PEOPLE, PATH: NOTE})


def run(cli, root, *args: str):
    return cli("-C", str(root), "--today", TODAY, *args)


def read(root, rel: str = PATH) -> str:
    return (root / rel).read_bytes().decode("utf-8")


def test_snooze_a_commitment_adds_one_line(cli, root):
    result = run(cli, root, "snooze", "deck", "--until", "fri")
    assert result.code == 0, result.err
    assert result.out == f"{PATH}:10: snoozed until 2026-03-13: Send the deck: v2\n"
    assert read(root) == NOTE.replace('    due: "2026-03-06"\n', '    due: "2026-03-06"\n    snooze: 2026-03-13\n')


def test_snooze_again_replaces_only_the_date(cli, root):
    assert run(cli, root, "snooze", "deck", "--until", "2026-03-20").code == 0
    assert run(cli, root, "snooze", "deck", "--until", "+1w").code == 0
    assert read(root) == NOTE.replace('    due: "2026-03-06"\n', '    due: "2026-03-06"\n    snooze: 2026-03-17\n')


def test_snooze_a_flow_commitment_a_thread_and_a_person(cli, root):
    assert run(cli, root, "snooze", "plants", "--until", "tomorrow").code == 0
    assert run(cli, root, "snooze", "deal", "--until", "+3d").code == 0
    assert run(cli, root, "snooze", "person:ana", "--until", "2026-04-01").code == 0
    assert read(root) == NOTE.replace("every: .+3d}", "every: .+3d, snooze: 2026-03-11}").replace(
        "  about: Call Ana back\n", "  about: Call Ana back\n  snooze: 2026-03-13\n")
    assert read(root, "notes/people/ana.md") == \
        "---\nname: Ana Lima\ntags: [clients]   # a client\ncadence: 2w\nsnooze: 2026-04-01\n---\nAna's note.\n"


def test_a_thread_that_is_also_a_person_must_be_named_with_a_prefix(cli, make_notebook):
    root = make_notebook({**PEOPLE, PATH: NOTE.replace("thread: deal\n", "")})
    result = run(cli, root, "snooze", "ana", "--until", "fri")
    assert result.code == 2
    assert "`ana` is both a thread and a person: write `thread:ana`" in result.err
    assert run(cli, root, "snooze", "thread:ana", "--until", "fri").code == 0
    assert "  snooze: 2026-03-13\n" in read(root)


def test_reschedule_keeps_quotes_and_moves_next_by(cli, root):
    assert run(cli, root, "reschedule", "deck", "2026-03-31").code == 0
    assert run(cli, root, "reschedule", f"{PATH}:19", "mon").code == 0  # the `next` line, as `due` prints it
    assert read(root) == NOTE.replace('due: "2026-03-06"', 'due: "2026-03-31"').replace(
        "  by: 2026-03-09", "  by: 2026-03-16")


def test_reschedule_adds_a_missing_date(cli, make_notebook):
    root = make_notebook({**PEOPLE, PATH: NOTE.replace("  by: 2026-03-09\n", "")})
    assert run(cli, root, "reschedule", "deal", "+1m").code == 0
    assert read(root).endswith("  about: Call Ana back\n  by: 2026-04-10\n---\nBody stays.\n")


def test_reopen_removes_the_done_line_only(cli, root):
    result = run(cli, root, "reopen", "old")
    assert result.code == 0, result.err
    assert read(root) == NOTE.replace("    done: 2026-03-02\n", "")
    again = run(cli, root, "reopen", "old")
    assert again.code == 1 and "not done; nothing to reopen" in again.err


def test_reopen_a_closed_commitment_is_refused(cli, make_notebook):
    root = make_notebook({**PEOPLE, PATH: NOTE,
                          "notes/c/b.md": "---\ndate: 2026-03-04\nwith: ana\nthread: deal\ncloses: deck\n---\n"})
    result = run(cli, root, "reopen", "deck")
    assert result.code == 1
    assert "closed by notes/c/b.md (`closes: deck`)" in result.err


def test_done_on_a_recurring_commitment_moves_due_and_records_it(cli, root):
    result = run(cli, root, "done", "weekly")
    assert result.code == 0, result.err
    assert result.out == f"{PATH}:13: done 2026-03-10, next due 2026-03-13 (every 1w): Weekly report\n"
    assert run(cli, root, "done", "plants", "--date", "yesterday").code == 0
    assert read(root) == NOTE.replace(
        "    due: 2026-03-06\n    every: 1w\n", "    due: 2026-03-13\n    every: 1w\n    last_done: 2026-03-10\n"
    ).replace("due: 2026-03-05, every: .+3d}", "due: 2026-03-12, every: .+3d, last_done: 2026-03-09}")
    # strictly from the previous due date: done again the same day, it moves one more week
    assert run(cli, root, "done", "weekly").code == 0
    assert "    due: 2026-03-20\n    every: 1w\n    last_done: 2026-03-10\n" in read(root)


def test_the_agenda_shows_only_the_next_occurrence(cli, root):
    assert run(cli, root, "done", "weekly").code == 0
    items = json.loads(run(cli, root, "due", "--json", "--all").out)["items"]
    weekly = [i for i in items if i["id"] == "weekly"]
    assert [(i["date"], i["recurring"], i["last_done"]) for i in weekly] == [("2026-03-13", "1w", "2026-03-10")]


def test_dry_run_prints_the_diff_and_writes_nothing(cli, root):
    for args in (("snooze", "deck", "--until", "fri"), ("reschedule", "deck", "fri"), ("reopen", "old"),
                 ("done", "weekly"), ("done", "deck")):
        result = run(cli, root, *args, "--dry-run")
        assert result.code == 0, (args, result.err)
        assert result.out.startswith(f"--- a/{PATH}\n+++ b/{PATH}\n@@ "), args
        assert read(root) == NOTE
    diff = run(cli, root, "reopen", "old", "--dry-run").out
    assert "\n-    done: 2026-03-02\n" in diff
    assert [line for line in diff.splitlines() if line[:1] in "+-"] == [
        f"--- a/{PATH}", f"+++ b/{PATH}", "-    done: 2026-03-02"]


def test_crlf_bom_and_comments_survive(cli, make_notebook):
    raw = ("\ufeff" + NOTE.replace("\n", "\r\n")).encode("utf-8")
    root = make_notebook({**PEOPLE, PATH: raw})
    assert run(cli, root, "snooze", "deck", "--until", "fri").code == 0
    assert (root / PATH).read_bytes() == raw.replace(
        b'    due: "2026-03-06"\r\n', b'    due: "2026-03-06"\r\n    snooze: 2026-03-13\r\n')


def test_a_note_with_errors_or_unknown_items_is_refused(cli, make_notebook):
    broken = NOTE.replace("thread: deal\n", "thread: deal\nchannel: telepathy\n")
    root = make_notebook({**PEOPLE, PATH: broken})
    result = run(cli, root, "snooze", "deck", "--until", "fri")
    assert result.code == 1 and "has 1 error" in result.err
    assert read(root) == broken
    missing = run(cli, make_notebook({**PEOPLE, PATH: NOTE}, root=root.parent / "other"), "snooze", "nope",
                  "--until", "fri")
    assert missing.code == 2 and "`nope` is no commitment or thread or person" in missing.err


def test_set_fields_refuses_when_more_would_change():
    raw = b"---\ndate: 2026-03-01\nwith: ana\nnext: &n {turn: me}\nother: *n\n---\n"
    with pytest.raises(EditRefused):
        set_fields(raw, ("next",), {"snooze": "2026-03-13"})


def test_set_fields_removes_a_first_flow_field():
    raw = b"---\ndate: 2026-03-01\nwith: ana\nnext: {snooze: 2026-03-13, turn: me}\n---\n"
    assert set_fields(raw, ("next",), {"snooze": None}) == \
        b"---\ndate: 2026-03-01\nwith: ana\nnext: {turn: me}\n---\n"


def test_file_changed_underneath_is_refused(cli, root, monkeypatch):
    from convo_notes import edit

    real = edit.atomic_write

    def racing(path, data, expected=None, expected_stat=None, **kwargs):
        with open(path, "ab") as fh:  # someone saves the note between the read and the rename
            fh.write(b"More body.\n")
        return real(path, data, expected, expected_stat, **kwargs)

    monkeypatch.setattr(edit, "atomic_write", racing)
    result = run(cli, root, "snooze", "deck", "--until", "fri")
    assert result.code == 1
    assert "changed while convo was editing it; nothing was written" in result.err
    assert read(root) == NOTE + "More body.\n"


def test_a_keep_in_touch_source_names_the_person(cli, root):
    printed = json.loads(run(cli, root, "due", "--json", "--all").out)["items"]
    source = next(i["source"] for i in printed if i["kind"] == "keep-in-touch")
    assert source == "notes/people/ana.md:4"
    assert run(cli, root, "snooze", source, "--until", "2026-04-01").code == 0
    assert "\ncadence: 2w\nsnooze: 2026-04-01\n---\n" in read(root, "notes/people/ana.md")
    assert [i for i in json.loads(run(cli, root, "due", "--json").out)["items"] if i["kind"] == "keep-in-touch"] == []
    refused = run(cli, root, "reschedule", source, "fri")
    assert refused.code == 2 and "notes/people/ana.md is Ana Lima's note: give a commitment or a thread" in refused.err
