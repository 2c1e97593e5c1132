"""format_time writes a moment with the offset its zone has at that moment; zone_named refuses
what is not an IANA name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from goodword.core.clock import format_time, zone_named

NEW_YORK = zone_named("America/New_York")


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # the last standard-time instant before clocks spring forward, and the first after
        (datetime(2026, 3, 8, 6, 59, 59, 999_000, UTC), "2026-03-08T01:59:59.999-05:00"),
        (datetime(2026, 3, 8, 7, 0, 0, tzinfo=UTC), "2026-03-08T03:00:00.000-04:00"),
        # the repeated hour in autumn: the same wall time, told apart by its offset
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), "2026-11-01T01:30:00.000-04:00"),
        (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), "2026-11-01T01:30:00.000-05:00"),
    ],
)
def test_a_moment_carries_the_offset_of_its_zone_at_that_moment(moment, expected):
    assert format_time(moment, NEW_YORK) == expected


def test_utc_is_the_default_and_microseconds_are_cut_to_milliseconds():
    moment = datetime(2026, 7, 7, 18, 0, 0, 123_456, UTC)

    assert format_time(moment) == "2026-07-07T18:00:00.123+00:00"
    assert format_time(moment, zone_named("UTC")) == "2026-07-07T18:00:00.123+00:00"
    assert format_time(None, NEW_YORK) is None


def test_a_moment_given_in_another_offset_is_the_same_moment():
    moment = datetime(2026, 7, 7, 11, 6, 14, tzinfo=timezone(timedelta(hours=-7)))

    assert format_time(moment, zone_named("Asia/Kolkata")) == "2026-07-07T23:36:14.000+05:30"


@pytest.mark.parametrize(
    "name", ["", "Mars/Olympus", "EST5EDT ", "/etc/localtime", "../etc/passwd", "America/"]
)
def test_a_name_that_is_no_known_zone_is_refused(name):
    with pytest.raises(ValueError, match="unknown time zone"):
        zone_named(name)
