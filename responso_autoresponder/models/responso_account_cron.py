"""One polling job (ir.cron) per API account, kept in step with the account's name and active flag."""

from odoo import _, api, fields, models

from .responso_account_api import API_INTEGRATIONS


# One concern per file (docs/architecture.md): responso.account is extended in several files of this addon on
# purpose, so pylint-odoo's advice to merge them does not apply.
# pylint: disable=consider-merging-classes-inherited
class ResponsoAccount(models.Model):
    _inherit = "responso.account"

    # administrators only: the job is written as superuser when the account changes, so a manager who could point
    # it at another job would rename or stop that one
    poll_cron_id = fields.Many2one("ir.cron", string="Polling Job", readonly=True, copy=False, ondelete="set null",
                                   groups="base.group_system")

    @api.model_create_multi
    def create(self, vals_list):
        accounts = super().create(vals_list)
        accounts._responso_sync_cron()
        return accounts

    def write(self, vals):
        res = super().write(vals)
        if {"active", "integration_id", "name"} & set(vals):
            self._responso_sync_cron()
        return res

    def unlink(self):
        crons = self.sudo().poll_cron_id
        res = super().unlink()
        crons.unlink()
        return res

    def _responso_sync_cron(self):
        Cron = self.env["ir.cron"].sudo()
        for account in self.sudo():
            if account.integration_code not in API_INTEGRATIONS:
                continue
            values = {"name": _("Autoresponder: fetch messages of %(account)s", account=account.name),
                      "active": account.active}
            if account.poll_cron_id and account.poll_cron_id.code != account._responso_poll_code():
                account.poll_cron_id = False  # not this account's own job (set by hand): left alone, a new one made
            if account.poll_cron_id:
                account.poll_cron_id.write(values)
                account._responso_translate_cron_name()
                continue
            account.poll_cron_id = Cron.create(dict(values, **{
                "model_id": self.env["ir.model"]._get_id("responso.account"),
                "state": "code",
                "code": account._responso_poll_code(),
                "interval_number": 5,
                "interval_type": "minutes",
                "user_id": self.env.ref("base.user_root").id,
            }))
            account._responso_translate_cron_name()

    def _responso_poll_code(self):
        return "model.browse(%d)._responso_poll()" % self.id

    def _responso_translate_cron_name(self):
        """The job's name in every installed language, not only in the language of whoever saved the account."""
        self.ensure_one()
        names = {lang: self.with_context(lang=lang).env._("Autoresponder: fetch messages of %(account)s",
                                                          account=self.name)
                 for lang, _label in self.env["res.lang"].get_installed()}
        self.poll_cron_id.ir_actions_server_id.update_field_translations("name", names)
