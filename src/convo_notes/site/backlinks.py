"""Which notes mention which: the "mentioned in" lists of the site's pages.

A note mentions another through its front matter (a conversation's ``with``,
``org``, commitments' ``owner``/``to``, referrals' parties, ``next.turn``; a
person's ``org``), through ``[[wiki links]]`` (the loader's ``links``) and
through Markdown links to another note's file (``[Dana](../people/dana-reyes.md)``),
found by :func:`markdown_targets`, a small tokenizer that skips fenced and
inline code. Only the public view's notes are ever sources or targets.
"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote


def _strip_code_spans(line: str) -> str:
    """The line with its inline code spans (`` `...` ``, any run length) blanked."""
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        if line[i] == "`":
            j = i
            while j < n and line[j] == "`":
                j += 1
            ticks = line[i:j]
            end = line.find(ticks, j)
            if end == -1:
                out.append(ticks)
                i = j
                continue
            out.append(" " * (end + len(ticks) - i))
            i = end + len(ticks)
            continue
        out.append(line[i])
        i += 1
    return "".join(out)


def _link_targets(text: str) -> list[str]:
    """The destinations of inline links ``[text](dest "title")`` (and images) in one block of text."""
    found: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == "\\":
            i += 2
            continue
        if text[i] != "[":
            i += 1
            continue
        depth, j = 1, i + 1
        while j < n and depth:
            if text[j] == "\\":
                j += 2
                continue
            depth += {"[": 1, "]": -1}.get(text[j], 0)
            j += 1
        if depth or j >= n or text[j] != "(":
            i += 1
            continue
        k = j + 1
        while k < n and text[k] in " \t":
            k += 1
        if k < n and text[k] == "<":
            end = text.find(">", k)
            if end == -1:
                i = j
                continue
            found.append(text[k + 1:end])
            i = end + 1
            continue
        start, parens = k, 0
        while k < n and text[k] not in " \t\n":
            if text[k] == "(":
                parens += 1
            elif text[k] == ")":
                if parens == 0:
                    break
                parens -= 1
            k += 1
        if k > start:
            found.append(text[start:k])
        i = k
    return found


def markdown_targets(body: str) -> list[str]:
    """Every inline Markdown link destination in ``body`` outside fenced and indented code."""
    fence: str | None = None
    paragraph: list[str] = []
    found: list[str] = []
    for line in body.splitlines():
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if fence is not None:
            if stripped.startswith(fence) and not stripped[len(fence):].strip(fence[0]).strip():
                fence = None
            continue
        if indent <= 3 and stripped[:3] in ("```", "~~~"):
            char = stripped[0]
            run = len(stripped) - len(stripped.lstrip(char))
            fence = char * run
            found += _link_targets("\n".join(paragraph))
            paragraph = []
            continue
        if indent >= 4 and not paragraph:
            continue  # indented code
        if not stripped:
            found += _link_targets("\n".join(paragraph))
            paragraph = []
            continue
        paragraph.append(_strip_code_spans(line))
    found += _link_targets("\n".join(paragraph))
    return found


def note_target(dest: str, note_path: str) -> str | None:
    """The notebook path (``notes/...md``) a link destination in the note at ``note_path`` points to, if any."""
    if not dest or dest.startswith(("#", "/", "?")) or ":" in dest.split("/", 1)[0]:
        return None
    dest = unquote(dest.split("#", 1)[0].split("?", 1)[0])
    if not dest.endswith(".md"):
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(note_path), dest))
    return joined if joined.startswith("notes/") else None
