from odoo.exceptions import ValidationError
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
