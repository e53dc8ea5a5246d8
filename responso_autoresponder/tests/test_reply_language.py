from odoo import Command
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

    # a template the seller rewrites -----------------------------------------------------------------------------
    def _add_amazon_template_as_french_manager(self):
        """The seed's way: a French manager (not an administrator) adds the Amazon template; its message comes with
        the template's texts in every installed language."""
        self.workflow.active = False
        self.company.partner_id.lang = "fr_FR"
        manager = self.env(user=self.manager, context=dict(self.env.context, lang="fr_FR"))
        template = manager.ref("responso_autoresponder.template_amazon")
        workflow = manager["responso.workflow"].browse(template.action_add_from_template()["res_id"])
        action = workflow.action_ids
        self.assertEqual(len(action), 1)
        shipped = action._fields["body_html"]._get_stored_translations(action)
        self.assertLessEqual({"en_US", "fr_FR", "pl_PL", "de_DE"}, set(shipped), "the template speaks them all")
        return workflow, action, shipped

    def _reply_text_of(self, text, lang):
        buyer = self.env["res.partner"].create({"name": lang, "email": f"{lang}@example.com", "lang": "en_US"})
        conversation = self._conversation(self.acc_amazon, self.src_amazon, buyer, lang)
        message = self._post_buyer(conversation, text, at=TUESDAY)
        self._send_due(at=TUESDAY.replace(minute=15))
        reply = self._replies(message)
        self.assertEqual(reply.state, "sent", reply.error)
        return reply

    def test_a_template_message_rewritten_in_french_is_what_every_buyer_gets(self):
        """Fault: the seller rewrote the template's message (the seed: "personnalisez-les selon vos besoins") in
        the French form, and every buyer writing another language still got the template's own text."""
        workflow, action, shipped = self._add_amazon_template_as_french_manager()
        own = "<p>Boutique fermée jusqu'au 7 janvier : nous vous répondrons ensuite.</p>"
        # as the form saves it: the workflow's write with its line
        workflow.write({"action_ids": [Command.update(action.id, {"body_html": own})]})
        for text, lang in (("Dzień dobry, kiedy dotrze moja paczka? Czekam już tydzień.", "pl_PL"),
                           ("Guten Tag, wann kommt mein Paket an? Ich warte schon eine Woche.", "de_DE"),
                           ("Hello, when will my parcel arrive? I have been waiting for a week.", "en_US")):
            with self.subTest(lang):
                reply = self._reply_text_of(text, lang)
                self.assertIn("Boutique fermée jusqu'au 7 janvier", reply.reply_message_id.body)
                self.assertNotEqual(reply.reply_message_id.body, shipped[lang])
                # the text is French, and so is the reply around it: not sent as if it were the buyer's language
                self.assertEqual((reply.lang, reply.lang_reason), ("fr_FR", "company"))
                self.assertTrue(reply.reply_message_id.subject.startswith("Réponse automatique :"))

    def test_a_translation_the_seller_wrote_stays_theirs(self):
        workflow, action, shipped = self._add_amazon_template_as_french_manager()
        polish = "<p>Sklep zamknięty do 7 stycznia: odpowiemy potem.</p>"
        action.update_field_translations("body_html", {"pl_PL": polish})
        workflow.write({"action_ids": [Command.update(action.id, {
            "body_html": "<p>Boutique fermée jusqu'au 7 janvier : nous vous répondrons ensuite.</p>"})]})
        texts = action._fields["body_html"]._get_stored_translations(action)
        self.assertEqual(texts["pl_PL"], polish)
        self.assertNotIn("de_DE", texts, "the template's German text no longer answers")
        self.assertEqual(texts["en_US"], texts["fr_FR"], "English, every language's fallback, is the new text")
        reply = self._reply_text_of("Dzień dobry, kiedy dotrze moja paczka? Czekam już tydzień.", "pl_PL")
        self.assertEqual((reply.lang, reply.lang_reason), ("pl_PL", "message"))
        self.assertIn("Sklep zamknięty do 7 stycznia", reply.reply_message_id.body)

    def test_the_template_itself_and_unchanged_saves_keep_every_language(self):
        workflow, action, shipped = self._add_amazon_template_as_french_manager()
        workflow.write({"action_ids": [Command.update(action.id, {"body_html": shipped["fr_FR"]})]})
        self.assertEqual(action._fields["body_html"]._get_stored_translations(action), shipped)
        template = self.env.ref("responso_autoresponder.template_amazon").action_ids
        template.with_context(lang="fr_FR").body_html = "<p>Nouveau modèle</p>"
        self.assertIn("pl_PL", template._fields["body_html"]._get_stored_translations(template))
