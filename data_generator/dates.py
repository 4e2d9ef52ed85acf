"""Calendar helpers: months touched by a range, and the days of a month inside it."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def month_end(month: date) -> date:
    return date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> list[date]:
    """First day of every calendar month touched by [start, end], inclusive."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    first, last = month_start(start), month_start(end)
    months = []
    while first <= last:
        months.append(first)
        first = add_months(first, 1)
    return months


def days_in(month: date, start: date | None = None, end: date | None = None) -> list[date]:
    """Days of `month` that fall inside [start, end] (either bound may be open)."""
    lo = max(month, start) if start else month
    hi = min(month_end(month), end) if end else month_end(month)
    return [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]


def months_ending(end: date, count: int) -> list[date]:
    """First day of each of the `count` calendar months that end with `end`'s month, oldest first:
    the window `--months` names, for the generator, `shopping-pipeline run`, the bench and the soak."""
    if count < 1:
        raise ValueError(f"a window of {count} months")
    return months_between(add_months(month_start(end), 1 - count), end)
