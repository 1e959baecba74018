"""Lints: warnings with their own codes, run by `convo validate`, turned off by option or setting."""

from __future__ import annotations

import pytest

TODAY = "2026-11-22"
NOTES = {
    "notes/people/sam.md": "---\nname: Sam\nteam: true\n---\n",
    "notes/people/ana.md": "---\nname: Ana Lima\ntags: [client]\n---\n",
    "notes/people/ben.md": "---\nname: Ben Ode\norg: acme\ntags: [Customer]\n---\n",
    "notes/orgs/acme.md": "---\nname: Acme\n---\n",
    "notes/orgs/globex.md": "---\nname: Globex\nwhat: Everything\n---\n",
    "notes/a.md": "---\ndate: 2027-11-18\nwith: ben\n---\n",
    "notes/b.md": "---\ndate: 2026-11-01\nwith: [ben, sam]\n---\n",
    "notes/c.md": "---\ndate: 2026-08-01\nwith: ana\nnext: {turn: them, about: Send the form}\n---\n",
    "notes/d.md": "---\ndate: 2026-11-01\nwith: ben\nthread: recent\nnext: {turn: them}\n---\n",
}
EXPECTED = [
    "notes/a.md:2:7: warning[future-conversation]: dated 2027-11-18, after today (2026-11-22): a conversation "
    "records what happened (plan ahead with `next` or a commitment)",
    "notes/b.md:3:13: warning[with-me]: `with` names `sam`, the notebook's own person: list the others you "
    "talked with",
    "notes/c.md:4:7: warning[long-wait]: thread `ana` has waited on them for 113 days (since 2026-08-01): "
    "nudge them, or settle it by removing `next`",
    "notes/orgs/acme.md:2:7: warning[org-without-what]: `acme` does not say what it does: add `what:` (one "
    "line for the next caller)",
    "notes/people/ana.md:3:7: warning[client-without-org]: Ana Lima is tagged as a client but has no `org:`",
]


def lines(result) -> list[str]:
    return result.out.splitlines()[:-1]


def test_every_lint_is_a_located_warning(make_notebook, cli):
    root = make_notebook(NOTES)
    result = cli("-C", str(root), "--today", TODAY, "validate")
    assert lines(result) == EXPECTED
    assert result.code == 0
    assert result.out.splitlines()[-1] == "9 notes checked: 0 errors, 5 warnings"
    assert cli("-C", str(root), "--today", TODAY, "validate", "--strict").code == 1


def test_lints_depend_on_today(make_notebook, cli):
    root = make_notebook(NOTES)
    result = cli("-C", str(root), "--today", "2027-12-01", "validate")
    assert not any("future-conversation" in line for line in lines(result))


def test_no_lint_and_skip(make_notebook, cli):
    root = make_notebook(NOTES)
    assert lines(cli("-C", str(root), "--today", TODAY, "validate", "--no-lint")) == []
    result = cli("-C", str(root), "--today", TODAY, "validate", "--skip", "long-wait", "--skip", "with-me")
    assert [line.split("[")[1].split("]")[0] for line in lines(result)] == [
        "future-conversation", "org-without-what", "client-without-org"]


@pytest.mark.parametrize("off", ["[long-wait, org-without-what]", "long-wait"])
def test_convo_yml_turns_lints_off(make_notebook, cli, off):
    root = make_notebook({**NOTES, "convo.yml": f"me: sam\nlint:\n  off: {off}\n"})
    codes = [line.split("[")[1].split("]")[0] for line in lines(cli("-C", str(root), "--today", TODAY, "validate"))]
    assert "long-wait" not in codes
    assert ("org-without-what" in codes) == (off == "long-wait")


def test_lints_are_not_errors_for_other_commands(make_notebook, cli):
    root = make_notebook(NOTES)
    assert cli("-C", str(root), "--today", TODAY, "due").code == 0


NEXT_FORMS = {  # `next` written every way: the long-wait lint points where each file puts it
    "notes/flow.md": "---\ndate: 2026-08-01\nwith: ana\nnext: {turn: them}\n---\n",
    "notes/block.md": "---\ndate: 2026-08-02\nwith: ana\nthread: b\nnext:\n  turn: them\n  by: 2026-08-09\n---\n",
    "notes/crlf.md": "---\r\ndate: 2026-08-03\r\nwith: ana\r\nthread: c\r\nnext:   {turn: them}\r\n---\r\n",
    "notes/bom.md": "\ufeff---\ndate: 2026-08-04\nwith: ana\nthread: d\nnext: {turn: them, about: x}\n---\n",
    "notes/anchor.md": "---\ndate: 2026-08-05\nwith: ana\nthread: e\nx: &n {turn: them}\nnext: *n\n---\n",
}


def test_long_wait_points_where_next_stands_without_reading_again(make_notebook, cli, monkeypatch):
    """The lint takes `next`'s place from the record; it is the place the file's positions give."""
    from convo_notes import lints, model
    from convo_notes.loader import load_notebook

    root = make_notebook({"notes/people/ana.md": "---\nname: Ana\n---\n", **NEXT_FORMS})
    nb = load_notebook(root)
    placed = {c.path: (c.next.line, c.next.column) for c in nb.conversations if c.next}
    assert placed == {c.path: lints._at(c, "next") for c in nb.conversations if c.next}
    assert len(placed) == len(NEXT_FORMS)
    monkeypatch.setattr(model, "source_of", lambda *args: pytest.fail("a note was read again"))
    found = list(lints.long_waits(nb, __import__("datetime").date(2026, 11, 22)))
    assert sorted((d.path, d.line, d.column) for d in found) == sorted((p, *at) for p, at in placed.items())
