"""Time handling: timezones, DST changes, send times."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from responso_autoresponder.engine import Condition, MessageFacts, Reason, UnknownTimezone, check_timezone, local_time
from responso_autoresponder.engine.conditions import check
from responso_autoresponder.engine.schedule import format_window, send_time, utc

UTC = timezone.utc


def at_utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# ---------------------------------------------------------------- timezones


def test_check_timezone_returns_the_zone():
    assert check_timezone("Europe/Warsaw") == ZoneInfo("Europe/Warsaw")


@pytest.mark.parametrize("name", ["Mars/Olympus", "", None])
def test_check_timezone_refuses_unknown_names(name):
    with pytest.raises(UnknownTimezone):
        check_timezone(name)


def test_unknown_timezone_is_a_value_error():
    assert issubclass(UnknownTimezone, ValueError)
    with pytest.raises(UnknownTimezone):
        local_time(at_utc("2026-06-16 10:00"), "Mars/Olympus")


def test_local_time_refuses_naive_moment():
    with pytest.raises(ValueError):
        local_time(datetime(2026, 6, 16, 10, 0), "Europe/Warsaw")


def test_same_instant_is_saturday_in_tokyo_and_friday_in_los_angeles():
    instant = at_utc("2026-05-15 20:00")  # a Friday in UTC
    tokyo, los_angeles = local_time(instant, "Asia/Tokyo"), local_time(instant, "America/Los_Angeles")
    assert (tokyo.weekday(), tokyo.hour) == (5, 5)           # Saturday 05:00
    assert (los_angeles.weekday(), los_angeles.hour) == (4, 13)  # Friday 13:00

    weekend = Condition("weekday", "in", frozenset({5, 6}))
    message = MessageFacts(message_id=1, received_at=instant)
    assert check(weekend, message, tokyo, "Asia/Tokyo") is None
    reason = check(weekend, message, los_angeles, "America/Los_Angeles")
    assert reason == Reason("weekday_not_in", {"actual": "Friday", "expected": ["Saturday", "Sunday"],
                                               "tz": "America/Los_Angeles"})


# ---------------------------------------------------------------- DST

H = 60


@pytest.mark.parametrize("tz, instant, local, window, inside", [
    # Europe/Warsaw, 2026-03-29: 02:00 CET -> 03:00 CEST at 01:00 UTC; 02:00-03:00 local does not exist.
    ("Europe/Warsaw", "2026-03-29 00:59", "01:59", (2 * H, 3 * H), False),
    ("Europe/Warsaw", "2026-03-29 01:00", "03:00", (2 * H, 3 * H), False),
    ("Europe/Warsaw", "2026-03-29 01:00", "03:00", (3 * H, 4 * H), True),
    ("Europe/Warsaw", "2026-03-28 08:00", "09:00", (10 * H, 18 * H), False),  # still UTC+1
    ("Europe/Warsaw", "2026-03-29 08:00", "10:00", (10 * H, 18 * H), True),   # now UTC+2
    # Europe/Warsaw, 2026-10-25: 03:00 CEST -> 02:00 CET at 01:00 UTC; 02:00-03:00 local happens twice.
    ("Europe/Warsaw", "2026-10-25 00:30", "02:30", (2 * H, 3 * H), True),
    ("Europe/Warsaw", "2026-10-25 01:30", "02:30", (2 * H, 3 * H), True),
    ("Europe/Warsaw", "2026-10-25 02:00", "03:00", (2 * H, 3 * H), False),
    ("Europe/Warsaw", "2026-10-25 08:30", "09:30", (10 * H, 18 * H), False),  # would be 10:30 in summer time
    # America/New_York, 2026-03-08: 02:00 EST -> 03:00 EDT at 07:00 UTC.
    ("America/New_York", "2026-03-08 12:59", "08:59", (9 * H, 17 * H), False),
    ("America/New_York", "2026-03-08 13:00", "09:00", (9 * H, 17 * H), True),
    # America/New_York, 2026-11-01: 02:00 EDT -> 01:00 EST at 06:00 UTC; 01:00-02:00 local happens twice.
    ("America/New_York", "2026-11-01 05:30", "01:30", (1 * H, 2 * H), True),
    ("America/New_York", "2026-11-01 06:30", "01:30", (1 * H, 2 * H), True),
    ("America/New_York", "2026-11-01 13:30", "08:30", (9 * H, 17 * H), False),  # would be 09:30 in EDT
    ("America/New_York", "2026-11-01 22:00", "17:00", (17 * H, 9 * H), True),
])
def test_window_across_dst_changes(tz, instant, local, window, inside):
    received = at_utc(instant)
    moment = local_time(received, tz)
    assert moment.strftime("%H:%M") == local
    condition = Condition("time_window", "in", start_minute=window[0], end_minute=window[1])
    reason = check(condition, MessageFacts(message_id=1, received_at=received), moment, tz)
    assert (reason is None) is inside
    if not inside:
        assert reason.params == {"actual": local, "expected": format_window(*window), "tz": tz}


# ---------------------------------------------------------------- send times and UTC


@pytest.mark.parametrize("received, now, delay, expected", [
    ("2026-06-16 10:00", "2026-06-16 10:00", 0, "2026-06-16 10:00"),
    ("2026-06-16 10:00", "2026-06-16 10:01", 5, "2026-06-16 10:05"),
    ("2026-06-16 10:00", "2026-06-16 10:30", 5, "2026-06-16 10:30"),   # never in the past
    ("2026-06-16 10:00", "2026-06-16 10:00", -5, "2026-06-16 10:00"),  # a negative delay counts as none
    ("2026-03-29 00:30", "2026-03-29 00:30", 60, "2026-03-29 01:30"),  # elapsed time, not wall clock, over DST
])
def test_send_time(received, now, delay, expected):
    assert send_time(at_utc(received), at_utc(now), delay) == at_utc(expected)


def test_utc_takes_naive_as_utc_and_converts_aware():
    assert utc(datetime(2026, 6, 16, 10, 0)) == at_utc("2026-06-16 10:00")
    assert utc(datetime(2026, 6, 16, 10, 0)).tzinfo is UTC
    warsaw = datetime(2026, 6, 16, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    assert utc(warsaw).replace(tzinfo=None) == datetime(2026, 6, 16, 10, 0)
    assert utc(warsaw) - utc(warsaw - timedelta(hours=1)) == timedelta(hours=1)
