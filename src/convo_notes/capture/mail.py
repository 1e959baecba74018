"""Reading mail: mbox files, Maildir folders (nested too) and ``.eml`` files into plain records.

Messages are parsed with the standard :mod:`email` package (policy ``default``:
RFC 2047 headers, any charset, multipart). The text kept of a message is its
plain-text body, or its HTML body turned into text with :mod:`html.parser`;
attachments are named, and copied only when asked. Then quoted replies and
signatures are trimmed (:func:`trim_reply`, the heuristic documented in
docs/capture.md).

Nothing here raises for bad input: a message that cannot be used becomes a
:class:`Problem` naming its file and place, and reading goes on.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import mailbox
import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable, Iterator

from ..diagnostics import Diagnostic
from .threading import parse_ids

MAX_TEXT = 8_000  # characters of one message kept in a note
BIG_ATTACHMENT = 25 * 1024 * 1024  # bytes; larger attachments are named with a warning, never copied
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(?:\r?\n[ \t]+)?([^\r\n]*)", re.IGNORECASE | re.MULTILINE)
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:")


@dataclass(frozen=True)
class Address:
    """One mailbox: display name and address (lowercased)."""

    name: str
    addr: str

    @property
    def label(self) -> str:
        return self.name or self.addr


@dataclass
class Problem:
    """A message skipped or imported with a caveat: where it is and why."""

    where: str  # "FILE:LINE", or the file alone when ``raw`` can tell the line
    message: str
    skipped: bool = True
    raw: RawMail | None = field(default=None, repr=False)

    @property
    def location(self) -> str:
        """``FILE:LINE`` (an mbox line is counted only when a warning is shown)."""
        return where_of(self.raw) if self.raw is not None else self.where

    def diagnostic(self) -> Diagnostic:
        """The warning as a diagnostic line about the source file."""
        path, _, line = self.location.rpartition(":")
        return Diagnostic(path, int(line) if line.isdigit() else 1, 1,
                          "import-skipped" if self.skipped else "import-caveat", self.message)


@dataclass
class RawMail:
    """One message's bytes and where they came from."""

    source: str  # the file, as the user named it
    number: int  # 1-based position in its source
    data: bytes
    offset: int | None = None  # byte offset in an mbox (its line is counted only for a warning)
    path: Path | None = None


@dataclass
class MailMessage:
    """What an import keeps of one message."""

    key: str  # Message-ID without brackets, or a stable stand-in for a message without one
    message_id: str | None
    references: tuple[str, ...]
    subject: str
    when: dt.datetime  # local time of the sender, naive
    sender: Address
    recipients: tuple[Address, ...]
    text: str
    attachments: tuple[tuple[str, int], ...] = ()  # (file name, size in bytes)
    source: str = ""
    parts: list[email.message.EmailMessage] = field(default_factory=list, repr=False)


# --- sources ---------------------------------------------------------------------------------


def _is_maildir(folder: Path) -> bool:
    return (folder / "cur").is_dir() or (folder / "new").is_dir()


def iter_sources(paths: list[Path]) -> Iterator[tuple[str, Path]]:
    """``(kind, path)`` for every mailbox under the given paths: ``mbox``, ``maildir`` or ``eml``.

    A folder is a Maildir when it holds ``cur/`` or ``new/``; folders inside it
    (Maildir++ ``.Sub`` folders, or nested Maildirs) are read too, and so are
    ``.eml`` and mbox files found in plain folders.
    """
    for path in paths:
        if path.is_dir() and path.name in ("cur", "new", "tmp") and _is_maildir(path.parent):
            path = path.parent  # a Maildir's own cur/ or new/ given: read the Maildir
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                here = Path(folder)
                dirs.sort()
                if _is_maildir(here):
                    yield "maildir", here
                    dirs[:] = [d for d in dirs if d not in ("cur", "new", "tmp")]
                if here.name in ("cur", "new", "tmp") and _is_maildir(here.parent):
                    continue
                for name in sorted(files):
                    kind = _file_kind(here / name)
                    if kind:
                        yield kind, here / name
        elif path.suffix.lower() == ".eml":
            yield "eml", path
        else:
            yield ("mbox" if _starts_with_from(path) else "eml"), path


def _starts_with_from(file: Path) -> bool:
    try:
        with open(file, "rb") as fh:
            return fh.read(5) == b"From "
    except OSError:
        return False


def _file_kind(file: Path) -> str | None:
    """What a file found in a plain folder is: ``.eml``, an mbox (by its first line, whatever its
    name: Thunderbird's ``Inbox``), an MH message (a numbered file), or nothing to read."""
    name = file.name
    if name.startswith("."):
        return None
    if name.lower().endswith(".eml"):
        return "eml"
    if _starts_with_from(file):
        return "mbox"
    return "eml" if name.isdigit() else None


def _line_of(path: Path, offset: int) -> int:
    """The 1-based line at byte ``offset`` of a file (read in chunks; used only for warnings)."""
    line = 1
    with open(path, "rb") as fh:
        left = offset
        while left > 0:
            chunk = fh.read(min(left, 1 << 20))
            if not chunk:
                break
            line += chunk.count(b"\n")
            left -= len(chunk)
    return line


def read_raw(kind: str, path: Path, shown: str,
             on_total: Callable[[int], None] | None = None) -> Iterator[RawMail | Problem]:
    """The messages of one mailbox as bytes, in file order; a mailbox that cannot be read is one Problem.

    ``on_total`` hears how many messages the mailbox holds, before they come.
    """
    count = on_total or (lambda n: None)
    try:
        if kind == "eml":
            count(1)
            yield RawMail(shown, 1, path.read_bytes())
        elif kind == "maildir":
            box = mailbox.Maildir(str(path), factory=None, create=False)
            names = sorted(box.keys())
            count(len(names))
            for number, key in enumerate(names, 1):
                sub = key  # the message's unique name in the folder, for warnings
                try:
                    data = box.get_bytes(key)
                except OSError as exc:
                    yield Problem(f"{shown}/{sub}:1", f"cannot read the message ({exc.strerror or exc})")
                    continue
                yield RawMail(f"{shown}/{sub}", number, data)
        else:
            mbox = mailbox.mbox(str(path), factory=None, create=False)
            try:
                keys = list(mbox.keys())
                count(len(keys))
                toc = getattr(mbox, "_toc", {})
                for number, key in enumerate(keys, 1):
                    data = mbox.get_bytes(key)
                    start = toc.get(key, (0, 0))[0] if isinstance(toc, dict) else 0
                    yield RawMail(shown, number, data, start, path)
            finally:
                mbox.close()
    except OSError as exc:
        yield Problem(f"{shown}:1", f"cannot read {kind} ({exc.strerror or exc})")
    except (mailbox.Error, ValueError) as exc:
        yield Problem(f"{shown}:1", f"not a readable {kind} ({exc})")


def where_of(raw: RawMail) -> str:
    """``FILE:LINE`` of a message: the line of its ``From`` line in an mbox, else 1."""
    line = _line_of(raw.path, raw.offset) if raw.path is not None and raw.offset is not None else 1
    return f"{raw.source}:{line}"


def quick_id(data: bytes) -> str | None:
    """The Message-ID of raw message bytes, from its header block alone, as :func:`parse` keys it.

    (A re-import skips known messages without parsing them: the speed of an
    unchanged mailbox is that of reading it.)
    """
    end = _HEADER_END.search(data)
    head = data[: end.start()] if end else data[:65536]
    match = _MESSAGE_ID.search(head)
    if not match:
        return None
    ids = parse_ids(match.group(1).decode("utf-8", "replace"))
    return ids[0] if ids else None


# --- text ----------------------------------------------------------------------------------


def clean(text: str) -> str:
    """Text safe to write as UTF-8: undecodable bytes (surrogate escapes) and control characters replaced."""
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029\ufeff]")
_BLOCKS = frozenset({"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
                     "pre", "hr", "section", "article", "header", "footer", "dd", "dt"})
_SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})


class _TextParser(HTMLParser):
    """HTML to plain text: blocks become lines, quoted (``blockquote``) parts are left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.quote = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "blockquote":
            self.quote += 1
        elif tag in _BLOCKS:
            self.out.append("\n- " if tag == "li" else "\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
        elif tag in _BLOCKS:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip and not self.quote:
            words = " ".join(data.split())
            if words:  # keep one space where the HTML had any around the words
                words = (" " if data[0].isspace() else "") + words + (" " if data[-1].isspace() else "")
            self.out.append(words or (" " if data else ""))


def html_to_text(html: str) -> str:
    """The readable text of an HTML mail body (scripts, styles and quoted blocks left out)."""
    parser = _TextParser()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; whatever it chokes on, keep what it read
        pass
    lines = [" ".join(line.split()) for line in "".join(parser.out).split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_REPLY_HEADER = re.compile(
    r"^(On\b.{0,300}\bwrote:|Le\b.{0,300}\ba écrit\s?:|Am\b.{0,300}\bschrieb.{0,120}:|El\b.{0,300}\bescribió:"
    r"|Il\b.{0,300}\bha scritto:|Op\b.{0,300}\bschreef.{0,120}:"
    r"|-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Forwarded message|next part)\s*-{2,}.*"
    r"|_{20,})\s*$",
    re.IGNORECASE)
_WROTE = re.compile(r"^.{0,300}\b(wrote|написал|написала|schrieb|a écrit|escribió|ha scritto|schreef|skrev"
                    r"|kirjoitti|napisał|escreveu)\b[^:\n]{0,40}:$", re.IGNORECASE | re.DOTALL)
_ENDS_WROTE = re.compile(r"\b(wrote|написал|написала|schrieb|a écrit|escribió|ha scritto|schreef|skrev"
                         r"|kirjoitti|napisał|escreveu)\b[^:]{0,40}:$", re.IGNORECASE)


def _header_start(lines: list[str], end: int) -> int | None:
    """The first line of a reply header ending at line ``end`` and wrapped over up to three lines:
    the earliest start, with no blank line inside, whose first line holds a date or an address."""
    for start in range(max(0, end - 2), end + 1):
        block = [line.strip() for line in lines[start:end + 1]]
        first = block[0]
        if not all(block) or not (any(ch.isdigit() for ch in first) or "@" in first):
            continue
        if _WROTE.match(" ".join(block)):
            return start
    return None


_OUTLOOK_FROM = re.compile(r"^\*?(From|Von|De|Från):\*?\s", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\*?(Sent|Date|Gesendet|Envoyé|Skickat|To|An|À):\*?\s", re.IGNORECASE)
_SIGNATURE = re.compile(r"^(-- ?|Sent from my \w.*|Get Outlook for \w.*|Sent from Mail for Windows.*"
                        r"|Envoyé de mon \w.*|Von meinem \w.* gesendet)$")


def trim_reply(text: str) -> str:
    """A message's own words: the quoted reply and the signature trimmed (see docs/capture.md).

    1. Cut at the first line that introduces the quoted message: ``On ... wrote:``
       (also when the mailer wrapped it over up to three lines, and its forms in
       other languages: ``a écrit``, ``schrieb``, ``написал``...), ``-----Original Message-----``,
       ``---------- Forwarded message ----------``, an Outlook ``From:`` line
       followed by ``Sent:``/``Date:``/``To:``, or a line of 20 underscores.
    2. Drop the lines that start with ``>`` (quoted text interleaved with answers).
    3. Cut at the signature delimiter ``-- `` and at mobile footers ("Sent from my iPhone").
    When nothing but quote stands above the cut, the answer is below the quote
    (bottom-posting) and what follows is kept instead. If nothing is left (a
    forward, a message that is all quote) the text is kept whole.
    """
    lines = text.split("\n")
    cut = len(lines)
    header_end = cut
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(">"):
            continue
        if _REPLY_HEADER.match(stripped):
            cut, header_end = i, i + 1
            break
        if _ENDS_WROTE.search(stripped):
            start = _header_start(lines, i)
            if start is not None:
                cut, header_end = start, i + 1
                break
        if _OUTLOOK_FROM.match(stripped) and any(_OUTLOOK_NEXT.match(n.strip()) for n in lines[i + 1:i + 4]):
            cut = header_end = i
            break
    if not any(line.strip() and not line.lstrip().startswith(">") for line in lines[:cut]):
        # the answer is below the quote (bottom-posting): keep what follows it
        lines, cut = lines[header_end:], len(lines) - header_end
    kept = [line for line in lines[:cut] if not line.lstrip().startswith(">")]
    for i, line in enumerate(kept):
        if _SIGNATURE.match(line.rstrip() if line.startswith("--") else line.strip()) and i > 0:
            kept = kept[:i]
            break
    result = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in kept)).strip()
    return result or text.strip()


# --- messages -----------------------------------------------------------------------------


_OBFUSCATED = re.compile(r"([\w.+\-]+) at ([\w\-]+(?:\.[\w\-]+)+)")


def _raw_values(msg: email.message.EmailMessage, name: str) -> list[str]:
    """A header's values as written (RFC 2047 words decoded), for what the parsed form drops."""
    from email.header import decode_header, make_header

    out = []
    for key, value in msg.raw_items():
        if key.lower() == name:
            try:
                out.append(str(make_header(decode_header(str(value)))))
            except Exception:  # noqa: BLE001 - an undecodable word: keep the text as it is
                out.append(str(value))
    return out


def _addresses(msg: email.message.EmailMessage, name: str) -> list[Address]:
    """The addresses of a header. Mailing-list archives (pipermail) write ``jjl at pobox.com
    (John J. Lee)``: the address is restored and the comment taken as the name."""
    pairs: list[tuple[str, str]] = []
    try:
        for value in msg.get_all(name) or []:
            pairs += [(a.display_name, a.addr_spec) for a in value.addresses]
    except Exception:  # noqa: BLE001 - a header the parser cannot split: read it the old way below
        pairs = []
    if not pairs or any("@" not in addr or not display for display, addr in pairs):
        raw = [_OBFUSCATED.sub(r"\1@\2", v) for v in _raw_values(msg, name)]
        fallback = email.utils.getaddresses(raw)
        if sum("@" in a for _, a in fallback) >= sum("@" in a for _, a in pairs):
            by_addr = {a.lower(): d for d, a in pairs if d and "@" in a}
            pairs = [(d or by_addr.get(a.lower(), ""), a) for d, a in fallback]
    found: list[Address] = []
    for display, addr in pairs:
        addr = clean(addr or "").strip().strip("<>").lower()
        if "@" in addr:
            name = re.sub(r"<[^>]*>|\S+@\S+", "", clean(display or "")).strip().strip('"').strip()
            found.append(Address(name, addr))
    return found


def _header(msg: email.message.EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - a malformed header is read as nothing
        return ""
    return clean(" ".join(str(value).split())) if value is not None else ""


def _content(part: email.message.EmailMessage) -> tuple[str, bool]:
    """A text part's content, and whether its charset had to be guessed."""
    try:
        return str(part.get_content()), False
    except (LookupError, UnicodeError, AssertionError, ValueError):
        raw = part.get_payload(decode=True)
        data = raw if isinstance(raw, bytes) else b""
        try:
            return data.decode("utf-8"), True
        except UnicodeDecodeError:
            return data.decode("latin-1"), True


def _size(part: email.message.EmailMessage) -> int:
    payload = part.get_payload()
    if not isinstance(payload, str):
        return 0
    encoding = str(part.get("content-transfer-encoding", "")).lower()
    if encoding == "base64":
        return (len(payload) - payload.count("\n") - payload.count("\r")) * 3 // 4
    return len(payload)


def parse(raw: RawMail, keep_parts: bool = False) -> tuple[MailMessage | None, list[Problem]]:
    """One message's record (or None when it cannot be used), with any warnings about it.

    ``keep_parts`` keeps the attachment parts (for :func:`save_attachments`).
    """
    problems: list[Problem] = []
    try:
        msg = email.message_from_bytes(raw.data, policy=email.policy.default)
    except Exception as exc:  # noqa: BLE001 - the parser is lenient; anything left is one warning
        return None, [_note(raw, f"message {raw.number}: cannot be parsed ({type(exc).__name__})")]
    assert isinstance(msg, email.message.EmailMessage)
    mid_ids = parse_ids(" ".join(_raw_values(msg, "message-id")))  # as written: the parser rewrites odd ids
    message_id = mid_ids[0] if mid_ids else None
    label = f"message {raw.number}" + (f" <{message_id}>" if message_id else "")
    if not msg.keys() or not _HEADER_LINE.match(raw.data.lstrip()[:200]):
        return None, [_note(raw, f"{label}: no headers; skipped")]
    senders = _addresses(msg, "from") or _addresses(msg, "sender")
    if not senders:
        return None, [_note(raw, f"{label}: no sender address (From); skipped")]
    when: dt.datetime | None = None
    try:
        date_header = msg.get("date")
        when = getattr(date_header, "datetime", None) if date_header is not None else None
    except Exception:  # noqa: BLE001 - an unreadable Date is reported below
        when = None
    if when is None:
        return None, [_note(raw, f"{label}: no readable Date header; skipped")]
    references = parse_ids(" ".join(_raw_values(msg, "references")))
    for ref in parse_ids(" ".join(_raw_values(msg, "in-reply-to")))[:1]:
        if ref not in references:
            references.append(ref)
    if message_id and message_id in references:
        problems.append(_note(raw, f"{label}: refers to itself in References; that link is ignored", False))
    text = ""
    guessed = False
    try:
        body = msg.get_body(preferencelist=("plain", "html"))
    except Exception:  # noqa: BLE001
        body = None
    if body is not None:
        text, guessed = _content(body)  # type: ignore[arg-type]
        if body.get_content_subtype() == "html":
            text = html_to_text(text)
    elif not msg.is_multipart() and msg.get_content_maintype() == "text":
        text, guessed = _content(msg)
    if guessed:
        problems.append(_note(raw, f"{label}: unknown or wrong charset; text decoded as best it could be",
                                False))
    attachments: list[tuple[str, int]] = []
    parts: list[email.message.EmailMessage] = []
    for part in msg.walk():
        if part.is_multipart() or part is body:
            continue
        filename = part.get_filename()
        if filename or part.get_content_disposition() == "attachment":
            size = _size(part)
            name = clean(str(filename or f"attachment-{len(attachments) + 1}"))
            attachments.append((name, size))
            if keep_parts:  # their bytes stay in memory only when they are to be copied
                parts.append(part)
            if size > BIG_ATTACHMENT:
                problems.append(_note(raw, f"{label}: attachment {name!r} is {size / 2**20:.0f} MB; "
                                               "named in the note, not copied", False))
    text = trim_reply(clean(text))
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT].rstrip() + f"\n\n[… {len(text) - MAX_TEXT} more characters not imported]"
    sender = senders[0]
    lists = {m.lower() for m in re.findall(r"mailto:([^>\s?]+)", _header(msg, "list-post"))}
    recipients = tuple(a for a in _addresses(msg, "to") + _addresses(msg, "cc")
                       if a.addr != sender.addr and a.addr not in lists)  # a mailing list is not a person
    naive = when.replace(tzinfo=None, microsecond=0)
    key = message_id or _stand_in_id(sender.addr, naive, _header(msg, "subject"), text)
    return MailMessage(
        key=key, message_id=message_id, references=tuple(references), subject=_header(msg, "subject"),
        when=naive, sender=sender, recipients=recipients, text=text, attachments=tuple(attachments),
        source=raw.source, parts=parts,
    ), problems


def _note(raw: RawMail, message: str, skipped: bool = True) -> Problem:
    return Problem(raw.source, message, skipped, raw)


def _stand_in_id(addr: str, when: dt.datetime, subject: str, text: str) -> str:
    """A stable key for a message without Message-ID: the same message gets the same key every run."""
    import hashlib

    digest = hashlib.sha256(f"{addr}\n{when.isoformat()}\n{subject}\n{text}".encode("utf-8", "replace"))
    return f"{digest.hexdigest()[:24]}@no-message-id.convo-notes.invalid"


def save_attachments(message: MailMessage, folder: Path) -> list[str]:
    """Copy a message's attachments (each under :data:`BIG_ATTACHMENT`) into ``folder``; the paths written."""
    from ..fsutil import atomic_write
    from ..schema import slugify

    written: list[str] = []
    sub = folder / slugify(message.key, 80)
    for part, (name, size) in zip(message.parts, message.attachments):
        if size > BIG_ATTACHMENT:
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            continue
        safe = re.sub(r"[^\w.\- ]+", "_", os.path.basename(name)).strip(". ") or "attachment"
        target = sub / safe
        if target.exists():
            continue
        atomic_write(target, data)
        written.append(str(target))
    return written
