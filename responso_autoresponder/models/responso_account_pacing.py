"""Pacing sends in the database, shared by every Odoo worker (issue 8, fault 5).

Allegro accepts one message per second per user (A1 newMessageInThreadPOST; docs/marketplace-contract.md). The
plain-Python client paces the sends of one process (`connectors/allegro/pacing.py`); with several Odoo workers (or
servers) each process had its own pace and together they went faster. Here one row per (API host, login) holds the
next moment a send may start, read and moved under a row lock in a transaction of its own, on the database's clock:
a worker waits for the row, waits until that moment, sends, and moves it `interval` after its send finished.
"""

import contextlib
import logging
import time

from odoo import api, fields, models
from odoo.sql_db import Cursor
from odoo.tools import SQL

from ..connectors.allegro import AllegroClient
from ..connectors.allegro.pacing import SEND_INTERVAL

_logger = logging.getLogger(__name__)


class ResponsoAccountPacing(models.Model):
    """The next moment a send may start, per marketplace user (written by SQL only, in its own transaction)."""

    _name = "responso.account.pacing"
    _description = "Marketplace Send Pacing"
    _log_access = False

    key = fields.Char(required=True, readonly=True, help="Integration, API host and login.")
    next_at = fields.Datetime("Next Send Allowed At", readonly=True)

    _sql_constraints = [("key_unique", "UNIQUE(key)", "One pacing row per marketplace user.")]


class DatabasePacer:
    """A pacer (`slot()`, as `connectors.allegro.pacing._SendPacer`) whose state is a row of
    responso_account_pacing: every process that paces the same key waits for the same row."""

    def __init__(self, registry, key, interval=SEND_INTERVAL, sleep=time.sleep):
        self.registry = registry
        self.key = key
        self.interval = interval
        self._sleep = sleep

    @contextlib.contextmanager
    def slot(self):
        with self.registry.cursor() as cr:  # its own transaction: the lock is released when the send is done
            self._read_committed(cr)
            cr.execute(SQL("INSERT INTO responso_account_pacing (key, next_at) VALUES (%s, NULL) "
                           "ON CONFLICT (key) DO NOTHING", self.key))
            cr.commit()  # pylint: disable=invalid-commit  # a cursor of its own: the row exists for every worker
            self._read_committed(cr)
            cr.execute(SQL(
                """SELECT GREATEST(0, EXTRACT(EPOCH FROM next_at - (clock_timestamp() AT TIME ZONE 'UTC')))
                     FROM responso_account_pacing WHERE key = %s FOR NO KEY UPDATE""", self.key))
            wait = float(cr.fetchone()[0] or 0)
            if wait > 0:
                self._sleep(wait)
            try:
                yield
            finally:
                # the next send starts `interval` after this one finished, whatever the network latency
                cr.execute(SQL(
                    """UPDATE responso_account_pacing
                          SET next_at = (clock_timestamp() AT TIME ZONE 'UTC') + make_interval(secs => %s)
                        WHERE key = %s""", self.interval, self.key))
                cr.commit()  # pylint: disable=invalid-commit  # a cursor of its own: releases the lock


    @staticmethod
    def _read_committed(cr):
        """Odoo's transactions are REPEATABLE READ, where a row updated by another worker since the snapshot cannot be
        locked (serialization failure); READ COMMITTED waits for the lock, then reads the row as committed."""
        if isinstance(cr, Cursor):  # not a test cursor, which is a savepoint in a running transaction
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")


# One concern per file (docs/architecture.md): responso.account is extended in several files of this addon on
# purpose, so pylint-odoo's advice to merge them does not apply.
# pylint: disable=consider-merging-classes-inherited
class ResponsoAccount(models.Model):
    _inherit = "responso.account"

    def _responso_client(self):
        return self._responso_paced(super()._responso_client())

    @api.model
    def _responso_paced(self, client):
        """Replace an Allegro client's per-process pacer by the database one of its user."""
        if isinstance(client, AllegroClient):
            key = "allegro|%s|%s" % (client.api_url, (client.login or "").casefold())
            client._pacer = DatabasePacer(self.env.registry, key)  # the client's documented pacer hook
        return client
