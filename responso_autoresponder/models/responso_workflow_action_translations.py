"""A message added from a template speaks every language the database has: the template's own texts, copied with
it. When the seller rewrites the message in their language, the texts of the other languages that are still the
template's would go on answering those buyers with the message the seller replaced. They follow the edit: dropped,
so that those buyers get the seller's text until it is translated again with the language button (English, which
Odoo keeps as every language's fallback, takes the new text). A translation the seller wrote is theirs: kept."""

from odoo import models
from odoo.tools import SQL

FIELD = "body_html"


# One concern per file (docs/architecture.md): this model is extended in several files of this addon on purpose,
# so pylint-odoo's advice to merge them does not apply.
# pylint: disable=consider-merging-classes-inherited
class ResponsoWorkflowAction(models.Model):
    _inherit = "responso.workflow.action"

    def write(self, vals):
        if FIELD not in vals:
            return super().write(vals)
        lang = self.env.lang or "en_US"
        field = self._fields[FIELD]
        before = {action: field._get_stored_translations(action) or {}
                  for action in self.filtered(lambda action: not action.workflow_id.is_template)}
        installed = {code for code, _name in self.env["res.lang"].get_installed()} | {"en_US"}
        result = super().write(vals)
        shipped = None
        for action, texts in before.items():
            edited = (field._get_stored_translations(action) or {}).get(lang)
            if edited is None or edited == texts.get(lang, texts.get("en_US")):
                continue  # not rewritten in this language
            if shipped is None:
                shipped = self._responso_template_texts()
            stale = [code for code, text in texts.items()
                     if code != lang and code in installed and text in shipped.get(code, ())]
            if stale:
                # as the user who wrote: the same rights and the same template-rendering check as their edit
                action._update_field_translations(FIELD, {
                    code: edited if code == "en_US" else False for code in stale})
        return result

    def _responso_template_texts(self):
        """{language: the texts the shipped templates' messages have in it}, in one query."""
        self.flush_model([FIELD, "workflow_id"])
        self.env["responso.workflow"].flush_model(["is_template"])
        self.env.cr.execute(SQL(
            """SELECT t.key, t.value
                 FROM responso_workflow_action a
                 JOIN responso_workflow w ON w.id = a.workflow_id AND w.is_template
                CROSS JOIN jsonb_each_text(a.%s) t""", SQL.identifier(FIELD)))
        texts = {}
        for code, text in self.env.cr.fetchall():
            texts.setdefault(code, set()).add(text)
        return texts
