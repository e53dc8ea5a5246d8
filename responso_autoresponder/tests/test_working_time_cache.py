import random
from datetime import date, datetime, timedelta

import pytz

from odoo import Command
from odoo.tests import tagged

from .common import ResponsoCase, warsaw

ZONES = ("Europe/Warsaw", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC")
HOURS = (0.0, 6.5, 7.0, 8.0, 8.25, 12.0, 13.0, 15.75, 16.0, 17.0, 20.0, 23.5, 24.0)


@tagged("post_install", "-at_install")
class TestWorkingTimeCache(ResponsoCase):
    """The registry-cached working time (engine/working_calendar.py) gives what resource.calendar gives, and sees
    every change of what it is made of."""

    def _random_calendar(self, rng, index):
        """Up to two periods a day (they may not overlap, as resource.calendar requires), lunch lines, lines of
        one week type, and dated lines (which may overlap the others)."""
        two_weeks = rng.random() < 0.3
        lines = []
        for week in ("0", "1") if two_weeks else (False,):
            for day in range(7):
                if rng.random() < 0.3:
                    continue
                bounds = sorted(rng.sample(HOURS, rng.choice((2, 4))))
                for start, stop in zip(bounds[0::2], bounds[1::2], strict=True):
                    lines.append({"name": "Line", "dayofweek": str(day), "hour_from": start, "hour_to": stop,
                                  "day_period": rng.choice(("morning", "afternoon", "afternoon", "lunch")),
                                  "week_type": week})
        for _dated in range(rng.randint(0, 3)):
            start, stop = sorted(rng.sample(HOURS, 2))
            lines.append({"name": "Dated", "dayofweek": str(rng.randint(0, 6)), "hour_from": start,
                          "hour_to": stop, "day_period": "morning", "week_type": rng.choice(("0", "1")),
                          "date_from": date(2026, rng.randint(1, 12), 1), "date_to": date(2026, 12, 31)})
        lines = [Command.create(values) for values in lines]
        calendar = self.env["resource.calendar"].create({
            "name": f"Random {index}", "tz": rng.choice(ZONES), "two_weeks_calendar": two_weeks,
            "attendance_ids": [Command.clear(), *lines]})
        leaves = []
        for _leave in range(rng.randint(0, 6)):
            start = datetime(2026, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23))
            leaves.append({"name": "Time off", "calendar_id": rng.choice((calendar.id, False)),
                           "date_from": start, "date_to": start + timedelta(hours=rng.choice((3, 24, 72, 200)))})
        self.env["resource.calendar.leaves"].create(leaves)
        return calendar

    def test_same_as_resource_calendar(self):
        rng = random.Random(20261201)
        Calendar = self.env["resource.calendar"]
        for index in range(25):
            calendar = self._random_calendar(rng, index)
            cached = Calendar._responso_working_calendar(calendar.id)
            for _case in range(12):
                start = pytz.utc.localize(datetime(2026, rng.randint(1, 12), rng.randint(1, 28),
                                                   rng.randint(0, 23), rng.choice((0, 15, 30, 59))))
                hours = rng.choice((0.5, 1.0, 8.0, 24.0, 40.0, 100.0))
                expected = calendar.plan_hours(hours, start, compute_leaves=True)
                got = cached.plan_hours(hours, start)
                self.assertEqual(got and got.astimezone(pytz.utc), expected and expected.astimezone(pytz.utc),
                                 f"plan_hours({hours}, {start}) on {calendar.name}")
                tz = rng.choice(ZONES)
                expected = calendar._work_intervals_batch(start, start + timedelta(days=9),
                                                          tz=pytz.timezone(tz))[False]
                self.assertEqual(sum(((stop - begin) for begin, stop, _meta in expected), timedelta()),
                                 sum(((stop - begin) for begin, stop in cached.intervals(
                                     start, start + timedelta(days=9), tz)), timedelta()),
                                 f"working time from {start} in {tz} on {calendar.name}")
                for moment in (start + timedelta(minutes=rng.randint(0, 9 * 24 * 60)) for _ in range(5)):
                    inside = any(begin <= moment < stop for begin, stop, _meta in expected)
                    self.assertEqual(cached.is_working(moment, tz), inside, f"{moment} in {tz} on {calendar.name}")

    def _deadline(self, subject, at):
        conversation = self._conversation(self.acc_allegro, self.src_messages, self.buyer, subject)
        self._post_buyer(conversation, at=at)
        return conversation.responso_deadline

    def test_changes_are_seen_by_the_next_message(self):
        calendar = self.env["resource.calendar"].create({"name": "Shop hours", "tz": "Europe/Warsaw"})
        self.acc_allegro.responso_clock_calendar_id = calendar
        friday = warsaw(2026, 12, 4, 16, 0)
        self.assertEqual(self._deadline("Before", friday), warsaw(2026, 12, 9, 16, 0))
        # a public holiday on Monday
        self.env["resource.calendar.leaves"].create({
            "name": "Holiday", "calendar_id": calendar.id,
            "date_from": warsaw(2026, 12, 7, 0, 0), "date_to": warsaw(2026, 12, 7, 23, 59)})
        self.assertEqual(self._deadline("Holiday", friday), warsaw(2026, 12, 10, 16, 0))
        # an employee's own time off is not the shop's
        resource = self.env["resource.resource"].create({"name": "Adam", "calendar_id": calendar.id})
        self.env["resource.calendar.leaves"].create({
            "name": "Adam away", "calendar_id": calendar.id, "resource_id": resource.id,
            "date_from": warsaw(2026, 12, 8, 0, 0), "date_to": warsaw(2026, 12, 8, 23, 59)})
        self.assertEqual(self._deadline("Employee leave", friday), warsaw(2026, 12, 10, 16, 0))
        # Friday afternoons off: the clock starts on Monday... which is the holiday
        calendar.attendance_ids.filtered(lambda line: line.dayofweek == "4" and line.hour_from >= 12).unlink()
        self.assertEqual(self._deadline("No Friday afternoon", friday), warsaw(2026, 12, 10, 17, 0))
        # the account's response time
        self.acc_allegro.responso_response_hours = 8.0
        self.assertEqual(self._deadline("8 hours", friday), warsaw(2026, 12, 8, 17, 0))
        # the calendar's timezone
        calendar.tz = "UTC"
        self.assertEqual(self._deadline("UTC", friday), warsaw(2026, 12, 8, 18, 0))
        # no calendar of its own: the company's autoresponder working hours
        self.acc_allegro.responso_clock_calendar_id = False
        self.company.responso_calendar_id = calendar
        self.assertEqual(self._deadline("Company hours", friday), warsaw(2026, 12, 8, 18, 0))
        # Amazon: 24 hours around the clock whatever the calendar
        self.acc_allegro.integration_id = self.int_amazon
        self.assertEqual(self._deadline("Amazon", friday), warsaw(2026, 12, 5, 16, 0))

    def test_working_hours_condition_reads_the_cache(self):
        calendar = self.env["resource.calendar"].create({"name": "Shop hours", "tz": "Europe/Warsaw"})
        self._workflow("Out of hours", conditions=[
            {"kind": "trigger", "trigger": "each_message"},
            {"kind": "working_hours", "range_operator": "not_in", "calendar_id": calendar.id}])
        tuesday_evening = warsaw(2026, 12, 8, 19, 0)
        self.assertTrue(self._answering(self._post_buyer(self.conv_allegro, at=tuesday_evening)))
        calendar.attendance_ids.filtered(lambda line: line.dayofweek == "1").hour_to = 20.0
        self.assertFalse(self._answering(self._post_buyer(self.conv_allegro, at=tuesday_evening)),
                         "the longer Tuesday is seen at once")
