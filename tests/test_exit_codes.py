"""One exit-code map and one policy for a notebook with errors, for every command.

- a clean notebook: every reporting command exits 0;
- a notebook with one cross-note error (an unknown person): every command prints its
  answer, then the same error count on stderr, and exits 1; ``--json`` is still one
  document on stdout, with the error in ``errors``;
- failures map to exit codes in ``cli.main`` only (no command module decides one).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from conftest import REPO
from convo_notes import errors

NOTES = {
    "notes/people/sam.md": "---\nname: Sam\n---\n",
    "notes/people/dana.md": "---\nname: Dana Reyes\ncadence: 2w\n---\n",
    "notes/orgs/harbor.md": "---\nname: Harbor\nwhat: Port logistics\n---\n",
    "notes/c1.md": ("---\ndate: 2026-11-10\nwith: dana\ncommitments:\n  - {id: send-plan, what: Send the plan, "
                    "due: 2026-11-20, to: dana}\nreferrals:\n  - {recommends: harbor, for: plumbing}\n"
                    "next: {turn: me, by: 2026-11-21}\n---\nBody.\n"),
}
BROKEN = {**NOTES, "notes/c2.md": "---\ndate: 2026-11-12\nwith: [dana, ghost]\n---\n"}
COUNT_LINE = "convo: 1 error in the notebook; this answer may be incomplete (run `convo validate`)\n"

# every command that reads the notebook and reports, with its arguments
REPORTING = [
    ("due",), ("due", "--all"), ("threads",), ("brief", "dana"), ("referrals",), ("referrals", "plumbing"),
    ("show", "notes/c1.md"), ("ics",), ("export",), ("export", "vcard"), ("search", "body"),
]
WITH_JSON = [("due",), ("threads",), ("brief", "dana"), ("referrals", "plumbing"), ("show", "notes/c1.md"),
             ("search", "body")]


@pytest.mark.parametrize("args", REPORTING, ids=" ".join)
def test_a_clean_notebook_exits_0(make_notebook, cli, args):
    root = make_notebook(NOTES)
    result = cli("-C", str(root), "--today", "2026-11-22", *args)
    assert (result.code, result.err) == (0, ""), result.err


@pytest.mark.parametrize("args", REPORTING, ids=" ".join)
def test_a_cross_note_error_exits_1_with_the_same_count_everywhere(make_notebook, cli, args):
    root = make_notebook(BROKEN)
    result = cli("-C", str(root), "--today", "2026-11-22", *args)
    assert result.code == 1
    assert result.out  # the answer is still printed
    assert result.err.endswith(COUNT_LINE), result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize("args", WITH_JSON, ids=" ".join)
def test_json_is_one_document_with_the_errors(make_notebook, cli, args):
    root = make_notebook(BROKEN)
    result = cli("-C", str(root), "--today", "2026-11-22", *args, "--json")
    assert result.code == 1
    document = json.loads(result.out)
    assert [e["code"] for e in document["errors"]] == ["unknown-person"]
    assert result.err == COUNT_LINE


def test_validate_counts_the_same_error(make_notebook, cli):
    root = make_notebook(BROKEN)
    result = cli("-C", str(root), "validate")
    assert result.code == 1
    assert result.out.splitlines()[-1] == "5 notes checked: 1 error, 0 warnings"


def test_show_json_of_an_unreadable_note_is_still_a_document(make_notebook, cli):
    root = make_notebook({**NOTES, "notes/bad.md": "---\ndate: [\n---\n"})
    result = cli("-C", str(root), "show", "notes/bad.md", "--json")
    assert result.code == 1
    document = json.loads(result.out)
    assert document["readable"] is False and document["path"] == "notes/bad.md"
    assert [d["code"] for d in document["diagnostics"]] == ["yaml-syntax"]


def test_usage_errors_and_unknown_names_exit_2(make_notebook, cli):
    root = make_notebook(NOTES)
    assert cli("-C", str(root), "brief", "nobody").code == 2
    assert cli("-C", str(root), "due", "--owner", "nobody").code == 2
    assert cli("-C", str(root), "show", "notes/none.md").code == 2
    assert cli("-C", str(root / "missing"), "due").code == 2


def test_a_renderer_crash_blames_no_note(make_notebook, cli, monkeypatch):
    """The last note read is not named when the crash happened after reading (CURRENT_FILE is scoped)."""
    from convo_notes.render import text

    def boom(*args, **kwargs):
        raise RuntimeError("renderer broke")

    monkeypatch.setattr(text, "render_threads", boom)
    monkeypatch.setattr("convo_notes.cli.daily.render_threads", boom)
    root = make_notebook(NOTES)
    result = cli("-C", str(root), "threads")
    assert result.code == 1
    assert result.err == ("convo: internal error (not while reading a note): RuntimeError: renderer broke. "
                          "This is a bug: please report it with this line.\n")


def test_a_crash_while_reading_names_the_note(make_notebook, cli, monkeypatch):
    from convo_notes import loader

    def boom(rel, fm, root=""):
        raise RuntimeError("reader broke")

    monkeypatch.setattr(loader, "build_record", boom)
    monkeypatch.setenv("CONVO_CACHE_DIR", "")  # no cache: every note is read
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n"})
    result = cli("-C", str(root), "validate")
    assert result.code == 1
    assert "notes/people/sam.md:1:1: error[internal-error]: internal error while reading this note " \
           "(RuntimeError: reader broke)" in result.out


def test_an_os_error_is_one_line_naming_the_file(make_notebook, cli, tmp_path):
    root = make_notebook(NOTES)
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    blocked = tmp_path / "a-file" / "feed.ics"  # its folder is a file: refused even for root
    result = cli("-C", str(root), "--today", "2026-11-22", "ics", "-o", str(blocked))
    assert result.code == 1
    assert result.err.count("\n") == 1, result.err
    assert result.err.startswith("convo: ") and "feed.ics: not written: " in result.err
    assert "This is a bug" not in result.err


def test_every_exception_class_has_its_exit_code():
    assert errors.exit_code_of(errors.UsageError("x")) == 2
    assert errors.exit_code_of(errors.NotFound("x")) == 2
    assert errors.exit_code_of(errors.NotebookNotFound("x")) == 2
    for cls in (errors.CommandFailed, errors.EditRefused, errors.SiteError):
        assert errors.exit_code_of(cls("x")) == 1
    assert errors.exit_code_of(errors.NotebookHasErrors(3)) == 1
    assert errors.NotebookHasErrors(3).message == ""
    assert errors.exit_code_of(ValueError("x")) == 1


def _exits_in(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name) and node.id == "SystemExit":
            found.append(f"{path.name}:{node.lineno}: SystemExit")
        if isinstance(node, ast.Attribute) and node.attr == "exit" and getattr(node.value, "id", "") == "sys":
            found.append(f"{path.name}:{node.lineno}: sys.exit")
        if isinstance(node, ast.Attribute) and node.attr == "exit_code":
            found.append(f"{path.name}:{node.lineno}: exit_code")
    return found


def test_no_command_module_decides_an_exit_code():
    package = REPO / "src" / "convo_notes" / "cli"
    found = [hit for path in sorted(package.glob("*.py")) if path.name != "__init__.py" for hit in _exits_in(path)]
    assert found == []


def test_every_command_is_in_the_one_table():
    from convo_notes.cli import COMMANDS, all_commands

    commands = all_commands()
    assert set(commands) == set(COMMANDS)
    for name, command in commands.items():
        assert command.name == name
