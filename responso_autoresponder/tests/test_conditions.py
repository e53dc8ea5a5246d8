from datetime import datetime

from odoo import Command
from odoo.tests import tagged

from .common import ResponsoCase, warsaw

# 2026-12-01 is a Tuesday, 2026-11-28 a Saturday, 2026-11-29 a Sunday
TUESDAY_NOON = warsaw(2026, 12, 1, 12, 0)


@tagged("post_install", "-at_install")
class TestConditions(ResponsoCase):
    """Every condition type and operator, through the real message path."""

    def _answers(self, workflow, conversation=None, at=TUESDAY_NOON, **kwargs):
        message = self._post_buyer(conversation or self.conv_allegro, at=at, **kwargs)
        return self._answering(message) == workflow

    def test_source(self):
        allegro = self.src_messages | self.src_discussions
        is_allegro = self._workflow(conditions=[{"kind": "source", "operator": "in",
                                                 "source_ids": [Command.set(allegro.ids)]}])
        self.assertTrue(self._answers(is_allegro))
        self.assertFalse(self._answers(is_allegro, self.conv_email))
        is_allegro.condition_ids.operator = "not_in"
        self.assertFalse(self._answers(is_allegro))
        self.assertTrue(self._answers(is_allegro, self.conv_email))

    def test_account(self):
        workflow = self._workflow(conditions=[{"kind": "account", "account_ids": [Command.set(self.acc_allegro.ids)]}])
        other = self._conversation(self.acc_allegro_2, self.src_messages, self.buyer, "Other account")
        self.assertTrue(self._answers(workflow))
        self.assertFalse(self._answers(workflow, other))
        message = self._post_buyer(other, at=TUESDAY_NOON)
        self.assertIn("Second Allegro is not one of Shop Allegro", self._decisions(message).reason)
        workflow.condition_ids.operator = "not_in"
        self.assertFalse(self._answers(workflow))
        self.assertTrue(self._answers(workflow, other))

    def test_integration(self):
        workflow = self._workflow(conditions=[{"kind": "integration",
                                               "integration_ids": [Command.set(self.int_amazon.ids)]}])
        self.assertTrue(self._answers(workflow, self.conv_amazon))
        self.assertFalse(self._answers(workflow, self.conv_allegro))
        workflow.condition_ids.operator = "not_in"
        self.assertFalse(self._answers(workflow, self.conv_amazon))
        self.assertTrue(self._answers(workflow, self.conv_allegro))

    def test_weekday(self):
        weekend = self.env["responso.weekday"].search([("number", "in", (5, 6))])
        workflow = self._workflow(conditions=[{"kind": "weekday", "weekday_ids": [Command.set(weekend.ids)]}])
        self.assertTrue(self._answers(workflow, at=warsaw(2026, 11, 28, 11, 0)))
        self.assertTrue(self._answers(workflow, at=warsaw(2026, 11, 29, 23, 59)))
        self.assertFalse(self._answers(workflow, at=warsaw(2026, 11, 30, 0, 0)))
        # Friday 23:30 in Warsaw is already Saturday in Tokyo: the workflow's timezone decides
        self.assertFalse(self._answers(workflow, at=warsaw(2026, 11, 27, 23, 30)))
        workflow.tz = "Asia/Tokyo"
        self.assertTrue(self._answers(workflow, at=warsaw(2026, 11, 27, 23, 30)))
        workflow.tz = "Europe/Warsaw"
        workflow.condition_ids.operator = "not_in"
        self.assertFalse(self._answers(workflow, at=warsaw(2026, 11, 28, 11, 0)))
        self.assertTrue(self._answers(workflow, at=TUESDAY_NOON))

    def test_time_window_across_midnight(self):
        workflow = self._workflow(conditions=[{"kind": "time_window", "range_operator": "in",
                                               "time_from": 18.0, "time_to": 10.0}])
        for hour, minute, inside in ((18, 0, True), (23, 30, True), (0, 0, True), (9, 59, True),
                                     (10, 0, False), (12, 0, False), (17, 59, False)):
            with self.subTest(time=f"{hour}:{minute}"):
                self.assertEqual(self._answers(workflow, at=warsaw(2026, 12, 1, hour, minute)), inside)
        message = self._post_buyer(self.conv_allegro, at=TUESDAY_NOON)
        self.assertEqual(self._decisions(message).reason, "12:00 is outside 18:00–10:00 (Warsaw Time)")
        workflow.condition_ids.write({"range_operator": "not_in", "time_from": 10.0, "time_to": 18.0})
        self.assertTrue(self._answers(workflow, at=warsaw(2026, 12, 1, 19, 0)))
        self.assertFalse(self._answers(workflow, at=TUESDAY_NOON))

    def test_time_window_across_dst(self):
        workflow = self._workflow(conditions=[{"kind": "time_window", "time_from": 10.0, "time_to": 18.0}])
        # 2026-03-29: Warsaw moves from UTC+1 to UTC+2; 08:30 UTC is 10:30 in Warsaw (09:30 with a fixed offset)
        self.assertTrue(self._answers(workflow, at=datetime(2026, 3, 29, 8, 30)))
        self.assertFalse(self._answers(workflow, at=datetime(2026, 3, 28, 8, 30)))
        # 2026-10-25: back to UTC+1; 09:30 UTC is 10:30 in Warsaw
        self.assertTrue(self._answers(workflow, at=datetime(2026, 10, 25, 9, 30)))
        self.assertFalse(self._answers(workflow, at=datetime(2026, 10, 24, 7, 30)))

    def test_working_hours_with_public_holidays(self):
        calendar = self.env["resource.calendar"].create({
            "name": "Shop hours", "company_id": self.company.id, "tz": "UTC",
            "attendance_ids": [Command.create({"name": f"Day {day}", "dayofweek": str(day), "hour_from": 9,
                                               "hour_to": 17, "day_period": "morning"}) for day in range(5)],
        })
        # a public holiday: time off of the whole calendar (no resource), on Tuesday 2026-12-08
        self.env["resource.calendar.leaves"].create({
            "name": "Holiday", "calendar_id": calendar.id, "resource_id": False, "company_id": self.company.id,
            "date_from": warsaw(2026, 12, 8, 0, 0), "date_to": warsaw(2026, 12, 8, 23, 59)})
        inside = self._workflow(conditions=[{"kind": "working_hours", "range_operator": "in",
                                             "calendar_id": calendar.id}])
        # hours are read in the workflow's timezone (Warsaw), not the calendar's (UTC)
        self.assertTrue(self._answers(inside, at=warsaw(2026, 12, 1, 9, 0)))
        self.assertFalse(self._answers(inside, at=warsaw(2026, 12, 1, 8, 59)))
        self.assertFalse(self._answers(inside, at=warsaw(2026, 12, 1, 17, 0)))
        self.assertFalse(self._answers(inside, at=warsaw(2026, 11, 28, 11, 0)), "Saturday")
        self.assertFalse(self._answers(inside, at=warsaw(2026, 12, 8, 11, 0)), "public holiday")
        inside.condition_ids.range_operator = "not_in"
        self.assertTrue(self._answers(inside, at=warsaw(2026, 12, 8, 11, 0)))
        self.assertFalse(self._answers(inside, at=warsaw(2026, 12, 1, 11, 0)))
        message = self._post_buyer(self.conv_allegro, at=warsaw(2026, 12, 1, 11, 0))
        self.assertIn("inside the working hours of Shop hours", self._decisions(message).reason)

    def test_working_hours_default_calendar(self):
        self.company.responso_calendar_id = self.company.resource_calendar_id
        workflow = self._workflow(conditions=[{"kind": "working_hours"}])
        self.assertEqual(workflow.condition_ids.calendar_id, self.company.resource_calendar_id)

    def test_trigger_first_message_of_the_buyer(self):
        workflow = self._workflow(conditions=[{"kind": "trigger", "trigger": "first_message"}])
        self.assertTrue(self._answers(workflow))
        message = self._post_buyer(self.conv_allegro, at=TUESDAY_NOON)
        self.assertFalse(self._answering(message))
        self.assertEqual(self._decisions(message).reason_code, "not_first_message")
        # a returning buyer in a new thread of the same account is not "first"
        new_thread = self._conversation(self.acc_allegro, self.src_discussions, self.buyer, "Another order")
        self.assertFalse(self._answers(workflow, new_thread))
        # ... but is on another account
        other_account = self._conversation(self.acc_allegro_2, self.src_messages, self.buyer, "Elsewhere")
        self.assertTrue(self._answers(workflow, other_account))
        # each new message answers every time
        workflow.condition_ids.trigger = "each_message"
        self.assertTrue(self._answers(workflow))
        self.assertTrue(self._answers(workflow))

    def test_history_of_conversations_without_an_account(self):
        """The history's variant without an account (the e-mail a mailbox brings): the buyer's first message counts
        among the company's messages without account, and the interval between replies holds across them."""
        workflow = self._workflow(conditions=[{"kind": "trigger", "trigger": "first_message"}])
        first = self._conversation(self.env["responso.account"], self.src_email, self.buyer_2, "No account")
        self.assertTrue(self._answers(workflow, first))
        second = self._conversation(self.env["responso.account"], self.src_email, self.buyer_2, "Again")
        message = self._post_buyer(second, at=TUESDAY_NOON)
        self.assertEqual(self._decisions(message).reason_code, "not_first_message")
        # each message, once an hour per buyer: the reply just queued without account holds the next one back
        workflow.write({"interval_minutes": 60})
        workflow.condition_ids.trigger = "each_message"
        third = self._conversation(self.env["responso.account"], self.src_email, self.buyer_2, "Third")
        message = self._post_buyer(third, at=TUESDAY_NOON)
        self.assertFalse(self._answering(message))
        self.assertEqual(self._decision(message).reason_code, "throttled")

    def test_all_conditions_must_hold(self):
        weekend = self.env["responso.weekday"].search([("number", "in", (5, 6))])
        workflow = self._workflow(conditions=[
            {"kind": "source", "source_ids": [Command.set(self.src_messages.ids)]},
            {"kind": "weekday", "weekday_ids": [Command.set(weekend.ids)]},
        ])
        self.assertTrue(self._answers(workflow, at=warsaw(2026, 11, 28, 11, 0)))
        self.assertFalse(self._answers(workflow, at=TUESDAY_NOON))
        self.assertFalse(self._answers(workflow, self.conv_email, at=warsaw(2026, 11, 28, 11, 0)))

    def test_disabled_and_foreign_workflows_are_not_evaluated(self):
        disabled = self._workflow("Disabled", active=False)
        foreign = self._workflow("Other company", company_id=self.company_2.id)
        message = self._post_buyer(self.conv_allegro)
        self.assertFalse(self._decisions(message))
        self.assertFalse(self._replies(message))
        disabled.active = True
        message = self._post_buyer(self.conv_allegro)
        self.assertEqual(self._decisions(message).workflow_id, disabled)
        self.assertTrue(foreign.exists())
