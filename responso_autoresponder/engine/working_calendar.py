"""Working time of a calendar, in plain Python: attendances on the wall clock minus time off.

The same arithmetic as Odoo's ``resource.calendar`` for a calendar without a resource (``_work_intervals_batch``,
``plan_hours(compute_leaves=True)``): attendance lines of the calendar (or of its two alternating weeks), each
valid between its optional dates, laid on the local days of a timezone; overlapping lines merge; time off
(global leaves) is cut out. The Odoo layer reads a calendar once into a ``WorkingCalendar`` kept in the registry
cache, so that a buyer message computes working time and answer deadlines without a query. An Odoo test checks
that both give the same intervals and deadlines.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from .schedule import check_timezone

PLAN_WINDOW = timedelta(days=14)  # as plan_hours: look ahead 14 days at a time, 100 times at most
PLAN_WINDOWS = 100
DAY_CACHE_SIZE = 4096  # days × timezones kept per calendar (a calendar is replaced whenever it changes)


@dataclass(frozen=True)
class Attendance:
    """One attendance line: `weekday` 0 (Monday) to 6, hours as floats (17.5 = 17:30; 24 = end of day).
    `week_type` 0 / 1 for a two-week calendar's line (None otherwise); optional first and last valid date."""

    weekday: int
    hour_from: float
    hour_to: float
    week_type: int = None
    date_from: date = None
    date_to: date = None


def hour_to_time(hours):
    """Odoo's float_to_time: 24.0 is the end of the day, minutes rounded half up."""
    if hours >= 24.0:
        return time.max
    whole = int(hours)
    minutes = int((hours - whole) * 60 + 0.5)
    if minutes == 60:
        return time.max if whole == 23 else time(whole + 1, 0)
    return time(whole, minutes)


def week_type(day):
    """Odoo's week parity of a date (resource.calendar.attendance.get_week_type)."""
    return ((day.toordinal() - 1) // 7) % 2


def localize(naive, zone):
    """A wall-clock time in `zone` as pytz's localize(is_dst=False) reads it: at a DST change, the standard
    time's offset (the hour that does not exist, or the second of the two that repeat)."""
    moment = naive.replace(tzinfo=zone)
    if moment.dst():
        other = moment.replace(fold=1 - moment.fold)
        if not other.dst():
            return other
    return moment


def merge(intervals):
    """Union of (start, stop) pairs, sorted; touching ones merge (as Odoo's Intervals)."""
    merged = []
    for start, stop in sorted(interval for interval in intervals if interval[0] < interval[1]):
        if merged and start <= merged[-1][1]:
            if stop > merged[-1][1]:
                merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((start, stop))
    return merged


def subtract(intervals, holes):
    """`intervals` minus `holes`, both merged and sorted."""
    result = []
    for start, stop in intervals:
        for hole_start, hole_stop in holes:
            if hole_stop <= start or hole_start >= stop:
                continue
            if hole_start > start:
                result.append((start, hole_start))
            start = max(start, hole_stop)
            if start >= stop:
                break
        if start < stop:
            result.append((start, stop))
    return result


class WorkingCalendar:
    """Immutable working time of one calendar: `tz` its timezone name, `attendances` its lines, `leaves` its time
    off as (start, stop) aware datetimes, `two_weeks` whether lines alternate by week parity."""

    def __init__(self, tz, attendances, leaves=(), two_weeks=False):
        self.tz = tz
        self.attendances = tuple(attendances)
        self.two_weeks = two_weeks
        self.leaves = tuple(merge((start.astimezone(timezone.utc), stop.astimezone(timezone.utc))
                                  for start, stop in leaves))
        self._by_weekday = {}
        self._days = {}  # (date, tz) -> the day's working intervals in UTC, before time off: computed once
        for line in self.attendances:
            self._by_weekday.setdefault(line.weekday, []).append(line)

    def _lines(self, day):
        lines = self._by_weekday.get(day.weekday(), ())
        parity = week_type(day) if self.two_weeks else None
        return [line for line in lines
                if (parity is None or line.week_type == parity)
                and not (line.date_from and day < line.date_from) and not (line.date_to and line.date_to < day)]

    def intervals(self, start, stop, tz=None):
        """Working intervals (aware UTC pairs) between the aware datetimes `start` and `stop`, the attendances
        read on the wall clock of `tz` (default: the calendar's), time off excluded."""
        zone = check_timezone(tz or self.tz or "UTC")
        start, stop = start.astimezone(timezone.utc), stop.astimezone(timezone.utc)
        if start >= stop:
            return []
        day, last = start.astimezone(zone).date(), stop.astimezone(zone).date()
        found = []
        while day <= last:
            found.extend((max(begin, start), min(end, stop)) for begin, end in self._day(day, zone))
            day += timedelta(days=1)
        return subtract(merge(found), [leave for leave in self.leaves if leave[1] > start and leave[0] < stop])

    def _day(self, day, zone):
        """The working intervals (UTC) of the local `day` in `zone`, before time off: every buyer message plans
        its deadline over the same few weeks, so each day is laid on the clock once (a read-only cache: a race
        only computes a day twice)."""
        key = (day, zone)
        intervals = self._days.get(key)
        if intervals is None:
            intervals = tuple(
                (localize(datetime.combine(day, hour_to_time(line.hour_from)), zone).astimezone(timezone.utc),
                 localize(datetime.combine(day, hour_to_time(line.hour_to)), zone).astimezone(timezone.utc))
                for line in self._lines(day))
            if len(self._days) >= DAY_CACHE_SIZE:
                self._days.clear()
            self._days[key] = intervals
        return intervals

    def is_working(self, moment, tz=None):
        """Whether the aware datetime `moment` is working time (read in `tz`, default the calendar's)."""
        return any(begin <= moment < end for begin, end in self.intervals(
            moment - timedelta(hours=1), moment + timedelta(hours=1), tz))

    def plan_hours(self, hours, start):
        """The moment (aware UTC) when `hours` working hours after the aware `start` are spent, or None when the
        calendar has none within 1,400 days (as plan_hours gives up). Walked day by day (each day laid on the
        clock once, ``_day``): a deadline a day or two ahead reads those days only, not plan_hours' 14-day window;
        the sums are the same, the cut at midnight changing no total."""
        zone = check_timezone(self.tz or "UTC")
        start = start.astimezone(timezone.utc)
        limit = start + PLAN_WINDOW * PLAN_WINDOWS
        remaining = hours
        day, last = start.astimezone(zone).date(), limit.astimezone(zone).date()
        while day <= last:
            found = [(max(begin, start), min(end, limit)) for begin, end in self._day(day, zone)
                     if end > start and begin < limit]
            day += timedelta(days=1)
            if not found:
                continue
            found = merge(found)
            holes = [leave for leave in self.leaves if leave[1] > found[0][0] and leave[0] < found[-1][1]]
            for interval_start, interval_stop in subtract(found, holes):
                length = (interval_stop - interval_start).total_seconds() / 3600
                if remaining <= length:
                    return interval_start + timedelta(hours=remaining)
                remaining -= length
        return None
