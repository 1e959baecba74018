"""`convo new` with the facts on the command line: no editor, a note that validates, the thread's state."""

from __future__ import annotations

import io

import pytest

TODAY = "2026-11-22"  # a Sunday
PEOPLE = {
    "notes/people/sam.md": "---\nname: Sam Stone\n---\n",
    "notes/people/dana-reyes.md": "---\nname: Dana Reyes\norg: harbor\n---\n",
    "notes/orgs/harbor.md": "---\nname: Harbor Logistics\nwhat: Ports\n---\n",
}
PATH = "notes/conversations/2026/2026-11-22-quick-sync.md"


def new(cli, root, *args, **kwargs):
    return cli("-C", str(root), "--today", TODAY, "new", "--with", "Dana", "--title", "Quick sync",
               "--no-continue", *args, **kwargs)


def test_every_fact_from_the_command_line(cli, make_notebook):
    root = make_notebook(PEOPLE)
    result = new(cli, root, "--channel", "call", "--org", "Harbor", "--tag", "pricing", "--interest",
                 "volume tiers", "--private", "--next", "them:+5d:Countersign", "--commit", "Send the SLA",
                 "--due", "fri", "--to", "dana-reyes", "--commit", "Book the visit", "-m", "Dana confirmed the pilot.",
                 env={"EDITOR": "false"})  # no editor is opened: a failing one would fail the command
    assert result.code == 0, result.err
    assert result.out == f"created {PATH}\ndana-reyes: waiting on Dana Reyes, by 2026-11-27: Countersign\n"
    assert (root / PATH).read_text(encoding="utf-8") == (
        "---\ntitle: Quick sync\ndate: 2026-11-22\nwith: [dana-reyes]\nchannel: call\norg: harbor\n"
        "tags: [pricing]\ninterests: [volume tiers]\nprivate: true\nnext:\n  turn: them\n  by: 2026-11-27\n"
        "  about: Countersign\ncommitments:\n  - what: Send the SLA\n    due: 2026-11-27\n    to: dana-reyes\n"
        "  - what: Book the visit\n---\n# Quick sync\n\nDana confirmed the pilot.\n")
    assert cli("-C", str(root), "validate").code == 0
    due = cli("-C", str(root), "--today", TODAY, "due", "--all").out
    assert "Send the SLA" in due and "Book the visit" in due


def test_turn_by_about_and_the_body_from_standard_input(cli, make_notebook, monkeypatch):
    root = make_notebook(PEOPLE)
    monkeypatch.setattr("sys.stdin", io.StringIO("From the pipe.\n"))
    result = new(cli, root, "--turn", "me", "--by", "2026-11-25", "--about", "Send pricing", "-m", "-")
    assert result.code == 0, result.err
    text = (root / PATH).read_text(encoding="utf-8")
    assert "next:\n  turn: me\n  by: 2026-11-25\n  about: Send pricing\n" in text
    assert text.endswith("\nFrom the pipe.\n")
    assert result.out.endswith("dana-reyes: your turn, by 2026-11-25: Send pricing\n")


@pytest.mark.parametrize("args, message", [
    (("--next", "nobody:+1d"), "no person `nobody`"),
    (("--next", "them:someday"), "--next:"),
    (("--by", "fri"), "--by and --about need --turn"),
    (("--due", "fri"), "each --due and --to goes with a --commit"),
    (("--next", "them", "--turn", "me"), "not both"),
    (("--org", "nowhere"), "no org `nowhere`"),
])
def test_bad_options_write_nothing(cli, make_notebook, args, message):
    root = make_notebook(PEOPLE)
    result = new(cli, root, *args)
    assert result.code == 2 and message in result.err, result.err
    assert not (root / PATH).exists()
