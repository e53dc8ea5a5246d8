import logging
from datetime import timedelta

from odoo.tests import freeze_time, tagged

from .common import RAW_EMAIL, ResponsoCase, warsaw

_logger = logging.getLogger(__name__)

START = {  # when the buyer's first message arrives, for each template: a time it answers
    "template_amazon": warsaw(2026, 11, 27, 18, 30),
    "template_weekend": warsaw(2026, 11, 28, 11, 0),
    "template_out_of_hours": warsaw(2026, 11, 27, 18, 30),
}
HOURS = 72
BOT_HEADERS = "Auto-Submitted: auto-replied\nX-Autoreply: yes\nPrecedence: bulk\n"


@tagged("post_install", "-at_install")
class TestWeekendSoak(ResponsoCase):
    """An external autoresponder answers each of our replies at once, for 72 simulated hours, against each
    template; once with its headers, once without. We count our automatic replies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("responso_autoresponder.cap_conversation_day", 3)  # the default

    def _run(self, template, source, headers):
        workflow = self.env.ref(f"responso_autoresponder.{template}").action_add_from_template()
        workflow = self.env["responso.workflow"].browse(workflow["res_id"])
        account = self.acc_amazon if source == self.src_amazon else self.acc_email
        alias_name = f"soak-{template}-{int(headers)}".replace("_", "-")
        self.env["mail.alias"].create({
            "alias_name": alias_name,
            "alias_model_id": self.env["ir.model"]._get_id("responso.conversation"),
            "alias_defaults": {"account_id": account.id, "source_id": source.id},
            "alias_domain_id": self.mail_alias_domain.id,
        })
        bot = f"bot-{alias_name}@example.net"
        to = f"{alias_name}@test.mycompany.com"
        with freeze_time(START[template]):
            self.env["mail.thread"].sudo().message_process(None, RAW_EMAIL.format(
                email_from=bot, to=to, subject="Order question", msg_id=f"<first-{alias_name}@example.net>",
                extra="", body="Hello, where is my parcel?"))
        conversation = self.env["responso.conversation"].search([("buyer_id.email", "=", bot)])
        self.assertEqual(len(conversation), 1)
        self.assertTrue(conversation.reply_ids, conversation.decision_ids.mapped("reason"))
        now, end, answered = START[template], START[template] + timedelta(hours=HOURS), 0
        Reply = self.env["responso.reply"]
        while True:  # from one due reply to the next: each answer of the bot may queue another one
            due = Reply.search([("conversation_id", "=", conversation.id), ("state", "=", "scheduled")],
                               order="send_at", limit=1)
            if not due or due.send_at > end:
                break
            now = max(now, due.send_at)
            with freeze_time(now), self.mock_mail_gateway():
                Reply._cron_send_due()
            sent = conversation.message_ids.filtered(lambda m: m.responso_kind == "auto_reply")
            if len(sent) > answered:
                answered = len(sent)
                with freeze_time(now + timedelta(seconds=2)):  # the other autoresponder answers at once
                    self.env["mail.thread"].sudo().message_process(None, RAW_EMAIL.format(
                        email_from=bot, to=to, subject=f"Re: {sent[0].subject}",
                        msg_id=f"<bot-{answered}-{alias_name}@example.net>",
                        extra=(BOT_HEADERS if headers else "") + f"In-Reply-To: {sent[0].message_id}\n",
                        body=f"Your message was received (ticket {answered}). We will contact you."))
        workflow.active = False
        return answered, conversation

    def test_weekend_soak(self):
        caps = self.env["responso.conversation"]._responso_limits()
        limit = caps.conversation_per_day * HOURS // 24
        for template, source in (("template_amazon", self.src_amazon), ("template_weekend", self.src_email),
                                 ("template_out_of_hours", self.src_email)):
            for headers in (True, False):
                with self.subTest(template=template, headers=headers):
                    sent, conversation = self._run(template, source, headers)
                    _logger.info("soak %s, headers %s: %s automatic replies in %s h (cap %s), held: %s",
                                 template, headers, sent, HOURS, limit, conversation.responso_hold_reason)
                    if headers:
                        self.assertEqual(sent, 1)
                    else:
                        self.assertLessEqual(sent, limit)
                        self.assertGreaterEqual(sent, 1)
