"""`convo lsp` driven by a real LSP client (pygls') over stdio, on a real notebook in a temp dir.

Each test starts the server as a subprocess (`python -m convo_notes lsp`), opens notes
like an editor does and checks the answers: diagnostics as you type (the same codes and
places as `convo validate`), completion, hover, definition, references, code actions
(mark done changes only that line) and rename.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable

import pytest
from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

from convo_notes.loader import load_notebook

TODAY = "2026-03-10"
FILES = {
    "notes/people/sam.md": "---\nname: Sam Okafor\nteam: true\n---\n",
    "notes/people/dana-reyes.md": "---\nname: Dana Reyes\norg: harbor\nrole: Head of Procurement\n---\nOwns it.\n",
    "notes/people/pat-lee.md": "---\nname: Pat Lee\nrole: Engineer\n---\n",
    "notes/orgs/harbor.md": "---\nname: Harbor Logistics\nwhat: Runs the east terminals\n---\n",
    "notes/conversations/2026/2026-03-01-call.md": (
        "---\n"
        "date: 2026-03-01\n"
        "with: dana-reyes\n"
        "thread: renewal\n"
        "commitments:\n"
        "  - id: send-deck\n"
        "    what: Send the deck\n"
        "    to: dana-reyes\n"
        "    due: 2026-03-08\n"
        "  - owner: dana-reyes\n"
        "    what: Share the figures\n"
        "next:\n"
        "  turn: them\n"
        "  by: 2026-03-12\n"
        "  about: Pricing\n"
        "---\n"
        "Called [[dana-reyes]] about the renewal.\n"
    ),
}
CALL = "notes/conversations/2026/2026-03-01-call.md"
NEW = "notes/conversations/2026/2026-03-09-follow-up.md"


class Session:
    """A started server, the client talking to it, and the diagnostics it published."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.client = LanguageClient("convo-test", "1")
        self.published: dict[str, list[lsp.Diagnostic]] = {}
        self.event = asyncio.Event()
        self.versions: dict[str, int] = {}

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            self.published[params.uri] = list(params.diagnostics)
            self.event.set()

        @self.client.feature(lsp.WINDOW_SHOW_MESSAGE)
        def message(params: lsp.ShowMessageParams) -> None:
            self.messages.append(params.message)

        self.messages: list[str] = []

    def uri(self, rel: str) -> str:
        return from_fs_path(str(self.root / rel)) or ""

    async def start(self) -> None:
        env = {**os.environ, "CONVO_TODAY": TODAY}
        await self.client.start_io(sys.executable, "-m", "convo_notes", "lsp", cwd=str(self.root), env=env)
        await self.client.initialize_async(lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(), root_uri=from_fs_path(str(self.root)),
            workspace_folders=[lsp.WorkspaceFolder(uri=from_fs_path(str(self.root)) or "", name="nb")]))
        self.client.initialized(lsp.InitializedParams())

    async def stop(self) -> None:
        await asyncio.wait_for(self.client.shutdown_async(None), 10)
        self.client.exit(None)
        await asyncio.wait_for(self.client.stop(), 10)

    async def diagnostics_after(self, send: Callable[[], None], rel: str) -> list[lsp.Diagnostic]:
        self.event.clear()
        self.published.pop(self.uri(rel), None)
        send()
        while self.uri(rel) not in self.published:
            await asyncio.wait_for(self.event.wait(), 20)
            self.event.clear()
        return self.published[self.uri(rel)]

    async def open(self, rel: str, text: str | None = None) -> list[lsp.Diagnostic]:
        body = (self.root / rel).read_text() if text is None else text
        self.versions[rel] = 1
        return await self.diagnostics_after(lambda: self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=self.uri(rel), language_id="markdown", version=1, text=body))),
            rel)

    async def change(self, rel: str, text: str) -> list[lsp.Diagnostic]:
        self.versions[rel] += 1
        return await self.diagnostics_after(lambda: self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=self.uri(rel), version=self.versions[rel]),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)])), rel)

    def at(self, rel: str, line: int, character: int) -> dict[str, Any]:
        return {"text_document": lsp.TextDocumentIdentifier(uri=self.uri(rel)),
                "position": lsp.Position(line=line, character=character)}


def run(root: Path, scenario: Callable[[Session], Awaitable[None]]) -> None:
    async def main() -> None:
        session = Session(root)
        await session.start()
        try:
            await asyncio.wait_for(scenario(session), 60)
        finally:
            await session.stop()

    asyncio.run(main())


def apply_edits(text: str, edits: list[lsp.TextEdit]) -> str:
    """Apply LSP text edits (ASCII test text: characters are UTF-16 units)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    spans = sorted(((offsets[e.range.start.line] + e.range.start.character,
                     offsets[e.range.end.line] + e.range.end.character, e.new_text) for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


@pytest.fixture
def nb(make_notebook):
    return make_notebook(FILES, me="sam")


def test_diagnostics_as_you_type_match_validate(nb, cli):
    broken = FILES[CALL].replace("with: dana-reyes\n", "with: [dana-reys, pat-lee]\n").replace(
        "[[dana-reyes]]", "[[harbour]]")

    async def scenario(s: Session) -> None:
        assert await s.open(CALL) == []
        found = await s.change(CALL, broken)
        (nb / CALL).write_text(broken)  # what validate sees once it is saved
        expected = [(d.line - 1, d.column - 1, d.code, d.message) for d in load_notebook(nb).diagnostics]
        got = [(d.range.start.line, d.range.start.character, d.code, d.message) for d in found]
        assert got == expected
        assert [d.code for d in found] == ["unknown-person", "broken-link"]
        assert found[0].range.end.character - found[0].range.start.character == len("dana-reys")
        # a malformed buffer: every request still answers
        garbage = "---\nwith: [unclosed\ncommitments: {\n---\n[[\n"
        assert [d.code for d in await s.change(CALL, garbage)] == ["yaml-syntax"]
        await s.client.text_document_completion_async(lsp.CompletionParams(**s.at(CALL, 4, 1)))
        await s.client.text_document_hover_async(lsp.HoverParams(**s.at(CALL, 1, 8)))
        await s.client.text_document_definition_async(lsp.DefinitionParams(**s.at(CALL, 1, 8)))
        await s.client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=s.uri(CALL)),
            range=lsp.Range(start=lsp.Position(line=2, character=0), end=lsp.Position(line=2, character=0)),
            context=lsp.CodeActionContext(diagnostics=[])))
        assert await s.change(CALL, FILES[CALL]) == []

    run(nb, scenario)


def test_completion_hover_definition_references(nb):
    draft = "---\ndate: 2026-03-09\nwith: [da]\nthread: \ncloses: []\nchannel: \n---\nMet [[pa\nand [[2026\n"

    async def scenario(s: Session) -> None:
        await s.open(CALL)
        await s.open(NEW, draft)

        async def labels(line: int, char: int) -> list[str]:
            result = await s.client.text_document_completion_async(lsp.CompletionParams(**s.at(NEW, line, char)))
            assert isinstance(result, lsp.CompletionList)
            return [i.label for i in result.items]

        people = await labels(2, 9)
        assert {"dana-reyes", "pat-lee", "sam", "me"} <= set(people) and "harbor" not in people
        assert await labels(3, 8) == ["renewal"]
        result = await s.client.text_document_completion_async(lsp.CompletionParams(**s.at(NEW, 4, 9)))
        assert [(i.label, i.detail) for i in result.items] == [("send-deck", "Send the deck · due 2026-03-08")]
        assert "email" in await labels(5, 9)
        assert {"pat-lee", "harbor"} <= set(await labels(7, 8))
        assert "2026-03-01-call" not in await labels(7, 8)  # conversations narrowed by what is typed
        assert "2026-03-01-call" in await labels(8, 10)
        assert {"channel", "with", "commitments"} <= set(await labels(5, 0))  # field names

        hover = await s.client.text_document_hover_async(lsp.HoverParams(**s.at(CALL, 2, 8)))
        assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
        text = hover.contents.value
        assert "**Dana Reyes**" in text and "Head of Procurement at Harbor Logistics: Runs the east terminals" in text
        assert "Last spoke 2026-03-01" in text and "They owe: Share the figures" in text
        assert "We owe: Send the deck (due 2026-03-08" in text and "`renewal`: waiting on Dana Reyes" in text

        where = await s.client.text_document_definition_async(lsp.DefinitionParams(**s.at(CALL, 16, 10)))
        assert isinstance(where, list) and [w.uri for w in where] == [s.uri("notes/people/dana-reyes.md")]

        refs = await s.client.text_document_references_async(lsp.ReferenceParams(
            context=lsp.ReferenceContext(include_declaration=False), **s.at(CALL, 2, 8)))
        assert refs is not None
        assert sorted((r.uri == s.uri(CALL), r.range.start.line, r.range.start.character) for r in refs) == [
            (True, 2, 6), (True, 7, 8), (True, 9, 11), (True, 16, 9)]

    run(nb, scenario)


def test_code_actions_mark_done_and_fixes(nb):
    async def scenario(s: Session) -> None:
        text = FILES[CALL]
        await s.open(CALL)
        actions = await s.client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=s.uri(CALL)),
            range=lsp.Range(start=lsp.Position(line=6, character=4), end=lsp.Position(line=6, character=4)),
            context=lsp.CodeActionContext(diagnostics=[])))
        assert actions is not None
        done = [a for a in actions if isinstance(a, lsp.CodeAction) and a.title.startswith("Mark done today")]
        assert [a.title for a in done] == ["Mark done today (2026-03-10): Send the deck"]
        assert done[0].edit is not None and done[0].edit.changes is not None
        edits = done[0].edit.changes[s.uri(CALL)]
        assert apply_edits(text, list(edits)) == text.replace("    due: 2026-03-08\n",
                                                              "    due: 2026-03-08\n    done: 2026-03-10\n")

        typo = text.replace("with: dana-reyes", "with: [dana-reye, newcomer]").replace("[[dana-reyes]]",
                                                                                      "[[dana-reye|Dana]]")
        found = await s.change(CALL, typo)
        actions = await s.client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=s.uri(CALL)), range=found[0].range,
            context=lsp.CodeActionContext(diagnostics=[d for d in found if d.code == "unknown-person"])))
        titles = sorted(a.title for a in actions or [] if isinstance(a, lsp.CodeAction))
        assert titles == ["Create person note notes/people/dana-reye.md", "Create person note notes/people/newcomer.md",
                          "Did you mean `dana-reyes`?"]
        fix = next(a for a in actions or [] if isinstance(a, lsp.CodeAction) and a.title.startswith("Did"))
        assert fix.edit is not None and fix.edit.changes is not None
        assert apply_edits(typo, list(fix.edit.changes[s.uri(CALL)])) == text.replace(
            "with: dana-reyes", "with: [dana-reyes, newcomer]").replace("[[dana-reyes]]", "[[dana-reye|Dana]]")
        link = next(d for d in found if d.code == "broken-link")
        assert (link.range.start.character, link.range.end.character) == (7, 25)  # the whole [[dana-reye|Dana]]
        actions = await s.client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=s.uri(CALL)), range=link.range,
            context=lsp.CodeActionContext(diagnostics=[link])))
        fix = next(a for a in actions or [] if isinstance(a, lsp.CodeAction) and a.title.startswith("Did"))
        assert fix.edit is not None and fix.edit.changes is not None
        assert apply_edits(typo, list(fix.edit.changes[s.uri(CALL)])).endswith(
            "Called [[dana-reyes|Dana]] about the renewal.\n")

    run(nb, scenario)


def test_rename_is_the_rewrite_of_convo_rename(nb):
    async def scenario(s: Session) -> None:
        await s.open(CALL)
        prepared = await s.client.text_document_prepare_rename_async(lsp.PrepareRenameParams(**s.at(CALL, 2, 8)))
        assert isinstance(prepared, lsp.PrepareRenamePlaceholder) and prepared.placeholder == "dana-reyes"
        edit = await s.client.text_document_rename_async(lsp.RenameParams(new_name="dana-r", **s.at(CALL, 2, 8)))
        assert edit is not None and edit.document_changes is not None
        moves = [c for c in edit.document_changes if isinstance(c, lsp.RenameFile)]
        assert [(m.old_uri, m.new_uri) for m in moves] == [
            (s.uri("notes/people/dana-reyes.md"), s.uri("notes/people/dana-r.md"))]
        texts = [c for c in edit.document_changes if isinstance(c, lsp.TextDocumentEdit)]
        assert [t.text_document.uri for t in texts] == [s.uri(CALL)]
        renamed = apply_edits(FILES[CALL], [e for e in texts[0].edits if isinstance(e, lsp.TextEdit)])
        assert renamed == FILES[CALL].replace("dana-reyes", "dana-r")

        taken = await s.client.text_document_rename_async(lsp.RenameParams(new_name="pat-lee", **s.at(CALL, 2, 8)))
        assert taken is None

    run(nb, scenario)


def test_files_changed_outside_the_editor_are_seen(nb):
    async def scenario(s: Session) -> None:
        text = FILES[CALL].replace("with: dana-reyes", "with: [dana-reyes, newcomer]")
        found = await s.open(CALL, text)
        assert [d.code for d in found] == ["unknown-person"]
        s.event.clear()
        s.published.pop(s.uri(CALL), None)
        (nb / "notes/people/newcomer.md").write_text("---\nname: Newcomer\n---\n")  # another program writes it
        while s.uri(CALL) not in s.published or s.published[s.uri(CALL)]:
            await asyncio.wait_for(s.event.wait(), 20)
            s.event.clear()
        assert s.published[s.uri(CALL)] == []

    run(nb, scenario)
