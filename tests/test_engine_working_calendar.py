from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from responso_autoresponder.engine.working_calendar import (
    Attendance,
    WorkingCalendar,
    hour_to_time,
    localize,
    merge,
    subtract,
    week_type,
)

WARSAW = ZoneInfo("Europe/Warsaw")
UTC = timezone.utc


def warsaw(*args):
    return datetime(*args, tzinfo=WARSAW).astimezone(UTC)


def office(**kwargs):
    """Monday to Friday, 8-12 and 13-17 in Warsaw."""
    lines = [Attendance(day, start, stop) for day in range(5) for start, stop in ((8, 12), (13, 17))]
    return WorkingCalendar("Europe/Warsaw", lines, **kwargs)


def test_hours_as_wall_clock_times():
    assert hour_to_time(8.5) == time(8, 30)
    assert hour_to_time(17.25) == time(17, 15)
    assert hour_to_time(24.0) == time.max
    assert hour_to_time(23.999) == time.max


def test_week_parity_alternates_across_new_year():
    assert week_type(date(2026, 12, 28)) != week_type(date(2027, 1, 4))
    assert week_type(date(2026, 12, 28)) == week_type(date(2026, 12, 31))


def test_merge_and_subtract():
    assert merge([(5, 7), (1, 3), (3, 4), (6, 9), (10, 10)]) == [(1, 4), (5, 9)]
    assert subtract([(1, 4), (5, 9)], [(2, 3), (6, 12)]) == [(1, 2), (3, 4), (5, 6)]
    assert subtract([(1, 4)], [(0, 5)]) == []


def test_intervals_of_a_day_in_utc():
    assert office().intervals(warsaw(2026, 12, 1, 0, 0), warsaw(2026, 12, 2, 0, 0)) == [
        (warsaw(2026, 12, 1, 8, 0), warsaw(2026, 12, 1, 12, 0)),
        (warsaw(2026, 12, 1, 13, 0), warsaw(2026, 12, 1, 17, 0))]


def test_plan_hours_skips_the_weekend_and_time_off():
    calendar = office()
    friday = warsaw(2026, 12, 4, 16, 0)
    assert calendar.plan_hours(24, friday) == warsaw(2026, 12, 9, 16, 0)
    holiday = office(leaves=[(warsaw(2026, 12, 7, 0, 0), warsaw(2026, 12, 7, 23, 59))])
    assert holiday.plan_hours(24, friday) == warsaw(2026, 12, 10, 16, 0)
    assert calendar.plan_hours(1, friday) == warsaw(2026, 12, 4, 17, 0), "an interval's end is reachable"


def test_overlapping_lines_count_once():
    calendar = WorkingCalendar("UTC", [Attendance(0, 8, 12), Attendance(0, 10, 14)])
    monday = datetime(2026, 11, 30, tzinfo=UTC)
    assert calendar.intervals(monday, monday + timedelta(days=1)) == [
        (monday + timedelta(hours=8), monday + timedelta(hours=14))]


def test_two_week_calendar_and_dated_lines():
    monday = datetime(2026, 11, 30, tzinfo=UTC)
    parity = week_type(monday.date())
    calendar = WorkingCalendar("UTC", [Attendance(0, 8, 16, week_type=parity),
                                       Attendance(1, 8, 16, week_type=1 - parity)], two_weeks=True)
    worked = calendar.intervals(monday, monday + timedelta(days=14))
    assert [start.date() for start, _stop in worked] == [date(2026, 11, 30), date(2026, 12, 8)]
    dated = WorkingCalendar("UTC", [Attendance(0, 8, 16, date_from=date(2026, 12, 7))])
    assert [start.date() for start, _stop in dated.intervals(monday, monday + timedelta(days=14))] == [
        date(2026, 12, 7)]


def test_working_time_read_in_another_timezone():
    calendar = office()
    two_pm_in_new_york = datetime(2026, 12, 1, 14, 0, tzinfo=ZoneInfo("America/New_York"))
    assert calendar.is_working(two_pm_in_new_york, "America/New_York")
    assert not calendar.is_working(two_pm_in_new_york), "20:00 in Warsaw"
    assert not calendar.is_working(warsaw(2026, 12, 1, 12, 30)), "lunch"
    assert calendar.is_working(warsaw(2026, 12, 1, 13, 0))


def test_dst_changes_read_as_pytz_localize_without_dst():
    # 02:30 does not exist on 29 March 2026 in Warsaw, and 02:30 happens twice on 25 October 2026
    assert localize(datetime(2026, 3, 29, 2, 30), WARSAW).utcoffset() == timedelta(hours=1)
    assert localize(datetime(2026, 10, 25, 2, 30), WARSAW).utcoffset() == timedelta(hours=1)
    assert localize(datetime(2026, 7, 1, 9, 0), WARSAW).utcoffset() == timedelta(hours=2)


def test_a_calendar_without_hours_plans_nothing():
    assert WorkingCalendar("UTC", []).plan_hours(1, datetime(2026, 12, 1, tzinfo=UTC)) is None
