import functools
from contextlib import nullcontext
from datetime import datetime

import pytz

from odoo import Command
from odoo.tests import TransactionCase, freeze_time

from odoo.addons.mail.tests.common import MailCase, mail_new_test_user

WARSAW = pytz.timezone("Europe/Warsaw")

RAW_EMAIL = """Return-Path: <{email_from}>
To: {to}
Received: by mail1.example.com (Postfix, from userid 10002)
    id 5DF9ABFB2A; Fri, 10 Aug 2026 16:16:39 +0200 (CEST)
From: {email_from}
Subject: {subject}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Date: Fri, 10 Aug 2026 14:16:26 +0000
Message-ID: {msg_id}
{extra}
{body}
"""


def install_languages(env, *langs):
    """Activate `langs` and load the addon's translations in them (as installing a language does)."""
    for lang in langs:
        env["res.lang"]._activate_lang(lang)
    env["ir.module.module"]._load_module_terms(["responso_autoresponder"], list(langs), overwrite=True)


def warsaw(*args):
    """A Europe/Warsaw wall-clock time, as the naive UTC datetime Odoo stores."""
    return WARSAW.localize(datetime(*args)).astimezone(pytz.utc).replace(tzinfo=None)


class ResponsoCase(TransactionCase, MailCase):
    """Fixtures: a company in Warsaw, one account per integration, buyers, conversations, agents.

    Takes only the mail mocks (MailCase), not mail's ready-made test base: that one switches Odoo's template
    rendering restriction off (every employee becomes a Mail Template Editor), which would hide what real managers and
    agents may do. Here the restriction stays on, as in a fresh database."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param("mail.restrict.template.rendering", True)
        cls.user_admin = cls.env.ref("base.user_admin")
        cls.company = cls.company_admin = cls.user_admin.company_id
        cls.company.write({"email": "your.company@example.com", "name": "YourTestCompany"})
        cls.company.responso_tz = "Europe/Warsaw"
        cls.company_2 = cls.env["res.company"].create({"name": "Company 2", "email": "company_2@test.example.com"})
        cls.user_admin.write({"company_ids": [Command.link(cls.company_2.id)]})
        cls._init_mail_gateway()
        cls._init_mail_servers()
        cls.manager = mail_new_test_user(
            cls.env, login="responso_manager", name="Maria Manager", company_id=cls.company.id,
            groups="base.group_user,responso_autoresponder.group_responso_manager", notification_type="inbox")
        cls.agent = mail_new_test_user(
            cls.env, login="responso_agent", name="Adam Agent", company_id=cls.company.id,
            groups="base.group_user,responso_autoresponder.group_responso_user", notification_type="inbox")
        ref = cls.env.ref
        cls.src_discussions = ref("responso_autoresponder.source_allegro_discussions")
        cls.src_messages = ref("responso_autoresponder.source_allegro_messages")
        cls.src_amazon = ref("responso_autoresponder.source_amazon")
        cls.src_ebay = ref("responso_autoresponder.source_ebay")
        cls.src_email = ref("responso_autoresponder.source_email")
        cls.int_allegro = ref("responso_autoresponder.integration_allegro")
        cls.int_amazon = ref("responso_autoresponder.integration_amazon")
        cls.int_ebay = ref("responso_autoresponder.integration_ebay")
        cls.int_email = ref("responso_autoresponder.integration_email")
        Account = cls.env["responso.account"]
        cls.acc_allegro = Account.create({"name": "Shop Allegro", "integration_id": cls.int_allegro.id,
                                          "company_id": cls.company.id, "user_ids": [Command.set(cls.agent.ids)]})
        cls.acc_allegro_2 = Account.create({"name": "Second Allegro", "integration_id": cls.int_allegro.id,
                                            "company_id": cls.company.id})
        cls.acc_amazon = Account.create({"name": "Shop Amazon", "integration_id": cls.int_amazon.id,
                                         "company_id": cls.company.id})
        cls.acc_email = Account.create({"name": "Shop Mailbox", "integration_id": cls.int_email.id,
                                        "company_id": cls.company.id, "user_ids": [Command.set(cls.agent.ids)]})
        Partner = cls.env["res.partner"]
        cls.buyer = Partner.create({"name": "Jan Buyer", "email": "jan.buyer@example.com"})
        cls.buyer_2 = Partner.create({"name": "Ewa Buyer", "email": "ewa.buyer@example.com"})
        cls.conv_allegro = cls._conversation(cls.acc_allegro, cls.src_messages, cls.buyer, "Where is my parcel?")
        cls.conv_email = cls._conversation(cls.acc_email, cls.src_email, cls.buyer_2, "Invoice")
        cls.conv_amazon = cls._conversation(cls.acc_amazon, cls.src_amazon, cls.buyer, "Amazon question")
        cls.cron = ref("responso_autoresponder.ir_cron_send_due_replies")
        # caps have tests of their own (test_immunity); elsewhere many messages share a conversation
        cls.env["ir.config_parameter"].set_param("responso_autoresponder.cap_conversation_day", 1000)
        # demo data may hold workflows of its own: tests start from none
        cls.env["responso.workflow"].search([("is_template", "=", False)]).unlink()

    @classmethod
    def _conversation(cls, account, source, buyer, subject, **values):
        return cls.env["responso.conversation"].create(dict({
            "name": subject, "account_id": account.id, "source_id": source.id, "buyer_id": buyer.id,
        }, **values))

    @classmethod
    def _workflow(cls, name="Autoresponder", conditions=None, body="<p>We will answer within 24 hours.</p>",
                  **values):
        """A workflow with the given condition values (default: each new message) and one message."""
        conditions = conditions or [{"kind": "trigger", "trigger": "each_message"}]
        return cls.env["responso.workflow"].create(dict({
            "name": name,
            "description": f"{name}: test workflow",
            "company_id": cls.company.id,
            "tz": "Europe/Warsaw",
            "interval_minutes": 0,  # throttling has tests of its own
            "condition_ids": [Command.create(vals) for vals in conditions],
            "action_ids": [Command.create({"body_html": body})],
        }, **values))

    def _post_buyer(self, conversation, body="Hello?", at=None, **kwargs):
        """Post a message as the conversation's buyer (as a connector does), at a Warsaw time if given."""
        author = kwargs.pop("author", conversation.buyer_id)
        if at is None:
            return conversation.message_post(body=body, author_id=author.id, message_type="comment",
                                             subtype_xmlid="mail.mt_comment", **kwargs)
        with freeze_time(at):
            return conversation.message_post(body=body, author_id=author.id, message_type="comment",
                                             subtype_xmlid="mail.mt_comment", **kwargs)

    def _decision(self, message):
        """The message's decision row (one per buyer message)."""
        return self.env["responso.decision"].search([("message_id", "=", message.id)])

    def _decisions(self, message):
        """Every active workflow's decision for the message, as the decision log explains it."""
        decision = self._decision(message)
        self.assertLessEqual(len(decision), 1, "one decision row per buyer message")
        return DecisionLines(self.env, decision)

    def _replies(self, message):
        return self.env["responso.reply"].search([("trigger_message_id", "=", message.id)])

    def _answering(self, message):
        return self._decisions(message).filtered("answers").workflow_id

    def _send_due(self, at=None):
        """What the two sending jobs do when they run: the upkeep (sends a crash interrupted, chatter copies to post
        again), then the due replies."""
        with freeze_time(at) if at else nullcontext():
            self.env["responso.reply"]._cron_sending_upkeep()
            return self.env["responso.reply"]._cron_send_due()


class DecisionLine:
    """One workflow's line of a decision's explanation, read like the record it used to be."""

    def __init__(self, env, decision, line):
        self._env, self.decision = env, decision
        self.workflow_id = env["responso.workflow"].with_context(active_test=False).browse(
            line["workflow_id"]).exists()
        self.workflow_name = line["workflow_name"]
        self.answers = line["answers"]
        self.applied = line.get("applied", False)
        self.reason_code = line["reason_code"]
        self.reason_params = line["reason_params"]

    @property
    def reason(self):
        return self.decision._responso_reason_text(self.reason_code, self.reason_params)

    def invalidate_recordset(self, fnames=None):
        self.decision.invalidate_recordset()

    def with_context(self, **context):
        line = DecisionLine.__new__(DecisionLine)
        line.__dict__.update(self.__dict__)
        line.decision = self.decision.with_context(**context)
        return line


class DecisionLines(list):
    """The lines of one decision's explanation, with the little recordset API the tests use."""

    def __init__(self, env, decision):
        super().__init__(DecisionLine(env, decision, line) for line in (decision._responso_lines() if decision else []))
        self._empty_workflow = env["responso.workflow"]

    def filtered(self, predicate):
        test = (lambda line: getattr(line, predicate)) if isinstance(predicate, str) else predicate
        lines = DecisionLines.__new__(DecisionLines)
        list.__init__(lines, (line for line in self if test(line)))
        lines._empty_workflow = self._empty_workflow
        return lines

    def _one(self):
        if len(self) != 1:
            raise ValueError(f"expected one decision line, got {len(self)}")
        return self[0]

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        if name == "workflow_id":  # as a recordset's many2one: the union, empty when there is no line
            return functools.reduce(lambda a, b: a | b, (line.workflow_id for line in self), self._empty_workflow)
        return getattr(self._one(), name)

    def with_context(self, **context):
        return self._one().with_context(**context)

    def invalidate_recordset(self, fnames=None):
        for line in self:
            line.invalidate_recordset(fnames)
