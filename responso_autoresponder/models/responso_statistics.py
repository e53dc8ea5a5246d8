from odoo import fields, models, tools
from odoo.tools import SQL

from .responso_decision import OUTCOMES

# A buyer message counts as answered by a person when a public, non-automatic message by an internal user follows it
# in its thread within this window. One window for every marketplace until the response clock gives each its own
# (Allegro, Amazon and eBay measure their response times differently): replace the constant then.
HUMAN_ANSWER_WINDOW_HOURS = 24

# Why a buyer message or a workflow was not answered: a decision's outcome (responso_decision.OUTCOMES) other than an
# answer, or a workflow skipped for the message
REASONS = [outcome for outcome in OUTCOMES if outcome[0] != "matched"] + [
    ("already_answered", "Another workflow answered"),
    ("first_held_back", "An earlier workflow was held back"),
    ("no_action", "No action"),
    ("other", "Other"),
]


class ResponsoStatistics(models.Model):
    """Autoresponder statistics: one row per event, so that every measure adds up (and the share of buyer messages
    a person answered in time averages over buyer messages only) whatever the grouping — day, workflow, source,
    account, reason.

    Events: a buyer message (with its decision, if the autoresponder judged it), a workflow skipped for a buyer
    message because another one answered it, a workflow that sends no message applying its actions to a buyer
    message (neither sent nor skipped), an automatic reply (sent, failed, cancelled or still pending). Days are
    UTC days: of the buyer message, or of the reply's sending (due date while it is not sent)."""

    _name = "responso.statistics"
    _description = "Autoresponder Statistics"
    _auto = False
    _rec_name = "date"
    _order = "date desc"

    date = fields.Date(readonly=True)
    kind = fields.Selection([("message", "Buyer message"), ("skipped", "Workflow skipped"),
                             ("applied", "Workflow applied"), ("reply", "Automatic reply")],
                            string="Event", readonly=True)
    workflow_id = fields.Many2one("responso.workflow", readonly=True, context={"active_test": False})
    source_id = fields.Many2one("responso.source", readonly=True)
    account_id = fields.Many2one("responso.account", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    reason = fields.Selection(REASONS, string="Reason Not Answered", readonly=True,
                              help="Why the autoresponder did not answer (skipped messages and workflows).")
    message_count = fields.Integer("Buyer Messages", readonly=True, aggregator="sum")
    answered_count = fields.Integer("Answered Automatically", readonly=True, aggregator="sum",
                                    help="Buyer messages a workflow decided to answer.")
    skipped_count = fields.Integer("Skipped", readonly=True, aggregator="sum",
                                   help="Buyer messages not answered; for a workflow, also the messages it matched "
                                        "while another workflow answered.")
    applied_count = fields.Integer(
        "Actions Applied", readonly=True, aggregator="sum",
        help="Buyer messages a workflow that sends no message applied its actions to (tags, assignment, status, "
             "note, \"no answer needed\").")
    sent_count = fields.Integer("Replies Sent", readonly=True, aggregator="sum")
    failed_count = fields.Integer("Replies Failed", readonly=True, aggregator="sum")
    cancelled_count = fields.Integer("Replies Cancelled", readonly=True, aggregator="sum")
    pending_count = fields.Integer(
        "Replies Pending", readonly=True, aggregator="sum",
        help="Replies not sent, failed or cancelled yet: scheduled, being sent, or maybe sent (being checked on the "
             "marketplace, or waiting for a person to check).")
    human_answered_count = fields.Integer(
        "Answered by a Person in Time", readonly=True, aggregator="sum",
        help="Buyer messages followed within 24 hours by a public message of an internal user in their thread.")
    human_answer_rate = fields.Float(
        "Answered by a Person in Time (%)", readonly=True, aggregator="avg", digits=(16, 1),
        help="The share of buyer messages followed within 24 hours by a public message of an internal user.")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        # each branch reads its own tables (no CTE, no window function): filters on the view (a date range, a
        # workflow) reach them. Ids: a buyer message's id × 4, a reply's × 4 + 1, a skipped workflow's
        # (decision id × 1024 + its place in the list) × 4 + 2, an applied workflow's × 4 + 3
        buyer = SQL(
            """mail_message b
          LEFT JOIN responso_decision d ON d.message_id = b.id
          LEFT JOIN responso_account a ON a.id = b.responso_account_id""")
        company = SQL("COALESCE(d.company_id, b.record_company_id, a.company_id)")

        def per_listed_workflow(column, id_offset, kind, reason, skipped, applied):
            """One event per workflow of the decision's JSON list `column` (skipped, applied)."""
            return SQL(
                """SELECT (d.id::bigint * 1024 + listed.position) * 4 + %(offset)s, b.date::date, %(kind)s, w.id,
                          b.responso_source_id, b.responso_account_id, %(company)s,
                          %(reason)s, 0, 0, %(skipped)s, %(applied)s, 0, 0, 0, 0, 0, NULL
                     FROM %(buyer)s
                     CROSS JOIN LATERAL jsonb_array_elements_text(
                         CASE WHEN jsonb_typeof(%(column)s) = 'array' THEN %(column)s ELSE '[]'::jsonb END)
                         WITH ORDINALITY AS listed(workflow_id, position)
                     JOIN responso_workflow w ON w.id = listed.workflow_id::int
                    WHERE b.responso_kind = 'buyer' AND %(column)s IS NOT NULL""",
                offset=id_offset, kind=kind, company=company, reason=reason, skipped=skipped, applied=applied,
                buyer=buyer, column=SQL.identifier("d", column))
        self.env.cr.execute(SQL(
            """CREATE OR REPLACE VIEW %(view)s AS (
                 SELECT events.* FROM (
                     SELECT b.id::bigint * 4 AS id, b.date::date AS date, 'message' AS kind, d.workflow_id,
                            b.responso_source_id AS source_id,
                            b.responso_account_id AS account_id, %(company)s AS company_id,
                            CASE WHEN d.id IS NULL OR d.answers THEN NULL
                                 WHEN d.reason_code IN %(known)s THEN d.reason_code ELSE 'other' END AS reason,
                            1 AS message_count, CASE WHEN d.answers THEN 1 ELSE 0 END AS answered_count,
                            CASE WHEN d.id IS NOT NULL AND NOT d.answers THEN 1 ELSE 0 END AS skipped_count,
                            0 AS applied_count, 0 AS sent_count, 0 AS failed_count, 0 AS cancelled_count,
                            0 AS pending_count,
                            human.answered AS human_answered_count, 100.0 * human.answered AS human_answer_rate
                       FROM %(buyer)s
                       CROSS JOIN LATERAL (
                           SELECT CASE WHEN EXISTS(
                               SELECT 1 FROM mail_message r
                                 JOIN mail_message_subtype st ON st.id = r.subtype_id AND st.internal IS NOT TRUE
                                 JOIN res_users u ON u.partner_id = r.author_id AND u.share IS NOT TRUE
                                WHERE r.model = b.model AND r.res_id = b.res_id AND r.id > b.id
                                  AND r.message_type IN ('comment', 'email') AND r.responso_kind IS NULL
                                  AND r.date <= b.date + interval '1 hour' * %(window)s) THEN 1 ELSE 0 END AS answered
                       ) AS human
                      WHERE b.responso_kind = 'buyer'
                     UNION ALL
                     %(skipped)s
                     UNION ALL
                     %(applied)s
                     UNION ALL
                     SELECT r.id::bigint * 4 + 1, COALESCE(r.sent_at, r.send_at)::date, 'reply', r.workflow_id,
                            m.responso_source_id, r.account_id, r.company_id, NULL, 0, 0, 0, 0,
                            CASE WHEN r.state = 'sent' THEN 1 ELSE 0 END,
                            CASE WHEN r.state = 'failed' THEN 1 ELSE 0 END,
                            CASE WHEN r.state = 'cancelled' THEN 1 ELSE 0 END,
                            CASE WHEN r.state IN ('scheduled', 'sending', 'verify', 'unknown') THEN 1 ELSE 0 END,
                            0, NULL
                       FROM responso_reply r
                       JOIN mail_message m ON m.id = r.trigger_message_id
                 ) AS events
               )""",
            view=SQL.identifier(self._table), buyer=buyer, company=company, window=HUMAN_ANSWER_WINDOW_HOURS,
            # skipped: another workflow answered, or the first match was held back by a guard and none did
            skipped=per_listed_workflow("skipped_workflow_ids", 2, "skipped", SQL(
                "CASE WHEN d.answers THEN 'already_answered' ELSE 'first_held_back' END"), 1, 0),
            applied=per_listed_workflow("applied_workflow_ids", 3, "applied", None, 0, 1),
            known=tuple(code for code, _label in REASONS)))
