"""A full MkDocs build whose pages are rendered by several processes.

MkDocs renders one page after another, and a page's Markdown and theme
rendering do not depend on the other pages' content. :func:`parallel_build`
runs the steps of ``mkdocs.commands.build.build`` (same order, same plugin
events) up to the navigation in this process, then forks workers: each
renders every Nth page (Markdown, ``on_page_*`` events, theme, writing the
HTML) and sends back what the rest of the build needs from those pages, their
search index entries, anchors and log messages. This process renders its own
share meanwhile, then merges the search entries in page order (the index is
the one a sequential build writes), checks anchor links across all pages and
runs ``on_post_build``.

It is only used where that is known to be safe (:func:`can_run_parallel`):
where processes can be forked, and when the only plugins are the search
plugin (MkDocs' or Material's) and convo's own: another plugin may collect
state across pages, which a worker's copy would not give back.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Callable

SAFE_PLUGINS = frozenset({"search", "material/search", "convo-site-capture"})
MIN_PAGES = 300  # below this, starting a worker costs more than it saves
MAX_AUTO_JOBS = 8  # processes by default, at most (each holds its share of the rendered pages)


def cpu_jobs() -> int:
    """How many processes this machine gives us."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def can_run_parallel(config: Any) -> bool:
    """True when the build may be split over processes (see the module docstring)."""
    return hasattr(os, "fork") and sys.platform != "win32" and set(config.plugins) <= SAFE_PLUGINS


def _index_entries(config: Any) -> list[dict[str, Any]] | None:
    """The search plugin's list of index entries (Material's or MkDocs' own), if there is a search plugin."""
    for name in ("search", "material/search"):
        plugin = config.plugins.get(name)
        index = getattr(plugin, "search_index", None)
        for attr in ("entries", "_entries"):
            if isinstance(getattr(index, attr, None), list):
                return getattr(index, attr)
    return None


class _Collect(logging.Handler):
    """A worker's MkDocs log records, to be shown by the parent."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self.records.append((record.levelno, record.getMessage()))


def _render(config: Any, files: Any, nav: Any, env: Any, share: list[Any], tick: Callable[[], None]) -> dict:
    """Render the pages of ``share``; return what the parent needs from them."""
    from mkdocs.commands import build as mkbuild

    entries = _index_entries(config)
    for file in share:
        mkbuild._populate_page(file.page, config, files)
    env = config.plugins.on_env(env, config=config, files=files)
    doc_files = files.documentation_pages()
    out: dict[str, Any] = {"entries": {}, "anchors": {}}
    for file in share:
        start = len(entries) if entries is not None else 0
        mkbuild._build_page(file.page, config, doc_files, nav, env, excluded=file.inclusion.is_excluded())
        if entries is not None:
            out["entries"][file.src_uri] = entries[start:]
        page = file.page
        links = {to.src_uri: dict(anchors) for to, anchors in (page.links_to_anchors or {}).items()}
        out["anchors"][file.src_uri] = (page.present_anchor_ids, links)
        tick()
    return out


def _worker(conn: Any, config: Any, files: Any, nav: Any, env: Any, share: list[Any]) -> None:
    logger = logging.getLogger("mkdocs")
    collect = _Collect()
    logger.handlers = [collect]
    try:
        result = _render(config, files, nav, env, share, lambda: conn.send(("tick", None)))
        result["logs"] = collect.records
        conn.send(("done", result))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it
        conn.send(("error", (collect.records, f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc))))
    finally:
        conn.close()


def files_and_navigation(config: Any) -> tuple[Any, Any, Any, list[Any]]:
    """What ``mkdocs.commands.build.build`` makes before rendering a page, as it makes it: the
    files (the theme's added, the plugins' ``on_files`` run, exclusions set), the template
    environment, the navigation (``on_nav`` run) and the documentation pages it includes."""
    from mkdocs.structure.files import InclusionLevel, get_files, set_exclusions
    from mkdocs.structure.nav import get_navigation

    files = get_files(config)
    env = config.theme.get_env()
    files.add_files_from_theme(env, config)
    files = config.plugins.on_files(files, config=config)
    set_exclusions(files, config)
    nav = get_navigation(files, config)
    nav = config.plugins.on_nav(nav, config=config, files=files)
    return files, env, nav, files.documentation_pages(inclusion=InclusionLevel.is_included)


def parallel_build(config: Any, jobs: int, tick: Callable[[], None]) -> None:
    """``mkdocs.commands.build.build(config)`` with pages rendered by ``jobs`` processes (see the module docstring).

    ``tick`` is called once per rendered page. Raises what MkDocs raises;
    warnings go to the ``mkdocs`` logger like a sequential build's.
    """
    import multiprocessing

    from mkdocs import utils
    from mkdocs.commands import build as mkbuild
    from mkdocs.exceptions import Abort, BuildError
    from mkdocs.structure.files import InclusionLevel
    from mkdocs.structure.pages import Page

    logger = logging.getLogger("mkdocs")
    counts: dict[str, int] = {}

    class Count(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            counts[record.levelname] = counts.get(record.levelname, 0) + 1

    counter = Count(logging.WARNING)
    if config.strict:
        logger.addHandler(counter)
    workers: list[tuple[Any, Any]] = []
    try:
        config = config.plugins.on_config(config)
        config.plugins.on_pre_build(config=config)
        utils.clean_directory(config.site_dir)
        files, env, nav, doc_files = files_and_navigation(config)
        for file in doc_files:
            if file.page is None and file.inclusion.is_not_in_nav():
                Page(None, file, config)

        context = multiprocessing.get_context("fork")
        for k in range(1, jobs):
            receive, send = context.Pipe(duplex=False)
            process = context.Process(target=_worker, args=(send, config, files, nav, env, doc_files[k::jobs]),
                                      daemon=True)
            process.start()
            send.close()
            workers.append((process, receive))

        results: list[dict] = []
        pending = {id(conn) for _p, conn in workers}

        def drain(block: bool) -> None:
            for process, conn in workers:
                while id(conn) in pending and (block or conn.poll()):
                    try:
                        kind, payload = conn.recv()
                    except EOFError:
                        raise BuildError(f"a page rendering process stopped (exit code {process.exitcode})") \
                            from None
                    if kind == "tick":
                        tick()
                    elif kind == "done":
                        pending.discard(id(conn))
                        results.append(payload)
                    else:
                        pending.discard(id(conn))
                        records, message = payload
                        for level, text in records:
                            logger.log(level, text)
                        raise BuildError(message)

        def own_tick() -> None:
            tick()
            drain(block=False)

        mine = _render(config, files, nav, env, doc_files[0::jobs], own_tick)
        files.copy_static_files(inclusion=InclusionLevel.is_included)
        for template in config.theme.static_templates:
            mkbuild._build_theme_template(template, env, files, config, nav)
        for template in config.extra_templates:
            mkbuild._build_extra_template(template, files, config, nav)
        drain(block=True)
        for process, _conn in workers:
            process.join()

        entries = _index_entries(config)
        merged: dict[str, list[dict[str, Any]]] = dict(mine["entries"])
        anchors = dict(mine["anchors"])
        for result in results:
            for level, text in result["logs"]:
                logger.log(level, text)
            merged.update(result["entries"])
            anchors.update(result["anchors"])
        if entries is not None:
            entries[:] = [entry for file in doc_files for entry in merged.get(file.src_uri, [])]
        for file in doc_files:
            present, links = anchors.get(file.src_uri, (None, {}))
            file.page.present_anchor_ids = present
            file.page.links_to_anchors = {files.get_file_from_path(uri): found for uri, found in links.items()
                                          if files.get_file_from_path(uri) is not None}
        log_level = config.validation.links.anchors
        for file in doc_files:
            file.page.validate_anchor_links(files=files, log_level=log_level)
        config.plugins.on_post_build(config=config)
        if counts:
            raise Abort("Aborted with " + ", ".join(f"{v} {k.lower()}s" for k, v in counts.items())
                        + " in strict mode!")
    except Exception as exc:
        config.plugins.on_build_error(error=exc)
        if isinstance(exc, BuildError):
            raise Abort(f"Aborted with a BuildError! {exc}") from exc
        raise
    finally:
        logger.removeHandler(counter)
        for process, conn in workers:
            if process.is_alive():
                process.kill()
            process.join()
            conn.close()
