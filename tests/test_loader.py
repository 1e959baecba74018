"""The loader: front-matter edge cases (golden), hostile YAML, normalization, discovery, fuzzing."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convo_notes.loader import find_root, load_notebook
from convo_notes.parse import read_note

EDGE_CASES: dict[str, bytes] = {
    "plain": b"---\ndate: 2026-11-18\nwith: pat\n---\nBody line.\n",
    "bom": b"\xef\xbb\xbf---\ndate: 2026-11-18\nwith: pat\n---\nBody.\n",
    "crlf": b"---\r\ndate: 2026-11-18\r\nwith: pat\r\n---\r\nBody.\r\nMore.\r\n",
    "trailing-spaces-on-delimiters": b"---   \ndate: 2026-11-18\nwith: pat\n--- \t\nBody.\n",
    "empty-front-matter": b"---\n---\nJust a body.\n",
    "blank-front-matter": b"---\n\n   \n---\n",
    "no-closing-delimiter": b"---\ndate: 2026-11-18\nwith: pat\nBody.\n",
    "no-front-matter": b"# Just Markdown\n",
    "empty-file": b"",
    "only-opening": b"---",
    "no-body-no-newline": b"---\ndate: 2026-11-18\nwith: pat\n---",
    "dashes-inside-body": b"---\nwith: pat\ndate: 2026-11-18\n---\nbody\n---\nnot front matter\n",
    "four-dashes-is-not-a-delimiter": b"----\ndate: 2026-11-18\n---\n",
    "quoted-and-plain": b'---\nturn: no\nquoted: "true"\nnum: 007\nnull_value: ~\nempty:\n---\n',
    "comments": b"---\n# a comment\ndate: 2026-11-18  # trailing\nwith: pat\n---\n",
    "latin1": b"---\ntitle: caf\xe9\n---\n",
    "tab-indent": b"---\nnext:\n\tturn: me\n---\n",
    "datetime": b"---\ndate: 2026-10-03T14:30\nwith: pat\n---\n",
}


def describe(raw: bytes) -> dict:
    fm = read_note(raw, "n.md")
    return {
        "data": fm.data,
        "body": fm.body,
        "body_line": fm.body_line,
        "locs": {"/".join(map(str, k)): list(v) for k, v in fm.locs.items()},
        "diagnostics": [d.format() for d in fm.diagnostics],
    }


def test_front_matter_edge_cases_golden(golden):
    result = {name: describe(raw) for name, raw in EDGE_CASES.items()}
    golden("loader_front_matter.json", json.dumps(result, indent=2, ensure_ascii=False) + "\n")


def test_sample_notebook_records_golden(golden):
    from conftest import REPO
    from convo_notes.render.json import note_to_json

    nb = load_notebook(REPO, env={"CONVO_ME": ""}, use_cache=False)
    records = [note_to_json(nb, n) for n in [*nb.people.values(), *nb.orgs.values(), *nb.conversations]]
    for record in records:
        record.pop("body")
    golden("sample_records.json", json.dumps(records, indent=1, ensure_ascii=False, default=str) + "\n")


def test_python_tags_never_run(tmp_path, make_notebook, cli):
    marker = tmp_path / "pwned"
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/c.md": f"---\ndate: 2026-11-18\nwith: sam\ntitle: !!python/object/apply:os.system [touch {marker}]\n"
                      f"x: !!python/object/new:os.system [touch {marker}]\n---\n",
    })
    result = cli("-C", str(root), "validate")
    assert result.code == 1
    assert "error[yaml-tag]" in result.out
    assert not marker.exists()


def test_alias_bomb_is_refused_quickly(make_notebook, cli):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n",
                          "notes/c.md": "---\n" + "\n".join(lines) + "\n---\n"})
    started = time.perf_counter()
    result = cli("-C", str(root), "validate")
    assert time.perf_counter() - started < 20  # refused after a bounded number of nodes, not after expanding the bomb
    assert result.code == 1
    assert "error[yaml-too-large]" in result.out


@pytest.mark.parametrize("payload", [
    "x: " + "[" * 50_000,
    "x: " + "{a: " * 50_000,
    "x:\n" + "".join("  " * i + f"k{i}:\n" for i in range(200)),
    "x: " + "- " * 30_000 + "y",
], ids=["brackets", "braces", "block-mappings", "block-sequences"])
def test_deep_nesting_is_an_error_not_a_crash(tmp_path, payload):
    """Run in a child process: libyaml's composer segfaults on such input if it ever reaches it."""
    note = tmp_path / "n.md"
    note.write_text("---\n" + payload + "\n---\n", encoding="utf-8")
    code = ("import sys; from convo_notes.parse import read_note; "
            "fm = read_note(open(sys.argv[1], 'rb').read(), 'n.md'); "
            "print(fm.diagnostics[0].code if fm.diagnostics else 'none')")
    proc = subprocess.run([sys.executable, "-c", code, str(note)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() in {"yaml-too-large", "yaml-syntax"}


def test_huge_front_matter_refused():
    fm = read_note(b"---\nbody: '" + b"x" * 300_000 + b"'\n---\n", "n.md")
    assert [d.code for d in fm.diagnostics] == ["yaml-too-large"]


def test_normalization_keeps_types_honest(make_notebook):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/no.md": "---\nname: 'No'\ncadence: 2w\n---\n",
        "notes/c.md": "---\ndate: 2026-10-03T14:30\nwith: sam\ntitle: 2026\nnext:\n  turn: no\n  by: 2026-10-10\n"
                      "commitments:\n  - what: Send\n    due: 2026-10-09\n---\n",
    })
    nb = load_notebook(root)
    conv = nb.conversations[0]
    assert conv.title == "2026"  # a plain scalar stays text, not the integer 2026
    assert conv.time == dt.datetime(2026, 10, 3, 14, 30)
    assert conv.date == dt.date(2026, 10, 3)
    assert conv.next.turn == "no"  # a person really called `no`: a slug, not False
    assert conv.commitments[0].due == dt.date(2026, 10, 9)
    assert nb.errors == []


def test_unreadable_notes_are_private_for_the_site(make_notebook):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n",
                          "notes/broken.md": "---\ndate: [\n---\n",
                          "notes/nodate.md": "---\nwith: sam\n---\n",
                          "notes/badprivate.md": "---\ndate: 2026-01-01\nwith: sam\nprivate: yess\n---\n"})
    nb = load_notebook(root)
    assert nb.unreadable == {"notes/broken.md", "notes/nodate.md"}
    (bad,) = nb.conversations
    assert nb.is_private(bad)  # an unreadable `private` fails closed


def test_find_root_searches_upward(make_notebook, tmp_path):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n"})
    deep = root / "notes" / "people"
    assert find_root(deep) == root.resolve()


def test_notebook_option_and_env(make_notebook, cli, tmp_path):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n"})
    assert cli("validate", env={"CONVO_NOTEBOOK": str(root)}, cwd=tmp_path).code == 0
    assert cli("-C", str(root), "validate", cwd=tmp_path).code == 0
    assert cli("validate", cwd=root / "notes").code == 0
    bad = cli("-C", str(tmp_path / "nowhere"), "validate")
    assert bad.code == 2 and "is not a notebook" in bad.err


def test_today_must_be_a_date(cli, make_notebook):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n"})
    result = cli("-C", str(root), "--today", "someday", "validate")
    assert result.code == 2
    assert "'someday' is not a date: use YYYY-MM-DD, today, tomorrow" in result.err
    assert cli("-C", str(root), "--today", "tomorrow", "validate").code == 0  # dates as people say them


def test_convo_me_names_the_reader_not_the_notebook(make_notebook):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n",
                          "notes/people/kim.md": "---\nname: Kim\n---\n"})
    assert (load_notebook(root, env={}).me, load_notebook(root, env={}).viewer) == ("sam", "sam")
    as_kim = load_notebook(root, env={"CONVO_ME": "kim"})
    assert (as_kim.me, as_kim.reader, as_kim.viewer) == ("sam", "kim", "kim")
    assert load_notebook(root, env={"CONVO_ME": "kim"}, reader="sam").viewer == "sam"  # --me wins


def test_cache_sees_edits_deletes_and_corruption(make_notebook, monkeypatch, tmp_path):
    from convo_notes.cache import records

    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n",
                          "notes/c.md": "---\ndate: 2026-11-18\nwith: sam\ntitle: One\n---\n"})
    assert load_notebook(root).conversations[0].title == "One"
    (root / "notes/c.md").write_text("---\ndate: 2026-11-18\nwith: sam\ntitle: Two, longer\n---\n")
    assert load_notebook(root).conversations[0].title == "Two, longer"
    (root / "notes/c.md").rename(root / "notes/d.md")
    assert [c.path for c in load_notebook(root).conversations] == ["notes/d.md"]
    (root / "notes/d.md").unlink()
    assert load_notebook(root).conversations == []
    target = records.cache_file(root)
    target.write_bytes(b"\x80\x05garbage")  # a torn or foreign cache is ignored
    assert load_notebook(root).people["sam"].name == "Sam"


# --- fuzzing: nothing a user can type crashes the loader ----------------------------------

yaml_ish = st.text(alphabet=st.sampled_from(list("abc:-[]{}&*!|>'\"#%@`,?\n\t 0123456789")), max_size=200)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(raw):
    fm = read_note(raw, "n.md")
    assert fm.data is None or isinstance(fm.data, dict)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_ish)
def test_arbitrary_yaml_never_crashes(text):
    fm = read_note(("---\n" + text + "\n---\n").encode(), "n.md")
    for d in fm.diagnostics:
        assert d.line >= 1 and d.column >= 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(yaml_ish)
def test_arbitrary_notes_only_ever_give_diagnostics(make_notebook, text):
    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n",
                          "notes/c.md": "---\n" + text + "\n---\n"})
    nb = load_notebook(root, use_cache=False)
    assert all(d.code != "internal-error" for d in nb.diagnostics), [d.format() for d in nb.diagnostics]
