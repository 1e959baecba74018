"""Renaming and merging across a notebook: one rewrite, used by ``convo rename``/``merge`` and the language server.

A rename of a person, org, thread or commitment id rewrites every reference to
it in every note: the front-matter fields that hold slugs (``with``, ``org``,
``owner``, ``to``, ``by``, ``recorded_by``, ``turn``, ``recommends``,
``thread``, ``closes``, ``id``, and ``me`` in ``convo.yml``), body ``[[wiki
links]]`` (``[[slug]]``, ``[[slug|Label]]``, ``[[slug#heading]]``) and Markdown
links to the note's file. Obsidian-style ``"[[slug]]"`` values keep their
spelling and label. Every other byte of every file stays as it was: the places
come from the YAML parser's own positions on the original text (as in
:mod:`.edit`), never from a pattern over whole lines, and each file is
re-parsed after the edit and refused unless exactly those values changed.

**All files or none.** :func:`apply` first writes every new file to a
temporary file beside it (flushed to disk) and checks that no file changed
since it was read; only then does it rename them into place, one by one, and
remove the files a rename moved or a merge folded away. If anything fails
before the last step (a full disk, a permission, a file edited meanwhile,
Ctrl-C), every file already replaced is put back as it was and the
temporaries are removed: the notebook is as before. Each file is compared
again right before its own rename: one saved meanwhile (an editor) keeps
what was saved, and the files already renamed are put back. Before the renames begin
a journal (``.convo-rewrite.json`` in the notebook root) records every old
file; it is removed once all renames are done, and if the process dies in
between (power loss), :func:`recover` (run by the next ``convo rename`` or
``convo merge``) puts the old files back. So an interrupted rewrite leaves the
notebook as before or as after, never half-done.
"""

from __future__ import annotations

import base64
import difflib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .diagnostics import did_you_mean
from .errors import EditRefused, NotFound, UsageError
from .fsutil import _fsync_dir, _write_all, atomic_write
from .loader import CONFIG_FILE, WIKI_LINK, note_kind
from .model import Notebook
from .parse import read_note
from .schema import SLUG_RE, unwrap_link
from .yamlwrite import yaml_value

KINDS = ("person", "org", "thread", "id")
JOURNAL = ".convo-rewrite.json"

Span = tuple[int, int, str]  # start, end (character offsets in the file's text), new text


@dataclass
class FileChange:
    """One file of a plan: its old and new bytes, and the edits between them.

    ``before`` is None for a file the plan creates; ``after`` None for one it removes.
    A moved file is two changes: the old path removed, the new one created.
    """

    path: str  # relative to the notebook root
    before: bytes | None
    after: bytes | None
    spans: list[Span] = field(default_factory=list)  # on the old text (for editors)
    moved_from: str | None = None  # the new file of a rename: where it came from


@dataclass
class Plan:
    """Every file a rename or merge would change, computed without writing anything."""

    summary: str
    changes: list[FileChange] = field(default_factory=list)
    references: int = 0  # references rewritten
    dropped_body: bool = False  # a merge removes a note whose body is not copied anywhere

    def diff(self) -> str:
        """A unified diff of the whole plan (``--dry-run``); a moved file shows as one renamed file."""
        moved = {c.moved_from: c for c in self.changes if c.moved_from is not None}
        out: list[str] = []
        for change in self.changes:
            if change.moved_from is not None:
                continue
            before_name = "/dev/null" if change.before is None else f"a/{change.path}"
            after_name = "/dev/null" if change.after is None else f"b/{change.path}"
            after = change.after
            if change.path in moved:
                target = moved[change.path]
                out.append(f"rename from {change.path}\nrename to {target.path}\n")
                after, after_name = target.after, f"b/{target.path}"
            old = (change.before or b"").decode("utf-8", "replace").splitlines(keepends=True)
            new = (after or b"").decode("utf-8", "replace").splitlines(keepends=True)
            for line in difflib.unified_diff(old, new, before_name, after_name):
                out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
        return "".join(out)

    def files(self) -> int:
        """How many notes the plan touches (a moved note counts once)."""
        return sum(1 for c in self.changes if c.moved_from is None)


# --- finding references -------------------------------------------------------------------

# Which fields hold which kind of reference, by where they stand in a note's front matter.
_CONVERSATION_FIELDS: dict[str, str] = {
    "with": "person", "org": "org", "thread": "thread", "recorded_by": "person", "closes": "id",
}
_NESTED_FIELDS: dict[str, dict[str, str]] = {
    "next": {"turn": "person"},
    "commitments": {"owner": "person", "to": "person", "id": "id"},
    "referrals": {"recommends": "recommends", "by": "person", "to": "person"},
}


class _Composer(yaml.SafeLoader):
    """The pure-Python composer (its marks index characters of the text), no typing."""

    yaml_implicit_resolvers: dict[str, list[Any]] = {}


_FIRST = re.compile(r"\ufeff?---[ \t]*(\r\n|\n)")
_CLOSE = re.compile(r"^---[ \t]*\r?$", re.M)
# A Markdown link's destination (``](path.md#x "title")``) and a reference definition's (``[r]: path.md``).
_MD_LINK = re.compile(r"\]\(\s*<?([^()\s<>]+?\.md)(#[^()\s<>]*)?>?(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
_MD_REF = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\n?[ \t]*<?([^()\s<>]+?\.md)(#[^()\s<>]*)?>?", re.M)


def _bounded(slug: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![a-z0-9-]){re.escape(slug)}(?![a-z0-9-])")


def front_matter_span(text: str) -> tuple[int, int] | None:
    """Start and end offsets of the YAML between the ``---`` lines of a note's text, or None."""
    first = _FIRST.match(text)
    if first is None:
        return None
    close = _CLOSE.search(text, first.end())
    if close is None:
        return None
    return first.end(), close.start()


def _scalars(node: Node | None) -> Iterator[tuple[int | None, ScalarNode]]:
    """A scalar, or each scalar item of a flow or block list, with its index (None for a scalar)."""
    if isinstance(node, ScalarNode):
        yield None, node
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            if isinstance(item, ScalarNode):
                yield i, item


def _mapping_items(node: Node | None) -> Iterator[tuple[str, Node]]:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                yield key.value, value


def slug_nodes(rel: str, root_node: Node | None) -> Iterator[tuple[str, tuple[Any, ...], ScalarNode]]:
    """Every scalar in a note's front matter that holds a reference: ``(kind, path, node)``.

    ``kind`` is ``person``, ``org``, ``thread``, ``id`` or ``recommends`` (a person or an org);
    ``path`` is the value's place, as in :attr:`.parse.FrontMatter.locs`.
    """
    if rel == CONFIG_FILE:
        for key, value in _mapping_items(root_node):
            if key == "me" and isinstance(value, ScalarNode):
                yield "person", ("me",), value
        return
    kind = note_kind(rel)
    for key, value in _mapping_items(root_node):
        if kind == "person":
            if key == "org":
                for i, node in _scalars(value):
                    yield "org", (key,) if i is None else (key, i), node
            continue
        if kind != "conversation":
            continue
        if key in _CONVERSATION_FIELDS:
            for i, node in _scalars(value):
                yield _CONVERSATION_FIELDS[key], (key,) if i is None else (key, i), node
        elif key == "next":
            for sub, inner in _mapping_items(value):
                if sub in _NESTED_FIELDS["next"] and isinstance(inner, ScalarNode):
                    yield _NESTED_FIELDS["next"][sub], (key, sub), inner
        elif key in ("commitments", "referrals") and isinstance(value, SequenceNode):
            for i, entry in enumerate(value.value):
                for sub, inner in _mapping_items(entry):
                    if sub in _NESTED_FIELDS[key] and isinstance(inner, ScalarNode):
                        yield _NESTED_FIELDS[key][sub], (key, i, sub), inner


def _matches(kind: str, wanted: str) -> bool:
    if kind == wanted:
        return True
    return kind == "recommends" and wanted in ("person", "org")


@dataclass
class _Text:
    """A file's text as read: the decoded characters (BOM and CRLF kept) and its YAML."""

    rel: str
    raw: bytes
    text: str
    yaml_start: int
    yaml_end: int
    root: Node | None


def _read_text(rel: str, raw: bytes) -> _Text | str:
    """The file ready for editing, or why it cannot be edited safely."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "it is not UTF-8 text"
    if rel == CONFIG_FILE:
        start, end = (1 if text.startswith("\ufeff") else 0), len(text)
    else:
        span = front_matter_span(text)
        if span is None:
            return "its front matter cannot be read"
        start, end = span
    checked = read_note(raw, rel) if rel != CONFIG_FILE else None
    if checked is not None and (checked.data is None
                                or any(d.code.startswith("yaml") for d in checked.diagnostics)):
        return "its front matter cannot be read"
    try:
        node = yaml.compose(text[start:end], Loader=_Composer)
    except (yaml.YAMLError, RecursionError):
        return "its YAML cannot be read"
    return _Text(rel, raw, text, start, end, node)


def _reference_spans(doc: _Text, kind: str, old: str, new: str) -> tuple[list[Span], dict[tuple[Any, ...], str]]:
    """Edits to the front matter's references to ``old``, and the values they must read as after."""
    spans: list[Span] = []
    expected: dict[tuple[Any, ...], str] = {}
    bounded = _bounded(old)
    for found_kind, at, node in slug_nodes(doc.rel, doc.root):
        if not _matches(found_kind, kind) or unwrap_link(node.value.strip()) != old:
            continue
        start = doc.yaml_start + node.start_mark.index
        end = doc.yaml_start + node.end_mark.index
        source = doc.text[start:end]
        hit = bounded.search(source)
        value_hit = bounded.search(node.value)
        if hit is None or value_hit is None:
            raise EditRefused(f"{doc.rel}:{node.start_mark.line + 1}: `{node.value}` is written in a way "
                              "this rewrite cannot edit safely; change it by hand")
        spans.append((start + hit.start(), start + hit.end(), new))
        expected[at] = node.value[:value_hit.start()] + new + node.value[value_hit.end():]
    return spans, expected


def _body_spans(doc: _Text, rel_old_file: str | None, old: str, new: str) -> list[Span]:
    """Edits to ``[[old]]`` wiki links and Markdown links to ``rel_old_file`` in the body."""
    if doc.rel == CONFIG_FILE:
        return []
    close = _CLOSE.search(doc.text, doc.yaml_end)
    body_start = doc.text.find("\n", close.end() if close else doc.yaml_end)
    body_start = len(doc.text) if body_start < 0 else body_start + 1
    body = doc.text[body_start:]
    spans: list[Span] = []
    for match in WIKI_LINK.finditer(body):
        if match.group(1).strip() == old:
            inner = match.start(1) + match.group(1).index(old)
            spans.append((body_start + inner, body_start + inner + len(old), new))
    if rel_old_file is not None:
        folder = os.path.dirname(doc.rel)
        for match in (*_MD_LINK.finditer(body), *_MD_REF.finditer(body)):
            target = match.group(1)
            name = target.rsplit("/", 1)[-1]
            if name != f"{old}.md":
                continue
            resolved = os.path.normpath(os.path.join(folder, target)) if not target.startswith("/") \
                else os.path.normpath(target.lstrip("/"))
            if resolved.replace(os.sep, "/") != rel_old_file:
                continue
            at = match.start(1) + len(target) - len(name)
            spans.append((body_start + at, body_start + at + len(old), new))
    return spans


def _apply_spans(text: str, spans: list[Span]) -> str:
    out, last = [], 0
    for start, end, new in sorted(spans):
        out.append(text[last:start])
        out.append(new)
        last = end
    out.append(text[last:])
    return "".join(out)


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _verify(rel: str, before: bytes, after: bytes, expected: dict[tuple[Any, ...], Any]) -> None:
    """Refuse unless ``after`` parses as ``before`` with exactly the ``expected`` values changed."""
    if rel == CONFIG_FILE:
        old_data = yaml.load(before.decode("utf-8-sig"), Loader=_Composer) or {}
        new_data = yaml.load(after.decode("utf-8-sig"), Loader=_Composer) or {}
    else:
        old_fm, new_fm = read_note(before, rel), read_note(after, rel)
        if old_fm.data is None or new_fm.data is None:
            raise EditRefused(f"{rel}: the front matter cannot be read before or after the edit")
        old_data, new_data = old_fm.data, new_fm.data
    want = _plain(old_data)
    for at, value in expected.items():
        holder = want
        for step in at[:-1]:
            holder = holder[step]
        holder[at[-1]] = value
    if _plain(new_data) != want:
        raise EditRefused(f"{rel}: the edit would change more than the references (an unusual layout, "
                          "such as a YAML anchor or alias?); rename those references by hand")


def _note_files(nb: Notebook) -> list[str]:
    files = list(nb.files)
    if (nb.root / CONFIG_FILE).is_file():
        files.append(CONFIG_FILE)
    return files


def _rewrite_references(nb: Notebook, kind: str, old: str, new: str, old_file: str | None,
                        skip: set[str]) -> tuple[list[FileChange], int]:
    """Every file's edits that turn references to ``old`` into ``new``."""
    changes: list[FileChange] = []
    count = 0
    bounded = _bounded(old)
    for rel in _note_files(nb):
        if rel in skip:
            continue
        try:
            raw = (nb.root / rel).read_bytes()
        except OSError as exc:
            raise EditRefused(f"{rel}: cannot read the file ({exc.strerror or exc})") from None
        try:
            quick = raw.decode("utf-8")
        except UnicodeDecodeError:
            quick = raw.decode("utf-8", "replace")
        if not bounded.search(quick):
            continue  # most files never mention it: no parsing needed
        doc = _read_text(rel, raw)
        if isinstance(doc, str):
            raise EditRefused(f"{rel} mentions `{old}` but {doc}; fix it first (`convo validate`)")
        spans, expected = _reference_spans(doc, kind, old, new)
        if kind in ("person", "org"):
            spans += _body_spans(doc, old_file, old, new)
        if not spans:
            continue
        after = _apply_spans(doc.text, spans).encode("utf-8")
        _verify(rel, raw, after, expected)
        changes.append(FileChange(rel, raw, after, sorted(spans)))
        count += len(spans)
    return changes, count


def _subject_file(nb: Notebook, kind: str, slug: str) -> str | None:
    if kind == "person":
        person = nb.people.get(slug)
        return person.path if person else None
    if kind == "org":
        org = nb.orgs.get(slug)
        return org.path if org else None
    return None


def _known(nb: Notebook, kind: str) -> list[str]:
    if kind == "person":
        return list(nb.people)
    if kind == "org":
        return list(nb.orgs)
    if kind == "thread":
        return sorted({c.thread for c in nb.conversations if c.thread})
    return sorted({c.id for conv in nb.conversations for c in conv.commitments if c.id})


def plan_rename(nb: Notebook, kind: str, old: str, new: str) -> Plan:
    """The plan that renames person, org, thread or commitment id ``old`` to ``new`` everywhere.

    A person or org note moves to its new file name. Raises :class:`NotFound` when ``old``
    names nothing, :class:`UsageError` for a bad or taken ``new``, :class:`EditRefused`
    when a file mentioning it cannot be edited safely.
    """
    if kind not in KINDS:
        raise UsageError(f"cannot rename a `{kind}`: choose one of {', '.join(KINDS)}")
    old, new = unwrap_link(old.strip()), unwrap_link(new.strip())
    known = _known(nb, kind)
    if old not in known:
        raise NotFound(f"no {kind} `{old}` in the notebook{did_you_mean(old, known)}")
    if not SLUG_RE.match(new):
        raise UsageError(f"`{new}` is not a slug (lowercase letters, digits and hyphens)")
    if new == old:
        raise UsageError(f"`{old}` is already called `{new}`")
    if new in ("me", "them") and kind == "person":
        raise UsageError(f"`{new}` is a reserved word, not a person slug")
    if new in known or (kind in ("person", "org") and new in nb.slugs):
        raise UsageError(f"`{new}` is already taken; to fold one {kind} into another use `convo merge`")
    old_file = _subject_file(nb, kind, old)
    new_file = None
    if old_file is not None:
        new_file = f"{old_file.rsplit('/', 1)[0]}/{new}.md"
        if (nb.root / new_file).exists():
            raise UsageError(f"{new_file} already exists")
    changes, count = _rewrite_references(nb, kind, old, new, old_file, set())
    plan = Plan(f"renamed {kind} `{old}` to `{new}`", changes, count)
    if old_file is not None and new_file is not None:
        edited = next((c for c in changes if c.path == old_file), None)
        raw = (nb.root / old_file).read_bytes() if edited is None else edited.before
        assert raw is not None
        content = raw if edited is None else edited.after
        if edited is not None:
            changes.remove(edited)
        plan.changes.append(FileChange(old_file, raw, None, edited.spans if edited else []))
        plan.changes.append(FileChange(new_file, None, content, moved_from=old_file))
    return plan


# --- merging two people ---------------------------------------------------------------------

_LIST_FIELDS = ("aliases", "email", "phone")


def _add_to_list(doc: _Text, name: str, items: list[str]) -> tuple[list[Span], Any]:
    """Edits that add ``items`` to the list field ``name`` of a note, and the value it must read as after."""
    node = next((value for key, value in _mapping_items(doc.root) if key == name), None)
    start = doc.yaml_start
    text = doc.text
    if node is None or (isinstance(node, ScalarNode) and not node.value and not node.style):
        eol = "\r\n" if "\r\n" in text[start:doc.yaml_end] else "\n"
        if node is None:
            at = doc.yaml_end
            prefix = "" if at == start or text[at - 1] == "\n" else eol
            return [(at, at, f"{prefix}{name}: {yaml_value(items)}{eol}")], items
        where = start + node.start_mark.index
        return [(where, where, " " + yaml_value(items))], items
    if isinstance(node, ScalarNode):
        begin, end = start + node.start_mark.index, start + node.end_mark.index
        return [(begin, end, yaml_value([node.value, *items]))], [node.value, *items]
    if not isinstance(node, SequenceNode) or any(not isinstance(i, ScalarNode) for i in node.value):
        raise EditRefused(f"{doc.rel}: `{name}` is not a list of text; add {', '.join(items)} by hand")
    now = [i.value for i in node.value]
    if node.flow_style:
        close = start + node.end_mark.index - 1  # the `]`
        lead = ", " if node.value else ""
        return [(close, close, lead + ", ".join(yaml_value(i) for i in items))], now + items
    last = node.value[-1]
    end = start + last.end_mark.index
    newline = text.find("\n", end)
    at = len(text) if newline < 0 else newline + 1
    eol = "\r\n" if text[:at].endswith("\r\n") else "\n"
    if newline < 0:
        text_eol, at = eol, len(text)
    else:
        text_eol = ""
    indent = " " * node.start_mark.column
    lines = "".join(f"{indent}- {yaml_value(i)}{eol}" for i in items)
    return [(at, at, text_eol + lines)], now + items


def plan_merge(nb: Notebook, duplicate: str, keep: str, append_body: bool = False) -> Plan:
    """The plan that folds person ``duplicate`` into person ``keep``.

    ``keep``'s note gains the duplicate's name (as an alias), aliases, emails and phones it
    lacks (and with ``append_body`` the duplicate's body at its end); every reference to
    the duplicate becomes a reference to ``keep``; the duplicate's note is removed.
    :attr:`Plan.dropped_body` tells whether the duplicate had a body that is not kept.
    """
    duplicate, keep = unwrap_link(duplicate.strip()), unwrap_link(keep.strip())
    for slug in (duplicate, keep):
        if slug not in nb.people:
            raise NotFound(f"no person `{slug}` in notes/people/{did_you_mean(slug, nb.people)}")
    if duplicate == keep:
        raise UsageError("a person cannot be merged into themselves")
    gone, kept = nb.people[duplicate], nb.people[keep]
    if nb.is_private(gone) and not nb.is_private(kept):
        # the duplicate's name, aliases, emails and phones would become public values of `keep`'s page
        raise EditRefused(f"`{duplicate}` is private and `{keep}` is not: merging would publish what "
                          f"`{duplicate}`'s note keeps off the site; make {kept.path} `private: true` "
                          "first, or merge the other way")
    changes, count = _rewrite_references(nb, "person", duplicate, keep, gone.path, {gone.path})
    edited = next((c for c in changes if c.path == kept.path), None)
    raw = edited.after if edited else (nb.root / kept.path).read_bytes()
    assert raw is not None
    doc = _read_text(kept.path, raw)
    if isinstance(doc, str):
        raise EditRefused(f"{kept.path}: {doc}; fix it first")
    wanted: dict[str, list[str]] = {
        "aliases": [gone.name, *gone.aliases], "email": list(gone.emails), "phone": list(gone.phones),
    }
    have: dict[str, set[str]] = {
        "aliases": {kept.name.casefold(), *(a.casefold() for a in kept.aliases)},
        "email": {e.casefold() for e in kept.emails}, "phone": set(kept.phones),
    }
    spans: list[Span] = []
    expected: dict[tuple[Any, ...], Any] = {}
    for name in _LIST_FIELDS:
        new_items: list[str] = []
        for item in wanted[name]:
            folded = item if name == "phone" else item.casefold()
            if folded not in have[name]:
                have[name].add(folded)
                new_items.append(item)
        if new_items:
            more, value = _add_to_list(doc, name, new_items)
            spans += more
            expected[(name,)] = value
    body = gone.body.strip("\n")
    if body.strip() and append_body:
        eol = "\r\n" if "\r\n" in doc.text else "\n"
        tail = "" if doc.text.endswith("\n") else eol
        addition = f"{tail}{eol}<!-- merged from {gone.path} -->{eol}" + body.replace("\n", eol) + eol
        spans.append((len(doc.text), len(doc.text), addition))
    after = _apply_spans(doc.text, spans).encode("utf-8")
    _verify_merge(kept.path, raw, after, expected)
    before = edited.before if edited else raw
    if edited is not None:
        changes.remove(edited)
    merged = FileChange(kept.path, before, after, (edited.spans if edited else []) + spans)
    if edited is not None:
        merged.spans = []  # two rounds of edits: offsets no longer share one text
    changes.append(merged)
    changes.append(FileChange(gone.path, (nb.root / gone.path).read_bytes(), None))
    plan = Plan(f"merged person `{duplicate}` into `{keep}`", changes, count)
    plan.dropped_body = bool(body.strip()) and not append_body
    return plan


def _verify_merge(rel: str, before: bytes, after: bytes, expected: dict[tuple[Any, ...], Any]) -> None:
    old_fm, new_fm = read_note(before, rel), read_note(after, rel)
    if old_fm.data is None or new_fm.data is None:
        raise EditRefused(f"{rel}: the front matter cannot be read before or after the merge")
    want = _plain(old_fm.data)
    for (name,), value in expected.items():
        want[name] = value
    if _plain(new_fm.data) != want:
        raise EditRefused(f"{rel}: the merge would change more than aliases, emails and phones "
                          "(an unusual layout?); merge these people by hand")


# --- writing: all files or none ------------------------------------------------------------

def _journal_path(root: Path) -> Path:
    return root / JOURNAL


def _write_journal(root: Path, plan: Plan) -> None:
    entries = [{"path": c.path, "before": None if c.before is None else base64.b64encode(c.before).decode()}
               for c in plan.changes]
    atomic_write(_journal_path(root), json.dumps({"summary": plan.summary, "files": entries}).encode())


def recover(root: Path) -> list[str]:
    """Undo a rewrite that died between its renames (the journal is still there); the paths restored."""
    journal = _journal_path(root)
    try:
        data = json.loads(journal.read_bytes())
    except FileNotFoundError:
        return []
    except (OSError, ValueError):
        raise EditRefused(f"{JOURNAL} is damaged: restore the notebook from git and delete it") from None
    restored = []
    for entry in data.get("files", []):
        target = root / entry["path"]
        if entry["before"] is None:
            try:
                target.unlink()
            except FileNotFoundError:
                pass
        else:
            atomic_write(target, base64.b64decode(entry["before"]))
        restored.append(entry["path"])
    journal.unlink()
    _fsync_dir(root)
    return restored


def apply(root: Path, plan: Plan) -> None:
    """Write the plan: every file or none (see the module's documentation for the guarantee)."""
    recover(root)
    staged: list[tuple[FileChange, str | None]] = []
    try:
        for change in plan.changes:
            target = root / change.path
            try:
                current: bytes | None = target.read_bytes()
            except FileNotFoundError:
                current = None
            if current != change.before:
                raise EditRefused(f"{change.path} changed on disk since it was read; nothing was written, "
                                  "run the command again")
            tmp = None
            if change.after is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
                try:
                    _write_all(fd, change.after)
                    if current is not None:
                        os.fchmod(fd, os.stat(target).st_mode & 0o7777)
                    else:
                        umask = os.umask(0)
                        os.umask(umask)
                        os.fchmod(fd, 0o666 & ~umask)
                    os.fsync(fd)
                finally:
                    os.close(fd)
            staged.append((change, tmp))
        _write_journal(root, plan)
    except BaseException:
        for _, tmp in staged:
            if tmp:
                _unlink(tmp)
        raise
    done: list[FileChange] = []
    try:
        for change, tmp in staged:
            target = root / change.path
            if _current(target) != change.before:  # saved meanwhile (an editor): keep that, undo ours
                raise _ChangedMeanwhile(change.path)
            if tmp is not None:
                os.replace(tmp, target)
            else:
                target.unlink()
            done.append(change)
            _fsync_dir(target.parent)
    except _ChangedMeanwhile as changed:
        for change, tmp in staged:
            if tmp is not None and change not in done:
                _unlink(tmp)
        for change in done:  # only ours are put back: the file saved meanwhile is left as saved
            target = root / change.path
            if change.before is None:
                target.unlink(missing_ok=True)
            else:
                atomic_write(target, change.before)
        _journal_path(root).unlink()
        _fsync_dir(root)
        raise EditRefused(f"{changed.path} changed on disk while the rewrite was written; nothing was changed, "
                          "run the command again") from None
    except BaseException:
        for change, tmp in staged:
            if tmp is not None and change not in done:
                _unlink(tmp)
        recover(root)
        raise
    _journal_path(root).unlink()
    _fsync_dir(root)


class _ChangedMeanwhile(Exception):
    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def _current(target: Path) -> bytes | None:
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass

