"""The event reader (``yamlsafe._read_events``, the fast path cold reads take) against the full
path (compose, then walk): wherever the fast path answers, it answers exactly what the full
path does (values with their types, value and key positions, diagnostics); wherever it
does not, the full path is taken. On the sample notebook, a generated notebook, and
front matter hypothesis makes up."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convo_notes import parse, yamlsafe
from convo_notes.parse import FrontMatter, decode, split
from convo_notes.yamlsafe import parse_yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402 - the benchmark's own notebook generator

pytestmark = pytest.mark.skipif(not yamlsafe.HAVE_LIBYAML, reason="the fast path needs libyaml")


def typed(value: Any) -> Any:
    """``value`` with every string's type spelled out (``Quoted("x") == "x"`` otherwise)."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


def shape(fm: FrontMatter) -> tuple[Any, ...]:
    return (typed(fm.data), fm.locs, fm.key_locs, [d.format() for d in fm.diagnostics])


def compare(text: str, first_line: int = 2, lines: bool = False) -> bool:
    """True when the event reader took ``text`` (``lines``: the line reader); wherever either
    did, it agrees with the full path."""
    offset = first_line - 1
    full = yamlsafe._parse_composed(text, "n.md", offset)
    fast = yamlsafe._read_events(text, "n.md", offset)
    if fast is not None:
        assert shape(fast) == shape(full), text
    by_line = yamlsafe._read_lines(text, offset)
    if by_line is not None:
        assert shape(by_line) == shape(full), text
        # what it reads nests at most four levels deep: parse_yaml skips the nesting scan for it
        saved = yamlsafe.MAX_DEPTH
        yamlsafe.MAX_DEPTH = 4
        try:
            assert yamlsafe.nesting_error(text) is None, text
        finally:
            yamlsafe.MAX_DEPTH = saved
    if lines:
        return by_line is not None
    # and what parse_yaml returns (whichever path) is the full path's answer
    if by_line is not None or yamlsafe.nesting_error(text) is None:
        assert shape(parse_yaml(text, "n.md", first_line)) == shape(full), text
    return fast is not None


def front_matter(folder: Path) -> list[tuple[str, str, int]]:
    out = []
    for path in sorted(folder.rglob("*.md")):
        text, _ = decode(path.read_bytes(), str(path))
        assert text is not None
        yaml_text, _body, first, _line, _problem = split(text, str(path))
        if yaml_text is not None:
            out.append((str(path), yaml_text, first))
    return out


def test_the_sample_notebook_reads_the_same_and_mostly_fast():
    notes = front_matter(REPO / "notes")
    fast = [rel for rel, text, first in notes if compare(text, first)]
    by_line = [rel for rel, text, first in notes if compare(text, first, lines=True)]
    assert len(notes) > 20 and len(fast) >= 0.9 * len(notes), (len(fast), len(notes))
    assert len(by_line) >= 0.5 * len(notes), (len(by_line), len(notes))


def test_a_generated_notebook_reads_the_same_and_all_fast(tmp_path):
    generate.generate(str(tmp_path / "nb"), 400, 7)
    notes = front_matter(tmp_path / "nb" / "notes")
    slow = [rel for rel, text, first in notes if not compare(text, first)]
    by_line = [rel for rel, text, first in notes if compare(text, first, lines=True)]
    assert len(notes) > 400 and slow == [] and len(by_line) >= 0.95 * len(notes)


@pytest.mark.parametrize("text", [
    "a: 1\na: 2",  # a duplicate key: reported, its value skipped
    "a: 1\nb: [x, {c: d}]\na:\n  - [y]\n  - {e: f}\nb: z",
    "a: ''\nb: \"\"\nc: ~\nd: null\nd2: NULL\nd3: Null\ne:\nf: 'null'\ng: |\n  x\nh: >-\n  y",
    "'a': 1\n\"b\": 2\n? c\n: 3",
    "a: !!str x",  # a tag: the full path
    "a: &x 1\nb: *x",  # an anchor and an alias
    "<<: {a: 1}",  # a merge key
    "[a]: b",  # a key that is not a scalar
    "- a\n- b",  # not a mapping
    "a: 1\n---\nb: 2",  # two documents
    "a: [",  # a syntax error
    "a: 1\na: !custom x",  # a tag in a skipped duplicate's value
    "c:\n- a: 1\n   b: 2", "c:\n- a: 1\n b: 2", "c:\n  - a: 1\n    b: 2\n   d: 3", "c:\n  d: 1\n   e: 2",
    "c:\n  d: 1\n e: 2", "a: x\n b: y", "a: x\n  - y", "c:\n  - a\n  b: 1", "c:\n  - a\n    b", "c:\n- a\n  - b",
    "c:\n  d:\n  - e", "c:\n- \n- x", "c:\n-\n", "a: 1\n   \nb: 2", "a:\n   \n", "a: 1\n\nb: 2", "a: \n", "a:  x",
    'a: "say \\"hi\\" \\\\ there"', 'a: ["x\\"y", "\\\\", z]', 'a: "\\n\\t\\u00e9"', 'a: "\\', 'a: "x\\"',
    "a:b: c", "a:b", "- a: b", "c:\n  - a:\n    - b", "c:\n- a:\n  b: 1", "a: 12:30", "a: x: y", "a: x:", "- a:b",
    "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 15)) + "  " * 15 + "v",  # deep
])
def test_corner_cases_agree(text):
    compare(text)


def test_what_the_fast_paths_leave_to_the_full_path():
    leaves = ["a: !!str x", "a: &x 1\nb: *x", "<<: {a: 1}", "[a]: b", "- a\n- b", "a: 1\n---\nb: 2", "a: ["]
    assert [text for text in leaves if compare(text) or compare(text, lines=True)] == []
    assert compare("a: 1\na: 2\nb: [x, 'y']\nc:\n  - d: e")
    assert not compare("a: 1\na: 2", lines=True)  # a duplicate key: the event reader reports it
    usual = ("title: \"Pricing: check-in\"\ndate: 2026-11-18T10:30\nwith: [sam, \"dana\"]\ntags: []\norg:\n"
             "next:\n  turn: me\n  by:\ncommitments:\n- what: Send it, today\n  due: 2026-11-20\n- id: c2\n"
             "interests:\n  - its own\n  - ü ✓\nprivate: 'it''s'\n")
    assert compare(usual, lines=True)


def test_too_many_values_are_left_to_the_full_path_which_refuses_them():
    text = "a: [" + ", ".join(["x"] * (yamlsafe.MAX_NODES + 5)) + "]"
    assert not compare(text)
    assert [d.code for d in parse_yaml(text, "n.md").diagnostics] == ["yaml-too-large"]


scalars = st.sampled_from(["a", "it's", "x: y", "#c", "[b]", "- z", "multi\nline", " lead", "", "{q}", "'",
                           '"', "ü", "a #b", "~", "null", "Null", "NULL", "yes", "2026-11-18", "12:30", "<<", "&a",
                           "*a", "!!str", "? k", "trailing ", "tab\there", "\u2028", "a\u0085b"])
nested = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(scalars | st.text("ab:[ #-<", max_size=4),
                                                                 inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text("abk_-", min_size=1, max_size=6), nested, min_size=1, max_size=6),
       st.sampled_from([None, True, False]), st.sampled_from([None, '"', "'", "|", ">"]),
       st.sampled_from([2, 3, 4]), st.sampled_from([12, 80]))
def test_front_matter_as_yaml_writes_it_reads_the_same(data, flow, style, indent, width):
    text = yaml.dump(data, default_flow_style=flow, default_style=style, indent=indent, width=width,
                     allow_unicode=True)
    compare(text)


lines = st.sampled_from([
    "title: Lakeside check-in", 'title: "Quoted: title"', "date: 2026-11-18", "with: [sam, dana-reyes]",
    "with:\n  - sam\n  - dana", "tags: []", "next:\n  turn: me\n  by: 2026-11-20", "private: true",
    "commitments:\n  - id: c1\n    what: Send it\n    due: 2026-11-28", "commitments:\n- what: x\n  to: sam",
    "title: Lakeside check-in", "a: &x 1", "b: *x", "c: !!str 1", "<<: {a: 1}", "d: 'it''s'", "e: |\n  x\n  y",
    "# comment", "f: a # comment", "g: {a: [b, c]}", "h: [a: b]", "i:", "j: ~", "title: again", "k: [",
    "  bad indent: x", "l:\n\tm: tab", "? n\n: o", "p: ---", "...", "---", "q: \"esc\\n\\u00e9\"",
])


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines, min_size=1, max_size=8), st.sampled_from([1, 2, 5]))
def test_note_like_front_matter_reads_the_same(parts, first_line):
    compare("\n".join(parts), first_line)


# --- the nesting scan's filter: a note it lets through never nests too deep -------------------------

yaml_ish = st.text(alphabet=st.sampled_from(list("ab:-?[]{}'\"#|>!&*,\n\t ")), max_size=120)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_ish | nested.map(lambda data: yaml.dump({"k": data}, default_flow_style=None, indent=2)),
       st.sampled_from([1, 2, 3, 5]))
def test_the_scan_is_skipped_only_where_it_finds_nothing(text, limit):
    """With a limit of a few levels (so that random text reaches it), whatever the filter lets
    through, the scan itself passes too."""
    saved = yamlsafe.MAX_DEPTH
    yamlsafe.MAX_DEPTH = limit
    try:
        if not yamlsafe._may_nest_deeply(text):
            assert yamlsafe.nesting_error(text) is None, text
    finally:
        yamlsafe.MAX_DEPTH = saved


# --- the line reader on every character: values hypothesis writes in the usual layouts -------------

chars = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs", "Cc", "Cf")) |
                st.sampled_from(list(" -?:,[]{}#&*!|>'\"%@`~=<\\\t\u0085\u2028\ufeff")), max_size=12)
layouts = st.sampled_from(["k: {}", "k: [{}]", "k: [{}, {}]", "k:\n  a: {}", "k:\n- {}", "k:\n  - {}",
                           "k:\n- a: {}\n  b: {}", "k:\n  - a: {}\n    b: {}", "k: \"{}\"", "k: '{}'",
                           "{}: x", "k: {}\nj: {}", "k: {} {}"])


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts, st.lists(chars, min_size=2, max_size=2))
def test_any_characters_in_the_usual_layouts_read_the_same(layout, words):
    compare(layout.format(*words))


@pytest.mark.parametrize("text", [
    "k: " + "a " * 30000 + "#", "k: " + "a:b " * 15000 + " #", "k: [" + "a, " * 20000 + "#]", "- " * 30000 + "x",
    "k: '" + "''" * 30000, "k: " + ":a" * 30000 + ": ", "k: " + "a" * 60000 + " ",
])
def test_the_line_reader_gives_up_on_long_lines_in_linear_time(text):
    started = time.perf_counter()
    assert yamlsafe._read_lines(text, 0) is None
    assert time.perf_counter() - started < 0.5


# --- the front matter's closing line, found without a regular expression ----------------------------

closing_lines = st.lists(st.sampled_from(["---", "--- ", "---\t", "--- \t ", "----", "-- -", " ---", "---\r", "--- x",
                                         "a", "", "#", "x: ---"]), max_size=6).map("\n".join)


@settings(max_examples=1500, deadline=None)
@given(closing_lines | st.text(alphabet=st.sampled_from(list("-- \t\na\r#")), max_size=40), st.integers(0, 40))
def test_the_closing_line_is_found_where_the_expression_finds_it(text, at):
    at = min(at, len(text))
    at = text.rfind("\n", 0, at) + 1  # the start of a line, as split() asks
    match = parse._CLOSE.search(text, at)
    assert parse._find_close(text, at) == (None if match is None else (match.start(), match.end()))


# --- the schema remembers texts it read as dates and slugs: the same answers, and errors every time ------

@pytest.mark.parametrize(("field", "good", "bad"), [
    ("date", "2026-11-18", "2026-11-31"), ("date", "2026-11-18T10:30", "2026-11-18T25:00"),
])
def test_remembered_dates_read_as_before_and_bad_ones_are_reported_each_time(make_notebook, field, good, bad):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        **{f"notes/conversations/c{i}.md": f"---\n{field}: {good if i % 2 else bad}\nwith: [sam]\n"
           "next:\n  turn: sam\n  by: 2026-11-20\n---\n" for i in range(6)},
    })
    from convo_notes.loader import load_notebook

    for _ in range(2):  # the second time, every good text is remembered
        nb = load_notebook(root, use_cache=False)
        assert [(d.path, d.code) for d in nb.diagnostics] == [
            (f"notes/conversations/c{i}.md", "bad-date") for i in (0, 2, 4)]
        assert {(str(c.date), str(c.time)) for c in nb.conversations} == {
            ("2026-11-18", "2026-11-18 10:30:00" if "T" in good else "None")}
        assert {str(c.next.by) for c in nb.conversations if c.next} == {"2026-11-20"}
