"""Date ranges and their segments for the Metrics API: pure functions of dates.

A range is inclusive of both dates (Talkable's `start_date`/`end_date`) and read in UTC, the
zone every time is stored in. A segment is a calendar period (weeks start on Monday) clipped to
the range, labelled as Talkable labels it: `6/7/26 - 6/30/26`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from goodword.core.errors import ValidationFailed

PERIODS = ("day", "week", "month", "quarter", "year")
# Ten years of days: the widest range a request may ask for, which bounds its work.
MAX_DAYS = 3660
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
PERIOD_ERROR = (
    "Unsupported option for period segmentation. Supported options: day, week, month, quarter, year"
)


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # inclusive

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_before(self) -> datetime:
        """The first instant after the range."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)


@dataclass(frozen=True)
class Segment:
    start: date
    end: date  # inclusive

    @property
    def label(self) -> str:
        return f"{_short(self.start)} - {_short(self.end)}"


def _short(day: date) -> str:
    return f"{day.month}/{day.day}/{day.year % 100:02d}"


def parse_date(value: str | None, name: str) -> date:
    """`1/15/2024` (Talkable's example) or `2024-01-15`."""
    if value is None or not value.strip():
        raise ValidationFailed("invalid_date", f"`{name}` is required")
    text = value.strip()
    match = _US_DATE.match(text)
    try:
        if match:
            month, day, year = (int(g) for g in match.groups())
            return date(year, month, day)
        match = _ISO_DATE.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        pass
    raise ValidationFailed("invalid_date", f"`{name}` must be a date, as 1/15/2024 or 2024-01-15")


def date_range(*, start: str | None, end: str | None) -> DateRange:
    first = parse_date(start, "start_date")
    last = parse_date(end, "end_date")
    if last < first:
        raise ValidationFailed("invalid_date", "`end_date` must not be before `start_date`")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed(
            "invalid_date", f"The date range must be at most {MAX_DAYS} days long"
        )
    return DateRange(first, last)


def _period_start(day: date, period: str) -> date:
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def _next_start(start: date, period: str) -> date:
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def segments(span: DateRange, period: str) -> list[Segment]:
    """The range cut at calendar period boundaries, in order, covering every day once."""
    if period not in PERIODS:
        raise ValidationFailed("invalid_segment", PERIOD_ERROR)
    result = []
    start = span.start
    while start <= span.end:
        following = _next_start(_period_start(start, period), period)
        end = min(following - timedelta(days=1), span.end)
        result.append(Segment(start, end))
        start = end + timedelta(days=1)
    return result
