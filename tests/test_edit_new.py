"""`convo new`: a note from the template, in the right place, never overwriting, then checked."""

from __future__ import annotations

import json
import sys
from pathlib import Path

TODAY = "2026-03-10"
PEOPLE = {
    "notes/people/sam.md": "---\nname: Sam Stone\n---\n",
    "notes/people/ana.md": "---\nname: Ana Lima\naliases: [Annie]\n---\n",
    "notes/people/ben.md": "---\nname: Ben Ode\n---\n",
}
OPEN_THREAD = {
    "notes/c/a.md": "---\ndate: 2026-03-01\nwith: [ana, ben]\nthread: deal\nnext:\n  turn: me\n---\n",
    "notes/c/b.md": "---\ndate: 2026-03-01\nwith: ana\nthread: old\n---\n",  # settled: never offered
}
NEW_PATH = "notes/conversations/2026/2026-03-10-pricing-call.md"

EXPECTED = """\
---
title: Pricing call
date: 2026-03-10
with: [ana]
channel: call
# Promises made in this conversation: remove the `#` to use them.
# `convo due` lists each one until it is done (`convo done PATH:LINE`).
# commitments:
#   - what: Send the proposal
#     to: ana
#     due: 2026-03-17
#   - owner: ana
#     to: me
#     what: Send the figures
# Whose move it is next (`me`, `them` or a person slug), and by when:
# next:
#   turn: me
#   by: 2026-03-17
#   about: Follow up
---
# Pricing call

"""


def new(cli, root, *args: str, env: dict[str, str] | None = None):
    return cli("-C", str(root), "--today", TODAY, "new", *args, env=env)


def test_new_writes_the_template_and_the_note_is_valid(cli, make_notebook):
    root = make_notebook(PEOPLE)
    result = new(cli, root, "--with", "ana", "--title", "Pricing call", "--channel", "call", "--no-edit")
    assert (result.code, result.out, result.err) == (0, f"created {NEW_PATH}\n", "")
    assert (root / NEW_PATH).read_text(encoding="utf-8") == EXPECTED
    assert cli("-C", str(root), "validate").code == 0


def test_new_never_overwrites(cli, make_notebook):
    root = make_notebook(PEOPLE)
    assert new(cli, root, "--with", "ana", "--title", "Pricing call", "--no-edit").code == 0
    (root / NEW_PATH).write_text("---\ndate: 2026-03-10\nwith: ana\n---\nmine\n", encoding="utf-8")
    again = new(cli, root, "--with", "ana", "--title", "Pricing call", "--no-edit")
    assert (again.code, again.out) == (1, "")
    assert again.err == f"convo: {NEW_PATH} already exists; nothing was written (choose another --title)\n"
    assert (root / NEW_PATH).read_text(encoding="utf-8").endswith("mine\n")
    # The same slug in another folder is refused too: conversation slugs are unique.
    other = make_notebook({**PEOPLE, "notes/x/2026-03-10-pricing-call.md": "---\ndate: 2026-03-10\nwith: ana\n---\n"},
                          root=root.parent / "other")
    clash = new(cli, other, "--with", "ana", "--title", "Pricing call", "--no-edit")
    assert clash.code == 1 and "already exists (notes/x/2026-03-10-pricing-call.md)" in clash.err


def test_new_people_by_name_alias_and_comma_lists_and_stubs(cli, make_notebook):
    root = make_notebook(PEOPLE)
    missing = new(cli, root, "--with", "Annie, pat-lee", "--no-edit")
    assert missing.code == 2
    assert missing.err == ("convo: no such person: `pat-lee`. Fix the slug, or add --create-people to create it\n")
    assert not (root / "notes/conversations").exists()
    made = new(cli, root, "--with", "Annie,Pat Lee", "--with", "ben", "--create-people", "--no-edit",
               "--date", "2026-03-09")
    path = "notes/conversations/2026/2026-03-09-conversation-with-ana-lima-pat-lee-and-ben-ode.md"
    assert (made.code, made.out) == (0, f"created notes/people/pat-lee.md\ncreated {path}\n")
    assert (root / "notes/people/pat-lee.md").read_text(encoding="utf-8").startswith("---\nname: Pat Lee\n")
    assert "with: [ana, pat-lee, ben]\n" in (root / path).read_text(encoding="utf-8")
    assert cli("-C", str(root), "validate").code == 0


def test_new_continues_the_one_open_thread(cli, make_notebook):
    root = make_notebook({**PEOPLE, **OPEN_THREAD})
    hint = new(cli, root, "--with", "ana", "--title", "A", "--no-edit")
    assert hint.err == "open thread with these people: deal (pass --continue or --thread to continue one)\n"
    assert "thread:" not in (root / "notes/conversations/2026/2026-03-10-a.md").read_text(encoding="utf-8")
    cont = new(cli, root, "--with", "ana", "--title", "B", "--continue", "--no-edit")
    assert cont.code == 0, cont.err
    assert "\nthread: deal\n" in (root / "notes/conversations/2026/2026-03-10-b.md").read_text(encoding="utf-8")
    none = new(cli, root, "--with", "ana", "--title", "C", "--no-continue", "--no-edit")
    assert none.err == ""
    explicit = new(cli, root, "--with", "ana", "--title", "D", "--thread", "other", "--no-edit")
    assert "\nthread: other\n" in (root / "notes/conversations/2026/2026-03-10-d.md").read_text(encoding="utf-8")
    assert explicit.err == ""


def test_new_refuses_to_guess_between_several_open_threads(cli, make_notebook):
    root = make_notebook({**PEOPLE, **OPEN_THREAD,
                          "notes/c/c.md": "---\ndate: 2026-03-02\nwith: ana\nthread: side\nnext:\n  turn: ana\n---\n"})
    result = new(cli, root, "--with", "ana", "--continue", "--no-edit")
    assert (result.code, result.err) == (
        2, "convo: several open threads with these people (deal, side): choose one with --continue THREAD\n")


def test_notebook_template_overrides_the_builtin_one(cli, make_notebook):
    root = make_notebook({**PEOPLE, "templates/conversation.md":
                          "---\ndate: {{ date }}\nwith: {{ with | yaml }}\ntitle: {{ title | yaml }}\n---\n"
                          "{% for p in people %}- {{ p.name }}\n{% endfor %}"})
    assert new(cli, root, "--with", "ana,ben", "--title", "Yes: no", "--no-edit").code == 0
    assert (root / "notes/conversations/2026/2026-03-10-yes-no.md").read_text(encoding="utf-8") == (
        '---\ndate: 2026-03-10\nwith: [ana, ben]\ntitle: "Yes: no"\n---\n- Ana Lima\n- Ben Ode\n')
    (root / "templates/conversation.md").write_text("---\n{{ nope }}\n---\n", encoding="utf-8")
    broken = new(cli, root, "--with", "ana", "--title", "x", "--no-edit")
    assert (broken.code, broken.err) == (1, "convo: templates/conversation.md: template error: 'nope' is undefined\n")


def write_editor(tmp_path: Path, replacement: str) -> str:
    """An $EDITOR that swaps the template's commented commitments for real ones."""
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys\n"
        "path = sys.argv[1]\n"
        "text = open(path, encoding='utf-8').read()\n"
        f"text = text.replace('# commitments:\\n', {replacement!r}, 1)\n"
        "open(path, 'w', encoding='utf-8').write(text)\n", encoding="utf-8")
    return f"{sys.executable} {script}"


def test_from_new_to_due_through_the_editor(cli, make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    editor = write_editor(tmp_path, "commitments:\n  - what: Send the proposal\n    to: ana\n    due: 2026-03-12\n")
    result = new(cli, root, "--with", "ana", "--title", "Pricing call", env={"EDITOR": editor})
    assert (result.code, result.err) == (0, "")
    items = json.loads(cli("-C", str(root), "--today", TODAY, "due", "--json").out)["items"]
    assert [(i["what"], i["date"], i["source"]) for i in items] == [
        ("Send the proposal", "2026-03-12",
         "notes/conversations/2026/2026-03-10-pricing-call.md:8")]
    done = cli("-C", str(root), "--today", TODAY, "done", items[0]["source"])
    assert done.code == 0, done.err
    assert json.loads(cli("-C", str(root), "--today", TODAY, "due", "--json").out)["items"] == []


def test_new_shows_the_problems_of_the_edited_note(cli, make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    editor = write_editor(tmp_path, "commitments:\n  - what: Send it\n    due: next week\n")
    result = new(cli, root, "--with", "ana", "--title", "Oops", env={"VISUAL": editor})
    assert result.code == 1
    assert result.out == "created notes/conversations/2026/2026-03-10-oops.md\n"
    assert result.err == ("notes/conversations/2026/2026-03-10-oops.md:9:10: error[bad-date]: "
                          "`due: next week` is not a date in YYYY-MM-DD form\n")


def test_new_without_an_editor_off_a_terminal_says_so(cli, make_notebook):
    root = make_notebook(PEOPLE)
    result = new(cli, root, "--with", "ana", "--title", "Quiet")
    assert (result.code, result.err) == (0, "no $EDITOR set: open notes/conversations/2026/2026-03-10-quiet.md "
                                            "in your editor\n")


def test_new_usage_errors(cli, make_notebook):
    root = make_notebook(PEOPLE)
    assert new(cli, root, "--title", "x").code == 2  # --with is required
    bad_thread = new(cli, root, "--with", "ana", "--thread", "Big Deal", "--no-edit")
    assert (bad_thread.code, bad_thread.err) == (
        2, "convo: --thread `Big Deal` is not a slug (lowercase letters, digits, hyphens)\n")
    assert new(cli, root, "--with", "ana", "--channel", "phone", "--no-edit").code == 2


def test_a_failing_editor_is_reported_in_one_line_and_the_note_is_kept(cli, make_notebook):
    root = make_notebook(PEOPLE)
    result = cli("-C", str(root), "--today", TODAY, "new", "--with", "ana", "--title", "Call",
                 env={"EDITOR": "false"})
    path = "notes/conversations/2026/2026-03-10-call.md"
    assert result.code == 1
    assert result.err.endswith(f"convo: {path} was created, but the editor failed (false: Editing failed); "
                               "open the note yourself, then run `convo validate`\n")
    assert (root / path).exists()
