from odoo import Command
from odoo.tests import HttpCase, freeze_time, new_test_user, tagged

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.responso_autoresponder.wizards.responso_workflow_replay import replay_benchmark

from .common import ResponsoCase, warsaw

TUESDAY_NOON = warsaw(2026, 12, 1, 12, 0)
SATURDAY_EVENING = warsaw(2026, 12, 5, 20, 30)


class DryRunCase(ResponsoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        weekday = cls.env["responso.weekday"]
        cls.tuesday = weekday.search([("number", "=", 1)])
        cls.saturday = weekday.search([("number", "=", 5)])
        cls.workflow = cls._workflow("Allegro on Tuesdays", conditions=[
            {"kind": "source", "source_ids": [Command.set(cls.src_messages.ids)]},
            {"kind": "weekday", "weekday_ids": [Command.set(cls.tuesday.ids)]},
            {"kind": "delay", "delay_amount": 10, "delay_unit": "minutes"},
        ], body='<p>Hello <t t-out="object.buyer_id.name"/>, we answer within 24 hours.</p>')
        cls.weekday_line = cls.workflow.condition_ids.filtered(lambda line: line.kind == "weekday")

    def _counts(self):
        return (self.env["responso.decision"].search_count([]), self.env["responso.reply"].search_count([]),
                self.env["mail.message"].search_count([]))

    def _saturday_only(self):
        """The form's unsaved change: the day condition becomes Saturday (what the form sends, as `write` would)."""
        return {"condition_ids": [[Command.UPDATE, self.weekday_line.id, {
            "weekday_ids": [[Command.UNLINK, self.tuesday.id], [Command.LINK, self.saturday.id]]}]]}


@tagged("post_install", "-at_install")
class TestWorkflowTest(DryRunCase):
    """Test on a workflow form: would it answer, when, with which text in which language, and each condition."""

    def _test(self, workflow_values=None, user=None, **values):
        return self.env["responso.workflow.test.wizard"].with_user(user or self.env.user).new(dict({
            "workflow_id": self.workflow.id, "workflow_values": workflow_values or {}, "mode": "sample",
            "source_id": self.src_messages.id, "account_id": self.acc_allegro.id, "received_at": TUESDAY_NOON,
            "body": "Hello, when will my parcel arrive?"}, **values))

    def test_sample_that_would_answer(self):
        before = self._counts()
        wizard = self._test()
        self.assertTrue(wizard.answers, wizard.verdict)
        self.assertEqual(wizard.verdict, "It would answer.")
        # when: the delay and the timezone spelled out
        self.assertIn("(Warsaw Time; ", wizard.when_text)
        self.assertIn("12:10:00", wizard.when_text)
        self.assertIn("11:10", wizard.when_text, "the UTC time too")
        self.assertIn("10 min after the message received", wizard.when_text)
        # the reply rendered, in the language the sender would choose (detected in the text)
        self.assertIn("Hello Sample buyer, we answer within 24 hours.", wizard.preview_html)
        self.assertEqual(wizard.reply_lang, "en_US")
        # each condition, with the message's values
        html = wizard.conditions_html
        self.assertEqual(html.count("holds"), 3)
        self.assertIn("Allegro Message Center", html)
        self.assertIn("Tuesday", html)
        self.assertEqual(self._counts(), before, "nothing stored or sent")

    def test_unsaved_edit_that_would_not_answer_tells_why_for_each_condition(self):
        before = self._counts()
        wizard = self._test(self._saturday_only(), source_id=self.src_amazon.id, account_id=self.acc_amazon.id)
        self.assertFalse(wizard.answers)
        self.assertIn("It would not answer", wizard.verdict)
        self.assertIn("Amazon is not one of Allegro Message Center", wizard.verdict)
        html = wizard.conditions_html
        self.assertEqual(html.count("does not hold"), 2, "every condition is checked, not only the first")
        self.assertIn("Tuesday is not one of Saturday (Warsaw Time)", html)
        self.assertFalse(wizard.preview_html)
        # the saved workflow did not change
        self.assertEqual(self.weekday_line.weekday_ids, self.tuesday)
        self.assertEqual(self._counts(), before)
        # the same edit on a Saturday answers
        self.assertTrue(self._test(self._saturday_only(), received_at=SATURDAY_EVENING).answers)

    def test_a_new_unsaved_workflow(self):
        values = {"name": "Draft", "description": "d", "tz": "Europe/Warsaw", "interval_minutes": 0,
                  "company_id": self.company.id,
                  "condition_ids": [[Command.CREATE, "virtual_1", {"kind": "trigger", "trigger": "first_message"}]],
                  "action_ids": [[Command.CREATE, "virtual_2", {"body_html": "<p>Thanks!</p>"}]]}
        wizard = self.env["responso.workflow.test.wizard"].new({
            "workflow_values": values, "mode": "sample", "source_id": self.src_email.id, "received_at": TUESDAY_NOON,
            "body": "Hi", "is_first_message": False})
        self.assertFalse(wizard.answers)
        self.assertIn("not the first message", wizard.verdict)
        wizard.is_first_message = True
        self.assertTrue(wizard.answers)
        self.assertIn("Thanks!", wizard.preview_html)
        self.assertIn("at once", wizard.when_text)
        self.assertFalse(self.env["responso.workflow"].search([("name", "=", "Draft")]))

    def test_conversation_in_the_buyers_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.workflow.action_ids.update_field_translations("body_html", {
            "fr_FR": '<p>Bonjour <t t-out="object.buyer_id.name"/>, nous répondons sous 24 heures.</p>'})
        message = self._post_buyer(self.conv_allegro, "Bonjour, quand arrive mon colis ?", at=TUESDAY_NOON)
        before = self._counts()
        wizard = self.env["responso.workflow.test.wizard"].new({
            "workflow_id": self.workflow.id, "mode": "conversation", "conversation_id": self.conv_allegro.id,
            "received_at": TUESDAY_NOON})
        self.assertEqual(wizard.message_id, message, "the conversation's latest buyer message")
        self.assertIn("quand arrive mon colis", wizard.body)
        # the real message was answered already, and that reply counts as the hot path would count it
        self.assertTrue(wizard.answers, wizard.verdict)
        self.assertEqual((wizard.reply_lang, wizard.reply_lang_reason), ("fr_FR", "message"))
        self.assertIn("Bonjour Jan Buyer, nous répondons sous 24 heures.", wizard.preview_html)
        self.assertEqual(self._counts(), before)

    def test_unsaved_body_is_checked_as_saving_it_would_be(self):
        manager = self.manager
        self.assertFalse(manager.has_group("mail.group_mail_template_editor"))
        action = self.workflow.action_ids
        edit = {"action_ids": [[Command.UPDATE, action.id, {"body_html": '<p><t t-out="object.env.cr.dbname"/></p>'}]]}
        wizard = self._test(edit, user=manager)
        self.assertTrue(wizard.answers)
        self.assertNotIn(self.env.cr.dbname, wizard.preview_html)
        self.assertIn("text-danger", wizard.preview_html)


@tagged("post_install", "-at_install")
class TestWorkflowReplay(DryRunCase):
    """Replay on a workflow form: the buyer messages of the last days, judged by the workflow as edited."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyers = cls.env["res.partner"].create([{"name": f"Replay buyer {i}"} for i in range(4)])
        cls.posted = []
        for index, (buyer, at) in enumerate(zip(cls.buyers, (
                warsaw(2026, 12, 1, 9, 0), warsaw(2026, 12, 1, 15, 0), warsaw(2026, 12, 5, 20, 30),
                warsaw(2026, 12, 6, 10, 0)), strict=True)):
            source = cls.src_messages if index != 1 else cls.src_discussions
            conversation = cls._conversation(cls.acc_allegro, source, buyer, buyer.name)
            with freeze_time(at):
                cls.posted.append(conversation.message_post(
                    body="Where is my parcel?", author_id=buyer.id, message_type="comment",
                    subtype_xmlid="mail.mt_comment"))

    def _replay(self, workflow_values=None, days=7, workflow=None):
        with freeze_time(warsaw(2026, 12, 7, 12, 0)):
            wizard = self.env["responso.workflow.replay.wizard"].new({
                "workflow_id": (workflow or self.workflow).id, "workflow_values": workflow_values or {},
                "days": days})
            _count = wizard.message_count  # computed while the clock is frozen
            return wizard

    def test_replay_counts_the_replies_that_would_be_sent(self):
        """Only the actions that send a message queue a reply: a workflow that sends one message and tags the
        conversation replays one reply per answered message, as the queue would hold (it counted two); the form's
        unsaved second message counts too."""
        tag = self.env["responso.conversation.tag"].create({"name": "Parcel"})
        self.workflow.write({"action_ids": [
            Command.create({"action_type": "add_tags", "tag_ids": [Command.set(tag.ids)]})]})
        wizard = self._replay()
        self.assertEqual((wizard.answered_count, wizard.reply_count), (1, 1))
        self.assertIn("<td>1</td><td>1</td>", wizard.per_day_html.replace(" ", ""))
        second = {"action_ids": [Command.create({"action_type": "send_message", "body_html": "<p>Also this</p>"})]}
        replay = self._replay(second)
        self.assertEqual((replay.answered_count, replay.reply_count), (1, 2))
        # the form's unsaved line is counted once, however many times the workflow is read in a request
        for _again in range(3):
            self.assertEqual(len(replay._responso_workflow().action_ids.filtered(
                lambda action: action.action_type == "send_message")), 2)

    def test_replay_of_a_workflow_that_answers_some(self):
        before = self._counts()
        wizard = self._replay()
        self.assertEqual(wizard.message_count, 4)
        self.assertEqual((wizard.answered_count, wizard.not_answered_count, wizard.reply_count), (1, 3, 1))
        self.assertIn("Replay buyer 0", wizard.answered_html)
        self.assertIn("Replay buyer 1", wizard.not_answered_html)
        self.assertIn("Allegro Discussions is not one of Allegro Message Center", wizard.not_answered_html)
        self.assertIn("Saturday is not one of Tuesday (Warsaw Time)", wizard.not_answered_html)
        self.assertIn("Allegro Discussions is not one of", wizard.reasons_html)
        self.assertIn("<td>1</td>", wizard.per_day_html)
        self.assertEqual(self._counts(), before, "nothing stored or sent")

    def test_replay_with_unsaved_edits(self):
        wizard = self._replay(self._saturday_only())
        self.assertEqual((wizard.answered_count, wizard.not_answered_count), (1, 3))
        self.assertIn("Replay buyer 2", wizard.answered_html)
        self.assertEqual(self.weekday_line.weekday_ids, self.tuesday)

    def test_replay_of_a_workflow_that_would_answer_none(self):
        wizard = self._replay({"condition_ids": [[Command.UPDATE, self.weekday_line.id, {
            "weekday_ids": [[Command.UNLINK, self.tuesday.id]] + [
                [Command.LINK, day.id] for day in self.env["responso.weekday"].search([("number", "in", [2, 3])])]}]]})
        self.assertEqual((wizard.message_count, wizard.answered_count), (4, 0))
        self.assertIn("is not one of Wednesday, Thursday", wizard.reasons_html)

    def test_days_bound_the_replay(self):
        self.assertEqual(self._replay(days=1).message_count, 0)
        self.assertEqual(self._replay(days=2).message_count, 2)

    def test_working_hours_of_a_calendar_no_workflow_asked_about(self):
        calendar = self.env["resource.calendar"].create({"name": "Office", "tz": "Europe/Warsaw",
                                                         "company_id": self.company.id})
        wizard = self._replay({"condition_ids": [[Command.CREATE, "virtual_1", {
            "kind": "working_hours", "range_operator": "in", "calendar_id": calendar.id}]]})
        # Tuesday 09:00 is working time of a standard 8-17 calendar; 15:00 too, but from the other source
        self.assertEqual(wizard.answered_count, 1)
        self.assertIn("Replay buyer 0", wizard.answered_html)

    def test_an_incomplete_new_workflow_says_why(self):
        wizard = self.env["responso.workflow.replay.wizard"].new({"workflow_values": {"name": "Draft", "tz": False}})
        self.assertEqual(wizard.message_count, 0)
        self.assertIn("cannot be replayed yet", wizard.per_day_html)

    def test_replay_benchmark_helper(self):
        with freeze_time(warsaw(2026, 12, 7, 12, 0)):
            result = replay_benchmark(self.env, self.workflow, days=7)
        self.assertEqual((result["messages"], result["answered"]), (4, 1))
        self.assertGreaterEqual(result["seconds"], 0)

    def test_an_agent_may_replay(self):
        agent = mail_new_test_user(self.env, login="replay_agent", name="Replay Agent",
                                   groups="base.group_user,responso_autoresponder.group_responso_user")
        with freeze_time(warsaw(2026, 12, 7, 12, 0)):
            wizard = self.env["responso.workflow.replay.wizard"].with_user(agent).new(
                {"workflow_id": self.workflow.id, "days": 7})
            self.assertEqual(wizard.message_count, 4)


@tagged("post_install", "-at_install", "is_tour")
class TestDryRunTour(HttpCase):
    """In Chromium: Test runs the workflow as the form shows it, and nothing is saved."""

    def test_test_button_takes_unsaved_changes(self):
        manager = new_test_user(self.env, login="responso_dry_run_manager", name="Dry Run Manager",
                                groups="base.group_user,responso_autoresponder.group_responso_manager")
        self.env["responso.workflow"].with_context(active_test=False).search([("is_template", "=", False)]).unlink()
        workflow = self.env["responso.workflow"].create({
            "name": "Amazon only", "description": "Answers Amazon buyers", "company_id": self.env.company.id,
            "interval_minutes": 0,
            "condition_ids": [Command.create({"kind": "source", "source_ids": [
                Command.set(self.env.ref("responso_autoresponder.source_amazon").ids)]}),
                Command.create({"kind": "delay", "delay_amount": 10})],
            "action_ids": [Command.create({"body_html": "<p>We answer within 24 hours.</p>"})]})
        counts = (self.env["responso.decision"].search_count([]), self.env["responso.reply"].search_count([]))
        self.start_tour(f"/odoo/action-responso_autoresponder.responso_workflow_action/{workflow.id}",
                        "responso_dry_run_unsaved", login=manager.login, timeout=240)
        workflow.invalidate_recordset()
        self.assertEqual(workflow.condition_ids.mapped("kind"), ["source", "delay"], "nothing saved")
        self.assertEqual((self.env["responso.decision"].search_count([]),
                          self.env["responso.reply"].search_count([])), counts, "nothing stored")
