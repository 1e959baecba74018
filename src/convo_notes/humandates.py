"""Dates as people type them on the command line: ``today``, ``tomorrow``, ``fri``, ``+3d``, ISO.

One parser for every date a command takes (``--today``, ``--date``, ``--until``,
``convo reschedule``'s DATE); the click type :data:`convo_notes.cli.common.DATE`
uses it. Front matter stays strict ISO (:func:`convo_notes.dates.parse_date`).

- ``today``, ``tomorrow``, ``yesterday``;
- a weekday, in full or its first three letters (``fri``, ``friday``): the next such
  day *after* today (1 to 7 days ahead; ``fri`` on a Friday is a week later);
- ``+3d``, ``-2w``, ``+1m``, ``+1y``: days, weeks, calendar months or years from today
  (a month or year later than the month's last day lands on that last day);
- ``YYYY-MM-DD``.

Words are read without regard to case or surrounding spaces.
"""

from __future__ import annotations

import datetime as dt
import re

from .dates import Duration, add_days, in_range, parse_date, range_text

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_OFFSET = re.compile(r"^([+-])\s*(\d+)\s*([dwmy])$")
_ISO_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FORMS = "YYYY-MM-DD, today, tomorrow, yesterday, a weekday (fri), or +3d, -2w, +1m, +1y"


class BadDate(ValueError):
    """Text that is not a date; the message says why, in one line."""


def parse_human_date(text: str, today: dt.date) -> dt.date:
    """The date ``text`` stands for, counted from ``today``; :class:`BadDate` when it is none."""
    word = text.strip().lower()
    if _ISO_SHAPE.match(word):
        day = parse_date(word)
        if day is None:
            raise BadDate(f"{text.strip()} is not a real date")
        return day
    named = {"today": 0, "tomorrow": 1, "yesterday": -1}
    if word in named:
        return add_days(today, named[word])
    for number, name in enumerate(WEEKDAYS):
        if word == name or (len(word) >= 3 and name.startswith(word)):
            ahead = (number - today.weekday()) % 7 or 7
            return add_days(today, ahead)
    match = _OFFSET.match(word)
    if match:
        digits = match[2].lstrip("0")
        count = int(digits) if len(digits) <= 9 else None  # (int() refuses thousands of digits)
        if count == 0:
            return today
        day = None if count is None else Duration(count, match[3]).shift(today, 1 if match[1] == "+" else -1)
        if day is None or not in_range(day):
            raise BadDate(f"{text.strip()} is too far from {today.isoformat()} (dates lie in {range_text()})")
        return day
    raise BadDate(f"{text.strip()!r} is not a date: use {FORMS}")
