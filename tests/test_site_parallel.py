"""`convo site build -j N`: pages rendered by several processes give the very same site."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import REPO


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_two_processes_build_the_same_bytes_as_one(tmp_path, cli):
    root = tmp_path / "nb"
    shutil.copytree(REPO / "notes", root / "notes")
    shutil.copytree(REPO / "site_templates", root / "site_templates")
    shutil.copy(REPO / "convo.yml", root / "convo.yml")
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    built = {}
    for jobs in ("1", "2", "3"):
        out = tmp_path / f"site-{jobs}"
        result = cli("-C", str(root), "--today", "2026-11-22", "site", "build", "-d", str(out), "-j", jobs)
        assert result.code == 0, result.err
        assert result.err == ""
        built[jobs] = _files(out)
    assert len(built["1"]) > 100
    assert built["2"] == built["1"]  # every page, the search index, the sitemap
    assert built["3"] == built["1"]


BAD_ANCHORS = {
    "mkdocs.yml": "site_name: Anchors\ntheme:\n  name: material\nplugins:\n  - search\n"
                  "validation:\n  anchors: warn\n",
    "notes/people/sam.md": "---\nname: Sam\n---\n",
    **{f"notes/c{i}.md": f"---\ndate: 2026-11-0{i}\nwith: sam\n---\nSee [the anchor](#nowhere-{i}).\n"
       for i in range(1, 7)},
}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_warnings_of_every_process_are_shown_and_fail_strict(make_notebook, cli, tmp_path, jobs):
    root = make_notebook(BAD_ANCHORS)
    args = ("-C", str(root), "--today", "2026-11-22", "site", "build", "-d", str(tmp_path / "out"), "-j", jobs)
    relaxed = cli(*args)
    assert relaxed.code == 0
    warned = sorted(line for line in relaxed.err.splitlines() if "there is no such anchor" in line)
    assert warned == [f"mkdocs: warning: Doc file 'conversations/c{i}.md' contains a link '#nowhere-{i}', "
                      "but there is no such anchor on this page." for i in range(1, 7)]
    strict = cli(*args, "--strict")
    assert strict.code == 1
    assert strict.err.splitlines()[-1] == "convo: MkDocs build failed: Aborted with 6 warnings in strict mode!"


def test_other_plugins_keep_the_build_in_one_process(make_notebook):
    from mkdocs.plugins import BasePlugin

    from convo_notes.site.mkdocs_run import MkDocsRun
    from convo_notes.site.parallel import can_run_parallel

    root = make_notebook({"notes/people/sam.md": "---\nname: Sam\n---\n"})
    run = MkDocsRun(root, root.parent / "staging", root.parent / "out", None, "T")
    assert can_run_parallel(run.config)
    run.config.plugins["collects-across-pages"] = BasePlugin()
    assert not can_run_parallel(run.config)
