"""Starting a notebook: the files a new user needs, ready to validate and build.

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


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name on this system
        return ""


def notebook_files(name: str, slug: str, email: str | None, today: dt.date) -> dict[str, str]:
    """Every file of a new notebook, ``{relative path: text}``."""
    site_name = f"{name.split()[0] if name.split() else name}'s conversations"
    person = ["---", f"name: {yaml_scalar(name)}"]
    if email:
        person.append(f"email: {yaml_scalar(email)}")
    person += ["team: true", "---",
               "This is you: the person the notebook speaks for (`me` in convo.yml).",
               "Add `role`, `org`, `phone` or `expertise` when you like.", ""]
    due = today + dt.timedelta(days=7)
    contact = "example-contact" if slug != "example-contact" else "example-contact-2"
    example_person = (
        "---\nname: Example Contact\nrole: \"Someone you talk with (an example: delete this file)\"\n"
        "tags: [example]\ncadence: 1m\n---\nNotes about a person go here: how you met, what they care about.\n"
    )
    welcome = f"""\
---
title: Welcome to convo-notes
date: {today.isoformat()}
with: {contact}
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
    return {
        "convo.yml": (
            "# convo-notes settings: see Getting started in the convo-notes documentation\n"
            f"me: {slug}\n"
            "site:\n"
            f"  title: {yaml_scalar(site_name)}\n"
        ),
        "mkdocs.yml": (
            "# The team site: `convo site build` (or `convo site serve`) builds it from notes/.\n"
            f"site_name: {yaml_scalar(site_name)}\n"
            "theme:\n"
            "  name: material\n"
            "  font: false  # system fonts: opening the site asks no one else for fonts\n"
        ),
        ".gitignore": GITIGNORE,
        ".pre-commit-config.yaml": PRE_COMMIT_CONFIG,
        f"notes/people/{slug}.md": "\n".join(person),
        f"notes/people/{contact}.md": example_person,
        "notes/orgs/.gitkeep": "",
        f"notes/conversations/{today.year}/{today.isoformat()}-welcome.md": welcome,
    }


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=60, check=False)


def init_notebook(target: Path, today: dt.date, name: str | None = None, email: str | None = None,
                  force: bool = False) -> InitResult:
    """Create a notebook in ``target`` (created if missing); refuse a non-empty one unless ``force``.

    With ``force`` files that already exist are kept as they are.
    """
    target = target.expanduser()
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
    for rel, text in notebook_files(name, slug, email, today).items():
        path = target / rel
        if path.exists():
            result.kept.append(rel)
            continue
        atomic_write(path, text.encode("utf-8"))
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
