from datetime import timedelta

import polib

from odoo.modules.module import get_module_path
from odoo.tests import TransactionCase, freeze_time, tagged
from odoo.tools.translate import TranslationModuleReader

from .common import ResponsoCase, install_languages, warsaw

MODULE = "responso_autoresponder"


@tagged("post_install", "-at_install")
class TestTranslations(TransactionCase):
    """Every term Odoo's own exporter finds in the addon (Python ``_()``, views, fields, selections, data) has a
    non-empty translation in each shipped language: a string added without its translations fails here."""

    LANGS = ("fr", "pl")

    def test_every_term_is_translated(self):
        reader = TranslationModuleReader(self.env.cr, modules=[MODULE])
        terms = {source for module, _ttype, _name, _res_id, source, _value, _comments in reader if module == MODULE}
        self.assertGreater(len(terms), 100, "the exporter found the addon's terms")
        for lang in self.LANGS:
            with self.subTest(lang):
                po = polib.pofile(f"{get_module_path(MODULE)}/i18n/{lang}.po")
                translated = {entry.msgid for entry in po if entry.msgstr.strip() and not entry.obsolete}
                missing = sorted(terms - translated)
                self.assertFalse(missing, f"{lang}.po lacks {len(missing)} translation(s):\n" + "\n".join(missing))


@tagged("post_install", "-at_install")
class TestLocalisedTexts(ResponsoCase):
    """Texts the autoresponder stores or sends are written in their reader's language, not in the language of
    whatever process (a cron, a connector, the mail gateway) happened to run."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        install_languages(cls.env, "fr_FR", "pl_PL")
        cls.company.partner_id.lang = "fr_FR"
        cls._workflow("Each message").action_ids.update_field_translations(
            "body_html", {"fr_FR": "<p>Nous répondons sous 24 heures.</p>"})

    def test_hold_reason_and_note_in_the_company_language(self):
        at = warsaw(2026, 12, 1, 12, 0)
        message = self._post_buyer(self.conv_allegro, "Where is my parcel?", at=at)
        self._send_due(at=at)
        self.assertEqual(self._replies(message).state, "sent")
        # a machine answers our automatic reply 10 seconds later (the cron's language is English)
        self._post_buyer(self.conv_allegro.with_context(lang="en_US"), "Where is my parcel? Please answer.",
                         at=at + timedelta(seconds=10))
        self.assertEqual(self.conv_allegro.responso_hold_reason,
                         "a répondu 10 s après notre réponse automatique")
        note = self.conv_allegro.message_ids.filtered(lambda m: m.subtype_id == self.env.ref("mail.mt_note"))[:1]
        self.assertIn("reste silencieux dans cette conversation", note.body)
        self.assertIn("a répondu 10 s après notre réponse automatique", note.body)

    def test_hold_text_in_the_readers_language(self):
        held = {"reason": "same text as an earlier message", "hold": "same_text", "hold_params": {}}
        Conversation = self.env["responso.conversation"]
        self.assertEqual(Conversation.with_context(lang="pl_PL")._responso_hold_text(held),
                         "ten sam tekst co we wcześniejszej wiadomości")
        self.assertEqual(Conversation.with_context(lang="en_US")._responso_hold_text(held),
                         "same text as an earlier message")
        self.assertEqual(Conversation._responso_hold_text({"reason": "out-of-office phrase “absent”"}),
                         "out-of-office phrase “absent”", "a quoted signal keeps its text")

    def test_pause_note_in_the_company_language(self):
        self.env["ir.config_parameter"].set_param("responso_autoresponder.cap_account_hour", 1)
        buyers = self.env["res.partner"].create([{"name": f"Buyer {i}"} for i in range(2)])
        for index, buyer in enumerate(buyers):
            conversation = self._conversation(self.acc_allegro, self.src_messages, buyer, buyer.name)
            self._post_buyer(conversation.with_context(lang="en_US"), "Hello",
                             at=warsaw(2026, 12, 1, 12, index))
        self.assertEqual(self.acc_allegro.responso_pause_reason, "1 réponses automatiques en une heure")
        self.assertIn("sont suspendues", self.acc_allegro.message_ids[0].body)

    def test_polling_job_named_in_every_language(self):
        account = self.env["responso.account"].with_context(lang="en_US").create({
            "name": "Sklep", "integration_id": self.int_allegro.id, "company_id": self.company.id})
        job = account.poll_cron_id
        self.assertEqual(job.with_context(lang="en_US").name, "Autoresponder: fetch messages of Sklep")
        self.assertEqual(job.with_context(lang="fr_FR").name, "Autoresponder : récupérer les messages de Sklep")
        self.assertNotEqual(job.with_context(lang="pl_PL").name, job.with_context(lang="en_US").name)

    def test_cancel_reason_in_the_company_language(self):
        """The cron runs in English; the reason an agent reads on a cancelled reply is in the company's language."""
        at = warsaw(2026, 12, 1, 12, 0)
        message = self._post_buyer(self.conv_allegro, "Where is my parcel?", at=at)
        self.env["responso.workflow"].search([("name", "=", "Each message")]).active = False
        reply = self._replies(message)
        reply._responso_write({"state": "scheduled"})  # queued again, as if the disable had come after the check
        with freeze_time(at):
            self.env["responso.reply"].with_context(lang="en_US")._cron_send_due()
        self.assertEqual(reply.state, "cancelled")
        self.assertEqual(reply.cancel_reason, "le workflow a été désactivé ou supprimé")

    def test_reply_subject_in_the_reply_language(self):
        """The cron runs in English; a French buyer's reply and its subject (chatter and e-mail) are French."""
        self.buyer_2.lang = "fr_FR"
        at = warsaw(2026, 12, 1, 12, 0)
        message = self._post_buyer(self.conv_email, "Bonjour, quand arrive mon colis ?", at=at)
        with self.mock_mail_gateway(), freeze_time(at):
            self.env["responso.reply"].with_context(lang="en_US")._cron_send_due()
        reply = self._replies(message)
        self.assertEqual(reply.state, "sent", reply.error)
        self.assertEqual(reply.reply_message_id.subject, "Réponse automatique : Invoice")
        self.assertEqual(self._mails[0]["subject"], "Réponse automatique : Invoice")
        self.assertIn("Nous répondons sous 24 heures.", self._mails[0]["body"])
