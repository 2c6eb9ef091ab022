"""Business hours: whether a calendar is open at an instant, and when a clock that only runs
while it is open reaches a number of seconds.

A calendar is read once into a :class:`Schedule` (its time zone, weekly opening spans and
holidays); the arithmetic walks day by day in the calendar's own time zone, so daylight-saving
changes and spans across midnight are handled by ``zoneinfo``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kefu.routing.models import BusinessCalendar

# A clock on a calendar that is never open would never reach its target: give up after this.
MAX_DAYS = 366 * 2


@dataclass(frozen=True)
class Schedule:
    """A calendar as the arithmetic needs it. ``spans[weekday]`` are (start, end) times."""

    zone: ZoneInfo
    spans: tuple[tuple[tuple[time, time], ...], ...]
    holidays: frozenset[date]

    def open_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The aware (start, end) instants the calendar is open on ``day`` (local date)."""
        if day in self.holidays:
            return []
        result = []
        for start, end in self.spans[day.weekday()]:
            begin = datetime.combine(day, start, self.zone)
            finish = (
                datetime.combine(day + timedelta(days=1), time(0), self.zone)
                if end == time(0)
                else datetime.combine(day, end, self.zone)
            )
            if finish > begin:
                result.append((begin, finish))
        return result


def parse_hours(hours: object) -> tuple[tuple[tuple[time, time], ...], ...]:
    """Read ``{"0": [["09:00", "18:00"]], ...}`` into seven tuples of spans.

    "24:00" or "00:00" as an end means midnight. Raises ValidationError naming the problem.
    """
    if not isinstance(hours, dict):
        raise ValidationError(_("Opening hours must map weekdays to lists of spans."))
    week: list[tuple[tuple[time, time], ...]] = []
    for weekday in range(7):
        spans = hours.get(str(weekday), [])
        if not isinstance(spans, list):
            raise ValidationError(_("Opening hours must map weekdays to lists of spans."))
        parsed = []
        for span in spans:
            if not (isinstance(span, list | tuple) and len(span) == 2):
                raise ValidationError(_("Each span is a start and an end, like 09:00-18:00."))
            start, end = (_parse_time(value) for value in span)
            if end != time(0) and end <= start:
                raise ValidationError(_("A span must end after it starts."))
            parsed.append((start, end))
        week.append(tuple(sorted(parsed)))
    return tuple(week)


def _parse_time(value: object) -> time:
    if value in ("24:00", "24:00:00"):
        return time(0)
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(_("Times are written like 09:00.")) from None


def schedule_of(calendar: BusinessCalendar) -> Schedule:
    """Read a calendar and its holidays. Raises ValidationError for a bad time zone or hours."""
    try:
        zone = ZoneInfo(calendar.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Unknown time zone.")) from None
    return Schedule(
        zone=zone,
        spans=parse_hours(calendar.hours),
        holidays=frozenset(calendar.holidays.values_list("date", flat=True)),
    )


def is_open(schedule: Schedule | None, at: datetime) -> bool:
    """Whether the calendar is open at ``at`` (no calendar: always)."""
    if schedule is None:
        return True
    local = at.astimezone(schedule.zone)
    for day in (local.date() - timedelta(days=1), local.date()):
        for begin, end in schedule.open_spans(day):
            if begin <= at < end:
                return True
    return False


def add_open_seconds(schedule: Schedule | None, start: datetime, seconds: int) -> datetime | None:
    """The instant the clock started at ``start`` has run ``seconds`` while open (no calendar:
    plain addition). None when the calendar is not open at all within two years."""
    if schedule is None:
        return start + timedelta(seconds=seconds)
    remaining = timedelta(seconds=seconds)
    day = start.astimezone(schedule.zone).date() - timedelta(days=1)
    for _offset in range(MAX_DAYS):
        for begin, end in schedule.open_spans(day):
            begin = max(begin, start)
            if end <= begin:
                continue
            if end - begin >= remaining:
                return begin + remaining
            remaining -= end - begin
        day += timedelta(days=1)
    return None
