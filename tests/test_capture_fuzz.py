"""Random input never crashes the readers of `convo import`: every failure is a value."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from convo_notes.capture.chat import parse_telegram, parse_whatsapp
from convo_notes.capture.mail import RawMail, html_to_text, parse, quick_id, trim_reply
from convo_notes.capture.threading import ThreadInput, thread_messages
from convo_notes.errors import CommandFailed

HEADERS = st.sampled_from([b"From: ", b"To: ", b"Date: ", b"Subject: ", b"Message-ID: ", b"References: ",
                           b"In-Reply-To: ", b"Content-Type: multipart/mixed; boundary=", b"--", b"\n", b"\r\n",
                           b"=?utf-8?q?", b"?=", b"<", b">", b"@", b"Mon, 2 Nov 2026 09:00:00 +0100"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(HEADERS, st.binary(max_size=20)), max_size=40))
def test_any_bytes_parse_to_a_message_or_a_warning(parts):
    data = b"".join(parts)
    msg, problems = parse(RawMail("x.eml", 1, data))
    assert msg is not None or problems
    quick_id(data)
    if msg is not None:
        msg.text.encode("utf-8")  # always writable


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_trims_and_any_html_reads(text):
    trim_reply(text)
    html_to_text(text)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d", None]),
                          st.lists(st.sampled_from(["a", "b", "c", "d", "x"]), max_size=4),
                          st.sampled_from(["Hi", "Re: Hi", "Other"])), max_size=12))
def test_threading_keeps_every_message_exactly_once(rows):
    inputs = [ThreadInput(i, mid, tuple(refs), subject, (i,)) for i, (mid, refs, subject) in enumerate(rows)]
    threads = thread_messages(inputs)
    assert sorted(k for t in threads for k in t.keys) == list(range(len(rows)))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_any_chat_text_is_a_chat_or_one_clear_failure(text):
    try:
        parse_whatsapp(text, "x.txt")
    except CommandFailed:
        pass


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
                        st.sampled_from(["messages", "chats", "list", "from", "date", "text", "type", "id"]),
                        kids, max_size=5), max_leaves=20))
def test_any_json_is_a_telegram_export_or_one_clear_failure(data):
    try:
        parse_telegram(data, "result.json")
    except CommandFailed:
        pass
