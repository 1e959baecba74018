"""`convo schema`: the JSON Schema agrees with the validator, and editors can use the output.

One source of truth: every sample note passes both, each invalid example fails
both. Front matter is read here as an editor would (yaml.safe_load, dates as
ISO strings), independently of the project's own parser.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO
from convo_notes.loader import build_record, list_note_files, note_kind
from convo_notes.parse import decode, read_note, split
from convo_notes.schema import json_schema

jsonschema = pytest.importorskip("jsonschema")
Validator = jsonschema.Draft202012Validator


def _iso(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


class _TextDates(yaml.SafeLoader):
    """safe_load, but a date-shaped scalar stays text (as in editors), so `2026-02-30` can be read."""


_TextDates.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def editor_view(text: str) -> Any:
    """The front matter as an editor's YAML support sees it."""
    decoded, _ = decode(text.encode("utf-8"), "x.md")
    assert decoded is not None
    yaml_text, *_ = split(decoded, "x.md")
    assert yaml_text is not None
    try:
        return _iso(yaml.safe_load(yaml_text) or {})
    except ValueError:  # a date-shaped value that is no real date (PyYAML cannot build it)
        return yaml.load(yaml_text, Loader=_TextDates) or {}


def schema_errors(kind: str, text: str) -> list[str]:
    validator = Validator(json_schema(kind), format_checker=Validator.FORMAT_CHECKER)
    return [e.message for e in validator.iter_errors(editor_view(text))]


def validator_errors(kind: str, text: str) -> list[str]:
    rel = {"person": "notes/people/x.md", "org": "notes/orgs/x.md", "conversation": "notes/x.md"}[kind]
    _, problems = build_record(rel, read_note(text.encode("utf-8"), rel))
    return [d.code for d in problems if d.severity == "error"]


@pytest.mark.parametrize("kind", ["conversation", "person", "org"])
def test_schema_is_a_valid_draft_2020_12_schema(cli, kind):
    result = cli("schema", kind)
    assert result.code == 0
    doc = json.loads(result.out)
    Validator.check_schema(doc)
    assert doc == json_schema(kind)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_without_kind_holds_every_kind_and_the_settings(cli):
    result = cli("schema")
    doc = json.loads(result.out)
    assert list(doc) == ["conversation", "person", "org", "config"]
    assert doc["person"]["required"] == ["name"]
    assert doc["conversation"]["required"] == ["date", "with"]


def test_schema_rejects_an_unknown_kind(cli):
    result = cli("schema", "meeting")
    assert result.code == 2
    assert "'meeting' is not one of 'conversation', 'person', 'org', 'config'" in result.err


def test_every_sample_note_passes_both():
    files = list_note_files(REPO)
    assert len(files) > 60
    for rel in files:
        text = (REPO / rel).read_text(encoding="utf-8")
        kind = note_kind(rel)
        assert schema_errors(kind, text) == [], rel
        assert validator_errors(kind, text) == [], rel


def test_a_conversation_without_a_date_fails_both():
    text = "---\nwith: dana-reyes\ntitle: Call\n---\n"
    assert schema_errors("conversation", text) == ["'date' is a required property"]
    assert validator_errors("conversation", text) == ["missing-field"]


INVALID = [
    ("conversation", "with: dana-reyes"),
    ("conversation", "date: 2026-11-18"),
    ("conversation", "date: next friday\nwith: dana"),
    ("conversation", "date: 2026-02-30\nwith: dana"),
    ("conversation", "date: 2026-11-18\nwith: Dana Reyes"),
    ("conversation", "date: 2026-11-18\nwith: []"),
    ("conversation", "date: 2026-11-18\nwith: dana\nchannel: phone"),
    ("conversation", "date: 2026-11-18\nwith: dana\nthread: Harbor Renewal"),
    ("conversation", "date: 2026-11-18\nwith: dana\nprivate: maybe"),
    ("conversation", "date: 2026-11-18\nwith: dana\nnext: tomorrow"),
    ("conversation", "date: 2026-11-18\nwith: dana\nnext:\n  by: 2026-11-20"),
    ("conversation", "date: 2026-11-18\nwith: dana\nnext:\n  turn: me\n  by: 2026-11-31"),
    ("conversation", "date: 2026-11-18\nwith: dana\ncommitments: send the plan"),
    ("conversation", "date: 2026-11-18\nwith: dana\ncommitments:\n  - due: 2026-11-20"),
    ("conversation", "date: 2026-11-18\nwith: dana\ncommitments:\n  - what: x\n    id: Send Plan"),
    ("conversation", "date: 2026-11-18\nwith: dana\nreferrals:\n  - recommends: luis-ortega"),
    ("conversation", "date: 2026-11-18\nwith: dana\nreferrals:\n  - for: plumbing"),
    ("conversation", "date: 2026-11-18\nwith: dana\ncloses: [Bad Id]"),
    ("person", "org: harbor"),
    ("person", "name: Dana\ncadence: fortnightly"),
    ("person", "name: Dana\ncadence: 0d"),
    ("person", "name: Dana\ncadence: 1000000000d"),
    ("person", "name: Dana\ncadence: 101y"),
    ("conversation", "date: 9999-12-31\nwith: dana"),
    ("conversation", "date: 1899-12-31T23:59\nwith: dana"),
    ("conversation", "date: 2026-11-18\nwith: dana\nnext:\n  turn: me\n  by: 3000-01-01"),
    ("person", "name: Dana\nteam: sometimes"),
    ("person", "name: Dana\norg: Harbor Logistics"),
    ("person", "name: Dana\nemail: {work: a@b.example}"),
    ("person", "name: [Dana, Reyes]"),
    ("org", "what: a bakery"),
    ("org", "name: Crumb\nprivate: perhaps"),
    ("org", "name: Crumb\ntags: {a: b}"),
]


@pytest.mark.parametrize("kind,front", INVALID)
def test_invalid_examples_fail_both(kind, front):
    text = f"---\n{front}\n---\n"
    assert schema_errors(kind, text), "the JSON Schema accepted it"
    assert validator_errors(kind, text), "convo validate accepted it"


VALID = [
    ("conversation", "date: 2026-11-18T14:30\nwith: [dana, kim]\nchannel: video\nprivate: true"),
    ("conversation", "date: 2026-11-18\nwith: dana\nnext: {turn: them}\ncloses: plan-sent\ntags: urgent"),
    ("conversation",
     "date: 2026-11-18\nwith: dana\nreferrals:\n  - recommends: Green Thumb Gardens\n    for: [garden]"),
    ("conversation", "date: 2026-11-18\nwith: dana\nunknown_field: fine"),
    ("person", "name: Dana\nemail: [a@b.example, c@d.example]\ncadence: 2w\nteam: false"),
    ("person", "name: Dana\ncadence: 100y"),
    ("person", "name: Dana\ncadence: 36500d"),
    ("conversation", "date: 1900-01-01\nwith: dana\nnext: {turn: me, by: 2999-12-31}"),
    ("org", "name: Crumb\nwebsite: https://crumb.example"),
]


@pytest.mark.parametrize("kind,front", VALID)
def test_valid_examples_pass_both(kind, front):
    text = f"---\n{front}\n---\n"
    assert schema_errors(kind, text) == []
    assert validator_errors(kind, text) == []


# --- editors: the documented problem matcher and errorformat against the real output ----------


def _validate_output(make_notebook, cli) -> tuple[Path, str]:
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\nfoo: 1\n---\n",
        "notes/c.md": "---\ndate: 2026-13-40\nwith: sam\n---\n",
    })
    result = cli("-C", str(root), "validate")
    assert result.code == 1
    return root, result.out


def _docs() -> str:
    return (REPO / "docs" / "integrations.md").read_text(encoding="utf-8")


def test_documented_vscode_problem_matcher_reads_validate_output(make_notebook, cli):
    _, out = _validate_output(make_notebook, cli)
    block = re.search(r"```json\n(.*?)\n```", _docs(), re.S)
    assert block
    pattern = json.loads(block.group(1))["tasks"][0]["problemMatcher"]["pattern"]
    regexp = re.compile(pattern["regexp"])
    found = [m for m in map(regexp.match, out.splitlines()) if m]
    assert [(m[pattern["file"]], m[pattern["line"]], m[pattern["column"]], m[pattern["severity"]],
             m[pattern["code"]], m[pattern["message"]]) for m in found] == [
        ("notes/c.md", "2", "7", "error", "bad-date", "`date: 2026-13-40` is not a real date"),
        ("notes/people/sam.md", "3", "1", "warning", "unknown-field", "unknown field `foo` in a person"),
    ]


@pytest.mark.skipif(shutil.which("vim") is None, reason="vim is not installed")
def test_documented_vim_errorformat_fills_the_quickfix_list(make_notebook, cli, tmp_path):
    root, out = _validate_output(make_notebook, cli)
    (root / "out.txt").write_text(out, encoding="utf-8")
    efm = next(line for line in _docs().splitlines() if line.startswith("set errorformat="))
    script = tmp_path / "qf.vim"
    script.write_text(textwrap.dedent(f"""\
        {efm}
        cgetfile out.txt
        let out = []
        for e in getqflist()
          if e.valid
            call add(out, printf('%s|%d|%d|%s|%s', bufname(e.bufnr), e.lnum, e.col, e.type, e.text))
          endif
        endfor
        call writefile(out, 'qf.txt')
        qa!
        """), encoding="utf-8")
    subprocess.run(["vim", "-Nu", "NONE", "-i", "NONE", "-es", "-S", str(script)], cwd=root,
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False)
    assert (root / "qf.txt").read_text(encoding="utf-8").splitlines() == [
        "notes/c.md|2|7|e|`date: 2026-13-40` is not a real date",
        "notes/people/sam.md|3|1|w|unknown field `foo` in a person",
    ]
