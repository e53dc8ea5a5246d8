import json

from odoo import api, fields, models, tools
from odoo.tools import SQL

from ..engine.snapshot import specs_from_data


class ResponsoWorkflowSnapshot(models.Model):
    """The workflows of a company as the engine saw them, stored once per distinct configuration (keyed by its
    digest). Decisions point to one, so that their explanation never changes when workflows are edited."""

    _name = "responso.workflow.snapshot"
    _description = "Autoresponder Workflows Snapshot"
    _log_access = False

    key = fields.Char(required=True, readonly=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    specs = fields.Json(required=True, readonly=True)
    created_on = fields.Datetime(readonly=True, default=fields.Datetime.now)

    _sql_constraints = [("key_company_unique", "UNIQUE(key, company_id)", "A snapshot is stored once.")]

    @api.model
    def _responso_store(self, company_id, key, data):
        """Store the snapshot if it is new. Called when workflows are compiled (a cache miss), inside the
        current transaction: should it roll back, the compiled cache is dropped with it, so that the next message
        compiles and stores the snapshot again (a snapshot is content-addressed: storing it twice is harmless)."""
        self.env.cr.execute(SQL(
            """INSERT INTO responso_workflow_snapshot (key, company_id, specs, created_on)
               VALUES (%s, %s, %s::jsonb, now() at time zone 'UTC')
               ON CONFLICT (key, company_id) DO NOTHING""",
            key, company_id, json.dumps(data)))
        registry = self.env.registry
        self.env.cr.postrollback.add(registry.clear_cache)

    @tools.ormcache("key", "company_id")
    def _responso_specs(self, key, company_id):
        """The engine specs of a snapshot (cached: snapshots never change); KeyError when unknown (not cached:
        it may have been stored after this transaction began)."""
        self.env.cr.execute(SQL("SELECT specs FROM responso_workflow_snapshot WHERE key = %s AND company_id = %s",
                                key, company_id))
        row = self.env.cr.fetchone()
        if not row:
            raise KeyError(key)
        return tuple(specs_from_data(row[0]))
