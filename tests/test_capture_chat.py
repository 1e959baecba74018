"""convo import chat: WhatsApp (Android and iOS) and Telegram Desktop exports become chat threads."""

from __future__ import annotations

import datetime as dt
import json

from conftest import run_cli
from convo_notes.capture.chat import parse_telegram, parse_whatsapp, sessions
from convo_notes.loader import load_notebook

PEOPLE = {
    "notes/people/sam.md": "---\nname: Sam Okafor\nteam: true\n---\n",
    "notes/people/dana.md": "---\nname: Dana Reyes\naliases: [Dana R]\nphone: +1 (555) 010-2030\n---\n",
    "notes/people/kim.md": "---\nname: Kim Nakamura\n---\n",
}
# Android, 12-hour US dates: the form of WhatsApp's "Export chat" on an English (US) phone.
ANDROID = (
    "11/2/26, 9:41 PM - Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
    "WhatsApp, can read or listen to them. Tap to learn more.\n"
    "11/2/26, 9:41 PM - Dana R: Are we still on\nfor tomorrow?\n"
    "11/2/26, 9:45 PM - Sam Okafor: Yes, 10am\n"
    "11/2/26, 9:46 PM - Sam Okafor: <Media omitted>\n"
    "11/13/26, 8:00 AM - +1 555-010-2030: Running late: 10 minutes\n"
)
# iOS, 24-hour day-first dates with seconds, a left-to-right mark before notices.
IOS = (
    "[02/11/2026, 21:41:05] Dana Reyes: \u200eMessages and calls are end-to-end encrypted.\n"
    "[02/11/2026, 21:41:05] Dana Reyes: Are we still on for tomorrow?\n"
    "[02/11/2026, 21:45:10] Sam Okafor: Yes, 10am\n"
    "[02/11/2026, 21:46:00] Sam Okafor: \u200eimage omitted\n"
    "[13/11/2026, 08:00:00] Dana Reyes: Running late\n"
)
TELEGRAM = {
    "personal_information": {"user_id": 1, "first_name": "Sam", "last_name": "Okafor"},
    "chats": {"list": [{
        "name": "Kim Nakamura", "type": "personal_chat", "id": 4242,
        "messages": [
            {"id": 1, "type": "service", "date": "2026-11-01T10:00:00", "actor": "Kim Nakamura",
             "action": "phone_call"},
            {"id": 2, "type": "message", "date": "2026-11-01T10:01:00", "from": "Kim Nakamura", "from_id": "user7",
             "text": ["See ", {"type": "bold", "text": "the scorecard"}, " please"]},
            {"id": 3, "type": "message", "date": "2026-11-01T10:05:00", "from": "Sam", "from_id": "user1",
             "text": "Will do"},
            {"id": 4, "type": "message", "date": "2026-11-03T09:00:00", "from": "Kim Nakamura",
             "from_id": "user7", "text": "", "photo": "photos/photo_1.jpg"},
        ]}]},
}


def test_android_lines_multiline_messages_and_system_lines():
    chat, problems = parse_whatsapp(ANDROID, "WhatsApp Chat with Dana Reyes.txt")
    assert problems == []
    assert chat.name == "Dana Reyes"
    assert [(m.when, m.sender, m.text) for m in chat.messages] == [
        (dt.datetime(2026, 11, 2, 21, 41), "Dana R", "Are we still on\nfor tomorrow?"),
        (dt.datetime(2026, 11, 2, 21, 45), "Sam Okafor", "Yes, 10am"),
        (dt.datetime(2026, 11, 2, 21, 46), "Sam Okafor", "<Media omitted>"),
        (dt.datetime(2026, 11, 13, 8, 0), "+1 555-010-2030", "Running late: 10 minutes"),
    ]


def test_ios_lines_are_day_first_and_notices_are_skipped():
    chat, _ = parse_whatsapp(IOS, "_chat.txt")
    assert [(m.when, m.sender) for m in chat.messages] == [
        (dt.datetime(2026, 11, 2, 21, 41, 5), "Dana Reyes"),
        (dt.datetime(2026, 11, 2, 21, 45, 10), "Sam Okafor"),
        (dt.datetime(2026, 11, 2, 21, 46), "Sam Okafor"),
        (dt.datetime(2026, 11, 13, 8, 0), "Dana Reyes"),
    ]
    assert chat.messages[2].text == "image omitted"


def test_date_order_can_be_given():
    text = "01/02/26, 10:00 - Dana Reyes: hi\n"
    assert parse_whatsapp(text, "x.txt", "mdy")[0].messages[0].when.date() == dt.date(2026, 1, 2)
    assert parse_whatsapp(text, "x.txt", "dmy")[0].messages[0].when.date() == dt.date(2026, 2, 1)


def test_telegram_entities_service_messages_and_our_account():
    chats, problems = parse_telegram(TELEGRAM, "result.json")
    assert problems == []
    (chat,) = chats
    assert [(m.text, m.ours) for m in chat.messages] == [
        ("See the scorecard please", False), ("Will do", True), ("[photo]", False)]


def test_sessions_split_on_silence():
    chat, _ = parse_whatsapp(ANDROID, "x.txt")
    assert [len(s) for s in sessions(chat.messages, 8)] == [3, 1]
    assert [len(s) for s in sessions(chat.messages, 24 * 30)] == [4]


def test_whatsapp_import_matches_name_alias_and_phone_and_is_idempotent(make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    export = tmp_path / "WhatsApp Chat with Dana Reyes.txt"
    export.write_text(ANDROID, encoding="utf-8")
    result = run_cli("-C", str(root), "--today", "2026-11-20", "import", "chat", str(export))
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == ("read 4 messages: 4 imported in 2 new notes and 0 appended to, "
                                           "0 already imported, 0 duplicates skipped, 1 thread")
    first = (root / "notes/chat/2026-11-02-whatsapp-dana-reyes.md").read_text(encoding="utf-8")
    assert first == (
        "---\ntitle: \"WhatsApp: Dana Reyes\"\ndate: 2026-11-02T21:41\nwith: [dana]\nchannel: chat\n"
        "thread: whatsapp-dana-reyes\nprivate: true\nnext:\n  turn: them\n  by: 2026-11-07\n"
        "  about: wait for their reply\n---\n"
        "- **Dana Reyes** · 2026-11-02 21:41: Are we still on\n  for tomorrow?\n\n"
        "- **Sam Okafor** · 2026-11-02 21:45: Yes, 10am\n\n"
        "- **Sam Okafor** · 2026-11-02 21:46: <Media omitted>\n")
    second = (root / "notes/chat/2026-11-13-whatsapp-dana-reyes.md").read_text(encoding="utf-8")
    assert "with: [dana]\n" in second and "  turn: me\n" in second
    again = run_cli("-C", str(root), "--today", "2026-11-20", "import", "chat", str(export))
    assert again.out.splitlines()[-1].startswith("read 4 messages: 0 imported in 0 new notes and 0 appended to, "
                                                 "4 already imported")
    export.write_text(ANDROID + "11/13/26, 8:30 AM - Sam Okafor: No problem\n", encoding="utf-8")
    grown = run_cli("-C", str(root), "--today", "2026-11-20", "import", "chat", str(export))
    assert "1 imported in 0 new notes and 1 appended to" in grown.out
    second = (root / "notes/chat/2026-11-13-whatsapp-dana-reyes.md").read_text(encoding="utf-8")
    assert second.endswith("- **Sam Okafor** · 2026-11-13 08:30: No problem\n")
    assert "  turn: them\n  by: 2026-11-18\n" in second
    assert load_notebook(root, check=True).errors == []


def test_telegram_import_and_unknown_people(make_notebook, tmp_path):
    root = make_notebook({k: v for k, v in PEOPLE.items() if "kim" not in k})
    export = tmp_path / "result.json"
    export.write_text(json.dumps(TELEGRAM), encoding="utf-8")
    listed = run_cli("-C", str(root), "import", "chat", str(export))
    assert "  Kim Nakamura  (2 messages)" in listed.out
    assert "not imported: 3 messages in 2 notes with no known person" in listed.out
    created = run_cli("-C", str(root), "import", "chat", str(export), "--create-people", "--public")
    assert created.code == 0, created.err
    assert (root / "notes/people/kim-nakamura.md").exists()
    note = (root / "notes/chat/2026-11-01-telegram-kim-nakamura.md").read_text(encoding="utf-8")
    assert "with: [kim-nakamura]\n" in note and "private: false\n" in note
    assert load_notebook(root, check=True).errors == []


def test_not_a_chat_export_is_one_line(make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    junk = tmp_path / "notes.txt"
    junk.write_text("just some text\n", encoding="utf-8")
    result = run_cli("-C", str(root), "import", "chat", str(junk))
    assert result.code == 1
    assert result.err.startswith(f"convo: {junk}: no WhatsApp message lines found")
