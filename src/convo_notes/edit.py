"""Safe edits to a notebook: mark one commitment done, start a new conversation note.

Users edit these files by hand every day, so an edit made by ``convo`` must
look like one made by a careful person: :func:`insert_done` adds one
``done:`` line to one commitment and leaves every other byte of the file as it
was (comments, key order, quoting, indentation, CRLF line ends, a BOM, the
trailing newline). It finds the place from the YAML parser's own positions on
the original text, then re-parses the result and refuses unless exactly that
one field changed.

Writes are atomic (:func:`atomic_write`): a temporary file in the same
directory, fsync, the original's permissions, and ``os.replace``; the write is
refused when the file changed on disk since it was read.

New notes (:func:`plan_new_note`, :func:`create_new_note`) come from Jinja
templates: the packaged ``templates/*.md``, overridable by the notebook's own
``templates/`` folder.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .agenda import SETTLED, Thread, closed_ids, commitment_state, threads
from .dates import add_days
from .diagnostics import did_you_mean
from .errors import EditRefused, NotFound
from .fsutil import FileChanged, WriteFailed, atomic_create, atomic_write, read_snapshot
from .loader import build_record
from .model import OVERLAY, Commitment, Conversation, Notebook
from .parse import FrontMatter, read_note
from .schema import SLUG_RE, slugify
from .yamlwrite import yaml_value

TEMPLATES_DIR = "templates"
CONVERSATIONS_DIR = "notes/conversations"
PEOPLE_DIR = "notes/people"


# EditRefused: the edit cannot be made safely (exit 1); NotFound: nothing matches what was asked for (exit 2).
__all__ = ["EditRefused", "NotFound"]


class Ambiguous(NotFound):
    """``PATH:LINE`` names a line where several commitments start (exit code 2); the message lists them."""


# --- finding a commitment ------------------------------------------------------------

_PATH_LINE = re.compile(r"^(?P<path>.+\.md):(?P<line>\d+)$")


def find_commitment(nb: Notebook, ref: str, cwd: Path | None = None) -> tuple[Conversation, Commitment]:
    """The commitment named by ``ref``: its ``id``, or ``PATH:LINE`` of the line it starts on.

    Only the exact first line counts: every ``done`` inserts a line, so a line
    number printed before an earlier edit may now fall inside the commitment
    above; such a stale reference is refused rather than marking the wrong one.
    A line where several commitments start (a one-line flow list) is refused
    with :class:`Ambiguous`, naming their ids (or asking for ``id:``s).

    PATH may be relative to the notebook, to ``cwd``, or absolute.
    Raises :class:`NotFound` with a helpful message.
    """
    match = _PATH_LINE.match(ref)
    if match is None:
        for conv in nb.conversations:
            for c in conv.commitments:
                if c.id == ref:
                    return conv, c
        ids = [c.id for conv in nb.conversations for c in conv.commitments if c.id]
        raise NotFound(f"no commitment has `id: {ref}`{did_you_mean(ref, ids)}; "
                       "give its id or PATH:LINE as `convo due` shows it")
    rel = match["path"] if match["path"].startswith(OVERLAY) else notebook_relative(nb.root, match["path"], cwd)
    line = int(match["line"])
    found = next((c for c in nb.conversations if c.path == rel), None)
    if found is None:
        known = rel in nb.files
        why = "cannot be read as a conversation (run `convo validate`)" if known else "no such note"
        raise NotFound(f"{rel}: {why}")
    on_line = [c for c in found.commitments if c.line == line]
    if len(on_line) == 1:
        return found, on_line[0]
    if on_line:
        raise Ambiguous(ambiguous_line_message(f"{rel}:{line}", on_line))
    where = ", ".join(f"{c.line} ({c.what})" for c in found.commitments) or "none"
    raise NotFound(f"{rel}:{line}: no commitment starts on that line (it may have moved: run `convo due` "
                   f"again); this note's commitments start on lines: {where}")


def ambiguous_line_message(where: str, commitments: list[Commitment]) -> str:
    """Why ``WHERE`` (a PATH:LINE) cannot name one of ``commitments``, and what to give instead."""
    listed = ", ".join(f"{json.dumps(c.what, ensure_ascii=False)} (id: {c.id})" if c.id
                       else json.dumps(c.what, ensure_ascii=False) for c in commitments)
    head = f"{where}: {len(commitments)} commitments start on that line: {listed}"
    if all(c.id for c in commitments):
        return f"{head}; name one by its id, e.g. `convo done {commitments[0].id}`"
    return (f"{head}; give {'each' if not any(c.id for c in commitments) else 'the one you mean'} an `id:` "
            "in the note and name it by that id (`convo done ID`)")


def notebook_relative(root: Path, path: str, cwd: Path | None = None) -> str:
    """``path`` as a posix path relative to the notebook root."""
    candidate = Path(path)
    for absolute in ((candidate,) if candidate.is_absolute() else ((cwd or Path.cwd()) / candidate, root / candidate)):
        if absolute.exists():
            try:
                return absolute.resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                continue
    return path.replace(os.sep, "/")


# --- the byte-exact edit ---------------------------------------------------------------

class _Loader(yaml.SafeLoader):
    """The pure-Python composer (its marks index characters of the original text), no typing."""

    yaml_implicit_resolvers: dict[str, list[Any]] = {}


_FIRST = re.compile(r"---[ \t]*(\r\n|\n)")
_CLOSE = re.compile(r"^---[ \t]*\r?$", re.M)


def _front_matter(text: str) -> tuple[str, int]:
    """The YAML text of a note and where it starts, on the original (CRLF-preserving) text."""
    first = _FIRST.match(text)
    if first is None:
        raise EditRefused("the note does not start with a `---` line")
    close = _CLOSE.search(text, first.end())
    if close is None:
        raise EditRefused("the note's front matter is never closed by a `---` line")
    return text[first.end():close.start()], first.end()


def _last_leaf(node: Node) -> Node:
    """The last scalar (or flow collection) inside a block collection: where its text really ends."""
    while isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
        node = node.value[-1][1] if isinstance(node, MappingNode) else node.value[-1]
    return node


def insert_done(raw: bytes, index: int, day: dt.date) -> bytes:
    """``raw`` with ``done: DAY`` added to its ``index``-th commitment and no other byte changed.

    Block-style entries get a new line ``done: DAY`` after their last line, at
    their keys' indentation and with the file's line end; flow-style entries
    (``{what: ..., due: ...}``) get ``, done: DAY`` after their last value.
    Raises :class:`EditRefused` when that cannot be done safely.
    """
    before, bom, text, _yaml_text, start, root = _compose(raw)
    items = None
    if isinstance(root, MappingNode):
        for key, value in root.value:
            if isinstance(key, ScalarNode) and key.value == "commitments" and isinstance(value, SequenceNode):
                items = value.value
    if items is None or not 0 <= index < len(items) or not isinstance(items[index], MappingNode):
        raise EditRefused(f"the note has no commitment number {index + 1}")
    entry = items[index]
    for key, value in entry.value:
        if isinstance(key, ScalarNode) and key.value == "done":
            line = value.start_mark.line + text.count("\n", 0, start) + 1
            raise EditRefused(f"this commitment already has a `done:` field (line {line}); "
                              "fill in its date there")
    if not entry.value:
        raise EditRefused("this commitment is an empty mapping")
    stamp = day.isoformat()
    result = bom + _append_field(text, start, entry, "done", stamp).encode("utf-8")
    _verify(before, result, index, stamp)
    return result


def _verify(before: FrontMatter, new: bytes, index: int, stamp: str) -> None:
    """Refuse unless the real parser reads ``new`` as the note read before (``before``) plus that one
    ``done`` field."""
    after = read_note(new, "note")
    if before.data is None or after.data is None:
        raise EditRefused("the note's front matter cannot be read before or after the edit")
    expected = json.loads(json.dumps(before.data))
    try:
        expected["commitments"][index]["done"] = stamp
    except (KeyError, IndexError, TypeError):
        raise EditRefused("could not locate the commitment in the parsed note") from None
    if json.loads(json.dumps(after.data)) != expected or after.body != before.body \
            or any(d.severity == "error" for d in after.diagnostics):
        raise EditRefused("the edit would change more than this commitment (an unusual layout, "
                          "such as a YAML anchor or alias?); add the `done:` line by hand")


def insert_field(raw: bytes, key: str, value: str) -> bytes:
    """``raw`` with a top-level ``key: value`` line added at the end of its front matter
    (just before the closing ``---``, with the file's line end) and no other byte changed.

    Refused (:class:`EditRefused`) when the note cannot be read, already has ``key``, is
    not a block mapping, or the parser would read anything else differently after the edit.
    """
    checked, bom, text, yaml_text, start, root = _compose(raw)
    if key in (checked.data or {}):  # (never None: _compose refuses a note it cannot read)
        raise EditRefused(f"the note already has `{key}`")
    if root.flow_style:
        raise EditRefused("the front matter is not a block mapping of `field: value` lines; add the line by hand")
    at = start + len(yaml_text)  # the closing `---` line starts here
    eol = "\r\n" if text[:start].endswith("\r\n") else "\n"
    new_text = text[:at] + f"{key}: {value}{eol}" + text[at:]
    result = bom + new_text.encode("utf-8")
    after = read_note(result, "note")
    expected = {**json.loads(json.dumps(checked.data)), key: value}
    if after.data is None or json.loads(json.dumps(after.data)) != expected or after.body != checked.body \
            or any(d.severity == "error" for d in after.diagnostics):
        raise EditRefused(f"adding `{key}` would change more than that line (an unusual layout, such as a "
                          "kept block scalar at the end?); add it by hand")
    return result


def write_field(root: Path, rel: str, key: str, value: str, expected: bytes) -> None:
    """Add ``key: value`` to the note at ``rel`` (:func:`insert_field`), atomically, refusing
    when the file is no longer the ``expected`` bytes it was planned from."""
    target = root / rel
    try:
        stat = os.stat(target)
        raw = target.read_bytes()
    except OSError as exc:
        raise EditRefused(f"{rel}: cannot read the file ({exc.strerror or exc})") from None
    if raw != expected:
        raise EditRefused(f"{rel} changed since it was read; run the command again")
    try:
        atomic_write(target, insert_field(raw, key, value), raw, stat)
    except FileChanged as exc:
        raise EditRefused(str(exc)) from None


# --- atomic writes ---------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class DoneResult:
    """What :func:`mark_done` changed."""

    path: str
    line: int  # the file line of the new `done:` (or of the flow entry that got it)
    what: str
    day: dt.date


def mark_done(nb: Notebook, conv: Conversation, c: Commitment, day: dt.date) -> DoneResult:
    """Mark one commitment done on ``day`` in its file, changing only that commitment.

    Refused (:class:`EditRefused`) when the note has errors, the commitment is
    already done or closed, the file no longer holds that commitment, or the
    file changes on disk while it is read or before the write (the whole file
    is compared right before the rename). A failed write is
    :class:`~convo_notes.fsutil.WriteFailed`; the file is then left as it was.
    """
    errors = [d for d in nb.diagnostics if d.path == conv.path and d.severity == "error"]
    if errors:
        raise EditRefused(f"{conv.path} has {len(errors)} error{'s' * (len(errors) != 1)}; fix "
                          f"{'it' if len(errors) == 1 else 'them'} first (first: {errors[0].format()})")
    closed = closed_ids(nb)
    state = commitment_state(c, closed, day)
    if state == "done":
        raise EditRefused(f"{conv.path}:{c.line}: already done on {c.done.isoformat() if c.done else '?'}")
    if state == "closed":
        closer = closed[c.id or ""]
        raise EditRefused(f"{conv.path}:{c.line}: already closed by {closer.path} ({closer.date.isoformat()})")
    target = Path(conv.src)  # a personal note is edited in the overlay, never in the team's repository
    try:
        snapshot = read_snapshot(target, conv.path)
    except FileChanged as exc:
        raise EditRefused(str(exc)) from None
    except OSError as exc:
        raise EditRefused(f"{conv.path}: cannot read the file ({exc.strerror or exc})") from None
    raw = snapshot.data
    record, problems = build_record(conv.path, read_note(raw, conv.path))
    fresh = record.commitments if isinstance(record, Conversation) else ()
    if any(d.severity == "error" for d in problems) or len(fresh) <= c.index \
            or (fresh[c.index].what, fresh[c.index].id) != (c.what, c.id):
        raise EditRefused(f"{conv.path} changed since it was read; run the command again")
    if fresh[c.index].done is not None:
        raise EditRefused(f"{conv.path}:{c.line}: already done on {fresh[c.index].done}")
    new = insert_done(raw, c.index, day)
    try:
        atomic_write(target, new, raw, snapshot.stat, name=conv.path)
    except FileChanged as exc:
        raise EditRefused(str(exc)) from None
    changed = next(i for i, (a, b) in enumerate(zip(raw.split(b"\n"), new.split(b"\n"), strict=False)) if a != b)
    return DoneResult(conv.path, changed + 1, c.what, day)


# --- new conversation notes ------------------------------------------------------------

@dataclass(slots=True)
class NewNote:
    """A planned new conversation note, and the people stubs it needs."""

    path: str  # relative to the notebook root
    text: str
    stubs: dict[str, str] = field(default_factory=dict)  # path -> text of each new person
    thread: str | None = None


def resolve_people(nb: Notebook, values: list[str], create: bool = False) -> tuple[list[str], dict[str, str]]:
    """Slugs for ``--with`` values (commas split), through the one resolver (:mod:`.names`):
    a slug in any case or spacing, a name, an alias or a unique prefix; ``me`` is the reader.

    Returns ``(slugs, missing)`` where ``missing`` maps each unknown slug to a display name.
    A value that could be several people is :class:`NotFound` listing them. With ``create``
    (``--create-people``) a prefix does not count: ``pat-lee`` is someone new even when
    ``pat-leeson`` exists.
    """
    from .names import lookup, resolve

    slugs: list[str] = []
    missing: dict[str, str] = {}
    for value in values:
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            found = lookup(nb, part, ("person",), prefix=not create)
            if len(found) > 1:
                resolve(nb, part, ("person",))  # raises NotFound naming the candidates
            if found and (found[0] in nb.people or part.strip().casefold() == "me"):
                slug = found[0]
            else:
                slug = part if SLUG_RE.match(part) else slugify(part)
                if not slug:
                    raise NotFound(f"`{part}` is not a person slug or name")
                missing[slug] = part if not SLUG_RE.match(part) else part.replace("-", " ").title()
            if slug not in slugs:
                slugs.append(slug)
    return slugs, missing


def open_threads_with(nb: Notebook, slugs: list[str]) -> list[Thread]:
    """Unsettled named threads that include everyone in ``slugs``: the ones a new note may continue."""
    wanted = {nb.canon(s) or s for s in slugs}
    return [t for t in threads(nb) if t.explicit and t.state != SETTLED and wanted <= set(t.people)]


def find_thread(nb: Notebook, key: str) -> Thread:
    """The thread with this key (a ``thread:`` slug, or the ``+`` key of a ``with`` set), or NotFound."""
    wanted = "+".join(sorted(set(key.strip().split("+"))))
    found = {t.key: t for t in threads(nb)}
    if wanted in found:
        return found[wanted]
    raise NotFound(f"no thread `{key}` in this notebook{did_you_mean(wanted, list(found))} "
                   "(`convo threads` lists them)")


def carried_next(nb: Notebook, thread: Thread | None, team_notebook: bool) -> dict[str, Any] | None:
    """The open ``next`` of the thread a new note continues, for the template to carry over
    (None when the thread is settled): its ``turn`` as the new note should write it."""
    if thread is None or thread.latest.next is None or thread.turn is None:
        return None
    turn = thread.turn
    if "+" in turn:
        turn = "them"
    elif not team_notebook and nb.is_me(turn):
        turn = "me"
    return {"turn": turn, "by": thread.by, "about": thread.about}


def template_env(root: Path) -> Any:
    """Jinja environment: the notebook's ``templates/`` first, then the packaged templates."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([
            jinja2.FileSystemLoader(str(root / TEMPLATES_DIR)),
            jinja2.PackageLoader("convo_notes", "templates"),
        ]),
        autoescape=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["yaml"] = yaml_value
    return env


def render_template(root: Path, name: str, context: dict[str, Any]) -> str:
    """Render template ``name``; a broken user template is :class:`EditRefused` naming its line."""
    import jinja2

    try:
        return template_env(root).get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise EditRefused(f"{TEMPLATES_DIR}/{name}:{exc.lineno}:1: template error: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise EditRefused(f"{TEMPLATES_DIR}/{name}: template error: {exc}") from None


def names_phrase(names: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def plan_new_note(nb: Notebook, *, with_: list[str], missing: dict[str, str], day: dt.date, title: str | None,
                  thread: str | None, channel: str | None, today: dt.date,
                  carried: dict[str, Any] | None = None, folder: Path | None = None) -> NewNote:
    """The file a ``convo new`` would write (and its people stubs); nothing is written yet.

    In a notebook with more than one team member the note says who wrote it
    (``recorded_by``, the reader) and names people by slug rather than ``me``.
    ``carried``: the continued thread's open ``next`` (:func:`carried_next`), written
    uncommented for the user to keep, change or remove. ``folder``: where it goes (the reader's
    overlay for a personal note; default the notebook); templates always come from the notebook.
    """
    target = nb.root if folder is None else folder
    names = [missing.get(s) or nb.display(s) for s in with_]
    title = title.strip() if title and title.strip() else \
        f"{(channel or 'conversation').capitalize()} with {names_phrase(names)}"
    slug = f"{day.isoformat()}-{slugify(title) or 'conversation'}"
    path = f"{CONVERSATIONS_DIR}/{day.year:04d}/{slug}.md"
    if (target / path).exists():
        raise EditRefused(f"{path} already exists; nothing was written (choose another --title)")
    clash = next((c for c in nb.conversations if c.slug == slug), None) or \
        next((f for f in nb.files if f.rsplit("/", 1)[-1] == f"{slug}.md"), None)
    if clash is not None:
        where = clash.path if isinstance(clash, Conversation) else clash
        raise EditRefused(f"a conversation `{slug}` already exists ({where}); choose another --title")
    stubs: dict[str, str] = {}
    for slug_, name in missing.items():
        stub_path = f"{PEOPLE_DIR}/{slug_}.md"
        if (target / stub_path).exists():
            raise EditRefused(f"{stub_path} exists but cannot be read; fix it first (`convo validate`)")
        stubs[stub_path] = render_template(nb.root, "person.md", {"name": name, "slug": slug_, "today": today})
    team_notebook = len(nb.team) > 1
    author = nb.viewer if team_notebook else None
    context = {
        "title": title, "date": day, "today": today, "with": with_, "thread": thread, "channel": channel,
        "people": [{"slug": s, "name": missing.get(s) or nb.display(s)} for s in with_],
        "me": nb.viewer or nb.canon("me"), "due_example": add_days(day, 7), "slug": slug,
        "recorded_by": author, "writer": author or "me", "next": carried,
        # `with` as the notebook writes references: slugs, or Obsidian links (`links: obsidian`)
        "refs": [f"[[{s}]]" for s in with_] if nb.config.links == "obsidian" else list(with_),
    }
    text = render_template(nb.root, "conversation.md", context)
    return NewNote(path, text, stubs, thread)


def create_new_note(root: Path, note: NewNote) -> list[str]:
    """Write the stubs and the note, never overwriting a file; the paths written, in order.

    Each file appears complete or not at all (:func:`~convo_notes.fsutil.atomic_create`);
    a failed write is :class:`~convo_notes.fsutil.WriteFailed`, naming the files already written.
    """
    written: list[str] = []
    for rel, text in [*note.stubs.items(), (note.path, note.text)]:
        try:
            atomic_create(root / rel, text.encode("utf-8"), name=rel)
        except FileExistsError:
            raise EditRefused(f"{rel} already exists; nothing more was written") from None
        except WriteFailed as exc:
            if written:
                raise WriteFailed(exc.name, exc.reason, exc.errno,
                                  f" (already written: {', '.join(written)})") from None
            raise
        written.append(rel)
    return written


# --- changing fields: snooze, reschedule, reopen, recurring done ---------------------------

FieldPath = tuple[str | int, ...]  # where the mapping is: () the note, ("next",), ("commitments", 2)


def _compose(raw: bytes) -> tuple[FrontMatter, bytes, str, str, int, MappingNode]:
    """``(the safe parser's reading, bom, text, yaml text, where it starts, root mapping)`` of a note,
    refused when unreadable."""
    checked = read_note(raw, "note")  # the safe parser first: it refuses hostile YAML
    if checked.data is None or any(d.severity == "error" for d in checked.diagnostics):
        first = checked.diagnostics[0].message if checked.diagnostics else "unreadable front matter"
        raise EditRefused(f"the note's front matter cannot be read ({first})")
    bom = codecs.BOM_UTF8 if raw.startswith(codecs.BOM_UTF8) else b""
    try:
        text = raw[len(bom):].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EditRefused(f"the file is not UTF-8 text ({exc.reason})") from None
    yaml_text, start = _front_matter(text)
    try:
        root = yaml.compose(yaml_text, Loader=_Loader)
    except (yaml.YAMLError, RecursionError) as exc:
        raise EditRefused(f"the front matter is not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(root, MappingNode):
        raise EditRefused("the note's front matter is not a mapping")
    return checked, bom, text, yaml_text, start, root


def _mapping_at(root: MappingNode, at: FieldPath) -> MappingNode:
    node: Node = root
    for step in at:
        found: Node | None = None
        if isinstance(step, int):
            if isinstance(node, SequenceNode) and 0 <= step < len(node.value):
                found = node.value[step]
        elif isinstance(node, MappingNode):
            found = next((v for k, v in node.value if isinstance(k, ScalarNode) and k.value == step), None)
        if found is None:
            raise EditRefused(f"the note has no `{'.'.join(str(s) for s in at)}` to change")
        node = found
    if not isinstance(node, MappingNode) or not node.value:
        raise EditRefused(f"`{'.'.join(str(s) for s in at) or 'front matter'}` is not a mapping of fields")
    return node


def _set_one(raw: bytes, at: FieldPath, key: str, value: str | None) -> bytes:
    """``raw`` with ``key`` of the mapping at ``at`` set to the plain scalar ``value`` (None: removed)."""
    _checked, bom, text, _yaml_text, start, root = _compose(raw)
    mapping = _mapping_at(root, at)
    pair = next(((k, v) for k, v in mapping.value if isinstance(k, ScalarNode) and k.value == key), None)
    if pair is not None:
        k_node, v_node = pair
        if not isinstance(v_node, ScalarNode) or v_node.start_mark.line != v_node.end_mark.line:
            raise EditRefused(f"`{key}` is not written as one plain value; change it by hand")
        if value is not None:
            begin, end = start + v_node.start_mark.index, start + v_node.end_mark.index
            if v_node.style in ("'", '"'):
                begin, end = begin + 1, end - 1
            new_text = text[:begin] + value + text[end:]
        elif mapping.flow_style:
            index = mapping.value.index(pair)
            if len(mapping.value) == 1:
                raise EditRefused(f"`{key}` is the only field of its mapping; change it by hand")
            if index > 0:  # from the end of the previous value: `, key: value`
                begin = start + _last_leaf(mapping.value[index - 1][1]).end_mark.index
                end = start + v_node.end_mark.index
            else:  # up to the next key: `key: value, `
                begin = start + k_node.start_mark.index
                end = start + mapping.value[1][0].start_mark.index
            new_text = text[:begin] + text[end:]
        else:
            key_at = start + k_node.start_mark.index
            line_start = text.rfind("\n", 0, key_at) + 1
            if text[line_start:key_at].strip(" \t"):
                raise EditRefused(f"`{key}` shares its line with another field (`- {key}:`); "
                                  "remove it by hand")
            newline = text.find("\n", start + v_node.end_mark.index)
            end = len(text) if newline < 0 else newline + 1
            new_text = text[:line_start] + text[end:]
    else:
        if value is None:
            return raw
        new_text = _append_field(text, start, mapping, key, value)
    return bom + new_text.encode("utf-8")


def _append_field(text: str, start: int, mapping: MappingNode, key: str, value: str) -> str:
    """``text`` with ``key: value`` added as the last field of a non-empty ``mapping`` (whose marks
    count from ``start``): ``, key: value`` in a flow mapping; else a line of its own after the
    mapping's last line, at its keys' indentation and with the file's line end."""
    leaf = _last_leaf(mapping.value[-1][1])
    end = start + leaf.end_mark.index
    if mapping.flow_style:
        return text[:end] + f", {key}: {value}" + text[end:]
    indent = mapping.value[0][0].start_mark.column
    line_start = text.rfind("\n", 0, end) + 1
    if text[line_start:end].strip(" \t") == "" and line_start > start + leaf.start_mark.index:
        where = line_start  # the value ended with its line break (a block scalar): insert right here
    else:
        newline = text.find("\n", end)
        where = len(text) if newline < 0 else newline + 1
    eol = "\r\n" if text[:where].endswith("\r\n") else "\n"
    missing_eol = "" if text[:where].endswith("\n") else eol
    return text[:where] + missing_eol + " " * indent + f"{key}: {value}" + eol + text[where:]


def set_fields(raw: bytes, at: FieldPath, changes: dict[str, str | None]) -> bytes:
    """``raw`` with fields of the mapping at ``at`` set (or removed, for None), no other byte changed.

    An existing field keeps its place and quoting, with only its value replaced; a
    removed one loses its line (or its ``, key: value`` in a flow mapping); a new one
    is added after the mapping's last line, at its keys' indentation, with the file's
    line end. The result is parsed again and refused (:class:`EditRefused`) unless it
    reads as the original with exactly these changes.
    """
    new = raw
    for key, value in changes.items():
        new = _set_one(new, at, key, value)
    before, after = read_note(raw, "note"), read_note(new, "note")
    if before.data is None or after.data is None:
        raise EditRefused("the note's front matter cannot be read before or after the edit")
    expected = json.loads(json.dumps(before.data))
    target = expected
    try:
        for step in at:
            target = target[step]
        for key, value in changes.items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
    except (KeyError, IndexError, TypeError):
        raise EditRefused("could not locate the fields in the parsed note") from None
    if json.loads(json.dumps(after.data)) != expected or after.body != before.body \
            or any(d.severity == "error" for d in after.diagnostics):
        raise EditRefused("the edit would change more than these fields (an unusual layout, such as a "
                          "YAML anchor or alias?); make it by hand")
    return new


@dataclass(frozen=True, slots=True)
class Change:
    """One planned (or made) edit of one note: its bytes before and after, and what it means."""

    path: str  # relative to the notebook
    before: bytes
    after: bytes
    summary: str  # one line: what changed
    line: int  # the first changed line

    def diff(self) -> str:
        """A unified diff of the file, as ``git diff`` shows it."""
        import difflib

        old = self.before.decode("utf-8", "replace").splitlines(keepends=True)
        new = self.after.decode("utf-8", "replace").splitlines(keepends=True)
        lines = difflib.unified_diff(old, new, f"a/{self.path}", f"b/{self.path}")
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                       for line in lines)


def _first_changed_line(old: bytes, new: bytes) -> int:
    for number, (a, b) in enumerate(zip(old.split(b"\n"), new.split(b"\n"), strict=False)):
        if a != b:
            return number + 1
    return min(old.count(b"\n"), new.count(b"\n")) + 1


def plan_change(nb: Notebook, rel: str, still_same: Any, edit: Any, summary: str) -> tuple[Change, Any]:
    """Read a note's file as a consistent snapshot and compute an edit of it; nothing is written.

    ``still_same(record)`` must confirm that the freshly read file still holds what the
    notebook said (else the file changed since it was read); ``edit(raw)`` returns the new bytes.
    Refused when the note has errors. Returns the change and the snapshot's stat for :func:`apply_change`.
    """
    errors = [d for d in nb.diagnostics if d.path == rel and d.severity == "error"]
    if errors:
        raise EditRefused(f"{rel} has {len(errors)} error{'s' * (len(errors) != 1)}; fix "
                          f"{'it' if len(errors) == 1 else 'them'} first (first: {errors[0].format()})")
    target = nb.root / rel
    try:
        snapshot = read_snapshot(target, rel)
    except FileChanged as exc:
        raise EditRefused(str(exc)) from None
    except OSError as exc:
        raise EditRefused(f"{rel}: cannot read the file ({exc.strerror or exc})") from None
    raw = snapshot.data
    record, problems = build_record(rel, read_note(raw, rel))
    if any(d.severity == "error" for d in problems) or record is None or not still_same(record):
        raise EditRefused(f"{rel} changed since it was read; run the command again")
    new = edit(raw)
    return Change(rel, raw, new, summary, _first_changed_line(raw, new)), snapshot.stat


def apply_change(nb: Notebook, change: Change, stat: Any) -> None:
    """Write a planned change atomically; refused when the file changed since it was read."""
    try:
        atomic_write(nb.root / change.path, change.after, change.before, stat, name=change.path)
    except FileChanged as exc:
        raise EditRefused(str(exc)) from None


def _same_commitment(c: Commitment) -> Any:
    def check(record: Any) -> bool:
        fresh = record.commitments if isinstance(record, Conversation) else ()
        return len(fresh) > c.index and (fresh[c.index].what, fresh[c.index].id) == (c.what, c.id)
    return check


def _same_next(conv: Conversation) -> Any:
    def check(record: Any) -> bool:
        return isinstance(record, Conversation) and record.next is not None and conv.next is not None \
            and (record.next.turn, record.next.about) == (conv.next.turn, conv.next.about)
    return check


def plan_commitment_fields(nb: Notebook, conv: Conversation, c: Commitment, changes: dict[str, str | None],
                           summary: str) -> tuple[Change, Any]:
    """A planned change of fields of one commitment."""
    return plan_change(nb, conv.path, _same_commitment(c),
                       lambda raw: set_fields(raw, ("commitments", c.index), changes), summary)


def plan_next_fields(nb: Notebook, conv: Conversation, changes: dict[str, str | None],
                     summary: str) -> tuple[Change, Any]:
    """A planned change of fields of a conversation's ``next``."""
    return plan_change(nb, conv.path, _same_next(conv), lambda raw: set_fields(raw, ("next",), changes), summary)


def plan_person_fields(nb: Notebook, person: Any, changes: dict[str, str | None],
                       summary: str) -> tuple[Change, Any]:
    """A planned change of top-level fields of a person's note."""
    return plan_change(nb, person.path, lambda record: getattr(record, "slug", None) == person.slug,
                       lambda raw: set_fields(raw, (), changes), summary)


def plan_done(nb: Notebook, conv: Conversation, c: Commitment, day: dt.date) -> tuple[Change, Any]:
    """What :func:`mark_done` would write, as a planned change (for ``convo done --dry-run``)."""
    state = commitment_state(c, closed_ids(nb), day)
    if state == "done":
        raise EditRefused(f"{conv.path}:{c.line}: already done on {c.done.isoformat() if c.done else '?'}")
    if state == "closed":
        closer = closed_ids(nb)[c.id or ""]
        raise EditRefused(f"{conv.path}:{c.line}: already closed by {closer.path} ({closer.date.isoformat()})")
    return plan_change(nb, conv.path, _same_commitment(c), lambda raw: insert_done(raw, c.index, day),
                       f"done {day.isoformat()}: {c.what}")


def plan_recurring_done(nb: Notebook, conv: Conversation, c: Commitment, day: dt.date) -> tuple[Change, Any]:
    """``convo done`` on a recurring commitment: ``last_done`` set to ``day`` and ``due`` moved to the
    next occurrence (from the previous ``due`` for ``every: 1w``, from ``day`` for ``every: .+1w``)."""
    assert c.every is not None
    state = commitment_state(c, closed_ids(nb), day)
    if state in ("done", "closed"):
        raise EditRefused(f"{conv.path}:{c.line}: this recurring commitment has ended ({state})")
    following = c.every.next_due(c.due, day)
    summary = f"done {day.isoformat()}, next due {following.isoformat()} (every {c.every}): {c.what}"
    return plan_commitment_fields(nb, conv, c, {"last_done": day.isoformat(), "due": following.isoformat()},
                                  summary)


# --- quick capture: `convo new` with the facts on the command line ----------------------------

def with_captured(note: NewNote, fields: dict[str, Any], body: str | None = None) -> NewNote:
    """The planned note with ``fields`` written into its front matter (before the closing ``---``,
    after what the template wrote) and ``body`` after its heading; the people stubs unchanged.

    ``fields`` may hold ``org`` (slug), ``tags``, ``interests`` (lists), ``private`` (bool),
    ``next`` (``{turn, by, about}``) and ``commitments`` (a list of ``{what, due, to}``); each
    value is written with :func:`.yamlwrite.yaml_value`, quoted only where a reader could misread it.
    """
    lines: list[str] = []
    for key in ("org", "tags", "interests"):
        if fields.get(key):
            lines.append(f"{key}: {yaml_value(fields[key])}")
    if fields.get("private"):
        lines.append("private: true")
    nxt = fields.get("next")
    if nxt:
        lines.append("next:")
        lines += [f"  {k}: {yaml_value(v)}" for k, v in nxt.items() if v is not None]
    for i, c in enumerate(fields.get("commitments") or ()):
        if i == 0:
            lines.append("commitments:")
        entries = [(k, v) for k, v in c.items() if v is not None]
        lines += [f"{'  - ' if n == 0 else '    '}{k}: {yaml_value(v)}" for n, (k, v) in enumerate(entries)]
    # the template's commented-out examples are for a note filled in by hand: a captured one has its facts
    head, sep, rest = note.text.partition("\n---")
    head = "\n".join(line for line in head.split("\n") if not line.lstrip().startswith("#"))
    text = head + sep + rest
    if lines:
        close = text.find("\n---", text.find("\n") if text.startswith("---") else 0)
        if close < 0:
            raise EditRefused("the conversation template has no closing `---`: cannot add the fields")
        text = text[:close + 1] + "\n".join(lines) + text[close:]
    if body and body.strip():
        text = text.rstrip("\n") + "\n\n" + body.strip() + "\n"
    return NewNote(note.path, text, note.stubs, note.thread)
