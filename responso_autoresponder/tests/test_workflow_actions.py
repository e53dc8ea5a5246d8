from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged, users

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import ResponsoCase, install_languages, warsaw
from .test_workflow_form import FORM_VIEW

TUESDAY_NOON = warsaw(2026, 12, 1, 12, 0)


@tagged("post_install", "-at_install")
class TestWorkflowActions(ResponsoCase):
    """Actions after a match: the non-sending ones apply at once, in order; messages keep their queue."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Tag = cls.env["responso.conversation.tag"]
        cls.urgent, cls.returns = Tag.create([{"name": "Urgent"}, {"name": "Return"}])
        cls.st_waiting = cls.env.ref("responso_autoresponder.conversation_status_waiting")
        cls.st_closed = cls.env.ref("responso_autoresponder.conversation_status_closed")
        cls.agent_2 = mail_new_test_user(
            cls.env, login="responso_agent_2", name="Beata Agent", company_id=cls.company.id,
            groups="base.group_user,responso_autoresponder.group_responso_user", notification_type="inbox")

    def _workflow_with(self, actions, conditions=None, name="Actions"):
        return self.env["responso.workflow"].create({
            "name": name, "description": f"{name}: test workflow", "company_id": self.company.id,
            "tz": "Europe/Warsaw", "interval_minutes": 0,
            "condition_ids": [Command.create(vals) for vals in conditions or [
                {"kind": "trigger", "trigger": "each_message"}]],
            "action_ids": [Command.create(dict(vals, sequence=index)) for index, vals in enumerate(actions)],
        })

    def test_tags_status_note_apply_at_once_and_messages_are_queued(self):
        self.conv_allegro.tag_ids = self.urgent
        self._workflow_with([
            {"action_type": "add_tags", "tag_ids": [Command.set(self.returns.ids)]},
            {"action_type": "remove_tags", "tag_ids": [Command.set(self.urgent.ids)]},
            {"action_type": "set_status", "status_id": self.st_waiting.id},
            {"action_type": "post_note", "note_body": "<p>Check the return label.</p>"},
            {"body_html": "<p>Here is how to return an item.</p>"},
        ], conditions=[{"kind": "message_text", "phrases": "zwrot"}])
        message = self._post_buyer(self.conv_allegro, body="<p>Chcę zrobić ZWROT</p>", at=TUESDAY_NOON)
        conversation = self.conv_allegro
        self.assertEqual(conversation.tag_ids, self.returns)
        self.assertEqual(conversation.status_id, self.st_waiting)
        self.assertEqual(conversation.state, "open")
        note = conversation.message_ids.filtered(lambda m: "Check the return label" in (m.body or ""))
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"), "an internal note, not a message")
        replies = self._replies(message)
        self.assertEqual(len(replies), 1, "only the message is queued")
        self.assertEqual(replies.state, "scheduled")

    def test_closing_status_and_no_sending_action(self):
        workflow = self._workflow_with([{"action_type": "set_status", "status_id": self.st_closed.id}])
        message = self._post_buyer(self.conv_allegro, at=TUESDAY_NOON)
        self.assertFalse(self._answering(message), "a workflow that sends nothing does not answer")
        self.assertEqual(self._decisions(message).filtered("applied").workflow_id, workflow)
        self.assertFalse(self._replies(message), "nothing to send")
        self.assertEqual(self.conv_allegro.state, "closed")
        decision = self._decision(message)
        self.assertFalse(decision.answers)
        self.assertEqual(decision.reason, "no workflow sends an answer; actions applied by Actions")
        self.assertEqual(decision.applied_workflow_ids, workflow.ids)

    def test_every_non_sending_workflow_applies_and_the_first_sending_one_answers(self):
        """Zendesk-style: tagging, status and note workflows all act, in sequence order, whatever their place; the
        one answer per message goes to the first matching workflow that sends a message."""
        tagging = self._workflow_with([{"action_type": "add_tags", "tag_ids": [Command.set(self.returns.ids)]}],
                                      name="Tag returns")
        status = self._workflow_with([{"action_type": "set_status", "status_id": self.st_waiting.id}],
                                     name="Waiting")
        answering = self._workflow_with([{"action_type": "add_tags", "tag_ids": [Command.set(self.urgent.ids)]},
                                         {"body_html": "<p>Here is how to return an item.</p>"}], name="Answer")
        skipped = self._workflow_with([{"body_html": "<p>Second answer</p>"}], name="Second answer")
        note = self._workflow_with([{"action_type": "post_note", "note_body": "<p>Check the label.</p>"}],
                                   name="Note")
        for sequence, workflow in enumerate((tagging, status, answering, skipped, note)):
            workflow.sequence = sequence
        message = self._post_buyer(self.conv_allegro, at=TUESDAY_NOON)
        self.assertEqual(self.conv_allegro.tag_ids, self.returns | self.urgent)
        self.assertEqual(self.conv_allegro.status_id, self.st_waiting)
        self.assertTrue(self.conv_allegro.message_ids.filtered(lambda m: "Check the label" in (m.body or "")))
        self.assertEqual(self._replies(message).workflow_id, answering, "one answer, by the first sending workflow")
        decision = self._decision(message)
        self.assertEqual((decision.workflow_id, decision.answers), (answering, True))
        self.assertEqual(decision.applied_workflow_ids, [tagging.id, status.id, note.id])
        self.assertEqual(decision.skipped_workflow_ids, [skipped.id])
        self.assertEqual(decision.applied_names, "Tag returns, Waiting, Note")
        lines = self._decisions(message)
        self.assertEqual(lines.filtered("applied").workflow_id, tagging | status | note)
        self.assertEqual(lines.filtered(lambda line: line.workflow_id == note).reason,
                         "all conditions hold (1): its actions apply; it sends no message, the answer is left to "
                         "others")
        self.assertIn("text-info", decision.explanation_html)
        # counters: a workflow that applied is neither sent nor skipped
        workflows = tagging | answering | skipped
        workflows.invalidate_recordset()
        self.assertEqual([(w.skipped_count, w.applied_count) for w in workflows], [(0, 1), (0, 0), (1, 0)])
        self.assertTrue(tagging.last_triggered)
        stats = self.env["responso.statistics"].search([("workflow_id", "=", tagging.id)])
        self.assertEqual([(s.kind, s.applied_count, s.skipped_count) for s in stats], [("applied", 1, 0)])
        # the reasons in the reader's language
        install_languages(self.env, "fr_FR")
        french = self._decisions(message).filtered(lambda line: line.workflow_id == note).with_context(lang="fr_FR")
        self.assertNotIn("its actions apply", french.reason)

    def test_assign_to_an_agent(self):
        self._workflow_with([{"action_type": "assign", "user_id": self.agent_2.id}])
        self._post_buyer(self.conv_allegro, at=TUESDAY_NOON)
        self.assertEqual(self.conv_allegro.user_id, self.agent_2)

    def test_assign_round_robin_among_the_account_team(self):
        self.acc_allegro.user_ids = self.agent | self.agent_2
        self._workflow_with([{"action_type": "assign", "assign_to": "team"}])
        conversations = [self._conversation(self.acc_allegro, self.src_messages, self.buyer, f"Thread {i}")
                         for i in range(4)]
        for conversation in conversations:
            self._post_buyer(conversation, at=TUESDAY_NOON)
        first, second = sorted((self.agent | self.agent_2).ids)
        self.assertEqual([c.user_id.id for c in conversations], [first, second, first, second])
        # an account without a team leaves the conversation unassigned
        lonely = self._conversation(self.acc_amazon, self.src_amazon, self.buyer, "No team")
        self._post_buyer(lonely, at=TUESDAY_NOON)
        self.assertFalse(lonely.user_id)

    def test_no_answer_needed(self):
        self._workflow_with([{"action_type": "no_answer_needed"}],
                            conditions=[{"kind": "message_text", "phrases": "thank you\ndziękuję"}])
        message = self._post_buyer(self.conv_allegro, body="<p>Dziękuję!</p>", at=TUESDAY_NOON)
        self.assertTrue(self.conv_allegro.responso_no_answer_needed)
        self.assertEqual(self.conv_allegro.responso_no_answer_message_id, message)
        self._post_buyer(self.conv_allegro, body="<p>One more question</p>", at=TUESDAY_NOON)
        self.assertFalse(self.conv_allegro.responso_no_answer_needed, "the buyer's next message needs an answer")

    def test_no_answer_needed_on_the_first_message_stops_the_clock(self):
        """The clock starts with the buyer's first message, before the workflow's actions: "no answer needed" on
        that very message stops it (no deadline, no warning to the team)."""
        self._workflow_with([{"action_type": "no_answer_needed"}],
                            conditions=[{"kind": "message_text", "phrases": "thank you\ndziękuję"}])
        conversation = self._conversation(self.acc_allegro, self.src_messages, self.buyer_2, "Thanks")
        self._post_buyer(conversation, body="<p>Dziękuję!</p>", at=TUESDAY_NOON)
        self.assertEqual(conversation.responso_clock_stop_reason, "no_answer_needed")
        self.assertEqual(conversation.responso_clock_state, "stopped")

    def test_no_action_when_the_workflow_does_not_match(self):
        self._workflow_with([{"action_type": "add_tags", "tag_ids": [Command.set(self.urgent.ids)]}],
                            conditions=[{"kind": "message_text", "phrases": "pilne"}])
        self._post_buyer(self.conv_allegro, body="<p>Hello</p>", at=TUESDAY_NOON)
        self.assertFalse(self.conv_allegro.tag_ids)

    @users("responso_manager")
    def test_bad_input_is_refused_with_a_clear_error(self):
        cases = [
            ({"action_type": "add_tags"}, "choose the tags to add or remove"),
            ({"action_type": "remove_tags"}, "choose the tags to add or remove"),
            ({"action_type": "set_status"}, "choose the status to set"),
            ({"action_type": "assign", "assign_to": "agent"}, "choose the agent to assign"),
            ({"action_type": "post_note", "note_body": "<p><br></p>"}, "write the internal note"),
        ]
        for values, message in cases:
            with self.subTest(values=values), self.assertRaises(ValidationError) as caught:
                self._workflow_with([values])
            self.assertIn(message, str(caught.exception))
        self._workflow_with([{"action_type": "set_status", "status_id": self.st_waiting.id},
                             {"action_type": "add_tags", "tag_ids": [Command.set(self.returns.ids)]}])
        with self.assertRaises(UserError) as caught:
            self.returns.sudo().unlink()
        self.assertIn("“Return” is used by the workflow “Actions”", str(caught.exception))
        with self.assertRaises(UserError):
            self.st_waiting.sudo().unlink()

    @users("responso_manager")
    def test_form(self):
        form = Form(self.env["responso.workflow"], view=FORM_VIEW)
        form.name = "Returns"
        form.description = "Tags returns and tells the team"
        with form.condition_ids.new() as condition:
            condition.kind = "return_created"
        with form.action_ids.new() as action:
            action.action_type = "add_tags"
            action.tag_ids.add(self.returns)
        with form.action_ids.new() as action:
            action.action_type = "assign"
            action.assign_to = "team"
        workflow = form.save()
        tags, assign = workflow.action_ids
        self.assertEqual(tags.details, "Return")
        self.assertEqual(assign.details, "The account's team (round robin)")
