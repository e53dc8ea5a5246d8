from datetime import timedelta

from odoo import Command
from odoo.tests import Form, tagged, users
from odoo.tools.safe_eval import safe_eval

from ..models.resource_calendar_holidays import load_public_holidays
from .common import ResponsoCase, install_languages, warsaw

TEMPLATES = ("template_amazon", "template_weekend", "template_out_of_hours")


@tagged("post_install", "-at_install")
class TestTemplates(ResponsoCase):
    """The seed's three templates, added in two clicks and answering at the seed's times."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the seed's working hours, 10:00–18:00 on weekdays, as the company's autoresponder working hours: the
        # out-of-hours template reads the working hours of each message's account, which fall back to them
        cls.shop_hours = cls._calendar("Shop 10:00–18:00", 10, 18)
        cls.company.responso_calendar_id = cls.shop_hours

    @classmethod
    def _calendar(cls, name, start, end):
        return cls.env["resource.calendar"].create({
            "name": name, "tz": "Europe/Warsaw", "company_id": cls.company.id, "attendance_ids": [
                Command.create({"name": f"Day {day}", "dayofweek": str(day), "hour_from": start, "hour_to": end,
                                "day_period": "morning"}) for day in range(5)]})

    def _add(self, xmlid):
        template = self.env.ref(f"responso_autoresponder.{xmlid}")
        action = template.action_add_from_template()
        return self.env["responso.workflow"].browse(action["res_id"])

    def test_gallery_lists_the_templates(self):
        action = self.env.ref("responso_autoresponder.responso_workflow_template_action")
        templates = self.env["responso.workflow"].search(safe_eval(action.domain))
        for xmlid in TEMPLATES:
            self.assertIn(self.env.ref(f"responso_autoresponder.{xmlid}"), templates)

    @users("responso_manager")
    def test_add_creates_an_active_editable_copy(self):
        workflow = self._add("template_weekend")
        template = self.env.ref("responso_autoresponder.template_weekend")
        self.assertTrue(workflow.active)
        self.assertFalse(workflow.is_template)
        self.assertEqual(workflow.company_id, self.env.company)
        self.assertEqual(workflow.tz, "Europe/Warsaw")
        self.assertEqual(workflow.name, template.name)
        self.assertNotEqual(workflow.condition_ids, template.condition_ids)
        with Form(workflow, view="responso_autoresponder.responso_workflow_view_form") as form:
            with form.action_ids.edit(0) as action:
                action.body_html = "<p>Back on Monday!</p>"
        self.assertIn("Back on Monday!", workflow.action_ids.body_html)
        self.assertNotIn("Back on Monday!", template.action_ids.body_html, "the template is untouched")

    def test_templates_at_the_seed_times(self):
        amazon, weekend, out_of_hours = (self._add(xmlid) for xmlid in TEMPLATES)
        cases = [
            ("Saturday 11:00", warsaw(2026, 11, 28, 11, 0), self.conv_allegro, weekend),
            ("Tuesday 19:00", warsaw(2026, 12, 1, 19, 0), self.conv_allegro, out_of_hours),
            ("Tuesday 12:00", warsaw(2026, 12, 1, 12, 0), self.conv_allegro, None),
            ("Sunday 22:00", warsaw(2026, 11, 29, 22, 0), self.conv_allegro, weekend),
            ("Amazon, Tuesday 12:00", warsaw(2026, 12, 1, 12, 0), self.conv_amazon, amazon),
            ("Amazon, Sunday 22:00", warsaw(2026, 11, 29, 22, 0), self.conv_amazon, amazon),
        ]
        for index, (label, at, conversation, expected) in enumerate(cases):
            with self.subTest(label):
                buyer = self.env["res.partner"].create({"name": f"Buyer {index}"})
                thread = self._conversation(conversation.account_id, conversation.source_id, buyer, label)
                message = self._post_buyer(thread, at=at)
                replies = self._replies(message)
                if expected is None:
                    self.assertFalse(replies, f"{label}: no template answers")
                    continue
                self.assertEqual(len(replies), 1, f"{label}: exactly one answer")
                self.assertEqual(replies.workflow_id, expected)
        # Sunday 22:00: both weekend and out-of-hours match; out-of-hours is recorded as skipped
        message = self.env["responso.decision"].search([("workflow_id", "=", weekend.id), ("answers", "=", True)],
                                                       order="id desc", limit=1).message_id
        skipped = self._decisions(message).filtered(lambda d: d.workflow_id == out_of_hours)
        self.assertEqual(skipped.reason_code, "already_answered")

    def test_out_of_hours_template_reads_each_accounts_working_hours(self):
        """One copy of the template, accounts with other working hours: each message is judged in its account's
        calendar (else the company's autoresponder working hours), with that calendar's public holidays."""
        out_of_hours = self._add("template_out_of_hours")
        line = out_of_hours.condition_ids.filtered(lambda c: c.kind == "working_hours")
        self.assertTrue(line.account_calendar)
        self.assertFalse(line.calendar_id, "no fixed calendar: each account's")
        self.assertEqual(line.summary, "outside the account's working hours")
        early = self._calendar("Early shift 08:00–16:00", 8, 16)
        self.acc_allegro_2.responso_clock_calendar_id = early
        tuesday_five = warsaw(2026, 12, 1, 17, 0)
        cases = [(self.acc_allegro, tuesday_five, False), (self.acc_allegro_2, tuesday_five, True),
                 (self.acc_allegro_2, warsaw(2026, 12, 1, 9, 0), False)]
        for index, (account, at, answers) in enumerate(cases):
            with self.subTest(account=account.name, at=at):
                thread = self._conversation(account, self.src_messages, self.buyer, f"Hours {index}")
                message = self._post_buyer(thread, at=at)
                self.assertEqual(bool(self._replies(message)), answers)
        # the reason names the account's calendar
        message = self._post_buyer(self._conversation(self.acc_allegro, self.src_messages, self.buyer, "Why"),
                                   at=tuesday_five)
        self.assertEqual(self._decisions(message).reason,
                         "Tuesday 17:00 is inside the working hours of Shop 10:00–18:00 (Warsaw Time)")
        # the public holidays loaded on the account's calendar: 11 November is out of hours in Poland
        holiday = warsaw(2026, 11, 11, 12, 0)
        thread = self._conversation(self.acc_allegro, self.src_messages, self.buyer, "Holiday")
        self.assertFalse(self._replies(self._post_buyer(thread, at=holiday - timedelta(days=1))))
        load_public_holidays(self.shop_hours, "PL", False, 2026, 2026)
        self.assertEqual(self._replies(self._post_buyer(thread, at=holiday)).workflow_id, out_of_hours)
        # Replay reads the same calendars: the messages out of hours of their account, the others not
        summary, _rows = self.env["responso.workflow.replay.wizard"]._responso_replay(
            out_of_hours._responso_specs()[0], self.company.id, 60, now=warsaw(2026, 12, 2, 0, 0))
        self.assertEqual((summary.total, summary.answered), (6, 2))

    def test_out_of_hours_by_default_outside_10_to_18(self):
        """A company starts with the product's default working hours, 10:00–18:00 on weekdays (set at install and
        for every new company): the out-of-hours template then answers a Tuesday's 9:00 and 19:00 messages and not
        those of 12:30 and 17:30 — Odoo's default calendar (8:00–17:00, lunch break) answered at lunch and at 17:30,
        and kept silent at 9:00."""
        self.company.responso_calendar_id = False
        self.company._responso_ensure_calendar()
        hours = self.company.responso_calendar_id
        self.assertEqual(hours.company_id, self.company)
        self.assertEqual(sorted(hours.attendance_ids.mapped("dayofweek")), ["0", "1", "2", "3", "4"])
        self.assertEqual(set(hours.attendance_ids.mapped(lambda line: (line.hour_from, line.hour_to))), {(10, 18)})
        self._add("template_out_of_hours")
        for index, (hour, minute, answers) in enumerate(((9, 0, True), (12, 30, False), (17, 30, False),
                                                         (19, 0, True))):
            with self.subTest(at=f"{hour}:{minute:02d}"):
                buyer = self.env["res.partner"].create({"name": f"Buyer at {hour}:{minute:02d}"})  # no throttle
                thread = self._conversation(self.acc_allegro, self.src_messages, buyer, f"Default {index}")
                message = self._post_buyer(thread, at=warsaw(2026, 12, 1, hour, minute))
                self.assertEqual(bool(self._replies(message)), answers)
        self.company._responso_ensure_calendar()
        self.assertEqual(self.company.responso_calendar_id, hours, "a company's own hours are never replaced")
        self.assertTrue(self.env["res.company"].create({"name": "Opened today"}).responso_calendar_id)

    def test_amazon_template_waits_before_answering(self):
        amazon = self._add("template_amazon")
        at = warsaw(2026, 12, 1, 12, 0)
        message = self._post_buyer(self.conv_amazon, at=at)
        reply = self._replies(message)
        self.assertEqual(reply.workflow_id, amazon)
        self.assertEqual(reply.send_at, at + timedelta(minutes=10))
        with self.mock_mail_gateway():
            self._send_due(at=at + timedelta(minutes=9))
            self.assertEqual(reply.state, "scheduled")
            self._send_due(at=at + timedelta(minutes=10))
        self.assertEqual(reply.state, "sent")
        self.assertSentEmail(self.company.email_formatted, [self.buyer])

    def test_template_texts_translated(self):
        for lang, word in (("fr_FR", "Merci"), ("pl_PL", "Dziękujemy")):
            with self.subTest(lang):
                install_languages(self.env, lang)
                for xmlid in TEMPLATES:
                    template = self.env.ref(f"responso_autoresponder.{xmlid}").with_context(lang=lang)
                    self.assertIn(word, template.action_ids.body_html, f"{xmlid} in {lang}")
                    self.assertNotEqual(template.name, template.with_context(lang="en_US").name)
