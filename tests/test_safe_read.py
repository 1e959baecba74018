"""A hostile clone cannot hurt the machine: the notebook's one read policy (issue 10 item 2, issue 12 item 4).

Only regular files whose real path lies inside the notebook are read, at most the size limit
plus one byte; FIFOs, devices, sockets, loops, dangling symlinks, symlinks out of the notebook,
unreadable folders and non-UTF-8 names are each a located error, never a hang, a crash or a
page of the site; ``mkdocs.yml`` is read with a loader that constructs no Python object.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Callable, Iterator

import pytest

from convo_notes import fsutil
from convo_notes.loader import scan_notes

MARKER = "zqxoutside"  # in every file outside the notebook: must never reach any output
AS_ROOT = os.geteuid() == 0

PEOPLE = {
    "notes/people/sam.md": "---\nname: Sam\nteam: true\n---\n",
    "notes/people/pat-lee.md": "---\nname: Pat Lee\n---\n",
}
PUBLIC = """\
---
date: 2026-01-05
with: pat-lee
private: false
title: Public call
---
Links: [first](../x.md), [second](../y.md), [third](../people/leak.md), [fourth](../big.md),
[fifth](../shared/inner.md), [sixth](secret.pdf), [fine](fine.pdf).
"""


def _mkfifo(path: Path) -> None:
    os.mkfifo(path)


def _symlink(target: str | Path) -> Callable[[Path], None]:
    return lambda path: os.symlink(target, path)


def _big(path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("---\nname: Big\n---\n")
        fh.write(f"{MARKER} " * (fsutil.NOTE_LIMIT // 10 + 1))


def _locked(path: Path) -> None:
    path.mkdir()
    (path / "hidden.md").write_text(f"---\nname: {MARKER}\n---\n", encoding="utf-8")
    path.chmod(0)


# code -> (entry under the notebook, how to make it, the one line `convo validate` prints for it)
FS_CASES: dict[str, tuple[str, Callable[[Path], None], str]] = {
    "note-too-large": ("notes/big.md", _big,
                       "notes/big.md:1:1: error[note-too-large]: note is larger than the limit of 8 MiB; not read"),
    "not-a-file": ("notes/y.md", _mkfifo,
                   "notes/y.md:1:1: error[not-a-file]: a FIFO (named pipe), not a regular file; never opened"),
    "dangling-symlink": ("notes/dangling.md", _symlink("nothing-here.md"),
                         "notes/dangling.md:1:1: error[dangling-symlink]: symlink to nothing (its target does not "
                         "exist); not read"),
    "symlink-outside": ("notes/x.md", _symlink("/dev/zero"),
                        "notes/x.md:1:1: error[symlink-outside]: symlink to a place outside the notebook; not read"),
    "symlink-loop": ("notes/conversations/loop", _symlink(".."),
                     "notes/conversations/loop:1:1: error[symlink-loop]: symlink to a folder that is already "
                     "read (a loop or a second way in); not followed"),
    "unreadable": ("notes/locked", _locked,
                   "notes/locked:1:1: error[unreadable]: cannot list this folder: Permission denied"),
    "bad-file-name": ("notes/caf\udce9.md", lambda p: p.write_bytes(b"---\nname: x\n---\n"),
                      "notes/caf\ufffd.md:1:1: error[bad-file-name]: file name is not valid UTF-8; not read"),
}


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder another user can enter (pytest's own tmp folders are private to their owner)."""
    folder = Path(tempfile.mkdtemp(prefix="convo-safe-read-"))
    folder.chmod(0o777)  # the unprivileged user below writes its cache and the site here
    yield folder
    for dirpath, dirnames, _ in os.walk(folder):
        for name in dirnames:
            if not os.path.islink(os.path.join(dirpath, name)):
                os.chmod(os.path.join(dirpath, name), 0o755)
    shutil.rmtree(folder, ignore_errors=True)


def _notebook(base: Path, entries: dict[str, tuple[str, Callable[[Path], None], str]]) -> Path:
    from conftest import write_notebook

    outside = base / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "secret.md").write_text(f"---\nname: {MARKER}\n---\n{MARKER}\n", encoding="utf-8")
    (outside / "dir" / "inner.md").write_text(f"---\nname: {MARKER}\n---\n", encoding="utf-8")
    (outside / "secret.pdf").write_text(MARKER, encoding="utf-8")
    root = write_notebook(base / "nb", dict(PEOPLE))
    for folder in ("notes", "notes/people", "notes/conversations"):
        (root / folder).mkdir(exist_ok=True)
    for rel, make, _ in entries.values():
        make(root / rel)
    for dirpath, dirnames, filenames in os.walk(base):  # readable by the unprivileged user below
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path) and name != "locked":
                os.chmod(path, 0o755 if os.path.isdir(path) else 0o644)
    return root


def _convo(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``convo ARGS`` in a child process with a timeout (a hang fails the test instead of blocking it)."""
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **(env or {})}
    return subprocess.run([sys.executable, "-m", "convo_notes", *args], capture_output=True, text=True,
                          timeout=timeout, env=environ, errors="replace", check=False)


@pytest.fixture
def hostile(shared_tmp: Path) -> Path:
    cases = {code: case for code, case in FS_CASES.items() if code != "unreadable" or not AS_ROOT}
    cases["outside-note"] = ("notes/people/leak.md", _symlink("../../../outside/secret.md"), "")
    cases["outside-folder"] = ("notes/shared", _symlink("../../outside/dir"), "")
    cases["outside-attachment"] = ("notes/conversations/secret.pdf", _symlink("../../../outside/secret.pdf"), "")
    cases["public"] = ("notes/conversations/public-call.md", lambda p: p.write_text(PUBLIC, encoding="utf-8"), "")
    cases["attachment"] = ("notes/conversations/fine.pdf", lambda p: p.write_bytes(b"%PDF-1.4 fine"), "")
    return _notebook(shared_tmp, cases)


def test_validate_reports_every_skipped_entry_within_seconds(hostile: Path, shared_tmp: Path):
    result = _convo("-C", str(hostile), "validate", env={"CONVO_CACHE_DIR": str(shared_tmp / "cache")}, timeout=30)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == sorted([
        *(line for code, (_, _, line) in FS_CASES.items() if code != "unreadable" or not AS_ROOT),
        "notes/people/leak.md:1:1: error[symlink-outside]: symlink to a place outside the notebook; not read",
        "notes/shared:1:1: error[symlink-outside]: symlink to a place outside the notebook; not read",
    ]) + [f"4 notes checked: {8 if AS_ROOT else 9} errors, 0 warnings"]
    assert MARKER not in result.stdout + result.stderr


def test_site_build_publishes_none_of_them(hostile: Path, shared_tmp: Path):
    out = shared_tmp / "out"
    out.mkdir()
    out.chmod(0o777)
    result = _convo("-C", str(hostile), "--today", "2026-01-08", "site", "build", "-d", str(out),
                    env={"CONVO_CACHE_DIR": str(shared_tmp / "cache")}, timeout=120)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 1, result.stderr  # built, then exit 1: the notebook has errors (the skipped entries)
    assert "Left out 6 notes that could not be read" in result.stdout  # the *.md entries; folders are not notes
    published = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert "conversations/public-call/index.html" in published
    assert "attachments/conversations/fine.pdf" in published
    assert not [p for p in published if "secret" in p or "leak" in p or "big" in p or "caf" in p
                or p.startswith(("x/", "y/", "shared/", "locked/"))]
    for path in out.rglob("*"):
        if path.is_file() and not path.name.endswith(".gz"):
            assert MARKER.encode() not in path.read_bytes(), path
    page = (out / "conversations/public-call/index.html").read_text(encoding="utf-8")
    paragraph = page.split("<p>Links:", 1)[1].split("</p>", 1)[0]
    assert paragraph == (' first, second, third, fourth,\nfifth, sixth, '
                         '<a href="../../attachments/conversations/fine.pdf">fine</a>.')  # labels only


@pytest.mark.parametrize("code", sorted(FS_CASES))
def test_each_skipped_entry_alone(code: str, shared_tmp: Path):
    if code == "unreadable" and AS_ROOT:
        pytest.skip("root reads a folder of mode 000 (test_a_folder_that_cannot_be_listed covers the code)")
    root = _notebook(shared_tmp, {code: FS_CASES[code]})
    result = _convo("-C", str(root), "validate", env={"CONVO_CACHE_DIR": str(shared_tmp / "cache")}, timeout=30)
    assert result.stdout.splitlines()[:-1] == [FS_CASES[code][2]]
    assert result.returncode == 1
    assert "Traceback" not in result.stderr


def test_scan_keeps_symlinks_inside_the_notebook(tmp_path: Path):
    from conftest import write_notebook

    root = write_notebook(tmp_path / "nb", dict(PEOPLE))
    (root / "archive").mkdir()
    (root / "archive" / "old.md").write_text("---\nname: Old\n---\n", encoding="utf-8")
    os.symlink("../../archive/old.md", root / "notes/people/old.md")
    os.symlink("../archive", root / "notes/archived")
    os.symlink("people", root / "notes/again")  # a second way into a folder already read
    files, skipped = scan_notes(root)
    assert sorted(files) == ["notes/archived/old.md", "notes/people/old.md", "notes/people/pat-lee.md",
                             "notes/people/sam.md"]
    assert [(d.path, d.code) for d in skipped] == [("notes/again", "symlink-loop")]


def test_a_folder_that_cannot_be_listed_is_reported(tmp_path: Path, monkeypatch):
    """A permission fault, made by the OS when not root and stood in for when root (who reads anything)."""
    from conftest import write_notebook

    root = write_notebook(tmp_path / "nb", dict(PEOPLE))
    _locked(root / "notes" / "locked")
    if AS_ROOT:
        real_open = os.open

        def open_folder(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
            if str(path).endswith("locked") and flags & os.O_DIRECTORY:  # the scan opens each folder to list it
                raise PermissionError(13, "Permission denied")
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", open_folder)
    try:
        files, skipped = scan_notes(root)
    finally:
        (root / "notes" / "locked").chmod(0o755)
    assert sorted(files) == ["notes/people/pat-lee.md", "notes/people/sam.md"]
    assert [d.format() for d in skipped] == [FS_CASES["unreadable"][2]]


def test_reading_dev_zero_reads_nothing_and_a_big_file_at_most_the_limit_plus_one(tmp_path: Path, monkeypatch):
    sizes: list[int] = []
    real_read = os.read

    def counting_read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        sizes.append(len(data))
        return data

    monkeypatch.setattr(os, "read", counting_read)
    with pytest.raises(fsutil.Refused) as refused:
        fsutil.read_notebook_file("/", "/dev/zero", 1000, "note")
    assert (refused.value.code, sum(sizes)) == ("not-a-file", 0)
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * 5000)
    with pytest.raises(fsutil.Refused) as refused:
        fsutil.read_notebook_file(str(tmp_path), str(big), 1000, "note")
    assert refused.value.code == "note-too-large"
    assert refused.value.message == "note is larger than the limit of 1000 bytes; not read"
    assert sum(sizes) == 1001
    sizes.clear()
    assert fsutil.read_notebook_file(str(tmp_path), str(big), 5000, "note") == b"x" * 5000
    assert sum(sizes) == 5000


def test_a_fifo_is_never_waited_on_even_when_opened_directly(tmp_path: Path):
    fifo = tmp_path / "y.md"
    os.mkfifo(fifo)
    outcome: list[str] = []

    def read() -> None:
        try:
            fsutil.read_notebook_file(str(tmp_path), str(fifo), 1000, "note")
        except fsutil.Refused as refused:
            outcome.append(refused.code)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(5)
    assert not worker.is_alive()
    assert outcome == ["not-a-file"]


def test_convo_yml_is_read_under_the_same_policy(make_notebook, cli, tmp_path: Path):
    root = make_notebook(dict(PEOPLE), me=None)
    os.symlink("/dev/zero", root / "convo.yml")
    result = cli("-C", str(root), "validate")
    assert result.out.splitlines()[0] == ("convo.yml:1:1: error[bad-config]: cannot read convo.yml: "
                                          "symlink to a place outside the notebook; not read")
    assert result.code == 1
    (root / "convo.yml").unlink()
    os.mkfifo(root / "convo.yml")
    result = cli("-C", str(root), "validate")
    assert result.out.splitlines()[0] == ("convo.yml:1:1: error[bad-config]: cannot read convo.yml: "
                                          "a FIFO (named pipe), not a regular file; never opened for reading")


# ------------------------------------------------------------------------------------------ mkdocs.yml

SITE_PEOPLE = {**PEOPLE, "notes/conversations/call.md": PUBLIC.split("Links:")[0]}


def test_a_hostile_mkdocs_yml_runs_nothing(make_notebook, cli, tmp_path: Path):
    pwned = tmp_path / "pwned"
    root = make_notebook({**SITE_PEOPLE, "mkdocs.yml": (
        "site_name: Team\n"
        "theme:\n  name: material\n"
        f"extra:\n  x: !!python/object/apply:os.system [\"touch {pwned}\"]\n")})
    result = cli("-C", str(root), "--today", "2026-01-08", "site", "build", "-d", str(tmp_path / "out"))
    assert not pwned.exists()
    assert result.code == 1
    assert result.err == (
        "convo: mkdocs.yml:5:6: error[mkdocs-config]: YAML tag `!!python/object/apply:os.system` is refused: "
        "it would construct a Python object or run code (allowed: `!ENV`, `!relative`, `!!python/name:` of "
        "Material, PyMdown or Markdown)\n")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.html"))


def test_mkdocs_hooks_are_refused(make_notebook, cli, tmp_path: Path):
    pwned = tmp_path / "pwned"
    root = make_notebook({**SITE_PEOPLE, "hook.py": f"open({str(pwned)!r}, 'w').close()\n",
                          "mkdocs.yml": "site_name: Team\ntheme:\n  name: material\nhooks:\n  - hook.py\n"})
    result = cli("-C", str(root), "--today", "2026-01-08", "site", "build", "-d", str(tmp_path / "out"))
    assert not pwned.exists()
    assert (result.code, result.err) == (1, "convo: mkdocs.yml:4:1: error[mkdocs-config]: `hooks` (Python files "
                                            "MkDocs would run) are refused for a notebook's site; remove the "
                                            "setting\n")


def test_mkdocs_env_relative_and_material_names_still_work(make_notebook, cli, tmp_path: Path):
    root = make_notebook({**SITE_PEOPLE, "mkdocs.yml": (
        "site_name: !ENV [CONVO_TEST_SITE_NAME, 'Fallback']\n"
        "theme:\n  name: material\n"
        "markdown_extensions:\n"
        "  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "      emoji_generator: !!python/name:material.extensions.emoji.to_svg\n"
        "extra:\n  base: !relative $config_dir\n")})
    out = tmp_path / "out"
    result = cli("-C", str(root), "--today", "2026-01-08", "site", "build", "-d", str(out),
                 env={"CONVO_TEST_SITE_NAME": "Env Team Site"})
    assert result.code == 0, result.err
    assert "<title>Env Team Site</title>" in (out / "index.html").read_text(encoding="utf-8")
    from mkdocs.config.defaults import MkDocsConfig

    from convo_notes.site.mkdocs_run import load_mkdocs_yml

    config = MkDocsConfig(config_file_path=str(root / "mkdocs.yml"))
    data = load_mkdocs_yml(root, root / "mkdocs.yml", config)
    assert os.fspath(data["extra"]["base"]) == os.path.join(str(root), "")
    assert data["markdown_extensions"][0]["pymdownx.emoji"]["emoji_index"].__name__ == "twemoji"


def test_mkdocs_other_python_names_are_refused(make_notebook, cli, tmp_path: Path):
    root = make_notebook({**SITE_PEOPLE, "mkdocs.yml": "site_name: Team\nextra:\n  f: !!python/name:os.system\n"})
    result = cli("-C", str(root), "--today", "2026-01-08", "site", "build", "-d", str(tmp_path / "out"))
    assert result.code == 1
    assert result.err.startswith("convo: mkdocs.yml:3:6: error[mkdocs-config]: YAML tag `!!python/name:os.system` "
                                 "is refused")


def test_site_assets_are_never_taken_from_outside_the_notebook(make_notebook, cli, tmp_path: Path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "theft.css").write_text(f"/* {MARKER} */\n", encoding="utf-8")
    root = make_notebook({**SITE_PEOPLE, "mkdocs.yml": (
        "site_name: Team\ndocs_dir: ../elsewhere\ntheme:\n  name: material\nextra_css:\n  - theft.css\n")})
    out = tmp_path / "out"
    result = cli("-C", str(root), "--today", "2026-01-08", "site", "build", "-d", str(out))
    assert result.code == 0, result.err
    assert not [p for p in out.rglob("*") if p.is_file() and MARKER.encode() in p.read_bytes()]
    (root / "docs").mkdir()
    (root / "docs" / "ok.css").write_text("/* fine */\n", encoding="utf-8")
    os.symlink(outside / "theft.css", root / "docs" / "theft.css")
    (root / "mkdocs.yml").write_text("site_name: Team\ntheme:\n  name: material\nextra_css:\n  - ok.css\n"
                                     "  - theft.css\n", encoding="utf-8")
    result = cli("-C", str(root), "--today", "2026-01-08", "site", "build", "-d", str(out))
    assert result.code == 0, result.err
    assert (out / "ok.css").read_text(encoding="utf-8") == "/* fine */\n"
    assert not [p for p in out.rglob("*") if p.is_file() and MARKER.encode() in p.read_bytes()]


def test_a_warm_answer_reports_an_entry_skipped_since_it_was_cached(make_notebook, cli):
    root = make_notebook(dict(PEOPLE))
    for _ in range(2):
        assert cli("-C", str(root), "--today", "2026-01-08", "due").err == ""
    os.symlink("nothing-here.md", root / "notes" / "dangling.md")
    result = cli("-C", str(root), "--today", "2026-01-08", "due")
    assert result.err.splitlines()[0] == FS_CASES["dangling-symlink"][2]


HOSTILE_JINJA = "{{ lipsum.__globals__['os'].system('touch %s') }}"


def test_notebook_templates_cannot_reach_python(make_notebook, cli, tmp_path: Path):
    """`theme.custom_dir` and `site_templates/` come with the clone: they are rendered sandboxed."""
    pwned = tmp_path / "pwned"
    root = make_notebook({**SITE_PEOPLE,
                          "mkdocs.yml": "site_name: Team\ntheme:\n  name: material\n  custom_dir: overrides\n",
                          "overrides/main.html": ('{% extends "base.html" %}\n{% block content %}<p>zqxcustom</p>'
                                                  '{{ super() }}{% endblock %}\n')})
    out = tmp_path / "out"
    result = cli("-C", str(root), "--today", "2026-01-08", "site", "build", "-d", str(out))
    assert result.code == 0, result.err
    assert "<p>zqxcustom</p>" in (out / "index.html").read_text(encoding="utf-8")  # overrides still work
    (root / "overrides/main.html").write_text('{% extends "base.html" %}\n{% block content %}'
                                              + HOSTILE_JINJA % pwned + "{% endblock %}\n", encoding="utf-8")
    result = cli("-C", str(root), "--today", "2026-01-08", "site", "build", "-d", str(out))
    assert result.code == 1
    assert "access to attribute '__globals__' of 'function' object is unsafe" in result.err
    assert not pwned.exists()
    (root / "overrides/main.html").unlink()
    (root / "site_templates").mkdir()
    (root / "site_templates" / "home_intro.md.j2").write_text(HOSTILE_JINJA % pwned + "\n", encoding="utf-8")
    result = cli("-C", str(root), "--today", "2026-01-08", "site", "build", "-d", str(out))
    assert (result.code, result.err) == (1, "convo: site_templates/home_intro.md.j2:1: template error: access to "
                                            "attribute '__globals__' of 'function' object is unsafe.\n")
    assert not pwned.exists()


def test_a_python_file_in_the_notebook_is_never_imported_by_name(make_notebook, tmp_path: Path):
    """Under ``python -m convo_notes`` from the notebook folder, the folder is first on ``sys.path``."""
    pwned = tmp_path / "pwned"
    root = make_notebook({**SITE_PEOPLE, "evilext.py": f"open({str(pwned)!r}, 'w').close()\n",
                          "material/__init__.py": f"open({str(pwned)!r}, 'w').close()\n",
                          "mkdocs.yml": ("site_name: Team\ntheme:\n  name: material\nmarkdown_extensions:\n"
                                         "  - evilext\n")})
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-m", "convo_notes", "--today", "2026-01-08", "site", "build",
                             "-d", str(tmp_path / "out")], cwd=root, capture_output=True, text=True,
                            timeout=120, env=environ, check=False)
    assert not pwned.exists()
    assert result.returncode == 1
    assert "No module named 'evilext'" in result.stderr
