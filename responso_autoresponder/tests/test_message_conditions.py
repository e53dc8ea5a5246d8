from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged, users

from .common import ResponsoCase, warsaw
from .test_workflow_form import FORM_VIEW

TUESDAY_NOON = warsaw(2026, 12, 1, 12, 0)


@tagged("post_install", "-at_install")
class TestMessageConditions(ResponsoCase):
    """Conditions on the message itself (sender, subject, customer name, text, new conversation, return): the form,
    the decision log's reason, and the effect, through the real message path."""

    def _answers(self, workflow, conversation=None, body="Hello?", **kwargs):
        message = self._post_buyer(conversation or self.conv_allegro, body=body, at=TUESDAY_NOON, **kwargs)
        return self._answering(message) == workflow

    def _reason(self, conversation=None, body="Hello?"):
        message = self._post_buyer(conversation or self.conv_allegro, body=body, at=TUESDAY_NOON)
        return self._decisions(message).reason

    def test_sender_email(self):
        workflow = self._workflow(conditions=[{"kind": "sender_email",
                                               "email_patterns": "Jan.Buyer@example.com\n"}])
        self.assertTrue(self._answers(workflow))
        self.assertFalse(self._answers(workflow, self.conv_email))
        self.assertEqual(self._reason(self.conv_email),
                         "Sender e-mail ewa.buyer@example.com is not one of jan.buyer@example.com")
        workflow.condition_ids.email_patterns = "*@example.com"
        self.assertTrue(self._answers(workflow, self.conv_email), "a *@domain pattern matches the whole domain")
        workflow.condition_ids.operator = "not_in"
        self.assertFalse(self._answers(workflow, self.conv_email))
        self.assertEqual(self._reason(self.conv_email),
                         "Sender e-mail ewa.buyer@example.com is one of the excluded *@example.com")
        workflow.condition_ids.email_patterns = "*@shop.pl"
        self.assertTrue(self._answers(workflow, self.conv_email))

    def test_message_contains(self):
        workflow = self._workflow(conditions=[{"kind": "message_text", "phrases": "przesyłka\n  \nZwrot"}])
        self.assertTrue(self._answers(workflow, body="<p>Gdzie jest moja PRZESYLKA?</p>"), "accents and case ignored")
        self.assertTrue(self._answers(workflow, body="<p>Chcę zrobić zwrot</p>"))
        self.assertFalse(self._answers(workflow, body="<p>Dziękuję</p>"))
        self.assertEqual(self._reason(body="<p>Dziękuję</p>"), "Message contains none of przesylka, zwrot")
        workflow.condition_ids.text_operator = "not_in"
        self.assertTrue(self._answers(workflow, body="<p>Dziękuję</p>"))
        self.assertFalse(self._answers(workflow, body="<p>ZWROT!</p>"))
        self.assertEqual(self._reason(body="<p>ZWROT!</p>"), "Message contains the excluded “zwrot”")

    def test_subject_contains(self):
        workflow = self._workflow(conditions=[{"kind": "subject", "phrases": "parcel"}])
        self.assertTrue(self._answers(workflow), "a marketplace message reads its conversation's subject")
        self.assertFalse(self._answers(workflow, self.conv_email))
        self.assertTrue(self._answers(workflow, self.conv_email, subject="Re: my PARCEL"),
                        "a message with a subject of its own is read by it")
        workflow.condition_ids.text_operator = "not_in"
        self.assertFalse(self._answers(workflow))
        self.assertTrue(self._answers(workflow, self.conv_email))

    def test_customer_name_contains(self):
        workflow = self._workflow(conditions=[{"kind": "customer_name", "phrases": "jan"}])
        self.assertTrue(self._answers(workflow))
        self.assertFalse(self._answers(workflow, self.conv_email))
        self.assertEqual(self._reason(self.conv_email), "Customer name contains none of jan")
        workflow.condition_ids.text_operator = "not_in"
        self.assertTrue(self._answers(workflow, self.conv_email))

    def test_new_conversation(self):
        workflow = self._workflow(conditions=[{"kind": "new_conversation"}])
        fresh = self._conversation(self.acc_allegro, self.src_messages, self.buyer, "Fresh")
        self.assertTrue(self._answers(workflow, fresh))
        self.assertFalse(self._answers(workflow, fresh))
        self.assertEqual(self._reason(fresh), "the message does not open a new conversation")
        workflow.condition_ids.flag_operator = "not_in"
        self.assertTrue(self._answers(workflow, fresh))
        other = self._conversation(self.acc_allegro, self.src_messages, self.buyer, "Other")
        self.assertFalse(self._answers(workflow, other))

    def test_return_created(self):
        workflow = self._workflow(conditions=[{"kind": "return_created"}])
        self.assertFalse(self._answers(workflow))
        self.assertEqual(self._reason(), "the conversation is not a return or post-purchase issue")
        self.conv_allegro.responso_is_return = True
        self.assertTrue(self._answers(workflow))
        workflow.condition_ids.flag_operator = "not_in"
        self.assertFalse(self._answers(workflow))
        self.assertEqual(self._reason(), "the conversation is a return or post-purchase issue")

    @users("responso_manager")
    def test_bad_input_is_refused_with_a_clear_error(self):
        cases = [
            ({"kind": "message_text", "phrases": ""}, "write at least one phrase"),
            ({"kind": "subject", "phrases": "  \n \n"}, "write at least one phrase"),
            ({"kind": "customer_name"}, "write at least one phrase"),
            ({"kind": "sender_email", "email_patterns": ""}, "choose at least one value"),
            ({"kind": "sender_email", "email_patterns": "jan@example.com\njan@"}, "“jan@” is not an e-mail address"),
            ({"kind": "sender_email", "email_patterns": "*@*.example.com"}, "is not an e-mail address"),
            ({"kind": "sender_email", "email_patterns": "jan"}, "e.g. jan@example.com or *@example.com"),
        ]
        for values, message in cases:
            with self.subTest(values=values), self.assertRaises(ValidationError) as caught:
                self._workflow(conditions=[values])
            self.assertIn(message, str(caught.exception))

    @users("responso_manager")
    def test_form_shows_operator_and_values(self):
        form = Form(self.env["responso.workflow"], view=FORM_VIEW)
        form.name = "Returns"
        form.description = "Returns get the return procedure"
        with form.action_ids.new() as action:
            action.body_html = "<p>Here is how to return an item.</p>"
        with form.condition_ids.new() as condition:
            condition.kind = "message_text"
            self.assertEqual(condition.text_operator, "in")
            condition.phrases = "zwrot\nreturn"
        with form.condition_ids.new() as condition:
            condition.kind = "sender_email"
            condition.email_patterns = "*@allegromail.pl"
        with form.condition_ids.new() as condition:
            condition.kind = "new_conversation"
            condition.flag_operator = "not_in"
        workflow = form.save()
        text, email, new = workflow.condition_ids
        self.assertEqual((text.operator_label, text.values_label), ("contains", "zwrot\nreturn"))
        self.assertEqual((email.operator_label, email.values_label), ("is one of", "*@allegromail.pl"))
        self.assertEqual((new.operator_label, new.values_label), ("is not", ""))
        self.assertEqual(text.summary, "Message contains zwrot, return")


@tagged("post_install", "-at_install")
class TestConversationConditions(ResponsoCase):
    """Conditions on the conversation: its tags, its status, when the buyer last wrote."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Tag = cls.env["responso.conversation.tag"]
        cls.urgent, cls.vip = Tag.create([{"name": "Urgent"}, {"name": "VIP"}])
        cls.st_open = cls.env.ref("responso_autoresponder.conversation_status_open")
        cls.st_waiting = cls.env.ref("responso_autoresponder.conversation_status_waiting")
        cls.st_closed = cls.env.ref("responso_autoresponder.conversation_status_closed")

    def _answers(self, workflow, conversation=None, at=TUESDAY_NOON):
        message = self._post_buyer(conversation or self.conv_allegro, at=at)
        return self._answering(message) == workflow

    def _reason(self, conversation=None, at=TUESDAY_NOON):
        return self._decisions(self._post_buyer(conversation or self.conv_allegro, at=at)).reason

    def test_tag(self):
        workflow = self._workflow(conditions=[{"kind": "tag", "tag_ids": [Command.set((self.urgent | self.vip).ids)]}])
        self.assertFalse(self._answers(workflow))
        self.assertEqual(self._reason(), "none of the tags Urgent, VIP is set")
        self.conv_allegro.tag_ids = self.vip
        self.assertTrue(self._answers(workflow))
        workflow.condition_ids.tag_operator = "not_in"
        self.assertFalse(self._answers(workflow))
        self.assertEqual(self._reason(), "the excluded tag VIP is set")
        self.conv_allegro.tag_ids = False
        self.assertTrue(self._answers(workflow))

    def test_status(self):
        self.assertEqual(self.conv_allegro.status_id, self.st_open, "a new conversation is open")
        workflow = self._workflow(conditions=[{"kind": "status", "status_ids": [Command.set(self.st_waiting.ids)]}])
        self.assertFalse(self._answers(workflow))
        self.assertEqual(self._reason(), "Status Open is not one of Waiting for buyer")
        self.conv_allegro.status_id = self.st_waiting
        self.assertTrue(self._answers(workflow))
        workflow.condition_ids.operator = "not_in"
        self.assertFalse(self._answers(workflow))

    def test_status_follows_open_and_closed(self):
        conversation = self.conv_allegro
        conversation.status_id = self.st_closed
        self.assertEqual(conversation.state, "closed", "a closed status closes the conversation")
        conversation.action_reopen()
        self.assertEqual(conversation.status_id, self.st_open)
        conversation.status_id = self.st_waiting
        self.assertEqual(conversation.state, "open")
        conversation.action_close()
        self.assertEqual(conversation.status_id, self.st_closed)

    def test_last_customer_response(self):
        workflow = self._workflow(conditions=[{"kind": "last_response", "duration_amount": 2,
                                               "duration_unit": "days"}])
        conversation = self._conversation(self.acc_allegro, self.src_messages, self.buyer, "Slow buyer")
        self.assertFalse(self._answers(workflow, conversation, at=warsaw(2026, 12, 1, 12, 0)))
        self.assertEqual(self._reason(conversation, at=warsaw(2026, 12, 1, 12, 1)),
                         "the buyer last wrote 1 min ago, not more than 2880 min ago")
        self.assertTrue(self._answers(workflow, conversation, at=warsaw(2026, 12, 4, 12, 0)))
        workflow.condition_ids.duration_operator = "not_in"
        self.assertTrue(self._answers(workflow, conversation, at=warsaw(2026, 12, 4, 13, 0)))
        fresh = self._conversation(self.acc_allegro, self.src_messages, self.buyer, "First")
        self.assertEqual(self._reason(fresh), "no earlier message of the buyer in this conversation")

    def test_bad_input_and_used_records(self):
        cases = [
            ({"kind": "tag"}, "choose at least one value"),
            ({"kind": "status"}, "choose at least one value"),
            ({"kind": "last_response", "duration_amount": 0}, "must be positive"),
        ]
        for values, message in cases:
            with self.subTest(values=values), self.assertRaises(ValidationError) as caught:
                self._workflow(conditions=[values])
            self.assertIn(message, str(caught.exception))
        workflow = self._workflow(conditions=[{"kind": "tag", "tag_ids": [Command.set(self.urgent.ids)]}])
        with self.assertRaises(UserError) as caught:
            self.urgent.unlink()
        self.assertIn("“Urgent” is used by the workflow “Autoresponder”", str(caught.exception))
        self.urgent.active = False  # archiving stays possible
        self.assertEqual(workflow.condition_ids.values_label, "Urgent")

    def test_tags_cost_no_query_unless_asked(self):
        self._workflow()
        self.conv_allegro.tag_ids = self.urgent
        message = self._post_buyer(self.conv_allegro, at=TUESDAY_NOON)
        self.assertEqual(self._decision(message).inputs["facts"]["tags"], [],
                         "no workflow asks about tags: they are not read")
        self._workflow("Tagged", conditions=[{"kind": "tag", "tag_ids": [Command.set(self.urgent.ids)]}])
        message = self._post_buyer(self.conv_allegro, at=TUESDAY_NOON)
        self.assertEqual(self._decision(message).inputs["facts"]["tags"], self.urgent.ids)


@tagged("post_install", "-at_install", "is_query_count")
class TestMessageConditionQueries(ResponsoCase):
    """Text, tag, status and last-response conditions cost the same queries with 1 or 60 workflows."""

    def _queries_with(self, count, tag):
        self.env["responso.workflow"].search([("is_template", "=", False)]).unlink()
        for index in range(count):
            self._workflow(f"W{index}", conditions=[
                {"kind": "message_text", "phrases": f"phrase {index}\nparcel"},
                {"kind": "sender_email", "email_patterns": "*@example.com"},
                {"kind": "subject", "text_operator": "not_in", "phrases": f"spam {index}"},
                {"kind": "tag", "tag_operator": "not_in", "tag_ids": [Command.set(tag.ids)]},
                {"kind": "status", "operator": "not_in",
                 "status_ids": [Command.set(self.env.ref("responso_autoresponder.conversation_status_closed").ids)]},
                {"kind": "last_response", "duration_operator": "not_in", "duration_amount": 30},
                {"kind": "new_conversation", "flag_operator": "not_in"},
            ])
        self._post_buyer(self.conv_allegro, "Where is my parcel?", at=TUESDAY_NOON)  # warm the caches up
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        message = self._post_buyer(self.conv_allegro, "Where is my parcel?", at=TUESDAY_NOON)
        self.env.flush_all()
        queries = self.env.cr.sql_log_count - before
        self.assertTrue(self._decision(message).answers)
        return queries

    def test_queries_do_not_grow_with_the_workflows(self):
        tag = self.env["responso.conversation.tag"].create({"name": "Spam"})
        self._queries_with(1, tag)  # the conversation's first messages cost more (followers, first message)
        self.assertEqual(self._queries_with(1, tag), self._queries_with(60, tag))
