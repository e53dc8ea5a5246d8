"""Reasons in their reader's language, whatever language the engine decided in.

The engine names things in plain strings: timezone ids ("Europe/Warsaw"), English weekdays ("Saturday", "Sat"
in the working-hours reasons), and the names of sources, integrations, statuses, tags and workflows as they
were written when the workflows were compiled (in the company's language). Those strings are stored with the
decisions. Shown to a reader, each is turned into the reader's language here: a timezone as a person reads it,
a record's name in any of its languages into its name in the reader's. Stored data is never changed.
"""

import re

import pytz
from babel.dates import get_timezone, get_timezone_location

from odoo.tools import SQL
from odoo.tools.misc import babel_locale_parse, get_lang
from odoo.tools.translate import code_translations

from ..engine.reasons import WEEKDAY_NAMES

MODULE = "responso_autoresponder"
_PROBE = "%(actual)s is outside %(expected)s (%(tz)s)"  # a reason with a timezone, translated with the interface
# the models whose names a reason of a condition on that kind shows ("subject" of the reason)
NAMED_KINDS = {"source": "responso.source", "integration": "responso.integration",
               "status": "responso.conversation.status"}
WEEKDAY_CODES = ("weekday_not_in", "weekday_excluded")
WORKING_HOURS_CODES = ("outside_working_hours", "inside_working_hours")
# the engine writes a working-hours moment as "Sat 10:00" (strftime "%a %H:%M", C locale)
_DAY_AND_TIME = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{1,2}:\d{2})$")
_ABBREVIATED_DAYS = {name[:3]: name for name in WEEKDAY_NAMES}


def text_lang(env):
    """The language the addon's texts are shown in to the reader: the reader's when the addon's interface is
    translated in it (fr, pl), else English (a German reader reads the reasons in English: the names in them are
    English too, not a mix)."""
    lang = get_lang(env).code
    if lang.startswith("en") or code_translations.get_python_translations(MODULE, lang).get(_PROBE):
        return lang
    return "en_US"


def timezone_name(env, tz_name):
    """`tz_name` as a person reads it, in the language of the addon's texts (`text_lang`): CLDR's location format
    with the zone's city, as calendars and clocks show it ("Warsaw Time", "heure : Varsovie", "czas: Warszawa").
    UTC, fixed offsets (Etc/…) and names that are not timezones are shown as they are."""
    if not tz_name or tz_name not in pytz.all_timezones_set or "/" not in tz_name or tz_name.startswith("Etc/"):
        return tz_name
    try:
        locale = babel_locale_parse(text_lang(env))
        city = get_timezone_location(get_timezone(tz_name), locale=locale, return_city=True)
        return locale.zone_formats["region"] % city
    except (LookupError, ValueError, TypeError):
        return tz_name


def _signal_templates(env):
    """(the engine's English wording of a loop-guard rule, as a pattern; its words in the reader's language)."""
    _ = env._
    return (
        (r"out-of-office phrase “(?P<found>.*)”", _("out-of-office phrase “%(found)s”")),
        (r"automatic-reply subject “(?P<found>.*)”", _("automatic-reply subject “%(found)s”")),
        (r"our own message \((?P<name>[\w-]+) header\)", _("our own message (%(name)s header)")),
        (r"our own message \(loop tag in Message-ID\)", _("our own message (loop tag in Message-ID)")),
        (r"our own message \(Message-ID domain (?P<domain>.+)\)", _("our own message (Message-ID domain %(domain)s)")),
        (r"our own message \(sender (?P<sender>.+)\)", _("our own message (sender %(sender)s)")),
        (r"reply to Odoo's loop-detection bounce \((?P<name>.+)\)",
         _("reply to Odoo's loop-detection bounce (%(name)s)")),
        (r"(?P<name>[\w-]+) header", _("%(name)s header")),
        (r"empty Return-Path \(<>\)", _("empty Return-Path (<>)")),
        (r"sender (?P<sender>.+)", _("sender %(sender)s")),
        (r"bounce report \((?P<kind>.+)\)", _("bounce report (%(kind)s)")),
        (r"(?P<channel>.+): author unknown", _("%(channel)s: author unknown")),
        (r"(?P<channel>.+): author unknown \(role (?P<role>.+)\)", _("%(channel)s: author unknown (role %(role)s)")),
        (r"(?P<channel>.+): author unknown \(USER without a login to compare\)",
         _("%(channel)s: author unknown (USER without a login to compare)")),
        (r"(?P<channel>.+): author unknown \(no sender or account login to compare\)",
         _("%(channel)s: author unknown (no sender or account login to compare)")),
        (r"eBay: message from eBay \(FROM_EBAY\)", _("eBay: message from eBay (FROM_EBAY)")),
        (r"(?P<channel>.+): author role (?P<role>.+)", _("%(channel)s: author role %(role)s")),
        (r"(?P<channel>.+): our own message \((?P<login>.+)\)", _("%(channel)s: our own message (%(login)s)")),
        (r"(?P<channel>.+): author is not the interlocutor \((?P<login>.+)\)",
         _("%(channel)s: author is not the interlocutor (%(login)s)")),
    )


def signal_text(env, rule):
    """A loop-guard rule — the engine's short English text, stored on the message ("out-of-office phrase
    “absent”") — in the reader's language; a rule of another shape (a header and its value) stays as it is."""
    if not isinstance(rule, str) or not rule:
        return rule
    for pattern, template in _signal_templates(env):
        match = re.fullmatch(pattern, rule)
        if match:
            params = match.groupdict()
            if params.get("channel") == "Allegro issue":  # the marketplace rules' label of Allegro's issues
                params["channel"] = env._("Allegro issue")
            return template % params
    return rule


class ReaderLabels:
    """Turns the labels of reasons into the reader's language (one query per model, on first use)."""

    def __init__(self, env):
        self.env = env
        self.lang = text_lang(env)
        self.workflow_ids = ()  # the workflows whose names may be shown (their names are looked up among them)
        self._maps = {}

    def _names(self, model, ids=None):
        """{name in any language: name in the reader's} for the records of `model` (those of `ids` if given)."""
        key = (model, tuple(sorted(ids)) if ids is not None else None)
        if key not in self._maps:
            Model = self.env[model]
            Model.flush_model(["name"])
            where = SQL("id = ANY(%s)", list(ids)) if ids is not None else SQL("TRUE")
            self.env.cr.execute(SQL("SELECT name FROM %s WHERE %s", SQL.identifier(Model._table), where))
            rows = [names for (names,) in self.env.cr.fetchall() if isinstance(names, dict)]
            shown = [names.get(self.lang) or names.get("en_US") or next(iter(names.values()), "") for names in rows]
            mapping = {name: name for name in shown}  # a name already in the reader's language stays
            for names, name in zip(rows, shown, strict=True):
                for other in names.values():
                    mapping.setdefault(other, name)
            self._maps[key] = mapping
        return self._maps[key]

    def name(self, model, value, ids=None):
        if not isinstance(value, str):
            return value
        return self._names(model, ids).get(value, value)

    def names(self, model, values):
        """Names in the reader's language, in alphabetical order (the engine sorted them in its language)."""
        return sorted((self.name(model, value) for value in values or ()), key=str)

    def weekday(self, value):
        return self.name("responso.weekday", value)

    def weekdays(self, values):
        """Days in the reader's language, in the week's order (the engine sorted them by their names)."""
        if "weekday_order" not in self._maps:
            self.env["responso.weekday"].flush_model(["name", "number"])
            self.env.cr.execute(SQL("SELECT number, name FROM responso_weekday"))
            self._maps["weekday_order"] = {
                self.weekday(names.get("en_US")): number for number, names in self.env.cr.fetchall()}
        order = self._maps["weekday_order"]
        return sorted((self.weekday(day) for day in values or ()), key=lambda day: (order.get(day, 7), str(day)))

    def moment(self, value):
        """ "Sat 10:00" → "samedi 10:00" (the day in full, in the reader's language)."""
        match = _DAY_AND_TIME.match(value) if isinstance(value, str) else None
        if not match:
            return value
        return f"{self.weekday(_ABBREVIATED_DAYS[match.group(1)])} {match.group(2)}"

    def workflow(self, value):
        """A workflow's name as compiled (in the company's language) in the reader's, among `workflow_ids`."""
        return self.name("responso.workflow", value, ids=self.workflow_ids) if self.workflow_ids else value

    def relabel(self, code, params):
        """The parameters of reason `code` with their labels in the reader's language (a new dict)."""
        params = dict(params)
        subject = params.get("subject")
        if code in ("not_one_of", "one_of_excluded") and subject in NAMED_KINDS:
            model = NAMED_KINDS[subject]
            params["actual"] = self.name(model, params.get("actual"))
            params["expected"] = self.names(model, params.get("expected"))
        elif code in WEEKDAY_CODES:
            params["actual"] = self.weekday(params.get("actual"))
            params["expected"] = self.weekdays(params.get("expected"))
        elif code in WORKING_HOURS_CODES:
            params["actual"] = self.moment(params.get("actual"))
        elif code == "tag_not_set":
            params["expected"] = self.names("responso.conversation.tag", params.get("expected"))
        elif code == "tag_set":
            params["found"] = self.names("responso.conversation.tag", params.get("found"))
        elif code in ("already_answered", "first_held_back"):
            params["workflow"] = self.workflow(params.get("workflow"))
        elif code == "actions_applied":
            params["workflows"] = [self.workflow(name) for name in params.get("workflows") or ()]
        elif code == "automatic_message":
            params["signal"] = signal_text(self.env, params.get("signal"))
        if "tz" in params and code != "unknown_timezone":
            params["tz"] = timezone_name(self.env, params["tz"])
        return params
