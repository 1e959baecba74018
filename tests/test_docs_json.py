"""Every documented ``--json`` key is what the renderers in ``render/json.py`` produce, and the
other way round (as sqlite-utils' docs tests do), checked on the sample notebook."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from conftest import REPO

TODAY = "2026-11-22"


def doc(name: str) -> str:
    return (REPO / "docs" / name).read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The text under a heading, up to the next heading of any level."""
    start = text.index(heading)
    rest = text[start + len(heading):]
    end = re.search(r"\n#{1,6} ", rest)
    return rest[: end.start()] if end else rest


def json_examples(text: str) -> list[Any]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", text, re.S)]


def table_keys(text: str) -> set[str]:
    """The key paths in the first column of a `| key | meaning |` table (`a, b` lists two)."""
    keys: set[str] = set()
    for cell in re.findall(r"^\| (`[^|]+`) \|", text, re.M):
        keys.update(k.strip("` ") for k in cell.split(","))
    return keys


def paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON value, lists written as `name[].key`."""
    out: set[str] = set()
    if isinstance(value, dict):
        for key, sub in value.items():
            here = f"{prefix}.{key}" if prefix else key
            out.add(here)
            out |= paths(sub, here)
    elif isinstance(value, list):
        for item in value:
            out |= paths(item, f"{prefix}[]")
    return out


def run_json(cli, sample_notebook, *args: str) -> Any:
    result = cli("-C", str(sample_notebook), "--today", TODAY, *args, "--json")
    assert result.code in (0, 1), result.err
    return json.loads(result.out)


@pytest.fixture(scope="module")
def sample_notebook():
    return REPO


def test_due_table_names_every_key_and_only_those(cli, sample_notebook):
    out = run_json(cli, sample_notebook, "due", "--all")
    documented = table_keys(section(doc("daily.md"), "### `convo due --json`"))
    produced = {p for p in paths(out) if not p.startswith(("owner.", "errors[]", "items[].owner.", "items[].to.",
                                                           "items[].person[]."))}
    assert documented == produced - {"items"}  # the table documents each item's keys, not the list itself


def test_due_example_has_the_shape_of_the_real_output(cli, sample_notebook):
    out = run_json(cli, sample_notebook, "due", "--all")
    example = json_examples(section(doc("daily.md"), "### `convo due --json`"))[0]
    assert paths(example) - {"errors[]"} <= paths(out)


def test_threads_table_names_every_key_of_a_thread(cli, sample_notebook):
    out = run_json(cli, sample_notebook, "threads")
    text = doc("daily.md")
    documented = table_keys(text[text.index("convo threads [--json]"):text.index("convo brief SLUG [--json]")])
    produced = {p for t in out["threads"] for p in paths(t) if "." not in p and "[]" not in p}
    assert documented == produced
    assert set(out) == {"today", "threads", "errors"}


def test_brief_paragraph_names_every_top_level_key(cli, sample_notebook):
    out = run_json(cli, sample_notebook, "brief", "dana-reyes")
    text = doc("daily.md")
    para = text[text.index("JSON keys: `today`"):]
    para = para[: para.index("\n\n")]
    named = set(re.findall(r"`([a-z_]+)`", para))
    assert set(out) <= named, set(out) - named
    every_key = {p.rsplit(".", 1)[-1].replace("[]", "") for p in paths(out)}
    # every identifier the paragraph names is a key somewhere in the brief (values like `person` aside)
    values = {"person", "org", "null"}
    assert named - values <= every_key | values, (named - values) - every_key


def test_referrals_example_has_exactly_the_real_keys(cli, sample_notebook):
    out = run_json(cli, sample_notebook, "referrals", "plumbing")
    example = json_examples(section(doc("referrals.md"), "## JSON"))[0]
    documented = {p for p in paths(example) if not p.startswith(("errors[]", "query.to."))}
    produced = {p for p in paths(out) if not p.startswith(("errors[]", "query.to.", "query.by."))}
    assert documented == produced
