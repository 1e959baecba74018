"""`convo rename` and `convo merge`: every reference rewritten, no other byte changed, all files or none.

The expected files are written out in full: a rename must produce exactly them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from convo_notes import rewrite
from convo_notes.errors import EditRefused
from convo_notes.loader import load_notebook

PEOPLE = {
    "notes/people/sam.md": "---\nname: Sam\n---\n",
    "notes/people/dana.md": "---\nname: Dana Reyes\norg: harbor\nemail: dana@h.example\naliases: [D.]\n---\n"
                            "Owns the renewal.\n",
    "notes/people/pat.md": "---\nname: Pat Lee\n---\n",
    "notes/people/dreyes.md": "---\nname: D Reyes\nemail: [dr@h.example, dana@h.example]\nphone: '555'\n---\n"
                              "Met at the fair.\n",
    "notes/orgs/harbor.md": "---\nname: Harbor\n---\n",
}
CALL = (
    "---\n"
    "date: 2026-03-01  # dana called\n"
    "with: [dana, \"[[pat|Pat]]\"]\n"
    "thread: renewal\n"
    "commitments:\n"
    "  - id: send-deck\n"
    "    what: 'Send dana the deck'\n"
    "    to: dana\n"
    "  - {owner: \"[[dana]]\", what: Reply, to: me}\n"
    "next:\n"
    "  turn: dana\n"
    "  by: 2026-03-09\n"
    "---\n"
    "Talked with [[dana]] and [[dana|Dana R]] about [[dana-plan]].\n"
    "See [her note](../../people/dana.md#notes) and [x](dana.md).\n"
)
FOLLOW = "---\r\ndate: 2026-03-05\r\nwith: '[[dana]]'\r\nthread: renewal\r\ncloses: [send-deck]\r\n---\r\nDone.\r\n"


@pytest.fixture
def nb(make_notebook):
    files = dict(PEOPLE)
    files["notes/conversations/2026/2026-03-01-call.md"] = CALL
    files["notes/conversations/2026/2026-03-05-follow.md"] = FOLLOW.encode()
    files["notes/conversations/2026/2026-03-06-other.md"] = \
        "---\ndate: 2026-03-06\nwith: pat\n---\nNo dana here? [[pat]]\n"
    root = make_notebook(files, me="sam")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_rename_person_rewrites_every_reference_and_nothing_else(nb, cli):
    before = snapshot(nb)
    result = cli("-C", str(nb), "rename", "person", "dana", "dana-reyes")
    assert (result.code, result.err) == (0, "")
    assert result.out == "renamed person `dana` to `dana-reyes`: rewrote 8 references in 3 files\n"
    after = snapshot(nb)
    assert "notes/people/dana.md" not in after
    assert after["notes/people/dana-reyes.md"] == before["notes/people/dana.md"]
    assert after["notes/conversations/2026/2026-03-01-call.md"].decode() == (
        "---\n"
        "date: 2026-03-01  # dana called\n"
        "with: [dana-reyes, \"[[pat|Pat]]\"]\n"
        "thread: renewal\n"
        "commitments:\n"
        "  - id: send-deck\n"
        "    what: 'Send dana the deck'\n"
        "    to: dana-reyes\n"
        "  - {owner: \"[[dana-reyes]]\", what: Reply, to: me}\n"
        "next:\n"
        "  turn: dana-reyes\n"
        "  by: 2026-03-09\n"
        "---\n"
        "Talked with [[dana-reyes]] and [[dana-reyes|Dana R]] about [[dana-plan]].\n"
        "See [her note](../../people/dana-reyes.md#notes) and [x](dana.md).\n"
    )
    follow = after["notes/conversations/2026/2026-03-05-follow.md"]
    assert follow == FOLLOW.replace("[[dana]]", "[[dana-reyes]]").encode()
    unchanged = {k for k in before if k in after and before[k] == after[k]}
    assert unchanged == set(before) - {"notes/people/dana.md", "notes/conversations/2026/2026-03-01-call.md",
                                       "notes/conversations/2026/2026-03-05-follow.md"}
    assert load_notebook(nb).errors == [e for e in load_notebook(nb).errors if e.code == "broken-link"]


def test_rename_dry_run_shows_a_diff_and_writes_nothing(nb, cli):
    before = snapshot(nb)
    result = cli("-C", str(nb), "rename", "person", "Dana Reyes", "dana-reyes", "--dry-run")
    assert result.code == 0
    assert snapshot(nb) == before
    assert "-with: [dana, \"[[pat|Pat]]\"]\n+with: [dana-reyes, \"[[pat|Pat]]\"]\n" in result.out
    assert "rename from notes/people/dana.md\nrename to notes/people/dana-reyes.md\n" in result.out
    assert result.err == ("renamed person `dana` to `dana-reyes`: would rewrite 8 references in 3 files "
                          "(dry run: nothing written)\n")


def test_rename_thread_and_commitment_id(nb, cli):
    assert cli("-C", str(nb), "rename", "thread", "renewal", "harbor-renewal").code == 0
    assert cli("-C", str(nb), "rename", "id", "send-deck", "deck").code == 0
    text = (nb / "notes/conversations/2026/2026-03-05-follow.md").read_bytes()
    assert text == FOLLOW.replace("renewal", "harbor-renewal").replace("send-deck", "deck").encode()
    call = (nb / "notes/conversations/2026/2026-03-01-call.md").read_text()
    assert call == CALL.replace("thread: renewal", "thread: harbor-renewal").replace("id: send-deck", "id: deck")


def test_rename_refusals(nb, cli):
    assert cli("-C", str(nb), "rename", "person", "nobody-here", "x").code == 2
    taken = cli("-C", str(nb), "rename", "person", "dana", "pat")
    assert taken.code == 2 and "already taken" in taken.err
    assert cli("-C", str(nb), "rename", "person", "dana", "Not A Slug").code == 2


def test_merge_folds_a_duplicate_into_another(nb, cli):
    result = cli("-C", str(nb), "merge", "person", "dana", "dreyes")
    assert result.code == 0, result.err
    assert result.out == "merged person `dana` into `dreyes`: rewrote 8 references in 4 files\n"
    assert result.err == ("convo: notes/people/dana.md had notes in its body; they are not copied "
                          "(--append-body keeps them); the old note is in git's history\n")
    assert not (nb / "notes/people/dana.md").exists()
    assert (nb / "notes/people/dreyes.md").read_text() == (
        "---\nname: D Reyes\nemail: [dr@h.example, dana@h.example]\nphone: '555'\n"
        "aliases: [Dana Reyes, D.]\n---\nMet at the fair.\n"
    )
    call = (nb / "notes/conversations/2026/2026-03-01-call.md").read_text()
    assert "with: [dreyes, \"[[pat|Pat]]\"]" in call and "[[dreyes|Dana R]]" in call
    assert "dana" not in load_notebook(nb).people


def test_a_failure_midway_leaves_the_notebook_as_before(nb, monkeypatch):
    before = snapshot(nb)
    plan = rewrite.plan_rename(load_notebook(nb), "person", "dana", "dana-reyes")
    real = os.replace
    calls = []

    def failing(src, dst):  # the disk fails on the third rename (a fault injected where none can be made)
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(rewrite.os, "replace", failing)
    with pytest.raises(OSError):
        rewrite.apply(nb, plan)
    monkeypatch.setattr(rewrite.os, "replace", real)
    assert snapshot(nb) == before
    assert not list(nb.rglob(".*.tmp"))


def test_a_journal_left_by_a_crash_is_rolled_back(nb, cli):
    before = snapshot(nb)
    plan = rewrite.plan_rename(load_notebook(nb), "person", "dana", "dana-reyes")
    rewrite._write_journal(nb, plan)  # the process died after the journal and one rename
    first = plan.changes[0]
    assert first.after is not None
    (nb / first.path).write_bytes(first.after)
    result = cli("-C", str(nb), "rename", "thread", "renewal", "renewal-2026", "--dry-run")
    assert result.code == 0
    assert rewrite.recover(nb) == [c.path for c in plan.changes]
    assert snapshot(nb) == before


def test_a_file_changed_meanwhile_is_refused(nb):
    plan = rewrite.plan_rename(load_notebook(nb), "person", "dana", "dana-reyes")
    target = nb / "notes/conversations/2026/2026-03-01-call.md"
    target.write_text(CALL + "more\n")
    before = snapshot(nb)
    with pytest.raises(EditRefused):
        rewrite.apply(nb, plan)
    assert snapshot(nb) == before


def test_a_file_saved_while_the_renames_run_is_kept_and_ours_are_undone(nb, monkeypatch):
    """An editor saving one of the files after it was staged but before its rename: that save is
    kept, the files already renamed are put back, and nothing else is left behind."""
    plan = rewrite.plan_rename(load_notebook(nb), "person", "dana", "dana-reyes")
    assert len(plan.changes) >= 3
    before = snapshot(nb)
    victim = nb / plan.changes[1].path
    saved = victim.read_bytes() + b"\nsaved by the editor\n"
    real = rewrite._fsync_dir

    def save_after_first_rename(path):
        real(path)
        if victim.read_bytes() != saved and (nb / plan.changes[0].path).read_bytes() == plan.changes[0].after:
            victim.write_bytes(saved)

    monkeypatch.setattr(rewrite, "_fsync_dir", save_after_first_rename)
    with pytest.raises(EditRefused, match="changed on disk while the rewrite was written"):
        rewrite.apply(nb, plan)
    after = snapshot(nb)
    assert after.pop(plan.changes[1].path) == saved
    expected = dict(before)
    expected.pop(plan.changes[1].path)
    assert after == expected
    assert not list(nb.rglob(".*.tmp")) and not (nb / rewrite.JOURNAL).exists()


def test_obsidian_links_validate_like_plain_slugs(make_notebook, cli):
    plain = make_notebook({
        **PEOPLE, "notes/conversations/c.md": "---\ndate: 2026-03-01\nwith: [dana, pat]\norg: harbor\n---\n",
    })
    linked = make_notebook({
        **PEOPLE, "notes/conversations/c.md":
            "---\ndate: 2026-03-01\nwith: [\"[[dana]]\", \"[[pat|Pat Lee]]\"]\norg: '[[harbor]]'\n---\n",
    }, root=plain.parent / "linked")
    a, b = load_notebook(plain), load_notebook(linked)
    assert a.errors == b.errors == []
    assert a.conversations[0].with_ == b.conversations[0].with_ == ("dana", "pat")
    assert a.conversations[0].org == b.conversations[0].org == "harbor"
    assert cli("-C", str(plain), "brief", "dana", "--today", "2026-03-10").out == \
        cli("-C", str(linked), "brief", "dana", "--today", "2026-03-10").out


def test_merge_into_block_lists_and_keeping_the_body(make_notebook, cli):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/a.md": "---\nname: Al\nphone: ['1', '2']\nemail: al@x.example\n---\nLikes tea.\n",
        "notes/people/b.md": "---\r\nname: Bea\r\naliases:\r\n  - B\r\nphone:\r\n- '2'\r\n---\r\nBody.\r\n",
        "notes/conversations/c.md": "---\ndate: 2026-03-01\nwith: [a, b]\n---\n",
    })
    result = cli("-C", str(root), "merge", "person", "a", "b", "--append-body")
    assert (result.code, result.err) == (0, ""), result.err
    assert (root / "notes/people/b.md").read_bytes() == (
        b"---\r\nname: Bea\r\naliases:\r\n  - B\r\n  - Al\r\nphone:\r\n- '2'\r\n- \"1\"\r\nemail: [al@x.example]\r\n"
        b"---\r\nBody.\r\n\r\n<!-- merged from notes/people/a.md -->\r\nLikes tea.\r\n"
    )
    assert (root / "notes/conversations/c.md").read_text() == "---\ndate: 2026-03-01\nwith: [b, b]\n---\n"
    assert load_notebook(root).errors == []


def test_rename_org_in_people_conversations_referrals_and_links(make_notebook, cli):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/ana.md": "---\nname: Ana\norg: acme  # employer\n---\nWorks at [[acme|ACME]].\n",
        "notes/orgs/acme.md": "---\nname: Acme\n---\n",
        "notes/conversations/c.md": "---\ndate: 2026-03-01\nwith: ana\norg: \"[[acme]]\"\nreferrals:\n"
                                    "  - recommends: acme\n    for: [printing]\n---\nSee [Acme](../orgs/acme.md).\n",
    })
    result = cli("-C", str(root), "rename", "org", "Acme", "acme-print")
    assert (result.code, result.err) == (0, ""), result.err
    assert result.out == "renamed org `acme` to `acme-print`: rewrote 5 references in 3 files\n"
    assert (root / "notes/people/ana.md").read_text() == \
        "---\nname: Ana\norg: acme-print  # employer\n---\nWorks at [[acme-print|ACME]].\n"
    assert (root / "notes/conversations/c.md").read_text() == (
        "---\ndate: 2026-03-01\nwith: ana\norg: \"[[acme-print]]\"\nreferrals:\n"
        "  - recommends: acme-print\n    for: [printing]\n---\nSee [Acme](../orgs/acme-print.md).\n")
    assert (root / "notes/orgs/acme-print.md").read_text() == "---\nname: Acme\n---\n"
    assert load_notebook(root).diagnostics == []


def test_a_private_duplicate_is_not_merged_into_a_public_note(make_notebook, cli):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/dana.md": "---\nname: Dana Reyes\n---\n",
        "notes/people/dana-old.md": "---\nname: Dana (personal)\nprivate: true\nemail: dana@home.example\n---\n",
    })
    before = (root / "notes/people/dana.md").read_bytes()
    result = cli("-C", str(root), "merge", "person", "dana-old", "dana")
    assert result.code == 1
    assert "`dana-old` is private and `dana` is not" in result.err
    assert (root / "notes/people/dana.md").read_bytes() == before
    assert (root / "notes/people/dana-old.md").exists()


def test_rename_rewrites_titled_links_and_reference_definitions(make_notebook, cli):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/dana.md": "---\nname: Dana\n---\n",
        "notes/c/a.md": ("---\ndate: 2026-03-01\nwith: dana\n---\n"
                         "See [u](../people/dana.md \"her page\") and [r] and [s].\n\n"
                         "[r]: ../people/dana.md\n[s]:\n  <../people/dana.md#notes> 'title'\n"
                         "Not a link: dana.md, ../people/danaX.md.\n"),
    })
    result = cli("-C", str(root), "rename", "person", "dana", "dana-reyes")
    assert result.code == 0, result.err
    assert (root / "notes/c/a.md").read_text(encoding="utf-8") == (
        "---\ndate: 2026-03-01\nwith: dana-reyes\n---\n"
        "See [u](../people/dana-reyes.md \"her page\") and [r] and [s].\n\n"
        "[r]: ../people/dana-reyes.md\n[s]:\n  <../people/dana-reyes.md#notes> 'title'\n"
        "Not a link: dana.md, ../people/danaX.md.\n")
