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
