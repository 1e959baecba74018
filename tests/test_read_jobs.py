"""How many processes read a large notebook (``CONVO_JOBS``, else the CPUs convo may run on), and
that the notebook read in several processes is the one read in one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from convo_notes import loader
from convo_notes.loader import load_notebook, read_jobs

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import generate  # noqa: E402 - the benchmark's own notebook generator


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("2", 2), (" 3 ", 3), ("64", 64), ("1000", 64)])
def test_convo_jobs_sets_the_number(value, expected):
    assert read_jobs({"CONVO_JOBS": value}) == expected


@pytest.mark.parametrize("value", ["", "0", "-1", "two", "1.5"])
def test_anything_else_counts_the_cpus_convo_may_run_on(value):
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    assert read_jobs({"CONVO_JOBS": value}) == max(1, min(cpus, 4))
    assert read_jobs({}) == max(1, min(cpus, 4))


def snapshot(root: Path) -> tuple[list[str], list[str]]:
    nb = load_notebook(root, use_cache=False)
    records = [repr(note) for note in [*nb.conversations, *nb.incomplete, *nb.people.values(), *nb.orgs.values()]]
    return [d.format() for d in nb.diagnostics], records


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the loader reads in processes only where it can fork")
def test_several_processes_read_the_notebook_one_reads(tmp_path, monkeypatch):
    generate.generate(str(tmp_path / "nb"), 300, 3)
    (tmp_path / "nb" / "notes" / "conversations" / "broken.md").write_text("---\ndate: [\n---\n", encoding="utf-8")
    monkeypatch.setattr(loader, "PARALLEL_MIN", 10)
    monkeypatch.setenv("CONVO_JOBS", "1")
    one = snapshot(tmp_path / "nb")
    monkeypatch.setenv("CONVO_JOBS", "3")
    here: list[int] = []  # how many notes this process read itself
    serial = loader._read_serial
    monkeypatch.setattr(loader, "_read_serial", lambda root, rels, *rest: here.append(len(rels)) or
                        serial(root, rels, *rest))
    several = snapshot(tmp_path / "nb")
    total = len(loader.scan_note_files(tmp_path / "nb"))
    assert 0 < sum(here) < total  # some here, the rest in two other processes
    assert several == one
    assert any("error[yaml-syntax]" in line for line in one[0])
