"""`convo site build` after some notes changed: only their pages are rendered again, the site is the
one a full build makes, and the leak gate still vouches for every byte (real MkDocs, real files)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import pytest

from conftest import REPO, SAMPLE_PRIVATE_WORDS
from convo_notes.errors import SiteError
from convo_notes.loader import load_notebook
from convo_notes.site import buildstate, rebuild
from convo_notes.site.build import BuildReport, build_site

TODAY = dt.date(2026, 11, 22)
RETRO = "notes/conversations/2026/2026-09-28-q3-team-retro.md"


def _settle(root: Path, *paths: Path) -> None:
    """Put the mtime of these notes (all by default) a minute back and wait out the ctime's racy
    window, as an editor's save a moment before the command (see ``convo_notes.cache.records.racy``)."""
    back = time.time() - 60
    for path in paths or tuple((root / "notes").rglob("*.md")):
        os.utime(path, (back, back))
    time.sleep(0.25)


def _build(root: Path, out: Path, today: dt.date = TODAY, full: bool = False) -> BuildReport:
    loaded = time.time_ns()
    return build_site(load_notebook(root), today, out, full=full, loaded_ns=loaded)


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    _settle(root, path)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    root = tmp_path / "nb"
    shutil.copytree(REPO / "notes", root / "notes")
    shutil.copytree(REPO / "site_templates", root / "site_templates")
    shutil.copy(REPO / "convo.yml", root / "convo.yml")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    _settle(root)
    return root


def _same_as_full(root: Path, out: Path, tmp_path: Path) -> None:
    """The incremental site holds the very bytes a full build of the same notes gives."""
    fresh = tmp_path / "full"
    shutil.rmtree(fresh, ignore_errors=True)
    report = _build(root, fresh, full=True)
    assert not report.incremental
    assert _files(out) == _files(fresh)


def test_body_edit_renders_one_page_and_gives_the_full_builds_bytes(sample, tmp_path):
    out = tmp_path / "site"
    first = _build(sample, out)
    assert (first.incremental, first.full_reason) == (False, "no previous build to update")
    _edit(sample, RETRO, "- Change: every client", "- Also: a new line in the body.\n- Change: every client")
    report = _build(sample, out)
    assert (report.full_reason, report.incremental, report.rendered, report.pages) == ("", True, 1, first.pages)
    assert "a new line in the body" in (out / "conversations/2026-09-28-q3-team-retro/index.html").read_text()
    assert "a new line in the body" in (out / "search/search_index.json").read_text()
    _same_as_full(sample, out, tmp_path)


def test_front_matter_edits_and_new_and_removed_notes(sample, tmp_path):
    out = tmp_path / "site"
    _build(sample, out)
    _edit(sample, RETRO, "tags: [team]", "tags: [team, retro-zzq]")  # a new tag: a new page, several others
    report = _build(sample, out)
    assert report.incremental and report.rendered > 2
    assert (out / "tags/retro-zzq/index.html").is_file()
    _same_as_full(sample, out, tmp_path)

    new = sample / "notes/conversations/2026/2026-11-20-a-new-call.md"
    new.write_text("---\ndate: 2026-11-20\nwith: priya-natarajan\ntitle: A new call\n---\nHello.\n",
                   encoding="utf-8")
    _settle(sample, new)
    assert _build(sample, out).incremental
    assert (out / "conversations/2026-11-20-a-new-call/index.html").is_file()
    _same_as_full(sample, out, tmp_path)

    new.unlink()
    report = _build(sample, out)
    assert report.incremental
    assert not (out / "conversations/2026-11-20-a-new-call").exists()
    _same_as_full(sample, out, tmp_path)


def test_a_note_made_private_leaves_the_site(sample, tmp_path):
    out = tmp_path / "site"
    _build(sample, out)
    page = out / "conversations/2026-09-28-q3-team-retro/index.html"
    assert page.is_file()
    _edit(sample, RETRO, "recorded_by: sam-okafor", "recorded_by: sam-okafor\nprivate: true")
    report = _build(sample, out)
    assert not report.incremental  # the notes left out changed: every page again
    assert not page.exists()
    assert "Q3 team retro" not in (out / "search/search_index.json").read_text()
    _same_as_full(sample, out, tmp_path)


@pytest.mark.parametrize("how", ["edited", "edited, mtime put back", "added"])
def test_a_planted_leak_in_a_kept_page_is_never_published(sample, tmp_path, how):
    out = tmp_path / "site"
    _build(sample, out)
    kept = out / "people/dana-reyes/index.html"
    st = kept.stat()
    if how == "added":
        (out / "people/planted.html").write_text("<p>Vesna Marlowe</p>", encoding="utf-8")
    else:
        kept.write_bytes(kept.read_bytes().replace(b"</body>", b"<p>Vesna Marlowe</p></body>"))
    if how == "edited, mtime put back":  # the ctime still tells
        os.utime(kept, ns=(st.st_atime_ns, st.st_mtime_ns))
    _edit(sample, RETRO, "- Change: every client", "- Also: more.\n- Change: every client")
    report = _build(sample, out)
    assert (report.incremental, report.full_reason) == (False, "the site folder changed since the last build")
    for rel, data in _files(out).items():
        assert not any(word.encode() in data for word in SAMPLE_PRIVATE_WORDS), rel


def test_a_leak_in_a_changed_page_is_refused_and_the_site_kept(sample, tmp_path):
    out = tmp_path / "site"
    _build(sample, out)
    before = _files(out)
    _edit(sample, RETRO, "- Change: every client", "- Also: Vesna Marlowe called.\n- Change: every client")
    with pytest.raises(SiteError, match="leak gate: 2 output files would name a private or unreadable note: "
                                        "conversations/2026-09-28-q3-team-retro/index.html, search/search_index.json;"):
        _build(sample, out)
    assert _files(out) == before
    _edit(sample, RETRO, "- Also: Vesna Marlowe called.\n", "")
    report = _build(sample, out)
    assert report.incremental  # the state still describes the site as it is
    assert _files(out) == before


def test_a_damaged_state_gives_a_full_build(sample, tmp_path):
    out = tmp_path / "site"
    _build(sample, out)
    path = buildstate.state_file(sample, out)
    assert path is not None and path.is_file()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] + b"\0" * 100 + data[len(data) // 2 + 100:])
    _edit(sample, RETRO, "- Change: every client", "- Also: more.\n- Change: every client")
    report = _build(sample, out)
    assert (report.incremental, report.full_reason) == (False, "no previous build to update")
    _same_as_full(sample, out, tmp_path)
    assert _build(sample, out).incremental  # a new state was kept


@pytest.mark.parametrize("change", ["mkdocs.yml", "template", "today"])
def test_configuration_templates_or_date_give_a_full_build(sample, tmp_path, change):
    out = tmp_path / "site"
    _build(sample, out)
    today = TODAY
    if change == "mkdocs.yml":
        with open(sample / "mkdocs.yml", "a", encoding="utf-8") as fh:
            fh.write("copyright: Zzq team\n")
    elif change == "template":
        shutil.copy(REPO / "src/convo_notes/site_templates/tag.md.j2", sample / "site_templates/tag.md.j2")
        with open(sample / "site_templates/tag.md.j2", "a", encoding="utf-8") as fh:
            fh.write("\nZzq footer\n")
    else:
        today = TODAY + dt.timedelta(days=1)  # "3 days ago" on the dashboard and the cards
    report = _build(sample, out, today)
    assert (report.incremental, report.full_reason) == \
        (False, "the configuration, templates, date or code changed")


def test_no_change_renders_nothing(sample, tmp_path):
    out = tmp_path / "site"
    _build(sample, out)
    before = {p: p.stat().st_ino for p in out.rglob("*") if p.is_file()}
    report = _build(sample, out)
    assert (report.incremental, report.rendered) == (True, 0)
    assert {p: p.stat().st_ino for p in out.rglob("*") if p.is_file()} == before


def test_full_flag_and_summary(sample, tmp_path, cli, monkeypatch):
    out = tmp_path / "site"
    args = ("-C", str(sample), "--today", "2026-11-22", "site", "build", "-d", str(out))
    monkeypatch.setattr(rebuild, "IMPORTED_NS", time.time_ns())  # as a new command process would
    assert cli(*args).code == 0
    _edit(sample, RETRO, "- Change: every client", "- Also: more.\n- Change: every client")
    monkeypatch.setattr(rebuild, "IMPORTED_NS", time.time_ns())
    again = cli(*args)
    assert again.code == 0, again.err
    assert again.out.splitlines()[-1] == \
        "Updated the previous build: rendered 1 page again (`--full` renders every page)."
    monkeypatch.setattr(rebuild, "IMPORTED_NS", time.time_ns())
    full = cli(*args, "--full")
    assert full.code == 0
    assert "Updated" not in full.out


def test_a_page_linking_to_a_retitled_or_removed_note_is_rendered_again(sample, tmp_path):
    """A body's ``[[link]]`` shows the linked note's title in HTML its own Markdown does not hold: when that
    note is retitled or removed, the linking page is rendered again (found by a privacy review: a title
    removed because it said too much stayed on the pages linking to it)."""
    out = tmp_path / "site"
    _edit(sample, RETRO, "- Change: every client", "See [[2026-06-09-harbor-renewal-kickoff]].\n- Change: every client")
    _build(sample, out)
    retro_page = out / "conversations/2026-09-28-q3-team-retro/index.html"
    old_title = "Harbor renewal kickoff"
    assert old_title in retro_page.read_text()
    kickoff = "notes/conversations/2026/2026-06-09-harbor-renewal-kickoff.md"
    _edit(sample, kickoff, "title: Harbor renewal kickoff", "title: Harbor renewal, first meeting")
    report = _build(sample, out)
    assert report.incremental
    assert old_title not in retro_page.read_text()
    _same_as_full(sample, out, tmp_path)
    (sample / kickoff).unlink()
    assert _build(sample, out).incremental
    assert "Harbor renewal, first meeting" not in retro_page.read_text()
    _same_as_full(sample, out, tmp_path)


def test_a_notebook_template_showing_another_note_is_kept_current(sample, tmp_path):
    """The notebook's own template may show any note anywhere: every page is made again and those that
    changed are rendered (found by a privacy review: text deleted from a note stayed on the home page)."""
    template = sample / "site_templates/home_intro.md.j2"
    template.write_text(template.read_text(encoding="utf-8") + "\nLatest words from Helen: {% for p in site.people "
                        "if p.slug == 'helen-park' %}{{ p.body | truncate(400) }}{% endfor %}\n", encoding="utf-8")
    out = tmp_path / "site"
    helen = "notes/people/helen-park.md"
    (sample / helen).write_text((sample / helen).read_text(encoding="utf-8") + "\nWOMBAT remark.\n", encoding="utf-8")
    _settle(sample, sample / helen)
    _build(sample, out)
    assert "WOMBAT" in (out / "index.html").read_text()
    text = (sample / helen).read_text(encoding="utf-8").replace("WOMBAT remark.", "A plain remark.")
    (sample / helen).write_text(text, encoding="utf-8")
    _settle(sample, sample / helen)
    assert _build(sample, out).incremental
    assert "WOMBAT" not in (out / "index.html").read_text()
    assert "WOMBAT" not in (out / "search/search_index.json").read_text()
    _same_as_full(sample, out, tmp_path)
