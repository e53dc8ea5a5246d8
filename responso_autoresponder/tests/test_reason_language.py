from html import unescape

from odoo import Command
from odoo.tests import Form, tagged

from .common import ResponsoCase, install_languages, warsaw

SATURDAY_TEN = warsaw(2026, 11, 28, 10, 0)


@tagged("post_install", "-at_install")
class TestReasonLanguage(ResponsoCase):
    """A decision's reasons read in the reader's language from end to end, whatever the language the workflows
    were compiled in (the company's): condition types, record names, days, timezones and workflow names, with no
    fragment of another language ("Źródło Discussions Allegro", "(Europe/Warsaw)", "Sat 10:00")."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        install_languages(cls.env, "fr_FR", "pl_PL")
        cls.calendar = cls.env["resource.calendar"].create({
            "name": "Sklep", "company_id": cls.company.id, "tz": "Europe/Warsaw",
            "attendance_ids": [Command.create({"name": f"Day {day}", "dayofweek": str(day), "hour_from": 9,
                                               "hour_to": 17, "day_period": "morning"}) for day in range(5)]})

    def _decision_in(self, company_lang):
        """A Saturday 10:00 message that no workflow answers, the workflows compiled in `company_lang`."""
        self.company.partner_id.lang = company_lang
        ref = self.env.ref
        waiting = ref("responso_autoresponder.conversation_status_waiting")
        weekdays = self.env["responso.weekday"].search([("number", "<", 5)])
        for name, condition in (
                ("Discussions", {"kind": "source", "source_ids": [Command.set(self.src_discussions.ids)]}),
                ("Weekdays", {"kind": "weekday", "weekday_ids": [Command.set(weekdays.ids)]}),
                ("Shop hours", {"kind": "working_hours", "range_operator": "in", "calendar_id": self.calendar.id}),
                ("Afternoon", {"kind": "time_window", "range_operator": "in", "time_from": 12.0, "time_to": 17.0}),
                ("Waiting", {"kind": "status", "status_ids": [Command.set(waiting.ids)]})):
            workflow = self._workflow(name, conditions=[condition])
        workflow.update_field_translations("name", {"fr_FR": "En attente", "pl_PL": "Oczekujące"})
        self.conv_allegro.status_id = ref("responso_autoresponder.conversation_status_open")
        message = self._post_buyer(self.conv_allegro, "Gdzie jest moja paczka?", at=SATURDAY_TEN)
        decision = self._decision(message)
        self.assertEqual(decision.reason_code, "no_match")
        tz = {line["reason_params"].get("tz") for line in decision._responso_lines()} - {None}
        self.assertEqual(tz, {"Europe/Warsaw"}, "timezone ids are stored, names are shown")
        return decision

    def _read(self, decision, lang):
        decision = decision.with_context(lang=lang)
        decision.invalidate_recordset(["reason", "explanation_html"])
        return decision.reason, unescape(str(decision.explanation_html))

    def _assert_no_fragment(self, text, fragments):
        for fragment in fragments:
            self.assertNotIn(fragment, text)

    def test_polish_reader_of_a_french_company(self):
        reason, html = self._read(self._decision_in("fr_FR"), "pl_PL")
        self.assertEqual(reason, "żaden workflow nie pasuje (aktywnych: 5)")
        for text in ("Źródło Centrum wiadomości Allegro nie należy do: Dyskusje Allegro",
                     "sobota nie należy do: poniedziałek, wtorek, środa, czwartek, piątek (czas: Warszawa)",
                     "sobota 10:00 jest poza godzinami pracy Sklep (czas: Warszawa)",
                     "10:00 jest poza przedziałem 12:00–17:00 (czas: Warszawa)",
                     "Status Otwarta nie należy do: Oczekuje na kupującego",
                     "Oczekujące"):
            self.assertIn(text, html)
        self._assert_no_fragment(html, ("Discussions Allegro", "Europe/Warsaw", "Sat", "samedi", "lundi", "heure",
                                        "Time", "Ouverte", "En attente", "Source "))

    def test_french_reader_of_a_polish_company(self):
        reason, html = self._read(self._decision_in("pl_PL"), "fr_FR")
        self.assertEqual(reason, "aucun workflow ne s’applique (5 actifs)")
        for text in ("Source Centre de messages Allegro ne figure pas parmi Discussions Allegro",
                     "samedi ne figure pas parmi lundi, mardi, mercredi, jeudi, vendredi (heure : Varsovie)",
                     "samedi 10:00 se situe en dehors de l'horaire de travail Sklep (heure : Varsovie)",
                     "10:00 se situe en dehors de la plage 12:00–17:00 (heure : Varsovie)",
                     "Statut Ouverte ne figure pas parmi En attente de l’acheteur",
                     "En attente"):
            self.assertIn(text, html)
        self._assert_no_fragment(html, ("Dyskusje", "Centrum", "Europe/Warsaw", "Sat", "sobota", "czas",
                                        "Otwarta", "Oczekuj"))

    def test_english_reader(self):
        """English, and so a German reader: the addon's interface is not translated in German, its reasons read in
        English, timezone and names included (not "Warschau Zeit" in an English sentence)."""
        install_languages(self.env, "de_DE")
        decision = self._decision_in("fr_FR")
        _reason, html = self._read(decision, "en_US")
        self.assertEqual(self._read(decision, "de_DE")[1], html)
        for text in ("Source Allegro Message Center is not one of Allegro Discussions",
                     "Saturday is not one of Monday, Tuesday, Wednesday, Thursday, Friday (Warsaw Time)",
                     "Saturday 10:00 is outside the working hours of Sklep (Warsaw Time)",
                     "Status Open is not one of Waiting for buyer"):
            self.assertIn(text, html)
        self._assert_no_fragment(html, ("Europe/Warsaw", "Sat 10:00", "samedi", "Ouverte", "En attente"))

    def test_timezone_of_the_dry_run_and_the_settings(self):
        self.company.partner_id.lang = "pl_PL"
        workflow = self._workflow("Weekend", conditions=[
            {"kind": "weekday", "weekday_ids": [Command.set(self.env["responso.weekday"].search(
                [("number", ">=", 5)]).ids)]}, {"kind": "delay", "delay_amount": 10, "delay_unit": "minutes"}])
        wizard = self.env["responso.workflow.test.wizard"].with_context(lang="fr_FR").new({
            "workflow_id": workflow.id, "mode": "sample", "source_id": self.src_messages.id,
            "account_id": self.acc_allegro.id, "received_at": SATURDAY_TEN, "body": "Bonjour"})
        self.assertTrue(wizard.answers, wizard.verdict)
        self.assertIn("(heure : Varsovie ; ", wizard.when_text)
        self.assertNotIn("Europe/Warsaw", wizard.when_text)
        wizard.received_at = warsaw(2026, 12, 1, 12, 0)
        self.assertIn("mardi ne figure pas parmi samedi, dimanche (heure : Varsovie)", wizard.verdict)
        self.env.user.lang = "pl_PL"
        settings = Form(self.env["res.config.settings"].with_context(lang="pl_PL"))
        settings.responso_tz = "Europe/Paris"
        self.assertIn("czas: Paryż", settings.responso_tz_explained)
        self.assertNotIn("Europe/Paris", settings.responso_tz_explained)

    def test_loop_guard_signals_in_the_readers_language(self):
        """The loop guard's rules are short English texts stored on the message: shown in the reader's language,
        the quoted phrase, header or address kept; the hold reason and note in the company's."""
        self.company.partner_id.lang = "fr_FR"
        self._workflow("Each message")
        self._post_buyer(self.conv_allegro, "Je suis absent du bureau jusqu'au 5 janvier.", at=SATURDAY_TEN)
        self.assertEqual(self.conv_allegro.responso_hold_reason, "formule d’absence « Je suis absent du bureau »")
        note = self.conv_allegro.message_ids.filtered(lambda m: m.subtype_id == self.env.ref("mail.mt_note"))[:1]
        self.assertIn("formule d’absence « Je suis absent du bureau »", unescape(str(note.body)))
        Decision = self.env["responso.decision"]
        for lang, signal, text in (
                ("pl_PL", "sender mailer-daemon@example.com",
                 "wiadomość automatyczna: nadawca mailer-daemon@example.com"),
                ("fr_FR", "List-Id header", "message automatique : en-tête List-Id"),
                ("fr_FR", "Allegro issue: author unknown", "message automatique : Allegro (litige) : auteur inconnu"),
                ("pl_PL", "Auto-Submitted: auto-replied", "wiadomość automatyczna: Auto-Submitted: auto-replied"),
                ("en_US", "sender mailer-daemon@example.com", "automatic message: sender mailer-daemon@example.com")):
            with self.subTest(signal, lang=lang):
                self.assertEqual(Decision.with_context(lang=lang)._responso_reason_text(
                    "automatic_message", {"signal": signal}), text)
        self.assertEqual(Decision.with_context(lang="pl_PL")._responso_reason_text(
            "held_for_human", {"reason": "out-of-office phrase “absent”"}),
            "czeka na człowieka: fraza nieobecności „absent”")

    def test_decisions_grouped_by_outcome_read_as_words(self):
        """Fault: *Group by Reason* in the Decisions log listed the engine's codes (no_match, automatic_message…)."""
        no_match = self._decision_in("fr_FR")
        self._workflow("Each message")
        automatic = self._decision(self._post_buyer(
            self.conv_amazon, "Je suis absent du bureau jusqu'au 5 janvier.", at=SATURDAY_TEN))
        self.assertEqual(automatic.reason_code, "held_for_human")
        answered = self._decision(self._post_buyer(self.conv_email, "Bonjour ?", at=SATURDAY_TEN))
        self.assertEqual(answered.reason_code, "matched")
        for lang, expected in (("fr_FR", {"Aucun workflow ne s'applique", "En attente d'un humain", "Répondu"}),
                               ("pl_PL", {"Żaden workflow nie pasuje", "Czeka na człowieka", "Odpowiedziano"})):
            with self.subTest(lang):
                # as a manager who is not an administrator groups the log in the search bar
                Decision = self.env(user=self.manager, context={"lang": lang})["responso.decision"]
                labels = dict(Decision.fields_get(["reason_code"])["reason_code"]["selection"])
                groups = Decision.read_group([("id", "in", (no_match | automatic | answered).ids)],
                                             ["reason_code"], ["reason_code"])
                self.assertEqual({labels[group["reason_code"]] for group in groups}, expected)
