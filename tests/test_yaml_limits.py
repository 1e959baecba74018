"""YAML front matter: limits the project checks itself, tags read as they declare, and a fuzz
over yaml-test-suite-like corner cases (never an exception, always a value or a located error)."""

from __future__ import annotations

import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from yaml.nodes import MappingNode, Node, SequenceNode

from convo_notes import yamlsafe
from convo_notes.diagnostics import CODES
from convo_notes.parse import MAX_DEPTH, MAX_FRONT_MATTER, Quoted, read_note
from convo_notes.yamlsafe import nesting_error, parse_yaml


def note(yaml_text: str) -> bytes:
    return ("---\n" + yaml_text + "\n---\n").encode("utf-8")


def real_depth(node: Node, depth: int = 0) -> int:
    """The deepest collection, the top-level one being 0 (as the walker counts)."""
    if isinstance(node, MappingNode):
        return max([depth, *(max(real_depth(k, depth + 1), real_depth(v, depth + 1)) for k, v in node.value)])
    if isinstance(node, SequenceNode):
        return max([depth, *(real_depth(item, depth + 1) for item in node.value)])
    return depth - 1


def flagged_at(text: str, limit: int) -> tuple[int, int] | None:
    """:func:`nesting_error` with MAX_DEPTH set to ``limit``."""
    old = yamlsafe.MAX_DEPTH
    yamlsafe.MAX_DEPTH = limit
    try:
        return nesting_error(text)
    finally:
        yamlsafe.MAX_DEPTH = old


# --- the depth limit: the project's own scan, whatever PyYAML is installed --------------------------

DEEP = {  # front matter -> (line, column) of the first collection past MAX_DEPTH, 1-based in the file
    "flow sequences": ("tags: " + "[" * 50_000, (2, 47)),
    "flow mappings": ("x: " + "{a: " * 50_000, (2, 3 + 4 * MAX_DEPTH + 1)),
    "one-pair mappings in flow": ("x: " + "[a: " * 50_000, (2, 3 + 4 * 20 + 1)),  # `[` and its pair: 2 levels
    "block mappings": ("x:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 200)), (3 + MAX_DEPTH, MAX_DEPTH + 2)),
    "compact sequences": ("x:\n" + "- " * 30_000 + "y", (3, 2 * MAX_DEPTH + 1)),
    "sequences of mappings": ("".join("  " * i + f"- k{i}:\n" for i in range(100)), (22, 43)),
    # line breaks libyaml knows besides LF: after one, the brackets are a new key's value
    "after a CR": ("a: x\rb: " + "[" * 50_000, (3, 44)),
    "after a line separator": ("a: x\u2028b: " + "[" * 50_000, (3, 44)),
    "after a next-line": ("a: x\x85b: " + "[" * 50_000, (3, 44)),
}


@pytest.mark.parametrize("name", list(DEEP))
def test_deep_nesting_is_located_by_the_project_itself(name, monkeypatch):
    """Located where the nesting passes the limit, and libyaml never sees the text (PyYAML 6.0.4
    stops at a depth of its own, with a syntax error a thousand columns further)."""
    text, where = DEEP[name]

    def never(*args, **kwargs):  # pragma: no cover - the point is that it is not called
        raise AssertionError("libyaml saw a text nested too deep")

    monkeypatch.setattr(yamlsafe.yaml, "compose", never)
    fm = read_note(note(text), "n.md")
    assert [(d.code, d.line, d.column) for d in fm.diagnostics] == [("yaml-too-large", *where)]
    assert fm.diagnostics[0].message == f"front matter nests deeper than {MAX_DEPTH} levels"


def test_depth_at_the_limit_is_read_and_one_more_is_refused():
    at_limit = "x: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert read_note(note(at_limit), "n.md").diagnostics == []
    over = "x: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert [d.code for d in read_note(note(over), "n.md").diagnostics] == ["yaml-too-large"]


@pytest.mark.parametrize("text", [
    "title: '" + "[" * 100 + "'",
    'title: "' + "[" * 100 + '\\" {{{{"',
    'title: "a\n  ' + "[" * 100 + '\n  b"',
    "title: a\n  " + "[" * 100 + "\n  b",
    "title: a # " + "[" * 100,
    "# " + "{" * 100 + "\ntitle: a",
    "body: |\n  " + "- " * 100 + "\n  " + "[" * 100 + "\ntitle: a",
    "body: >-\n\n   " + "{" * 100 + "\n\ntitle: a",
    "with: [a, 'it''s [', \"b]\", c#d]",
    "title: a[b[c[d" + "[" * 100,
])
def test_brackets_in_text_are_not_nesting(text):
    fm = read_note(note(text), "n.md")
    assert fm.diagnostics == [] and isinstance(fm.data, dict)


def test_the_scan_is_linear():
    for unit in ("[", "{a: ", "- ", "a:", "'x' ", '"\\" ', "# [\n", "a\n", " [a: b], "):
        text = "x: " + unit * (MAX_FRONT_MATTER // len(unit) - 4)
        started = time.perf_counter()
        nesting_error(text)
        assert time.perf_counter() - started < 2, unit


nested = st.recursive(
    st.sampled_from(["a", "it's", "x: y", "#c", "[b]", "- z", "multi\nline", " lead", "", "{q}", "'", '"',
                     "ü", "a #b", "|", ">", "&a", "*a", "!!str", "? k"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text("ab:[ #-", max_size=4), inner,
                                                                 max_size=3),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nested, st.sampled_from([None, True, False]), st.sampled_from([None, '"', "'", "|", ">"]),
       st.sampled_from([2, 3, 4]), st.sampled_from([12, 80]))
def test_the_scan_never_counts_less_than_libyaml_composes(data, flow, style, indent, width):
    """Whatever the layout PyYAML writes a nested value in, the scan flags it at its real depth
    (and counts at most one more: a flow collection where a key may start)."""
    text = yaml.dump({"k": data}, default_flow_style=flow, default_style=style, indent=indent, width=width,
                     allow_unicode=True)
    depth = real_depth(yaml.compose(text, Loader=yamlsafe._ComposeLoader))
    if depth >= 1:
        assert flagged_at(text, depth - 1) is not None, text
    assert flagged_at(text, depth + 1) is None, text


# --- tags: the standard ones read as they declare, the others refused ------------------------------

@pytest.mark.parametrize(("text", "value"), [
    ("a: !!str null", Quoted("null")),
    ("a: !!str yes", Quoted("yes")),
    ("a: !!str 2026-11-18", Quoted("2026-11-18")),
    ("a: !<tag:yaml.org,2002:str> 5", Quoted("5")),
    ("a: !!int 5", "5"),
    ("a: !!float 1.5", "1.5"),
    ("a: !!bool true", "true"),
    ("a: !!timestamp 2026-11-18", "2026-11-18"),
    ("a: !!null ''", None),
    ("a: !!null ~", None),
    ("a: !!seq [x, y]", ["x", "y"]),
    ("a: !!map {x: y}", {"x": "y"}),
    ("a: !!set {x, y}", {"x": None, "y": None}),
    ("a: !!omap [x: 1, y: 2]", [{"x": "1"}, {"y": "2"}]),
    ("a: !!pairs [x: 1]", [{"x": "1"}]),
    ("a: !!binary aGk=", "aGk="),
])
def test_standard_tags_are_read_as_they_declare(text, value):
    fm = parse_yaml(text, "n.md")
    assert fm.diagnostics == []
    assert fm.data == {"a": value} and type(fm.data["a"]) is type(value)


def test_explicit_str_is_text_for_the_schema(make_notebook, cli):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: !!str 2026\n---\n",
        "notes/people/no.md": "---\nname: !!str no\n---\n",
    })
    result = cli("-C", str(root), "validate")
    assert (result.code, result.out) == (0, "2 notes checked: 0 errors, 0 warnings\n")


@pytest.mark.parametrize(("text", "message"), [
    ("a: !!str [x]", "YAML tag `!!str` does not fit a sequence"),
    ("a: !!seq x", "YAML tag `!!seq` does not fit a scalar"),
    ("a: !!map [x]", "YAML tag `!!map` does not fit a sequence"),
    ("a: !custom x", "YAML tag `!custom` is not allowed (tags are never run)"),
    ("a: !!python/name:os.system x", "YAML tag `!!python/name:os.system` is not allowed (tags are never run)"),
    ("a: !!merge x", "YAML tag `!!merge` is not allowed (tags are never run)"),
])
def test_other_tags_and_misfits_are_refused(text, message):
    fm = parse_yaml(text, "n.md", first_line=2)
    assert [(d.code, d.line, d.column, d.message) for d in fm.diagnostics] == [("yaml-tag", 2, 4, message)]
    assert fm.data == {"a": None}


@pytest.mark.parametrize("text", [
    '{\nunquoted : "separate",\nhttp://foo.com,\nomitted value:,\n}',  # 4ABK
    "foo: |-\n \tbar",  # 96NN
    "foo: |\n \t\nbar: 1",  # Y79Y
    'canonical: !!binary "\\\n R0lGODlhDAAMAIQAAP//9/X17unp5WZmZgAAAOfn515eXvPz7Y6OjuDg4J+fn5\\\n OTk6enp5w="',  # 565N
])
def test_spec_valid_yaml_that_safe_load_reads_is_read(text):
    fm = parse_yaml(text, "n.md")
    assert fm.diagnostics == [] and fm.data is not None
    assert set(fm.data) == set(yaml.safe_load(text))


# --- fuzz: yaml-test-suite-like corner cases ------------------------------------------------------

CORNERS = [
    "a: &x 1", "b: *x", "c: &y [1, *y]", "d: *nope", "<<: {a: 1}", "&a a: b", "? [a, b]\n: c", "? |\n  k\n: v",
    "e: [a, {b: c}, [d]]", "f: {a: [b, {c: d}]}", "g:\n- a\n- b: c\n  d: e", "h:\n  - - x\n    - y",
    "i: |\n  line\n   more\n", "j: >-\n  folded\n\n  text", "k: 'single\n  multi'", 'l: "dbl\\n\\t\\u00e9\n  x"',
    "m: plain\n  continued", "n: !!str 1", "o: !!int x", "p: !custom y", "q: !!python/object:os.system z",
    "r: # comment only", "# a whole comment line", "s: a #b", "t: 'it''s'", "u: ü ✓ 🙂", "v: \u0085 \u2028",
    "w: [a,\nb]", "x: {a: 1,\n  b: 2}", "y: [a: b, c]", "z: [? a : b]", "aa:\n\tb: c", "bb: |2\n   x",
    "cc: ---", "...", "---", "--- a", "%YAML 1.2", "dd: @x", "ee: `x`", "ff: [", "gg: }", "hh: 'unclosed",
    "", "   ", "-", "- a", "[a]: b", "{a: b}: c", "ii: !!binary aGk=", "jj: !!set {a, b}", "kk: ~", "ll: null",
    "mm: 2026-11-18", "nn: 12:30", "oo: 1e3", "pp: -.inf", "qq:\n  ? a\n  : b", "rr: [a, b]: c", "ss: 'a'b",
]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(CORNERS), max_size=6), st.sampled_from(["\n", "\n  ", "\n- ", " ", ", "]),
       st.sampled_from(["", "  ", "- ", "? ", "x: ", "[", "{"]))
def test_corner_cases_give_a_value_or_a_located_diagnostic(parts, joiner, prefix):
    text = prefix + joiner.join(parts)
    fm = read_note(note(text), "n.md")
    lines = sum(map(text.count, ("\n", "\x85", "\u2028", "\u2029"))) + 3  # YAML's line breaks
    assert fm.data is not None or fm.diagnostics
    for d in fm.diagnostics:
        assert d.code in CODES and 1 <= d.line <= lines and d.column >= 1, d
    try:
        loaded = yaml.safe_load(text)
    except Exception:  # noqa: BLE001 - not YAML that safe_load reads: any diagnostic will do
        return
    if isinstance(loaded, dict):  # what safe_load reads is never a syntax error here
        assert "yaml-syntax" not in [d.code for d in fm.diagnostics], fm.diagnostics
