from datetime import timedelta

from odoo import Command
from odoo.tests import freeze_time, tagged

from ..models.mail_thread import RESPONSO_TRUSTED, TRUSTED_CONTEXT_KEY
from ..models.resource_calendar_holidays import load_public_holidays
from .common import ResponsoCase, warsaw


@tagged("post_install", "-at_install")
class TestResponseClock(ResponsoCase):
    """The marketplace response clock: a person must answer by the marketplace's deadline, counted from the first
    unanswered buyer message; automatic replies never stop it, a person's answer or "no answer needed" does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Monday to Friday, 8:00-16:00 in Warsaw: one working day = 8 hours
        cls.calendar = cls.env["resource.calendar"].create({
            "name": "Shop hours", "tz": "Europe/Warsaw", "company_id": cls.company.id,
            "attendance_ids": [Command.create({
                "name": f"Day {day}", "dayofweek": str(day), "hour_from": 8.0, "hour_to": 16.0,
                "day_period": "morning"}) for day in range(5)],
        })
        cls.acc_allegro.write({"responso_clock_calendar_id": cls.calendar.id, "responso_response_hours": 8.0,
                               "responso_warn_hours": 2.0})

    def _answer(self, conversation, body="Your parcel left today.", at=None, user=None):
        """A person's public answer in the chatter."""
        with freeze_time(at):
            return conversation.with_user(user or self.agent).message_post(
                body=body, message_type="comment", subtype_xmlid="mail.mt_comment")

    # ------------------------------------------------------------------
    # Deadlines
    # ------------------------------------------------------------------
    def test_amazon_counts_24_hours_weekends_included(self):
        # Friday 18:00: Amazon's 24 hours run through Saturday
        self._post_buyer(self.conv_amazon, "Where is my order?", at=warsaw(2026, 12, 4, 18, 0))
        self.assertEqual(self.conv_amazon.responso_clock_start, warsaw(2026, 12, 4, 18, 0))
        self.assertEqual(self.conv_amazon.responso_deadline, warsaw(2026, 12, 5, 18, 0))
        self.assertEqual(self.conv_amazon.responso_warn_at, warsaw(2026, 12, 5, 16, 0), "2 hours before, default")

    def test_amazon_ignores_the_working_calendar_and_its_settings(self):
        self.acc_amazon.write({"responso_clock_calendar_id": self.calendar.id, "responso_response_hours": 8.0})
        self._post_buyer(self.conv_amazon, "Where is my order?", at=warsaw(2026, 12, 24, 20, 0))
        self.assertEqual(self.conv_amazon.responso_deadline, warsaw(2026, 12, 25, 20, 0),
                         "Christmas Day counts too")

    def test_working_calendar_deadline_across_a_weekend(self):
        # Friday 15:00: one hour on Friday, seven on Monday
        self._post_buyer(self.conv_allegro, "Where is my parcel?", at=warsaw(2026, 12, 4, 15, 0))
        self.assertEqual(self.conv_allegro.responso_deadline, warsaw(2026, 12, 7, 15, 0))
        self.assertEqual(self.conv_allegro.responso_warn_at, warsaw(2026, 12, 7, 13, 0))

    def test_working_calendar_deadline_across_a_public_holiday(self):
        load_public_holidays(self.calendar, "PL", False, 2026, 2026)
        # Tuesday 10 November 15:00: one hour on Tuesday; Wednesday 11 November is Independence Day
        self._post_buyer(self.conv_allegro, "Where is my parcel?", at=warsaw(2026, 11, 10, 15, 0))
        self.assertEqual(self.conv_allegro.responso_deadline, warsaw(2026, 11, 12, 15, 0))

    def test_default_response_time_is_24_working_hours(self):
        self.acc_allegro.responso_response_hours = 24.0
        # Monday 8:00 + three 8-hour days
        self._post_buyer(self.conv_allegro, "Where is my parcel?", at=warsaw(2026, 12, 7, 8, 0))
        self.assertEqual(self.conv_allegro.responso_deadline, warsaw(2026, 12, 9, 16, 0))
        self.assertIn("24 working hours of Shop hours", self.acc_allegro.responso_clock_rule)
        self.assertIn("24 hours, weekends and holidays included", self.acc_amazon.responso_clock_rule)

    def test_new_account_defaults(self):
        account = self.env["responso.account"].create({"name": "New eBay", "integration_id": self.int_ebay.id,
                                                       "company_id": self.company.id})
        self.assertEqual(account.responso_response_hours, 24.0)
        self.assertEqual(account.responso_warn_hours, 2.0)
        self.company.responso_calendar_id = self.calendar
        self.assertEqual(account._responso_clock_calendar(), self.calendar, "the company's working hours")

    # ------------------------------------------------------------------
    # What starts and what stops the clock
    # ------------------------------------------------------------------
    def test_first_unanswered_message_counts(self):
        self._post_buyer(self.conv_allegro, "Where is my parcel?", at=warsaw(2026, 12, 7, 9, 0))
        self._post_buyer(self.conv_allegro, "Hello? Any news?", at=warsaw(2026, 12, 7, 12, 0))
        self.assertEqual(self.conv_allegro.responso_clock_start, warsaw(2026, 12, 7, 9, 0))
        self.assertEqual(self.conv_allegro.responso_deadline, warsaw(2026, 12, 8, 9, 0),
                         "7 hours on Monday, 1 on Tuesday")

    def test_automatic_reply_does_not_stop_the_clock(self):
        self._workflow("Amazon", conditions=[{"kind": "trigger", "trigger": "each_message"}])
        at = warsaw(2026, 12, 4, 18, 0)
        message = self._post_buyer(self.conv_amazon, "Where is my order?", at=at)
        self._send_due(at=at + timedelta(minutes=1))
        reply = self._replies(message)
        self.assertEqual(reply.state, "sent", reply.error)
        self.assertEqual(reply.reply_message_id.responso_kind, "auto_reply")
        self.assertFalse(self.conv_amazon.responso_clock_stopped_at, "Amazon does not count automatic replies")
        self.assertEqual(self.conv_amazon.responso_deadline, warsaw(2026, 12, 5, 18, 0))
        with freeze_time(at + timedelta(hours=25)):
            self.assertEqual(self.conv_amazon.responso_clock_state, "overdue")

    def test_a_persons_answer_stops_the_clock(self):
        self._post_buyer(self.conv_allegro, "Where is my parcel?", at=warsaw(2026, 12, 4, 15, 0))
        self._answer(self.conv_allegro, at=warsaw(2026, 12, 7, 9, 30))
        conversation = self.conv_allegro
        self.assertEqual(conversation.responso_clock_stopped_at, warsaw(2026, 12, 7, 9, 30))
        self.assertEqual(conversation.responso_clock_stop_reason, "answered")
        self.assertEqual(conversation.responso_clock_stopped_by_id, self.agent.partner_id)
        self.assertEqual(conversation.responso_clock_state, "stopped")
        self.assertIn("A person answered (Adam Agent)", conversation.with_context(tz="UTC").responso_clock_summary)
        # the next buyer message starts a new clock
        self._post_buyer(conversation, "Thanks, and the invoice?", at=warsaw(2026, 12, 7, 10, 0))
        self.assertFalse(conversation.responso_clock_stopped_at)
        self.assertEqual(conversation.responso_clock_start, warsaw(2026, 12, 7, 10, 0))
        self.assertEqual(conversation.responso_deadline, warsaw(2026, 12, 8, 10, 0))

    def test_notes_and_buyer_messages_do_not_stop_the_clock(self):
        self._post_buyer(self.conv_allegro, "Where is my parcel?", at=warsaw(2026, 12, 7, 9, 0))
        with freeze_time(warsaw(2026, 12, 7, 9, 5)):
            self.conv_allegro.with_user(self.agent).message_post(
                body="Checking with the warehouse", message_type="comment", subtype_xmlid="mail.mt_note")
        self.assertFalse(self.conv_allegro.responso_clock_stopped_at)
        self.assertEqual(self.conv_allegro.responso_clock_state, "running")

    def test_answer_written_on_the_marketplace_stops_the_clock(self):
        """The seller answered in Allegro's own pages: the next poll stores that message as a note (never answered),
        as the connectors do, and it stops the clock; Allegro's system messages do not."""
        self._post_buyer(self.conv_allegro, "Where is my parcel?", at=warsaw(2026, 12, 7, 9, 0))
        # as the connectors store them (the responso_* values are accepted from our own code paths only)
        poll = self.conv_allegro.with_context(**{TRUSTED_CONTEXT_KEY: RESPONSO_TRUSTED})
        with freeze_time(warsaw(2026, 12, 7, 11, 0)):
            poll.message_post(
                body="Allegro: your buyer is waiting", message_type="comment", subtype_xmlid="mail.mt_note",
                author_id=self.company.partner_id.id, responso_external_id="sys-1",
                responso_source_id=self.src_messages.id, responso_account_id=self.acc_allegro.id,
                responso_auto_signal="Allegro: author role ALLEGRO", responso_auto_strength="hard")
        self.assertFalse(self.conv_allegro.responso_clock_stopped_at)
        with freeze_time(warsaw(2026, 12, 7, 11, 5)):
            poll.message_post(
                body="It left today", message_type="comment", subtype_xmlid="mail.mt_note",
                date=warsaw(2026, 12, 7, 10, 30), author_id=self.company.partner_id.id,
                responso_external_id="seller-1", responso_source_id=self.src_messages.id,
                responso_account_id=self.acc_allegro.id, responso_auto_signal="Allegro: author role SELLER",
                responso_auto_strength="hard")
        self.assertEqual(self.conv_allegro.responso_clock_stop_reason, "answered")
        self.assertEqual(self.conv_allegro.responso_clock_stopped_at, warsaw(2026, 12, 7, 10, 30))

    def test_answer_before_the_buyer_message_does_not_stop_it(self):
        # a message polled late: a seller's answer dated before the buyer message it would stop
        self._post_buyer(self.conv_allegro, "Where is my parcel?", at=warsaw(2026, 12, 7, 9, 0))
        with freeze_time(warsaw(2026, 12, 7, 9, 30)):
            self.conv_allegro.with_user(self.agent).message_post(
                body="Old answer", message_type="comment", subtype_xmlid="mail.mt_comment",
                date=warsaw(2026, 12, 7, 8, 0))
        self.assertFalse(self.conv_allegro.responso_clock_stopped_at)

    def test_no_answer_needed_stops_the_clock(self):
        self._post_buyer(self.conv_allegro, "Thank you, all good!", at=warsaw(2026, 12, 7, 9, 0))
        with freeze_time(warsaw(2026, 12, 7, 9, 10)):
            self.conv_allegro.with_user(self.agent).action_responso_no_answer_needed()
        self.assertEqual(self.conv_allegro.responso_clock_stop_reason, "no_answer_needed")
        self.assertEqual(self.conv_allegro.responso_clock_stopped_at, warsaw(2026, 12, 7, 9, 10))
        self.assertIn("No answer needed (Adam Agent)", self.conv_allegro.responso_clock_summary)

    def test_closing_stops_the_clock(self):
        self._post_buyer(self.conv_allegro, "Where is my parcel?", at=warsaw(2026, 12, 7, 9, 0))
        self.conv_allegro.action_close()
        self.assertEqual(self.conv_allegro.responso_clock_stop_reason, "closed")

    # ------------------------------------------------------------------
    # Filters and warnings
    # ------------------------------------------------------------------
    def test_due_soon_and_overdue_filters(self):
        Conversation = self.env["responso.conversation"]
        self._post_buyer(self.conv_allegro, "Where is my parcel?", at=warsaw(2026, 12, 7, 8, 0))  # due 16:00
        self._post_buyer(self.conv_amazon, "Where is my order?", at=warsaw(2026, 12, 6, 12, 0))  # due 7th 12:00
        mine = [("id", "in", (self.conv_allegro | self.conv_amazon).ids)]
        with freeze_time(warsaw(2026, 12, 7, 11, 0)):
            self.assertEqual(Conversation.search(mine + [("responso_due_soon", "=", True)]), self.conv_amazon)
            self.assertFalse(Conversation.search(mine + [("responso_overdue", "=", True)]))
        with freeze_time(warsaw(2026, 12, 7, 14, 30)):
            self.assertEqual(Conversation.search(mine + [("responso_due_soon", "=", True)]), self.conv_allegro)
            self.assertEqual(Conversation.search(mine + [("responso_overdue", "=", True)]), self.conv_amazon)
            self.assertEqual(Conversation.search(mine + [("responso_overdue", "!=", True)]), self.conv_allegro)
        self._answer(self.conv_amazon, at=warsaw(2026, 12, 7, 14, 45))
        with freeze_time(warsaw(2026, 12, 7, 15, 0)):
            self.assertFalse(Conversation.search(mine + [("responso_overdue", "=", True)]))

    def _warning_activities(self, conversation):
        return conversation.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("responso_autoresponder.mail_activity_responso_answer_due"))

    def test_one_activity_before_the_deadline(self):
        Conversation = self.env["responso.conversation"]
        self._post_buyer(self.conv_allegro, "Where is my parcel?", at=warsaw(2026, 12, 7, 8, 0))  # due 16:00
        with freeze_time(warsaw(2026, 12, 7, 13, 0)):
            Conversation._cron_responso_warn_deadlines()
        self.assertFalse(self._warning_activities(self.conv_allegro), "not yet: the warning is 2 hours before")
        with freeze_time(warsaw(2026, 12, 7, 14, 1)):
            Conversation._cron_responso_warn_deadlines()
            Conversation._cron_responso_warn_deadlines()
        activity = self._warning_activities(self.conv_allegro)
        self.assertEqual(len(activity), 1, "one activity, however often the job runs")
        self.assertEqual(activity.user_id, self.agent, "the account's agent")
        self.assertEqual(str(activity.date_deadline), "2026-12-07")
        self.assertIn("Answer the buyer by", activity.summary)
        # done before the answer: no second one
        activity.action_done()
        with freeze_time(warsaw(2026, 12, 7, 15, 0)):
            Conversation._cron_responso_warn_deadlines()
        self.assertFalse(self._warning_activities(self.conv_allegro))

    def test_answer_removes_the_warning(self):
        self.acc_allegro.responso_warn_user_id = self.manager
        self._post_buyer(self.conv_allegro, "Where is my parcel?", at=warsaw(2026, 12, 7, 8, 0))
        with freeze_time(warsaw(2026, 12, 7, 15, 0)):
            self.env["responso.conversation"]._cron_responso_warn_deadlines()
        self.assertEqual(self._warning_activities(self.conv_allegro).user_id, self.manager)
        self._answer(self.conv_allegro, at=warsaw(2026, 12, 7, 15, 10))
        self.assertFalse(self._warning_activities(self.conv_allegro))

    def test_the_clock_shows_at_once_in_the_same_transaction(self):
        """The clock starts in a direct UPDATE: what was computed from it before (the form's state, its summary) is
        recomputed, not served stale from the cache."""
        conversation = self._conversation(self.acc_allegro, self.src_messages, self.buyer_2, "Fresh")
        self.assertEqual(conversation.responso_clock_state, "none")
        self.assertIn("No buyer message", conversation.responso_clock_summary)
        self._post_buyer(conversation, "Where is my parcel?", at=warsaw(2026, 12, 7, 8, 0))
        self.assertEqual(conversation.responso_clock_state, "running")
        self.assertIn("must answer by", conversation.responso_clock_summary)

    def test_the_warning_job_runs_every_ten_minutes_without_a_trigger_per_conversation(self):
        """A warning goes out at most 10 minutes late, and a buyer message adds no cron trigger row (thousands of
        conversations a day would wake the job thousands of times)."""
        cron = self.env.ref("responso_autoresponder.ir_cron_responso_deadline_warnings")
        self.assertEqual((cron.interval_number, cron.interval_type), (10, "minutes"))
        before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        self._post_buyer(self.conv_allegro, "Where is my parcel?", at=warsaw(2026, 12, 7, 8, 0))
        self.assertEqual(self.conv_allegro.responso_warn_at, warsaw(2026, 12, 7, 14, 0))
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), before)

    def test_automatic_reply_tells_the_deadline(self):
        """``object.responso_answer_by``, a placeholder every manager may use: the deadline in the account's working
        hours, public holidays skipped, in the reply's language."""
        load_public_holidays(self.calendar, "PL", False, 2026, 2026)
        self.acc_email.write({"responso_clock_calendar_id": self.calendar.id, "responso_response_hours": 8.0})
        self.env["responso.workflow"].with_user(self.manager).create({
            "name": "Out of hours", "description": "tells when a person answers", "company_id": self.company.id,
            "tz": "Europe/Warsaw", "interval_minutes": 0,
            "condition_ids": [Command.create({"kind": "trigger", "trigger": "each_message"})],
            "action_ids": [Command.create({
                "body_html": '<p>An agent will answer you by <t t-out="object.responso_answer_by"/>.</p>'})],
        })
        at = warsaw(2026, 11, 10, 15, 0)  # Tuesday; Wednesday 11 November is a public holiday
        message = self._post_buyer(
            self.conv_email, "Hello, where is my parcel? I ordered it last week and it has not arrived yet.", at=at)
        self._send_due(at=at + timedelta(minutes=1))
        reply = self._replies(message)
        self.assertEqual(reply.state, "sent", reply.error)
        self.assertIn("An agent will answer you by Thursday 12 November, 15:00.", reply.reply_message_id.body)
        self.assertFalse(self.conv_email.responso_clock_stopped_at)
