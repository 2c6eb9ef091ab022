"""Business-hours arithmetic: open or not, and when a clock that runs only while open is due."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from kefu.routing.calendar import (
    Schedule,
    add_open_seconds,
    is_open,
    parse_hours,
)

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS = {str(day): [["09:00", "17:00"]] for day in range(5)}


def schedule(
    hours: dict[str, list[list[str]]], holidays: frozenset[date] = frozenset()
) -> Schedule:
    return Schedule(zone=NEW_YORK, spans=parse_hours(hours), holidays=holidays)


def test_no_calendar_is_plain_addition() -> None:
    start = datetime(2026, 3, 7, 23, 0, tzinfo=NEW_YORK)
    assert add_open_seconds(None, start, 3600) == start + timedelta(hours=1)
    assert is_open(None, start)


def test_a_clock_started_at_night_runs_from_the_next_opening() -> None:
    office = schedule(WEEKDAYS)
    friday_evening = datetime(2026, 12, 4, 16, 30, tzinfo=NEW_YORK)
    assert add_open_seconds(office, friday_evening, 3600) == datetime(
        2026, 12, 7, 9, 30, tzinfo=NEW_YORK
    )
    assert not is_open(office, datetime(2026, 12, 5, 12, 0, tzinfo=NEW_YORK))
    assert is_open(office, datetime(2026, 12, 7, 9, 0, tzinfo=NEW_YORK))


def test_daylight_saving_changes_do_not_shift_local_opening_hours() -> None:
    office = schedule(WEEKDAYS)
    # Clocks go forward on Sunday 8 March 2026; Friday 16:00 + 2 open hours is Monday 10:00 local.
    due = add_open_seconds(office, datetime(2026, 3, 6, 16, 0, tzinfo=NEW_YORK), 7200)
    assert due == datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK)
    assert due is not None and due.utcoffset() == timedelta(hours=-4)


def test_holidays_and_midnight_spans() -> None:
    nights = schedule(
        {"0": [["22:00", "24:00"]], "1": [["00:00", "02:00"]]}, frozenset({date(2026, 12, 15)})
    )
    monday = datetime(2026, 12, 7, 21, 0, tzinfo=NEW_YORK)
    assert add_open_seconds(nights, monday, 3 * 3600) == datetime(
        2026, 12, 8, 1, 0, tzinfo=NEW_YORK
    )
    # The next Monday night is open, Tuesday the 15th is a holiday.
    start = datetime(2026, 12, 14, 23, 0, tzinfo=NEW_YORK)
    assert add_open_seconds(nights, start, 2 * 3600) == datetime(
        2026, 12, 21, 23, 0, tzinfo=NEW_YORK
    )


def test_a_calendar_that_is_never_open_gives_no_due_time() -> None:
    assert add_open_seconds(schedule({}), datetime(2026, 1, 1, tzinfo=NEW_YORK), 60) is None


@pytest.mark.parametrize(
    "hours",
    [
        {"0": [["18:00", "09:00"]]},
        {"0": [["9am", "5pm"]]},
        {"0": "09:00-17:00"},
        [],
        {"0": [["09:00"]]},
    ],
)
def test_bad_hours_are_refused(hours: object) -> None:
    with pytest.raises(ValidationError):
        parse_hours(hours)


def test_parse_hours_sorts_spans() -> None:
    assert parse_hours({"0": [["13:00", "18:00"], ["09:00", "12:00"]]})[0] == (
        (time(9), time(12)),
        (time(13), time(18)),
    )
