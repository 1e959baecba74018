"""Starting a notebook: the files a new user needs, ready to validate and build.

With ``obsidian`` the notebook is also an Obsidian vault that opens well: a
``.obsidian/`` folder with sensible defaults (:data:`OBSIDIAN_FILES`: new notes go to
``notes/conversations``, the site and caches are hidden, property types for dates and
lists) and ``links: obsidian`` in ``convo.yml`` so ``convo new`` writes people as
``"[[slug]]"``. The site never reads ``.obsidian/`` (it builds from ``notes/`` only).

:func:`init_notebook` writes ``convo.yml``, ``mkdocs.yml``, ``.gitignore``,
``.pre-commit-config.yaml``, a person note for ``me``, ``notes/orgs/`` and a
welcome conversation (with a commitment and a ``next``) the user can delete;
it runs ``git init`` and, when git knows who the user is, makes a first commit.

Who ``me`` is: ``--name``, else ``git config user.name``, else the login name.
The slug is made from that name (``Sam Okafor`` -> ``sam-okafor``); ``me`` and
``them`` are reserved, so a name that slugs to one of them becomes ``me-person``.
"""

from __future__ import annotations

import datetime as dt
import getpass
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .dates import add_days
from .errors import UsageError
from .fsutil import atomic_write
from .schema import slugify
from .yamlwrite import yaml_scalar

FALLBACK_SLUG = "me-person"
COMMIT_MESSAGE = "Start a convo-notes notebook"

GITIGNORE = """\
# convo-notes: the built site and the local cache
site/
.convo/
.cache/
__pycache__/
# a write in progress (one left by a killed command is removed by the next write)
.*.convo-tmp
"""

PRE_COMMIT_CONFIG = """\
# Check every note before each commit: `pre-commit install` once in this repository.
# This uses the `convo` already installed on your PATH. To pin the hook to a
# release instead, use the hook `convo-validate` from the convo-notes repository:
#   - repo: <convo-notes repository URL>
#     rev: <tag>
#     hooks: [{id: convo-validate}]
repos:
  - repo: local
    hooks:
      - id: convo-validate
        name: convo validate
        entry: convo validate
        language: system
        pass_filenames: false
        always_run: true  # deleting or renaming one note can break others
"""


class NotEmpty(UsageError):
    """The target directory already holds files (use ``force``)."""


@dataclass
class InitResult:
    """What :func:`init_notebook` did."""

    root: Path
    me: str
    written: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # files that already existed (with force)
    git_init: bool = False
    committed: bool = False
    git_message: str = ""


def git_config(key: str, cwd: Path | None = None) -> str | None:
    """A git setting (``user.name``...), or None when unset or git is missing."""
    try:
        proc = subprocess.run(["git", "config", "--get", key], cwd=cwd, capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    value = proc.stdout.strip()
    return value if proc.returncode == 0 and value else None


def me_slug(name: str) -> str:
    """The slug for the notebook's own person; reserved words fall back to ``me-person``."""
    slug = slugify(name)
    return FALLBACK_SLUG if not slug or slug in ("me", "them") else slug


# Obsidian's settings for a convo notebook: app.json (editor defaults) and types.json
# (property types, so dates show a date picker and lists show as lists of links).
OBSIDIAN_FILES = {
    ".obsidian/app.json": """\
{
  "newFileLocation": "folder",
  "newFileFolderPath": "notes/conversations",
  "newLinkFormat": "shortest",
  "useMarkdownLinks": false,
  "alwaysUpdateLinks": true,
  "propertiesInDocument": "visible",
  "userIgnoreFilters": ["site/", ".convo/", ".cache/", "templates/"]
}
""",
    ".obsidian/types.json": """\
{
  "types": {
    "date": "date",
    "due": "date",
    "done": "date",
    "with": "multitext",
    "tags": "multitext",
    "interests": "multitext",
    "closes": "multitext",
    "expertise": "multitext",
    "email": "multitext",
    "phone": "multitext",
    "aliases": "aliases",
    "private": "checkbox",
    "team": "checkbox"
  }
}
""",
}
OBSIDIAN_GITIGNORE = """\
# Obsidian: each person's open panes and recent files stay out of git
.obsidian/workspace*.json
.obsidian/cache
.trash/
"""


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name on this system
        return ""


def notebook_files(name: str, slug: str, email: str | None, today: dt.date,
                   obsidian: bool = False) -> dict[str, str]:
    """Every file of a new notebook, ``{relative path: text}`` (``obsidian``: an Obsidian vault too)."""
    site_name = f"{name.split()[0] if name.split() else name}'s conversations"
    person = ["---", f"name: {yaml_scalar(name)}"]
    if email:
        person.append(f"email: {yaml_scalar(email)}")
    person += ["team: true", "---",
               "This is you: the person the notebook speaks for (`me` in convo.yml).",
               "Add `role`, `org`, `phone` or `expertise` when you like.", ""]
    due = add_days(today, 7)
    contact = "example-contact" if slug != "example-contact" else "example-contact-2"
    example_person = (
        "---\nname: Example Contact\nrole: \"Someone you talk with (an example: delete this file)\"\n"
        "tags: [example]\ncadence: 1m\n---\nNotes about a person go here: how you met, what they care about.\n"
    )
    welcome = f"""\
---
title: Welcome to convo-notes
date: {today.isoformat()}
with: {f'"[[{contact}]]"' if obsidian else contact}
channel: other
tags: [example]
commitments:
  - id: first-real-note
    what: Write a note about a real conversation
    to: {contact}
    due: {due.isoformat()}
next:
  turn: me
  by: {due.isoformat()}
  about: Delete this example once you have notes of your own
---
An example conversation with an example person: delete this file and
`notes/people/{contact}.md` whenever you like.

Each conversation is one Markdown file under `notes/` with YAML front matter on
top: when it happened (`date`), who it was `with`, what was promised
(`commitments`) and whose turn it is to speak `next`. Link people with
`[[{slug}]]`.

Try:

- `convo validate`: check every note
- `convo due`: what is due this week
- `convo new`: start a note about a conversation
- `convo site build`: build the team site
"""
    files = {
        "convo.yml": (
            "# convo-notes settings: see Getting started in the convo-notes documentation\n"
            f"me: {slug}\n"
            + ("# `convo new` writes people as Obsidian links: with: [\"[[dana-reyes]]\"]\nlinks: obsidian\n"
               if obsidian else "")
            + "site:\n"
            f"  title: {yaml_scalar(site_name)}\n"
        ),
        "mkdocs.yml": (
            "# The team site: `convo site build` (or `convo site serve`) builds it from notes/.\n"
            f"site_name: {yaml_scalar(site_name)}\n"
            "theme:\n"
            "  name: material\n"
            "  font: false  # system fonts: opening the site asks no one else for fonts\n"
        ),
        ".gitignore": GITIGNORE + (OBSIDIAN_GITIGNORE if obsidian else ""),
        ".pre-commit-config.yaml": PRE_COMMIT_CONFIG,
        f"notes/people/{slug}.md": "\n".join(person),
        f"notes/people/{contact}.md": example_person,
        "notes/orgs/.gitkeep": "",
        f"notes/conversations/{today.year}/{today.isoformat()}-welcome.md": welcome,
    }
    if obsidian:
        files.update(OBSIDIAN_FILES)
    return files


CI_FILES = {"github": ".github/workflows/convo.yml", "gitlab": ".gitlab-ci.yml"}


def ci_file(host: str) -> tuple[str, str]:
    """``(path, text)`` of the CI configuration for ``github`` or ``gitlab``: ``convo validate`` on
    every push, and the site published from the default branch."""
    from . import __version__

    install = f'pip install "convo-notes=={__version__}"'
    if host == "github":
        return CI_FILES[host], f"""\
# convo-notes: check every note on every push; publish the team site from the default branch.
# Written by `convo init --ci github`. The site goes to the gh-pages branch: turn on GitHub Pages
# for it (Settings > Pages > Deploy from a branch > gh-pages). Private notes are never published,
# but anyone who can read this repository can read them.
name: convo
on:
  push:
  pull_request:
permissions:
  contents: write
jobs:
  notebook:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: {install}
      - run: convo validate
      - name: Publish the team site
        if: github.event_name == 'push' && github.ref_name == github.event.repository.default_branch
        run: |
          git config user.name "github-actions[bot]"
          git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
          convo site deploy --remote origin --branch gh-pages
"""
    if host == "gitlab":
        return CI_FILES[host], f"""\
# convo-notes: check every note on every push; publish the team site from the default branch.
# Written by `convo init --ci gitlab`. GitLab Pages serves what the `pages` job leaves in public/.
# Private notes are never published, but anyone who can read this repository can read them.
stages: [check, deploy]
default:
  image: python:3.12
  before_script:
    - {install}
validate:
  stage: check
  script:
    - convo validate
pages:
  stage: deploy
  script:
    - convo site build --site-dir public
  artifacts:
    paths: [public]
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
"""
    raise ValueError(host)


def add_ci(root: Path, host: str) -> str:
    """Write the CI configuration for ``host`` into the notebook at ``root``; never overwrites."""
    path, text = ci_file(host)
    target = root / path
    if target.exists():
        raise NotEmpty(f"{path} already exists; nothing was written (edit it, or delete it first)")
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, text.encode("utf-8"))
    return path


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=60, check=False)


def init_notebook(target: Path, today: dt.date, name: str | None = None, email: str | None = None,
                  force: bool = False, obsidian: bool = False, ci: str | None = None) -> InitResult:
    """Create a notebook in ``target`` (created if missing); refuse a non-empty one unless ``force``.

    With ``force`` files that already exist are kept as they are (so ``--force --obsidian``
    adds ``.obsidian/`` to an existing notebook). ``obsidian``: see the module. ``ci``
    (``github`` or ``gitlab``) adds a CI configuration; in a folder that is already a
    notebook (it has ``convo.yml``) only that file is written.
    """
    target = target.expanduser()
    if ci is not None and (target / "convo.yml").is_file():
        result = InitResult(target.resolve(), "")
        result.written.append(add_ci(target, ci))
        result.git_message = "an existing notebook: only the CI configuration was written (commit it)"
        return result
    if target.exists() and not target.is_dir():
        raise NotEmpty(f"{target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise NotEmpty(f"{target} is not empty: choose a new directory, or use --force to add the "
                       "missing files and keep the ones there")
    name = (name or git_config("user.name") or _login_name() or "Me").strip()
    email = (email or git_config("user.email") or "").strip() or None
    slug = me_slug(name)
    result = InitResult(target.resolve() if target.exists() else target.absolute(), slug)
    target.mkdir(parents=True, exist_ok=True)
    result.root = target.resolve()
    files = notebook_files(name, slug, email, today, obsidian)
    if ci is not None:
        ci_path, ci_text = ci_file(ci)
        files[ci_path] = ci_text
    for rel, text in files.items():
        path = target / rel
        if path.exists():
            result.kept.append(rel)
            continue
        atomic_write(path, text.encode("utf-8"), name=str(path))
        result.written.append(rel)
    try:
        init = _git(target, "init", "--quiet")
    except (OSError, subprocess.SubprocessError) as exc:
        result.git_message = f"git init failed: {exc}"
        return result
    if init.returncode != 0:
        result.git_message = f"git init failed: {init.stderr.strip()}"
        return result
    result.git_init = True
    if not (git_config("user.name", target) and git_config("user.email", target)):
        result.git_message = ("no first commit: git does not know who you are "
                              "(set git config user.name and user.email, then commit)")
        return result
    has_head = _git(target, "rev-parse", "--verify", "--quiet", "HEAD").returncode == 0
    if has_head:
        result.git_message = "the repository already had commits: nothing was committed"
        return result
    if result.written:
        _git(target, "add", "--", *result.written)
    commit = _git(target, "commit", "--quiet", "--no-verify", "-m", COMMIT_MESSAGE)
    result.committed = commit.returncode == 0
    if not result.committed:
        result.git_message = f"git commit failed: {(commit.stderr or commit.stdout).strip()}"
    return result
