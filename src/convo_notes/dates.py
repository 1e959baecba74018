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
"""

from __future__ import annotations

import datetime as dt

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2999, 12, 31)
MAX_DURATION_YEARS = 100
# The longest duration in each unit: 100 years, written in days, weeks, months or years.
MAX_DURATION = {"d": 36_500, "w": 5_200, "m": 12 * MAX_DURATION_YEARS, "y": MAX_DURATION_YEARS}
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
