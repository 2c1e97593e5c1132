"""Metrics date ranges and period segments (pure)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from goodword.core.errors import ValidationFailed
from goodword.metrics.periods import MAX_DAYS, PERIOD_ERROR, PERIODS, date_range, segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/15/2024", date(2024, 1, 15)),
        ("2024-01-15", date(2024, 1, 15)),
        (" 2/5/2026 ", date(2026, 2, 5)),
    ],
)
def test_dates_are_read_in_talkable_and_iso_forms(text, expected):
    assert date_range(start=text, end=text).start == expected


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (None, "1/1/2024", "`start_date` is required"),
        ("1/1/2024", "", "`end_date` is required"),
        ("13/1/2024", "1/1/2024", "`start_date` must be a date, as 1/15/2024 or 2024-01-15"),
        ("2024-02-30", "2024-03-01", "`start_date` must be a date, as 1/15/2024 or 2024-01-15"),
        ("yesterday", "1/1/2024", "`start_date` must be a date, as 1/15/2024 or 2024-01-15"),
        ("2/1/2024", "1/1/2024", "`end_date` must not be before `start_date`"),
        ("1/1/2000", "1/1/2024", f"The date range must be at most {MAX_DAYS} days long"),
    ],
)
def test_bad_ranges_are_refused_naming_the_parameter(start, end, message):
    with pytest.raises(ValidationFailed) as caught:
        date_range(start=start, end=end)
    assert caught.value.message == message


def test_month_segments_are_clipped_to_the_range_and_labelled_as_talkable_does():
    # given the contract's example range, segmented by month
    span = date_range(start="6/7/2026", end="7/7/2026")

    # then two segments, cut at the month boundary
    assert [s.label for s in segments(span, "month")] == ["6/7/26 - 6/30/26", "7/1/26 - 7/7/26"]


def test_weeks_start_on_monday_and_quarters_on_their_first_month():
    span = date_range(start="2026-07-01", end="2026-07-14")  # a Wednesday to a Tuesday
    assert [s.label for s in segments(span, "week")] == [
        "7/1/26 - 7/5/26",
        "7/6/26 - 7/12/26",
        "7/13/26 - 7/14/26",
    ]
    span = date_range(start="2026-02-10", end="2026-10-01")
    assert [s.label for s in segments(span, "quarter")] == [
        "2/10/26 - 3/31/26",
        "4/1/26 - 6/30/26",
        "7/1/26 - 9/30/26",
        "10/1/26 - 10/1/26",
    ]


def test_an_unknown_period_is_refused_in_the_contract_words():
    with pytest.raises(ValidationFailed) as caught:
        segments(date_range(start="1/1/2026", end="1/2/2026"), "fortnight")
    assert caught.value.message == PERIOD_ERROR


@given(
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)),
    length=st.integers(min_value=0, max_value=800),
    period=st.sampled_from(PERIODS),
)
def test_segments_cover_every_day_of_the_range_once_in_order(start, length, period):
    # given any range and period
    span = date_range(start=start.isoformat(), end=(start + timedelta(days=length)).isoformat())

    # when it is segmented
    cuts = segments(span, period)

    # then the segments tile the range: first day to last, no gap, no overlap
    assert cuts[0].start == span.start and cuts[-1].end == span.end
    for before, after in itertools.pairwise(cuts):
        assert after.start == before.end + timedelta(days=1)
    assert all(c.start <= c.end for c in cuts)
