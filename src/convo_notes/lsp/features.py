"""What the language server answers, as plain functions of the live notebook and a buffer.

Each function takes the :class:`.live.LiveNotebook`, the note's notebook-relative path
and the buffer's text, and returns :mod:`lsprotocol` values; :mod:`.server` only wires
them to the protocol. Every meaning comes from the records the loader built: the
buffer's text is looked at only to find the cursor's place.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from lsprotocol import types as lsp
from pygls.uris import from_fs_path

from ..agenda import closed_ids, commitment_state, open_commitments, threads
from ..diagnostics import Diagnostic
from ..errors import ConvoError, EditRefused
from ..loader import note_kind
from ..model import Commitment, Conversation, Note, Notebook
from ..parse import Path as FieldPath
from ..schema import CHANNELS, KIND_OF_SUBFIELDS, KINDS, Field
from .live import LiveNotebook
from .text import (
    Reference,
    char_index,
    front_matter_lines,
    lines_of,
    place_at,
    reference_at,
    reference_kind,
    token_span,
    utf16_len,
)

SOURCE = "convo"
_SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning}
_DID_YOU_MEAN = re.compile(r"did you mean `([^`]+)`\?")
_UNKNOWN_PERSON = re.compile(r"no person `([a-z0-9-]+)`")



def reference_under(rel: str, text: str, line: int, utf16: int) -> tuple[list[str], Reference | None]:
    """The buffer's lines and the reference under a cursor at ``line``, UTF-16 column ``utf16``
    (None when the cursor is past the last line or on no reference)."""
    lines = lines_of(text)
    if line >= len(lines):
        return lines, None
    return lines, reference_at(rel, text, line, char_index(lines[line], utf16))

def uri_of(live: LiveNotebook, rel: str) -> str:
    return from_fs_path(live.src(rel)) or ""


def position(lines: list[str], line: int, char: int) -> lsp.Position:
    """An LSP position from a 0-based line and character index."""
    text = lines[line] if 0 <= line < len(lines) else ""
    return lsp.Position(line=line, character=utf16_len(text[:char]))


def span_range(lines: list[str], line: int, start: int, end: int) -> lsp.Range:
    return lsp.Range(start=position(lines, line, start), end=position(lines, line, end))


# --- diagnostics ------------------------------------------------------------------------

def to_lsp_diagnostic(lines: list[str], d: Diagnostic) -> lsp.Diagnostic:
    """A diagnostic at ``validate``'s line and column, spanning the value that stands there."""
    line = max(d.line - 1, 0)
    col = max(d.column - 1, 0)
    text = lines[line] if line < len(lines) else ""
    start, end = token_span(text, col) if col < len(text) else (col, col)
    if end <= start:
        end = max(len(text), start)
    return lsp.Diagnostic(
        range=span_range(lines, line, start, end), message=d.message, code=d.code, source=SOURCE,
        severity=_SEVERITY.get(d.severity, lsp.DiagnosticSeverity.Information),
    )


def diagnostics(live: LiveNotebook, rel: str, text: str) -> list[lsp.Diagnostic]:
    lines = lines_of(text)
    return [to_lsp_diagnostic(lines, d) for d in live.diagnostics(rel)]


# --- completion --------------------------------------------------------------------------

def _people_items(nb: Notebook, with_orgs: bool = False, with_people: bool = True) -> Iterator[lsp.CompletionItem]:
    if with_people:
        for p in nb.people.values():
            detail = ", ".join(x for x in (p.role, nb.display(p.org) if p.org else None) if x)
            yield lsp.CompletionItem(label=p.slug, kind=lsp.CompletionItemKind.Reference,
                                     detail=f"{p.name}" + (f" · {detail}" if detail else ""),
                                     filter_text=f"{p.slug} {p.name}")
    if with_orgs:
        for o in nb.orgs.values():
            yield lsp.CompletionItem(label=o.slug, kind=lsp.CompletionItemKind.Module,
                                     detail=o.name + (f" · {o.what}" if o.what else ""),
                                     filter_text=f"{o.slug} {o.name}")


def _field_items(fields: tuple[Field, ...]) -> list[lsp.CompletionItem]:
    return [lsp.CompletionItem(label=f.name, kind=lsp.CompletionItemKind.Field, detail=f.type
                               + (" (required)" if f.required else ""),
                               documentation=f.description, insert_text=f"{f.name}: ")
            for f in fields]


MAX_CONVERSATIONS = 100  # conversation links offered at once; typing more of the slug narrows them


def completion(live: LiveNotebook, rel: str, text: str, line: int,
               utf16: int) -> tuple[list[lsp.CompletionItem], bool]:
    """People, orgs, threads, open commitment ids, channels, field names or wiki links, by place.

    Returns the items and whether the list is incomplete (more conversations match than are offered).
    """
    people = live.directory()  # slugs complete without rebuilding the notebook after a keystroke
    lines = lines_of(text)
    if line >= len(lines):
        return [], False
    current = lines[line]
    char = char_index(current, utf16)
    before = current[:char]
    items: list[lsp.CompletionItem]
    opened = before.rfind("[[")
    if opened >= 0 and "]]" not in before[opened:]:
        start = opened + 2
        while start < char and current[start] == " ":
            start += 1
        typed = current[start:char]
        items = list(_people_items(people, with_orgs=True))
        matching = [c for c in reversed(live.notebook().conversations) if typed in c.slug]
        items += [lsp.CompletionItem(label=c.slug, kind=lsp.CompletionItemKind.File, detail=c.title)
                  for c in matching[:MAX_CONVERSATIONS]]
        return _with_edit(items, lines, line, start, char), len(matching) > MAX_CONVERSATIONS
    place = place_at(text, line, char)
    if place.section != "front":
        return [], False
    if place.on_key:
        kind = note_kind(rel) if rel.endswith(".md") else None
        if kind is None:
            return [], False
        fields = KIND_OF_SUBFIELDS.get(place.parent or "", ()) if place.parent else KINDS[kind]
        return _with_edit(_field_items(fields), lines, line, place.start, place.end), False
    what = reference_kind(rel, place)
    if what in ("person", "turn"):
        items = list(_people_items(people))
        items.append(lsp.CompletionItem(label="me", kind=lsp.CompletionItemKind.Keyword,
                                        detail="the notebook's own person"))
        if what == "turn":
            items.append(lsp.CompletionItem(label="them", kind=lsp.CompletionItemKind.Keyword,
                                            detail="the people in `with`"))
    elif what == "org":
        items = list(_people_items(people, with_orgs=True, with_people=False))
    elif what == "recommends":
        items = list(_people_items(people, with_orgs=True))
    elif what == "thread":
        found = {t.key: t for t in threads(live.notebook()) if t.explicit}
        items = [lsp.CompletionItem(label=key, kind=lsp.CompletionItemKind.Folder,
                                    detail=f"{t.state} · latest {t.latest.date.isoformat()}: {t.latest.title}")
                 for key, t in sorted(found.items())]
    elif what == "id":
        items = [lsp.CompletionItem(label=c.id, kind=lsp.CompletionItemKind.Value,
                                    detail=f"{c.what}" + (f" · due {c.due.isoformat()}" if c.due else ""),
                                    documentation=f"{conv.path}:{c.line}")
                 for conv, c in open_commitments(live.notebook()) if c.id]
    elif what == "channel":
        items = [lsp.CompletionItem(label=c, kind=lsp.CompletionItemKind.EnumMember) for c in CHANNELS]
    else:
        return [], False
    return _with_edit(items, lines, line, place.start, char if place.start <= char else place.start), False


def _with_edit(items: list[lsp.CompletionItem], lines: list[str], line: int, start: int,
               end: int) -> list[lsp.CompletionItem]:
    """Each item replaces the word being typed (so `dana-r` completes to `dana-reyes`, not `dana-rdana-reyes`)."""
    where = span_range(lines, line, start, max(end, start))
    for item in items:
        item.text_edit = lsp.TextEdit(range=where, new_text=item.insert_text or item.label)
    return items


# --- resolving a reference ---------------------------------------------------------------

def _kind_of(nb: Notebook, ref: Reference) -> str | None:
    """person, org, thread, id or conversation: what the slug under the cursor names."""
    slug = nb.canon(ref.slug) or ref.slug
    if ref.kind in ("person", "org", "thread", "id"):
        return ref.kind
    if ref.kind == "own-id":
        return "id"
    if ref.kind in ("link", "recommends", "turn"):
        if slug in nb.people:
            return "person"
        if slug in nb.orgs:
            return "org"
        if ref.kind == "link" and any(c.slug == slug for c in nb.conversations):
            return "conversation"
    return None


def _commitment(nb: Notebook, ident: str) -> tuple[Conversation, Commitment] | None:
    for conv in nb.conversations:
        for c in conv.commitments:
            if c.id == ident:
                return conv, c
    return None


def hover(live: LiveNotebook, rel: str, text: str, line: int, utf16: int) -> lsp.Hover | None:
    """The short brief on a person or org, a thread's state, or a commitment."""
    from ..brief import build_brief
    from ..render.hover import render_hover_brief, render_hover_commitment, render_hover_thread

    lines, ref = reference_under(rel, text, line, utf16)
    if ref is None:
        return None
    nb = live.notebook()
    today = live.today()
    kind = _kind_of(nb, ref)
    slug = nb.canon(ref.slug) or ref.slug
    if kind in ("person", "org"):
        value = render_hover_brief(nb, build_brief(nb, slug, today), today)
    elif kind == "thread":
        found = next((t for t in threads(nb) if t.key == slug), None)
        if found is None:
            return None
        value = render_hover_thread(nb, found, today)
    elif kind == "id":
        hit = _commitment(nb, slug)
        if hit is None:
            return None
        value = render_hover_commitment(nb, hit[0], hit[1], commitment_state(hit[1], closed_ids(nb), today), today)
    elif kind == "conversation":
        conv = next(c for c in nb.conversations if c.slug == slug)
        value = f"**{conv.title}** ({conv.date.isoformat()}) with {', '.join(nb.display(s) for s in conv.with_)}"
    else:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=value),
                     range=span_range(lines, ref.line, ref.start, ref.end))


# --- definition and references ---------------------------------------------------------------

def _location(live: LiveNotebook, rel: str, line: int = 1, col: int = 1, length: int = 0) -> lsp.Location:
    text = live.text(rel) or ""
    lines = lines_of(text)
    start = max(col - 1, 0)
    return lsp.Location(uri=uri_of(live, rel), range=span_range(lines, max(line - 1, 0), start, start + length))


def definition(live: LiveNotebook, rel: str, text: str, line: int, utf16: int) -> list[lsp.Location]:
    """The note a slug or ``[[link]]`` names (a thread: its latest conversation; an id: its commitment)."""
    lines, ref = reference_under(rel, text, line, utf16)
    if ref is None:
        return []
    nb = live.notebook()
    kind = _kind_of(nb, ref)
    slug = nb.canon(ref.slug) or ref.slug
    note: Note | None = None
    if kind == "person":
        note = nb.people.get(slug)
    elif kind == "org":
        note = nb.orgs.get(slug)
    elif kind == "conversation":
        note = nb.by_slug(slug)
    elif kind == "thread":
        found = next((t for t in threads(nb) if t.key == slug), None)
        note = found.latest if found else None
    elif kind == "id":
        hit = _commitment(nb, slug)
        if hit is not None:
            return [_location(live, hit[0].path, hit[1].line)]
    return [_location(live, note.path)] if note is not None else []


def _places(nb: Notebook, kind: str, slug: str) -> Iterator[tuple[Note, FieldPath | None, int, int]]:
    """Every place a person, org, thread or id is referred to: (note, field path or None, line, col)."""
    for person in nb.people.values():
        if kind == "org" and person.org == slug:
            yield person, ("org",), 0, 0
    notes: list[Note] = [*nb.people.values(), *nb.orgs.values(), *nb.conversations, *nb.incomplete]
    if kind in ("person", "org"):
        for note in notes:
            for target, line, col in note.links:
                if target == slug:
                    yield note, None, line, col + 2
    for conv in [*nb.conversations, *nb.incomplete]:
        if kind == "person":
            for i, s in enumerate(conv.with_):
                if (nb.canon(s) or s) == slug:
                    yield conv, ("with", i) if len(conv.with_) > 1 or _is_list(conv, "with") else ("with",), 0, 0
            if (nb.canon(conv.recorded_by) or "") == slug:
                yield conv, ("recorded_by",), 0, 0
            if conv.next and (nb.canon(conv.next.turn) or "") == slug:
                yield conv, ("next", "turn"), 0, 0
            for c in conv.commitments:
                for name, value in (("owner", c.owner), ("to", c.to)):
                    if (nb.canon(value) or "") == slug:
                        yield conv, ("commitments", c.index, name), 0, 0
        if kind in ("person", "org"):
            if kind == "org" and conv.org == slug:
                yield conv, ("org",), 0, 0
            for r in conv.referrals:
                if r.recommends == slug:
                    yield conv, ("referrals", r.index, "recommends"), 0, 0
                if kind == "person":
                    for name, value in (("by", r.by), ("to", r.to)):
                        if (nb.canon(value) or "") == slug:
                            yield conv, ("referrals", r.index, name), 0, 0
        if kind == "thread" and conv.thread == slug:
            yield conv, ("thread",), 0, 0
        if kind == "id":
            for c in conv.commitments:
                if c.id == slug:
                    yield conv, ("commitments", c.index, "id"), 0, 0
            for i, ident in enumerate(conv.closes):
                if ident == slug:
                    yield conv, ("closes", i) if _is_list(conv, "closes") else ("closes",), 0, 0


def _is_list(note: Note, name: str) -> bool:
    return (name, 0) in note.locs


def references(live: LiveNotebook, rel: str, text: str, line: int, utf16: int,
               include_declaration: bool = True) -> list[lsp.Location]:
    """Every place in the notebook that names the person, org, thread or id under the cursor."""
    lines, ref = reference_under(rel, text, line, utf16)
    if ref is None:
        return []
    nb = live.notebook()
    kind = _kind_of(nb, ref)
    if kind not in ("person", "org", "thread", "id"):
        return []
    slug = nb.canon(ref.slug) or ref.slug
    out: list[lsp.Location] = []
    texts: dict[str, list[str]] = {}
    for note, at, line_no, col in _places(nb, kind, slug):
        if at is not None:
            line_no, col = note.locs.get(at, (1, 1))
        rows = texts.setdefault(note.path, lines_of(live.text(note.path) or ""))
        row = rows[line_no - 1] if 0 < line_no <= len(rows) else ""
        start = col - 1
        hit = row.find(slug, start)
        if hit >= 0 and hit - start <= 3:  # past an opening quote and `[[`
            start = hit
        out.append(lsp.Location(uri=uri_of(live, note.path),
                                range=span_range(rows, line_no - 1, start, start + len(slug))))
    if include_declaration and kind in ("person", "org"):
        own = nb.people.get(slug) if kind == "person" else nb.orgs.get(slug)
        if own is not None:
            out.insert(0, _location(live, own.path))
    return out


# --- code actions ------------------------------------------------------------------------------

def _replace_all(lines: list[str], old: str, new: str) -> lsp.TextEdit:
    """The smallest edit turning ``old`` into ``new`` (common head and tail kept)."""
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return lsp.TextEdit(range=lsp.Range(start=_offset_position(old, head), end=_offset_position(old, len(old) - tail)),
                        new_text=new[head:len(new) - tail])


def _offset_position(text: str, offset: int) -> lsp.Position:
    bom = 1 if text.startswith("\ufeff") else 0
    offset = max(offset, bom)
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return lsp.Position(line=line, character=utf16_len(text[max(start, bom):offset]))


def _commitment_at(note: Note, text: str, line: int) -> Commitment | None:
    """The commitment whose lines hold the 0-based ``line``."""
    if not isinstance(note, Conversation) or not note.commitments:
        return None
    bounds = front_matter_lines(lines_of(text))
    end = bounds[1] if bounds else 0
    ordered = sorted(note.commitments, key=lambda c: c.line)
    for i, c in enumerate(ordered):
        last = ordered[i + 1].line - 1 if i + 1 < len(ordered) else end
        if c.line - 1 <= line < last:
            return c
    return None


def code_actions(live: LiveNotebook, rel: str, text: str, rng: lsp.Range,
                 context: list[lsp.Diagnostic], uri: str | None = None) -> list[lsp.CodeAction]:
    """Mark done today; create the note of an unknown person; did-you-mean fixes.

    ``uri``: the document as the client names it (edits to it must use that name).
    """
    from ..edit import insert_done, render_template

    out: list[lsp.CodeAction] = []
    uri = uri or uri_of(live, rel)
    lines = lines_of(text)
    nb = live.notebook()
    note = live.note(rel)
    today = live.today()
    if note is not None:
        c = _commitment_at(note, text, rng.start.line)
        if c is not None and commitment_state(c, closed_ids(nb), today) in ("open", "overdue"):
            try:
                new = insert_done(text.encode("utf-8"), c.index, today).decode("utf-8")
            except EditRefused as exc:
                new = None
                out.append(lsp.CodeAction(title=f"Mark done today: {exc}", kind=lsp.CodeActionKind.QuickFix,
                                          disabled=lsp.CodeActionDisabled(reason=str(exc))))
            if new is not None:
                edit = _replace_all(lines, text, new)
                out.append(lsp.CodeAction(
                    title=f"Mark done today ({today.isoformat()}): {c.what}", kind=lsp.CodeActionKind.QuickFix,
                    edit=lsp.WorkspaceEdit(changes={uri: [edit]}), is_preferred=True))
    for d in context:
        if d.source != SOURCE:
            continue
        hit = _DID_YOU_MEAN.search(d.message)
        if hit is not None:
            row = lines[d.range.start.line] if d.range.start.line < len(lines) else ""
            start = char_index(row, d.range.start.character)
            end = char_index(row, d.range.end.character)
            token = row[start:end]
            core = token.strip("\"'")
            opened = token.find("[[")
            if core.startswith("[["):
                core = re.split(r"[|#\]]", core[2:], maxsplit=1)[0]
            old = core.strip()
            at = token.find(old, max(opened, 0)) if old else -1
            if at >= 0:
                fix = lsp.TextEdit(range=span_range(lines, d.range.start.line, start + at, start + at + len(old)),
                                   new_text=hit.group(1))
                out.append(lsp.CodeAction(title=f"Did you mean `{hit.group(1)}`?", kind=lsp.CodeActionKind.QuickFix,
                                          diagnostics=[d], edit=lsp.WorkspaceEdit(changes={uri: [fix]}),
                                          is_preferred=True))
        unknown = _UNKNOWN_PERSON.search(d.message)
        if d.code == "unknown-person" and unknown is not None:
            slug = unknown.group(1)
            target = f"notes/people/{slug}.md"
            if (live.root / target).exists():
                continue
            try:
                body = render_template(live.root, "person.md", {"name": slug.replace("-", " ").title(),
                                                                "slug": slug, "today": today})
            except ConvoError:
                continue
            new_uri = uri_of(live, target)
            out.append(lsp.CodeAction(
                title=f"Create person note {target}", kind=lsp.CodeActionKind.QuickFix, diagnostics=[d],
                edit=lsp.WorkspaceEdit(document_changes=[
                    lsp.CreateFile(uri=new_uri, options=lsp.CreateFileOptions(ignore_if_exists=True)),
                    lsp.TextDocumentEdit(
                        text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=new_uri, version=None),
                        edits=[lsp.TextEdit(range=lsp.Range(start=lsp.Position(line=0, character=0),
                                                            end=lsp.Position(line=0, character=0)),
                                            new_text=body)]),
                ])))
    return out


# --- rename --------------------------------------------------------------------------------------

class RenameRefused(Exception):
    """A rename the server cannot make; the message is shown to the user."""


def prepare_rename(live: LiveNotebook, rel: str, text: str, line: int,
                   utf16: int) -> lsp.PrepareRenamePlaceholder | None:
    lines, ref = reference_under(rel, text, line, utf16)
    if ref is None or _kind_of(live.notebook(), ref) not in ("person", "org", "thread", "id"):
        return None
    return lsp.PrepareRenamePlaceholder(range=span_range(lines, ref.line, ref.start, ref.end), placeholder=ref.slug)


def rename(live: LiveNotebook, rel: str, text: str, line: int, utf16: int, new_name: str) -> lsp.WorkspaceEdit | None:
    """The workspace edit of ``convo rename`` for the person, org, thread or id under the cursor."""
    from .. import rewrite

    lines, ref = reference_under(rel, text, line, utf16)
    if ref is None:
        return None
    nb = live.notebook()
    kind = _kind_of(nb, ref)
    if kind not in ("person", "org", "thread", "id"):
        return None
    try:
        plan = rewrite.plan_rename(nb, kind, nb.canon(ref.slug) or ref.slug, new_name)
    except ConvoError as exc:
        raise RenameRefused(exc.message) from None
    for change in plan.changes:
        if change.path in live.buffers and change.before is not None \
                and live.buffers[change.path] != change.before.decode("utf-8-sig"):
            raise RenameRefused(f"{change.path} has unsaved changes: save it, then rename")
    document_changes: list[lsp.TextDocumentEdit | lsp.CreateFile | lsp.RenameFile | lsp.DeleteFile] = []
    moves: list[lsp.RenameFile] = []
    moved_to = {c.moved_from: c.path for c in plan.changes if c.moved_from is not None}
    for change in plan.changes:
        if change.moved_from is not None or change.before is None:
            continue
        old_text = change.before.decode("utf-8")
        edits = [lsp.TextEdit(range=lsp.Range(start=_offset_position(old_text, s), end=_offset_position(old_text, e)),
                              new_text=new) for s, e, new in change.spans]
        uri = uri_of(live, change.path)
        if edits:
            document_changes.append(lsp.TextDocumentEdit(
                text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=None), edits=edits))
        if change.path in moved_to:
            moves.append(lsp.RenameFile(old_uri=uri, new_uri=uri_of(live, moved_to[change.path])))
    return lsp.WorkspaceEdit(document_changes=[*document_changes, *moves])


def root_of(path: str) -> Path | None:
    """The notebook holding ``path`` (None when it is in none)."""
    from ..errors import NotebookNotFound
    from ..loader import find_root

    try:
        return find_root(start=Path(path).parent)
    except NotebookNotFound:
        return None
