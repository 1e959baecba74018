"""`convo person new`, `convo org new` and `convo edit`: notes without hunting for files or an editor."""

from __future__ import annotations

import json
from pathlib import Path

PEOPLE = {
    "notes/people/sam.md": "---\nname: Sam Stone\nteam: true\n---\n",
    "notes/orgs/harbor-logistics.md": "---\nname: Harbor Logistics\nwhat: Ports\n---\n",
}


def test_person_new_writes_a_valid_note(cli, make_notebook):
    root = make_notebook(PEOPLE)
    result = cli("-C", str(root), "person", "new", "Dana Reyes", "--org", "Harbor", "--role", "Head of Procurement",
                 "--email", "dana@harbor.example", "--cadence", "2w", "--tag", "client", "--tag", "decision-maker",
                 "-m", "Prefers short emails.")
    assert (result.code, result.out, result.err) == (0, "created notes/people/dana-reyes.md\n", "")
    assert (root / "notes/people/dana-reyes.md").read_text(encoding="utf-8") == (
        "---\nname: Dana Reyes\norg: harbor-logistics\nrole: Head of Procurement\nemail: dana@harbor.example\n"
        "tags: [client, decision-maker]\ncadence: \"2w\"\n---\nPrefers short emails.\n")
    shown = json.loads(cli("-C", str(root), "show", "dana-reyes", "--json").out)
    assert shown["org"]["slug"] == "harbor-logistics" and shown["cadence"] == "2w"
    assert cli("-C", str(root), "validate").code == 0


def test_org_new_and_values_that_need_quotes(cli, make_notebook):
    root = make_notebook(PEOPLE)
    result = cli("-C", str(root), "org", "new", "Acme: Yes & No", "--what", "true", "--website", "https://acme.example")
    assert result.code == 0, result.err
    text = (root / "notes/orgs/acme-yes-no.md").read_text(encoding="utf-8")
    assert text == '---\nname: "Acme: Yes & No"\nwhat: "true"\nwebsite: "https://acme.example"\n---\n'
    assert cli("-C", str(root), "validate").code == 0


def test_a_taken_slug_or_a_bad_value_writes_nothing(cli, make_notebook):
    root = make_notebook(PEOPLE)
    again = cli("-C", str(root), "person", "new", "Someone", "--slug", "sam")
    assert (again.code, again.err) == (1, "convo: `sam` already exists (Sam Stone): pick another --slug\n")
    bad = cli("-C", str(root), "person", "new", "Pat", "--cadence", "often")
    assert bad.code == 2 and "is not a duration" in bad.err
    assert not (root / "notes/people/pat.md").exists()
    unknown_org = cli("-C", str(root), "person", "new", "Pat", "--org", "nowhere")
    assert unknown_org.code == 2 and "no org `nowhere`" in unknown_org.err


def test_dry_run_writes_nothing(cli, make_notebook):
    root = make_notebook(PEOPLE)
    result = cli("-C", str(root), "org", "new", "Globex", "--dry-run")
    assert result.out == "would create notes/orgs/globex.md:\n---\nname: Globex\n---\n"
    assert not (root / "notes/orgs/globex.md").exists()


def _editor(tmp_path: Path, script: str) -> str:
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    editor.chmod(0o755)
    return str(editor)


def test_edit_opens_by_name_and_checks_after(cli, make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    editor = _editor(tmp_path, 'sed -i "s/^name: Sam Stone$/name: Sam Stone\\nrole: Founder/" "$1"\n')
    result = cli("-C", str(root), "edit", "Sam", env={"EDITOR": editor})
    assert result.code == 0, result.err
    assert "role: Founder" in (root / "notes/people/sam.md").read_text(encoding="utf-8")
    assert result.err == "notes/people/sam.md: 0 errors, 0 warnings\n"


def test_edit_reports_what_the_editor_broke(cli, make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    editor = _editor(tmp_path, 'sed -i "s/^name: Sam Stone$/name: [broken/" "$1"\n')
    result = cli("-C", str(root), "edit", "notes/people/sam.md", env={"EDITOR": editor})
    assert result.code == 1
    assert "notes/people/sam.md:3:5: error[yaml-syntax]" in result.err


def test_edit_of_nothing_is_a_usage_error(cli, make_notebook):
    root = make_notebook(PEOPLE)
    result = cli("-C", str(root), "edit", "nobody", env={"EDITOR": "true"})
    assert result.code == 2 and "no person or org `nobody`" in result.err
