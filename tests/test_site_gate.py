"""Privacy that cannot leak (issue 12): links decided on the parsed document, doubtful privacy values,
the leak gate before publishing, serve's 404s (in test_site_serve.py) and no third-party requests.

Every build here is a real `convo site build` (real MkDocs); every check reads every output byte.
"""

from __future__ import annotations

import hashlib
import html.parser
import os
import re
import textwrap
from pathlib import Path

import markdown
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import run_cli, write_notebook

MARKER = "zqxmark"
TODAY = "2026-01-08"


def _outputs(out: Path) -> dict[str, bytes]:
    """Every output file's bytes (gzip files decompressed)."""
    import gzip

    found = {}
    for path in sorted(out.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found[path.relative_to(out).as_posix()] = gzip.decompress(data) if path.suffix == ".gz" else data
    return found


def _leaks(out: Path) -> list[str]:
    return [name for name, data in _outputs(out).items()
            if MARKER in data.decode("utf-8", "replace").casefold() or MARKER in name.casefold()]


def _digest(out: Path) -> str:
    digest = hashlib.sha256()
    for name, data in _outputs(out).items():
        digest.update(name.encode() + b"\0" + data)
    return digest.hexdigest()


def _build(root: Path, out: Path, *extra: str):
    return run_cli("-C", str(root), "--today", TODAY, "site", "build", "-d", str(out), *extra)


PRIVATE = {
    "notes/people/sam.md": "---\nname: Sam Public\n---\n",
    "notes/people/dana.md": "---\nname: Dana Public\n---\nDana is public.\n",
    "notes/people/zqxmark-person.md": "---\nname: Zqxmark Person\naliases: [Zqxmarky]\nprivate: true\n---\n",
    "notes/orgs/zqxmark-org.md": "---\nname: Zqxmark Org\nprivate: true\n---\n",
    "notes/2026/2026-01-01-zqxmark-secret-talk.md":
        "---\ntitle: Zqxmark secret talk\ndate: 2026-01-01\nwith: dana\nprivate: true\n---\nSecret.\n",
    "notes/2026/files/zqxmark-file.pdf": b"%PDF zqxmark",
    "notes/2026/files/plan.pdf": b"%PDF public plan",
}


def _conv(slug: str, title: str, line: str) -> str:
    return f"---\ntitle: {title}\ndate: {slug[:10]}\nwith: dana\n{line}\n---\n"


# Every doubtful privacy value: each note is private for the site and an error in `validate`.
DOUBTFUL = {
    "notes/2026/2026-01-02-zqxmark-empty.md": _conv("2026-01-02", "Zqxmark empty", "private:"),
    "notes/2026/2026-01-03-zqxmark-tilde.md": _conv("2026-01-03", "Zqxmark tilde", "private: ~"),
    "notes/2026/2026-01-04-zqxmark-null.md": _conv("2026-01-04", "Zqxmark null", "private: null"),
    "notes/2026/2026-01-05-zqxmark-upper.md": _conv("2026-01-05", "Zqxmark upper", "Private: true"),
    "notes/2026/2026-01-06-zqxmark-swap.md": _conv("2026-01-06", "Zqxmark swap", "privtae: true"),
    "notes/people/zqxmark-short.md": "---\nname: Zqxmark Short\nprivat: false\n---\n",
    "notes/orgs/zqxmark-typo-org.md": "---\nname: Zqxmark Typo Org\npivate: yes\n---\n",
    "notes/2026/2026-01-07-zqxmark-quoted.md": _conv("2026-01-07", "Zqxmark quoted", 'private: "false"'),
}

# The issue's routes: link shapes the old line-based rewriter missed, each pointing at a private note.
ROUTES = """\
Priya asked about the advisor I met; I said see [the advisor's
card](../people/zqxmark-person.md) later, and the [off the
record call](2026-01-01-zqxmark-secret-talk.md).

A [label with [brackets] inside](2026-01-01-zqxmark-secret-talk.md) and ![a
picture](2026-01-01-zqxmark-secret-talk.md "a title").

> A quote with [a link that
> wraps](../people/zqxmark-person.md) and [[zqxmark-person]] and [[zqxmark-org|the org]].

- an item with [a reference][secret] and [another one][]
  and a [shortcut]

  [secret]: 2026-01-01-zqxmark-secret-talk.md
  [another one]:
      <../orgs/zqxmark-org.md> "titled"

[shortcut]:
  ./2026-01-01-zqxmark-secret-talk.md#part

[Angle <brackets>](<2026-01-01-zqxmark-secret%74alk.md>) and [query](2026-01-01-zqxmark-secret-talk.md?x=1)
and [empty private](2026-01-02-zqxmark-empty.md), [tilde](2026-01-03-zqxmark-tilde.md),
[upper](2026-01-05-zqxmark-upper.md), [swap](2026-01-06-zqxmark-swap.md), [file](../people/zqxmark-short.md).

A footnote[^n] and [attr](2026-01-10-public.md){: href="2026-01-01-zqxmark-secret-talk.md" }.

[^n]: The footnote links [the secret](2026-01-01-zqxmark-secret-talk.md) and [Dana](../people/dana.md).

Public ones work: [Dana](../people/dana.md), [[dana]], [the plan](files/plan.pdf).
"""


def _routes_notebook(root: Path) -> Path:
    files = {**PRIVATE, **DOUBTFUL,
             "notes/2026/2026-01-10-public.md": "---\ntitle: Public talk\ndate: 2026-01-10\nwith: dana\n---\n"
                                                + ROUTES,
             "mkdocs.yml": "site_name: Team\ntheme:\n  name: material\nmarkdown_extensions:\n  - toc\n"
                           "  - attr_list\n  - footnotes\n"}
    return write_notebook(root, files)


@pytest.fixture(scope="module")
def routes_build(tmp_path_factory: pytest.TempPathFactory):
    root = _routes_notebook(tmp_path_factory.mktemp("routes") / "nb")
    out = root.parent / "out"
    return root, out, _build(root, out, "--no-strict")


def test_routes_links_to_private_notes_keep_only_their_label(routes_build):
    root, out, result = routes_build
    assert result.code == 1, result.err  # built, then exit 1: the doubtful privacy values are errors
    assert "leak gate" not in result.err
    assert _leaks(out) == []
    assert MARKER not in (result.out + result.err).casefold()
    page = (out / "conversations/2026-01-10-public/index.html").read_text("utf-8")
    assert "the advisor's\ncard later, and the off the\nrecord call." in page
    assert "label with [brackets] inside" in page
    assert "A quote with a link that\nwraps and someone (private) and someone (private)" in page
    assert "an item with a reference and another one\n  and a shortcut</li>" in page
    assert "Angle &lt;brackets&gt; and query\nand empty private, tilde,\nupper, swap, file.</p>" in page
    assert 'href="../../people/dana/">Dana</a>, <a href="../../people/dana/">Dana Public</a>' in page
    assert 'href="../../attachments/2026/files/plan.pdf">the plan</a>' in page
    assert (out / "attachments/2026/files/plan.pdf").is_file()
    # The footnote's own links are decided too; the attr_list href cannot override the decision.
    assert 'The footnote links the secret and <a href="../../people/dana/">Dana</a>' in page
    assert "</sup> and attr.</p>" in page


def test_doubtful_privacy_values_are_errors_with_their_place(routes_build):
    root, _out, _result = routes_build
    result = run_cli("-C", str(root), "validate")
    lines = [line for line in result.out.splitlines() if "private" in line]
    assert lines == [
        "notes/2026/2026-01-02-zqxmark-empty.md:5:1: error[empty-private]: `private` has no value (empty, `~` or "
        "`null`): the note is kept off the site until this is written `private: true` or `private: false`",
        "notes/2026/2026-01-03-zqxmark-tilde.md:5:1: error[empty-private]: `private` has no value (empty, `~` or "
        "`null`): the note is kept off the site until this is written `private: true` or `private: false`",
        "notes/2026/2026-01-04-zqxmark-null.md:5:1: error[empty-private]: `private` has no value (empty, `~` or "
        "`null`): the note is kept off the site until this is written `private: true` or `private: false`",
        "notes/2026/2026-01-05-zqxmark-upper.md:5:1: error[misspelled-private]: `Private` is not `private`: the "
        "note is kept off the site until this is written `private: true` or `private: false`",
        "notes/2026/2026-01-06-zqxmark-swap.md:5:1: error[misspelled-private]: `privtae` is not `private`: the "
        "note is kept off the site until this is written `private: true` or `private: false`",
        "notes/2026/2026-01-07-zqxmark-quoted.md:5:10: error[bad-boolean]: `private` must be `true` or `false`, "
        "not `false`",
        "notes/orgs/zqxmark-typo-org.md:3:1: error[misspelled-private]: `pivate` is not `private`: the note is "
        "kept off the site until this is written `private: true` or `private: false`",
        "notes/people/zqxmark-short.md:3:1: error[misspelled-private]: `privat` is not `private`: the note is "
        "kept off the site until this is written `private: true` or `private: false`",
    ]
    assert result.code == 1


def test_near_miss_rule_spares_other_fields():
    from convo_notes.schema import looks_like_private

    for key in ("Private", "PRIVATE", "privtae", "privat", "pivate", "privte", "private_", "Privat e"):
        assert looks_like_private(key), key
    for key in ("private", "priority", "title", "tags", "pricing", "provider", "derivative"):
        assert not looks_like_private(key), key


def test_build_summary_counts_left_out_notes(routes_build):
    _root, _out, result = routes_build
    assert result.out.splitlines()[1:] == [
        "Left out 3 private notes.",
        "Left out 8 notes whose privacy value is doubtful (empty, not `true` or `false`, or a misspelt "
        "`private`; run `convo validate` for details).",
    ]


# --------------------------------------------------------------------------- the gate


def _gate_notebook(root: Path, body: str) -> Path:
    return write_notebook(root, {**PRIVATE, "notes/2026/2026-01-10-public.md":
                                 "---\ntitle: Public talk\ndate: 2026-01-10\nwith: dana\n---\n" + body})


def test_gate_refuses_a_site_that_names_a_private_note_and_keeps_the_previous_one(tmp_path):
    root = _gate_notebook(tmp_path / "nb", "Nothing secret.\n")
    out = tmp_path / "site"
    first = _build(root, out)
    assert first.code == 0, first.err
    before = _digest(out)
    # The author writes a private note's name in a public note's body and its slug in a code block.
    (root / "notes/2026/2026-01-10-public.md").write_text(
        "---\ntitle: Public talk\ndate: 2026-01-10\nwith: dana\n---\nMet Zqxmark Person.\n\n"
        "    2026-01-01-zqxmark-secret-talk.md\n", "utf-8")
    second = _build(root, out)
    assert second.code == 1
    assert second.err.splitlines()[-1] == (
        "convo: leak gate: 2 output files would name a private or unreadable note: "
        "conversations/2026-01-10-public/index.html, search/search_index.json; nothing was published (the "
        "previous site is untouched). Run `convo validate`, and look for links, names or titles of private "
        "notes in the public notes that make these pages")
    assert MARKER not in (second.out + second.err).casefold()
    assert _digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nb", "site"]  # no half-built folder left


def test_a_failing_build_keeps_the_previous_site(tmp_path):
    root = _gate_notebook(tmp_path / "nb", "See [Dana](../people/dana.md#no-such-part).\n")
    out = tmp_path / "site"
    assert _build(root, out).code == 0
    before = _digest(out)
    (root / "mkdocs.yml").write_text("site_name: Team\nstrict: true\nvalidation:\n  anchors: warn\n"
                                     "theme:\n  name: material\n", "utf-8")
    failed = _build(root, out)
    assert failed.code == 1
    assert "no-such-part" in failed.err  # MkDocs' warning is shown: it names a public page only
    assert _digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nb", "site"]


def test_gate_report_never_names_a_token():
    from convo_notes.site.gate import Scanner, refuse

    message = refuse(["people/zqxmark-person/index.html", "index.html", "zqxmark-person.txt"],
                     Scanner(["zqxmark-person"])).message
    assert MARKER not in message
    assert message.startswith("leak gate: 3 output files would name a private or unreadable note: (a file whose "
                              "path names a left-out note, under people/), index.html, (a file whose path names "
                              "a left-out note); nothing was published")


def test_gate_tokens_skip_common_words_and_public_values(tmp_path):
    from convo_notes.loader import load_notebook
    from convo_notes.site.gate import private_tokens
    from convo_notes.site.public import public_view

    root = write_notebook(tmp_path / "nb", {
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/dana-reyes.md": "---\nname: Dana Reyes\n---\n",
        "notes/people/dana.md": "---\nname: Dana\naliases: [Notes, Kim Lee-Park]\nprivate: true\n---\n",
        "notes/2026/2026-01-01-call.md": "---\ntitle: Call\ndate: 2026-01-01\nwith: sam\nprivate: true\n---\n",
        "notes/2026/2026-01-02-pilot.md": "---\ntitle: Harbor pilot review\ndate: 2026-01-02\nwith: sam\n"
                                          "private: true\n---\n",
        "notes/2026/2026-01-03-public.md": "---\ntitle: Public\ndate: 2026-01-03\nwith: dana-reyes\n---\n",
        "notes/2026/2026-01-04-dana-call.md": "---\ntitle: Call with Dana Reyes\ndate: 2026-01-04\nwith: sam\n"
                                              "private: true\n---\n",
    })
    nb = load_notebook(root)
    assert private_tokens(nb, public_view(nb)) == {
        "kim lee-park", "2026-01-01-call", "harbor pilot review", "2026-01-02-pilot", "2026-01-04-dana-call"}
    # `dana` is in the public value `Dana Reyes`; `Notes` and `Call` are common words; "Call with Dana
    # Reyes" holds only common words and words of public values.


# --------------------------------------------------------------------------- the property


_WORDS = st.sampled_from(["alpha", "beta", "gamma", "delta", "kappa", "omega", "sigma", "theta"])
_TARGETS = st.sampled_from([
    "2026-01-01-zqxmark-secret-talk.md", "./2026-01-01-zqxmark-secret-talk.md",
    "../2026/2026-01-01-zqxmark-secret-talk.md", "../people/zqxmark-person.md", "../orgs/zqxmark-org.md",
    "2026-01-01-zqxmark-secret-talk.md#part", "2026-01-01-zqxmark-secret%2Dtalk.md", "../2026/files/../x.md",
    "../people/zqxmark-person.md?x=1", "2026-01-01-zqxmark-secret-talk.md#zqxmark",
])


@st.composite
def _link(draw: st.DrawFn) -> tuple[str, str]:
    """One link to a private note in a random Markdown shape: (inline text, reference definitions)."""
    words = draw(st.lists(_WORDS, min_size=1, max_size=4))
    if draw(st.booleans()) and len(words) > 1:
        words.insert(draw(st.integers(1, len(words) - 1)), "\n")  # hard-wrapped label
    label = " ".join(words).replace(" \n ", "\n")
    if draw(st.booleans()):
        label = f"*{label}*" if draw(st.booleans()) else f"{label} [{draw(_WORDS)}]"
    url = draw(_TARGETS)
    title = draw(st.sampled_from(["", ' "a title"', " 'single'", " (parens)"]))
    dest = f"<{url}>" if draw(st.booleans()) else url
    bang = "!" if draw(st.integers(0, 5)) == 0 else ""
    shape = draw(st.sampled_from(["inline", "full", "collapsed", "shortcut", "wiki", "wiki-label"]))
    if shape == "inline":
        return f"{bang}[{label}]({dest}{title})", ""
    if shape.startswith("wiki"):
        slug = draw(st.sampled_from(["zqxmark-person", "zqxmark-org", "2026-01-01-zqxmark-secret-talk"]))
        return (f"[[{slug}|{draw(_WORDS)}]]" if shape == "wiki-label" else f"[[{slug}]]"), ""
    ref = f"{draw(_WORDS)}{draw(st.integers(0, 99))}"
    sep = draw(st.sampled_from([" ", "\n  ", "\n    "]))
    indent = draw(st.sampled_from(["", " ", "   "]))
    definition = f"{indent}[{ref}]:{sep}{dest}{title}"
    if shape == "full":
        return f"{bang}[{label}][{ref}]", definition
    if shape == "collapsed":
        return f"{bang}[{ref}][]", definition
    return f"{bang}[{ref}]", definition


@st.composite
def _body(draw: st.DrawFn) -> str:
    blocks = []
    definitions = []
    for _ in range(draw(st.integers(1, 4))):
        links = draw(st.lists(_link(), min_size=1, max_size=3))
        text = " and ".join(inline for inline, _ in links)
        definitions.extend(d for _, d in links if d)
        container = draw(st.sampled_from(["para", "quote", "list", "nested"]))
        if container == "quote":
            text = "\n".join("> " + line for line in text.split("\n"))
        elif container == "list":
            text = "- " + text.replace("\n", "\n  ")
        elif container == "nested":
            text = "- item\n\n    > " + text.replace("\n", "\n    > ")
        blocks.append(text)
    where = draw(st.sampled_from(["end", "list"]))
    if where == "list" and definitions:
        blocks.append("- defs\n\n" + "\n".join("  " + d.replace("\n", "\n  ") for d in definitions))
    else:
        blocks.extend(definitions)
    return "\n\n".join(blocks) + "\n"


_TAG = re.compile(r"<[^>]*>")


def _shows_marker_as_text(body: str) -> bool:
    """The oracle: whether plain Python-Markdown shows a private token as *text* for this body (a shape
    it does not read as a link); links' destinations and titles are not text."""
    plain = re.sub(r"\[\[([^\]|]+)(?:\|([^\]]*))?\]\]", lambda m: m.group(2) or "someone", body)
    rendered = markdown.markdown(plain, extensions=["toc", "tables", "admonition", "attr_list"])
    return MARKER in _TAG.sub("", rendered).casefold()


# Each example is a whole site build: few examples, each with several notes, and no shrinking (the
# failing example is printed as drawn).
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(bodies=st.lists(_body(), min_size=3, max_size=6))
def test_property_no_private_token_in_any_output_byte(tmp_path_factory, bodies):
    files = dict(PRIVATE)
    for i, body in enumerate(bodies):
        files[f"notes/2026/2026-02-{i + 10:02d}-public-{i}.md"] = \
            f"---\ntitle: Public {i}\ndate: 2026-02-{i + 10:02d}\nwith: dana\n---\n{body}"
    root = tmp_path_factory.mktemp("prop") / "nb"
    for rel, text in files.items():  # bodies are written as they are (not dedented)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    (root / "convo.yml").write_text("me: sam\n", "utf-8")
    out = root.parent / "out"
    result = _build(root, out, "--no-strict")
    assert MARKER not in (result.out + result.err).casefold()
    if any(_shows_marker_as_text(body) for body in bodies):
        # Not a link to Python-Markdown: the author's text names the note, and the gate refuses it.
        assert result.code == 1 and "leak gate" in result.err, result.err
        assert not out.exists()
    else:
        assert result.code == 0, result.err
        assert _leaks(out) == []


# --------------------------------------------------------------------------- unchanged Markdown


UNCHANGED = """\
A [wiki link](https://en.wikipedia.org/wiki/Foo_(bar)) with balanced parentheses, and
[another (one)](https://example.com/a_(b)_c?d=(e)) too; a footnote[^1] and a second[^two].

[^1]: The footnote.
[^two]: Another footnote with *emphasis* and [a link](https://example.com/(x)).

Code keeps every byte: `[span](../people/zqxmark-person.md)` and `[[zqxmark-person]]`.

    indented [code](../people/zqxmark-person.md) and [[zqxmark-person]]
    [ref]: ../people/zqxmark-person.md

```
fenced [code](2026-01-01-zqxmark-secret-talk.md)
[ref]: 2026-01-01-zqxmark-secret-talk.md
```

| a | b |
|---|---|
| [x](https://example.com/(y)) | `[z](w.md)` |
"""
EXTENSIONS = ["toc", "tables", "attr_list", "footnotes", "fenced_code"]


def test_markdown_renders_as_plain_python_markdown_renders_it(tmp_path):
    """Footnotes, code and parenthesised URLs: our page holds exactly what plain Python-Markdown makes.

    (The code here names a private note on purpose: code is never altered, so the gate refuses the site,
    and the staged page is checked through `--staging` with the gate's verdict asserted.)"""
    root = write_notebook(tmp_path / "nb", {
        **PRIVATE,
        "notes/2026/2026-01-10-public.md": "---\ntitle: Public talk\ndate: 2026-01-10\nwith: dana\n---\n",
        "mkdocs.yml": "site_name: Team\ntheme:\n  name: material\nmarkdown_extensions:\n"
                      + "".join(f"  - {e}\n" for e in EXTENSIONS),
    })
    note = root / "notes/2026/2026-01-10-public.md"
    note.write_text(note.read_text("utf-8") + UNCHANGED, "utf-8")
    refused = _build(root, tmp_path / "refused")
    assert refused.code == 1 and "leak gate" in refused.err
    # The same text with the private names replaced by public ones builds, and renders unchanged.
    public_text = UNCHANGED.replace("zqxmark-person", "dana").replace("2026-01-01-zqxmark-secret-talk", "plan")
    note.write_text("---\ntitle: Public talk\ndate: 2026-01-10\nwith: dana\n---\n" + public_text, "utf-8")
    out = tmp_path / "out"
    result = _build(root, out)
    assert result.code == 0, result.err
    page = (out / "conversations/2026-01-10-public/index.html").read_text("utf-8")
    plain = markdown.markdown(public_text, extensions=EXTENSIONS)
    blocks = [b for b in re.split(r"\n(?=<(?:p|pre|table|div)\b)", plain) if b.strip()]
    assert len(blocks) >= 6
    for block in blocks:
        assert block.strip() in page, block


# --------------------------------------------------------------------------- no third-party requests


class _Refs(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "link" and values.get("href"):
            self.urls.append(values["href"] or "")
        if tag == "script" and values.get("src"):
            self.urls.append(values["src"] or "")
        if values.get("style"):
            self.urls.extend(re.findall(r"url\(\s*['\"]?([^'\")]+)", values["style"] or ""))

    def handle_data(self, data: str) -> None:
        self.urls.extend(re.findall(r"@import\s+(?:url\()?\s*['\"]?([^'\");\s]+)", data))
        self.urls.extend(re.findall(r"url\(\s*['\"]?([^'\")]+)", data))


def _external(url: str) -> bool:
    return bool(re.match(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:)?//", url.strip()))


@pytest.mark.parametrize("own_config", [True, False], ids=["sample-mkdocs-yml", "built-in-config"])
def test_no_built_page_fetches_from_another_host(notebook, tmp_path, own_config):
    import shutil

    if own_config:
        shutil.copy(Path(__file__).resolve().parents[1] / "mkdocs.yml", notebook / "mkdocs.yml")
    out = tmp_path / "out"
    result = run_cli("-C", str(notebook), "--today", "2026-11-22", "site", "build", "-d", str(out))
    assert result.code == 0, result.err
    external = set()
    for path in out.rglob("*"):
        if path.suffix in (".html", ".css"):
            text = path.read_text("utf-8", errors="replace")
            refs = _Refs()
            refs.feed(text if path.suffix == ".html" else f"<style>{text}</style>")
            external.update(url for url in refs.urls if _external(url))
            for needle in ("https://fonts.", "googleapis", "jsdelivr", "unpkg", "cdnjs"):
                assert needle not in text, (path, needle)
    assert external == set()


def test_issue_route_on_the_sample_notebook(notebook, tmp_path):
    """The issue's reproduction, verbatim, on a copy of the sample notebook."""
    note = notebook / "notes/conversations/2026/2026-11-16-pipeline-review.md"
    note.write_text(note.read_text("utf-8") + textwrap.dedent("""
        Priya asked about the advisor I met; I said see [the advisor's
        card](../../people/vesna-marlowe.md) later, and the [off the
        record call](2026-10-21-off-the-record-danas-next-move.md).
        """), "utf-8")
    out = tmp_path / "OUT"
    result = run_cli("-C", str(notebook), "--today", "2026-11-22", "site", "build", "--no-strict", "-d", str(out))
    assert result.code == 0, result.err
    page = (out / "conversations/2026-11-16-pipeline-review/index.html").read_text("utf-8")
    assert "I said see the advisor's\ncard later, and the off the\nrecord call." in page
    for path in out.rglob("*"):
        if path.is_file() and path.suffix != ".gz":
            data = path.read_text("utf-8", errors="replace").casefold()
            assert "vesna" not in data and "off-the-record" not in data, path


def test_a_link_to_a_note_file_under_another_name_is_never_copied(make_notebook, tmp_path):
    """A symlink or hard link to a (private) note's own file, linked as an attachment, is not published."""
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\n---\n",
        "notes/people/dana.md": "---\nname: Dana\n---\n",
        "notes/c/secret.md": "---\ndate: 2026-11-01\nwith: dana\nprivate: true\ntitle: Call with Dana\n---\n"
                             "QUOKKASECRET plans.\n",
        "notes/c/public.md": ("---\ndate: 2026-11-02\nwith: dana\n---\n"
                              "See [a](../files/a.txt) and [b](../files/b.txt).\n"),
    })
    (root / "notes/files").mkdir()
    os.symlink("../c/secret.md", root / "notes/files/a.txt")
    os.link(root / "notes/c/secret.md", root / "notes/files/b.txt")
    out = tmp_path / "out"
    result = _build(root, out)
    assert result.code == 0, result.err
    for path in out.rglob("*"):
        if path.is_file() and not path.name.endswith(".gz"):
            assert b"QUOKKASECRET" not in path.read_bytes(), path
    assert not (out / "attachments").exists()


def test_public_text_is_every_value_of_a_record_and_never_where_it_lives():
    """Records are named tuples: the gate reads their values field by field (nested records too),
    leaving out the fields that say where a note lives (`path`, `root`, body `links`, `sort_key`)."""
    import datetime as dt

    from convo_notes.dates import Duration
    from convo_notes.model import Commitment, Conversation, NextTurn, Person, Referral
    from convo_notes.site import gate

    where = "notes/conversations/zqx-where-it-lives.md"
    conv = Conversation(
        slug="talk-one", path=where, date=dt.date(2026, 1, 2), time=None, with_=("ann-lee",), title="Roof repair",
        next=NextTurn("me", None, "the quote for slate", 4),
        commitments=(Commitment("send the slate quote", "me", "ann-lee", None, None, "c1", where, 0, 6),),
        referrals=(Referral("bo-roofer", ("roofing",), "ann-lee", "me", "fast and tidy", where, 0, 9),),
        root="/home/zqx-root-folder", links=(("zqx-linked-note", 3, 4),), sort_key=(1, 2, where))
    texts = set(gate._texts(conv))
    assert {"talk-one", "Roof repair", "ann-lee", "me", "the quote for slate", "send the slate quote", "c1",
            "bo-roofer", "roofing", "fast and tidy"} <= texts
    assert not [t for t in texts if "zqx" in t], texts
    person = Person("ann-lee", "notes/people/zqx-ann.md", "Ann Lee", cadence=Duration(2, "w"), root="/zqx")
    assert set(gate._texts(person)) == {"ann-lee", "Ann Lee", "w"}
