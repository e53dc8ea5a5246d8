from datetime import datetime, time

import holidays
import pytz

from odoo import fields, models
from odoo.exceptions import UserError

# The marketplaces' countries, first in the list of countries
MARKETPLACE_COUNTRIES = ("PL", "CZ", "SK", "HU", "DE", "FR", "IT", "ES", "GB", "US")


def holiday_key(country, subdivision, day):
    """The key of a public holiday loaded on a calendar: re-loading finds it instead of adding it again."""
    region = f"{country}-{subdivision}" if subdivision else country
    return f"{region}:{day.isoformat()}"


class ResourceCalendarLeaves(models.Model):
    _inherit = "resource.calendar.leaves"

    responso_holiday_key = fields.Char(
        "Public Holiday Key", readonly=True, copy=False, index="btree_not_null",
        help="Country (and region) and date of a public holiday loaded from the holidays package.")

    _sql_constraints = [
        ("responso_holiday_key_unique", "UNIQUE(calendar_id, responso_holiday_key)",
         "This public holiday is already on this calendar."),
    ]


def holiday_countries(env):
    """(code, name) of the countries the holidays package knows, the marketplaces' countries first."""
    supported = holidays.list_supported_countries()
    names = {country.code: country.name for country in env["res.country"].search(
        [("code", "in", list(supported))])}
    first = [(code, names.get(code, code)) for code in MARKETPLACE_COUNTRIES if code in supported]
    rest = sorted(((code, names.get(code, code)) for code in supported
                   if code not in MARKETPLACE_COUNTRIES and len(code) == 2), key=lambda item: item[1])
    return first + rest


def holiday_subdivisions(country):
    return holidays.list_supported_countries().get(country, [])


def holiday_language(env, country):
    """The holidays' names in the user's language when the package has them, else in the country's own."""
    lang = env.lang or "en_US"
    localized = holidays.list_localized_countries().get(country, [])
    for candidate in (lang, lang.split("_")[0]):
        if candidate in localized:
            return candidate
    return None


def public_holidays(env, country, subdivision, year_from, year_to):
    """{date: name} of the public holidays of a country (and region) in the years, from the holidays package."""
    country = (country or "").upper()
    subdivision = (subdivision or "").strip() or None
    if country not in holidays.list_supported_countries():
        raise UserError(env._("No public holidays are known for the country %(country)s.", country=country or "?"))
    subdivisions = holiday_subdivisions(country)
    if subdivision and subdivision not in subdivisions:
        raise UserError(env._("%(region)s is not a region of %(country)s; its regions: %(regions)s.",
                              region=subdivision, country=country, regions=", ".join(subdivisions) or "-"))
    if not year_from or not year_to or year_from > year_to:
        raise UserError(env._("The first year must come before the last one."))
    if not (1900 <= year_from and year_to <= 2200):
        raise UserError(env._("Public holidays are known from 1900 to 2200."))
    if year_to - year_from >= 10:
        raise UserError(env._("Load at most 10 years at once."))
    return dict(holidays.country_holidays(
        country, subdiv=subdivision, years=range(year_from, year_to + 1),
        language=holiday_language(env, country)))


def load_public_holidays(calendars, country, subdivision, year_from, year_to):
    """Add the public holidays as time off of the `calendars` (whole days in each calendar's timezone).

    Idempotent: a holiday already loaded is updated, not added twice; one the package no longer lists in these
    years is removed. Returns the numbers of holidays added, updated and removed."""
    subdivision = (subdivision or "").strip() or False
    env = calendars.env
    days = public_holidays(env, country, subdivision, year_from, year_to)
    country = country.upper()
    prefix = holiday_key(country, subdivision, datetime(2000, 1, 1).date()).split(":")[0] + ":"
    Leaves = env["resource.calendar.leaves"]
    added = updated = removed = 0
    for calendar in calendars:
        tz = pytz.timezone(calendar.tz or "UTC")
        wanted = {holiday_key(country, subdivision, day): (day, name) for day, name in days.items()}
        existing = Leaves.search([("calendar_id", "=", calendar.id), ("resource_id", "=", False),
                                  ("responso_holiday_key", "=like", prefix + "%")])
        existing = existing.filtered(
            lambda leave: year_from <= int(leave.responso_holiday_key[len(prefix):][:4]) <= year_to)
        by_key = {leave.responso_holiday_key: leave for leave in existing}
        stale = existing.filtered(lambda leave, wanted=wanted: leave.responso_holiday_key not in wanted)
        removed += len(stale)
        stale.unlink()
        to_create = []
        for key, (day, name) in sorted(wanted.items()):
            values = {
                "name": name,
                "date_from": tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(
                    tzinfo=None),
                "date_to": tz.localize(datetime.combine(day, time(23, 59, 59))).astimezone(pytz.utc).replace(
                    tzinfo=None),
            }
            leave = by_key.get(key)
            if leave:
                changed = {field: value for field, value in values.items() if leave[field] != value}
                if changed:
                    leave.write(changed)
                    updated += 1
            else:
                to_create.append(dict(values, calendar_id=calendar.id, responso_holiday_key=key,
                                      company_id=(calendar.company_id or env.company).id,
                                      time_type="leave", resource_id=False))
        Leaves.create(to_create)
        added += len(to_create)
    return added, updated, removed
