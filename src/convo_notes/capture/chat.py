"""Importing chats: WhatsApp's "Export chat" text and Telegram Desktop's JSON export.

WhatsApp writes one line per message, in the phone's date format:

- Android: ``12/31/23, 9:41 PM - Dana Reyes: See you at 10`` (or ``31/12/2023, 21:41 - ...``);
- iOS: ``[31/12/2023, 21:41:05] Dana Reyes: See you at 10``.

A line that does not start with a date continues the message before it; a
dated line without ``Name:`` (Android), or whose text starts with the
left-to-right mark iOS puts before notices (``‎Messages and calls are
end-to-end encrypted``), is a system line and is skipped. Whether dates are
day- or month-first is read from the file (a first number over 12 means
day-first, a second over 12 month-first; else iOS is taken as day-first and a
12-hour clock as month-first), or given with ``--date-order``.

Telegram Desktop's export (``result.json``) is one chat (``messages``) or a
whole account (``chats.list``); ``text`` is a string or a list of strings and
entities (``{"type": "bold", "text": ...}``). Service messages are skipped.
The account's own ``personal_information.user_id`` marks our side.

A chat is one thread; its messages are split into conversations by silences
longer than a gap (default 8 hours): one note per conversation under
``notes/chat/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CommandFailed
from ..model import Notebook
from ..schema import slugify
from .mail import Problem, clean
from .notes import Directory, Entry, Group, ImportIndex, NoteWriter, Report, escape_text, write_groups

_DATE = r"(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4}),?\s+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*([AaPp]\.?\s?[Mm]\.?)?"
_ANDROID = re.compile(r"^\u200e?" + _DATE + r"\s+[-–]\s+(.*)$")
_IOS = re.compile(r"^\u200e?\[" + _DATE + r"\]\s+(.*)$")
_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-]{7,}$")


@dataclass
class ChatMessage:
    """One chat message: when, who (name, and phone or account id when known), what."""

    key: str
    when: dt.datetime
    sender: str
    text: str
    ours: bool = False
    sender_id: str = ""


@dataclass
class Chat:
    """One chat: a name, a stable identity and its messages."""

    name: str
    ident: str  # stable across exports of the same chat: "whatsapp:<name>", "telegram:<id>"
    messages: list[ChatMessage]


@dataclass
class ChatOptions:
    """The choices of one ``convo import chat`` run."""

    me_names: tuple[str, ...] = ()
    gap_hours: float = 8.0
    date_order: str = "auto"
    create_people: bool = False
    public: bool = False
    dry_run: bool = False
    follow_up_days: int = 5


# --- WhatsApp ------------------------------------------------------------------------------


def _order(rows: list[tuple[int, int, int]], ios: bool, twelve_hour: bool) -> str:
    if any(a > 31 for a, _, _ in rows):
        return "ymd"
    if any(a > 12 for a, _, _ in rows):
        return "dmy"
    if any(b > 12 for _, b, _ in rows):
        return "mdy"
    return "mdy" if twelve_hour and not ios else "dmy"


def parse_whatsapp(text: str, name: str, date_order: str = "auto") -> tuple[Chat, list[Problem]]:
    """A WhatsApp export (see the module) as a :class:`Chat`; unreadable lines are warnings."""
    lines = text.replace("\r\n", "\n").replace("\u202f", " ").replace("\u00a0", " ").split("\n")
    heads: list[tuple[int, re.Match[str], bool]] = []
    for number, line in enumerate(lines, 1):
        match = _IOS.match(line)
        ios = match is not None
        match = match or _ANDROID.match(line)
        if match:
            heads.append((number, match, ios))
    rows = [(int(m.group(1)), int(m.group(2)), int(m.group(3))) for _, m, _ in heads]
    ios_file = sum(1 for *_, ios in heads if ios) > len(heads) / 2
    twelve = any(m.group(7) for _, m, _ in heads)
    order = _order(rows, ios_file, twelve) if date_order == "auto" else date_order
    problems: list[Problem] = []
    messages: list[ChatMessage] = []
    seen: dict[str, int] = {}
    for i, (number, match, ios) in enumerate(heads):
        end = heads[i + 1][0] - 1 if i + 1 < len(heads) else len(lines)
        a, b, c = (int(match.group(k)) for k in (1, 2, 3))
        year, month, day = (a, b, c) if order == "ymd" else (c, b, a) if order == "dmy" else (c, a, b)
        year += 2000 if year < 100 else 0
        hour, minute, second = int(match.group(4)), int(match.group(5)), int(match.group(6) or 0)
        meridiem = (match.group(7) or "").lower().replace(".", "").replace(" ", "")
        if meridiem == "pm" and hour < 12:
            hour += 12
        elif meridiem == "am" and hour == 12:
            hour = 0
        try:
            when = dt.datetime(year, month, day, hour, minute, second)
        except ValueError:
            problems.append(Problem(f"{name}:{number}", f"line {number}: not a real date or time; skipped"))
            continue
        rest = match.group(8)
        sender, sep, first = rest.partition(": ")
        if not sep and rest.endswith(":"):
            sender, sep, first = rest[:-1], ":", ""
        if not sep or not sender.strip() or len(sender) > 80 or any(q in sender for q in '"“”'):
            continue  # a system line: "Messages and calls are end-to-end encrypted", "X added Y"
        if ios and first.startswith("\u200e") and "omitted" not in first and "<attached:" not in first:
            continue  # an iOS notice
        body = "\n".join([first, *lines[number:end]]).strip().replace("\u200e", "")
        sender = sender.replace("\u200e", "").strip()
        base = hashlib.sha256(f"{when.isoformat()}\n{sender}\n{body}".encode()).hexdigest()[:20]
        seen[base] = seen.get(base, 0) + 1
        messages.append(ChatMessage(f"whatsapp:{base}:{seen[base]}", when, sender, clean(body)))
    if not heads:
        raise CommandFailed(f"{name}: no WhatsApp message lines found (expected lines like "
                            "`12/31/23, 9:41 PM - Name: text` or `[31/12/2023, 21:41:05] Name: text`)")
    return Chat(_whatsapp_name(name), "", messages), problems


def _whatsapp_name(file_name: str) -> str:
    stem = Path(file_name).stem
    for prefix in ("WhatsApp Chat with ", "WhatsApp Chat - ", "WhatsApp-Chat mit ", "Chat WhatsApp con "):
        if stem.startswith(prefix):
            return stem[len(prefix):].strip()
    return "" if stem in ("_chat", "chat") else stem


# --- Telegram ------------------------------------------------------------------------------


def _telegram_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(_telegram_text(part) for part in value)
    if isinstance(value, dict):
        return str(value.get("text", ""))
    return ""


def parse_telegram(data: Any, name: str) -> tuple[list[Chat], list[Problem]]:
    """The chats of a Telegram Desktop export (one chat, or ``chats.list`` of a whole account)."""
    if not isinstance(data, dict):
        raise CommandFailed(f"{name}: not a Telegram export (expected a JSON object with `messages`)")
    problems: list[Problem] = []
    me_id = ""
    info = data.get("personal_information")
    if isinstance(info, dict) and info.get("user_id") is not None:
        me_id = f"user{info['user_id']}"
    chats_data: list[Any]
    if isinstance(data.get("chats"), dict) and isinstance(data["chats"].get("list"), list):
        chats_data = data["chats"]["list"]
    elif isinstance(data.get("messages"), list):
        chats_data = [data]
    else:
        raise CommandFailed(f"{name}: not a Telegram export (no `messages` and no `chats.list`)")
    chats: list[Chat] = []
    for chat in chats_data:
        if not isinstance(chat, dict) or not isinstance(chat.get("messages"), list):
            continue
        chat_id = str(chat.get("id", chat.get("name", "")))
        messages: list[ChatMessage] = []
        for number, item in enumerate(chat["messages"], 1):
            if not isinstance(item, dict) or item.get("type", "message") != "message":
                continue
            when = None
            try:
                when = dt.datetime.fromisoformat(str(item.get("date", ""))).replace(tzinfo=None, microsecond=0)
            except ValueError:
                pass
            sender = str(item.get("from") or "").strip()
            if when is None or not sender:
                problems.append(Problem(f"{name}:1", f"chat {chat_id} message {item.get('id', number)}: "
                                        "no date or sender; skipped"))
                continue
            text = _telegram_text(item.get("text"))
            if not text.strip():
                media = item.get("media_type") or ("photo" if "photo" in item else "file" if "file" in item else "")
                text = f"[{media}]" if media else ""
            sender_id = str(item.get("from_id") or "")
            messages.append(ChatMessage(f"telegram:{chat_id}:{item.get('id', number)}", when, sender,
                                        clean(text), ours=bool(me_id) and sender_id == me_id, sender_id=sender_id))
        chats.append(Chat(str(chat.get("name") or ""), f"telegram:{chat_id}", messages))
    return chats, problems


def read_chats(file: Path, date_order: str = "auto") -> tuple[list[Chat], list[Problem]]:
    """The chats of an export file: JSON for Telegram, text for WhatsApp."""
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise CommandFailed(f"{file}: cannot read ({exc.strerror or exc})") from None
    text = raw.decode("utf-8-sig", "replace")
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CommandFailed(f"{file}: not valid JSON ({exc})") from None
        return parse_telegram(data, str(file))
    chat, problems = parse_whatsapp(text, str(file), date_order)
    return [chat], problems


# --- import --------------------------------------------------------------------------------


def sessions(messages: list[ChatMessage], gap_hours: float) -> list[list[ChatMessage]]:
    """Messages split where the silence between two is longer than ``gap_hours``."""
    gap = dt.timedelta(hours=gap_hours)
    out: list[list[ChatMessage]] = []
    for msg in sorted(messages, key=lambda m: m.when):
        if out and msg.when - out[-1][-1].when <= gap:
            out[-1].append(msg)
        else:
            out.append([msg])
    return out


def _md(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_[]<>#|" else ch for ch in text)


def _sender_slug(directory: Directory, msg: ChatMessage, create: bool | None = None) -> str | None:
    phone = msg.sender if _PHONE_LIKE.match(msg.sender) else ""
    return directory.find(phone=phone, create=create) if phone else directory.find(name=msg.sender, create=create)


def import_chat(nb: Notebook, file: Path, options: ChatOptions) -> Report:
    """Import every new message of a chat export into ``nb`` (see the module); what was done."""
    chats, problems = read_chats(file, options.date_order)
    report = Report(str(file), options.dry_run, problems=list(problems))
    index = ImportIndex(nb.root)
    directory = Directory(nb, me_names=options.me_names, create=options.create_people)
    writer = NoteWriter(nb, index, private=not options.public, follow_up_days=options.follow_up_days,
                        dry_run=options.dry_run)
    planned: list[Group] = []
    thread_titles: dict[str, str] = {}
    for chat in chats:
        report.read += len(chat.messages)
        for msg in chat.messages:
            phone = msg.sender if _PHONE_LIKE.match(msg.sender) else ""
            msg.ours = msg.ours or directory.is_ours(name=msg.sender, phone=phone)
        members: list[str] = []
        for msg in chat.messages:
            if not msg.ours:
                slug = _sender_slug(directory, msg)
                if slug and slug not in directory.ours and slug not in members:
                    members.append(slug)
        name = chat.name or ", ".join(directory.display(s, s) for s in members) or file.stem
        kind = "telegram" if chat.ident.startswith("telegram:") else "whatsapp"
        ident = chat.ident or f"whatsapp:{name}"
        thread = next((slug for slug, t in index.threads.items() if t.get("source") == ident), None)
        if thread is None:
            base = slugify(f"{kind}-{name}", 50) or kind
            used = set(index.threads) | {c.thread for c in nb.conversations if c.thread}
            thread, n = base, 2
            while thread in used:
                thread, n = f"{base}-{n}", n + 1
        title = f"{'Telegram' if kind == 'telegram' else 'WhatsApp'}: {name}"
        thread_titles[thread] = title
        for session in sessions(chat.messages, options.gap_hours):
            new = [m for m in session if m.key not in index.imported]
            report.already += len(session) - len(new)
            if not new:
                continue
            entries = []
            for msg in new:
                slug = None if msg.ours else _sender_slug(directory, msg, create=False)  # counted above
                people = tuple(members) if msg.ours else ((slug,) if slug and slug not in directory.ours else ())
                shown = directory.display(slug, msg.sender)
                text = escape_text(msg.text).replace("\n", "\n  ") or "*(no text)*"
                block = f"- **{_md(shown)}** · {msg.when:%Y-%m-%d %H:%M}: {text}\n"
                entries.append(Entry(msg.key, msg.when, msg.ours, people, shown, block))
            planned.append(Group(f"chat:{thread}:{session[0].key}", "chat", thread, title, "chat", entries))
        index_entry = {"title": title, "source": ident}
        if not options.dry_run or thread not in index.threads:
            index.threads.setdefault(thread, index_entry)
    report.threads = len(thread_titles)
    return write_groups(nb, report, directory, writer, index, planned, options.public, options.dry_run)
