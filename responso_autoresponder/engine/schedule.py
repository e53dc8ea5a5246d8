"""Time arithmetic for conditions and sends: local time in a named timezone (DST-safe), windows, delays."""

from datetime import timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60


class UnknownTimezone(ValueError):
    """A timezone name that the tz database does not know."""


def check_timezone(name):
    """Return the ZoneInfo for `name`, or raise UnknownTimezone."""
    if not name or not isinstance(name, str):
        raise UnknownTimezone(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownTimezone(name) from exc


def local_time(moment, tz_name):
    """`moment` (aware) seen on a wall clock in `tz_name`; the tz database handles DST."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(check_timezone(tz_name))


def minute_of_day(local_moment):
    return local_moment.hour * 60 + local_moment.minute


def in_window(minute, start, end):
    """Whether `minute` of the day lies in [start, end); a window with start > end crosses midnight."""
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def format_minutes(minutes):
    return "%02d:%02d" % divmod(int(minutes), 60)


def format_window(start, end):
    return f"{format_minutes(start)}–{format_minutes(end)}"


def send_time(received_at, now, delay_minutes):
    """When a reply is due: `delay_minutes` after the buyer's message, never in the past."""
    due = received_at + timedelta(minutes=max(delay_minutes, 0))
    return max(due, now)


def utc(moment):
    """Aware UTC datetime; naive input is taken as UTC (as Odoo stores datetimes)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)

