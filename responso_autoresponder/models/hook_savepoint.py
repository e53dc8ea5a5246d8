"""The savepoint of the buyer-message hook, without round trips of its own.

Whatever fails in the autoresponder, the buyer's message is kept: its work runs in a savepoint
(``_responso_handle_buyer_message_safely``). Odoo's savepoint sends SAVEPOINT and RELEASE as statements of their own:
two round trips on every buyer message of a company with workflows, about 0.4 ms of a 6–8 ms ``message_post`` (a
tenth of what the autoresponder adds). Here SAVEPOINT travels with the work's first statement (the history query)
and RELEASE with its last (the outcome's INSERT) when nothing is written after it, in one query string each; a
failure rolls back to it as Odoo's savepoint does.
"""

import uuid

from psycopg2.extensions import TRANSACTION_STATUS_INERROR

from odoo.tools import SQL


class HookSavepoint:
    """Pending until its first statement runs; open; released (by its last statement, or by ``close``)."""

    def __init__(self, cr):
        self._cr = cr
        self._name = SQL.identifier(f"responso_{uuid.uuid1().hex}")
        self._state = "pending"

    def execute(self, query, release=False):
        """Run `query` in the savepoint, opening it first if needed; with `release`, release it after `query` in the
        same round trip (nothing of the work may write after it, and `query`'s result cannot be fetched)."""
        parts = [query]
        if self._state == "pending":
            parts.insert(0, SQL("SAVEPOINT %s", self._name))
        if release:
            parts.append(SQL("RELEASE SAVEPOINT %s", self._name))
        try:
            self._cr.execute(SQL("; ").join(parts))
        except Exception:
            # the server ran the string up to the failing statement, SAVEPOINT first: it exists; a query that
            # never left (refused by the driver) leaves the transaction as it was, with no savepoint to undo
            if self._state == "pending" and self._cr.connection.info.transaction_status == TRANSACTION_STATUS_INERROR:
                self._state = "open"
            raise
        self._state = "released" if release else "open"

    def close(self):
        """The work succeeded: release the savepoint, unless its last statement did."""
        if self._state == "open":
            self._cr.execute(SQL("RELEASE SAVEPOINT %s", self._name))
        self._state = "released"

    def rollback(self):
        """The work failed: undo what it wrote, if any of it ran."""
        if self._state == "open":
            self._cr.execute(SQL("ROLLBACK TO SAVEPOINT %s", self._name))
            self._cr.execute(SQL("RELEASE SAVEPOINT %s", self._name))
        self._state = "released"
