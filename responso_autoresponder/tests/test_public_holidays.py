import pytz

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..models.resource_calendar_holidays import holiday_countries, load_public_holidays
from .common import ResponsoCase, warsaw


@tagged("post_install", "-at_install")
class TestPublicHolidays(ResponsoCase):
    """"Add public holidays" loads a country's (and region's) holidays from the holidays package as whole days of
    time off of a working-hours calendar; loading again updates, never duplicates."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls.env["resource.calendar"].create({
            "name": "Warsaw office", "tz": "Europe/Warsaw", "company_id": cls.company.id})
        cls.berlin = cls.env["resource.calendar"].create({
            "name": "Munich office", "tz": "Europe/Berlin", "company_id": cls.company.id})

    def _holidays(self, calendar):
        return self.env["resource.calendar.leaves"].search(
            [("calendar_id", "=", calendar.id), ("responso_holiday_key", "!=", False)])

    def _wizard(self, **values):
        return self.env["responso.calendar.holidays.wizard"].with_context(
            active_model="resource.calendar", active_id=self.calendar.id).create(dict({
                "country_code": "PL", "year_from": 2026, "year_to": 2026}, **values))

    def test_poland_2026(self):
        result = self._wizard().action_apply()
        self.assertEqual(result["tag"], "display_notification")
        leaves = self._holidays(self.calendar)
        by_key = {leave.responso_holiday_key: leave for leave in leaves}
        self.assertEqual(len(leaves), 14)
        independence = by_key["PL:2026-11-11"]
        self.assertEqual(independence.date_from, warsaw(2026, 11, 11, 0, 0), "midnight in Warsaw")
        self.assertEqual(independence.date_to, warsaw(2026, 11, 11, 23, 59, 59))
        self.assertFalse(independence.resource_id, "time off of the whole calendar")
        self.assertEqual(independence.time_type, "leave")
        self.assertEqual(independence.company_id, self.company)
        self.assertIn("PL:2026-04-06", by_key, "Easter Monday")
        self.assertIn("PL:2026-05-03", by_key, "Constitution Day")
        # the calendar (the default 40-hour week) no longer works on 11 November
        self.assertFalse(self.calendar._responso_is_working_time(
            pytz.utc.localize(warsaw(2026, 11, 11, 10, 0)), "Europe/Warsaw"))
        self.assertTrue(self.calendar._responso_is_working_time(
            pytz.utc.localize(warsaw(2026, 11, 12, 10, 0)), "Europe/Warsaw"))

    def test_loading_again_updates_and_never_duplicates(self):
        self._wizard().action_apply()
        leaves = self._holidays(self.calendar)
        leaves.filtered(lambda leave: leave.responso_holiday_key == "PL:2026-11-11").name = "Renamed"
        stale = self.env["resource.calendar.leaves"].create({
            "name": "No longer a holiday", "calendar_id": self.calendar.id, "responso_holiday_key": "PL:2026-07-01",
            "date_from": warsaw(2026, 7, 1, 0, 0), "date_to": warsaw(2026, 7, 1, 23, 59, 59)})
        manual = self.env["resource.calendar.leaves"].create({
            "name": "Inventory day", "calendar_id": self.calendar.id,
            "date_from": warsaw(2026, 7, 2, 0, 0), "date_to": warsaw(2026, 7, 2, 23, 59, 59)})
        added, updated, removed = load_public_holidays(self.calendar, "PL", "", 2026, 2027)
        self.assertEqual((added, updated, removed), (14, 1, 1), "2027 added, the renamed one restored")
        self.assertFalse(stale.exists())
        self.assertTrue(manual.exists(), "time off typed in by hand stays")
        self.assertEqual(len(self._holidays(self.calendar)), 28)
        self.assertEqual(load_public_holidays(self.calendar, "PL", "", 2026, 2027), (0, 0, 0))
        self.assertEqual(len(self._holidays(self.calendar)), 28)

    def test_region_bavaria(self):
        load_public_holidays(self.berlin, "DE", "BY", 2026, 2026)
        keys = set(self._holidays(self.berlin).mapped("responso_holiday_key"))
        self.assertIn("DE-BY:2026-01-06", keys, "Epiphany, a Bavarian holiday")
        self.assertIn("DE-BY:2026-10-03", keys, "German Unity Day, national")
        self.assertIn("DE-BY:2026-06-04", keys, "Corpus Christi in Bavaria")
        load_public_holidays(self.berlin, "DE", "", 2026, 2026)
        national = {key for key in self._holidays(self.berlin).mapped("responso_holiday_key")
                    if key.startswith("DE:")}
        self.assertNotIn("DE:2026-01-06", national, "not a holiday in Berlin")
        self.assertEqual(len(self._holidays(self.berlin)), len(keys) + len(national), "regions are kept apart")

    def test_names_in_the_users_language(self):
        self.env["res.lang"]._activate_lang("pl_PL")
        load_public_holidays(self.calendar.with_context(lang="pl_PL"), "PL", False, 2026, 2026)
        leave = self._holidays(self.calendar).filtered(lambda leave: leave.responso_holiday_key == "PL:2026-11-11")
        self.assertEqual(leave.name, "Narodowe Święto Niepodległości")

    def test_marketplace_countries_first(self):
        countries = [code for code, _name in holiday_countries(self.env)]
        self.assertEqual(countries[:10], ["PL", "CZ", "SK", "HU", "DE", "FR", "IT", "ES", "GB", "US"])
        self.assertGreater(len(countries), 50)

    def test_wrong_region_or_years(self):
        with self.assertRaisesRegex(UserError, "XX is not a region of DE"):
            self._wizard(country_code="DE", subdivision="XX").action_apply()
        with self.assertRaises(UserError):
            self._wizard(year_from=2027, year_to=2026).action_apply()
        with self.assertRaises(UserError):
            self._wizard(year_from=2020, year_to=2040).action_apply()
        self.assertIn("BY", self._wizard(country_code="DE").subdivision_hint)

    def test_holidays_stop_the_out_of_hours_calendar(self):
        """A working-hours condition reads the calendar's holidays: 11 November is out of hours in Poland."""
        load_public_holidays(self.calendar, "PL", False, 2026, 2026)
        self.assertFalse(self.calendar._responso_is_working_time(
            pytz.utc.localize(warsaw(2026, 11, 11, 11, 0)), "Europe/Warsaw"))
