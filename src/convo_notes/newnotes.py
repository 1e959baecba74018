"""New person and org notes from the command line: ``convo person new`` and ``convo org new``.

The front matter is written field by field with :mod:`.yamlwrite` (quoted only where a
YAML reader could misread it), checked through the loader before anything is
written, and created with :func:`.fsutil.atomic_create`, which never replaces a file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import EditRefused, UsageError
from .fsutil import atomic_create
from .loader import build_record, note_kind
from .model import Notebook
from .parse import read_note
from .schema import SLUG_RE, slugify
from .yamlwrite import yaml_value

FOLDERS = {"person": "notes/people", "org": "notes/orgs"}


@dataclass(frozen=True)
class Planned:
    """A note to create: where, and its text."""

    path: str
    slug: str
    text: str


def plan_contact_note(nb: Notebook, kind: str, name: str, fields: dict[str, Any], slug: str | None = None,
                      body: str = "") -> Planned:
    """The note for a new person or org, checked as ``convo validate`` would check it.

    ``fields`` holds the front matter after ``name`` (None and empty values left out),
    in the order given. Refused when the slug is taken or a value is not valid.
    """
    name = " ".join(name.split())
    if not name:
        raise UsageError(f"a {kind} needs a name")
    slug = slug or slugify(name)
    if not slug or not SLUG_RE.match(slug):
        raise UsageError(f"`{slug or name}` gives no slug: pass --slug (lowercase letters, digits, hyphens)")
    if slug in nb.people or slug in nb.orgs:
        raise EditRefused(f"`{slug}` already exists ({nb.display(slug)}): pick another --slug")
    rel = f"{FOLDERS[kind]}/{slug}.md"
    lines = ["---", f"name: {yaml_value(name)}"]
    for key, value in fields.items():
        if value is None or value == () or value == [] or value is False:
            continue
        text = "true" if value is True else yaml_value(value, one_as_scalar=key in ("email", "phone"))
        lines.append(f"{key}: {text}")
    lines.append("---")
    text = "\n".join(lines) + "\n" + (body.strip() + "\n" if body.strip() else "")
    record, problems = build_record(rel, read_note(text.encode("utf-8"), rel), str(nb.root))
    errors = [d for d in problems if d.severity == "error"]
    if errors or record is None or note_kind(rel) != kind:
        raise UsageError("; ".join(d.message for d in errors) or f"cannot write a valid {kind} note")
    return Planned(rel, slug, text)


def create_contact_note(root: Path, planned: Planned) -> None:
    """Write the planned note; never replaces a file that appeared meanwhile."""
    try:
        atomic_create(root / planned.path, planned.text.encode("utf-8"), name=planned.path)
    except FileExistsError:
        raise EditRefused(f"{planned.path} already exists; nothing was written") from None
