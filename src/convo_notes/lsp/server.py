"""The pygls server: protocol messages in, :mod:`.features` answers out, logs on stderr only.

Every handler is wrapped so that nothing a buffer holds can take the server down: a
failure is logged (to stderr) and the request answers with nothing rather than an
error, so an editor keeps working on a broken note. The notebook is watched with
watchdog (and the client's ``workspace/didChangeWatchedFiles``): files changed outside
the editor are re-read before the next answer and the open notes' diagnostics published
again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import gc
import logging
import os
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from . import features
from .live import LiveNotebook

log = logging.getLogger("convo.lsp")
F = TypeVar("F", bound=Callable[..., Any])


def _safe(default: Any = None) -> Callable[[F], F]:
    """Answer ``default`` (and log to stderr) instead of failing on anything unexpected."""
    def wrap(fn: F) -> F:
        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except features.RenameRefused:
                raise
            except Exception:  # noqa: BLE001 - a broken buffer must never end the server
                log.exception("convo lsp: %s failed", fn.__name__)
                return default() if callable(default) else default
        return run  # type: ignore[return-value]
    return wrap


class ConvoServer(LanguageServer):
    """The language server, holding one live notebook (found from the workspace or the first note opened)."""

    def __init__(self, root: Path | None, today: dt.date | None) -> None:
        super().__init__("convo-notes", __version__)
        self.fixed_root = root
        self.fixed_today = today
        self.live: LiveNotebook | None = None
        self.observer: Any = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.uris: dict[str, str] = {}  # open note -> the URI the client named it by (symlinks kept)

    def today(self) -> dt.date:
        return self.fixed_today or dt.date.today()

    def live_for(self, path: str | None) -> LiveNotebook | None:
        """The live notebook, started on first use from the workspace root or ``path``."""
        if self.live is None:
            root = self.fixed_root or (features.root_of(path) if path else None)
            if root is None:
                return None
            self.live = LiveNotebook(root.resolve(), self.today)
            gc.collect()
            gc.freeze()  # the notebook read at start stays: later collections need not walk it
            self._watch(self.live)
        return self.live

    def document(self, uri: str) -> tuple[LiveNotebook, str, str] | None:
        """The live notebook, the note's relative path and its text, for a document of the notebook."""
        path = to_fs_path(uri)
        live = self.live_for(path)
        if live is None or path is None:
            return None
        rel = live.rel(path)
        if rel is None:
            return None
        text = live.buffers.get(rel)
        if text is None:
            text = live.text(rel)
        return None if text is None else (live, rel, text)

    def publish(self, live: LiveNotebook, rel: str) -> None:
        text = live.buffers.get(rel)
        if text is None:
            return
        found = features.diagnostics(live, rel, text)
        uri = self.uris.get(rel) or features.uri_of(live, rel)
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=found))

    def publish_open(self) -> None:
        if self.live is None:
            return
        for rel in list(self.live.buffers):
            try:
                self.publish(self.live, rel)
            except Exception:  # noqa: BLE001
                log.exception("convo lsp: publishing %s failed", rel)

    def outside_change(self, path: str) -> None:
        """A file changed on disk (watchdog thread or the client's notification)."""
        live = self.live
        if live is None:
            return
        rel = live.rel(path)
        if rel is None or rel in live.buffers:
            return
        live.mark_changed(rel)
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.publish_open)

    def _watch(self, live: LiveNotebook) -> None:
        try:
            from watchdog.events import FileSystemEvent, FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:  # pragma: no cover - watchdog is a dependency
            return
        server = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.event_type in ("opened", "closed_no_write"):
                    return
                for name in (event.src_path, getattr(event, "dest_path", "")):
                    if name:
                        server.outside_change(os.fsdecode(name))

        observer = Observer()
        observer.daemon = True
        try:
            observer.schedule(Handler(), str(live.root), recursive=True)
            observer.start()
        except OSError as exc:  # no inotify watches left: the client's notifications still work
            log.warning("convo lsp: cannot watch %s (%s)", live.root, exc)
            return
        self.observer = observer


def make_server(root: Path | None = None, today: dt.date | None = None) -> ConvoServer:
    """A server with every feature registered (not started)."""
    server = ConvoServer(root, today)

    @server.feature(lsp.INITIALIZED)
    def initialized(ls: ConvoServer, params: lsp.InitializedParams) -> None:
        ls.loop = asyncio.get_running_loop()
        if ls.fixed_root is None:
            folders = list(ls.workspace.folders.values())
            first = to_fs_path(folders[0].uri) if folders else ls.workspace.root_path
            if first:
                found = features.root_of(os.path.join(first, "convo.yml"))
                if found is not None:
                    ls.fixed_root = found

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    @_safe()
    def did_open(ls: ConvoServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.loop = ls.loop or asyncio.get_running_loop()
        _changed(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    @_safe()
    def did_change(ls: ConvoServer, params: lsp.DidChangeTextDocumentParams) -> None:
        _changed(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    @_safe()
    def did_save(ls: ConvoServer, params: lsp.DidSaveTextDocumentParams) -> None:
        _changed(ls, params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    @_safe()
    def did_close(ls: ConvoServer, params: lsp.DidCloseTextDocumentParams) -> None:
        found = ls.document(params.text_document.uri)
        if found is None:
            return
        live, rel, _ = found
        live.close_buffer(rel)
        ls.uris.pop(rel, None)
        ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=params.text_document.uri,
                                                                          diagnostics=[]))
        ls.publish_open()

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @_safe()
    def watched(ls: ConvoServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        for change in params.changes:
            path = to_fs_path(change.uri)
            if path:
                ls.outside_change(path)

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=["[", ":", " ", ",", "-"]))
    @_safe(lambda: lsp.CompletionList(is_incomplete=False, items=[]))
    def completion(ls: ConvoServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        found = ls.document(params.text_document.uri)
        if found is None:
            return lsp.CompletionList(is_incomplete=False, items=[])
        items, incomplete = features.completion(*found, params.position.line, params.position.character)
        return lsp.CompletionList(is_incomplete=incomplete, items=items)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    @_safe()
    def hover(ls: ConvoServer, params: lsp.HoverParams) -> lsp.Hover | None:
        found = ls.document(params.text_document.uri)
        return features.hover(*found, params.position.line, params.position.character) if found else None

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    @_safe(list)
    def definition(ls: ConvoServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
        found = ls.document(params.text_document.uri)
        return features.definition(*found, params.position.line, params.position.character) if found else []

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    @_safe(list)
    def references(ls: ConvoServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        found = ls.document(params.text_document.uri)
        if found is None:
            return []
        return features.references(*found, params.position.line, params.position.character,
                                   params.context.include_declaration)

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    @_safe(list)
    def code_action(ls: ConvoServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        found = ls.document(params.text_document.uri)
        if found is None:
            return []
        return features.code_actions(*found, params.range, list(params.context.diagnostics),
                                     params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
    @_safe()
    def prepare_rename(ls: ConvoServer, params: lsp.PrepareRenameParams) -> lsp.PrepareRenamePlaceholder | None:
        found = ls.document(params.text_document.uri)
        return features.prepare_rename(*found, params.position.line, params.position.character) if found else None

    @server.feature(lsp.TEXT_DOCUMENT_RENAME, lsp.RenameOptions(prepare_provider=True))
    @_safe()
    def rename(ls: ConvoServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
        found = ls.document(params.text_document.uri)
        if found is None:
            return None
        try:
            return features.rename(*found, params.position.line, params.position.character, params.new_name)
        except features.RenameRefused as exc:
            ls.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Error, message=f"convo: {exc}"))
            return None

    return server


def _changed(ls: ConvoServer, uri: str) -> None:
    path = to_fs_path(uri)
    live = ls.live_for(path)
    if live is None or path is None:
        return
    rel = live.rel(path)
    if rel is None:
        return
    live.set_buffer(rel, ls.workspace.get_text_document(uri).source)
    ls.uris[rel] = uri
    ls.publish(live, rel)


def serve(root: Path | None = None, today: dt.date | None = None) -> None:
    """Run the server on stdin/stdout until the client says exit; logs go to stderr."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(name)s: %(message)s")
    server = make_server(root, today)
    try:
        server.start_io()
    finally:
        if server.observer is not None:
            server.observer.stop()
