from odoo.tests import tagged

from .common import ResponsoCase, install_languages, warsaw

TUESDAY = warsaw(2026, 12, 1, 12, 0)
BODIES = {
    "fr_FR": "<p>Nous vous répondons sous 24 heures.</p>",
    "pl_PL": "<p>Odpowiemy w ciągu 24 godzin.</p>",
}


@tagged("post_install", "-at_install")
class TestReplyLanguage(ResponsoCase):
    """The reply speaks the buyer's language: detected in the message's text, else the buyer's, the marketplace
    site's, the account's, the company's, among the languages the workflow's message is written in."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        langs = ["fr_FR", "pl_PL", "de_DE", "cs_CZ"]
        install_languages(cls.env, *langs)
        # the seller's setup in the fault report: an English company, buyers without a language
        cls.company.partner_id.lang = "en_US"
        (cls.buyer | cls.buyer_2).lang = False
        cls.workflow = cls._workflow("Each message", body="<p>We will answer within 24 hours.</p>")
        cls.workflow.action_ids.update_field_translations("body_html", BODIES)

    def _reply(self, conversation, text):
        message = self._post_buyer(conversation, text, at=TUESDAY)
        self._send_due(at=TUESDAY)
        reply = self._replies(message)
        self.assertEqual(reply.state, "sent", reply.error)
        return reply

    def test_french_buyer_on_amazon_gets_french(self):
        reply = self._reply(self.conv_amazon, "Bonjour, quand arrive mon colis ?")
        self.assertEqual((reply.lang, reply.lang_reason), ("fr_FR", "message"))
        self.assertIn("Nous vous répondons sous 24 heures.", reply.reply_message_id.body)
        self.assertTrue(reply.reply_message_id.subject.startswith("Réponse automatique :"))

    def test_polish_buyer_gets_polish(self):
        reply = self._reply(self.conv_email, "Dzień dobry, kiedy dotrze moja paczka?")
        self.assertEqual((reply.lang, reply.lang_reason), ("pl_PL", "message"))
        self.assertIn("Odpowiemy w ciągu 24 godzin.", reply.reply_message_id.body)

    def test_fallbacks_in_order(self):
        """A short text tells nothing: the buyer's language, else the site's, the account's, the company's."""
        account = self.acc_amazon
        cases = [
            ("company", {"company": "fr_FR"}, ("fr_FR", "company")),
            ("account", {"company": "fr_FR", "account": "pl_PL"}, ("pl_PL", "account")),
            ("site", {"company": "fr_FR", "account": "pl_PL", "site": "amazon.fr"}, ("fr_FR", "site")),
            ("buyer", {"company": "fr_FR", "account": "fr_FR", "site": "amazon.fr", "buyer": "pl_PL"},
             ("pl_PL", "buyer")),
            ("nothing", {}, ("en_US", "default")),
        ]
        for label, setup, expected in cases:
            with self.subTest(label):
                self.company.partner_id.lang = setup.get("company", False)
                account.write({"lang": setup.get("account", False), "marketplace_site": setup.get("site", False)})
                buyer = self.env["res.partner"].create({"name": f"Buyer {label}", "email": f"{label}@example.com",
                                                     "lang": setup.get("buyer", False)})
                conversation = self._conversation(account, self.src_amazon, buyer, label)
                reply = self._reply(conversation, "Merci")
                self.assertEqual((reply.lang, reply.lang_reason), expected)

    def test_a_language_the_message_is_not_written_in_is_skipped(self):
        """A German buyer on amazon.fr: the message has no German text, the site's French is next."""
        self.acc_amazon.marketplace_site = "amazon.fr"
        reply = self._reply(self.conv_amazon, "Guten Tag, wann kommt mein Paket an?")
        self.assertEqual((reply.lang, reply.lang_reason), ("fr_FR", "site"))

    def test_allegro_accounts_sell_on_allegro_pl(self):
        self.assertEqual(self.acc_allegro.marketplace_site, "allegro.pl")
        reply = self._reply(self.conv_allegro, "Dzięki!")
        self.assertEqual((reply.lang, reply.lang_reason), ("pl_PL", "site"))

    def test_templates_answer_in_german_and_czech(self):
        self.workflow.active = False
        template = self.env.ref("responso_autoresponder.template_amazon")
        self.env["responso.workflow"].browse(template.action_add_from_template()["res_id"])
        for text, lang, word in (("Guten Tag, wann kommt mein Paket an?", "de_DE", "Guten Tag"),
                                 ("Dobrý den, kdy dorazí můj balík?", "cs_CZ", "Dobrý den")):
            with self.subTest(lang):
                buyer = self.env["res.partner"].create({"name": lang, "email": f"{lang}@example.com"})
                conversation = self._conversation(self.acc_amazon, self.src_amazon, buyer, lang)
                message = self._post_buyer(conversation, text, at=TUESDAY)
                self._send_due(at=TUESDAY.replace(minute=10))
                reply = self._replies(message)
                self.assertEqual(reply.state, "sent", reply.error)
                self.assertEqual((reply.lang, reply.lang_reason), (lang, "message"))
                self.assertIn(word, reply.reply_message_id.body)
