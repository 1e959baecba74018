"""``convo.yml`` is declared in schema.CONFIG like the notes: located errors, fail-closed privacy, a JSON Schema."""

from __future__ import annotations

import json

import pytest
import yaml
from jsonschema import Draft202012Validator

from conftest import REPO
from convo_notes.loader import load_config

PEOPLE = {"notes/people/pat-lee.md": "---\nname: Pat Lee\n---\n"}


def validate(make_notebook, cli, config: str):
    root = make_notebook({**PEOPLE, "convo.yml": config})
    result = cli("-C", str(root), "validate")
    return result, result.out.splitlines()[:-1]


def test_a_wrong_value_is_a_located_bad_config_error(make_notebook, cli):
    result, lines = validate(make_notebook, cli, "me: pat-lee\nsite:\n  title: [a, b]\n")
    assert lines == ["convo.yml:3:10: error[bad-config]: `title` must be text, not a list"]
    assert result.code == 1


def test_me_that_is_not_a_slug_is_located(make_notebook, cli):
    _, lines = validate(make_notebook, cli, "# who I am\nme: Pat Lee\n")
    assert lines == ["convo.yml:2:5: error[bad-config]: `Pat Lee` is not a slug (lowercase letters, digits and "
                     "hyphens, e.g. `pat-lee`)"]


def test_an_unknown_key_is_a_warning_with_a_suggestion(make_notebook, cli):
    result, lines = validate(make_notebook, cli, "me: pat-lee\nsiet:\n  title: X\n")
    assert lines == ["convo.yml:2:1: warning[unknown-field]: unknown field `siet` in convo.yml (did you mean `site`?)"]
    assert result.code == 0


def test_topic_aliases_must_map_text_to_text(make_notebook, cli):
    _, lines = validate(make_notebook, cli, "me: pat-lee\ntopics:\n  aliases:\n    plumber: [a]\n")
    assert lines == ["convo.yml:4:14: error[bad-config]: `aliases: plumber` must be text"]


@pytest.mark.parametrize("value", ["yes", "maybe", "[true]", "''"])
def test_a_doubtful_private_by_default_fails_closed(make_notebook, value):
    root = make_notebook({**PEOPLE, "convo.yml": f"me: pat-lee\nsite:\n  private_by_default: {value}\n"})
    config, problems = load_config(root, env={})
    assert config.private_by_default is True
    assert [p.code for p in problems] == ["bad-config"]


def test_the_old_visibility_spelling_still_keeps_notes_private(make_notebook):
    root = make_notebook({**PEOPLE, "convo.yml": "me: pat-lee\nsite:\n  visibility: private\n"})
    config, problems = load_config(root, env={})
    assert config.private_by_default is True
    assert [(p.code, p.severity) for p in problems] == [("deprecated-setting", "warning")]


def test_a_config_that_is_not_a_mapping_is_an_error(make_notebook):
    root = make_notebook({**PEOPLE, "convo.yml": "- me\n- pat-lee\n"})
    config, problems = load_config(root, env={})
    assert config.me is None
    assert [(p.path, p.line, p.code) for p in problems] == [("convo.yml", 1, "bad-config")]


def test_the_sample_settings_and_a_full_one_pass_the_json_schema(cli):
    schema = json.loads(cli("schema", "config").out)
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    sample = yaml.safe_load((REPO / "convo.yml").read_text(encoding="utf-8"))
    assert list(validator.iter_errors(sample)) == []
    full = {"me": "pat-lee", "site": {"title": "T", "private_by_default": True},
            "topics": {"aliases": {"plumber": "plumbing"}}}
    assert list(validator.iter_errors(full)) == []
    assert list(validator.iter_errors({"me": "Pat Lee"})) != []


def test_settings_are_in_the_format_reference():
    text = (REPO / "docs" / "format-reference.md").read_text(encoding="utf-8")
    assert "## Settings (`convo.yml`)" in text
    for key in ("`me`", "`site.private_by_default`", "`topics.aliases`"):
        assert key in text
