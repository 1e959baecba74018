"""Where each link of a note's body leads on the site, decided on the parsed document.

The Markdown extension :mod:`convo_notes.site.mdext` hands every ``<a>`` and
``<img>`` that Python-Markdown made from a body (inline links, reference
links whatever their shape, images, ``[[slug]]`` wiki links, footnotes'
links) to :class:`BodyLinks`, which knows the public site:

- a link to a public note points at its page (a staged ``.md`` path that
  MkDocs turns into the page's URL and checks);
- a link to a file under ``notes/`` that is not a note, not a type browsers
  run and lies inside ``notes/`` points at its copy under ``attachments/``;
- a link to anything else relative (a private or unreadable note, a missing
  file, a path outside ``notes/`` or hidden, an absolute path) keeps only its
  label; so does a link whose scheme is not ``http``, ``https``, ``mailto``
  or ``tel``; external links and ``#fragment`` links stay as they are.

Links a template wrote are marked (:data:`~convo_notes.site.inert.LINK_MARK`)
and left alone. :class:`BodyLinks` holds which note's body each page shows
and the page MkDocs is rendering (set by the build's MkDocs plugin before
each page is converted).
"""

from __future__ import annotations

import os
import posixpath
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

from .. import fsutil
from .inert import ACTIVE_SUFFIXES, url_is_safe
from .public import PRIVATE_LABEL

if TYPE_CHECKING:
    from .model import SiteModel

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def relative_path(page: str, target: str) -> str:
    """The path from staged page ``page`` to staged file ``target``, as a relative Markdown link writes it."""
    folder = posixpath.dirname(page)
    if not folder:
        return target
    if target.startswith(folder + "/"):
        return target[len(folder) + 1:]
    return "../" * (folder.count("/") + 1) + target


class BodyLinks:
    """The link decisions for one site (see the module docstring)."""

    def __init__(self, site: SiteModel | None = None) -> None:
        self.site = site
        self.note_of: dict[str, str] = {}  # staged page -> path of the note whose body it shows
        self.page: str | None = None  # the staged page being converted now
        self.recording = False  # collect attachments and problems (the generation pass), not only decide
        self.attachments: dict[str, str] = {}  # staged path -> notes-relative source
        self.found: set[str] = set()  # attachments of the page being converted
        self.problems: list[str] = []
        self._note_inodes: set[int] | None = None  # the inode of every note file

    def _note_dir(self) -> tuple[str, str]:
        path = self.note_of.get(self.page or "", "")
        folder = posixpath.dirname(path)
        return path, (folder[len("notes/"):] if folder.startswith("notes/") else "" if folder == "notes" else folder)

    def _problem(self, text: str) -> None:
        if self.recording:
            path, _ = self._note_dir()
            self.problems.append(f"{path or self.page}: {text}")

    def url(self, url: str) -> str | None:
        """Where a body link's URL should point from the current page, or None to keep only its label."""
        if not url_is_safe(url):
            return None
        if _SCHEME.match(url) or url.startswith("#") or url.startswith("//"):
            return url
        path, _, fragment = url.partition("#")
        path = path.split("?", 1)[0]
        if not path:
            return url
        if path.startswith("/") or path.startswith("\\"):
            return None
        site, page = self.site, self.page
        if site is None or page is None:
            return None
        _note, note_dir = self._note_dir()
        target = posixpath.normpath(posixpath.join(note_dir, unquote(path)))
        if target == ".." or target.startswith("../") or target.startswith("/") \
                or any(p.startswith(".") for p in target.split("/")):
            self._problem(f"link to `{url}` leaves notes/ or names a hidden file: shown as text")
            return None
        suffix = f"#{fragment}" if fragment else ""
        if target.endswith(".md"):
            staged = site.page_of_path.get(f"notes/{target}")
            return relative_path(page, staged) + suffix if staged else None
        source = site.nb.root / "notes" / target
        root_real = fsutil.real_root(str(site.nb.root))
        try:  # the notebook's one read policy: a regular file whose real path is inside the notebook
            real, _ = fsutil.check_notebook_file(root_real, str(source))
        except fsutil.Refused as refused:
            self._problem(f"link to `{target}` is not published ({refused.message})")
            return None
        if Path(target).suffix.lower() in ACTIVE_SUFFIXES:
            self._problem(f"link to `{target}` is not published (a file type browsers run)")
            return None
        if not fsutil.is_inside(real, os.path.join(root_real, "notes")):
            self._problem(f"link to `{target}` is not published (it lies outside notes/)")
            return None
        if real.endswith(".md") or self._is_note(real):
            # a link (symlink, hard link) to a note's own file would copy it whole, private or not
            self._problem(f"link to `{target}` is not published (it is a note's file: link to the note instead)")
            return None
        staged = f"attachments/{target}"
        if self.recording:
            self.attachments[staged] = f"notes/{target}"
            self.found.add(staged)
        return relative_path(page, staged) + suffix

    def _is_note(self, real: str) -> bool:
        """Whether ``real`` is the same file as one of the notebook's notes, private ones included
        (a hard link under another name): its inode is among the notes' (from the loader's scan)."""
        if self._note_inodes is None:
            from ..loader import scan_note_files

            site = self.site
            self._note_inodes = set() if site is None else {key[-1] for key in scan_note_files(site.nb.root).values()}
        try:
            return os.stat(real).st_ino in self._note_inodes
        except OSError:
            return True  # it vanished: nothing to publish

    def wiki(self, slug: str, label: str | None) -> tuple[str | None, str]:
        """A ``[[slug]]`` link: (where it points, or None, and the text it shows)."""
        site, page = self.site, self.page
        label = label.strip() if label and label.strip() else None
        if site is None or page is None:
            return None, label or slug
        nb = site.nb
        canon = nb.canon(slug) or slug
        target = site.person_page.get(canon) or site.org_page.get(canon)
        if target is None and canon in site.conv_by_slug:
            target = site.conv_page[site.conv_by_slug[canon].path]
        if target is not None:
            shown = label or (nb.display(canon) if canon in site.person_page or canon in site.org_page
                              else site.conv_by_slug[canon].title)
            return relative_path(page, target), shown
        if site.view.is_hidden(canon) and not nb.is_me(slug):
            return None, PRIVATE_LABEL
        return None, label or slug
