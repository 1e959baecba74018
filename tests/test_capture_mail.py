"""convo import mail: real mailboxes (mbox, Maildir, .eml) become threads, whose turn and nothing twice."""

from __future__ import annotations

import datetime as dt
import email.message
import email.utils
import json
import mailbox
import re
import shutil
from pathlib import Path

import pytest

from conftest import REPO, run_cli
from convo_notes.capture.mail import trim_reply
from convo_notes.capture.threading import ThreadInput, parse_ids, thread_messages
from convo_notes.loader import load_notebook

DATA = REPO / "tests" / "data" / "mail"
TZ = dt.timezone(dt.timedelta(hours=1))
PEOPLE = {
    "notes/people/sam.md": "---\nname: Sam Okafor\nemail: sam@us.example\nteam: true\n---\n",
    "notes/people/priya.md": "---\nname: Priya Natarajan\nemail: priya@us.example\nteam: true\n---\n",
    "notes/people/dana.md": "---\nname: Dana Reyes\nemail: [dana@harbor.example, DReyes@old.example]\n"
                            "org: harbor\n---\n",
    "notes/people/kim.md": "---\nname: Kim Nakamura\naliases: [kim.n@personal.example]\n---\n",
    "notes/orgs/harbor.md": "---\nname: Harbor Logistics\nwebsite: https://www.harbor.example/\n---\n",
    "notes/orgs/newco.md": "---\nname: NewCo\nwebsite: newco.example\n---\n",
}


def message(mid: str | None, sender: str, to: str, subject: str, when: dt.datetime, body: str,
            refs: list[str] | None = None, html: bool = False, irt: str | None = None) -> email.message.EmailMessage:
    msg = email.message.EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(when)
    if mid:
        msg["Message-ID"] = mid
    if refs:
        msg["References"] = " ".join(refs)
    if irt or refs:
        msg["In-Reply-To"] = irt or (refs or [""])[-1]
    msg.set_content(body, subtype="html" if html else "plain")
    return msg


def at(day: int, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def write_mbox(path: Path, messages: list[email.message.EmailMessage]) -> Path:
    box = mailbox.mbox(str(path))
    for msg in messages:
        box.add(msg)
    box.flush()
    box.close()
    return path


def conversation(tmp: Path, days: range = range(2, 4)) -> list[email.message.EmailMessage]:
    return [
        message("<a1@harbor.example>", "Dana Reyes <dana@harbor.example>", "Sam <sam@us.example>", "Pilot plan",
                at(2), "Hi Sam,\nCan you send the pilot plan?\n\n-- \nDana\nHarbor Logistics"),
        message("<a2@us.example>", "Sam Okafor <sam@us.example>", "Dana Reyes <dana@harbor.example>",
                "Re: Pilot plan", at(2, 11), "Sure, by Friday.\n\nOn Mon, Nov 2, 2026 at 9:00 AM Dana Reyes "
                "<dana@harbor.example> wrote:\n> Hi Sam,\n> Can you send the pilot plan?",
                refs=["<a1@harbor.example>"]),
        message("<a3@harbor.example>", "=?utf-8?q?Dana_Reyes?= <DANA@harbor.example>", "sam@us.example",
                "RE: Pilot plan", at(3, 8), "Great, thanks.", refs=["<a1@harbor.example>", "<a2@us.example>"]),
    ]


def import_mail(root: Path, *args: str, today: str = "2026-11-20"):
    return run_cli("-C", str(root), "--today", today, "import", "mail", *args)


def notes_in(root: Path, folder: str = "mail") -> dict[str, str]:
    base = root / "notes" / folder
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(base.glob("*.md"))} if base.is_dir() else {}


def test_a_thread_becomes_one_note_per_exchange_day_with_whose_turn(make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    box = write_mbox(tmp_path / "in.mbox", conversation(tmp_path))
    result = import_mail(root, str(box))
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == ("read 3 messages: 3 imported in 2 new notes and 0 appended to, "
                                           "0 already imported, 0 duplicates skipped, 1 thread")
    notes = notes_in(root)
    assert list(notes) == ["2026-11-02-pilot-plan.md", "2026-11-03-pilot-plan.md"]
    assert notes["2026-11-02-pilot-plan.md"] == (
        "---\ntitle: Pilot plan\ndate: 2026-11-02T09:00\nwith: [dana]\nrecorded_by: sam\nchannel: email\n"
        "thread: pilot-plan\n"
        "private: true\nnext:\n  turn: them\n  by: 2026-11-07\n  about: wait for their reply\n---\n"
        "**Dana Reyes** → Sam Okafor · 2026-11-02 09:00\n\nHi Sam,\nCan you send the pilot plan?\n\n"
        "**Sam Okafor** → Dana Reyes · 2026-11-02 11:00\n\nSure, by Friday.\n")
    assert "next:\n  turn: me\n  by: 2026-11-08\n  about: reply to Dana Reyes\n" in notes["2026-11-03-pilot-plan.md"]
    nb = load_notebook(root, check=True)
    assert nb.errors == []
    due = run_cli("-C", str(root), "--today", "2026-11-20", "due", "--json")
    kinds = {(i["kind"], i["thread"]) for i in json.loads(due.out)["items"]}
    assert ("my-turn", "pilot-plan") in kinds


def test_our_last_message_older_than_the_window_is_waiting_on_them(make_notebook, tmp_path):
    root = make_notebook({**PEOPLE, "convo.yml": "me: sam\ncapture:\n  follow_up_days: 3\n"})
    box = write_mbox(tmp_path / "in.mbox", conversation(tmp_path)[:2])
    assert import_mail(root, str(box)).code == 0
    assert "  turn: them\n  by: 2026-11-05\n" in notes_in(root)["2026-11-02-pilot-plan.md"]
    due = json.loads(run_cli("-C", str(root), "--today", "2026-11-20", "due", "--json").out)
    waiting = [i for i in due["items"] if i["thread"] == "pilot-plan"]
    assert [i["kind"] for i in waiting] == ["waiting"]


def test_reimport_adds_nothing_and_a_grown_mailbox_appends_only_new_messages(make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    first, second, third = conversation(tmp_path)
    box = write_mbox(tmp_path / "in.mbox", [first, second])
    assert import_mail(root, str(box)).code == 0
    before = notes_in(root)
    again = import_mail(root, str(box))
    assert again.out.splitlines()[-1].startswith("read 2 messages: 0 imported in 0 new notes and 0 appended to, "
                                                 "2 already imported")
    assert notes_in(root) == before
    late = message("<a1b@harbor.example>", "Dana Reyes <dana@harbor.example>", "sam@us.example", "Re: Pilot plan",
                   at(2, 17), "One more thing: include the KPIs.", refs=["<a1@harbor.example>", "<a2@us.example>"])
    write_mbox(box, [third, late])  # the mailbox grew
    grown = import_mail(root, str(box))
    assert grown.code == 0, grown.err
    notes = notes_in(root)
    day_one = notes["2026-11-02-pilot-plan.md"]
    assert day_one.startswith(before["2026-11-02-pilot-plan.md"].split("---\n", 2)[0])
    assert day_one.endswith(before["2026-11-02-pilot-plan.md"].split("---\n", 2)[2]
                            + "\n**Dana Reyes** → Sam Okafor · 2026-11-02 17:00\n\nOne more thing: include the KPIs.\n")
    assert "  turn: me\n" in day_one  # Dana's late message is the newest of that day
    assert list(notes) == ["2026-11-02-pilot-plan.md", "2026-11-03-pilot-plan.md"]
    assert import_mail(root, str(box)).out.splitlines()[-1].startswith("read 4 messages: 0 imported")


def test_a_note_changed_by_hand_is_left_alone_and_reported(make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    first, second, _ = conversation(tmp_path)
    box = write_mbox(tmp_path / "in.mbox", [first])
    import_mail(root, str(box))
    note = root / "notes/mail/2026-11-02-pilot-plan.md"
    edited = note.read_text(encoding="utf-8") + "\nMy own notes about the call.\n"
    note.write_text(edited, encoding="utf-8")
    write_mbox(box, [second])
    result = import_mail(root, str(box))
    assert note.read_text(encoding="utf-8") == edited
    assert ("left alone notes/mail/2026-11-02-pilot-plan.md: changed by hand; new messages go to a new note"
            in result.out)
    assert "2026-11-02-pilot-plan-2.md" in notes_in(root)
    assert load_notebook(root, check=True).errors == []


def test_people_matched_by_email_and_alias_and_unknown_ones_listed_then_created(make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    msgs = [
        message("<k1@x>", "Kim <kim.n@personal.example>", "sam@us.example", "Lunch?", at(5), "Lunch on Friday?"),
        message("<p1@x>", "Pat Lee <pat.lee@mail.newco.example>", "sam@us.example, Dana <dana@harbor.example>",
                "Intro", at(6), "Hello both"),
        message("<z1@x>", "=?iso-8859-1?q?Zo=EB_M=FCller?= <zoe@elsewhere.example>", "sam@us.example", "Hallo",
                at(7), "Grüße"),
    ]
    box = write_mbox(tmp_path / "in.mbox", msgs)
    listed = import_mail(root, str(box), "--dry-run")
    assert "unknown correspondents (2; --create-people creates them):" in listed.out
    assert "  Pat Lee <pat.lee@mail.newco.example>  (1 message)" in listed.out
    assert "  Zoë Müller <zoe@elsewhere.example>  (1 message)" in listed.out
    assert notes_in(root) == {}  # dry run: no note, no person, no index
    assert not (root / "notes/.convo-import.json").exists()
    assert sorted(p.name for p in (root / "notes/people").iterdir()) == ["dana.md", "kim.md", "priya.md", "sam.md"]
    created = import_mail(root, str(box), "--create-people")
    assert created.code == 0, created.err
    assert (root / "notes/people/pat-lee.md").read_text(encoding="utf-8") == (
        "---\nname: Pat Lee\norg: newco\nemail: pat.lee@mail.newco.example\nprivate: true\n---\n"
        "Created by `convo import` from the messages they sent or received.\n")
    assert "name: Zoë Müller\n" in (root / "notes/people/zoe-muller.md").read_text(encoding="utf-8")
    notes = notes_in(root)
    assert "with: [kim]\n" in notes["2026-11-05-lunch.md"]
    assert "with: [pat-lee, dana]\n" in notes["2026-11-06-intro.md"]
    assert load_notebook(root, check=True).errors == []


def test_me_address_marks_our_side(make_notebook, tmp_path):
    root = make_notebook({k: v for k, v in PEOPLE.items() if "sam" not in k and "priya" not in k}, me=None)
    msgs = conversation(tmp_path)[:2]
    box = write_mbox(tmp_path / "in.mbox", msgs)
    assert import_mail(root, str(box), "--me-address", "SAM@us.example").code == 0
    assert "  turn: them\n" in notes_in(root)["2026-11-02-pilot-plan.md"]


def test_html_only_multipart_charsets_and_attachments(make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    html = message("<h1@x>", "Dana <dana@harbor.example>", "sam@us.example", "=?utf-8?b?Q2Fmw6kgbWVldGluZw==?=",
                   at(4), "<html><head><style>p{}</style></head><body><p>Let&#39;s meet at the <b>café</b>.</p>"
                   "<blockquote>old quoted text</blockquote><script>x()</script></body></html>", html=True)
    latin = email.message.EmailMessage()
    latin["From"], latin["To"], latin["Subject"] = "dana@harbor.example", "sam@us.example", "Budget"
    latin["Date"], latin["Message-ID"] = email.utils.format_datetime(at(5)), "<l1@x>"
    latin.set_content("Preis: 5 € pro Stück".encode("iso-8859-15"), "text", "plain", cte="quoted-printable")
    latin.replace_header("Content-Type", 'text/plain; charset="iso-8859-15"')
    latin.add_attachment(b"%PDF-1.4 tiny", maintype="application", subtype="pdf", filename="offer.pdf")
    box = write_mbox(tmp_path / "in.mbox", [html, latin])
    outdir = tmp_path / "attachments"
    result = import_mail(root, str(box), "--attachments", str(outdir))
    assert result.code == 0, result.err
    notes = notes_in(root)
    cafe = notes["2026-11-04-cafe-meeting.md"]
    assert 'title: "Café meeting"' in cafe or "title: Café meeting" in cafe
    assert "Let's meet at the café ." in cafe or "Let's meet at the café." in cafe
    assert "old quoted text" not in cafe and "x()" not in cafe
    budget = notes["2026-11-05-budget.md"]
    assert "Preis: 5 € pro Stück" in budget
    assert "*Attachments: offer.pdf (1 KB)*" in budget
    assert [p.name for p in outdir.rglob("*.pdf")] == ["offer.pdf"]


def test_bad_input_is_one_warning_line_each_and_nothing_crashes(make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    good = conversation(tmp_path)[0]
    no_date = message("<nd@x>", "dana@harbor.example", "sam@us.example", "No date", at(6), "x")
    del no_date["Date"]
    loop_a = message("<loop-a@x>", "dana@harbor.example", "sam@us.example", "Loop", at(7), "a",
                     refs=["<loop-b@x>"])
    loop_b = message("<loop-b@x>", "dana@harbor.example", "sam@us.example", "Re: Loop", at(7, 10), "b",
                     refs=["<loop-a@x>", "<loop-b@x>"])
    big = message("<big@x>", "dana@harbor.example", "sam@us.example", "Big file", at(8), "see attached")
    big.add_attachment(b"\0" * (50 * 1024 * 1024), maintype="application", subtype="octet-stream",
                       filename="huge.bin")
    box = write_mbox(tmp_path / "in.mbox", [good, no_date, loop_a, loop_b, big])
    with open(box, "ab") as fh:  # a truncated last message: headers cut off mid-line, no body
        fh.write(b"From MAILER-DAEMON Thu Nov 12 10:00:00 2026\nFrom: dana@harbor.exa")
    bad_bytes = tmp_path / "bad.eml"
    bad_bytes.write_bytes(b"From: Dana <dana@harbor.example>\nTo: sam@us.example\nSubject: \xff\xfe caf\xe9\n"
                          b"Date: Mon, 09 Nov 2026 10:00:00 +0100\nMessage-ID: <bytes@x>\n"
                          b"Content-Type: text/plain; charset=klingon\n\ncaf\xe9 \xff ok\n")
    headerless = tmp_path / "noheaders.eml"
    headerless.write_bytes(b"just some text\nwith no headers at all\n")
    result = import_mail(root, str(box), str(bad_bytes), str(headerless))
    assert result.code == 0, result.err
    warnings = result.err.splitlines()
    assert f"{box}:" in warnings[0] and "warning[import-skipped]: message 2 <nd@x>: no readable Date header" \
        in warnings[0]
    assert any("warning[import-caveat]: message 4 <loop-b@x>: refers to itself in References" in w
               for w in warnings)
    assert any("attachment 'huge.bin' is 50 MB; named in the note, not copied" in w for w in warnings)
    assert any(w.startswith(f"{box}:") and "message 6: no readable Date header; skipped" in w for w in warnings)
    assert any(w.startswith(f"{bad_bytes}:1:1: warning[import-caveat]") and "charset" in w for w in warnings)
    assert any(w.startswith(f"{headerless}:1:1: warning[import-skipped]") and "no headers" in w for w in warnings)
    notes = notes_in(root)
    assert any("loop" in name for name in notes)
    assert sum("loop" in name for name in notes) == 1  # the two loop messages are one thread
    assert "caf\N{REPLACEMENT CHARACTER}" in "".join(notes.values()) or "café" in "".join(notes.values())
    nb = load_notebook(root, check=True)
    assert nb.errors == []


def test_maildir_nested_folders_and_eml_files(make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    msgs = conversation(tmp_path)
    top = mailbox.Maildir(str(tmp_path / "Mail"), create=True)
    top.add(mailbox.MaildirMessage(msgs[0]))
    sent = top.add_folder("Sent")
    sent.add(mailbox.MaildirMessage(msgs[1]))
    (tmp_path / "Mail" / "Archive").mkdir(parents=True)
    nested = mailbox.Maildir(str(tmp_path / "Mail" / "Archive" / "2026"), create=True)
    nested.add(mailbox.MaildirMessage(msgs[2]))
    (tmp_path / "loose.eml").write_bytes(bytes(msgs[2]))  # the same message again, as a file
    result = import_mail(root, str(tmp_path / "Mail"), str(tmp_path / "loose.eml"))
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == ("read 4 messages: 3 imported in 2 new notes and 0 appended to, "
                                           "0 already imported, 1 duplicate skipped, 1 thread")


def test_public_flag_and_privacy_by_default(make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    box = write_mbox(tmp_path / "in.mbox", conversation(tmp_path)[:1])
    import_mail(root, str(box))
    nb = load_notebook(root)
    assert all(nb.is_private(c) for c in nb.conversations)
    other = make_notebook(PEOPLE, root=tmp_path / "nb2")
    import_mail(other, str(box), "--public")
    assert "private: false\n" in notes_in(other)["2026-11-02-pilot-plan.md"]


def test_json_report(make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    box = write_mbox(tmp_path / "in.mbox", conversation(tmp_path))
    doc = json.loads(import_mail(root, str(box), "--json").out)
    assert (doc["read"], doc["imported"], doc["created"], doc["threads"]) == (3, 3, 2, 1)
    assert doc["notes"][0] == {"action": "create", "path": "notes/mail/2026-11-02-pilot-plan.md", "messages": 2,
                               "reason": ""}


# --- threading --------------------------------------------------------------------------------


def _inputs(rows: list[tuple[str | None, list[str], str]]) -> list[ThreadInput]:
    return [ThreadInput(i, mid, tuple(refs), subject, (i,)) for i, (mid, refs, subject) in enumerate(rows)]


def test_threading_missing_parents_duplicates_loops_and_subjects():
    rows = [
        ("a", [], "Plan"),
        ("b", ["a"], "Re: Plan"),
        ("c", ["missing", "b"], "Re: Plan"),
        ("a", [], "Plan"),  # a duplicate Message-ID
        ("x", ["y"], "Loop"),
        ("y", ["x"], "Re: Loop"),
        ("z", ["z"], "Self"),
        (None, [], "Re: Plan"),  # no headers, a reply by subject
        (None, [], "Hello"),
        (None, [], "Hello"),  # two unrelated "Hello"s
        ("o1", ["gone"], "Orphans"),
        ("o2", ["gone2"], "Re: Orphans"),
    ]
    threads = thread_messages(_inputs(rows))
    assert sorted(sorted(t.keys) for t in threads) == sorted(
        [[0, 1, 2, 7], [3], [4, 5], [6], [8], [9], [10, 11]])  # type: ignore[type-var]


def test_parse_ids_takes_angle_brackets_and_bare_ids():
    assert parse_ids("<a@x>\n\t<b@y> junk") == ["a@x", "b@y"]
    assert parse_ids("a@x b@y") == ["a@x", "b@y"]
    assert parse_ids(None) == []


def _components(box: Path) -> tuple[int, int]:
    """An independent threading: union-find over Message-ID, References and In-Reply-To (no subjects)."""
    import email.policy

    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    ids: set[str] = set()
    def factory(f):
        return email.message_from_binary_file(f, policy=email.policy.compat32)

    for msg in mailbox.mbox(str(box), factory=factory):
        mid = (msg["Message-ID"] or "").strip()
        if not mid or mid in ids:
            continue
        ids.add(mid)
        irt = re.findall(r"<[^<>\s]+>", msg["In-Reply-To"] or "")[:1]  # JWZ: the first id of In-Reply-To
        for ref in re.findall(r"<[^<>\s]+>", msg["References"] or "") + irt:
            parent[find(ref)] = find(mid)
    return len(ids), len({find(i) for i in ids})


def test_a_real_mailing_list_archive_threads_like_an_independent_threading(tmp_path):
    corpus = DATA / "numpy-discussion-2001-11.mbox"
    unique, components = _components(corpus)
    from convo_notes.capture.mail import iter_sources, parse, read_raw

    parsed = {}
    for kind, path in iter_sources([corpus]):
        for raw in read_raw(kind, path, str(path)):
            msg, _ = parse(raw)  # type: ignore[arg-type]
            if msg is not None:
                parsed.setdefault(msg.key, msg)
    threads = thread_messages([ThreadInput(k, m.message_id, m.references, "", (m.when.timestamp(),))
                               for k, m in parsed.items()])  # no subjects: headers alone
    assert unique == 82
    assert len(parsed) == 82  # every message has a sender and a date once its pipermail address is restored
    assert len(threads) == components == 33
    with_subjects = thread_messages([ThreadInput(k, m.message_id, m.references, m.subject, (m.when.timestamp(),))
                                     for k, m in parsed.items()])
    assert len(with_subjects) == 26  # replies whose start is in October's archive join by subject


def test_a_real_archive_imports_once_matching_known_people(make_notebook, tmp_path):
    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam\nemail: sam@us.example\nteam: true\n---\n",
        "notes/people/paul.md": "---\nname: Paul Dubois\nemail: paul@pfdubois.com\n---\n",
        "notes/people/perry.md": "---\nname: Perry Greenfield\nemail: perry@stsci.edu\n---\n",
    })
    box = tmp_path / "archive.mbox"
    shutil.copy(DATA / "numpy-discussion-2001-11.mbox", box)
    first = import_mail(root, str(box))
    assert first.code == 0, first.err
    assert first.err == ""
    nb = load_notebook(root, check=True)
    assert nb.errors == []
    threads = {c.thread for c in nb.conversations}
    assert len(threads) == 5
    assert {p for c in nb.conversations for p in c.with_} == {"paul", "perry"}
    assert all(c.next is not None and c.next.turn == "me" for c in nb.conversations)
    before = notes_in(root)
    again = import_mail(root, str(box))
    assert "read 164 messages: 0 imported in 0 new notes and 0 appended to, 38 already imported" in again.out
    assert "not imported: 63 messages with no known person" in again.out  # not parsed again
    assert "  John J. Lee <jjl@pobox.com>  (1 message)" in again.out
    assert notes_in(root) == before
    (root / "notes/people/john.md").write_text("---\nname: John J. Lee\nemail: jjl@pobox.com\n---\n")
    third = import_mail(root, str(box))
    assert "read 164 messages: 1 imported in 1 new note and 0 appended to" in third.out
    assert "2001-11-01-numeric2.md" in notes_in(root)


@pytest.mark.parametrize("name", ["gmail", "outlook", "yahoo", "apple_mail", "thunderbird", "android", "hotmail"])
def test_real_client_replies_are_trimmed_to_the_answer(name):
    import email.policy

    from convo_notes.capture.mail import clean, html_to_text

    msg = email.message_from_bytes((DATA / "replies" / f"{name}.eml").read_bytes(), policy=email.policy.default)
    body = msg.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    text = body.get_content()
    if body.get_content_subtype() == "html":
        text = html_to_text(text)
    assert trim_reply(clean(text)) == "Hello"


def test_trim_reply_keeps_interleaved_answers_and_cuts_signatures():
    assert trim_reply("> q1\nanswer1\n> q2\nanswer2") == "answer1\nanswer2"
    assert trim_reply("Thanks!\n\n-- \nDana\nHarbor") == "Thanks!"
    assert trim_reply("Ok\n\nSent from my iPhone") == "Ok"
    assert trim_reply("Fine.\n\n-----Original Message-----\nFrom: x\nSent: y\n\nold") == "Fine."
    assert trim_reply("> all quote") == "> all quote"


def test_imported_mail_never_reaches_the_site_and_lists_are_not_people(make_notebook, tmp_path):
    root = make_notebook({**PEOPLE, "mkdocs.yml": "site_name: Test\n"})
    post = message("<l1@x>", "Dana Reyes <dana@harbor.example>", "dev@lists.example, sam@us.example",
                   "Tidewater secret plan", at(9), "The Halvorsen figures are confidential.")
    post["List-Post"] = "<mailto:dev@lists.example>"
    box = write_mbox(tmp_path / "in.mbox", [post])
    result = import_mail(root, str(box), "--create-people")
    assert result.code == 0, result.err
    assert not any("lists" in p.name for p in (root / "notes/people").iterdir())
    site = tmp_path / "site"
    built = run_cli("-C", str(root), "site", "build", "-d", str(site))
    assert built.code == 0, built.err
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in site.rglob("*") if p.is_file())
    assert "Tidewater" not in text and "Halvorsen" not in text
    assert "tidewater" not in "\n".join(str(p) for p in site.rglob("*"))
    public = make_notebook({**PEOPLE, "mkdocs.yml": "site_name: Test\n"}, root=tmp_path / "public")
    import_mail(public, str(box), "--public")
    assert run_cli("-C", str(public), "site", "build", "-d", str(tmp_path / "site2")).code == 0
    shown = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in (tmp_path / "site2").rglob("*.html"))
    assert "Tidewater" in shown  # the same mail, published on purpose, is on the site


def test_folders_of_extensionless_mboxes_and_a_maildirs_own_cur(make_notebook, tmp_path):
    root = make_notebook(PEOPLE)
    msgs = conversation(tmp_path)
    local = tmp_path / "Local Folders"
    local.mkdir()
    write_mbox(local / "Inbox", msgs[:2])  # Thunderbird: an mbox named like the folder, no extension
    (local / "Inbox.msf").write_text("// index, not mail\n", encoding="utf-8")
    result = import_mail(root, str(local))
    assert result.out.splitlines()[-1].startswith("read 2 messages: 2 imported"), result.out
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    box.add(mailbox.MaildirMessage(msgs[2]))
    again = import_mail(root, str(tmp_path / "Maildir" / "new"))
    assert again.out.splitlines()[-1].startswith("read 1 message: 1 imported"), again.out


def test_a_team_notebook_gets_recorded_by(tmp_path, make_notebook, cli):
    """Format v1.1: in a notebook with several team members an imported note says who recorded it."""
    import mailbox
    from email.message import EmailMessage

    root = make_notebook({
        "notes/people/sam.md": "---\nname: Sam Stone\nteam: true\nemail: sam@us.example\n---\n",
        "notes/people/ana.md": "---\nname: Ana Team\nteam: true\nemail: ana@us.example\n---\n",
        "notes/people/dana.md": "---\nname: Dana Reyes\nemail: dana@client.example\n---\n",
    })
    box = mailbox.mbox(tmp_path / "in.mbox")
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Dana Reyes <dana@client.example>", "sam@us.example", "Tiers"
    msg["Date"], msg["Message-ID"] = "Mon, 16 Nov 2026 10:00:00 +0000", "<t1@client.example>"
    msg.set_content("Can you send the tiers?")
    box.add(msg)
    box.flush()
    result = cli("-C", str(root), "--today", "2026-11-20", "import", "mail", str(tmp_path / "in.mbox"),
                 env={"CONVO_ME": "ana"})
    assert result.code == 0, result.err
    (note,) = (root / "notes").rglob("mail/*.md")
    assert "\nrecorded_by: ana\n" in note.read_text(encoding="utf-8")
    assert cli("-C", str(root), "validate").code == 0
