"""Calendar arithmetic that cannot overflow, and the range of dates the format accepts.

Python's ``date + timedelta`` raises past year 9999 (or before year 1), and
``timedelta(days=n)`` itself raises past a billion days. Every place that
adds days or months to a date goes through :func:`add_days` or
:func:`add_months`, which clamp to :data:`datetime.date.max` /
:data:`datetime.date.min` instead of raising.

The format itself keeps dates between :data:`MIN_DATE` and :data:`MAX_DATE`
and durations at most :data:`MAX_DURATION_YEARS` years (checked in
:mod:`.schema`, with a located ``out-of-range`` error), and the command line
keeps ``--today`` and ``--within`` in range, so the clamping is a second line
of defence that ordinary notebooks never reach.

:class:`Duration` (a cadence, a warning, a follow-up) and :class:`Repeat` (a recurring
commitment) are the format's spans of time, kept here with the arithmetic they use rather
than in :mod:`.schema`, which reads them: a warm command needs the values, not the schema.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)
MAX_DURATION_YEARS = 100
# The longest duration in each unit: 100 years, written in days, weeks, months or years.
MAX_DURATION = {"d": 36_500, "w": 5_200, "m": 12 * MAX_DURATION_YEARS, "y": MAX_DURATION_YEARS}
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
MAX_WITHIN_DAYS = MAX_DURATION["d"]  # the longest look-ahead window a command accepts (`--within`)


def in_range(day: dt.date) -> bool:
    """Whether ``day`` (a date or a date-time) lies between :data:`MIN_DATE` and :data:`MAX_DATE`."""
    if isinstance(day, dt.datetime):
        day = day.date()
    return MIN_DATE <= day <= MAX_DATE


def range_text() -> str:
    """The accepted range of dates, as shown in messages: ``1900-01-01 to 2999-12-31``."""
    return f"{MIN_DATE.isoformat()} to {MAX_DATE.isoformat()}"


def add_days(day: dt.date, days: int) -> dt.date:
    """``day`` plus ``days`` (negative allowed), clamped to ``date.min``/``date.max`` instead of raising."""
    ordinal = day.toordinal() + days
    if ordinal > dt.date.max.toordinal():
        return dt.date.max
    if ordinal < dt.date.min.toordinal():
        return dt.date.min
    return dt.date.fromordinal(ordinal)


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the day kept, or the month's last day), clamped.

    ``2026-01-31`` plus one month is ``2026-02-28``.
    """
    year, month0 = divmod(day.month - 1 + months, 12)
    year += day.year
    if year > dt.MAXYEAR:
        return dt.date.max
    if year < dt.MINYEAR:
        return dt.date.min
    month = month0 + 1
    first = dt.date(year, month, 1)
    last = 31 if month == 12 else (dt.date(year, month + 1, 1) - first).days
    return dt.date(year, month, min(day.day, last))


class Duration(NamedTuple):
    """A keep-in-touch interval: ``14d``, ``2w``, ``3m`` (calendar months), ``1y``.

    A cadence may name a window, ``2w..4w``: ``maximum`` is then its upper end (contact
    is due at the ideal, this duration, and overdue only after the maximum).
    """

    count: int  # type: ignore[assignment]  # (a field, not tuple.count)
    unit: str  # d, w, m, y
    maximum: "Duration | None" = None

    def after(self, day: dt.date) -> dt.date:
        """``day`` plus this duration (clamped at the calendar's ends, never raising)."""
        return self.shift(day, 1)

    def before(self, day: dt.date) -> dt.date:
        """``day`` minus this duration (clamped at the calendar's ends, never raising)."""
        return self.shift(day, -1)

    def shift(self, day: dt.date, sign: int) -> dt.date:
        """``day`` moved by this duration forward (``sign`` 1) or back (-1); months and years keep the
        day of the month where the month has it, else its last day."""
        if self.unit in ("d", "w"):
            return add_days(day, sign * self.count * (7 if self.unit == "w" else 1))
        return add_months(day, sign * self.count * (12 if self.unit == "y" else 1))

    def __str__(self) -> str:
        return f"{self.count}{self.unit}" + (f"..{self.maximum}" if self.maximum else "")


class Repeat(NamedTuple):
    """How a recurring commitment repeats: ``1w`` or ``+1w`` (strictly from its previous
    ``due``, as Org's ``+1w``) or ``.+1w`` (from the day it was done, as Org's ``.+1w``)."""

    interval: Duration
    from_done: bool

    def next_due(self, due: dt.date | None, done: dt.date) -> dt.date:
        """The next occurrence after one done on ``done`` (``due``: the occurrence completed)."""
        if self.from_done or due is None:
            return self.interval.after(done)
        return self.interval.after(due)

    def __str__(self) -> str:
        return (".+" if self.from_done else "") + str(self.interval)


def parse_date(text: str) -> dt.date | None:
    """A real calendar date from ``YYYY-MM-DD``, else None."""
    match = _DATE_RE.match(text.strip())
    if not match:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None
