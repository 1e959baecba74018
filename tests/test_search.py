"""`convo search`: full text with filters, ranked, never stale, rebuilt when damaged."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from convo_notes.errors import UsageError
from convo_notes.search import index_file, parse_query, search

TODAY = "2026-11-22"
NOTES = {
    "notes/people/sam.md": "---\nname: Sam Stone\nteam: true\n---\n",
    "notes/people/dana-reyes.md": "---\nname: Dana Reyes\norg: harbor\nrole: Head of Procurement\n"
                                  "tags: [client]\n---\nLikes short emails.\n",
    "notes/people/kim.md": "---\nname: Kim Nakamura\norg: harbor\n---\n",
    "notes/orgs/harbor.md": "---\nname: Harbor Logistics\nwhat: Port logistics\n---\n",
    "notes/c/2026-10-01-pricing.md": ("---\ndate: 2026-10-01\nwith: dana-reyes\nchannel: email\ntags: [pricing]\n"
                                      "commitments:\n  - {id: sla, what: Send the SLA pricing, due: 2026-10-10}\n---\n"
                                      "# Pricing call\n\nDana asked about volume tiers.\n"
                                      "The pilot plan comes later.\n"),
    "notes/c/2026-11-02-pilot.md": ("---\ndate: 2026-11-02\nwith: [dana-reyes, kim]\nchannel: meeting\n"
                                    "title: Pilot plan review\nnext: {turn: them, about: countersign}\n---\n"
                                    "Kim agreed to the pilot on terminal 4.\n"),
    "notes/c/2026-11-05-private.md": ("---\ndate: 2026-11-05\nwith: kim\nprivate: true\n---\n"
                                      "Kim mentioned a recruiter. Pilot budget is tight.\n"),
    "notes/c/2026-11-06-closing.md": ("---\ndate: 2026-11-06\nwith: dana-reyes\ncloses: [sla]\n---\n"
                                      "SLA sent.\n"),
}


@pytest.fixture
def nb(make_notebook):
    return make_notebook(NOTES)


def paths(root: Path, text: str) -> list[str]:
    return [h.path for h in search(root, text, None)[0]]  # (hits, total, errors)


def test_words_are_anded_and_prefixes_match(nb):
    assert set(paths(nb, "pilot")) == {"notes/c/2026-11-02-pilot.md", "notes/c/2026-10-01-pricing.md",
                                       "notes/c/2026-11-05-private.md"}
    assert paths(nb, "pilot terminal") == ["notes/c/2026-11-02-pilot.md"]
    assert "notes/c/2026-10-01-pricing.md" in paths(nb, "tier")  # a word starting so


def test_a_title_match_ranks_first(nb):
    assert paths(nb, "pilot")[0] == "notes/c/2026-11-02-pilot.md"
    assert paths(nb, "dana")[0] == "notes/people/dana-reyes.md"  # a person's name finds their page first


def test_phrases_and_exclusions(nb):
    assert paths(nb, '"volume tiers"') == ["notes/c/2026-10-01-pricing.md"]
    assert paths(nb, '"tiers volume"') == []
    assert set(paths(nb, "pilot -recruiter")) == {"notes/c/2026-11-02-pilot.md", "notes/c/2026-10-01-pricing.md"}
    assert "notes/c/2026-11-05-private.md" not in paths(nb, "-recruiter kind:conversation")


def test_field_filters_apply_exactly(nb):
    assert paths(nb, "with:dana channel:email") == ["notes/c/2026-10-01-pricing.md"]
    assert paths(nb, "with:Kim") == ["notes/c/2026-11-05-private.md", "notes/c/2026-11-02-pilot.md"]
    assert set(paths(nb, "org:harbor kind:conversation")) == {
        "notes/c/2026-10-01-pricing.md", "notes/c/2026-11-02-pilot.md", "notes/c/2026-11-05-private.md",
        "notes/c/2026-11-06-closing.md"}
    assert paths(nb, "tag:pricing") == ["notes/c/2026-10-01-pricing.md"]
    assert parse_query("since:-1w before:fri", dt.date(2026, 11, 10)).filters == [
        ("since", "2026-11-03"), ("before", "2026-11-13")]  # dates as people say them
    assert paths(nb, "since:2026-11-05 kind:conversation") == ["notes/c/2026-11-06-closing.md",
                                                              "notes/c/2026-11-05-private.md"]
    assert paths(nb, "before:2026-11-01 kind:conversation") == ["notes/c/2026-10-01-pricing.md"]
    assert paths(nb, "is:private") == ["notes/c/2026-11-05-private.md"]
    assert paths(nb, "has:next") == ["notes/c/2026-11-02-pilot.md"]
    assert paths(nb, "has:open-commitment") == []  # `sla` is closed by a later note
    assert paths(nb, "kind:org") == ["notes/orgs/harbor.md"]


def test_results_carry_the_line_and_an_excerpt(nb, cli):
    result = cli("-C", str(nb), "search", "recruiter", "--json")
    assert result.code == 0
    doc = json.loads(result.out)
    assert doc["total"] == 1
    (hit,) = doc["results"]
    assert hit["source"] == "notes/c/2026-11-05-private.md:6"
    assert hit["private"] is True
    assert "[recruiter]" in hit["excerpt"]


def test_text_output_and_no_match_exit_1(nb, cli):
    result = cli("-C", str(nb), "search", "volume")
    assert result.code == 0
    assert result.out.splitlines()[0] == "notes/c/2026-10-01-pricing.md:11  conversation  Pricing call  2026-10-01"
    assert result.out.splitlines()[1] == ("    # Pricing call Dana asked about [volume] tiers. "
                                          "The pilot plan comes later.")
    assert result.out.endswith("\n1 note matched\n")
    none = cli("-C", str(nb), "search", "zebra")
    assert (none.code, none.out) == (1, "No notes match 'zebra'.\n")


def test_bad_filters_are_usage_errors(nb, cli):
    bad = cli("-C", str(nb), "search", "since:2026-13-01")
    assert (bad.code, bad.err) == (2, "convo: `since:2026-13-01`: 2026-13-01 is not a real date\n")
    assert cli("-C", str(nb), "search", "since:someday").code == 2
    result = cli("-C", str(nb), "search", "is:secret")
    assert (result.code, result.err) == (2, "convo: `is:secret`: use one of is:private, is:public\n")
    with pytest.raises(UsageError):
        parse_query("with:")


def test_an_unknown_field_is_plain_text():
    query = parse_query('http:x "a b" -c d')
    assert query.terms == ["http:x", "a b", "d"] and query.excluded == ["c"] and query.filters == []


def test_the_index_is_never_stale(nb):
    assert paths(nb, "wombat") == []
    note = nb / "notes/c/2026-11-02-pilot.md"
    note.write_text(note.read_text(encoding="utf-8").replace("terminal 4", "wombat 4"), encoding="utf-8")
    assert paths(nb, "wombat") == ["notes/c/2026-11-02-pilot.md"]
    # a same-size edit with the mtime put back is still seen (the key holds ctime and inode too)
    st = note.stat()
    note.write_text(note.read_text(encoding="utf-8").replace("wombat", "koalas"), encoding="utf-8")
    os.utime(note, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert paths(nb, "koalas") == ["notes/c/2026-11-02-pilot.md"]
    note.unlink()
    assert paths(nb, "koalas") == []
    (nb / "notes/c/new.md").write_text("---\ndate: 2026-11-20\nwith: kim\n---\nKoalas again.\n", encoding="utf-8")
    assert paths(nb, "koalas") == ["notes/c/new.md"]


def test_names_follow_the_person_note(nb):
    assert paths(nb, "with:reyes") != []
    person = nb / "notes/people/dana-reyes.md"
    person.write_text(person.read_text(encoding="utf-8").replace("Dana Reyes", "Dana Moreno"), encoding="utf-8")
    assert paths(nb, "with:reyes") == []
    assert "notes/c/2026-10-01-pricing.md" in paths(nb, "with:moreno")


def test_privacy_follows_the_settings(nb):
    assert paths(nb, "is:private") == ["notes/c/2026-11-05-private.md"]
    (nb / "convo.yml").write_text("me: sam\nsite:\n  private_by_default: true\n", encoding="utf-8")
    assert len(paths(nb, "is:private")) == len(NOTES)


def test_a_damaged_index_is_rebuilt_silently(nb):
    assert paths(nb, "recruiter") == ["notes/c/2026-11-05-private.md"]
    target = index_file(nb)
    assert target is not None and target.is_file()
    target.write_bytes(b"this is not a database" * 100)
    assert paths(nb, "recruiter") == ["notes/c/2026-11-05-private.md"]


def test_every_note_grep_finds_is_found(notebook):
    """On the sample notebook, a search for a word finds every file `grep -ril` finds."""
    for word in ("pricing", "pilot", "plumbing", "grant", "dentist", "bakery", "renewal"):
        found = subprocess.run(["grep", "-ril", "--include=*.md", word, "notes"], cwd=notebook,
                               capture_output=True, text=True).stdout.split()
        # grep sees front-matter keys too; searching matches values, so compare on notes whose
        # text (not a key name) holds the word
        expected = {p for p in found if re.search(rf"(?i)\b{word}", _values_text(notebook / p))}
        assert expected <= set(paths(notebook, word)), word


def _values_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return re.sub(r"(?m)^\s*-?\s*[a-z_]+:", " ", text)


def test_warm_search_reads_no_note(nb, monkeypatch):
    paths(nb, "pilot")
    from convo_notes import search as module

    def refuse(*args, **kwargs):
        raise AssertionError("the notebook was loaded although nothing changed")

    monkeypatch.setattr(module, "load_notebook", refuse)
    assert paths(nb, "pilot")  # answered from the index alone
    time.sleep(0)


def test_completion_offers_filters_and_slugs(nb, monkeypatch):
    import click

    from convo_notes.cli import cli as group
    from convo_notes.cli.find import complete_query

    monkeypatch.setenv("CONVO_NOTEBOOK", str(nb))
    ctx = click.Context(group)
    assert [i.value for i in complete_query(ctx, None, "wi")] == ["with:"]  # type: ignore[arg-type]
    assert [i.value for i in complete_query(ctx, None, "with:da")] == ["with:dana-reyes"]  # type: ignore[arg-type]
    assert [i.value for i in complete_query(ctx, None, "is:p")] == ["is:private", "is:public"]  # type: ignore[arg-type]
    assert [i.value for i in complete_query(ctx, None, "org:")] == ["org:harbor"]  # type: ignore[arg-type]
